// Worker entry: the HTTP API (Hono) plus the Durable Object classes the runtime instantiates.
import { createApp } from "./app.ts";
import type { Env } from "./env.ts";
import { runHostChecks } from "./notify/wiring-run-checks.ts";
import { sweepLostRollbacks } from "./rollbacks/worker/sweep-lost.ts";

export { AuditLog } from "./audit/audit-log-do.ts";
export { HostChannel } from "./host-channel/host-channel.ts";

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runHostChecks(env, controller.scheduledTime));
    ctx.waitUntil(sweepLostRollbacks(env));
  },
} satisfies ExportedHandler<Env>;
