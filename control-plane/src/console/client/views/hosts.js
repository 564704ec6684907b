// @ts-check
// Hosts: online or not, when the agent was last heard from, the newest backup and its age.
import { h, replace } from "../dom.js";
import { formatAge, formatTime } from "../format.js";
import { describeError } from "../messages.js";
import { poll } from "../poll.js";
import { readHosts } from "../resources.js";
import { loading, notice } from "../ui.js";

const refreshMs = 10_000;

/**
 * @param {import("../resources.js").Host} host
 * @param {import("../context.js").ViewContext} ctx
 */
function hostCard(host, ctx) {
  const backup = host.newestBackup;
  return h(
    "li",
    { class: "card", "data-host": host.name },
    h(
      "div",
      { class: "card-head" },
      h("h2", {}, host.name),
      h("span", { class: `badge ${host.online ? "online" : "offline"}` }, host.online ? "online" : "offline"),
    ),
    h(
      "dl",
      {},
      h("dt", {}, "Last seen"),
      h("dd", { title: formatTime(host.lastSeen) }, host.online ? "now" : formatAge(host.lastSeen)),
      h("dt", {}, "Newest backup"),
      h("dd", { class: "newest-backup" }, backup ? `${formatAge(backup.createdAt)} · ${formatTime(backup.createdAt)}` : "none yet"),
      h("dt", {}, "Agent"),
      h("dd", {}, host.agentVersion || "—"),
    ),
    ctx.can.act && h("a", { class: "button", href: `#/trigger?host=${encodeURIComponent(host.name)}`, "data-action": "trigger" }, "Roll back…"),
  );
}

/** @param {import("../context.js").ViewContext} ctx */
export function hostsView(ctx) {
  const body = h("div", {}, loading("hosts"));
  ctx.onLeave(
    poll(async () => {
      try {
        const hosts = readHosts(await ctx.api.get("/v1/hosts"));
        replace(
          body,
          hosts.length === 0
            ? notice("No host is enrolled yet. Enroll one with 'rewind agent enroll' on the Docker host.", "info")
            : h("ul", { class: "cards" }, ...hosts.map((host) => hostCard(host, ctx))),
        );
      } catch (error) {
        replace(body, notice(describeError(error, "load the hosts")));
      }
    }, refreshMs),
  );
  return h("section", { "aria-labelledby": "hosts-title" }, h("h1", { id: "hosts-title" }, "Hosts"), body);
}
