// The agent: one outbound connection, every frame through the verification gate, verified commands
// dispatched to per-action handlers, every outcome (ack, rejection, progress, result) reported up
// signed. Rollback and backup run one at a time; `ping` and `cancel` are built in.
import { canonicalJson } from "../../shared/canonical-json.ts";
import { isRewindError } from "../../shared/errors.ts";
import { type CommandClaims, type CommandType, maxCommandTtlSeconds } from "../../shared/schemas/command.ts";
import type { DownFrame } from "../../shared/schemas/frames.ts";
import type { BackupManifest } from "../../shared/schemas/manifest.ts";
import type { Report } from "../../shared/schemas/report.ts";
import { clockToleranceSeconds, type PublicJwk } from "../../shared/signing.ts";
import type { BackoffPolicy } from "./channel/backoff.ts";
import { AgentConnection } from "./channel/connection.ts";
import { takeHostFor } from "./channel/host-admission.ts";
import { NonceStore } from "./channel/nonce-store.ts";
import { Outbox } from "./channel/outbox.ts";
import { type HostState, preconditionDifferences } from "./channel/preconditions.ts";
import { mergePinnedKeys } from "./channel/key-update.ts";
import { Reporter } from "./channel/reporter.ts";
import { parseDownFrame, type Rejection, verifyCommandFrame } from "./channel/verify-command.ts";
import type { AgentConfig } from "./config.ts";
import type { HostLock } from "./host/host-lock.ts";
import type { Logger } from "./log.ts";
import { agentVersion } from "./version.ts";

export interface HandlerContext {
  /** Sends a progress (or other) report up, signed; resolves once it is safely in the outbox. Never rejects: a report that cannot be kept is logged. */
  report(report: Report): Promise<void>;
  /** Aborted by a `cancel` command for this one, or when the agent stops. */
  signal: AbortSignal;
  /** The host-wide lock, taken for a host-changing command before it was acknowledged; released when it ends. */
  hostLock?: HostLock;
}

export interface HandlerResult {
  ok: boolean;
  code?: string;
  message?: string;
  output?: Record<string, unknown>;
}

export type CommandHandler = (claims: CommandClaims, ctx: HandlerContext) => Promise<HandlerResult>;

/** Actions that change the host: never two at once. */
const exclusiveActions: readonly CommandType[] = ["rollback", "backup"];

export interface AgentOptions {
  config: AgentConfig;
  log: Logger;
  /** Handlers by action type; `ping` and `cancel` are built in unless overridden. */
  handlers?: Partial<Record<CommandType, CommandHandler>>;
  /** Reads the host's commit and images for preconditions; without it, commands carrying `pre` are refused. */
  currentState?: () => Promise<HostState>;
  /** Writes the pinned control-plane keys back to the agent config; without it, key-update commands fail. */
  persistKeys?: (keys: readonly PublicJwk[]) => Promise<void>;
  /** The manifests of the backups on disk, announced on every connect so the control plane knows them. */
  backupManifests?: () => Promise<BackupManifest[]>;
  backoff?: BackoffPolicy;
  /**
   * How often the host state is read and, when it changed (a deploy, a hand-made rollback), reported:
   * the control plane signs the last reported state into rollback commands as their precondition.
   */
  stateIntervalMs?: number;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
}

export interface RunningAgent {
  readonly connected: boolean;
  /**
   * Runs work that belongs to a command accepted before a restart (a rollback resumed from its
   * journal) as that command: it counts as running (cancel, one host-changing action at a time),
   * and its reports and final result go up under the original command id. No second ack is sent.
   */
  adopt(commandId: string, type: CommandType, work: (ctx: HandlerContext) => Promise<HandlerResult>): Promise<void>;
  /** Announces one backup found after connecting (signed, kept in the outbox until the control plane has it). */
  announceBackup(manifest: BackupManifest): Promise<void>;
  /** Closes the socket, aborts running handlers and waits up to graceMs for their results. */
  stop(graceMs?: number): Promise<void>;
}

interface Running {
  type: CommandType;
  controller: AbortController;
  done: Promise<void>;
}

export const pingHandler: CommandHandler = async () => ({ ok: true, output: { pong: new Date().toISOString() } });

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const { config, log } = options;
  const controlPlane = config.controlPlane;
  const agentKey = config.agentKey;
  if (controlPlane === undefined || agentKey === undefined) {
    throw new TypeError("the agent config has no controlPlane or agentKey: run `rewind agent enroll` first");
  }
  const nonces = await NonceStore.open(config.stateDir);
  const outbox = await Outbox.open(config.stateDir);
  const running = new Map<string, Running>();
  /** Grows only through a verified key-update command (key rotation); never learned otherwise. */
  let pinnedKeys: readonly PublicJwk[] = controlPlane.keys;
  const handlers: Partial<Record<CommandType, CommandHandler>> = {
    ping: pingHandler,
    "key-update": async (claims) => {
      if (claims.action.type !== "key-update") return { ok: false, code: "MALFORMED", message: "not a key-update command" };
      const merged = mergePinnedKeys(pinnedKeys, claims.action.keys);
      if (merged.added.length > 0) {
        if (options.persistKeys === undefined) return { ok: false, code: "UNAVAILABLE", message: "this agent cannot write its config to pin keys" };
        // Written before it is used: a restart must not forget a key the control plane counts as pinned.
        await options.persistKeys(merged.keys);
        pinnedKeys = merged.keys;
        log.info({ added: merged.added }, "pinned new control-plane keys");
      }
      return { ok: true, output: { pinnedKeys: pinnedKeys.flatMap((key) => (key.kid === undefined ? [] : [key.kid])), added: merged.added } };
    },
    cancel: async (claims) => {
      if (claims.action.type !== "cancel") return { ok: false, code: "MALFORMED", message: "not a cancel command" };
      const target = running.get(claims.action.targetCommandId);
      if (target === undefined) {
        // Kept with the nonces: the target may arrive after a restart and must not run then either.
        // Recorded in memory before the first await, in the same step as the look-up above: the
        // target's start (onCommand) checks and starts in one step too, so it cannot slip between.
        await nonces.cancelBeforeStart(claims.action.targetCommandId, claims.exp + maxCommandTtlSeconds + clockToleranceSeconds);
        return {
          ok: false,
          code: "NOT_FOUND",
          message: `command ${claims.action.targetCommandId} is not running on this host; it will not start if it arrives later`,
        };
      }
      target.controller.abort(new Error(`cancelled by command ${claims.jti}`));
      return { ok: true, output: { cancelled: claims.action.targetCommandId } };
    },
    ...options.handlers,
  };

  let connection: AgentConnection | undefined;
  const reporter = new Reporter({
    host: config.host,
    agentKey,
    outbox,
    log,
    send: (jws) => connection?.send({ t: "report", jws }) ?? false,
  });

  const report = async (r: Report): Promise<void> => {
    try {
      await reporter.report(r);
    } catch (error) {
      log.error({ err: error, kind: r.kind }, "could not persist a report; it is lost");
    }
  };

  const refuse = async (rejection: Rejection): Promise<void> => {
    log.warn({ commandId: rejection.commandId, code: rejection.code, reason: rejection.reason }, "command rejected, not executed");
    await report({ kind: "rejected", ...rejection, reason: truncate(rejection.reason, 1000) });
  };

  let lastState: string | undefined;
  /** Reports the host state; unless `always`, only when it differs from the last one reported. */
  const sendState = async (always: boolean): Promise<void> => {
    if (options.currentState === undefined) return;
    try {
      const state = await options.currentState();
      const text = canonicalJson(state);
      if (!always && text === lastState) return;
      await report({ kind: "state", ...state });
      lastState = text;
    } catch (error) {
      log.warn({ err: error }, "could not read the host state for a state report");
    }
  };

  const announceBackups = async (): Promise<void> => {
    if (options.backupManifests === undefined) return;
    try {
      for (const manifest of await options.backupManifests()) await report({ kind: "manifest", manifest });
    } catch (error) {
      log.warn({ err: error }, "could not read the local backup manifests to announce them");
    }
  };

  const runAs = async (
    commandId: string,
    type: CommandType,
    work: (ctx: HandlerContext) => Promise<HandlerResult>,
    announce: () => Promise<void>,
    hostLock?: HostLock,
  ): Promise<void> => {
    const controller = new AbortController();
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    running.set(commandId, { type, controller, done });
    await announce();
    let result: HandlerResult;
    try {
      result = await work({ report, signal: controller.signal, ...(hostLock === undefined ? {} : { hostLock }) });
    } catch (error) {
      const code = isRewindError(error) ? error.code : "INTERNAL";
      log.error({ err: error, commandId, code }, "command handler failed");
      result = { ok: false, code, message: error instanceof Error ? error.message : String(error) };
    } finally {
      running.delete(commandId);
    }
    // Free before the result goes up: the control plane sends a rollback it kept waiting on that result.
    await hostLock?.release().catch((error: unknown) => log.error({ err: error, commandId }, "could not release the host lock"));
    log.info({ commandId, action: type, ok: result.ok, code: result.code }, "command finished");
    await report({
      kind: "result",
      commandId,
      ok: result.ok,
      ...(result.code === undefined ? {} : { code: result.code }),
      ...(result.message === undefined ? {} : { message: truncate(result.message, 4000) }),
      ...(result.output === undefined ? {} : { output: result.output }),
    });
    // A rollback changed the commit and images: the next command's precondition must see that.
    await sendState(false);
    finished();
  };

  const execute = (claims: CommandClaims, handler: CommandHandler, hostLock?: HostLock): Promise<void> =>
    runAs(
      claims.jti,
      claims.action.type,
      (ctx) => handler(claims, ctx),
      async () => {
        log.info({ commandId: claims.jti, action: claims.action.type }, "command accepted");
        await report({ kind: "ack", commandId: claims.jti });
      },
      hostLock,
    );

  /** Why a command's preconditions (the host state its decision was made on) do not hold, if they do not. */
  const unmetPreconditions = async (claims: CommandClaims): Promise<Rejection | undefined> => {
    if (claims.pre === undefined) return undefined;
    if (options.currentState === undefined) {
      return { commandId: claims.jti, code: "PRECONDITION_FAILED", reason: "this agent cannot read the host state to check preconditions" };
    }
    let differences: string[];
    try {
      differences = preconditionDifferences(claims.pre, await options.currentState());
    } catch (error) {
      const reason = `cannot read the host state: ${error instanceof Error ? error.message : String(error)}`;
      return { commandId: claims.jti, code: "PRECONDITION_FAILED", reason };
    }
    if (differences.length === 0) return undefined;
    return { commandId: claims.jti, code: "PRECONDITION_FAILED", reason: `the host moved on: ${differences.join("; ")}` };
  };

  const onCommand = async (frame: { id: string; jws: string }): Promise<void> => {
    const verdict = await verifyCommandFrame(frame, { keys: pinnedKeys, host: config.host, nonces });
    if (!verdict.ok) {
      const { code, commandId } = verdict.rejection;
      // The control plane redelivers until our ack reaches it; a REPLAYED report would then race the
      // ack and mark a running command rejected. Not executed again either way.
      if (code === "REPLAYED" && commandId === frame.id && reporter.ackInFlight(frame.id)) {
        log.info({ commandId }, "redelivery of a command already accepted (ack on its way); not executed again");
        return;
      }
      // Cancelled before it started, then the agent restarted: its nonce was kept when it first came,
      // so its redelivery is a replay. Its answer is the one it would have had: cancelled, never run.
      if (code === "REPLAYED" && commandId === frame.id && (await nonces.takeCancelled(frame.id))) {
        log.info({ commandId }, "redelivery of a command cancelled before it started; not executed");
        await report({ kind: "result", commandId, ok: false, code: "CANCELLED", message: "cancelled before it started; nothing was done" });
        return;
      }
      return refuse(verdict.rejection);
    }
    const claims = verdict.claims;
    let hostLock: HostLock | undefined;
    if (exclusiveActions.includes(claims.action.type)) {
      const busy = [...running.entries()].find(([, r]) => exclusiveActions.includes(r.type));
      if (busy !== undefined) {
        return refuse({ commandId: claims.jti, code: "LOCKED", reason: `${busy[1].type} ${busy[0]} is still running on this host` });
      }
      // Another process may hold the host (a cron backup, a deploy): refused here, before the ack,
      // the control plane keeps the command's work waiting and sends it again.
      const admission = await takeHostFor(config.stateDir, claims);
      if (!admission.ok) return refuse(admission.rejection);
      hostLock = admission.lock;
    }
    // Read under the host lock: nothing can change the host between this check and the start.
    const unmet = await unmetPreconditions(claims);
    if (unmet !== undefined) {
      await hostLock?.release().catch((error: unknown) => log.error({ err: error, commandId: claims.jti }, "could not release the host lock"));
      return refuse(unmet);
    }
    // From here to the start (execute registers the command as running before its first await),
    // nothing is awaited: a cancel lands wholly before (seen here, the command never starts) or
    // wholly after (it finds the command running and aborts it).
    if (nonces.cancelledBeforeStart(claims.jti)) {
      return execute(
        claims,
        async () => {
          await nonces.forgetCancelled(claims.jti);
          return { ok: false, code: "CANCELLED", message: "cancelled before it started; nothing was done" };
        },
        hostLock,
      );
    }
    const handler = handlers[claims.action.type];
    if (handler === undefined) {
      const type = claims.action.type;
      return execute(claims, async () => ({ ok: false, code: "UNAVAILABLE", message: `this agent has no handler for '${type}' commands` }), hostLock);
    }
    return execute(claims, handler, hostLock);
  };

  const onFrame = async (frame: DownFrame): Promise<void> => {
    switch (frame.t) {
      case "welcome":
        if (frame.host !== config.host) log.warn({ welcomeHost: frame.host }, "control plane welcomed a different host name");
        await reporter.resendPending();
        await sendState(true);
        await announceBackups();
        return;
      case "heartbeat":
        return;
      case "report-ack":
        await reporter.acknowledged(frame.reportId);
        return;
      case "command":
        return onCommand(frame);
    }
  };

  connection = new AgentConnection({
    url: controlPlane.url,
    host: config.host,
    agentKey,
    agentVersion,
    log,
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
    ...(options.heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs: options.heartbeatTimeoutMs }),
    onClose: () => reporter.disconnected(),
    onFrame: (data) => {
      const parsed = parseDownFrame(data);
      const work = parsed.ok ? onFrame(parsed.frame) : refuse(parsed.rejection);
      work.catch((error: unknown) => log.error({ err: error }, "frame handling failed"));
    },
  });
  connection.start();
  const stateTimer = setInterval(() => void sendState(false), options.stateIntervalMs ?? 10_000);
  log.info({ controlPlane: controlPlane.url, agentVersion, pendingReports: outbox.size() }, "agent started");

  return {
    get connected() {
      return connection?.connected ?? false;
    },
    adopt(commandId, type, work) {
      return runAs(commandId, type, work, async () => log.info({ commandId, action: type }, "command resumed after a restart"));
    },
    announceBackup(manifest) {
      return report({ kind: "manifest", manifest });
    },
    async stop(graceMs = 20_000) {
      clearInterval(stateTimer);
      await connection?.close();
      for (const r of running.values()) r.controller.abort(new Error("agent stopping"));
      const all = Promise.all([...running.values()].map((r) => r.done));
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      log.info({ pendingReports: outbox.size() }, "agent stopped");
    },
  };
}
