// Asks the control plane to roll this host back (POST /v1/agents/rollback-requests with a request
// signed by the agent's key), then follows the rollback the agent process runs through the report
// it writes on this host. A control plane that cannot take the request says why, and the caller
// rolls back locally instead.
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as z from "zod";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { signHostRequest } from "../../../shared/signing.ts";
import type { AgentConfig } from "../config.ts";
import { rollbackDir } from "../rollback/journal-file.ts";

export type RemoteRequest =
  | { accepted: true; rollbackId: string; alreadyRunning: boolean }
  | { accepted: false; reason: string };

const accepted = z.object({ rollbackId: z.string().min(1) });
const refused = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }) });

export async function requestRemoteRollback(
  config: AgentConfig,
  request: { reason: string; manifest: BackupManifest },
  timeoutMs = 15_000,
): Promise<RemoteRequest> {
  if (config.controlPlane === undefined || config.agentKey === undefined) {
    return { accepted: false, reason: "this host is not enrolled with a control plane" };
  }
  const jws = await signHostRequest(
    config.host,
    { reason: request.reason.slice(0, 500), backupId: request.manifest.backupId, source: "deploy", manifest: request.manifest },
    config.agentKey,
  );
  let response: Response;
  try {
    response = await fetch(new URL("/v1/agents/rollback-requests", config.controlPlane.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jws }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { accepted: false, reason: `control plane unreachable: ${(error as Error).message}` };
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok) {
    const parsed = accepted.safeParse(body);
    if (parsed.success) return { accepted: true, rollbackId: parsed.data.rollbackId, alreadyRunning: false };
    return { accepted: false, reason: `control plane answered ${response.status} without a rollback id` };
  }
  const error = refused.safeParse(body);
  if (!error.success) return { accepted: false, reason: `control plane answered ${response.status}` };
  const running = error.data.error.details?.rollbackId;
  // A rollback of this host is already under way (an alert got there first): follow that one.
  if (error.data.error.code === "CONFLICT" && typeof running === "string") return { accepted: true, rollbackId: running, alreadyRunning: true };
  return { accepted: false, reason: `${error.data.error.code}: ${error.data.error.message}` };
}

const finalReport = z.looseObject({
  rollbackId: z.string(),
  state: z.enum(["succeeded", "failed", "undone", "undo-failed", "cancelled"]),
  error: z.looseObject({ step: z.string(), code: z.string(), message: z.string() }).optional(),
});
export type FinalReport = z.output<typeof finalReport>;

function parseFinal(text: string): FinalReport | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The engine rewrites the report after retention: a read half-way through is retried next round.
    return undefined;
  }
  const parsed = finalReport.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** Waits for the agent's final report of `rollbackId` on this host; undefined when none came in time. */
export async function awaitRollbackReport(
  config: AgentConfig,
  rollbackId: string,
  timeoutMs: number,
  onWait?: (elapsedMs: number) => void,
): Promise<FinalReport | undefined> {
  const file = path.join(rollbackDir(config.stateDir, rollbackId), "report.json");
  const started = Date.now();
  for (;;) {
    const text = await readFile(file, "utf8").catch(() => undefined);
    const report = text === undefined ? undefined : parseFinal(text);
    if (report !== undefined) return report;
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) return undefined;
    onWait?.(elapsed);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
