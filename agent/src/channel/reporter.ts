// Reports up the socket: each is signed with the agent's key, written to the outbox, then sent if
// the socket is open. After every (re)connect the whole outbox is resent in order; a `report-ack`
// removes one. The control plane must therefore accept the same report id twice and store it once.
import { decodeJwt } from "jose";
import type { Report } from "../../../shared/schemas/report.ts";
import { type PrivateJwk, signReport } from "../../../shared/signing.ts";
import type { Logger } from "../log.ts";
import type { Outbox } from "./outbox.ts";
import { SerialQueue } from "../../../shared/serial-queue.ts";

export interface ReporterOptions {
  host: string;
  agentKey: PrivateJwk;
  outbox: Outbox;
  /** Sends one report frame; false when offline. */
  send(jws: string): boolean;
  log: Logger;
}

/** The command an `ack` report acknowledges, read back from our own signed token. */
function ackedCommand(jws: string): string | undefined {
  const claims = decodeJwt(jws) as { report?: { kind?: unknown; commandId?: unknown } };
  return claims.report?.kind === "ack" && typeof claims.report.commandId === "string" ? claims.report.commandId : undefined;
}

export class Reporter {
  readonly #options: ReporterOptions;
  /** command id → id of its ack report (undefined while being signed), until the control plane stored it. */
  readonly #pendingAcks = new Map<string, string | undefined>();
  /** Reports are persisted and sent one after another so the control plane sees them in order. */
  readonly #queue = new SerialQueue();
  /**
   * False from a disconnect until the outbox was resent after the next welcome: a report sent live
   * on a fresh socket would otherwise overtake the older ones still waiting in the outbox.
   */
  #ready = false;

  constructor(options: ReporterOptions) {
    this.#options = options;
    for (const { reportId, jws } of options.outbox.pending()) {
      const commandId = ackedCommand(jws);
      if (commandId !== undefined) this.#pendingAcks.set(commandId, reportId);
    }
  }

  /**
   * True while this agent's ack for the command has not reached the control plane: a second
   * delivery of that command is then the control plane's redelivery, not a replay to report.
   */
  ackInFlight(commandId: string): boolean {
    return this.#pendingAcks.has(commandId);
  }

  /** Resolves once the signed report is on disk (not once it is acknowledged). */
  report(report: Report): Promise<void> {
    if (report.kind === "ack") this.#pendingAcks.set(report.commandId, undefined);
    // In order; a failure goes to this report's caller and the next report still goes.
    return this.#queue.run(async () => {
      const jws = await signReport(report, this.#options.host, this.#options.agentKey);
      const reportId = decodeJwt(jws).jti;
      if (typeof reportId !== "string") throw new TypeError("signReport produced a token without jti");
      if (report.kind === "ack") this.#pendingAcks.set(report.commandId, reportId);
      await this.#options.outbox.add({ reportId, jws });
      const sent = this.#ready && this.#options.send(jws);
      const commandId = "commandId" in report ? report.commandId : undefined;
      this.#options.log.debug({ reportId, kind: report.kind, commandId, sent }, sent ? "report sent" : "report kept for later");
    });
  }

  /** After a (re)connect: everything not yet acknowledged goes again, oldest first. */
  resendPending(): Promise<void> {
    return this.#queue.run(() => {
      const pending = this.#options.outbox.pending();
      for (const { jws } of pending) {
        if (!this.#options.send(jws)) return;
      }
      this.#ready = true;
      if (pending.length > 0) this.#options.log.info({ count: pending.length }, "resent unacknowledged reports");
    });
  }

  /** The socket closed: new reports wait in the outbox until the next welcome resends them in order. */
  disconnected(): void {
    this.#ready = false;
  }

  async acknowledged(reportId: string): Promise<void> {
    for (const [commandId, ackId] of this.#pendingAcks) {
      if (ackId === reportId) this.#pendingAcks.delete(commandId);
    }
    const known = await this.#options.outbox.ack(reportId);
    if (!known) this.#options.log.debug({ reportId }, "ack for a report no longer in the outbox");
  }
}
