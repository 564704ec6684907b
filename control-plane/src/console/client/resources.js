// @ts-check
// Reads the API's JSON with the same schemas the server types its answers with and the CLI parses
// them with (shared/schemas/api.ts), then shapes it for the views. An answer that does not parse is
// an ApiError MALFORMED, shown like any other failure instead of a half-drawn screen.
import { backupList, hostList, me, rollbackAccepted, rollbackDetail, rollbackList } from "../../../../shared/schemas/api.ts";
import { ApiError } from "./api.js";

/**
 * @template T
 * @param {{ safeParse(value: unknown): { success: true, data: T } | { success: false, error: { issues: readonly { path: PropertyKey[], message: string }[] } } }} schema
 * @param {unknown} body
 * @param {string} what
 * @returns {T}
 */
function parse(schema, body, what) {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.map(String).join(".")}`;
  throw new ApiError(200, "MALFORMED", `unexpected ${what} answer${where}: ${issue?.message ?? "invalid"}`);
}

/**
 * @typedef {object} Host
 * @property {string} name
 * @property {boolean} online
 * @property {string} lastSeen
 * @property {string} agentVersion
 * @property {{ backupId: string, createdAt: string } | undefined} newestBackup
 */

/**
 * @param {unknown} body
 * @returns {Host[]}
 */
export function readHosts(body) {
  return parse(hostList, body, "host list").hosts.map((host) => ({
    name: host.name,
    online: host.status === "online",
    lastSeen: host.lastSeenAt ?? "",
    agentVersion: host.agentVersion,
    newestBackup: host.newestBackup ?? undefined,
  }));
}

/** @typedef {import("../../../../shared/schemas/api.ts").BackupSummary} Backup */

/**
 * @param {unknown} body
 * @returns {Backup[]}
 */
export function readBackups(body) {
  return parse(backupList, body, "backup list").backups;
}

/** @typedef {import("../../../../shared/schemas/api.ts").RollbackSummary} RollbackSummary */

/**
 * @param {unknown} body
 * @returns {RollbackSummary[]}
 */
export function readRollbacks(body) {
  return parse(rollbackList, body, "rollback list").rollbacks;
}

/** @typedef {import("../../../../shared/schemas/api.ts").RollbackStep} Step */
/** @typedef {import("../../../../shared/schemas/api.ts").RollbackDetail} Rollback */

/**
 * @param {unknown} body
 * @returns {Rollback}
 */
export function readRollback(body) {
  return parse(rollbackDetail, body, "rollback");
}

/**
 * @param {unknown} body
 * @returns {{ rollbackId: string, state: string }}
 */
export function readAccepted(body) {
  return parse(rollbackAccepted, body, "rollback request");
}

/**
 * @param {unknown} body
 * @returns {string}
 */
export function readRole(body) {
  return parse(me, body, "token").role;
}
