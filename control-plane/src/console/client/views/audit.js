// @ts-check
// Auditors: the audit log, newest first, and whether it verifies against the signed checkpoint.
import { ApiError } from "../api.js";
import { verifyAuditLog } from "../audit-verify.js";
import { h, replace } from "../dom.js";
import { formatTime } from "../format.js";
import { describeError } from "../messages.js";
import { loading, notice } from "../ui.js";

const pageSize = 1000;
const shownEntries = 100;

/**
 * @param {import("../api.js").Api} api
 * @returns {Promise<string[]>} every entry line from seq 0
 */
async function exportLines(api) {
  /** @type {string[]} */
  const lines = [];
  for (;;) {
    const page = (await api.text(`/v1/audit?from=${lines.length}&limit=${pageSize}`)).split("\n").filter((line) => line !== "");
    lines.push(...page);
    if (page.length < pageSize) return lines;
  }
}

/**
 * @param {unknown} body
 * @returns {import("../../../../../shared/signing.ts").PublicJwk[]}
 */
function jwksKeys(body) {
  const keys = typeof body === "object" && body !== null && "keys" in body ? body.keys : undefined;
  return Array.isArray(keys) ? keys : [];
}

/** @param {string} line */
function entryItem(line) {
  /** @type {Record<string, unknown>} */
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return h("li", { class: "card" }, notice("An entry is not valid JSON."));
  }
  const actor = typeof entry.actor === "object" && entry.actor !== null ? /** @type {Record<string, unknown>} */ (entry.actor) : {};
  const who =
    actor.kind === "host" ? `host ${actor.host}`
    : actor.kind !== "token" ? "system"
    : actor.tokenId === actor.role ? String(actor.role)
    : `${actor.role} (token ${actor.tokenId})`;
  return h(
    "li",
    { class: "card audit-entry" },
    h("div", { class: "card-head" }, h("strong", {}, String(entry.action)), h("span", { class: "muted" }, `#${entry.seq}`)),
    h("p", {}, String(entry.subject)),
    h("p", { class: "muted" }, `${formatTime(String(entry.time))} · ${who}`),
  );
}

/** @param {import("../context.js").ViewContext} ctx */
export function auditView(ctx) {
  const status = h("div", {}, loading("the audit log"));
  const entries = h("div", {});

  void (async () => {
    // The checkpoint first: entries appended meanwhile then only extend the export past it.
    /** @type {string | undefined} */
    let checkpoint;
    /** @type {unknown} */
    let jwks;
    /** @type {string[]} */
    let lines;
    try {
      [checkpoint, jwks] = await Promise.all([
        ctx.api.text("/v1/audit/checkpoint").catch((error) => {
          if (error instanceof ApiError && error.status === 404) return undefined;
          throw error;
        }),
        ctx.api.get("/.well-known/jwks.json"),
      ]);
      lines = await exportLines(ctx.api);
    } catch (error) {
      replace(status, notice(describeError(error, "export the audit log")));
      return;
    }
    replace(
      entries,
      h("h2", {}, `Entries (${lines.length})`),
      h("ol", { class: "cards", reversed: true }, ...lines.slice(-shownEntries).reverse().map(entryItem)),
    );
    if (checkpoint === undefined) {
      replace(status, notice("No checkpoint has been published yet, so the log cannot be verified.", "info"));
      return;
    }
    const verdict = await verifyAuditLog(checkpoint, jwksKeys(jwks), lines);
    replace(
      status,
      verdict.ok
        ? notice(`Verified: the first ${verdict.size} entries match the checkpoint signed by '${verdict.origin}'.`, "ok")
        : notice(`Not verified. ${verdict.problem}`),
      h("p", { class: "muted" }, "For the full check, including each agent's signed reports, run 'rewind audit verify' on an export."),
      h("details", {}, h("summary", {}, "Signed checkpoint"), h("pre", { class: "mono" }, checkpoint)),
    );
  })();

  return h("section", { "aria-labelledby": "audit-title" }, h("h1", { id: "audit-title" }, "Audit log"), status, entries);
}
