// The least AGENT_TIMEOUT_SECONDS the control plane accepts (config.ts), apart from the config so
// tests outside the Worker can import it.
import { heartbeatIntervalMs } from "../../shared/heartbeat.ts";
import { r2CallTimeoutMs } from "./storage/r2-deadline.ts";
import { s3CallBoundMs } from "./storage/s3-bounds.ts";

/**
 * A socket counts as silent from the last frame the host's queue took up. A live agent is silent
 * between two heartbeats, and for two intervals when one beat is lost or late; one frame storing a
 * manifest holds the queue (and the heartbeats behind it) for up to one S3 or R2 call. A shorter timeout
 * would mark a healthy host offline.
 */
export const minAgentTimeoutSeconds = Math.floor(Math.max(2 * heartbeatIntervalMs, s3CallBoundMs, r2CallTimeoutMs) / 1000) + 1;

export const agentTimeoutTooShort =
  `must be at least ${minAgentTimeoutSeconds} s: agents heartbeat every ${heartbeatIntervalMs / 1000} s and one lost heartbeat, ` +
  `or one manifest store on a stalled bucket (up to ${Math.max(s3CallBoundMs, r2CallTimeoutMs) / 1000} s), must not mark a live host offline`;
