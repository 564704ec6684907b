// Frames from the agent: heartbeats, and signed reports verified with the key the socket was opened
// with, then applied once (command state, D1, the rollback desk, manifests, the host's reported state,
// the audit log) and acknowledged, so the agent's outbox lets go.
import { isRewindError } from "../../../shared/errors.ts";
import type { AuditActor } from "../../../shared/schemas/audit.ts";
import { id as idSchema } from "../../../shared/schemas/common.ts";
import { unverifiedClaim, verifyReport } from "../../../shared/signing.ts";
import { recordRefusal } from "../audit/append.ts";
import { onKeyUpdateResult } from "../keys/host-keys.ts";
import { log } from "../log.ts";
import type { RollbackDesk } from "../rollbacks/durable-object/desk.ts";
import type { ChannelContext } from "./channel-context.ts";
import type { CommandQueue } from "./command-queue.ts";
import { nextState } from "./command-state.ts";
import { insertReport, touchHost } from "./d1-mirror.ts";
import { lastStateKey, preconditionsOf } from "./last-state.ts";
import { storeManifest } from "./manifests.ts";
import { readUpFrame } from "./read-frame.ts";
import { type Attachment, attachmentOf, type Sockets, send } from "./sockets.ts";

/** last_seen in D1 is refreshed by heartbeats at most this often. */
const lastSeenWriteEveryMs = 30_000;

type Claims = Awaited<ReturnType<typeof verifyReport>>;

/** Frames are handed in one at a time, in arrival order (HostChannel's frame queue): a resent copy finds its first copy applied. */
export class Reports {
  constructor(
    private readonly c: ChannelContext,
    private readonly sockets: Sockets,
    private readonly queue: CommandQueue,
    private readonly desk: RollbackDesk,
  ) {}

  async onFrame(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment = { ...attachmentOf(ws), lastFrameAt: Date.now() };
    ws.serializeAttachment(attachment);
    const reading = readUpFrame(message);
    if (!reading.ok) {
      await this.refuseFrame(attachment, reading.code, reading.reason);
      if (reading.code === "PAYLOAD_TOO_LARGE") await this.sockets.close(ws, 1009, "frame too large");
      return;
    }
    const frame = reading.frame;
    if (frame.t === "heartbeat") {
      send(ws, { t: "heartbeat", ts: Date.now() });
      await this.heartbeat(ws, attachment);
      return;
    }
    await this.onReport(ws, attachment, frame.jws);
  }

  private async heartbeat(ws: WebSocket, attachment: Attachment): Promise<void> {
    const now = Date.now();
    if (now - attachment.lastSeenWrite < lastSeenWriteEveryMs) return;
    ws.serializeAttachment({ ...attachment, lastSeenWrite: now });
    await this.c.mirror(() => touchHost(this.c.env, attachment.host, now));
  }

  private async refuseFrame(attachment: Attachment, code: string, reason: string): Promise<void> {
    log.warn("host.frame_refused", { object: this.c.identity(), code, reason });
    await this.refusal(attachment, "agent.frame-refused", { code, reason });
  }

  /**
   * A socket can send junk as fast as it likes (its agent's key, or a connect token caught once):
   * its refusals are folded per minute like unauthenticated ones, not each a permanent entry. The
   * socket stays open past the budget: a genuine agent resending reports its old key signed must
   * still get through to the good ones.
   */
  private async refusal(attachment: Attachment, action: string, details: Record<string, unknown>): Promise<void> {
    const entry = { actor: { kind: "host" as const, host: attachment.host }, action, subject: `host:${attachment.host}`, details };
    try {
      await recordRefusal(this.c.env, { entry, address: attachment.address, host: attachment.host });
    } catch (error) {
      if (!isRewindError(error, "RATE_LIMITED")) throw error;
    }
  }

  private async onReport(ws: WebSocket, attachment: Attachment, jws: string): Promise<void> {
    let claims: Claims;
    try {
      claims = await verifyReport(jws, { key: attachment.key, host: attachment.host });
    } catch (error) {
      if (!isRewindError(error)) throw error;
      log.warn("host.report_refused", { object: this.c.identity(), code: error.code, reason: error.message });
      await this.refusal(attachment, "agent.report-refused", { code: error.code, reason: error.message });
      // Resending cannot make a bad signature good (e.g. a key replaced by re-enrollment): acknowledge
      // it so the agent's outbox lets go; the refusal itself is in the audit log (folded per minute).
      const refusedId = idSchema.safeParse(unverifiedClaim(jws, "jti"));
      if (refusedId.success) send(ws, { t: "report-ack", reportId: refusedId.data });
      return;
    }
    const now = Date.now();
    const reportId = claims.jti;
    if (this.c.store.isReportSeen(reportId)) {
      send(ws, { t: "report-ack", reportId });
      return;
    }
    await this.apply(ws, attachment, jws, claims, now);
  }

  private async apply(ws: WebSocket, attachment: Attachment, jws: string, claims: Claims, now: number): Promise<void> {
    const actor: AuditActor = { kind: "host", host: attachment.host };
    const reportId = claims.jti;
    const report = claims.report;
    const commandId = "commandId" in report ? report.commandId : undefined;
    // Every effect below is idempotent (no backward state moves, keyed inserts), and the report counts
    // as seen only after all of them: an object restarted half-way applies the agent's resend again.
    const command = commandId === undefined ? undefined : this.c.store.get(commandId);
    const target = command === undefined ? undefined : nextState(command.state, { kind: "report", report });
    if (command !== undefined && target !== undefined) {
      const outcome = report.kind === "result" || report.kind === "rejected" ? JSON.stringify(report) : undefined;
      this.c.store.setState(command.id, target, now, outcome);
    }
    // Filed under a command only when it is this host's: command ids are no secret, and a host naming
    // another host's command must not put steps or a result into that command's record.
    const filedUnder = command === undefined ? undefined : commandId;
    await this.c.mirror(() =>
      insertReport(this.c.env, { id: reportId, commandId: filedUnder, host: attachment.host, kind: report.kind, body: report, receivedAt: now }),
    );
    // Synced even without a transition: a retransmit after a failed attempt repairs the D1 copy.
    if (command !== undefined) await this.queue.syncMirror(command.id);
    if (command !== undefined) await this.desk.onReport(command.id, report, attachment.host);
    // An agent announces its manifests on every reconnect: one already stored unchanged is acknowledged
    // without another audit entry (its first announcement and backup.manifest-stored are there).
    const repeated = report.kind === "manifest" && !(await storeManifest(this.c, attachment.host, report.manifest, reportId));
    if (report.kind === "state") {
      const state = preconditionsOf(report);
      await (state === undefined ? this.c.state.storage.delete(lastStateKey) : this.c.state.storage.put(lastStateKey, state));
    }
    if (!repeated) {
      await this.c.audit({
        actor,
        action: "agent.report",
        subject: commandId === undefined ? `host:${attachment.host}` : `command:${commandId}`,
        details: {
          reportId,
          kind: report.kind,
          ...(target === undefined ? {} : { state: target }),
          ...(command === undefined && commandId !== undefined ? { unknownCommand: true } : {}),
        },
        agentJws: jws,
      });
    }
    // After the report's own entry: a promotion it allows follows it in the log.
    if (command !== undefined) await onKeyUpdateResult(this.c.env, attachment.host, report);
    this.c.store.markReportSeen(reportId, now);
    send(ws, { t: "report-ack", reportId });
    await this.c.scheduleAlarm();
  }
}
