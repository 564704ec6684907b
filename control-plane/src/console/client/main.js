// @ts-check
// The console shell: sign-in, the tab bar the role allows, and hash routing between screens.
// Each screen gets a fresh context whose cleanups (polling) run when the user navigates away.
import { ApiError, createApi } from "./api.js";
import { h, replace } from "./dom.js";
import { describeError } from "./messages.js";
import { readRole } from "./resources.js";
import { capabilitiesOf } from "./roles.js";
import { notice } from "./ui.js";
import { auditView } from "./views/audit.js";
import { hostsView } from "./views/hosts.js";
import { rollbackDetailView } from "./views/rollback-detail.js";
import { rollbacksView } from "./views/rollbacks.js";
import { signInView } from "./views/sign-in.js";
import { triggerView } from "./views/trigger.js";

const tokenKey = "rewind.token";
const root = /** @type {HTMLElement} */ (document.getElementById("app"));

/** @type {(() => void)[]} */
let cleanups = [];

function leaveScreen() {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
}

/** @param {string} [reason] */
function signOut(reason) {
  leaveScreen();
  sessionStorage.removeItem(tokenKey);
  window.removeEventListener("hashchange", route);
  replace(root, signInView(enter, reason));
}

/** @type {() => void} */
let route = () => {};

/**
 * @param {string} token
 * @param {string} role
 */
function enter(token, role) {
  sessionStorage.setItem(tokenKey, token);
  const can = capabilitiesOf(role);
  // Several polls may hit the same 401: only the first one signs out.
  const api = createApi(token, (error) => {
    if (sessionStorage.getItem(tokenKey) === token) signOut(describeError(error, "continue"));
  });
  const content = h("main", { id: "content" });
  /** @type {[string, string][]} */
  const tabs = [
    ...(can.read
      ? /** @type {[string, string][]} */ ([
          ["#/hosts", "Hosts"],
          ["#/rollbacks", "Rollbacks"],
        ])
      : []),
    ...(can.act ? /** @type {[string, string][]} */ ([["#/trigger", "Roll back"]]) : []),
    ...(can.audit ? /** @type {[string, string][]} */ ([["#/audit", "Audit"]]) : []),
  ];
  const nav = h("nav", { class: "tabs" }, ...tabs.map(([href, label]) => h("a", { href, "data-tab": href.slice(2) }, label)));
  replace(
    root,
    h(
      "header",
      { class: "bar" },
      h("strong", { class: "brand" }, "Rewind"),
      h("span", { class: "badge role", "data-role": role }, role),
      h("button", { type: "button", class: "link", "data-action": "sign-out", onclick: () => signOut() }, "Sign out"),
    ),
    tabs.length > 0 && nav,
    content,
  );
  if (tabs.length === 0) {
    replace(content, notice(`A '${role}' token is meant for machines, not the console. Sign in with an operator, viewer or auditor token.`));
    return;
  }

  route = () => {
    leaveScreen();
    const [path = "", query = ""] = location.hash.slice(1).split("?");
    const parts = path.split("/").filter(Boolean);
    /** @type {import("./context.js").ViewContext} */
    const ctx = { api, can, go: (hash) => location.assign(hash), onLeave: (cleanup) => cleanups.push(cleanup) };
    const screen =
      parts[0] === "hosts" && can.read
        ? hostsView(ctx)
        : parts[0] === "rollbacks" && parts[1] && can.read
          ? rollbackDetailView(ctx, decodeURIComponent(parts[1]))
          : parts[0] === "rollbacks" && can.read
            ? rollbacksView(ctx)
            : parts[0] === "trigger" && can.act
              ? triggerView(ctx, new URLSearchParams(query))
              : parts[0] === "audit" && can.audit
                ? auditView(ctx)
                : undefined;
    if (screen === undefined) {
      location.replace(tabs[0]?.[0] ?? "#/");
      return;
    }
    for (const link of nav.querySelectorAll("a")) link.classList.toggle("active", link.getAttribute("href") === `#/${parts[0]}`);
    replace(content, screen);
    window.scrollTo(0, 0);
  };
  window.addEventListener("hashchange", route);
  route();
}

async function start() {
  const token = sessionStorage.getItem(tokenKey);
  if (token === null) {
    replace(root, signInView(enter));
    return;
  }
  try {
    enter(token, readRole(await createApi(token).get("/v1/me")));
  } catch (error) {
    // Only a refused token signs out: a flaky network on reload must not drop the session.
    if (error instanceof ApiError && error.status === 401) {
      signOut(describeError(error, "sign in"));
      return;
    }
    replace(
      root,
      h("section", { class: "sign-in" }, notice(describeError(error, "sign in")), h("button", { type: "button", onclick: () => void start() }, "Try again")),
    );
  }
}

void start();
