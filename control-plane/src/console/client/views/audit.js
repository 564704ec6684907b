// @ts-check
// Auditors: the audit log, newest first, and whether it verifies against the signed checkpoint.
import { ApiError } from "../api.js";
import { checkEntries, checkSignature } from "../audit-verify.js";
import { h, replace } from "../dom.js";
import { formatTime } from "../format.js";
import { describeError } from "../messages.js";
import { loading, notice } from "../ui.js";

const pageSize = 1000;
const shownEntries = 100;
/** Beyond this many entries, recomputing the root would download too much for a phone. */
const maxVerifiable = 20_000;

/**
 * @param {import("../api.js").Api} api
 * @param {number} from
 * @returns {Promise<string[]>} every entry line from `from` on
 */
async function exportLines(api, from) {
  /** @type {string[]} */
  const lines = [];
  for (;;) {
    const url = `/v1/audit?from=${from + lines.length}&limit=${pageSize}`;
    const page = (await api.text(url)).split("\n").filter((line) => line !== "");
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
    actor.kind === "host"
      ? `host ${actor.host}`
      : actor.kind !== "token"
        ? "system"
        : actor.tokenId === actor.role
          ? String(actor.role)
          : `${actor.role} (token ${actor.tokenId})`;
  return h(
    "li",
    { class: "card audit-entry" },
    h("div", { class: "card-head" }, h("strong", {}, String(entry.action)), h("span", { class: "muted" }, `#${entry.seq}`)),
    h("p", {}, String(entry.subject)),
    h("p", { class: "muted" }, `${formatTime(String(entry.time))} · ${who}`),
  );
}

function fullCheckHint() {
  return h("p", { class: "muted" }, "For the full check, including each agent's signed reports, run 'rewind audit verify' on an export.");
}

/** @param {import("../context.js").ViewContext} ctx */
export function auditView(ctx) {
  const status = h("div", {}, loading("the audit log"));
  const entries = h("div", {});

  /**
   * @param {string[]} lines the newest entries, oldest first
   * @param {number} total
   */
  function showEntries(lines, total) {
    replace(entries, h("h2", {}, `Entries (${total})`), h("ol", { class: "cards", reversed: true }, ...lines.slice(-shownEntries).reverse().map(entryItem)));
  }

  async function load() {
    // The checkpoint first: entries appended meanwhile then only extend the export past it.
    const [text, jwks] = await Promise.all([
      ctx.api.text("/v1/audit/checkpoint").catch((error) => {
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      }),
      ctx.api.get("/.well-known/jwks.json"),
    ]);
    if (text === undefined) {
      const lines = await exportLines(ctx.api, 0);
      showEntries(lines, lines.length);
      replace(status, notice("No checkpoint has been published yet, so the log cannot be verified.", "info"));
      return;
    }
    const signature = await checkSignature(text, jwksKeys(jwks));
    const checkpointText = h("details", {}, h("summary", {}, "Signed checkpoint"), h("pre", { class: "mono" }, text));
    if (!signature.ok || signature.checkpoint.size > maxVerifiable) {
      const size = signature.ok ? signature.checkpoint.size : 0;
      const recent = await exportLines(ctx.api, Math.max(0, size - shownEntries));
      showEntries(recent, Math.max(size, recent.length));
      replace(
        status,
        signature.ok
          ? notice(`The checkpoint's signature is valid for ${size} entries; that is too many to recompute on this device.`, "info")
          : notice(`Not verified. ${signature.problem}`),
        fullCheckHint(),
        checkpointText,
      );
      return;
    }
    const lines = await exportLines(ctx.api, 0);
    showEntries(lines, lines.length);
    const verdict = checkEntries(signature.checkpoint, lines);
    const { size, origin } = signature.checkpoint;
    replace(
      status,
      verdict.ok ? notice(`Verified: the first ${size} entries match the checkpoint signed by '${origin}'.`, "ok") : notice(`Not verified. ${verdict.problem}`),
      fullCheckHint(),
      checkpointText,
    );
  }

  load().catch((error) => replace(status, notice(describeError(error, "export the audit log"))));
  return h("section", { "aria-labelledby": "audit-title" }, h("h1", { id: "audit-title" }, "Audit log"), status, entries);
}
