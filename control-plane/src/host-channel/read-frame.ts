// Turns one raw WebSocket message from an agent into a typed frame, or says why it is refused:
// too large (checked before parsing anything), binary, not JSON, or not a known frame shape.
import { maxFrameBytes, type UpFrame, upFrame } from "../../../shared/schemas/frames.ts";
import { describeIssues } from "../../../shared/schemas/zod-error.ts";

export type FrameReading = { ok: true; frame: UpFrame } | { ok: false; code: "PAYLOAD_TOO_LARGE" | "MALFORMED"; reason: string };

export function readUpFrame(message: string | ArrayBuffer): FrameReading {
  const bytes = typeof message === "string" ? new TextEncoder().encode(message).byteLength : message.byteLength;
  if (bytes > maxFrameBytes) {
    return { ok: false, code: "PAYLOAD_TOO_LARGE", reason: `frame of ${bytes} bytes exceeds ${maxFrameBytes}` };
  }
  if (typeof message !== "string") return { ok: false, code: "MALFORMED", reason: "binary frames are not part of the protocol" };
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { ok: false, code: "MALFORMED", reason: "frame is not JSON" };
  }
  const parsed = upFrame.safeParse(json);
  if (!parsed.success) return { ok: false, code: "MALFORMED", reason: `frame is malformed: ${describeIssues(parsed.error)}` };
  return { ok: true, frame: parsed.data };
}
