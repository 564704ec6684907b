// After a verified rollback: keep watching health for `thresholds.watchSeconds` (the seed's
// "monitor for 30 minutes") and report every service that degrades.
import { healthSnapshot } from "../../host/health.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { expectedServicesOf, mayFinishOf } from "../step-context.ts";

const pollMs = 5_000;

export async function watch(ctx: StepContext): Promise<StepOutput> {
  const { config } = ctx;
  const services = expectedServicesOf(ctx);
  const deadline = Date.now() + config.thresholds.watchSeconds * 1000;
  const degraded = new Set<string>();
  while (Date.now() < deadline && !ctx.signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
    for (const status of await healthSnapshot(ctx.docker, config.project.name, services, mayFinishOf(ctx))) {
      if (!status.ok && !degraded.has(status.service)) {
        degraded.add(status.service);
        ctx.progress(`${status.service} degraded: ${status.state}/${status.health}`);
      }
    }
  }
  return { degraded: [...degraded] };
}
