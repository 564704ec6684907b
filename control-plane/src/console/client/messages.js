// @ts-check
// Turns an API failure into one sentence an operator reads on a phone: never JSON, never a stack.
import { ApiError } from "./api.js";

/**
 * The server's own message, tidied into a sentence, when it is one line of plain text.
 * @param {string} message
 */
function sentence(message) {
  const text = message.trim();
  if (text === "" || text.length > 300 || /[{}\n]/.test(text)) return "";
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * @param {unknown} error
 * @param {string} doing what the console was trying to do, e.g. "load the hosts"
 * @returns {string}
 */
export function describeError(error, doing) {
  if (!(error instanceof ApiError)) return `Something went wrong while trying to ${doing}. Reload the page and try again.`;
  const said = sentence(error.message);
  if (error.code === "NETWORK") return `Can't reach the control plane to ${doing}. Check your connection and try again.`;
  if (error.status === 401) return "Your token was not accepted (expired or revoked). Sign in again.";
  if (error.status === 403) return `Your token's role is not allowed to ${doing}.`;
  if (error.status === 404) return said || `Not found: could not ${doing}.`;
  if (error.code === "CONFLICT" && typeof error.details.rollbackId === "string") {
    return `A rollback is already in progress on this host (${error.details.rollbackId}). Wait for it to finish or cancel it first.`;
  }
  if (error.status >= 400 && error.status < 500) return said || `The control plane refused to ${doing}.`;
  if (error.status === 503) return `The control plane is unavailable right now; could not ${doing}. Try again in a moment.`;
  return `The control plane failed to ${doing} (${error.code}). Try again in a moment.`;
}
