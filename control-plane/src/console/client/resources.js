// @ts-check
// Reads the API's JSON into plain typed objects, defensively: a missing field shows as "—" rather
// than breaking a screen an operator needs in the middle of an incident.

/**
 * @param {unknown} value
 * @returns {Record<string, unknown>}
 */
function record(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? /** @type {Record<string, unknown>} */ (value) : {};
}

/** @param {unknown} value */
function text(value) {
  return typeof value === "string" ? value : "";
}

/** @param {unknown} value */
function optionalNumber(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/**
 * @param {unknown} body
 * @param {string} key
 * @returns {unknown[]}
 */
function listAt(body, key) {
  const value = record(body)[key];
  return Array.isArray(value) ? value : [];
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
  return listAt(body, "hosts").map((item) => {
    const host = record(item);
    const newest = record(host.newestBackup);
    // `status`/`lastSeenAt` are the names an earlier API draft used; both spellings are accepted.
    return {
      name: text(host.name),
      online: host.online === true || host.status === "online",
      lastSeen: text(host.lastSeen) || text(host.lastSeenAt),
      agentVersion: text(host.agentVersion),
      newestBackup: typeof newest.backupId === "string" ? { backupId: newest.backupId, createdAt: text(newest.createdAt) } : undefined,
    };
  });
}

/**
 * @typedef {object} Backup
 * @property {string} backupId
 * @property {string} createdAt
 * @property {string} gitCommit
 * @property {string} gitBranch
 * @property {boolean} verified
 */

/**
 * @param {unknown} body
 * @returns {Backup[]}
 */
export function readBackups(body) {
  return listAt(body, "backups").map((item) => {
    const backup = record(item);
    return {
      backupId: text(backup.backupId),
      createdAt: text(backup.createdAt),
      gitCommit: text(backup.gitCommit),
      gitBranch: text(backup.gitBranch),
      verified: backup.verified === true,
    };
  });
}

/**
 * @typedef {object} RollbackSummary
 * @property {string} rollbackId
 * @property {string} host
 * @property {string} state
 * @property {string} reason
 * @property {string} requestedBy
 * @property {string} createdAt
 * @property {string} updatedAt
 */

/**
 * @param {unknown} item
 * @returns {RollbackSummary}
 */
function readSummary(item) {
  const rollback = record(item);
  return {
    rollbackId: text(rollback.rollbackId),
    host: text(rollback.host),
    state: text(rollback.state),
    reason: text(rollback.reason),
    requestedBy: text(rollback.requestedBy),
    createdAt: text(rollback.createdAt),
    updatedAt: text(rollback.updatedAt),
  };
}

/**
 * @param {unknown} body
 * @returns {RollbackSummary[]}
 */
export function readRollbacks(body) {
  return listAt(body, "rollbacks").map(readSummary);
}

/**
 * @typedef {object} Step
 * @property {string} step
 * @property {string} state
 * @property {string} startedAt
 * @property {number | undefined} durationMs
 * @property {string} message
 */

/**
 * @typedef {object} RollbackExtra
 * @property {string} backupId
 * @property {number | undefined} downtimeMs
 * @property {number} approvalsRequired
 * @property {number} approvals how many operators approved so far
 * @property {Step[]} steps
 */

/**
 * @typedef {RollbackSummary & RollbackExtra} Rollback
 */

/**
 * @param {unknown} body
 * @returns {Rollback}
 */
export function readRollback(body) {
  const rollback = record(body);
  return {
    ...readSummary(body),
    backupId: text(rollback.backupId),
    downtimeMs: optionalNumber(rollback.downtimeMs),
    approvalsRequired: optionalNumber(rollback.approvalsRequired) ?? 0,
    approvals: listAt(body, "approvals").length,
    steps: listAt(body, "steps").map((item) => {
      const step = record(item);
      return {
        step: text(step.step),
        state: text(step.state),
        startedAt: text(step.startedAt),
        durationMs: optionalNumber(step.durationMs),
        message: text(step.message),
      };
    }),
  };
}

/**
 * @param {unknown} body
 * @returns {{ rollbackId: string, state: string }}
 */
export function readAccepted(body) {
  const accepted = record(body);
  return { rollbackId: text(accepted.rollbackId), state: text(accepted.state) };
}

/**
 * @param {unknown} body
 * @returns {string}
 */
export function readRole(body) {
  return text(record(body).role);
}
