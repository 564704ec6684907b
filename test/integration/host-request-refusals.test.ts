// Issue 14.6 on the third unauthenticated door: POST /v1/agents/rollback-requests. Anyone who knows an
// enrolled host's name (names are not secret) can send a request with a forged signature; each refusal
// used to append a permanent audit entry, unbounded. Now it is counted and folded like junk
// enrollments and bad connect tokens: the first of the minute in full, the rest in one entry, and 429
// past the budget of refusals per client address. The control plane in workerd.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKey, signHostRequest } from "../../shared/signing.ts";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { type AuditLine, auditLines } from "./rollbacks-helpers.ts";

let world: ControlPlaneWorld;

beforeAll(async () => {
  world = await startControlPlane();
});

afterAll(async () => {
  await world?.stop();
});

async function forgedRequest(host: string, address: string): Promise<number> {
  const attacker = await generateSigningKey();
  const jws = await signHostRequest(host, { reason: "forged", source: "deploy" }, attacker.privateJwk);
  const response = await fetch(`${world.url}/v1/agents/rollback-requests`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": address },
    body: JSON.stringify({ jws }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe("forged host rollback requests", () => {
  it("are rate-limited per address and folded into one audit entry per minute", async () => {
    const real = await generateSigningKey("web-1");
    const { token } = (await (await world.api("/v1/enrollments", { method: "POST", body: JSON.stringify({ host: "web-1" }) })).json()) as { token: string };
    const enrolled = await fetch(`${world.url}/v1/agents/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, host: "web-1", publicJwk: real.publicJwk, agentVersion: "0.1.0-test" }),
    });
    expect(enrolled.status).toBe(200);
    // Everything below happens inside one minute, so the counts are exact.
    const second = new Date().getUTCSeconds();
    if (second > 30) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));
    const before = (await auditLines(world)).length;

    const statuses: number[] = [];
    for (let i = 0; i < 25; i += 1) statuses.push(await forgedRequest("web-1", "203.0.113.7"));
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array(5).fill(429));

    const written = (await auditLines(world)).slice(before).filter((e) => e.action === "host-request.refused");
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ subject: "host:web-1", details: { code: "SIGNATURE_INVALID" } });

    const deadline = Date.now() + 100_000;
    let folded: AuditLine | undefined;
    while (folded === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      folded = (await auditLines(world)).find((e) => e.action === "host-request.refused" && e.subject === "refusals");
    }
    expect(folded?.details).toMatchObject({ folded: true, count: 24, hosts: [{ name: "web-1", count: 25 }] });
    expect(folded?.details.addresses).toEqual([{ name: "203.0.113.7", count: 25 }]);
  }, 240_000);
});
