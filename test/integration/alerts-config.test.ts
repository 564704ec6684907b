// A broken ALERT_POLICY setting refuses alert webhooks with CONFIG_INVALID naming the field, rather
// than deciding with a policy nobody configured; reading past decisions still works.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";

let controlPlane: ControlPlaneWorld;

beforeAll(async () => {
  controlPlane = await startControlPlane({ env: { ALERT_POLICY: JSON.stringify({ cooldownMinutes: -1 }) } });
});

afterAll(async () => {
  await controlPlane?.stop();
});

describe("ALERT_POLICY", () => {
  it("a negative cooldown is refused with the field named, on every delivery", async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await controlPlane.api("/v1/alerts", {
        method: "POST",
        body: JSON.stringify({ host: "app-1", alert: "DeploymentFailed", status: "firing", environment: "production" }),
      });
      const body = (await response.json()) as { error: { code: string; message: string; details?: { field?: string } } };
      expect(response.status).toBe(500);
      expect(body.error.code).toBe("CONFIG_INVALID");
      expect(body.error.details?.field).toBe("cooldownMinutes");
      expect(body.error.message).toContain("alert policy config is invalid");
    }
    const list = await controlPlane.api("/v1/alerts");
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ decisions: [] });
  });
});
