// @ts-check
// The shape every screen receives from the shell (types only).

/**
 * @typedef {object} ViewContext
 * @property {import("./api.js").Api} api
 * @property {import("./roles.js").Capabilities} can
 * @property {(hash: string) => void} go navigate to another screen
 * @property {(cleanup: () => void) => void} onLeave run when the screen is left (stops its polling)
 */

export {};
