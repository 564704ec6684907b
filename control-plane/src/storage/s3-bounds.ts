// How long one S3 call may take at most, kept apart from the client (s3.ts) so tests can import it.
//
// A manifest announce stores its manifest inside the host's frame queue (HostChannel), so a stalled
// endpoint would otherwise hold every later frame of that host (progress, results, acks) and, once
// the heartbeats queued behind it go unhandled for AGENT_TIMEOUT_SECONDS (25 s by default;
// heartbeats come every 10 s), get the agent's socket closed as silent. Two tries of 5 s each plus
// the SDK's sub-second backoff end a call within about 10.5 s: a small JSON object takes well under a
// second on a healthy endpoint, the second try covers one dropped connection, and the frame fails in
// time for the heartbeat behind it. The agent resends an announce left unacknowledged. The control
// plane refuses an AGENT_TIMEOUT_SECONDS that one such call could outlast (config.ts).

/** One try: connection, request and response body. */
export const s3AttemptTimeoutMs = 5_000;
/** Tries per call, the first included. */
export const s3MaxAttempts = 2;
/** The SDK's backoff before its second try (standard retry strategy) stays under this. */
export const s3BackoffAllowanceMs = 1_000;
/** The longest one S3 call, and so one frame that makes it, can hold the host's frame queue. */
export const s3CallBoundMs = s3AttemptTimeoutMs * s3MaxAttempts + s3BackoffAllowanceMs;
