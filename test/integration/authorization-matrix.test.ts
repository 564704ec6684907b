// Every API route against every role, as the README's trust model states it: a token reaches a route's
// handler only when its role is listed here (401 without a live token, 403 for another role). The
// table is written from the trust model, not from the code, so a route whose guard drifts, or a new
// route without one, fails here. Requests carry junk bodies and unknown ids, so a handler that is
// reached refuses them (400/404) and nothing changes. The control plane in workerd.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { type AuditLine, auditLines } from "./rollbacks-helpers.ts";

type Role = "admin" | "operator" | "viewer" | "auditor" | "alert-source" | "enroll";
const grantable = ["operator", "viewer", "auditor", "alert-source", "enroll"] as const;
const all: Role[] = ["admin", ...grantable];

const readers: Role[] = ["admin", "operator", "viewer"];
const unknownId = "AAAAAAAAAAAAAAAAAAAAAA";

const routes: { method: string; path: string; allowed: Role[] }[] = [
  { method: "GET", path: "/v1/me", allowed: all },
  { method: "POST", path: "/v1/tokens", allowed: ["admin"] },
  { method: "DELETE", path: `/v1/tokens/${unknownId}`, allowed: ["admin"] },
  { method: "POST", path: "/v1/enrollments", allowed: ["admin", "operator", "enroll"] },
  { method: "POST", path: `/v1/enrollments/${unknownId}/approve`, allowed: ["admin", "operator"] },
  { method: "POST", path: "/v1/alerts", allowed: ["admin", "alert-source"] },
  { method: "POST", path: "/v1/alerts/alertmanager", allowed: ["admin", "alert-source"] },
  { method: "POST", path: "/v1/alerts/grafana", allowed: ["admin", "alert-source"] },
  { method: "GET", path: "/v1/alerts", allowed: [...readers, "auditor"] },
  { method: "GET", path: "/v1/alerts/hosts/nohost", allowed: [...readers, "auditor"] },
  { method: "POST", path: "/v1/alerts/hosts/nohost/reset", allowed: ["admin", "operator"] },
  { method: "POST", path: "/v1/notifications/checks", allowed: ["admin"] },
  { method: "GET", path: "/v1/hosts", allowed: readers },
  { method: "POST", path: "/v1/hosts/nohost/commands", allowed: ["admin", "operator"] },
  { method: "GET", path: "/v1/hosts/nohost/backups", allowed: readers },
  { method: "GET", path: `/v1/hosts/nohost/backups/${unknownId}`, allowed: readers },
  { method: "PUT", path: "/v1/hosts/nohost/settings", allowed: ["admin"] },
  { method: "DELETE", path: "/v1/hosts/nohost", allowed: ["admin"] },
  { method: "GET", path: `/v1/commands/${unknownId}`, allowed: readers },
  { method: "GET", path: "/v1/signing-keys", allowed: readers },
  { method: "POST", path: "/v1/signing-keys/rollout", allowed: ["admin"] },
  { method: "POST", path: "/v1/signing-keys/no-such-kid/promote", allowed: ["admin"] },
  { method: "POST", path: "/v1/rollbacks", allowed: ["admin", "operator"] },
  { method: "GET", path: "/v1/rollbacks", allowed: readers },
  { method: "GET", path: `/v1/rollbacks/${unknownId}`, allowed: readers },
  { method: "POST", path: `/v1/rollbacks/${unknownId}/cancel`, allowed: ["admin", "operator"] },
  { method: "POST", path: `/v1/rollbacks/${unknownId}/approve`, allowed: ["admin", "operator"] },
  { method: "POST", path: `/v1/rollbacks/${unknownId}/abandon`, allowed: ["admin"] },
  { method: "GET", path: "/v1/audit", allowed: ["admin", "auditor"] },
  { method: "GET", path: "/v1/audit/checkpoint", allowed: ["admin", "auditor"] },
  { method: "GET", path: "/v1/audit/checkpoints", allowed: ["admin", "auditor"] },
  { method: "GET", path: "/v1/audit/proof/inclusion?index=0&size=1", allowed: ["admin", "auditor"] },
  { method: "GET", path: "/v1/audit/proof/consistency?from=0&to=1", allowed: ["admin", "auditor"] },
  { method: "GET", path: "/v1/audit/keys", allowed: ["admin", "auditor"] },
];

let world: ControlPlaneWorld;
const tokens = new Map<Role, string>();
let revoked: string;
let expired: string;

async function mint(role: (typeof grantable)[number], label: string): Promise<{ id: string; token: string }> {
  const response = await world.api("/v1/tokens", { method: "POST", body: JSON.stringify({ role, label }) });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; token: string };
}

async function call(method: string, path: string, token: string | undefined): Promise<{ status: number; code: string | undefined }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${world.url}${path}`, { method, headers, ...(method === "GET" ? {} : { body: "{}" }) });
  const text = await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code };
}

beforeAll(async () => {
  world = await startControlPlane();
  tokens.set("admin", world.adminToken);
  for (const role of grantable) tokens.set(role, (await mint(role, `matrix ${role}`)).token);
  const gone = await mint("operator", "matrix revoked");
  expect((await world.api(`/v1/tokens/${gone.id}`, { method: "DELETE" })).status).toBe(200);
  revoked = gone.token;
  const old = await mint("operator", "matrix expired");
  await (await world.d1())
    .prepare("UPDATE api_tokens SET expires_at = ? WHERE id = ?")
    .bind(Date.now() - 1000, old.id)
    .run();
  expired = old.token;
});

afterAll(async () => {
  await world?.stop();
});

describe("authorization matrix", () => {
  it("lets each role reach exactly the routes the trust model gives it", async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      for (const role of all) {
        const { status, code } = await call(route.method, route.path, tokens.get(role));
        const reached = status !== 401 && status !== 403;
        const expected = route.allowed.includes(role);
        if (reached !== expected || (!expected && code !== "FORBIDDEN")) wrong.push(`${role} ${route.method} ${route.path}: ${status} ${code}`);
        // Reached with a junk body or an unknown id: refused by the handler, not a server error.
        if (status >= 500) wrong.push(`${role} ${route.method} ${route.path}: ${status} ${code}`);
      }
      for (const [who, token] of [
        ["no token", undefined],
        ["revoked", revoked],
        ["expired", expired],
        ["malformed", "not a token"],
      ] as const) {
        const { status, code } = await call(route.method, route.path, token);
        if (status !== 401 || code !== "UNAUTHORIZED") wrong.push(`${who} ${route.method} ${route.path}: ${status} ${code}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 180_000);

  it("cannot be side-stepped by spelling the audit path another way", async () => {
    const viewer = tokens.get("viewer");
    for (const path of [
      "/v1/audit/",
      "/v1//audit",
      "//v1/audit",
      "/v1/audit/./checkpoint",
      "/v1/%61udit",
      "/v1/audit%2Fcheckpoint",
      "/V1/audit",
      "/v1/audit/keys/",
    ]) {
      const { status } = await call("GET", path, viewer);
      expect({ path, status }).toEqual({ path, status: expect.toSatisfy((s: number) => s === 403 || s === 404) });
    }
  });

  it("folds a token's repeated refusals into one audit entry a minute instead of one each", async () => {
    const { id, token } = await mint("viewer", "matrix refused again and again");
    const second = new Date().getUTCSeconds();
    if (second > 45) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));
    const minute = Math.floor(Date.now() / 60_000);
    for (let i = 0; i < 30; i += 1) {
      const { status, code } = await call("POST", "/v1/tokens", token);
      expect({ status, code }).toEqual({ status: 403, code: "FORBIDDEN" });
    }
    expect(Math.floor(Date.now() / 60_000)).toBe(minute);
    // At most the minute's first refusal is written at once (the matrix above may have written it).
    const written = (await auditLines(world)).filter((e) => e.action === "auth.forbidden" && e.subject === `token:${id}`);
    expect(written.length).toBeLessThanOrEqual(1);

    const from = new Date(minute * 60_000).toISOString();
    const deadline = Date.now() + 100_000;
    let folded: AuditLine | undefined;
    while (folded === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      folded = (await auditLines(world)).find((e) => e.action === "auth.forbidden" && e.subject === "refusals" && e.details.from === from);
    }
    const byToken = folded?.details.hosts as { name: string; count: number }[] | undefined;
    expect(byToken?.find((t) => t.name === `token:${id}`)?.count).toBe(30);
  }, 180_000);
});
