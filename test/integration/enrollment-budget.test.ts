// An `enroll` token used to mint enrollments without limit, each a D1 row and an audit entry: a leaked
// provisioning credential in a loop grew both without bound. Now one token mints at most
// ENROLLMENTS_PER_TOKEN_PER_MINUTE a minute (3 here, 120 by default); past it 429 RATE_LIMITED naming
// the setting, nothing stored, the minute's first refusal audited in full and the rest folded into one
// entry with their count. Another token keeps its own budget. The control plane in workerd.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlaneWorld, startControlPlane } from "../world/control-plane.ts";
import { type AuditLine, apiJson, auditLines, mintToken } from "./rollbacks-helpers.ts";

interface ErrorBody {
  error: { code: string; message: string };
}

let world: ControlPlaneWorld;

beforeAll(async () => {
  world = await startControlPlane({ env: { ENROLLMENTS_PER_TOKEN_PER_MINUTE: "3" } });
});

afterAll(async () => {
  await world?.stop();
});

function mintEnrollment(token: string, host: string): Promise<{ status: number; body: ErrorBody }> {
  return apiJson<ErrorBody>(world, "/v1/enrollments", { method: "POST", token, body: JSON.stringify({ host }) });
}

describe("an enroll token's enrollment budget", () => {
  it("answers 429 past the budget, stores nothing more, and folds the refusals in the audit log", async () => {
    const [looping, other] = await Promise.all([mintToken(world, "enroll", "leaked in a loop"), mintToken(world, "enroll", "provisioning")]);
    // The whole burst inside one minute, as the budget counts by the minute.
    const second = new Date().getUTCSeconds();
    if (second > 45) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));
    const minute = Math.floor(Date.now() / 60_000);

    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const { status, body } = await mintEnrollment(looping.token, `budget-${i}`);
      statuses.push(status);
      if (status === 429) {
        expect(body.error.code).toBe("RATE_LIMITED");
        expect(body.error.message).toBe(
          `token ${looping.id} minted more than 3 enrollments this minute (ENROLLMENTS_PER_TOKEN_PER_MINUTE): try again in a minute`,
        );
      }
    }
    expect((await mintEnrollment(other.token, "budget-other")).status).toBe(201);
    expect(Math.floor(Date.now() / 60_000)).toBe(minute);

    expect(statuses).toEqual([201, 201, 201, 429, 429, 429, 429]);
    const rows = await (await world.d1()).prepare("SELECT host FROM enrollment_tokens WHERE created_by = ? ORDER BY host").bind(looping.id).all();
    expect(rows.results.map((row) => row.host)).toEqual(["budget-0", "budget-1", "budget-2"]);
    const entries = await auditLines(world);
    expect(entries.filter((e) => e.action === "enrollment.created" && e.actor.tokenId === looping.id)).toHaveLength(3);
    const inFull = entries.filter((e) => e.action === "enrollment.rate-limited" && e.subject === `token:${looping.id}`);
    expect(inFull).toHaveLength(1);
    expect(inFull[0]?.details).toMatchObject({ code: "RATE_LIMITED", limitPerMinute: 3 });

    const from = new Date(minute * 60_000).toISOString();
    const deadline = Date.now() + 100_000;
    let folded: AuditLine | undefined;
    while (folded === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      folded = (await auditLines(world)).find((e) => e.action === "enrollment.rate-limited" && e.subject === "refusals" && e.details.from === from);
    }
    expect(folded?.details).toMatchObject({ folded: true, count: 3 });
    const byToken = folded?.details.hosts as { name: string; count: number }[] | undefined;
    expect(byToken?.find((t) => t.name === `token:${looping.id}`)?.count).toBe(4);
    // A new minute, a new budget.
    expect((await mintEnrollment(looping.token, "budget-next-minute")).status).toBe(201);
  }, 180_000);
});
