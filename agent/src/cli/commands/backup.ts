// `rewind backup`: takes a pre-deployment backup on this host by hand (the agent runs the same
// code for the control plane's `backup` command). Progress goes to stderr; the result to stdout,
// as text or, with --json, as one JSON object (backup dir, manifest, off-site keys, retention).
import { parseArgs } from "node:util";
import Docker from "dockerode";
import { RewindError } from "../../../../shared/errors.ts";
import { runBackup } from "../../backup/run-backup.ts";
import { loadAgentConfig } from "../../config.ts";
import type { DumpFormat } from "../../host/pg-dump.ts";
import type { Subcommand } from "../main.ts";

const usage = `usage: rewind backup --config PATH [--offsite] [--format plain|custom] [--json]

  --offsite        also copy the archives and manifest to the config's off-site S3 bucket
  --format custom  dump with pg_dump -Fc (parallel pg_restore -j); default: the seed's .sql.gz
  --json           print the result as JSON
`;

const formats: Record<string, DumpFormat> = { plain: "plain-gzip", "plain-gzip": "plain-gzip", custom: "custom" };

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        offsite: { type: "boolean", default: false },
        format: { type: "string", default: "plain" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new RewindError("BAD_REQUEST", `${(error as Error).message}\n${usage}`);
  }
}

const mb = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(1)} MB`;

export const run: Subcommand = async (argv, io) => {
  const args = parse(argv);
  if (args.help) {
    io.stdout.write(usage);
    return 0;
  }
  if (args.config === undefined) throw new RewindError("BAD_REQUEST", `--config is required\n${usage}`);
  const format = formats[args.format];
  if (format === undefined) throw new RewindError("BAD_REQUEST", `--format must be plain or custom, not '${args.format}'\n${usage}`);
  const config = await loadAgentConfig(args.config);
  const docker = new Docker();
  const result = await runBackup(
    config,
    { docker, onProgress: (event) => io.stderr.write(`[${event.phase}] ${event.state}: ${event.message}\n`) },
    { offsite: args.offsite, format },
  );
  if (args.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  const { manifest } = result;
  const lines = [`backup ${manifest.backupId} written to ${result.dir}`, `commit ${manifest.git.commit} (${manifest.git.branch})`];
  if (manifest.database) {
    const rows = manifest.database.tables.reduce((sum, t) => sum + t.rows, 0);
    lines.push(
      `database ${manifest.database.name}: ${manifest.database.file.path} ${mb(manifest.database.file.bytes)}, ${manifest.database.tables.length} tables, ${rows} rows`,
    );
  }
  if (manifest.minio) {
    lines.push(`minio ${manifest.minio.volume}: ${manifest.minio.file.path} ${mb(manifest.minio.file.bytes)}, buckets ${manifest.minio.buckets.join(", ") || "(none)"}`);
  }
  for (const service of manifest.services) lines.push(`image ${service.service}: ${service.imageId} kept as ${service.keepTag ?? "(untagged)"}`);
  if (result.lastDeploymentFile) lines.push(`wrote ${result.lastDeploymentFile}`);
  if (result.offsite) lines.push(`off-site: ${result.offsite.keys.length} objects in s3://${result.offsite.bucket}`);
  if (result.retention.removed.length > 0) lines.push(`retention removed ${result.retention.removed.join(", ")}`);
  for (const note of result.retention.notes) lines.push(`retention: ${note}`);
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
};
