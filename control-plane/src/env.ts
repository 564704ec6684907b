// The Worker's bindings as wrangler.toml declares them. Secrets and vars arrive as raw strings and
// are only read through `loadConfig` (config.ts), never directly from here.
import type { AuditLog } from "./audit/audit-log-do.ts";
import type { HostChannel } from "./host-channel/host-channel.ts";

export interface Env {
  DB: D1Database;
  /** One HostChannel per host, named by the host name. */
  HOST: DurableObjectNamespace<HostChannel>;
  /** The audit log's single writer, named "global". */
  AUDIT: DurableObjectNamespace<AuditLog>;
  ARCHIVE?: R2Bucket;
  /** The Worker's static assets: the console page (see console/routes.ts). */
  ASSETS?: Fetcher;
  SIGNING_KEYS?: string;
  ADMIN_TOKEN?: string;
  PUBLIC_URL?: string;
  S3_ENDPOINT?: string;
  S3_REGION?: string;
  S3_BUCKET?: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  SNS_TOPIC_ARN?: string;
  SNS_REGION?: string;
  SNS_ENDPOINT?: string;
  SNS_ACCESS_KEY_ID?: string;
  SNS_SECRET_ACCESS_KEY?: string;
  AUDIT_ORIGIN?: string;
  AGENT_TIMEOUT_SECONDS?: string;
  ROLLBACK_STEP_TIMEOUT_SECONDS?: string;
  ROLLBACK_WATCH_SECONDS?: string;
  ROLLBACK_COMMAND_TTL_SECONDS?: string;
  ENROLLMENTS_PER_TOKEN_PER_MINUTE?: string;
}
