// How fast a vanished host is shown offline, agreed by both ends of the agent socket. A host that
// disappears without closing its socket (power loss, partition) is caught only by silence: the
// control plane closes a socket silent for `defaultAgentTimeoutSeconds` (AGENT_TIMEOUT_SECONDS) and
// marks the host offline. Two heartbeats fit in it, so one lost beat does not flap a live host.
// Every heartbeat wakes the host's hibernated Durable Object (one request, a few ms of duration).

/** The agent sends a heartbeat frame (and a protocol ping) this often. */
export const heartbeatIntervalMs = 10_000;

/** Issue 15: a silent host is shown offline within 30 s. */
export const defaultAgentTimeoutSeconds = 25;
