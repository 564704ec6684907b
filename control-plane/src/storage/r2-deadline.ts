// R2 binding calls get the deadline a whole S3 call has (s3-bounds.ts): a manifest stored in the
// ARCHIVE bucket is on the host's frame path just as one stored in S3, so a stalled put must not
// hold the frames and heartbeats queued behind it. The binding takes no AbortSignal: the deadline
// stops the waiting, and the caller fails as on an S3 TimeoutError (the frame is left unacknowledged
// for the agent to resend; the audit alarm is retried).
import { RewindError } from "../../../shared/errors.ts";
import { s3AttemptTimeoutMs, s3MaxAttempts } from "./s3-bounds.ts";

/** One R2 call (a put, or a get with its body): every try of an S3 call, so within s3CallBoundMs. */
export const r2CallTimeoutMs = s3AttemptTimeoutMs * s3MaxAttempts;

export async function withR2Deadline<T>(what: string, call: () => Promise<T>, timeoutMs = r2CallTimeoutMs): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RewindError("TIMED_OUT", `R2 ${what} did not finish within ${timeoutMs / 1000} s; the ARCHIVE bucket is stalled or unreachable`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([call(), deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
