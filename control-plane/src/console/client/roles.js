// @ts-check
// What each role sees. The server enforces the same rules; this only hides what would be refused.

/**
 * @typedef {object} Capabilities
 * @property {boolean} read hosts and rollbacks
 * @property {boolean} act trigger and cancel rollbacks
 * @property {boolean} audit the audit log and its verification
 */

/** @type {Record<string, Capabilities>} */
const byRole = {
  admin: { read: true, act: true, audit: true },
  operator: { read: true, act: true, audit: false },
  viewer: { read: true, act: false, audit: false },
  auditor: { read: false, act: false, audit: true },
};

/**
 * Machine roles (alert-source, enroll) and unknown ones get nothing.
 * @param {string} role
 * @returns {Capabilities}
 */
export function capabilitiesOf(role) {
  return byRole[role] ?? { read: false, act: false, audit: false };
}
