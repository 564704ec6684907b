// @ts-check
// Trigger a rollback: pick the host and the backup, say why, and type the host's name to confirm.
// The button stays disabled until the typed name matches; the server checks it again.
import { ApiError } from "../api.js";
import { h, replace } from "../dom.js";
import { formatAge, formatTime } from "../format.js";
import { describeError } from "../messages.js";
import { readAccepted, readBackups, readHosts } from "../resources.js";
import { notice } from "../ui.js";

/** @param {import("../resources.js").Backup} backup */
function backupLabel(backup) {
  const commit = backup.gitCommit ? ` · ${backup.gitCommit.slice(0, 7)}` : "";
  return `${formatTime(backup.createdAt)} (${formatAge(backup.createdAt)})${commit}${backup.verified ? " · verified" : ""}`;
}

/**
 * @param {import("../context.js").ViewContext} ctx
 * @param {URLSearchParams} params `host` preselects a host
 */
export function triggerView(ctx, params) {
  const hostSelect = /** @type {HTMLSelectElement} */ (h("select", { id: "trigger-host", name: "host", required: true }));
  const backupSelect = /** @type {HTMLSelectElement} */ (h("select", { id: "trigger-backup", name: "backup", disabled: true }));
  const reason = /** @type {HTMLTextAreaElement} */ (
    h("textarea", {
      id: "trigger-reason",
      name: "reason",
      rows: "3",
      maxlength: "500",
      required: true,
      placeholder: "e.g. error rate above 10 % since the 14:05 deploy",
    })
  );
  const confirm = /** @type {HTMLInputElement} */ (
    h("input", { id: "trigger-confirm", name: "confirm", autocomplete: "off", autocapitalize: "none", spellcheck: "false", required: true })
  );
  const confirmHint = h("span", { class: "mono" });
  const submit = /** @type {HTMLButtonElement} */ (h("button", { type: "submit", class: "danger", "data-action": "submit", disabled: true }, "Roll back"));
  const feedback = h("div", { "aria-live": "polite" });
  let sending = false;

  function update() {
    const host = hostSelect.value;
    confirmHint.textContent = host || "the host name";
    submit.disabled = sending || host === "" || confirm.value !== host || reason.value.trim() === "";
  }

  async function loadBackups() {
    const host = hostSelect.value;
    replace(backupSelect, h("option", { value: "" }, "Loading backups…"));
    backupSelect.disabled = true;
    if (host === "") return;
    try {
      const backups = readBackups(await ctx.api.get(`/v1/hosts/${encodeURIComponent(host)}/backups`));
      if (hostSelect.value !== host) return;
      replace(
        backupSelect,
        backups.length === 0
          ? h("option", { value: "" }, "Newest on the host (none listed yet)")
          : backups.map((backup, i) => h("option", { value: backup.backupId, selected: i === 0 }, backupLabel(backup))),
      );
      backupSelect.disabled = backups.length === 0;
    } catch (error) {
      replace(backupSelect, h("option", { value: "" }, "Newest on the host"));
      replace(feedback, notice(describeError(error, "list this host's backups")));
    }
  }

  /** @param {Event} event */
  async function send(event) {
    event.preventDefault();
    sending = true;
    update();
    replace(feedback);
    const host = hostSelect.value;
    try {
      const accepted = readAccepted(
        await ctx.api.post("/v1/rollbacks", {
          host,
          ...(backupSelect.value ? { backupId: backupSelect.value } : {}),
          reason: reason.value.trim(),
          confirm: confirm.value,
        }),
      );
      ctx.go(`#/rollbacks/${encodeURIComponent(accepted.rollbackId)}`);
    } catch (error) {
      const running = error instanceof ApiError ? error.details.rollbackId : undefined;
      replace(
        feedback,
        notice(describeError(error, "start the rollback")),
        typeof running === "string" && h("a", { class: "button", href: `#/rollbacks/${encodeURIComponent(running)}` }, "Open the running rollback"),
      );
    }
    sending = false;
    update();
  }

  hostSelect.addEventListener("change", () => {
    confirm.value = "";
    replace(feedback);
    update();
    void loadBackups();
  });
  confirm.addEventListener("input", update);
  reason.addEventListener("input", update);

  void (async () => {
    try {
      const hosts = readHosts(await ctx.api.get("/v1/hosts"));
      const wanted = params.get("host") ?? "";
      replace(
        hostSelect,
        h("option", { value: "", disabled: true, selected: !hosts.some((host) => host.name === wanted) }, "Choose a host"),
        hosts.map((host) => h("option", { value: host.name, selected: host.name === wanted }, `${host.name}${host.online ? "" : " (offline)"}`)),
      );
      update();
      await loadBackups();
    } catch (error) {
      replace(feedback, notice(describeError(error, "load the hosts")));
    }
  })();

  update();
  return h(
    "section",
    { "aria-labelledby": "trigger-title" },
    h("h1", { id: "trigger-title" }, "Roll back a host"),
    h(
      "form",
      { class: "card form", onsubmit: (event) => void send(event) },
      h("label", { for: "trigger-host" }, "Host"),
      hostSelect,
      h("label", { for: "trigger-backup" }, "Backup"),
      backupSelect,
      h("label", { for: "trigger-reason" }, "Reason"),
      reason,
      h("label", { for: "trigger-confirm" }, "Type ", confirmHint, " to confirm"),
      confirm,
      submit,
    ),
    feedback,
  );
}
