// `rewind backup`: takes a pre-deployment backup on this host by hand (the agent runs the same
// code for the control plane's `backup` command). Progress goes to stderr; the result to stdout,
// as text or, with --json, as one JSON object (backup dir, manifest, off-site keys, retention).
import { runBackup } from "../../backup/run-backup.ts";
import { loadAgentConfig } from "../../config.ts";
import { dockerClient } from "../../host/docker-client.ts";
import type { DumpFormat } from "../../host/pg-dump.ts";
import { configOption, configPath, parseCommand, usageError } from "../args.ts";
import { stepLine } from "../format.ts";
import type { CliIo, Command } from "../io.ts";

const options = {
  ...configOption,
  offsite: { type: "boolean", default: false, description: "also copy the archives and manifest to the config's off-site S3 bucket" },
  format: {
    type: "string",
    value: "plain|custom",
    default: "plain",
    description: "database dump format: plain, the seed's .sql.gz (default), or custom, pg_dump -Fc (parallel restore)",
  },
  json: { type: "boolean", default: false, description: "print the result as one JSON object (dir, manifest, off-site keys, retention)" },
} as const;

const formats: Record<string, DumpFormat> = { plain: "plain-gzip", "plain-gzip": "plain-gzip", custom: "custom" };

const mb = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(1)} MB`;

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values: args } = parseCommand(options, argv);
  const format = formats[args.format];
  if (format === undefined) throw usageError(`--format must be plain or custom, not '${args.format}'`);
  const config = await loadAgentConfig(configPath(args.config, io.env));
  const docker = dockerClient(config.docker.timeouts);
  const result = await runBackup(
    config,
    { docker, onProgress: (event) => io.stderr.write(`${stepLine({ step: event.phase, state: event.state, message: event.message })}\n`) },
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
    lines.push(
      `minio ${manifest.minio.volume}: ${manifest.minio.file.path} ${mb(manifest.minio.file.bytes)}, buckets ${manifest.minio.buckets.join(", ") || "(none)"}`,
    );
  }
  for (const service of manifest.services) lines.push(`image ${service.service}: ${service.imageId} kept as ${service.keepTag ?? "(untagged)"}`);
  if (result.lastDeploymentFile) lines.push(`wrote ${result.lastDeploymentFile}`);
  else if (manifest.database?.format === "custom") {
    lines.push(".last-deployment-backup not updated: the seed's manual restore (gunzip | psql) cannot read a custom-format dump");
  }
  if (result.offsite) lines.push(`off-site: ${result.offsite.keys.length} objects in s3://${result.offsite.bucket}`);
  if (result.retention.removed.length > 0) lines.push(`retention removed ${result.retention.removed.join(", ")}`);
  for (const note of result.retention.notes) lines.push(`retention: ${note}`);
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

export const command: Command = {
  help: {
    usage: ["rewind backup [--config PATH] [--offsite] [--format plain|custom] [--json]"],
    description:
      "Takes a pre-deployment backup on this host by hand, as the agent does for the control plane's backup\ncommand: the database dump and MinIO archive in the seed's layout, the images kept by tag, and a manifest\nwith the commit, row counts, sizes and checksums. Progress goes to stderr, the result to stdout.",
    options,
    exitCodes: [
      [0, "the backup is written (and copied off-site with --offsite)"],
      [1, "the backup failed; nothing half-written is left in the backup directory"],
      [2, "bad arguments or agent config"],
    ],
  },
  run,
};
