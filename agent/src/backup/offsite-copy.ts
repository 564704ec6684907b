// Copies a finished backup off the host: its archives first, then the host's signature of the
// manifest (when enrolled), then manifest.json last, so a manifest in the bucket means every file
// it lists is there too.
import path from "node:path";
import { RewindError } from "../../../shared/errors.ts";
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import type { AgentConfig } from "../config.ts";
import { type OffsiteTarget, offsiteClient, offsiteKey, uploadFile, uploadText } from "../host/offsite.ts";
import { manifestFiles } from "./integrity.ts";
import { manifestFileName } from "./layout.ts";
import { manifestSignatureFileName, offsiteManifestSignature } from "./offsite-manifest.ts";

export function requireOffsite(config: AgentConfig): OffsiteTarget {
  if (config.offsite === undefined) {
    throw new RewindError("CONFIG_INVALID", "off-site copy requested but the agent config has no `offsite` section (S3 endpoint, bucket, credentials)");
  }
  return config.offsite;
}

export interface OffsiteCopy {
  bucket: string;
  keys: string[];
}

export async function copyOffsite(config: AgentConfig, dir: string, manifest: BackupManifest, signal?: AbortSignal): Promise<OffsiteCopy> {
  const target = requireOffsite(config);
  const client = offsiteClient(target);
  const name = path.basename(dir);
  const keys: string[] = [];
  try {
    for (const { file } of manifestFiles(manifest)) {
      const key = offsiteKey(target, config.host, name, file.path);
      await uploadFile(client, target.bucket, key, path.join(dir, file.path), { sha256: file.sha256, signal });
      keys.push(key);
    }
    const signature = await offsiteManifestSignature(config, manifest);
    if (signature !== undefined) {
      const signatureKey = offsiteKey(target, config.host, name, manifestSignatureFileName);
      await uploadText(client, target.bucket, signatureKey, signature, signal);
      keys.push(signatureKey);
    }
    const key = offsiteKey(target, config.host, name, manifestFileName);
    await uploadFile(client, target.bucket, key, path.join(dir, manifestFileName), { signal });
    keys.push(key);
  } finally {
    client.destroy();
  }
  return { bucket: target.bucket, keys };
}
