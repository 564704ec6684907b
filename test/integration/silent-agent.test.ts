// A silent agent on real workerd (Miniflare): a socket that sends nothing within AGENT_TIMEOUT_SECONDS
// is closed and its host shown offline, also when a restart dropped the socket without a close event.
// Its own control plane, at the shortest timeout allowed (control-plane.test.ts has the rest).
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { minAgentTimeoutSeconds } from "../../control-plane/src/agent-timeout.ts";
import { generateSigningKey, signConnectToken } from "../../shared/signing.ts";
import { startControlPlane } from "../world/control-plane.ts";
import { until } from "./control-plane-client.ts";

describe("silent agents", () => {
  it("closes a socket that sends nothing within the agent timeout, and shows the host offline (also after a restart)", async () => {
    // The shortest timeout allowed: the test waits it out twice.
    const quick = await startControlPlane({ env: { AGENT_TIMEOUT_SECONDS: String(minAgentTimeoutSeconds) } });
    try {
      const admin = { authorization: `Bearer ${quick.adminToken}`, "content-type": "application/json" };
      const enrollment = (await (
        await fetch(`${quick.url}/v1/enrollments`, { method: "POST", headers: admin, body: JSON.stringify({ host: "quiet-1" }) })
      ).json()) as { token: string };
      const key = await generateSigningKey();
      const enrolled = await fetch(`${quick.url}/v1/agents/enroll`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: enrollment.token, host: "quiet-1", publicJwk: { kty: "OKP", crv: "Ed25519", x: key.publicJwk.x }, agentVersion: "1" }),
      });
      expect(enrolled.status).toBe(200);
      const socket = new WebSocket(`${quick.url.replace(/^http/, "ws")}/v1/agents/connect`, {
        headers: { authorization: `Bearer ${await signConnectToken("quiet-1", "1", key.privateJwk)}` },
      });
      const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
      const status = async () =>
        ((await (await fetch(`${quick.url}/v1/hosts`, { headers: admin })).json()) as { hosts: { status: string }[] }).hosts[0]?.status;
      await until("online", status, (s) => s === "online");
      await until("offline", status, (s) => s === "offline");
      expect(await closed).toBe(4001);

      // A restart drops the socket without a close event; the host must still end up offline.
      const again = new WebSocket(`${quick.url.replace(/^http/, "ws")}/v1/agents/connect`, {
        headers: { authorization: `Bearer ${await signConnectToken("quiet-1", "1", key.privateJwk)}` },
      });
      const dropped = new Promise<void>((resolve) => again.on("close", () => resolve()));
      await until("online again", status, (s) => s === "online");
      await quick.restart();
      await dropped;
      await until("offline after restart", status, (s) => s === "offline");
    } finally {
      await quick.stop();
    }
  });
});
