// `rewind agent run`: runs the agent in the foreground (systemd or a terminal) until SIGTERM or
// SIGINT, then closes the socket, lets running handlers record their outcome, and exits 0. A
// rollback a killed agent left behind is resumed at start-up, without waiting for a new command.
import type Docker from "dockerode";
import { RewindError } from "../../../../shared/errors.ts";
import { type RunningAgent, startAgent } from "../../agent.ts";
import { backupHandler } from "../../backup/command-handler.ts";
import { localManifests } from "../../backup/local-manifests.ts";
import { watchSeedBackups } from "../../backup/seed-watch.ts";
import { hostStateProvider } from "../../channel/host-state.ts";
import { persistPinnedKeys } from "../../channel/key-update.ts";
import { type AgentConfig, loadAgentConfig } from "../../config.ts";
import { dockerClient } from "../../host/docker-client.ts";
import { createLogger, type Logger } from "../../log.ts";
import { resumeAsCommand, rollbackCommandHandler } from "../../rollback/command-handler.ts";
import { claimInterruptedRollback } from "../../rollback/claim-resume.ts";
import { resumeRollback } from "../../rollback/run-rollback.ts";
import { configOption, configPath, parseCommand } from "../args.ts";
import type { CliIo, Command } from "../io.ts";

const options = {
  ...configOption,
  pretty: { type: "boolean", default: false, description: "readable log lines instead of JSON (for a terminal)" },
} as const;

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      resolve(signal);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

/** How long start-up waits for another process (a cron backup, a deploy) to free the host before resuming. */
const resumeMaxWaitMs = 6 * 60 * 60 * 1000;
const resumePollMs = 2000;
const busyLogEveryMs = 60_000;

/**
 * Finishes (or undoes) the rollback a killed agent left behind, once the host is free. One the
 * control plane asked for runs as its original command, so its progress and result reach the
 * rollback's record; a `rewind rollback --local` run has no command to report to, so its progress
 * goes to the log.
 */
async function resumeLeftBehind(config: AgentConfig, docker: Docker, agent: RunningAgent, log: Logger, signal: AbortSignal): Promise<void> {
  let loggedAt = 0;
  const claim = await claimInterruptedRollback(config, {
    signal,
    maxWaitMs: resumeMaxWaitMs,
    pollMs: resumePollMs,
    onBusy: (rollbackId, reason) => {
      if (Date.now() - loggedAt < busyLogEveryMs) return;
      loggedAt = Date.now();
      log.warn({ rollbackId, reason }, "an interrupted rollback waits for the host to be free before it resumes");
    },
  });
  if (claim === undefined) return;
  const { rollbackId, commandId, lock } = claim;
  try {
    log.warn({ rollbackId, commandId }, "resuming an interrupted rollback");
    if (commandId !== undefined) {
      await agent.adopt(commandId, "rollback", resumeAsCommand(config, docker, commandId, lock));
      return;
    }
    const report = await resumeRollback(config, {
      docker,
      signal: new AbortController().signal,
      onProgress: (event) => log.info({ rollbackId: event.rollbackId, step: event.step, state: event.state }, event.message ?? "rollback progress"),
      hostLock: lock,
    });
    log.info({ rollbackId: report.rollbackId, state: report.state }, "interrupted rollback ended");
  } finally {
    await lock.release();
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(options, argv);
  const file = configPath(values.config, io.env);
  const config = await loadAgentConfig(file);
  if (config.controlPlane === undefined || config.agentKey === undefined) {
    throw new RewindError("CONFIG_INVALID", `${file} has no control plane or agent key; run \`rewind agent enroll\` first`);
  }
  const log = createLogger({
    format: values.pretty ? "pretty" : config.log.format,
    destination: io.stdout,
    base: { host: config.host },
  });
  const signal = untilSignal();
  const docker = dockerClient(config.docker.timeouts);
  const agent = await startAgent({
    config,
    log,
    handlers: { backup: backupHandler(config, docker), rollback: rollbackCommandHandler(config, docker) },
    currentState: hostStateProvider(docker, config.project),
    persistKeys: (keys) => persistPinnedKeys(file, keys),
    backupManifests: async () => {
      const found = await localManifests(config);
      for (const bad of found.unreadable) log.warn({ dir: bad.dir, reason: bad.reason }, "backup manifest unreadable; not announced");
      return found.manifests;
    },
  });
  // A backup the seed's scripts take (before a deploy) becomes one the control plane can choose.
  const seedWatch = watchSeedBackups(config, log, (manifest) => agent.announceBackup(manifest));
  // Stops a start-up resume still waiting for the host, once the agent is asked to stop.
  const stopping = new AbortController();
  const resumed = resumeLeftBehind(config, docker, agent, log, stopping.signal).catch((error: unknown) =>
    log.error({ err: error }, "could not resume the interrupted rollback; run `rewind rollback --local --resume`"),
  );
  const received = await signal;
  stopping.abort();
  log.info({ signal: received }, "stopping on signal");
  await seedWatch.stop();
  await agent.stop();
  await resumed;
  return 0;
}

export const command: Command = {
  help: {
    usage: ["rewind agent run [--config PATH] [--pretty]"],
    description:
      "Runs the agent in the foreground (under systemd, or in a terminal) until SIGTERM or SIGINT. It connects\nout to the control plane named in the config and executes only the commands the control plane signed for\nthis host; it opens no listening socket. A rollback a killed agent left behind is resumed at start-up.\nLogs JSON lines on stdout (the config's log.format, or --pretty).",
    options,
    exitCodes: [
      [0, "stopped on a signal"],
      [1, "failed to start"],
      [2, "bad arguments, or the config is missing, invalid or not enrolled"],
    ],
  },
  run,
};
