// Is the project up? Docker's own health status for every expected service (a service without a
// HEALTHCHECK counts when running; a one-shot job may instead have exited 0), polled until a
// deadline, and the configured HTTP smoke checks.
import type Docker from "dockerode";
import { RewindError } from "../../../shared/errors.ts";
import type { ProjectContainer } from "./compose.ts";
import { listProjectContainers } from "./compose.ts";

export interface ServiceStatus {
  service: string;
  state: string;
  health: string;
  ok: boolean;
}

/** `mayFinish`: services that are one-shot jobs where they exited 0 (restart "no"), not long-running. */
export function serviceStatuses(containers: readonly ProjectContainer[], services: readonly string[], mayFinish: readonly string[] = []): ServiceStatus[] {
  return services.map((service) => {
    // A container a rollback retired (stopped, kept for its undo) may share the service: the running one counts.
    const candidates = containers.filter((c) => c.service === service);
    const container = candidates.find((c) => c.state === "running") ?? candidates[0];
    if (!container) return { service, state: "missing", health: "none", ok: false };
    const finished = mayFinish.includes(service) && container.state === "exited" && container.exitCode === 0;
    const ok = finished || (container.state === "running" && (container.health === "healthy" || container.health === "none"));
    return { service, state: container.state, health: container.health, ok };
  });
}

const describe = (statuses: readonly ServiceStatus[]): string => statuses.map((s) => `${s.service}=${s.state}/${s.health}`).join(", ");

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new RewindError("CANCELLED", "cancelled while waiting for services to become healthy"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Wait until every service is healthy; throws STEP_FAILED naming the ones that are not. */
export async function waitHealthy(
  docker: Docker,
  project: string,
  services: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
  mayFinish: readonly string[] = [],
): Promise<ServiceStatus[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = serviceStatuses(await listProjectContainers(docker, project), services, mayFinish);
    if (statuses.every((s) => s.ok)) return statuses;
    const unhealthy = statuses.filter((s) => !s.ok);
    if (Date.now() >= deadline) {
      throw new RewindError("STEP_FAILED", `services not healthy after ${Math.round(timeoutMs / 1000)} s: ${describe(unhealthy)}`, {
        details: { statuses },
      });
    }
    await sleep(500, signal);
  }
}

/** One snapshot of the services' health, for the post-rollback watch. */
export async function healthSnapshot(
  docker: Docker,
  project: string,
  services: readonly string[],
  mayFinish: readonly string[] = [],
): Promise<ServiceStatus[]> {
  return serviceStatuses(await listProjectContainers(docker, project), services, mayFinish);
}

export interface SmokeCheck {
  name: string;
  url: string;
  expectStatus: number;
}

export interface SmokeResult {
  name: string;
  ok: boolean;
  status?: number;
  error?: string;
}

/** How long one HTTP smoke check may take to answer. */
export const smokeCheckTimeoutMs = 10_000;

export async function runSmokeChecks(checks: readonly SmokeCheck[], timeoutMs = smokeCheckTimeoutMs): Promise<SmokeResult[]> {
  return Promise.all(
    checks.map(async (check) => {
      try {
        const response = await fetch(check.url, { signal: AbortSignal.timeout(timeoutMs) });
        await response.body?.cancel();
        return { name: check.name, ok: response.status === check.expectStatus, status: response.status };
      } catch (error) {
        return { name: check.name, ok: false, error: (error as Error).message };
      }
    }),
  );
}
