// The Worker's secrets and vars, validated once per isolate into a frozen object. A bad field is a
// CONFIG_INVALID error naming the field (logged once); it never leaks a secret's value.
import * as z from "../../shared/schemas/zod.ts";
import { RewindError } from "../../shared/errors.ts";
import { defaultAgentTimeoutSeconds } from "../../shared/heartbeat.ts";
import { maxCommandTtlSeconds } from "../../shared/schemas/command.ts";
import { describeIssues } from "../../shared/schemas/zod-error.ts";
import { type PrivateJwk, privateJwk } from "../../shared/signing.ts";
import { agentTimeoutTooShort, minAgentTimeoutSeconds } from "./agent-timeout.ts";
import type { Env } from "./env.ts";
import { log } from "./log.ts";

const optionalText = z.optional(z.string().check(z.trim(), z.minLength(1)));

const signingKeys = z.pipe(
  z.pipe(
    z.string(),
    z.transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.issues.push({ code: "custom", message: "must be a JSON array of private Ed25519 JWKs", input: text });
        return z.NEVER;
      }
    }),
  ),
  z.array(z.extend(privateJwk, { kid: z.string().check(z.minLength(1)) })).check(z.minLength(1, "must hold at least one key")),
);

const rawConfig = z.object({
  SIGNING_KEYS: signingKeys,
  ADMIN_TOKEN: z.string().check(z.minLength(24, "must be at least 24 characters")),
  PUBLIC_URL: z.optional(z.url()),
  S3_ENDPOINT: z.optional(z.url()),
  S3_REGION: optionalText,
  S3_BUCKET: optionalText,
  S3_ACCESS_KEY_ID: optionalText,
  S3_SECRET_ACCESS_KEY: optionalText,
  SNS_TOPIC_ARN: z.optional(z.string().check(z.regex(/^arn:aws:sns:/, "must be an SNS topic ARN"))),
  SNS_REGION: optionalText,
  SNS_ENDPOINT: z.optional(z.url()),
  SNS_ACCESS_KEY_ID: optionalText,
  SNS_SECRET_ACCESS_KEY: optionalText,
  AUDIT_ORIGIN: optionalText,
  AGENT_TIMEOUT_SECONDS: z.optional(z.coerce.number().check(z.int(), z.gte(minAgentTimeoutSeconds, agentTimeoutTooShort), z.lte(3600))),
  ROLLBACK_STEP_TIMEOUT_SECONDS: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(7 * 24 * 3600))),
  ROLLBACK_WATCH_SECONDS: z.optional(z.coerce.number().check(z.int(), z.gte(0), z.lte(7 * 24 * 3600))),
  ROLLBACK_COMMAND_TTL_SECONDS: z.optional(z.coerce.number().check(z.int(), z.gte(30), z.lte(maxCommandTtlSeconds))),
  ENROLLMENTS_PER_TOKEN_PER_MINUTE: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(100_000))),
});

export interface S3Settings {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface Config {
  /** The first key signs; all are published in the JWKS (rotation). */
  signingKeys: readonly PrivateJwk[];
  adminToken: string;
  publicUrl?: string;
  s3?: S3Settings;
  /** A Worker has no ambient AWS credentials: SNS gets its own pair. */
  sns?: { topicArn: string; region: string; endpoint?: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /** Origin line of the audit checkpoints (C2SP tlog-checkpoint). */
  auditOrigin: string;
  /** A socket silent this long (no heartbeat or report) is closed and its host marked offline. */
  agentTimeoutMs: number;
  /**
   * A running rollback silent longer than its step's own timeout plus the watch window, as the agent's
   * last report gave them, becomes `lost` (rollbacks/durable-object/deadline.ts): these two are the
   * most allowed, and all that is allowed after a report without them (older agents).
   */
  rollbackStepTimeoutMs: number;
  rollbackWatchMs: number;
  /**
   * A rollback's command validity: the agent must pick it up within this time, or the rollback
   * expires unrun; a rollback its host refused LOCKED is sent again only until its first command's ends.
   */
  rollbackCommandTtlSeconds: number;
  /** Enrollments one token may mint a minute: each is a D1 row and an audit entry. */
  enrollmentsPerTokenPerMinute: number;
}

const s3Names = ["S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] as const;

function s3Settings(raw: z.output<typeof rawConfig>): S3Settings | undefined {
  const anySet = raw.S3_ENDPOINT !== undefined || s3Names.some((name) => raw[name] !== undefined);
  if (!anySet) return undefined;
  const missing = s3Names.find((name) => raw[name] === undefined);
  if (missing !== undefined || !raw.S3_BUCKET || !raw.S3_ACCESS_KEY_ID || !raw.S3_SECRET_ACCESS_KEY) {
    throw configError(missing ?? "S3_BUCKET", "is required when any S3_* setting is given");
  }
  return {
    ...(raw.S3_ENDPOINT === undefined ? {} : { endpoint: raw.S3_ENDPOINT }),
    region: raw.S3_REGION ?? "us-east-1",
    bucket: raw.S3_BUCKET,
    accessKeyId: raw.S3_ACCESS_KEY_ID,
    secretAccessKey: raw.S3_SECRET_ACCESS_KEY,
  };
}

function snsSettings(raw: z.output<typeof rawConfig>): Config["sns"] {
  if (raw.SNS_TOPIC_ARN === undefined) return undefined;
  if (!raw.SNS_ACCESS_KEY_ID) throw configError("SNS_ACCESS_KEY_ID", "is required when SNS_TOPIC_ARN is set");
  if (!raw.SNS_SECRET_ACCESS_KEY) throw configError("SNS_SECRET_ACCESS_KEY", "is required when SNS_TOPIC_ARN is set");
  return {
    topicArn: raw.SNS_TOPIC_ARN,
    region: raw.SNS_REGION ?? raw.SNS_TOPIC_ARN.split(":")[3] ?? "us-east-1",
    ...(raw.SNS_ENDPOINT === undefined ? {} : { endpoint: raw.SNS_ENDPOINT }),
    credentials: { accessKeyId: raw.SNS_ACCESS_KEY_ID, secretAccessKey: raw.SNS_SECRET_ACCESS_KEY },
  };
}

function configError(field: string, message: string): RewindError {
  return new RewindError("CONFIG_INVALID", `control plane setting ${field} ${message}`, { details: { field } });
}

export function parseConfig(env: Env): Config {
  const result = rawConfig.safeParse(env);
  if (!result.success) {
    const first = result.error.issues[0];
    const field = first ? first.path.join(".") : "(root)";
    throw new RewindError("CONFIG_INVALID", `control plane setting is invalid: ${describeIssues(result.error)}`, {
      details: { field },
    });
  }
  const raw = result.data;
  const s3 = s3Settings(raw);
  const sns = snsSettings(raw);
  const config: Config = {
    signingKeys: Object.freeze(raw.SIGNING_KEYS.map((key) => Object.freeze(key))),
    adminToken: raw.ADMIN_TOKEN,
    ...(raw.PUBLIC_URL === undefined ? {} : { publicUrl: raw.PUBLIC_URL }),
    ...(s3 === undefined ? {} : { s3 }),
    ...(sns === undefined ? {} : { sns }),
    auditOrigin: raw.AUDIT_ORIGIN ?? (raw.PUBLIC_URL === undefined ? "rewind-control-plane" : new URL(raw.PUBLIC_URL).host),
    agentTimeoutMs: (raw.AGENT_TIMEOUT_SECONDS ?? defaultAgentTimeoutSeconds) * 1000,
    // The agent's longest bound on one step (a pg_dump/pg_restore run, 4 h by default) and its
    // default watch window (thresholds.watchSeconds): set both to the hosts' own values.
    rollbackStepTimeoutMs: (raw.ROLLBACK_STEP_TIMEOUT_SECONDS ?? 4 * 3600) * 1000,
    rollbackWatchMs: (raw.ROLLBACK_WATCH_SECONDS ?? 1800) * 1000,
    rollbackCommandTtlSeconds: raw.ROLLBACK_COMMAND_TTL_SECONDS ?? 15 * 60,
    // Two a second, sustained: more than any provisioning run enrolls, far less than a loop would.
    enrollmentsPerTokenPerMinute: raw.ENROLLMENTS_PER_TOKEN_PER_MINUTE ?? 120,
  };
  return Object.freeze(config);
}

// The env object is fixed for the isolate's lifetime, so the outcome (config or error) is cached
// per env: a broken setting is logged once, not on every request.
const cache = new WeakMap<object, { config: Config } | { error: RewindError }>();

export function loadConfig(env: Env): Config {
  let entry = cache.get(env);
  if (entry === undefined) {
    try {
      entry = { config: parseConfig(env) };
    } catch (error) {
      if (!(error instanceof RewindError)) throw error;
      log.error("config.invalid", { code: error.code, field: error.details?.field, message: error.message });
      entry = { error };
    }
    cache.set(env, entry);
  }
  if ("error" in entry) throw entry.error;
  return entry.config;
}
