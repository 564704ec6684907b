// Reading and waiting for Docker health status, the signal the demo, the tests and the agent's
// verify step all judge a service by.
import type Docker from "dockerode";
import { RewindError } from "../../shared/errors.ts";

export type HealthStatus = "starting" | "healthy" | "unhealthy" | "none";

export async function healthOf(docker: Docker, containerId: string): Promise<HealthStatus> {
  const info = await docker.getContainer(containerId).inspect();
  const status = info.State.Health?.Status;
  return status === "starting" || status === "healthy" || status === "unhealthy" ? status : "none";
}

/** Polls the container's Docker health status until it equals `want`; fails with the last status seen. */
export async function waitForHealth(docker: Docker, containerId: string, want: Exclude<HealthStatus, "none">, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: HealthStatus = "none";
  while (Date.now() < deadline) {
    last = await healthOf(docker, containerId);
    if (last === want) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new RewindError("UNAVAILABLE", `container ${containerId.slice(0, 12)} did not become ${want} within ${timeoutMs} ms (last: ${last})`);
}
