// The rollback desk inside a host's HostChannel Durable Object: takes requests, approvals and cancels
// for that host one at a time (a promise chain, since D1 and signing awaits would otherwise let
// requests interleave), queues the signed command, and moves each rollback as the agent reports.
import { RewindError } from "../../../../shared/errors.ts";
import type { AuditActor, NewAuditEntry } from "../../../../shared/schemas/audit.ts";
import type { CommandAction, CommandState, Preconditions } from "../../../../shared/schemas/command.ts";
import type { Report } from "../../../../shared/schemas/report.ts";
import { inFlightRollbackStates, type RollbackState } from "../../../../shared/schemas/rollback-states.ts";
import { randomId } from "../../../../shared/signing.ts";
import { appendAudit } from "../../audit/append.ts";
import { findBackup } from "../../backups/catalog.ts";
import type { DurableSqlite } from "../../durable-sqlite.ts";
import { loadConfig } from "../../config.ts";
import type { Env } from "../../env.ts";
import { mirrorRollback } from "./d1-mirror.ts";
import { decideAbandon, heardFrom, type LostBudget, lostDeadline, lostOutcome } from "./deadline.ts";
import { decideLockedRetry, lockedWaitAfter } from "./locked-retry.ts";
import { decideApproval, decideCancel, effectOfCommandState, effectOfReport, type ReportEffect, type WaitingEnd } from "./lifecycle.ts";
import { type RollbackRecord, requesterName } from "../record.ts";
import type { RollbackRequestInput } from "../worker/request.ts";
import { requestFacts } from "./request-facts.ts";
import { RollbackStore } from "./desk-store.ts";
import { emitRollbackTransition, type RollbackTransitionListener } from "./transitions.ts";
import { SerialQueue } from "../../../../shared/serial-queue.ts";

const cancelCommandTtlSeconds = 5 * 60;

/** What the desk needs from its HostChannel: sign and queue a command, withdraw an unsent one. */
export interface CommandPort {
  enqueueAction(action: CommandAction, createdBy: string, ttlSeconds: number, pre?: Preconditions): Promise<{ commandId: string }>;
  /** The host's commit and images as its agent last reported them, if it did. */
  hostState(): Promise<Preconditions | undefined>;
  withdraw(commandId: string): Promise<void>;
  commandState(commandId: string): CommandState | undefined;
  commandExpiresAt(commandId: string): number | undefined;
}

export interface DeskAnswer {
  rollbackId: string;
  state: RollbackState;
}

/** What the audit log records about one change of a rollback; the subject is the rollback. */
type RollbackAudit = Omit<NewAuditEntry, "subject">;

export class RollbackDesk {
  private readonly store: RollbackStore;
  private readonly queue = new SerialQueue();

  constructor(
    db: DurableSqlite,
    private readonly env: Env,
    private readonly commands: CommandPort,
    private readonly lostBudget: () => LostBudget,
    private readonly listeners: readonly RollbackTransitionListener[],
  ) {
    this.store = new RollbackStore(db);
  }

  /**
   * Every change of a rollback goes this way, in this order: kept in the Durable Object, mirrored to
   * D1 for the API, audited (when `audit` is given), then, if its state changed from the stored one
   * (or it is new), told to the listeners.
   */
  private async commit(record: RollbackRecord, audit?: RollbackAudit): Promise<void> {
    const from = this.store.get(record.rollbackId)?.state;
    this.store.put(record);
    await mirrorRollback(this.env, record);
    if (audit !== undefined) await appendAudit(this.env, { ...audit, subject: `rollback:${record.rollbackId}` });
    if (from !== record.state) await emitRollbackTransition(this.listeners, this.env, record, from, record.state);
  }

  /** Runs `work` after every earlier desk operation of this host finished. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    return this.queue.run(work);
  }

  request(input: RollbackRequestInput): Promise<DeskAnswer> {
    return this.serialized(async () => {
      const running = this.store.withStates(inFlightRollbackStates)[0];
      if (running !== undefined) {
        throw new RewindError("CONFLICT", `host ${input.host} already has rollback ${running.rollbackId} ${running.state}`, {
          details: { rollbackId: running.rollbackId, state: running.state },
        });
      }
      const { host, backup } = await requestFacts(this.env, input);
      // The state this decision is made on, signed into the command: a host changed by the time the
      // command reaches it (fixed forward, rolled back by hand) refuses it. A host asking for its
      // own rollback (`rewind deploy`) asks from the state it is in, maybe not reported yet.
      const pre = input.requestedBy.kind === "host" ? undefined : await this.commands.hostState();
      const now = Date.now();
      const needsApproval = host.requireApproval && !input.automatic;
      const record: RollbackRecord = {
        rollbackId: randomId(),
        host: input.host,
        backupId: backup.backupId,
        mode: input.mode ?? "full",
        reason: input.reason,
        state: needsApproval ? "pending-approval" : "queued",
        requestedBy: input.requestedBy,
        automatic: input.automatic,
        ...(input.source === undefined ? {} : { source: input.source }),
        approvalsRequired: needsApproval ? host.approvalsRequired : 0,
        approvals: [],
        ...(needsApproval ? { expiresAt: now + host.approvalWindowSeconds * 1000 } : {}),
        servicesStopped: false,
        ...(pre === undefined ? {} : { pre }),
        createdAt: now,
        updatedAt: now,
      };
      await this.commit(record, {
        actor: input.requestedBy,
        action: "rollback.requested",
        details: {
          host: record.host,
          backupId: record.backupId,
          backupNamed: input.backupId !== undefined,
          mode: record.mode,
          reason: record.reason,
          automatic: record.automatic,
          ...(record.source === undefined ? {} : { source: record.source }),
          state: record.state,
          ...(needsApproval ? { approvalsRequired: record.approvalsRequired } : {}),
        },
      });
      if (!needsApproval) await this.queueCommand(record, input.requestedBy);
      return { rollbackId: record.rollbackId, state: record.state };
    });
  }

  /**
   * Signs and queues the `rollback` command; the rollback is (already) `queued`. If that fails the
   * rollback fails with it, so a rollback without a command never blocks the host.
   */
  private async queueCommand(record: RollbackRecord, actor: AuditActor, ttlSeconds = loadConfig(this.env).rollbackCommandTtlSeconds): Promise<void> {
    try {
      await this.sendCommand(record, actor, ttlSeconds);
    } catch (error) {
      const code = error instanceof RewindError ? error.code : "INTERNAL";
      const message = `could not queue the rollback command: ${error instanceof Error ? error.message : String(error)}`;
      await this.move(this.store.get(record.rollbackId) ?? record, { state: "failed", outcome: { code, message } }, { kind: "system" });
      throw error;
    }
  }

  private async sendCommand(record: RollbackRecord, actor: AuditActor, ttlSeconds: number): Promise<void> {
    // The host may have to fetch this backup's manifest back from its off-site bucket: the signed
    // hash of the manifest it reported is what lets it tell the genuine one from a planted one.
    const backup = await findBackup(this.env, record.host, record.backupId);
    const action: CommandAction = {
      type: "rollback",
      rollbackId: record.rollbackId,
      backupId: record.backupId,
      ...(backup === undefined ? {} : { manifestSha256: backup.sha256 }),
      mode: record.mode,
      reason: record.reason,
    };
    const { commandId } = await this.commands.enqueueAction(action, requesterName(actor), ttlSeconds, record.pre);
    const current = this.store.get(record.rollbackId) ?? record;
    const updated: RollbackRecord = { ...current, commandId, updatedAt: Date.now() };
    await this.commit(updated, {
      actor,
      action: "rollback.queued",
      details: { host: record.host, commandId, backupId: record.backupId, ...(record.lockedWait ? { retry: record.lockedWait.attempts } : {}) },
    });
  }

  private async move(record: RollbackRecord, effect: ReportEffect, actor: AuditActor, details: Record<string, unknown> = {}): Promise<RollbackRecord> {
    const now = Date.now();
    const to = effect.state;
    const updated: RollbackRecord = {
      ...record,
      ...(to === undefined ? {} : { state: to }),
      ...(effect.servicesStopped ? { servicesStopped: true } : {}),
      ...(effect.downtimeMs === undefined ? {} : { downtimeMs: effect.downtimeMs }),
      ...(effect.outcome === undefined ? {} : { outcome: effect.outcome }),
      updatedAt: now,
    };
    const changed = to !== undefined && to !== record.state;
    await this.commit(
      updated,
      changed
        ? {
            actor,
            action: "rollback.state-changed",
            details: {
              host: record.host,
              from: record.state,
              to,
              ...(effect.downtimeMs === undefined ? {} : { downtimeMs: effect.downtimeMs }),
              ...(effect.outcome === undefined ? {} : { outcome: effect.outcome }),
              ...details,
            },
          }
        : undefined,
    );
    return updated;
  }

  approve(rollbackId: string, approver: AuditActor & { kind: "token" }): Promise<DeskAnswer & { approvals: number; approvalsRequired: number }> {
    return this.serialized(async () => {
      const record = this.store.mustGet(rollbackId);
      const now = Date.now();
      const decision = decideApproval(record, approver.tokenId, now);
      if (decision.kind === "refuse") {
        await appendAudit(this.env, {
          actor: approver,
          action: "rollback.approval-refused",
          subject: `rollback:${rollbackId}`,
          details: { host: record.host, code: decision.code, reason: decision.message },
        });
        throw new RewindError(decision.code, decision.message, { details: { rollbackId } });
      }
      const approvals = [...record.approvals, { tokenId: approver.tokenId, at: now }];
      let updated: RollbackRecord = { ...record, approvals, updatedAt: now };
      await this.commit(updated, {
        actor: approver,
        action: "rollback.approved",
        details: { host: record.host, approvals: approvals.length, approvalsRequired: record.approvalsRequired },
      });
      if (decision.complete) {
        const { expiresAt: _expired, ...rest } = updated;
        updated = await this.move(rest, { state: "queued" }, approver, { approvals: approvals.map((a) => a.tokenId) });
        await this.queueCommand(updated, approver);
      }
      return { rollbackId, state: updated.state, approvals: approvals.length, approvalsRequired: record.approvalsRequired };
    });
  }

  cancel(rollbackId: string, actor: AuditActor): Promise<DeskAnswer & { cancelRequested: boolean }> {
    return this.serialized(async () => {
      const record = this.store.mustGet(rollbackId);
      const command = record.commandId === undefined ? undefined : this.commands.commandState(record.commandId);
      const decision = decideCancel(record, command);
      if (decision.kind === "refuse") {
        await appendAudit(this.env, {
          actor,
          action: "rollback.cancel-refused",
          subject: `rollback:${rollbackId}`,
          details: { host: record.host, state: record.state, reason: decision.message },
        });
        throw new RewindError(decision.code, decision.message, { details: { rollbackId, state: record.state } });
      }
      if (decision.kind === "withdraw-command") await this.commands.withdraw(decision.commandId);
      if (decision.kind === "ask-agent") {
        const { commandId } = await this.commands.enqueueAction(
          { type: "cancel", targetCommandId: decision.commandId },
          requesterName(actor),
          cancelCommandTtlSeconds,
        );
        const updated: RollbackRecord = { ...record, cancelCommandId: commandId, updatedAt: Date.now() };
        await this.commit(updated, {
          actor,
          action: "rollback.cancel-requested",
          details: { host: record.host, commandId, targetCommandId: decision.commandId },
        });
        return { rollbackId, state: updated.state, cancelRequested: true };
      }
      const cancelled = await this.move(record, { state: "cancelled" }, actor, { by: requesterName(actor) });
      return { rollbackId, state: cancelled.state, cancelRequested: true };
    });
  }

  /** Cancels the waiting requests `end` picks (token revoked, host retired); with `unlessBusy` (what to do first), refuses while a rollback is queued or running. */
  cancelWaiting(end: (record: RollbackRecord) => WaitingEnd | undefined, actor: AuditActor, unlessBusy?: string): Promise<string[]> {
    return this.serialized(async () => {
      const busy = unlessBusy === undefined ? undefined : this.store.withStates(["queued", "running"])[0];
      if (busy !== undefined)
        throw new RewindError("CONFLICT", `rollback ${busy.rollbackId} is ${busy.state}: ${unlessBusy}`, { details: { rollbackId: busy.rollbackId } });
      const ended: string[] = [];
      for (const record of this.store.withStates(["pending-approval"])) {
        const why = end(record);
        if (why === undefined) continue;
        await this.move(record, { state: "cancelled", outcome: why.outcome }, actor, { by: requesterName(actor), ...why.details });
        ended.push(record.rollbackId);
      }
      return ended;
    });
  }

  /** A verified report about one of this host's commands: moves the rollback it carries, if any. */
  onReport(commandId: string, report: Report, host: string): Promise<void> {
    return this.serialized(async () => {
      const record = this.store.byCommand(commandId);
      if (record === undefined) {
        // Another command of this host finished: a rollback refused LOCKED may go now.
        if (report.kind === "result") await this.retryWaiting(Date.now(), true);
        return;
      }
      if (report.kind === "rejected" && report.code === "LOCKED" && record.state === "queued") {
        await this.waitForHost(record, commandId, report.reason);
        return;
      }
      const effect = effectOfReport(record, report);
      if (effect.state === undefined && effect.servicesStopped === undefined) {
        // Any word about the command pushes a running rollback's lost deadline out.
        if (record.state === "running") this.store.put(heardFrom(record, report, Date.now()));
        return;
      }
      await this.move(heardFrom(record, report, Date.now()), effect, { kind: "host", host }, { commandId });
    });
  }

  private async waitForHost(record: RollbackRecord, commandId: string, reason: string): Promise<void> {
    const now = Date.now();
    const lockedWait = lockedWaitAfter(record, reason, now, this.commands.commandExpiresAt(commandId) ?? now);
    const updated: RollbackRecord = { ...record, lockedWait, updatedAt: now };
    await this.commit(updated, {
      actor: { kind: "host", host: record.host },
      action: "rollback.waiting-for-host",
      details: {
        host: record.host,
        commandId,
        code: "LOCKED",
        reason,
        attempts: lockedWait.attempts,
        validUntil: new Date(lockedWait.validUntil).toISOString(),
      },
    });
  }

  /** Sends a waiting rollback again (a new signed command) when its host may be free, or gives up at its validity's end. */
  private async retryWaiting(now: number, hostFree: boolean): Promise<void> {
    for (const record of this.store.withStates(["queued"])) {
      const decision = decideLockedRetry(record, now, hostFree);
      if (decision.kind === "give-up") await this.move(record, { state: "failed", outcome: decision.outcome }, { kind: "system" });
      if (decision.kind !== "resend" || record.lockedWait === undefined) continue;
      const { retryAt: _sent, ...wait } = record.lockedWait;
      const resending: RollbackRecord = { ...record, lockedWait: wait, updatedAt: now };
      this.store.put(resending);
      await this.queueCommand(resending, { kind: "system" }, decision.ttlSeconds).catch(() => undefined);
    }
  }

  retryLocked(now: number): Promise<void> {
    return this.serialized(() => this.retryWaiting(now, false));
  }

  /** Running rollbacks whose agent stayed silent past their deadline: lost, so the host is free again. */
  markLost(now: number): Promise<void> {
    return this.serialized(async () => {
      const budget = this.lostBudget();
      for (const record of this.store.withStates(["running"])) {
        const deadline = lostDeadline(record, budget);
        if (deadline === undefined || deadline > now) continue;
        await this.move(record, { state: "lost", outcome: lostOutcome(record, budget) }, { kind: "system" }, { deadline: new Date(deadline).toISOString() });
      }
    });
  }

  /** An admin gives up on a running rollback whose agent is gone for good, before its deadline. */
  abandon(rollbackId: string, actor: AuditActor, reason: string): Promise<DeskAnswer> {
    return this.serialized(async () => {
      const record = this.store.mustGet(rollbackId);
      const decision = decideAbandon(record);
      if (decision.kind === "refuse") {
        await appendAudit(this.env, {
          actor,
          action: "rollback.abandon-refused",
          subject: `rollback:${rollbackId}`,
          details: { host: record.host, state: record.state, reason: decision.message },
        });
        throw new RewindError(decision.code, decision.message, { details: { rollbackId, state: record.state } });
      }
      const outcome = { code: "ABANDONED", message: `abandoned by ${requesterName(actor)}: ${reason}` };
      const lost = await this.move(record, { state: "lost", outcome }, actor, { abandoned: true, by: requesterName(actor), reason });
      return { rollbackId, state: lost.state };
    });
  }

  /** The control plane itself moved a command (expiry): a rollback never picked up expires with it. */
  onCommandState(commandId: string, state: CommandState): Promise<void> {
    return this.serialized(async () => {
      const record = this.store.byCommand(commandId);
      if (record === undefined) return;
      const effect = effectOfCommandState(record, state);
      if (effect.state !== undefined) await this.move(record, effect, { kind: "system" }, { commandId });
    });
  }

  /** Requests whose approval window closed. */
  expireApprovals(now: number): Promise<void> {
    return this.serialized(async () => {
      for (const record of this.store.withStates(["pending-approval"])) {
        if (record.expiresAt === undefined || record.expiresAt > now) continue;
        const waitedS = Math.round((record.expiresAt - record.createdAt) / 1000);
        await this.move(record, { state: "expired", outcome: { code: "EXPIRED", message: `not approved within ${waitedS} s` } }, { kind: "system" });
      }
    });
  }

  /** When the Durable Object must wake for the desk: the earliest approval or lost deadline. */
  nextWake(): number | undefined {
    return this.store.nextDeadline(this.lostBudget());
  }
}
