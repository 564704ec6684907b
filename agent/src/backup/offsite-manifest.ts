// A manifest fetched back from the off-site bucket is data anyone with write access to that bucket
// could have replaced. It is used only when something the host already trusts vouches for it: the
// manifest's sha256 in the signed rollback command (what the control plane stored from this host's
// signed report), or, without a command (break-glass local rollback), the host's own signature
// uploaded beside it. Its file paths pass the shared schema (nothing outside the backup directory).
import type { S3Client } from "@aws-sdk/client-s3";
import { RewindError, isRewindError } from "../../../shared/errors.ts";
import { manifestSha256 } from "../../../shared/manifest-digest.ts";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { publicPart, signReport, verifyReport } from "../../../shared/signing.ts";
import type { AgentConfig } from "../config.ts";
import { downloadText, type OffsiteTarget, offsiteKey } from "../host/offsite.ts";
import { manifestFileName } from "./layout.ts";
import { parseManifest } from "./manifest-file.ts";

/** The host's signed statement of a manifest (a `manifest` report JWS), uploaded beside manifest.json. */
export const manifestSignatureFileName = "manifest.jws";
const maxManifestBytes = 1024 * 1024;

export interface ManifestTrust {
  /** From the signed rollback command: what the fetched manifest must hash to (shared manifestSha256). */
  manifestSha256?: string;
}

/** The signature to upload with a backup, when this host has a key (enrolled). */
export async function offsiteManifestSignature(config: AgentConfig, manifest: BackupManifest): Promise<string | undefined> {
  if (config.agentKey === undefined) return undefined;
  return signReport({ kind: "manifest", manifest }, config.host, config.agentKey);
}

function refused(source: string, why: string): RewindError {
  return new RewindError("BACKUP_INVALID", `refusing the off-site manifest ${source}: ${why}`);
}

async function signedByThisHost(
  config: AgentConfig,
  client: S3Client,
  target: OffsiteTarget,
  name: string,
  manifest: BackupManifest,
  source: string,
  signal?: AbortSignal,
): Promise<void> {
  if (config.agentKey === undefined) throw refused(source, "no signed command names its sha256 and this host has no key to check a signature with");
  const key = offsiteKey(target, config.host, name, manifestSignatureFileName);
  let jws: string;
  try {
    jws = await downloadText(client, target.bucket, key, maxManifestBytes, signal);
  } catch (error) {
    if (isRewindError(error, "NOT_FOUND")) throw refused(source, "no signed command names its sha256 and it carries no signature of this host");
    throw error;
  }
  let signed: BackupManifest;
  try {
    const claims = await verifyReport(jws.trim(), { key: publicPart(config.agentKey), host: config.host });
    if (claims.report.kind !== "manifest") throw refused(source, `s3://${target.bucket}/${key} is not a signed manifest`);
    signed = claims.report.manifest;
  } catch (error) {
    if (isRewindError(error, "BACKUP_INVALID") || !isRewindError(error)) throw error;
    throw refused(source, `its signature s3://${target.bucket}/${key} does not verify with this host's key (${error.message})`);
  }
  if (manifestSha256(signed) !== manifestSha256(manifest)) throw refused(source, "it differs from the manifest this host signed");
}

/** Downloads, parses and checks the manifest of backup `name` (its directory name, also its id). */
export async function trustedOffsiteManifest(
  config: AgentConfig,
  client: S3Client,
  target: OffsiteTarget,
  name: string,
  trust: ManifestTrust,
  signal?: AbortSignal,
): Promise<BackupManifest> {
  const key = offsiteKey(target, config.host, name, manifestFileName);
  const source = `s3://${target.bucket}/${key}`;
  const manifest = parseManifest(await downloadText(client, target.bucket, key, maxManifestBytes, signal), source);
  if (manifest.host !== config.host || manifest.backupId !== name) {
    throw refused(source, `it describes backup ${manifest.backupId} of host ${manifest.host}, not ${name} of ${config.host}`);
  }
  if (trust.manifestSha256 === undefined) {
    await signedByThisHost(config, client, target, name, manifest, source, signal);
    return manifest;
  }
  const actual = manifestSha256(manifest);
  if (actual !== trust.manifestSha256) {
    throw refused(source, `its sha256 is ${actual}, but the signed command names ${trust.manifestSha256} (the manifest this host reported)`);
  }
  return manifest;
}
