// The off-site copy of a backup's files in S3 (AWS, R2's S3 API, MinIO): multipart upload read
// from disk one part at a time, and fetch-back streamed to disk with its sha256, so neither
// direction holds an archive in memory.
import { createWriteStream } from "node:fs";
import { open, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  type CompletedPart,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { RewindError } from "../../../shared/errors.ts";
import type { AgentConfig } from "../config.ts";
import { type Digest, DigestStream } from "../backup/digest.ts";

export type OffsiteTarget = NonNullable<AgentConfig["offsite"]>;

/** S3's minimum part size is 5 MiB; 8 MiB keeps memory flat and the request count modest. */
export const defaultPartSize = 8 * 1024 * 1024;

export function offsiteClient(target: OffsiteTarget): S3Client {
  return new S3Client({
    ...(target.endpoint === undefined ? {} : { endpoint: target.endpoint }),
    region: target.region,
    forcePathStyle: target.forcePathStyle,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    // S3-compatible servers (MinIO, R2, test servers) do not all accept the SDK's default
    // flexible checksums; the archives carry their own sha256, checked on fetch-back.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** `<prefix><host>/<backup dir name>/<file>`: one folder per backup, as on the host. */
export function offsiteKey(target: OffsiteTarget, host: string, backupName: string, file: string): string {
  return `${target.prefix}${host}/${backupName}/${file}`;
}

function unavailable(what: string, error: unknown): RewindError {
  return new RewindError("UNAVAILABLE", `${what}: ${(error as Error).message}`, { retryable: true, cause: error });
}

export interface UploadOptions {
  partSize?: number;
  /** Stored as object metadata so the bucket alone tells what the file should hash to. */
  sha256?: string;
  signal?: AbortSignal;
}

export async function uploadFile(client: S3Client, bucket: string, key: string, file: string, options: UploadOptions = {}): Promise<void> {
  const partSize = options.partSize ?? defaultPartSize;
  const metadata = options.sha256 === undefined ? undefined : { sha256: options.sha256 };
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const readPart = async (position: number): Promise<Buffer> => {
      const buffer = Buffer.allocUnsafe(Math.min(partSize, size - position));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      return buffer.subarray(0, bytesRead);
    };
    if (size <= partSize) {
      const body = await readPart(0);
      await client
        .send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: metadata }), {
          abortSignal: options.signal,
        })
        .catch((error: unknown) => {
          throw unavailable(`uploading ${key} to s3://${bucket} failed`, error);
        });
      return;
    }
    const created = await client
      .send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Metadata: metadata }), {
        abortSignal: options.signal,
      })
      .catch((error: unknown) => {
        throw unavailable(`starting the upload of ${key} to s3://${bucket} failed`, error);
      });
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new RewindError("UNAVAILABLE", `s3://${bucket} returned no upload id for ${key}`);
    try {
      const parts: CompletedPart[] = [];
      // Parts go one at a time: one part's buffer is all the memory the upload ever holds.
      for (let position = 0, partNumber = 1; position < size; position += partSize, partNumber++) {
        const body = await readPart(position);
        const uploaded = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }), {
          abortSignal: options.signal,
        });
        parts.push({ PartNumber: partNumber, ETag: uploaded.ETag });
      }
      await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }), {
        abortSignal: options.signal,
      });
    } catch (error) {
      // Abandoned parts are billed until aborted; the abort's own failure must not hide the cause.
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw unavailable(`uploading ${key} to s3://${bucket} failed`, error);
    }
  } finally {
    await handle.close();
  }
}

/** A small object (a manifest, a signature) as one request. */
export async function uploadText(client: S3Client, bucket: string, key: string, body: string, signal?: AbortSignal): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }), { abortSignal: signal }).catch((error: unknown) => {
    throw unavailable(`uploading ${key} to s3://${bucket} failed`, error);
  });
}

async function objectBody(client: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<Readable> {
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    if (!(object.Body instanceof Readable)) {
      throw new RewindError("UNAVAILABLE", `s3://${bucket}/${key} returned no readable body`);
    }
    return object.Body;
  } catch (error) {
    if (error instanceof RewindError) throw error;
    const name = (error as { name?: string }).name;
    if (name === "NoSuchKey" || name === "NotFound") {
      throw new RewindError("NOT_FOUND", `s3://${bucket}/${key} does not exist: the off-site copy was never made or was deleted`, {
        cause: error,
      });
    }
    throw unavailable(`fetching s3://${bucket}/${key} failed`, error);
  }
}

/**
 * A small object read into memory, refused past `maxBytes`: whoever can write the bucket must not be
 * able to make the agent buffer an arbitrary amount.
 */
export async function downloadText(client: S3Client, bucket: string, key: string, maxBytes: number, signal?: AbortSignal): Promise<string> {
  const body = await objectBody(client, bucket, key, signal);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        body.destroy();
        throw new RewindError("BACKUP_INVALID", `s3://${bucket}/${key} is larger than ${maxBytes} bytes; refused`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof RewindError) throw error;
    throw unavailable(`downloading s3://${bucket}/${key} failed`, error);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Streams an object to `dest`, a new file (never written through an existing file or symlink),
 * returning its size and sha256. A missing object is NOT_FOUND.
 */
export async function downloadFile(client: S3Client, bucket: string, key: string, dest: string, signal?: AbortSignal): Promise<Digest> {
  const body = await objectBody(client, bucket, key, signal);
  const digest = new DigestStream();
  try {
    await pipeline(body, digest, createWriteStream(dest, { flags: "wx" }), { signal });
  } catch (error) {
    await rm(dest, { force: true });
    throw unavailable(`downloading s3://${bucket}/${key} failed`, error);
  }
  return digest.digest();
}
