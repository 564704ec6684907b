// Enrolls a host through the public API, as `rewind enroll` does: a one-time token from the admin,
// then the agent's own key. Returns the agent's key and the control plane's keys to pin.
import { generateSigningKey, type KeyPairJwk, type PublicJwk, publicJwk } from "../shared/signing.ts";
import { agentVersion } from "../agent/src/version.ts";
import type { ControlPlaneWorld } from "../test/world/control-plane.ts";

/**
 * The control plane a benchmark enrolls hundreds of hosts into within seconds: the per-token
 * enrollment budget (a guard against a stolen enroll token, 120 a minute by default) is lifted, as an
 * operator provisioning a fleet at once would lift it.
 */
export const bulkEnrollment = { env: { ENROLLMENTS_PER_TOKEN_PER_MINUTE: "100000" } };

export async function ok<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Enrolls `host`; a connection reset by a loaded workerd is retried with a fresh token (re-enrolling is allowed). */
export async function enrollHost(world: ControlPlaneWorld, host: string, attempts = 3): Promise<{ key: KeyPairJwk; controlPlaneKeys: PublicJwk[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await enrollOnce(world, host);
    } catch (error) {
      if (attempt >= attempts || !(error instanceof TypeError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

async function enrollOnce(world: ControlPlaneWorld, host: string): Promise<{ key: KeyPairJwk; controlPlaneKeys: PublicJwk[] }> {
  const { token } = await ok<{ token: string }>(await world.api("/v1/enrollments", { method: "POST", body: JSON.stringify({ host }) }), "enrollment token");
  const key = await generateSigningKey();
  const enrolled = await ok<{ controlPlaneKeys: { keys: unknown[] } }>(
    await fetch(`${world.url}/v1/agents/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, host, publicJwk: key.publicJwk, agentVersion }),
    }),
    "enroll",
  );
  return { key, controlPlaneKeys: enrolled.controlPlaneKeys.keys.map((k) => publicJwk.parse(k)) };
}
