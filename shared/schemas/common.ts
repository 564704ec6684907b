// Building blocks shared by every wire schema.
import * as z from "./zod.ts";

/** Host names: DNS-label-like, so they are safe in URLs, S3 keys and Durable Object names. */
export const hostName = z
  .string()
  .check(z.regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "must be 1-63 chars of a-z, 0-9 and '-', not starting or ending with '-'"));

export const id = z.string().check(z.regex(/^[A-Za-z0-9_-]{8,64}$/, "must be 8-64 chars of A-Z, a-z, 0-9, '_' and '-'"));
export const gitCommit = z.string().check(z.regex(/^[0-9a-f]{7,64}$/, "must be a hex git commit id"));
export const imageId = z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/, "must be a docker image id (sha256:…)"));
export const sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/, "must be a hex sha256"));
export const isoTime = z.iso.datetime({ offset: true });
/** Seconds since the epoch, as JWT uses. */
export const epochSeconds = z.number().check(z.int(), z.nonnegative());
