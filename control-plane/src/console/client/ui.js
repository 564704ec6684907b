// @ts-check
// Small shared pieces of the screens: notices, state badges, the loading line.
import { h } from "./dom.js";

/**
 * @param {string} text
 * @param {"error" | "info" | "ok"} [kind]
 */
export function notice(text, kind = "error") {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** @param {string} state a rollback or step state */
export function stateBadge(state) {
  return h("span", { class: `badge state-${state}`, "data-state": state }, state.replace("-", " "));
}

/** @param {string} what */
export function loading(what) {
  return h("p", { class: "muted" }, `Loading ${what}…`);
}
