// Loads what `rewind audit verify` needs from disk (or the JWKS from a URL): the export directory's
// files by their standard names unless given explicitly. Any problem here is unusable input (exit 2),
// never a verdict on the log.
import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import * as z from "zod";
import { type AgentKeys, agentKeysFile, type CheckpointLine, checkpointLine, exportFiles, jwksFile } from "../../../shared/audit/export.ts";
import type { VerifyInput } from "../../../shared/audit/verify.ts";
import { RewindError } from "../../../shared/errors.ts";
import { describeIssues } from "../../../shared/schemas/zod-error.ts";
import { type PublicJwk, publicJwk } from "../../../shared/signing.ts";
import { ApiClient } from "../api-client.ts";
import { nativeEd25519 } from "./native-ed25519.ts";
import { nativeHashes } from "./native-hashes.ts";
import { nativeReportVerify } from "./native-report.ts";
import { lineBatches } from "./read-lines.ts";

export interface VerifyPaths {
  export: string;
  key: string;
  keys?: string;
  checkpoint?: string;
  checkpoints?: string;
  previousCheckpoint?: string;
}

function unusable(message: string, cause?: unknown): RewindError {
  return new RewindError("BAD_REQUEST", message, cause === undefined ? {} : { cause });
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw unusable(`cannot read ${what} '${path}': ${(error as Error).message}`, error);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function parseJson<S extends z.core.$ZodType>(schema: S, text: string, what: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw unusable(`${what} is not JSON`, error);
  }
  const parsed = z.safeParse(schema, json);
  if (!parsed.success) throw unusable(`${what} is not valid: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** `--key`: the control plane's JWKS (or a single JWK), from a file or its `/.well-known/jwks.json` URL. */
export async function loadLogKeys(source: string): Promise<PublicJwk[]> {
  let text: string;
  if (/^https?:\/\//.test(source)) {
    const url = new URL(source);
    text = await new ApiClient({ url: url.origin }).text(`${url.pathname}${url.search}`);
  } else {
    text = await readText(source, "key file");
  }
  return parseJson(
    z.union([
      z.pipe(
        jwksFile,
        z.transform((jwks) => jwks.keys),
      ),
      z.pipe(
        publicJwk,
        z.transform((key) => [key]),
      ),
    ]),
    text,
    `key ${source}`,
  );
}

async function optionalFile(explicit: string | undefined, fallback: string, what: string): Promise<string | undefined> {
  if (explicit !== undefined) return readText(explicit, what);
  return (await exists(fallback)) ? readText(fallback, what) : undefined;
}

/** EXPORT is the export directory or its audit.ndjson; the other files default to their names beside it. */
export async function loadVerifyInput(paths: VerifyPaths): Promise<VerifyInput> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(paths.export);
  } catch (error) {
    throw unusable(`cannot read export '${paths.export}': ${(error as Error).message}`, error);
  }
  const dir = info.isDirectory() ? paths.export : dirname(paths.export);
  const entriesPath = info.isDirectory() ? join(dir, exportFiles.entries) : paths.export;
  if (!(await exists(entriesPath))) throw unusable(`no ${exportFiles.entries} in '${dir}'`);

  const logKeys = await loadLogKeys(paths.key);
  const keysText = await optionalFile(paths.keys, join(dir, exportFiles.agentKeys), "agent keys file");
  const agentKeys: AgentKeys = keysText === undefined ? { hosts: {} } : parseJson(agentKeysFile, keysText, "agent keys file");
  const checkpoint = await optionalFile(paths.checkpoint, join(dir, exportFiles.checkpoint), "checkpoint");
  const seriesText = await optionalFile(paths.checkpoints, join(dir, exportFiles.checkpoints), "checkpoint list");
  const checkpoints: CheckpointLine[] = (seriesText ?? "")
    .split("\n")
    .filter((line) => line !== "")
    .map((line, i) => parseJson(checkpointLine, line, `checkpoint list line ${i + 1}`));
  if (checkpoint === undefined && checkpoints.length === 0) {
    throw unusable(`no signed checkpoint: pass --checkpoint FILE or put ${exportFiles.checkpoint} beside the export`);
  }
  const previousCheckpoint = paths.previousCheckpoint === undefined ? undefined : await readText(paths.previousCheckpoint, "previous checkpoint");
  return {
    entries: lineBatches(entriesPath),
    logKeys,
    agentKeys,
    checkpoints,
    hashes: nativeHashes,
    ed25519: nativeEd25519,
    reports: nativeReportVerify,
    ...(checkpoint === undefined ? {} : { checkpoint }),
    ...(previousCheckpoint === undefined ? {} : { previousCheckpoint }),
  };
}
