// @ts-check
// The rollbacks list, newest first; a tap opens the live view of one.
import { h, replace } from "../dom.js";
import { formatAge, formatTime } from "../format.js";
import { describeError } from "../messages.js";
import { poll } from "../poll.js";
import { readRollbacks } from "../resources.js";
import { loading, notice, stateBadge } from "../ui.js";

const refreshMs = 5_000;

/** @param {import("../resources.js").RollbackSummary} rollback */
function rollbackItem(rollback) {
  return h(
    "li",
    { class: "card" },
    h(
      "a",
      { class: "row-link", href: `#/rollbacks/${encodeURIComponent(rollback.rollbackId)}`, "data-rollback": rollback.rollbackId },
      h("div", { class: "card-head" }, h("h2", {}, rollback.host), stateBadge(rollback.state)),
      h("p", { class: "reason" }, rollback.reason),
      h("p", { class: "muted" }, `${formatTime(rollback.createdAt)} (${formatAge(rollback.createdAt)}) by ${rollback.requestedBy || "—"}`),
    ),
  );
}

/** @param {import("../context.js").ViewContext} ctx */
export function rollbacksView(ctx) {
  const body = h("div", {}, loading("rollbacks"));
  ctx.onLeave(
    poll(async () => {
      try {
        const rollbacks = readRollbacks(await ctx.api.get("/v1/rollbacks"));
        replace(
          body,
          rollbacks.length === 0 ? notice("No rollback has been requested yet.", "info") : h("ul", { class: "cards" }, ...rollbacks.map(rollbackItem)),
        );
      } catch (error) {
        replace(body, notice(describeError(error, "load the rollbacks")));
      }
    }, refreshMs),
  );
  return h("section", { "aria-labelledby": "rollbacks-title" }, h("h1", { id: "rollbacks-title" }, "Rollbacks"), body);
}
