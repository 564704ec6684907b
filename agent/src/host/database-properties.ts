// What a database is beyond its contents, and the SQL that gives a staged copy the same: encoding,
// collation and ctype (with the locale provider), owner, tablespace at CREATE time; connection
// limit, ACL (a `REVOKE CONNECT ... FROM PUBLIC` must survive a rollback), `ALTER DATABASE ... SET`
// and `ALTER ROLE ... IN DATABASE ... SET` settings, and the comment before the swap. pg_dump
// without --create carries none of these, so they are read from the live database. Pure: every
// name and value is quoted here, and the tests cover the awkward ones.
import pg from "pg";

export type LocaleProvider = "libc" | "icu" | "builtin";

export interface AclGrant {
  /** `null` is PUBLIC. */
  grantee: string | null;
  grantor: string;
  privilege: "CREATE" | "TEMPORARY" | "CONNECT";
  grantable: boolean;
}

export interface RoleSetting {
  /** `null`: for every role (`ALTER DATABASE ... SET`); else `ALTER ROLE ... IN DATABASE ... SET`. */
  role: string | null;
  /** pg_db_role_setting.setconfig entries, `name=value`. */
  config: string[];
}

export interface DatabaseProperties {
  encoding: string;
  collate: string;
  ctype: string;
  /** Absent before PostgreSQL 15 (libc only). */
  provider?: LocaleProvider;
  /** The ICU or builtin locale, with that provider. */
  locale?: string;
  icuRules?: string;
  /** Absent: the creating role (no live database to copy). */
  owner?: string;
  tablespace: string;
  connectionLimit: number;
  /** `null`: the default privileges (datacl NULL); else exactly these grants. */
  acl: AclGrant[] | null;
  settings: RoleSetting[];
  comment: string | null;
}

const ident = (name: string): string => pg.escapeIdentifier(name);
const literal = (value: string): string => pg.escapeLiteral(value).trimStart();

const providers: Record<string, LocaleProvider> = { c: "libc", i: "icu", b: "builtin" };

/**
 * Reads one row of `SELECT to_jsonb(d) ... FROM pg_database d` plus the joined names: to_jsonb
 * keeps this independent of the server's version (daticulocale in 15-16, datlocale from 17).
 */
export function propertiesFromRow(row: {
  db: Record<string, unknown>;
  encoding: string;
  owner: string;
  tablespace: string;
  comment: string | null;
  acl: AclGrant[] | null;
  settings: RoleSetting[];
}): DatabaseProperties {
  const text = (key: string): string | undefined => {
    const value = row.db[key];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const provider = text("datlocprovider") === undefined ? undefined : providers[text("datlocprovider") ?? ""];
  const locale = text("datlocale") ?? text("daticulocale");
  const icuRules = text("daticurules");
  return {
    encoding: row.encoding,
    collate: text("datcollate") ?? "C",
    ctype: text("datctype") ?? "C",
    ...(provider ? { provider } : {}),
    ...(provider && provider !== "libc" && locale ? { locale } : {}),
    ...(provider === "icu" && icuRules ? { icuRules } : {}),
    owner: row.owner,
    tablespace: row.tablespace,
    connectionLimit: typeof row.db.datconnlimit === "number" ? row.db.datconnlimit : -1,
    acl: row.acl,
    settings: row.settings,
    comment: row.comment,
  };
}

/** A fresh database like a plain CREATE DATABASE gives (template1's locale): when there is no live database to copy. */
export function defaultProperties(template: DatabaseProperties): DatabaseProperties {
  const { owner: _owner, ...rest } = template;
  return { ...rest, connectionLimit: -1, acl: null, settings: [], comment: null };
}

/** CREATE DATABASE from template0 (nothing a DBA added to template1 leaks in) with the live locale, owner and tablespace. */
export function createDatabaseSql(name: string, p: DatabaseProperties): string {
  const options = [`TEMPLATE = template0`, `ENCODING = ${literal(p.encoding)}`, `LC_COLLATE = ${literal(p.collate)}`, `LC_CTYPE = ${literal(p.ctype)}`];
  if (p.provider) options.push(`LOCALE_PROVIDER = ${p.provider}`);
  if (p.provider === "icu" && p.locale) options.push(`ICU_LOCALE = ${literal(p.locale)}`);
  if (p.provider === "icu" && p.icuRules) options.push(`ICU_RULES = ${literal(p.icuRules)}`);
  if (p.provider === "builtin" && p.locale) options.push(`BUILTIN_LOCALE = ${literal(p.locale)}`);
  if (p.owner) options.push(`OWNER = ${ident(p.owner)}`);
  if (p.tablespace !== "pg_default") options.push(`TABLESPACE = ${ident(p.tablespace)}`);
  return `CREATE DATABASE ${ident(name)} WITH ${options.join(" ")}`;
}

/** Settings whose value is a list of names, each quoted on its own (pg_dump's variable_is_guc_list_quote). */
const listQuoted = new Set([
  "local_preload_libraries",
  "search_path",
  "session_preload_libraries",
  "shared_preload_libraries",
  "temp_tablespaces",
  "unix_socket_directories",
]);

/** Splits a stored list setting (`"$user", public`) into its elements, unquoting double-quoted ones (PostgreSQL's SplitGUCList). */
export function splitSettingList(value: string): string[] {
  const items: string[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < value.length && /\s/.test(value[i] ?? "")) i++;
  };
  skipSpace();
  if (i >= value.length) return items;
  for (;;) {
    let item = "";
    if (value[i] === '"') {
      i++;
      for (;;) {
        const c = value[i];
        if (c === undefined) return [...items, item];
        if (c === '"' && value[i + 1] === '"') {
          item += '"';
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          item += c;
          i++;
        }
      }
    } else {
      while (i < value.length && value[i] !== "," && !/\s/.test(value[i] ?? "")) item += value[i++];
    }
    items.push(item);
    skipSpace();
    if (value[i] !== ",") return items;
    i++;
    skipSpace();
  }
}

/** `SET name TO value` as pg_dump writes it for a stored `name=value`. */
export function settingSql(entry: string): string {
  const at = entry.indexOf("=");
  const name = at < 0 ? entry : entry.slice(0, at);
  const value = at < 0 ? "" : entry.slice(at + 1);
  const values = listQuoted.has(name.toLowerCase()) ? splitSettingList(value) : [value];
  // An empty list is stored as nothing after `=`; it is set back as one empty string, like pg_dump does.
  return `SET ${ident(name)} TO ${values.length === 0 ? "''" : values.map(literal).join(", ")}`;
}

/** GRANTs as the grantor recorded them; a grant by someone other than the owner is made as that role. */
function grantSql(db: string, owner: string, acl: AclGrant[]): string[] {
  const groups = new Map<string, { grant: AclGrant; privileges: string[] }>();
  for (const grant of acl) {
    const key = JSON.stringify([grant.grantor, grant.grantee, grant.grantable]);
    const group = groups.get(key) ?? { grant, privileges: [] };
    group.privileges.push(grant.privilege);
    groups.set(key, group);
  }
  // The owner's grants first: a role granting on its own needs its grant option in place.
  const ordered = [...groups.values()].sort((a, b) => Number(a.grant.grantor !== owner) - Number(b.grant.grantor !== owner));
  return ordered.flatMap(({ grant, privileges }) => {
    const to = grant.grantee === null ? "PUBLIC" : ident(grant.grantee);
    const sql = `GRANT ${privileges.join(", ")} ON DATABASE ${ident(db)} TO ${to}${grant.grantable ? " WITH GRANT OPTION" : ""}`;
    return grant.grantor === owner ? [sql] : [`SET ROLE ${ident(grant.grantor)}`, sql, "RESET ROLE"];
  });
}

/**
 * What the staged database gets once restored and analysed, just before the swap: the live
 * connection limit, ACL, settings and comment. Applied after the restore so a setting such as
 * `default_transaction_read_only` cannot break the restore's own sessions.
 */
export function finishDatabaseSql(db: string, p: DatabaseProperties): string[] {
  const sql: string[] = [];
  const name = ident(db);
  if (p.connectionLimit !== -1) sql.push(`ALTER DATABASE ${name} CONNECTION LIMIT = ${Math.trunc(p.connectionLimit)}`);
  if (p.acl !== null) {
    const owner = p.owner ?? "";
    // From the fresh database's defaults (PUBLIC: CONNECT, TEMPORARY; owner: all) to exactly the live grants.
    sql.push(`REVOKE ALL ON DATABASE ${name} FROM PUBLIC`);
    if (p.owner) sql.push(`REVOKE ALL ON DATABASE ${name} FROM ${ident(p.owner)}`);
    sql.push(...grantSql(db, owner, p.acl));
  }
  for (const setting of p.settings) {
    const target = setting.role === null ? `ALTER DATABASE ${name}` : `ALTER ROLE ${ident(setting.role)} IN DATABASE ${name}`;
    for (const entry of setting.config) sql.push(`${target} ${settingSql(entry)}`);
  }
  if (p.comment !== null) sql.push(`COMMENT ON DATABASE ${name} IS ${literal(p.comment)}`);
  return sql;
}
