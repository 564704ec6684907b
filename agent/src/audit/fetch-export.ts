// `rewind audit export`: downloads a consistent export directory from the control plane. The newest
// checkpoint is fetched first and entries only up to its size, so appends racing the download do
// not show up as entries no checkpoint covers.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseCheckpoint } from "../../../shared/audit/checkpoint.ts";
import { auditKeysResponse, checkpointLine, exportFiles, toNdjson } from "../../../shared/audit/export.ts";
import { RewindError } from "../../../shared/errors.ts";
import { ApiClient } from "../api-client.ts";

const pageLimit = 1000;

export interface ExportSummary {
  dir: string;
  entries: number;
  checkpoints: number;
  hosts: number;
}

/** Pages through an NDJSON listing, keeping lines while `keep` holds. */
async function pagedLines(client: ApiClient, path: string, first: number, keep: (line: string, index: number) => boolean) {
  const out: string[] = [];
  for (let from = first; ; from += pageLimit) {
    const text = await client.text(`${path}?from=${from}&limit=${pageLimit}`);
    const lines = text.split("\n").filter((line) => line !== "");
    for (const line of lines) {
      if (!keep(line, out.length)) return out;
      out.push(line);
    }
    if (lines.length < pageLimit) return out;
  }
}

export async function fetchExport(base: string, token: string, dir: string): Promise<ExportSummary> {
  const client = new ApiClient({ url: base, token });
  const checkpoint = await client.text("/v1/audit/checkpoint");
  const size = parseCheckpoint(checkpoint).head.size;
  const entries = await pagedLines(client, "/v1/audit", 0, (_, index) => index < size);
  if (entries.length < size) {
    throw new RewindError("UNAVAILABLE", `the control plane returned ${entries.length} entries, its checkpoint covers ${size}`);
  }
  const checkpoints = await pagedLines(client, "/v1/audit/checkpoints", 1, (line) => checkpointLine.parse(JSON.parse(line)).size <= size);
  const keys = await client.get("/v1/audit/keys", auditKeysResponse);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, exportFiles.entries), toNdjson(entries));
  await writeFile(join(dir, exportFiles.checkpoints), toNdjson(checkpoints));
  await writeFile(join(dir, exportFiles.checkpoint), checkpoint);
  await writeFile(join(dir, exportFiles.jwks), `${JSON.stringify(keys.jwks, null, 2)}\n`);
  await writeFile(join(dir, exportFiles.agentKeys), `${JSON.stringify({ hosts: keys.hosts }, null, 2)}\n`);
  return { dir, entries: entries.length, checkpoints: checkpoints.length, hosts: Object.keys(keys.hosts).length };
}
