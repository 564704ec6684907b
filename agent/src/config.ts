// The agent's configuration file (JSON), validated once at start-up into a frozen object.
// Every bad field is named with its path so the operator knows exactly what to fix.
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as z from "zod";
import { RewindError } from "../../shared/errors.ts";
import { hostName } from "../../shared/schemas/common.ts";
import { describeIssues } from "../../shared/schemas/zod-error.ts";
import { privateJwk, publicJwk } from "../../shared/signing.ts";
import { composeFilePathProblem } from "./host/compose-files.ts";
import { dockerTimeoutDefaults } from "./host/docker-timeouts.ts";
import { databaseNameProblem, urlDatabaseProblem } from "./host/pg-url.ts";
import { pgTimeoutDefaults } from "./host/pg-timeouts.ts";

const GB = 1024 ** 3;

export const smokeCheck = z.strictObject({
  name: z.string().min(1),
  url: z.url(),
  expectStatus: z.number().int().min(100).max(599).default(200),
});

export const s3Target = z.strictObject({
  endpoint: z.url().optional(),
  region: z.string().min(1).default("us-east-1"),
  bucket: z.string().min(3),
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  forcePathStyle: z.boolean().default(true),
  /** Key prefix for this host's archives. */
  prefix: z.string().default("backups/"),
});

export const agentConfig = z.strictObject({
  host: hostName,
  /** Absent until `rewind agent enroll` wrote it; break-glass local mode does not need it. */
  controlPlane: z
    .strictObject({
      url: z.url(),
      /** Pinned control-plane public keys; never learned from the network. */
      keys: z.array(publicJwk).min(1),
    })
    .optional(),
  /** The agent's own Ed25519 private key. */
  agentKey: z.optional(privateJwk),
  /** Journal, nonces, outbox, lock, reports. */
  stateDir: z.string().min(1),
  project: z.strictObject({
    /** The compose project (label com.docker.compose.project). */
    name: z.string().min(1),
    /** The git checkout the services are built from; `.last-deployment-backup` lives here. */
    dir: z.string().min(1),
    /**
     * The host's `-f` files, in order, relative to `dir` (e.g. compose.yaml, compose.prod.yaml): every
     * Compose run of the agent passes them. Absent: Compose's default file names in `dir`.
     */
    composeFiles: z
      .array(
        z
          .string()
          .min(1)
          .superRefine((file, ctx) => {
            const problem = composeFilePathProblem(file);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
          })
          .transform((file) => path.normalize(file)),
      )
      .min(1, "must name at least one file; leave it out to use Compose's default file names")
      .superRefine((files, ctx) => {
        const twice = files.find((file, i) => files.indexOf(file) !== i);
        if (twice !== undefined) ctx.addIssue({ code: "custom", message: `names ${twice} twice` });
      })
      .optional(),
    backupsDir: z.string().min(1).default("backups"),
    /** Started first, stopped last (seed: postgres, redis, minio). */
    infraServices: z.array(z.string().min(1)).default(["postgres", "redis", "minio"]),
    database: z
      .strictObject({
        /** Superuser-capable connection URL to the maintenance database (e.g. …/postgres). */
        adminUrl: z
          .string()
          .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
          .superRefine((url, ctx) => {
            const problem = urlDatabaseProblem(url);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
          }),
        name: z
          .string()
          .min(1)
          .superRefine((name, ctx) => {
            const problem = databaseNameProblem(name);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
          }),
        binDir: z.string().min(1).default("/usr/lib/postgresql/15/bin"),
        /**
         * The compose service running PostgreSQL, when it runs inside the project: a full rollback
         * keeps it running (the swap renames databases inside it) while the other services stop.
         * Absent: PostgreSQL is outside the project, and every project service is stopped.
         */
        service: z.string().min(1).optional(),
        /** Bounds on every connection, statement and pg_dump/psql/pg_restore run (host/pg-timeouts.ts). */
        timeouts: z
          .strictObject({
            connectSeconds: z.number().int().positive().default(pgTimeoutDefaults.connectSeconds),
            statementSeconds: z.number().int().positive().default(pgTimeoutDefaults.statementSeconds),
            toolSeconds: z.number().int().positive().default(pgTimeoutDefaults.toolSeconds),
          })
          .default({ ...pgTimeoutDefaults }),
      })
      .optional(),
    minio: z
      .strictObject({
        /** Docker volume holding the MinIO data directory. */
        volume: z.string().min(1),
        buckets: z.array(z.string().min(1)).default([]),
        /** S3 endpoint of the running MinIO, for the post-rollback bucket check. */
        endpoint: z.url().optional(),
        accessKey: z.string().optional(),
        secretKey: z.string().optional(),
      })
      .optional(),
    smokeChecks: z.array(smokeCheck).default([]),
  }),
  /** Deadlines on Docker Engine API calls (host/docker-timeouts.ts). */
  docker: z
    .strictObject({
      timeouts: z
        .strictObject({
          callSeconds: z.number().int().positive().default(dockerTimeoutDefaults.callSeconds),
          longCallSeconds: z.number().int().positive().default(dockerTimeoutDefaults.longCallSeconds),
        })
        .default({ ...dockerTimeoutDefaults }),
    })
    .default({ timeouts: { ...dockerTimeoutDefaults } }),
  /** `rewind deploy`: the deploy command's bound (its `--timeout` overrides it). */
  deploy: z.strictObject({ commandTimeoutSeconds: z.number().int().positive().default(3600) }).default({ commandTimeoutSeconds: 3600 }),
  thresholds: z
    .strictObject({
      minFreeDiskBytes: z
        .number()
        .int()
        .nonnegative()
        .default(5 * GB),
      healthTimeoutSeconds: z.number().int().positive().default(300),
      /** The seed's "monitor for 30 minutes" after a rollback. */
      watchSeconds: z.number().int().nonnegative().default(1800),
      stopTimeoutSeconds: z.number().int().positive().default(30),
    })
    .default({ minFreeDiskBytes: 5 * GB, healthTimeoutSeconds: 300, watchSeconds: 1800, stopTimeoutSeconds: 30 }),
  retention: z
    .strictObject({
      backups: z.number().int().positive().default(5),
      /**
       * Rollbacks whose set-aside copies (the live data they replaced: the only copy of what was
       * written under the bad release) are kept whatever their age; younger ones are kept anyway.
       */
      setAside: z
        .number()
        .int()
        .min(1, "must be at least 1: set-aside copies are the only copy of the data written under the bad release; lower setAsideMinAgeDays instead")
        .default(3),
      /** No set-aside copy younger than this is removed, whatever the count. */
      setAsideMinAgeDays: z.number().positive().default(7),
    })
    .default({ backups: 5, setAside: 3, setAsideMinAgeDays: 7 }),
  offsite: s3Target.optional(),
  /**
   * What of the services' logs goes into signed reports (and so the audit log): by default only each
   * log's sha256 and size; `redacted` adds the last `lines` lines with every `redact` pattern replaced.
   */
  reports: z
    .discriminatedUnion("logs", [
      z.strictObject({ logs: z.literal("digest") }),
      z.strictObject({
        logs: z.literal("redacted"),
        lines: z.number().int().min(1).max(200).default(20),
        redact: z
          .array(
            z
              .string()
              .min(1)
              .refine(
                (pattern) => {
                  try {
                    new RegExp(pattern, "g");
                    return true;
                  } catch {
                    return false;
                  }
                },
                { message: "must be a valid regular expression" },
              ),
          )
          .min(1, "must name at least one pattern: sharing log lines unredacted is not an option"),
      }),
    ])
    .default({ logs: "digest" }),
  log: z.strictObject({ format: z.enum(["json", "pretty"]).default("json") }).default({ format: "json" }),
});
export type AgentConfig = Readonly<z.output<typeof agentConfig>>;

export function parseAgentConfig(raw: unknown, source: string, baseDir: string): AgentConfig {
  const result = agentConfig.safeParse(raw);
  if (!result.success) {
    throw new RewindError("CONFIG_INVALID", `${source}: ${describeIssues(result.error)}`);
  }
  const config = result.data;
  const resolve = (p: string): string => (path.isAbsolute(p) ? p : path.resolve(baseDir, p));
  const dir = resolve(config.project.dir);
  return Object.freeze({
    ...config,
    stateDir: resolve(config.stateDir),
    project: { ...config.project, dir, backupsDir: path.resolve(dir, config.project.backupsDir) },
  });
}

export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new RewindError("CONFIG_INVALID", `cannot read config ${file}: ${(error as Error).message}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RewindError("CONFIG_INVALID", `${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseAgentConfig(raw, file, path.dirname(path.resolve(file)));
}
