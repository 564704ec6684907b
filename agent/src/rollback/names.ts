// Names of the things a rollback creates and sets aside, derived from the rollback id so a resumed
// run finds exactly what the interrupted one created, and so retention can recognise them.
// PostgreSQL cuts identifiers at 63 BYTES (NAMEDATALEN - 1): the live name is cut by UTF-8 bytes,
// never inside a character, and the suffix is always kept whole, so the derived names stay distinct.
const maxIdentifierBytes = 63;
/** shortId keeps at most this many characters. */
const maxShortIdLength = 16;

/** Database suffixes: staged copy, pre-rollback data set aside by the swap, post-start data set aside by an undo. */
export const databaseSuffix = { stage: "__rewind_stage", pre: "__rewind_pre_", post: "__rewind_post_" } as const;
/** MinIO directory names, same roles: the staged one beside the volume's `_data`, set-aside ones in the set-aside directory (volume.ts). */
export const dataDirPrefix = { stage: "_data.rewind-stage-", pre: "_data.rewind-", post: "_data.rewind-post-" } as const;

export function shortId(rollbackId: string): string {
  return rollbackId
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, maxShortIdLength)
    .toLowerCase();
}

/** The longest prefix of `text` that fits `maxBytes` of UTF-8 without splitting a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char, "utf8");
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

function withSuffix(base: string, suffix: string): string {
  return `${cutUtf8(base, maxIdentifierBytes - Buffer.byteLength(suffix, "utf8"))}${suffix}`;
}

export const stagedDatabase = (db: string): string => withSuffix(db, databaseSuffix.stage);
export const setAsideDatabase = (db: string, rollbackId: string): string => withSuffix(db, `${databaseSuffix.pre}${shortId(rollbackId)}`);
export const setAsidePostDatabase = (db: string, rollbackId: string): string => withSuffix(db, `${databaseSuffix.post}${shortId(rollbackId)}`);

/**
 * What every set-aside database name of `db` starts with, however much of `db` its suffix cut
 * away (the longest suffix leaves the shortest base): to list them on the server by prefix.
 */
export const setAsideNamePrefix = (db: string): string => cutUtf8(db, maxIdentifierBytes - Buffer.byteLength(databaseSuffix.post, "utf8") - maxShortIdLength);

export const stagedDataDir = (rollbackId: string): string => `${dataDirPrefix.stage}${shortId(rollbackId)}`;
export const setAsideDataDir = (rollbackId: string): string => `${dataDirPrefix.pre}${shortId(rollbackId)}`;
export const setAsidePostDataDir = (rollbackId: string): string => `${dataDirPrefix.post}${shortId(rollbackId)}`;

/** The MinIO directory names of one rollback, for `swapPaths`. */
export const dataDirNames = (rollbackId: string): { staged: string; aside: string; post: string } => ({
  staged: stagedDataDir(rollbackId),
  aside: setAsideDataDir(rollbackId),
  post: setAsidePostDataDir(rollbackId),
});

export interface DerivedDatabaseNames {
  stage: string;
  pre: string;
  post: string;
}

export const derivedDatabaseNames = (db: string, rollbackId: string): DerivedDatabaseNames => ({
  stage: stagedDatabase(db),
  pre: setAsideDatabase(db, rollbackId),
  post: setAsidePostDatabase(db, rollbackId),
});

/**
 * Why the derived names cannot be used, or undefined when they can: each must differ from the others
 * and from the live name, and none may exist yet, except the staged copy when `stageReplaceable`
 * (the one this same rollback created before being resumed, or one an earlier rollback left
 * half-loaded that no open journal refers to: never served on, the stage step replaces it).
 * Pure: `existing` is every database name on the server.
 */
export function derivedNamesProblem(live: string, names: DerivedDatabaseNames, existing: ReadonlySet<string>, stageReplaceable = false): string | undefined {
  const entries = [
    ["staged copy", names.stage],
    ["pre-rollback set-aside copy", names.pre],
    ["post-start set-aside copy", names.post],
  ] as const;
  const seen = new Map<string, string>([[live, "live database"]]);
  for (const [role, name] of entries) {
    const clash = seen.get(name);
    if (clash) return `the ${role} name ${name} is the same as the ${clash}'s; rename the database to a shorter name`;
    seen.set(name, role);
  }
  for (const [role, name] of entries) {
    if (role === "staged copy" && stageReplaceable) continue;
    if (existing.has(name)) {
      return `a database named ${name} already exists (the name of this rollback's ${role}); it is probably left by an earlier rollback: inspect it, then drop or rename it`;
    }
  }
  return undefined;
}
