// Backup manifests an agent announces: kept in object storage and indexed in D1, unless the manifest
// names another host than the one whose key signed it.
import type { BackupManifest } from "../../../shared/schemas/manifest.ts";
import { indexManifest } from "../backups/catalog.ts";
import type { ChannelContext } from "./channel-context.ts";

/** False when the same manifest was already stored: nothing changed. */
export async function storeManifest(c: ChannelContext, host: string, manifest: BackupManifest, reportId: string): Promise<boolean> {
  if (manifest.host !== host) {
    await c.audit({
      actor: { kind: "host", host },
      action: "backup.manifest-refused",
      subject: `host:${host}`,
      details: { reportId, backupId: manifest.backupId, reason: `manifest names host ${manifest.host}, but ${host} signed it` },
    });
    return true;
  }
  const { row, stored } = await indexManifest(c.env, manifest, Date.now());
  if (!stored) return false;
  await c.audit({
    actor: { kind: "host", host },
    action: "backup.manifest-stored",
    subject: `backup:${host}/${manifest.backupId}`,
    details: { reportId, key: row.objectKey, storage: row.storage, sha256: row.sha256, timestamp: row.timestamp, gitCommit: row.gitCommit },
  });
  return true;
}
