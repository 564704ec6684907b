// Copies the newest signed checkpoint of each batch outside D1 (S3 when configured, else the R2 ARCHIVE bucket), so a
// database rewrite cannot also rewrite the tree heads auditors compare against.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { Config } from "../config.ts";
import type { Env } from "../env.ts";
import { withR2Deadline } from "../storage/r2-deadline.ts";
import { s3FromConfig } from "../storage/s3.ts";

export function checkpointKeys(size: number): string[] {
  return [`checkpoints/${size}.txt`, "checkpoints/latest.txt"];
}

export async function publishCheckpoint(env: Pick<Env, "ARCHIVE">, config: Config, size: number, note: string): Promise<void> {
  const s3 = config.s3;
  if (s3 !== undefined) {
    const client = s3FromConfig(config);
    for (const key of checkpointKeys(size)) {
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: note, ContentType: "text/plain; charset=utf-8" }));
    }
    return;
  }
  const archive = env.ARCHIVE;
  if (archive !== undefined) {
    for (const key of checkpointKeys(size)) {
      await withR2Deadline(`put of ${key}`, () => archive.put(key, note, { httpMetadata: { contentType: "text/plain; charset=utf-8" } }));
    }
  }
}
