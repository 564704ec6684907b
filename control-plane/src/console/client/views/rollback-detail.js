// @ts-check
// One rollback, live: its state and each step with start time, duration and message, refreshed
// every 1.5 s until the rollback reaches a final state. Cancel is offered while it still helps;
// Approve while the rollback waits for other operators' approval.
import { isFinalRollbackState, isInFlightRollbackState, lastCancellableBefore } from "../../../../../shared/schemas/rollback-states.ts";
import { h, replace } from "../dom.js";
import { formatDuration, formatTime } from "../format.js";
import { describeError } from "../messages.js";
import { poll } from "../poll.js";
import { readRollback } from "../resources.js";
import { loading, notice, stateBadge } from "../ui.js";

const refreshMs = 1_500;

/** @param {import("../resources.js").Rollback} rollback */
function cancellable(rollback) {
  if (!isInFlightRollbackState(rollback.state)) return false;
  const stop = rollback.steps.find((step) => step.step === lastCancellableBefore);
  return stop === undefined || stop.state === "pending";
}

/** @param {string} state */
function noStepsYet(state) {
  if (state === "pending-approval") return "Waiting for another operator's approval.";
  if (isFinalRollbackState(state)) return "No step ran on the host.";
  return "Waiting for the agent to start.";
}

/** @param {import("../resources.js").Step} step */
function stepItem(step) {
  const timing = [step.startedAt ? formatTime(step.startedAt) : "", formatDuration(step.durationMs)].filter(Boolean).join(" · ");
  return h(
    "li",
    { class: `step step-${step.state}`, "data-step": step.step, "data-state": step.state },
    h("span", { class: "step-mark", "aria-hidden": "true" }),
    h(
      "div",
      {},
      h("div", { class: "card-head" }, h("strong", {}, step.step), stateBadge(step.state)),
      timing && h("p", { class: "muted" }, timing),
      step.message && h("p", { class: "step-message" }, step.message),
    ),
  );
}

/**
 * @param {import("../context.js").ViewContext} ctx
 * @param {string} rollbackId
 */
export function rollbackDetailView(ctx, rollbackId) {
  const body = h("div", {}, loading("the rollback"));
  const actions = h("div", { class: "actions" });
  const feedback = h("div", {});
  let busy = false;

  /**
   * @param {"cancel" | "approve"} action
   * @param {string} done what to say once the server accepted it
   * @param {string} doing for the error sentence
   */
  async function act(action, done, doing) {
    busy = true;
    replace(feedback);
    try {
      await ctx.api.post(`/v1/rollbacks/${encodeURIComponent(rollbackId)}/${action}`);
      replace(feedback, notice(done, "ok"));
    } catch (error) {
      replace(feedback, notice(describeError(error, doing)));
    }
    busy = false;
  }

  /** @param {import("../resources.js").Rollback} rollback */
  function render(rollback) {
    replace(
      body,
      h(
        "div",
        { class: "card" },
        h("div", { class: "card-head" }, h("h2", {}, rollback.host), stateBadge(rollback.state)),
        h("p", { class: "reason" }, rollback.reason),
        h(
          "dl",
          {},
          h("dt", {}, "Requested"),
          h("dd", {}, `${formatTime(rollback.createdAt)} by ${rollback.requestedBy || "—"}`),
          h("dt", {}, "Backup"),
          h("dd", { class: "mono" }, rollback.backupId || "newest"),
          h("dt", {}, "Updated"),
          h("dd", {}, formatTime(rollback.updatedAt)),
          rollback.approvalsRequired > 0 && h("dt", {}, "Approvals"),
          rollback.approvalsRequired > 0 && h("dd", {}, `${rollback.approvals.length} of ${rollback.approvalsRequired}`),
          rollback.downtimeMs !== undefined && h("dt", {}, "Downtime"),
          rollback.downtimeMs !== undefined && h("dd", { class: "downtime" }, formatDuration(rollback.downtimeMs)),
        ),
      ),
      rollback.steps.length === 0 ? notice(noStepsYet(rollback.state), "info") : h("ol", { class: "steps" }, ...rollback.steps.map(stepItem)),
    );
    replace(
      actions,
      ctx.can.act &&
        rollback.state === "pending-approval" &&
        h(
          "button",
          {
            type: "button",
            "data-action": "approve",
            disabled: busy,
            onclick: () => void act("approve", "Approved.", "approve this rollback"),
          },
          "Approve rollback",
        ),
      ctx.can.act &&
        cancellable(rollback) &&
        h(
          "button",
          {
            type: "button",
            class: "danger",
            "data-action": "cancel",
            disabled: busy,
            onclick: () => void act("cancel", "Cancel requested.", "cancel this rollback"),
          },
          "Cancel rollback",
        ),
    );
  }

  ctx.onLeave(
    poll(async () => {
      try {
        const rollback = readRollback(await ctx.api.get(`/v1/rollbacks/${encodeURIComponent(rollbackId)}`));
        render(rollback);
        return !isFinalRollbackState(rollback.state);
      } catch (error) {
        replace(body, notice(describeError(error, "load this rollback")));
        return true;
      }
    }, refreshMs),
  );
  return h(
    "section",
    { "aria-labelledby": "rollback-title" },
    h("a", { href: "#/rollbacks", class: "back" }, "‹ Rollbacks"),
    h("h1", { id: "rollback-title" }, "Rollback ", h("span", { class: "mono small" }, rollbackId)),
    body,
    actions,
    feedback,
  );
}
