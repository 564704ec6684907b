// The S3 client for manifests and audit checkpoints (AWS S3, R2's S3 API, MinIO, s3rver), built from
// validated config. Path-style addressing whenever a custom endpoint is set: emulators and MinIO need it.
import { S3Client } from "@aws-sdk/client-s3";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import { RewindError } from "../../../shared/errors.ts";
import type { Config } from "../config.ts";
import { s3AttemptTimeoutMs, s3MaxAttempts } from "./s3-bounds.ts";

export function s3FromConfig(config: Config): S3Client {
  const s3 = config.s3;
  if (s3 === undefined) {
    throw new RewindError("CONFIG_INVALID", "S3 is not configured: set S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY", {
      details: { field: "S3_BUCKET" },
    });
  }
  return new S3Client({
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    ...(s3.endpoint === undefined ? {} : { endpoint: s3.endpoint, forcePathStyle: true }),
    maxAttempts: s3MaxAttempts,
    // No CRC32 of our own on PutObject, nor on GetObject's answer: SigV4 already signs each body's
    // SHA-256, which S3 checks, and a manifest read back is checked against its indexed sha256. The
    // Worker bundle leaves the SDK's checksum code out (storage/no-flexible-checksums.ts).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // fetch, as for SNS (notify/publisher.ts): under workerd a failed node:http connection escapes
    // send(). The handler's timeout only stops waiting; the signal also ends the connection and a
    // response body still being read (GetObject). Both fail as TimeoutError, which the SDK retries.
    requestHandler: new FetchHttpHandler({
      requestTimeout: s3AttemptTimeoutMs,
      requestInit: () => ({ signal: AbortSignal.timeout(s3AttemptTimeoutMs) }),
    }),
  });
}
