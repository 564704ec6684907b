// The agent's Docker Engine client: dockerode with a deadline on every API call (docker-timeouts.ts).
// dockerode itself waits forever on an engine that accepted the connection and never answers; here
// such a call fails with TIMED_OUT, naming the call and the setting that bounds it. A streamed answer
// (build output, logs) is cut at the same deadline.
import Docker from "dockerode";
import { RewindError } from "../../../shared/errors.ts";
import { type DockerCall, type DockerCallBound, type DockerTimeouts, dockerCallBound, dockerTimeoutDefaults } from "./docker-timeouts.ts";

type DialCallback = (error: unknown, result?: unknown) => void;
interface DialOptions extends DockerCall {
  abortSignal?: AbortSignal;
  isStream?: boolean;
}
interface Modem {
  dial(options: DialOptions, callback: DialCallback): void;
}

function isDestroyable(value: unknown): value is NodeJS.ReadableStream & { destroy(error?: Error): void } {
  return typeof value === "object" && value !== null && typeof (value as { destroy?: unknown }).destroy === "function" && "on" in value;
}

function timedOut(call: DockerCall, { seconds, setting }: DockerCallBound): RewindError {
  const where = call.path.replace(/\?$/, "");
  return new RewindError(
    "TIMED_OUT",
    `the Docker Engine did not answer ${call.method} ${where} within ${seconds} s (${setting}): check that dockerd is running and responsive (systemctl status docker, docker info)`,
    { retryable: true, details: { method: call.method, path: where, seconds } },
  );
}

/** A dockerode client whose every call has a deadline; `options` as dockerode's (socketPath, host...). */
export function dockerClient(timeouts: DockerTimeouts = dockerTimeoutDefaults, options?: Docker.DockerOptions): Docker {
  const docker = new Docker(options);
  const modem = docker.modem as unknown as Modem;
  const dial = modem.dial.bind(modem);
  modem.dial = (call, callback) => {
    const bound = dockerCallBound(call, timeouts);
    const error = timedOut(call, bound);
    const controller = new AbortController();
    const callerSignal = call.abortSignal;
    const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
    callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
    if (callerSignal?.aborted) onCallerAbort();
    let expired = false;
    let stream: (NodeJS.ReadableStream & { destroy(error?: Error): void }) | undefined;
    const done = (): void => {
      clearTimeout(timer);
      callerSignal?.removeEventListener("abort", onCallerAbort);
    };
    const timer = setTimeout(() => {
      expired = true;
      // The stream first: its reader then sees this error, not the bare abort that follows.
      stream?.destroy(error);
      controller.abort(error);
    }, bound.seconds * 1000);
    // A stream nobody reads to its end must not hold the process open until its deadline.
    timer.unref();
    dial({ ...call, abortSignal: controller.signal }, (failure, result) => {
      if (failure !== null && failure !== undefined) {
        done();
        callback(expired ? error : failure);
        return;
      }
      if (call.isStream && isDestroyable(result)) {
        stream = result;
        result.on("close", done);
        result.on("end", done);
      } else {
        done();
      }
      callback(null, result);
    });
  };
  return docker;
}
