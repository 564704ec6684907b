// Asks the control plane to roll this host back (POST /v1/agents/rollback-requests with a request
// signed by the agent's key), then follows the rollback the agent process runs through the report
// it writes on this host. A control plane that cannot take the request says why, and the caller
// rolls back locally instead.
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as z from "zod";
import { isRewindError } from "../../../shared/errors.ts";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { signHostRequest } from "../../../shared/signing.ts";
import { ApiClient } from "../api-client.ts";
import type { AgentConfig } from "../config.ts";
import { rollbackDir } from "../rollback/journal-file.ts";

export type RemoteRequest = { accepted: true; rollbackId: string; alreadyRunning: boolean } | { accepted: false; reason: string };

const accepted = z.object({ rollbackId: z.string().min(1) });

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
  let answer: z.output<typeof accepted>;
  try {
    answer = await new ApiClient({ url: config.controlPlane.url, timeoutMs }).post("/v1/agents/rollback-requests", accepted, { jws });
  } catch (error) {
    if (!isRewindError(error)) throw error;
    const running = error.details?.rollbackId;
    // A rollback of this host is already under way (an alert got there first): follow that one.
    if (error.code === "CONFLICT" && typeof running === "string") return { accepted: true, rollbackId: running, alreadyRunning: true };
    return { accepted: false, reason: `${error.code}: ${error.message}` };
  }
  return { accepted: true, rollbackId: answer.rollbackId, alreadyRunning: false };
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
