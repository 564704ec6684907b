// The agent's gate: a frame from the socket becomes a command it may run only after size, JSON,
// frame schema, signature (pinned keys), audience host, expiry, claims schema and nonce all pass.
// Anything else becomes a rejection with a stable code and a reason for the signed `rejected` report.
import type * as z from "zod";
import { isRewindError } from "../../../shared/errors.ts";
import type { CommandClaims } from "../../../shared/schemas/command.ts";
import { type DownFrame, downFrame, maxFrameBytes } from "../../../shared/schemas/frames.ts";
import { rejectionCode } from "../../../shared/schemas/report.ts";
import { describeIssues } from "../../../shared/schemas/zod-error.ts";
import { type PublicJwk, verifyCommand } from "../../../shared/signing.ts";
import type { NonceStore } from "./nonce-store.ts";

export type RejectionCode = z.output<typeof rejectionCode>;

export interface Rejection {
  /** Absent when the frame was too broken to read a command id from. */
  commandId?: string;
  code: RejectionCode;
  reason: string;
}

export type FrameResult = { ok: true; frame: DownFrame } | { ok: false; rejection: Rejection };
export type CommandResult = { ok: true; claims: CommandClaims } | { ok: false; rejection: Rejection };

const idPeek = /"id"\s*:\s*"([A-Za-z0-9_-]{8,64})"/;

/**
 * Best effort: the command id from the start of a frame we refuse to parse, so the control plane
 * can mark that command rejected instead of redelivering it. Only a bounded prefix is looked at.
 */
function peekCommandId(text: string): string | undefined {
  return idPeek.exec(text.slice(0, 512))?.[1];
}

function reject(code: RejectionCode, reason: string, commandId?: string): { ok: false; rejection: Rejection } {
  return { ok: false, rejection: commandId === undefined ? { code, reason } : { commandId, code, reason } };
}

/** Size, JSON and frame schema. `limit` defaults to the wire limit shared with the control plane. */
export function parseDownFrame(data: string, limit: number = maxFrameBytes): FrameResult {
  const bytes = Buffer.byteLength(data, "utf8");
  if (bytes > limit) {
    return reject("PAYLOAD_TOO_LARGE", `frame of ${bytes} bytes exceeds the ${limit}-byte limit; not parsed`, peekCommandId(data));
  }
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (error) {
    return reject("MALFORMED", `frame is not valid JSON: ${(error as Error).message}`, peekCommandId(data));
  }
  const parsed = downFrame.safeParse(json);
  if (!parsed.success) {
    const t = typeof json === "object" && json !== null ? (json as { t?: unknown }).t : undefined;
    const known = downFrame.def.options.map((option) => option.shape.t.def.values[0] as string);
    const what = typeof t === "string" && !known.includes(t) ? `unknown frame type '${t}'` : "frame";
    return reject("MALFORMED", `${what} refused: ${describeIssues(parsed.error)}`, peekCommandId(data));
  }
  return { ok: true, frame: parsed.data };
}

export interface VerifyContext {
  keys: readonly PublicJwk[];
  host: string;
  nonces: NonceStore;
  now?: Date;
}

/**
 * Signature, audience, expiry and claim schema (verifyCommand), the frame id matching the signed
 * `jti`, then the nonce, which is recorded durably only for a command that passed everything else
 * (a forged frame must not be able to burn a genuine command's nonce).
 */
export async function verifyCommandFrame(frame: { id: string; jws: string }, context: VerifyContext): Promise<CommandResult> {
  let claims: CommandClaims;
  try {
    claims = await verifyCommand(frame.jws, {
      keys: context.keys,
      host: context.host,
      ...(context.now === undefined ? {} : { now: context.now }),
    });
  } catch (error) {
    if (!isRewindError(error)) throw error;
    const code = rejectionCode.safeParse(error.code);
    return reject(code.success ? code.data : "MALFORMED", error.message, frame.id);
  }
  if (claims.jti !== frame.id) {
    return reject("MALFORMED", `frame id ${frame.id} does not match the signed command id ${claims.jti}`, frame.id);
  }
  try {
    await context.nonces.remember(claims.nonce, claims.jti, claims.exp, context.now);
  } catch (error) {
    if (isRewindError(error, "REPLAYED")) return reject("REPLAYED", error.message, claims.jti);
    throw error;
  }
  return { ok: true, claims };
}
