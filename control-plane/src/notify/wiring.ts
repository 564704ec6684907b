// Builds the notifier from the Worker's settings (SNS topic, region, endpoint, credentials; none →
// log only) and hooks it to the rollback lifecycle. Publishing never blocks its caller: requests
// hand the promise to ctx.waitUntil, the HostChannel's transition hook lets it run on in the object.
import { and, eq } from "drizzle-orm";
import { reportedStepId, type ReportedStepId } from "../../../shared/schemas/rollback.ts";
import { SerialQueue } from "../../../shared/serial-queue.ts";
import { appendAudit } from "../audit/append.ts";
import { loadConfig } from "../config.ts";
import { database } from "../db/client.ts";
import { reportArrivalOrder } from "../db/report-order.ts";
import { commandReports } from "../db/schema.ts";
import type { Env } from "../env.ts";
import { errorFields, log } from "../log.ts";
import type { RollbackRecord } from "../rollbacks/record.ts";
import type { RollbackTransitionListener } from "../rollbacks/durable-object/transitions.ts";
import type { NotifyEvent } from "./events.ts";
import { createNotifier, type Notifier } from "./notifier.ts";
import { createPublisher } from "./publisher.ts";
import { firstFailedStep, transitionEvents } from "./wiring-events.ts";

// One notifier per env object (fixed for the isolate's lifetime), like loadConfig's cache.
const notifiers = new WeakMap<object, Notifier>();

export function notifierFor(env: Env): Notifier {
  let notifier = notifiers.get(env);
  if (notifier === undefined) {
    const target = loadConfig(env).sns;
    const consoleUrl = loadConfig(env).publicUrl;
    notifier = createNotifier({
      publisher: createPublisher(target === undefined ? {} : { target }),
      ...(consoleUrl === undefined ? {} : { consoleUrl }),
      record: (entry) => appendAudit(env, entry),
    });
    notifiers.set(env, notifier);
  }
  return notifier;
}

export type WaitUntil = (promise: Promise<unknown>) => void;

/**
 * Starts the notifications and returns at once. `waitUntil` keeps a request's isolate alive until
 * they are published; without one (inside a Durable Object, which outlives the call) they run on.
 */
export function notifyLater(env: Env, events: readonly NotifyEvent[], waitUntil?: WaitUntil): void {
  if (events.length === 0) return;
  const work = (async () => {
    for (const event of events) await notifierFor(env).notify(event);
  })().catch((error: unknown) => log.error("notify.wiring_failed", { events: events.map((e) => e.type), ...errorFields(error) }));
  if (waitUntil !== undefined) waitUntil(work);
}

const isReportedStep = (step: string): step is ReportedStepId => reportedStepId.safeParse(step).success;

/** The step that failed, from the agent's reports on the rollback's command (mirrored in D1). */
async function failedStepOf(env: Env, rollback: RollbackRecord) {
  if (rollback.commandId === undefined) return undefined;
  const rows = await database(env)
    .select({ kind: commandReports.kind, body: commandReports.body })
    .from(commandReports)
    .where(and(eq(commandReports.commandId, rollback.commandId), eq(commandReports.host, rollback.host)))
    .orderBy(...reportArrivalOrder);
  const reports = rows.map((row) => ({ ...(JSON.parse(row.body) as { step?: string; state?: string; message?: string }), kind: row.kind }));
  return firstFailedStep(reports, isReportedStep);
}

/** Notifications of one isolate go out in the order their transitions happened. */
const notifications = new SerialQueue();

/** The rollback desk's listener that notifies operators of a rollback's transitions. */
export const notifyRollbackTransition: RollbackTransitionListener = async (env, rollback, from, to) => {
  const needsStep = to === "failed" || to === "undone";
  const failed = needsStep ? failedStepOf(env, rollback) : Promise.resolve(undefined);
  // Not awaited: the desk's transition must not wait for SNS; failures are logged here.
  void notifications
    .run(async () => {
      const events = transitionEvents(rollback, from, to, await failed);
      for (const event of events) await notifierFor(env).notify(event);
    })
    .catch((error: unknown) => log.error("notify.transition_failed", { rollbackId: rollback.rollbackId, to, ...errorFields(error) }));
};
