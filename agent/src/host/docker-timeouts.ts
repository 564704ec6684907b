// How long Rewind waits on the Docker Engine API: most calls answer in well under a second, so a call
// that has not answered within `callSeconds` means a stalled engine. Calls that legitimately take long
// get their own bound: a container stop waits its grace period first, and an image build or load, or
// waiting for a container to exit, takes as long as it takes (up to `longCallSeconds`).
// Config `docker.timeouts` overrides the defaults.

export interface DockerTimeouts {
  /** Longest wait for an ordinary Engine API call (inspect, list, create, start, remove, ping...). */
  callSeconds: number;
  /** Longest image build, load, pull or export, and longest wait for a container to exit. */
  longCallSeconds: number;
}

export const dockerTimeoutDefaults: Readonly<DockerTimeouts> = Object.freeze({
  callSeconds: 120,
  longCallSeconds: 60 * 60,
});

/** One Engine API request as dockerode hands it to its modem: `path` holds the ids, `options` the query. */
export interface DockerCall {
  method: string;
  path: string;
  options?: Record<string, unknown>;
}

/** Docker's own default grace period when a stop or restart names none. */
const engineDefaultStopSeconds = 10;

const longCalls: ReadonlyArray<[method: string, path: RegExp]> = [
  ["POST", /^\/build\b/],
  ["POST", /^\/images\/(create|load)\b/],
  ["GET", /^\/images\/.+\/get\b/],
  ["GET", /^\/images\/get\b/],
  ["POST", /^\/commit\b/],
  ["POST", /^\/containers\/[^/]+\/(wait|attach)\b/],
  ["GET", /^\/events\b/],
];

export interface DockerCallBound {
  seconds: number;
  /** What an operator changes to allow more time (named in the timeout error). */
  setting: string;
}

/** The deadline for one call: pure, so which calls count as long is tested without an engine. */
export function dockerCallBound(call: DockerCall, timeouts: DockerTimeouts): DockerCallBound {
  const method = call.method.toUpperCase();
  const long = { seconds: timeouts.longCallSeconds, setting: "docker.timeouts.longCallSeconds" };
  if (longCalls.some(([m, p]) => m === method && p.test(call.path))) return long;
  if (method === "GET" && /^\/containers\/[^/]+\/logs\b/.test(call.path) && call.options?.follow === true) return long;
  if (method === "POST" && /^\/containers\/[^/]+\/(stop|restart)\b/.test(call.path)) {
    const grace = Number(call.options?.t ?? engineDefaultStopSeconds);
    // A negative grace period tells the engine to wait for the container however long it takes.
    if (!Number.isFinite(grace) || grace < 0) return long;
    return { seconds: grace + timeouts.callSeconds, setting: `docker.timeouts.callSeconds after the ${grace} s grace period` };
  }
  return { seconds: timeouts.callSeconds, setting: "docker.timeouts.callSeconds" };
}
