// An agent key speaks for its own host only (README trust model). A host that signs reports naming
// another host's command id (ids are not secret: every viewer and notification sees them) used to
// have them filed under that command: the other host's rollback detail showed the forged steps and
// GET /v1/commands/:id the forged result. Hosts, keys and sockets are real, the control plane in workerd.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { enrolledHandAgent, type HandAgent, handManifest, sendReport } from "./hand-agent.ts";
import { apiJson, auditLines, requestRollback, waitUntil } from "./rollbacks-helpers.ts";

let world: ControlPlaneWorld;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  world = await startControlPlane();
});

afterAll(async () => {
  for (const ws of sockets) ws.close();
  await world?.stop();
});

async function connectedAgent(host: string): Promise<HandAgent> {
  const agent = await enrolledHandAgent(world, host);
  sockets.push(agent.ws);
  return agent;
}

describe("reports naming another host's command", () => {
  it("are not filed under that command, nor shown in its rollback", async () => {
    const [attacker, victim] = await Promise.all([connectedAgent("web-a"), connectedAgent("web-b")]);
    await sendReport(victim, { kind: "manifest", manifest: handManifest("web-b", "pre-deployment-b1") });
    const rollbackId = await requestRollback(world, world.adminToken, "web-b", "bad release on web-b");
    const commandId = await waitUntil(async () => {
      const { body } = await apiJson<{ commandId: string | null }>(world, `/v1/rollbacks/${rollbackId}`);
      return body.commandId ?? undefined;
    }, "the rollback's command");

    await sendReport(attacker, { kind: "progress", commandId, rollbackId, step: "verify", state: "succeeded", message: "forged by web-a" });
    await sendReport(attacker, { kind: "result", commandId, ok: true, message: "forged by web-a" });

    const { body: detail } = await apiJson(world, `/v1/rollbacks/${rollbackId}`);
    expect(JSON.stringify(detail)).not.toContain("forged by web-a");
    const { body: command } = await apiJson<{ host: string; reports: unknown[] }>(world, `/v1/commands/${commandId}`);
    expect(command.host).toBe("web-b");
    expect(command.reports).toEqual([]);
    // Still on the record, as what it is: web-a's own signed statement about a command it does not have.
    const forged = (await auditLines(world)).filter((e) => e.action === "agent.report" && e.subject === `command:${commandId}`);
    expect(forged).toHaveLength(2);
    expect(forged.every((e) => e.details.unknownCommand === true)).toBe(true);
  });
});
