// @ts-check
// Sign in with a Rewind API token. The token stays in this tab's sessionStorage only: closing the
// tab signs out, and no other site or tab can read it.
import { createApi } from "../api.js";
import { h, replace } from "../dom.js";
import { describeError } from "../messages.js";
import { readRole } from "../resources.js";
import { notice } from "../ui.js";

/**
 * @param {(token: string, role: string) => void} signedIn
 * @param {string} [reason] why the user is back here (e.g. an expired token)
 */
export function signInView(signedIn, reason) {
  const token = /** @type {HTMLInputElement} */ (
    h("input", { id: "token", name: "token", type: "password", autocomplete: "current-password", required: true, placeholder: "rwt_…" })
  );
  const submit = /** @type {HTMLButtonElement} */ (h("button", { type: "submit" }, "Sign in"));
  const feedback = h("div", { "aria-live": "polite" }, reason && notice(reason));

  /** @param {Event} event */
  async function send(event) {
    event.preventDefault();
    const value = token.value.trim();
    if (value === "") return;
    submit.disabled = true;
    replace(feedback);
    try {
      signedIn(value, readRole(await createApi(value).get("/v1/me")));
    } catch (error) {
      replace(feedback, notice(describeError(error, "sign in")));
      submit.disabled = false;
    }
  }

  return h(
    "section",
    { class: "sign-in", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Rewind"),
    h("p", { class: "muted" }, "Remote, audited rollback for your Docker hosts."),
    h("form", { class: "card form", onsubmit: (event) => void send(event) }, h("label", { for: "token" }, "API token"), token, submit),
    feedback,
  );
}
