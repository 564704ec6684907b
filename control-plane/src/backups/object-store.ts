// Where manifests live outside D1: the configured S3 bucket (AWS S3, R2's S3 API, MinIO), else the
// Worker's R2 ARCHIVE binding (the local default). Neither: manifests cannot be kept, said plainly.
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { RewindError } from "../../../shared/errors.ts";
import { loadConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { withR2Deadline } from "../storage/r2-deadline.ts";
import { s3FromConfig } from "../storage/s3.ts";

export type StorageKind = "s3" | "r2";

export function manifestKey(host: string, backupId: string): string {
  return `manifests/${host}/${backupId}.json`;
}

function unavailable(): RewindError {
  return new RewindError("UNAVAILABLE", "no manifest storage: configure S3_BUCKET (with its credentials) or bind an R2 bucket as ARCHIVE");
}

export async function putObject(env: Env, key: string, body: string): Promise<StorageKind> {
  const config = loadConfig(env);
  if (config.s3 !== undefined) {
    await s3FromConfig(config).send(new PutObjectCommand({ Bucket: config.s3.bucket, Key: key, Body: body, ContentType: "application/json" }));
    return "s3";
  }
  if (env.ARCHIVE !== undefined) {
    const archive = env.ARCHIVE;
    await withR2Deadline(`put of ${key}`, () => archive.put(key, body, { httpMetadata: { contentType: "application/json" } }));
    return "r2";
  }
  throw unavailable();
}

export async function getObject(env: Env, storage: string, key: string): Promise<string | undefined> {
  const config = loadConfig(env);
  if (storage === "s3") {
    if (config.s3 === undefined) throw new RewindError("UNAVAILABLE", `manifest ${key} is in S3, but S3 is no longer configured`);
    try {
      const object = await s3FromConfig(config).send(new GetObjectCommand({ Bucket: config.s3.bucket, Key: key }));
      return object.Body === undefined ? undefined : await object.Body.transformToString();
    } catch (error) {
      if (error instanceof Error && error.name === "NoSuchKey") return undefined;
      throw error;
    }
  }
  const archive = env.ARCHIVE;
  if (archive === undefined) throw unavailable();
  return withR2Deadline(`get of ${key}`, async () => {
    const object = await archive.get(key);
    return object === null ? undefined : await object.text();
  });
}
