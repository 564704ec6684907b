// Revoking a token withdraws what it set in motion and is still waiting on someone else: a stolen
// operator token's rollback request, pending a second operator's approval, used to stay approvable
// after the revocation, so an unsuspecting colleague could still let it run. Now it is cancelled at
// revocation (audited like a cancel), and the approval is refused. A request already approved is not
// touched. The control plane in workerd; the host is a hand-driven agent with its own key.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { enrolledHandAgent, type HandAgent, handManifest, sendReport } from "./hand-agent.ts";
import { apiJson, auditLines, mintToken, requestRollback } from "./rollbacks-helpers.ts";

interface ErrorBody {
  error: { code: string; message: string };
}
interface Detail {
  state: string;
  outcome?: { code?: string; message?: string };
}

let world: ControlPlaneWorld;
let agent: HandAgent;
const host = "revoke-web-1";

beforeAll(async () => {
  world = await startControlPlane();
  agent = await enrolledHandAgent(world, host);
  await sendReport(agent, { kind: "manifest", manifest: handManifest(host) });
  const settings = await apiJson(world, `/v1/hosts/${host}/settings`, { method: "PUT", body: JSON.stringify({ requireApproval: true }) });
  expect(settings.status).toBe(200);
});

afterAll(async () => {
  agent?.ws.close();
  await world?.stop();
});

async function detail(rollbackId: string): Promise<Detail> {
  return (await apiJson<Detail>(world, `/v1/rollbacks/${rollbackId}`)).body;
}

describe("revoking an operator token", () => {
  it("cancels its rollback request waiting for approval, and a second operator's approval is refused", async () => {
    const [stolen, colleague] = await Promise.all([mintToken(world, "operator", "stolen"), mintToken(world, "operator", "colleague")]);
    const rollbackId = await requestRollback(world, stolen.token, host, "looks urgent, please approve");
    expect((await detail(rollbackId)).state).toBe("pending-approval");

    const revoked = await apiJson<{ revoked: boolean; cancelledRollbacks: string[] }>(world, `/v1/tokens/${stolen.id}`, { method: "DELETE" });

    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ id: stolen.id, revoked: true, cancelledRollbacks: [rollbackId] });
    expect(await detail(rollbackId)).toMatchObject({ state: "cancelled", outcome: { code: "TOKEN_REVOKED" } });
    const approval = await apiJson<ErrorBody>(world, `/v1/rollbacks/${rollbackId}/approve`, { method: "POST", token: colleague.token });
    expect(approval.status).toBe(409);
    expect(approval.body.error.code).toBe("CONFLICT");
    expect(approval.body.error.message).toBe(
      `rollback ${rollbackId} is cancelled, not waiting for approval: the token ${stolen.id} that requested it was revoked`,
    );
    expect((await detail(rollbackId)).state).toBe("cancelled");
    // Audited and notified as any cancel is (a cancel sends no notification of its own).
    const entries = (await auditLines(world)).filter((e) => e.subject === `rollback:${rollbackId}` && e.action !== "notification.logged");
    expect(entries.map((e) => e.action)).toEqual(["rollback.requested", "rollback.state-changed", "rollback.approval-refused"]);
    expect(entries[1]?.details).toMatchObject({ from: "pending-approval", to: "cancelled", tokenRevoked: stolen.id, outcome: { code: "TOKEN_REVOKED" } });
    expect(entries[1]?.actor).toMatchObject({ kind: "token", role: "admin" });
    // The host is free again: the colleague's own request goes through.
    const next = await requestRollback(world, colleague.token, host, "the real one");
    expect((await detail(next)).state).toBe("pending-approval");
    expect((await apiJson(world, `/v1/rollbacks/${next}/cancel`, { method: "POST", token: colleague.token })).status).toBe(202);
  });

  it("refuses the approval of a request recorded after the revocation's sweep (the race), cancelling it then", async () => {
    const [late, colleague] = await Promise.all([mintToken(world, "operator", "late"), mintToken(world, "operator", "colleague-2")]);
    const rollbackId = await requestRollback(world, late.token, host, "recorded as the token is revoked");
    // The revocation as it lands when the request's D1 row is written just after the sweep read it.
    await (await world.d1()).prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ?").bind(Date.now(), late.id).run();
    expect((await detail(rollbackId)).state).toBe("pending-approval");

    const approval = await apiJson<ErrorBody>(world, `/v1/rollbacks/${rollbackId}/approve`, { method: "POST", token: colleague.token });

    expect(approval.status).toBe(409);
    expect(approval.body.error.message).toContain("that requested it was revoked");
    expect(await detail(rollbackId)).toMatchObject({ state: "cancelled", outcome: { code: "TOKEN_REVOKED" } });
  });

  it("leaves a rollback a second operator already approved alone", async () => {
    const [requester, approver] = await Promise.all([mintToken(world, "operator", "requester"), mintToken(world, "operator", "approver")]);
    const rollbackId = await requestRollback(world, requester.token, host, "approved before the revocation");
    expect((await apiJson(world, `/v1/rollbacks/${rollbackId}/approve`, { method: "POST", token: approver.token })).status).toBe(200);

    const revoked = await apiJson<{ cancelledRollbacks: string[] }>(world, `/v1/tokens/${requester.id}`, { method: "DELETE" });

    expect(revoked.body.cancelledRollbacks).toEqual([]);
    expect((await detail(rollbackId)).state).toBe("queued");
  });
});
