// Step 5: downtime starts. Stop the project's containers gracefully, app services before
// infrastructure; the database service stays up when data is restored (the swap runs inside it).
import { stopContainer } from "../../host/docker-start.ts";
import { stopOrder } from "../order.ts";
import type { StepContext, StepOutput } from "../step-context.ts";
import { documentedOf } from "../step-context.ts";

export async function stopServices(ctx: StepContext): Promise<StepOutput> {
  const { config } = ctx;
  const documented = documentedOf(ctx);
  const keepDatabase = ctx.request.mode === "full" && config.project.database !== undefined;
  const order = stopOrder(documented.containers, config.project.infraServices, keepDatabase);
  for (const spec of order) {
    ctx.progress(`stopping ${spec.name} (${spec.service})`);
    await stopContainer(ctx.docker, spec.name, config.thresholds.stopTimeoutSeconds);
  }
  return { stopped: order.map((s) => s.name) };
}
