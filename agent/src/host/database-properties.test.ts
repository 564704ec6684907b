import { describe, expect, it } from "vitest";
import {
  createDatabaseSql,
  type DatabaseProperties,
  defaultProperties,
  finishDatabaseSql,
  propertiesFromRow,
  settingSql,
  splitSettingList,
} from "./database-properties.ts";

const live: DatabaseProperties = {
  encoding: "LATIN1",
  collate: "C",
  ctype: "C",
  provider: "libc",
  owner: "app",
  tablespace: "pg_default",
  connectionLimit: -1,
  acl: null,
  settings: [],
  comment: null,
};

describe("createDatabaseSql", () => {
  it("creates from template0 with the live encoding, locale and owner", () => {
    expect(createDatabaseSql("schedgen__rewind_stage", live)).toBe(
      `CREATE DATABASE "schedgen__rewind_stage" WITH TEMPLATE = template0 ENCODING = 'LATIN1' LC_COLLATE = 'C' LC_CTYPE = 'C' LOCALE_PROVIDER = libc OWNER = "app"`,
    );
  });

  it("carries an ICU or builtin locale, and a tablespace other than the default", () => {
    const icu = { ...live, encoding: "UTF8", collate: "en_US.UTF-8", ctype: "en_US.UTF-8", provider: "icu" as const, locale: "de-DE", icuRules: "&a < b" };
    expect(createDatabaseSql("s", { ...icu, tablespace: "fast ssd" })).toBe(
      `CREATE DATABASE "s" WITH TEMPLATE = template0 ENCODING = 'UTF8' LC_COLLATE = 'en_US.UTF-8' LC_CTYPE = 'en_US.UTF-8' LOCALE_PROVIDER = icu ICU_LOCALE = 'de-DE' ICU_RULES = '&a < b' OWNER = "app" TABLESPACE = "fast ssd"`,
    );
    expect(createDatabaseSql("s", { ...live, provider: "builtin", locale: "C.UTF-8" })).toContain("LOCALE_PROVIDER = builtin BUILTIN_LOCALE = 'C.UTF-8'");
  });

  it("quotes names and values that would otherwise inject SQL", () => {
    const sql = createDatabaseSql('x"; DROP DATABASE prod; --', { ...live, owner: 'Ow"ner', collate: "it's" });
    expect(sql).toContain(`CREATE DATABASE "x""; DROP DATABASE prod; --"`);
    expect(sql).toContain(`OWNER = "Ow""ner"`);
    expect(sql).toContain(`LC_COLLATE = 'it''s'`);
  });

  it("leaves the provider out for servers before 15 and the owner out with no live database", () => {
    const { provider: _p, ...old } = live;
    expect(createDatabaseSql("s", defaultProperties(old))).toBe(
      `CREATE DATABASE "s" WITH TEMPLATE = template0 ENCODING = 'LATIN1' LC_COLLATE = 'C' LC_CTYPE = 'C'`,
    );
  });
});

describe("finishDatabaseSql", () => {
  it("does nothing for a database with every default", () => {
    expect(finishDatabaseSql("s", live)).toEqual([]);
  });

  it("gives exactly the live grants: CONNECT revoked from PUBLIC stays revoked", () => {
    const acl = [
      { grantee: "app", grantor: "app", privilege: "CREATE" as const, grantable: false },
      { grantee: "app", grantor: "app", privilege: "TEMPORARY" as const, grantable: false },
      { grantee: "app", grantor: "app", privilege: "CONNECT" as const, grantable: false },
      { grantee: "report er", grantor: "app", privilege: "CONNECT" as const, grantable: true },
      { grantee: "viewer", grantor: "report er", privilege: "CONNECT" as const, grantable: false },
    ];
    expect(finishDatabaseSql("s", { ...live, acl })).toEqual([
      `REVOKE ALL ON DATABASE "s" FROM PUBLIC`,
      `REVOKE ALL ON DATABASE "s" FROM "app"`,
      `GRANT CREATE, TEMPORARY, CONNECT ON DATABASE "s" TO "app"`,
      `GRANT CONNECT ON DATABASE "s" TO "report er" WITH GRANT OPTION`,
      `SET ROLE "report er"`,
      `GRANT CONNECT ON DATABASE "s" TO "viewer"`,
      "RESET ROLE",
    ]);
  });

  it("an empty ACL (everything revoked) stays empty", () => {
    expect(finishDatabaseSql("s", { ...live, acl: [] })).toEqual([`REVOKE ALL ON DATABASE "s" FROM PUBLIC`, `REVOKE ALL ON DATABASE "s" FROM "app"`]);
  });

  it("copies connection limit, database and per-role settings, and the comment", () => {
    const settings = [
      { role: null, config: ["work_mem=64MB", 'search_path="$user", app, "We""ird"'] },
      { role: "report er", config: ["statement_timeout=5min", "default_transaction_read_only=on"] },
    ];
    expect(finishDatabaseSql("s", { ...live, connectionLimit: 40, settings, comment: "schedgen's data" })).toEqual([
      `ALTER DATABASE "s" CONNECTION LIMIT = 40`,
      `ALTER DATABASE "s" SET "work_mem" TO '64MB'`,
      `ALTER DATABASE "s" SET "search_path" TO '$user', 'app', 'We"ird'`,
      `ALTER ROLE "report er" IN DATABASE "s" SET "statement_timeout" TO '5min'`,
      `ALTER ROLE "report er" IN DATABASE "s" SET "default_transaction_read_only" TO 'on'`,
      `COMMENT ON DATABASE "s" IS 'schedgen''s data'`,
    ]);
  });
});

describe("settings", () => {
  it("splits stored lists like PostgreSQL does", () => {
    expect(splitSettingList('"$user", public')).toEqual(["$user", "public"]);
    expect(splitSettingList("a,b ,  c")).toEqual(["a", "b", "c"]);
    expect(splitSettingList('""')).toEqual([""]);
    expect(splitSettingList("")).toEqual([]);
  });

  it("writes a value with quotes or a backslash as one literal", () => {
    expect(settingSql("app.note=it's")).toBe(`SET "app.note" TO 'it''s'`);
    expect(settingSql("search_path=")).toBe(`SET "search_path" TO ''`);
    expect(settingSql("app.path=C:\\x")).toBe(`SET "app.path" TO E'C:\\\\x'`);
  });
});

describe("propertiesFromRow", () => {
  const base = { encoding: "UTF8", owner: "app", tablespace: "pg_default", comment: null, acl: null, settings: [] };

  it("reads PostgreSQL 15's ICU columns and 17's datlocale", () => {
    const pg15 = propertiesFromRow({ ...base, db: { datcollate: "C", datctype: "C", datlocprovider: "i", daticulocale: "de-DE", datconnlimit: 5 } });
    expect(pg15).toMatchObject({ provider: "icu", locale: "de-DE", connectionLimit: 5 });
    const pg17 = propertiesFromRow({ ...base, db: { datcollate: "C", datctype: "C", datlocprovider: "b", datlocale: "C.UTF-8", datconnlimit: -1 } });
    expect(pg17).toMatchObject({ provider: "builtin", locale: "C.UTF-8" });
    const pg14 = propertiesFromRow({ ...base, db: { datcollate: "en_US.UTF-8", datctype: "en_US.UTF-8", datconnlimit: -1 } });
    expect(pg14.provider).toBeUndefined();
    expect(
      propertiesFromRow({ ...base, db: { datcollate: "C", datctype: "C", datlocprovider: "c", daticulocale: null, datconnlimit: -1 } }).locale,
    ).toBeUndefined();
  });
});
