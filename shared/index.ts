// The shared core, loaded by the Worker, the agent and the CLI: no node:* or cloudflare:* imports.
export * from "./canonical-json.ts";
export * from "./errors.ts";
export * from "./schemas/alerts.ts";
export * from "./schemas/audit.ts";
export * from "./schemas/command.ts";
export * from "./schemas/common.ts";
export * from "./schemas/frames.ts";
export * from "./schemas/manifest.ts";
export * from "./schemas/report.ts";
export * from "./schemas/rollback.ts";
export * from "./schemas/zod-error.ts";
export * from "./signing.ts";
