// How long a rollback may go without a report from the agent, from the agent's own configuration
// (issue 14.3): every progress report carries it, and the control plane declares a running rollback
// lost once that much time passed since its last report (plus the watch window). Pure: each step's
// bound is the sum of the bounded waits it makes (pg timeouts, child-process deadlines, health and
// stop timeouts, the watch), so a step that reports more often than that is never declared lost.
// Work with no bound of its own is counted as follows: reading, fetching or unpacking a backup's
// archives, or counting every row of a database, as long as a pg tool run (the operator's bound on
// moving that same data); Docker API calls, journal and small file writes within `slackSeconds`.
import type { ReportedStepId, StepState } from "../../../shared/schemas/rollback.ts";
import type { AgentConfig } from "../config.ts";
import { composeDetectTimeoutMs } from "../host/compose-cli.ts";
import { gitTimeoutMs } from "../host/git.ts";
import { smokeCheckTimeoutMs } from "../host/health.ts";
import { pgTimeoutDefaults } from "../host/pg-timeouts.ts";
import { composeTimeoutsMs } from "./compose-start.ts";

/** Docker API calls, journal and small file writes: seconds in practice, no bound of their own. */
export const slackSeconds = 30;

export interface StepBound {
  /** The longest the agent may stay silent after this report. */
  stepSeconds: number;
  /** Its watch window after `verify` (`thresholds.watchSeconds`). */
  watchSeconds: number;
}

export interface BoundFacts {
  config: AgentConfig;
  /** The containers `document-state` recorded (0 before it ran): each may be stopped, recreated, removed. */
  containers: number;
}

const seconds = (ms: number): number => Math.ceil(ms / 1000);

/** The configured bounds one step waits on, in seconds, before the slack. */
function waits(step: ReportedStepId, { config, containers }: BoundFacts): number {
  const database = config.project.database;
  const pg = database?.timeouts ?? pgTimeoutDefaults;
  // One PostgreSQL session: a connection, then its statements (catalog lookups and renames) under one statement bound.
  const session = database ? pg.connectSeconds + pg.statementSeconds : 0;
  const tool = database ? pg.toolSeconds : 0;
  const bulk = pg.toolSeconds;
  const git = seconds(gitTimeoutMs);
  const stops = containers * config.thresholds.stopTimeoutSeconds;
  // `docker compose version`, then `docker-compose version` when that fails.
  const detect = 2 * seconds(composeDetectTimeoutMs);
  switch (step) {
    case "preflight":
      // git head and the target commit, the Compose CLI, the backup's files read whole (fetched when
      // gone), pg_restore --list, then ping, data directory, database names and two OIDs.
      return 2 * git + detect + bulk + tool + 5 * session;
    case "load-backup":
      return 0;
    case "document-state":
      return git;
    case "stage":
      // The staged database created, restored, analysed, finished, its OID read, every table
      // counted (a bulk pass), dropped on a mismatch; the MinIO archive unpacked.
      return 5 * session + tool + (database ? bulk : 0) + (config.project.minio ? bulk : 0);
    case "stop-services":
      return stops;
    case "swap":
      return session;
    case "revert-code":
      // head, top level, tracked and ignored files, stash, stash list, checkout, head again.
      return 8 * git;
    case "start":
      // Retired containers stopped, the rest recreated (each may stop its old self first), images
      // rebuilt by Compose or from the checkout (as long as a Compose build), `up -d`; the Compose
      // CLI looked up for the build and for the start.
      return 2 * stops + 2 * detect + seconds(composeTimeoutsMs.config + composeTimeoutsMs.build + composeTimeoutsMs.up);
    case "verify":
      return config.thresholds.healthTimeoutSeconds + seconds(smokeCheckTimeoutMs) + session;
    case "watch":
      return config.thresholds.watchSeconds;
    case "undo":
      // Everything stopped, extra containers removed, the databases swapped back, the staged copy
      // dropped (and the staged MinIO copy deleted), git restored (as revert-code), the documented
      // containers recreated.
      return 3 * stops + 2 * session + (config.project.minio ? bulk : 0) + 8 * git;
    case "backup":
      // Not a rollback step: a backup run's pg_dump and its archives written and uploaded.
      return tool + 2 * bulk;
  }
}

/** After a rollback's last step: retired containers removed, old set-aside copies pruned (listed, dropped, deleted). */
function wrapUp({ config, containers }: BoundFacts): number {
  const database = config.project.database;
  const session = database ? database.timeouts.connectSeconds + database.timeouts.statementSeconds : 0;
  return containers * config.thresholds.stopTimeoutSeconds + 2 * session + (config.project.minio ? (database?.timeouts ?? pgTimeoutDefaults).toolSeconds : 0);
}

/**
 * The bound a progress report carries: a running step's own; once a step ended, what may run
 * before the next report (a next step reports as it starts): the run's wrap-up.
 */
export function stepBound(step: ReportedStepId, state: StepState, facts: BoundFacts): StepBound {
  const active = state === "running" ? waits(step, facts) : wrapUp(facts);
  return { stepSeconds: active + slackSeconds, watchSeconds: facts.config.thresholds.watchSeconds };
}
