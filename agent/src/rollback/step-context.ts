// What every step handler receives, Temporal-activity style: the request, the injected clients, the
// abort signal, a progress callback, and the journaled outputs of the steps before it.
import type Docker from "dockerode";
import * as z from "zod";
import { RewindError } from "../../../shared/errors.ts";
import type { ReportedStepId } from "../../../shared/schemas/rollback.ts";
import type { AgentConfig } from "../config.ts";
import type { ContainerSpec } from "../host/docker-start.ts";
import type { RollbackTarget } from "./loaded-backup.ts";
import { rollbackTarget } from "./loaded-backup.ts";
import type { RollbackRequest } from "./request.ts";

export interface StepContext {
  config: AgentConfig;
  request: RollbackRequest;
  docker: Docker;
  signal: AbortSignal;
  /** This rollback's directory under the state dir (journal, logs, report). */
  dir: string;
  progress(message: string, excerpt?: string): void;
  outputs: Partial<Record<ReportedStepId, Record<string, unknown>>>;
}

export type StepOutput = Record<string, unknown>;
export type StepHandler = (ctx: StepContext) => Promise<StepOutput>;

const containerSpec = z.custom<ContainerSpec>((value) => typeof value === "object" && value !== null && "name" in value && "create" in value);

export const documentedState = z.strictObject({
  commit: z.string(),
  branch: z.string(),
  containers: z.array(containerSpec),
  images: z.record(z.string(), z.string()),
  logsDir: z.string(),
  /** Tags holding the images of `containers` (hold-images.ts); absent in journals of older versions. */
  held: z.array(z.string()).optional(),
});
export type DocumentedState = z.output<typeof documentedState>;

function outputOf<S extends z.ZodType>(ctx: StepContext, step: ReportedStepId, schema: S): z.output<S> {
  const result = schema.safeParse(ctx.outputs[step]);
  if (!result.success) {
    throw new RewindError("INTERNAL", `the journal has no usable output of step '${step}'; the rollback cannot continue from it`);
  }
  return result.data;
}

export const targetOfRun = (ctx: StepContext): RollbackTarget => outputOf(ctx, "load-backup", z.strictObject({ target: rollbackTarget })).target;
export const documentedOf = (ctx: StepContext): DocumentedState => outputOf(ctx, "document-state", documentedState);
export const hasOutput = (ctx: StepContext, step: ReportedStepId): boolean => ctx.outputs[step] !== undefined;
/** Names of the containers the stop step stopped (empty before it ran). */
export const stoppedOf = (ctx: StepContext): string[] =>
  ctx.outputs["stop-services"] === undefined ? [] : outputOf(ctx, "stop-services", z.object({ stopped: z.array(z.string()) })).stopped;
/**
 * The services the rolled-back release runs (what verify and watch check): the start step's, or before
 * it ran, those of the documented containers.
 */
export const expectedServicesOf = (ctx: StepContext): string[] =>
  ctx.outputs.start === undefined
    ? [...new Set(documentedOf(ctx).containers.map((c) => c.service))]
    : outputOf(ctx, "start", z.object({ services: z.array(z.string()) })).services;
/**
 * Expected services that are one-shot jobs where they exited 0 (the start step decided them from the
 * compose file's restart policy): not awaited as long-running, nor reported degraded once done.
 */
export const mayFinishOf = (ctx: Pick<StepContext, "outputs">): string[] =>
  z.object({ mayFinish: z.array(z.string()) }).safeParse(ctx.outputs.start).data?.mayFinish ?? [];
/** Containers of the bad release the rolled-back one has no place for: stopped, kept for the undo, removed on success. */
export const retiredOf = (ctx: Pick<StepContext, "outputs">): string[] =>
  z.object({ retired: z.array(z.string()) }).safeParse(ctx.outputs.start).data?.retired ?? [];
