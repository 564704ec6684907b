// Names of the things a rollback sets aside, derived from the rollback id so a resumed run finds
// exactly what the interrupted one created. PostgreSQL identifiers stop at 63 bytes.
const maxIdentifier = 63;

function shortId(rollbackId: string): string {
  return rollbackId.replace(/[^A-Za-z0-9]/g, "").slice(0, 16).toLowerCase();
}

function withSuffix(base: string, suffix: string): string {
  return `${base.slice(0, maxIdentifier - suffix.length)}${suffix}`;
}

export const stagedDatabase = (db: string): string => withSuffix(db, "__rewind_stage");
export const setAsideDatabase = (db: string, rollbackId: string): string => withSuffix(db, `__rewind_pre_${shortId(rollbackId)}`);

export const stagedDataDir = (rollbackId: string): string => `_data.rewind-stage-${shortId(rollbackId)}`;
export const setAsideDataDir = (rollbackId: string): string => `_data.rewind-${shortId(rollbackId)}`;
