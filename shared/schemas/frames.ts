// Frames on the agent's WebSocket. Text frames of JSON; every frame is parsed with these schemas
// on arrival. Commands and reports ride inside as signed compact JWS strings.
import * as z from "./zod.ts";
import { id } from "./common.ts";

/** Largest frame either side accepts; a bigger one is refused, not parsed. */
export const maxFrameBytes = 256 * 1024;

export const downFrame = z.discriminatedUnion("t", [
  z.strictObject({ t: z.literal("welcome"), host: z.string(), serverTime: z.number() }),
  z.strictObject({ t: z.literal("command"), id, jws: z.string().check(z.minLength(1)) }),
  z.strictObject({ t: z.literal("heartbeat"), ts: z.number() }),
  /** The control plane saw the agent's report and stored it (so the agent may drop it from its outbox). */
  z.strictObject({ t: z.literal("report-ack"), reportId: id }),
]);
export type DownFrame = z.output<typeof downFrame>;

export const upFrame = z.discriminatedUnion("t", [
  z.strictObject({ t: z.literal("report"), jws: z.string().check(z.minLength(1)) }),
  z.strictObject({ t: z.literal("heartbeat"), ts: z.number() }),
]);
export type UpFrame = z.output<typeof upFrame>;
