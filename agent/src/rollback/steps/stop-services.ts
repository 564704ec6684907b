// Step 5: downtime starts. Stop the project's containers gracefully, app services before
// infrastructure; the database service (`project.database.service`) stays up when data is restored.
import { stopContainer } from "../../host/docker-start.ts";
import { keptRunning, stopOrder } from "../order.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { documentedOf } from "../step-context.ts";

export async function stopServices(ctx: StepContext): Promise<StepOutput> {
  const { config } = ctx;
  const documented = documentedOf(ctx);
  const order = stopOrder(documented.containers, config.project.infraServices, keptRunning(ctx.request.mode, config.project.database?.service));
  for (const spec of order) {
    ctx.progress(`stopping ${spec.name} (${spec.service})`);
    await stopContainer(ctx.docker, spec.name, config.thresholds.stopTimeoutSeconds);
  }
  return { stopped: order.map((s) => s.name) };
}
