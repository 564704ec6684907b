// The Hono application: body limit first, then the routes, with errors mapped to JSON in one place.
import { Hono } from "hono";
import { hostRequestRoutes } from "./alerts/host-requests.ts";
import { alertRoutes } from "./alerts/routes.ts";
import { auditRoutes } from "./audit/routes.ts";
import { requireRole } from "./auth/middleware.ts";
import { hostBackupRoutes } from "./backups/routes.ts";
import { consoleRoutes } from "./console/routes.ts";
import type { AppEnv } from "./http/app-env.ts";
import { limitBody } from "./http/body.ts";
import { signingKeyRoutes } from "./keys/routes.ts";
import { notFound, onError } from "./http/errors.ts";
import { notificationCheckRoutes } from "./notify/wiring-run-checks.ts";
import { agentConnectRoutes } from "./routes/agent-connect.ts";
import { agentEnrollRoutes } from "./routes/agent-enroll.ts";
import { commandRoutes, hostCommandRoutes } from "./routes/commands.ts";
import { enrollmentRoutes } from "./routes/enrollments.ts";
import { healthRoutes } from "./routes/health.ts";
import { hostListRoutes } from "./routes/hosts.ts";
import { meRoutes } from "./routes/me.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { rollbackRoutes } from "./rollbacks/worker/routes.ts";

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.notFound(notFound);
  app.use("/v1/*", limitBody);
  app.route("/", healthRoutes);
  app.route("/", consoleRoutes);
  app.route("/v1/tokens", tokenRoutes);
  app.route("/v1/enrollments", enrollmentRoutes);
  app.route("/v1/agents/enroll", agentEnrollRoutes);
  app.route("/v1/agents/connect", agentConnectRoutes);
  app.route("/v1/agents/rollback-requests", hostRequestRoutes);
  app.route("/v1/alerts", alertRoutes);
  app.route("/v1/notifications", notificationCheckRoutes);
  app.route("/v1/hosts", hostListRoutes);
  app.route("/v1/hosts", hostCommandRoutes);
  app.route("/v1/hosts", hostBackupRoutes);
  app.route("/v1/commands", commandRoutes);
  app.route("/v1/me", meRoutes);
  app.route("/v1/signing-keys", signingKeyRoutes);
  app.route("/v1/rollbacks", rollbackRoutes);
  app.use("/v1/audit", requireRole("auditor"));
  app.use("/v1/audit/*", requireRole("auditor"));
  app.route("/v1/audit", auditRoutes);
  return app;
}
