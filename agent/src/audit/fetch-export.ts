// `rewind audit export`: downloads a consistent export directory from the control plane. The newest
// checkpoint is fetched first and entries only up to its size, so appends racing the download do
// not show up as entries no checkpoint covers.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseCheckpoint } from "../../../shared/audit/checkpoint.ts";
import { auditKeysResponse, checkpointLine, exportFiles, toNdjson } from "../../../shared/audit/export.ts";
import { RewindError } from "../../../shared/errors.ts";

const pageLimit = 1000;

export interface ExportSummary {
  dir: string;
  entries: number;
  checkpoints: number;
  hosts: number;
}

async function get(base: string, token: string, path: string): Promise<Response> {
  const url = new URL(path, base).toString();
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  } catch (error) {
    throw new RewindError("UNAVAILABLE", `cannot reach the control plane at ${url}`, { cause: error, retryable: true });
  }
  if (!response.ok) {
    const body = await response.text();
    const code = response.status === 401 ? "UNAUTHORIZED" : response.status === 403 ? "FORBIDDEN" : "UNAVAILABLE";
    throw new RewindError(code, `GET ${path} answered HTTP ${response.status}: ${body.slice(0, 500)}`);
  }
  return response;
}

/** Pages through an NDJSON listing, keeping lines while `keep` holds. */
async function pagedLines(base: string, token: string, path: string, first: number, keep: (line: string, index: number) => boolean) {
  const out: string[] = [];
  for (let from = first; ; from += pageLimit) {
    const text = await (await get(base, token, `${path}?from=${from}&limit=${pageLimit}`)).text();
    const lines = text.split("\n").filter((line) => line !== "");
    for (const line of lines) {
      if (!keep(line, out.length)) return out;
      out.push(line);
    }
    if (lines.length < pageLimit) return out;
  }
}

export async function fetchExport(base: string, token: string, dir: string): Promise<ExportSummary> {
  const checkpoint = await (await get(base, token, "/v1/audit/checkpoint")).text();
  const size = parseCheckpoint(checkpoint).head.size;
  const entries = await pagedLines(base, token, "/v1/audit", 0, (_, index) => index < size);
  if (entries.length < size) {
    throw new RewindError("UNAVAILABLE", `the control plane returned ${entries.length} entries, its checkpoint covers ${size}`);
  }
  const checkpoints = await pagedLines(
    base,
    token,
    "/v1/audit/checkpoints",
    1,
    (line) => checkpointLine.parse(JSON.parse(line)).size <= size,
  );
  const keys = auditKeysResponse.parse(await (await get(base, token, "/v1/audit/keys")).json());
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, exportFiles.entries), toNdjson(entries));
  await writeFile(join(dir, exportFiles.checkpoints), toNdjson(checkpoints));
  await writeFile(join(dir, exportFiles.checkpoint), checkpoint);
  await writeFile(join(dir, exportFiles.jwks), `${JSON.stringify(keys.jwks, null, 2)}\n`);
  await writeFile(join(dir, exportFiles.agentKeys), `${JSON.stringify({ hosts: keys.hosts }, null, 2)}\n`);
  return { dir, entries: entries.length, checkpoints: checkpoints.length, hosts: Object.keys(keys.hosts).length };
}
