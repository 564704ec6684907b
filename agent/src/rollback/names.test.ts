import { describe, expect, it } from "vitest";
import {
  cutUtf8,
  dataDirNames,
  derivedDatabaseNames,
  derivedNamesProblem,
  setAsideDatabase,
  setAsideNamePrefix,
  setAsidePostDatabase,
  stagedDatabase,
} from "./names.ts";

const bytes = (text: string): number => Buffer.byteLength(text, "utf8");
// 27 Cyrillic letters: 54 bytes of UTF-8, 27 UTF-16 units.
const cyrillic = "расписаниезаданийпользовате";

describe("derived names", () => {
  it("fit PostgreSQL's 63-byte identifiers and differ per rollback", () => {
    const long = "x".repeat(80);
    expect(bytes(setAsideDatabase(long, "AbC_def-123456789xyz"))).toBeLessThanOrEqual(63);
    expect(bytes(stagedDatabase(long))).toBeLessThanOrEqual(63);
    expect(setAsideDatabase("schedgen", "rollback-one")).not.toBe(setAsideDatabase("schedgen", "rollback-two"));
    expect(derivedDatabaseNames("schedgen", "rb-1")).toEqual({
      stage: "schedgen__rewind_stage",
      pre: "schedgen__rewind_pre_rb1",
      post: "schedgen__rewind_post_rb1",
    });
  });

  it("cut a 54-byte Cyrillic name by bytes, whole characters only, into three distinct names", () => {
    expect(bytes(cyrillic)).toBe(54);
    const names = derivedDatabaseNames(cyrillic, "0f3c9a7e-5b1d-4c2a-9e8f-123456789abc");
    for (const name of Object.values(names)) {
      expect(bytes(name)).toBeLessThanOrEqual(63);
      // PostgreSQL would keep the name as is: no replacement characters, no half letters.
      expect(Buffer.from(name, "utf8").toString("utf8")).toBe(name);
      expect(cyrillic.startsWith(name.slice(0, name.indexOf("__rewind_")))).toBe(true);
    }
    expect(names.stage.endsWith("__rewind_stage")).toBe(true);
    expect(names.pre.endsWith("__rewind_pre_0f3c9a7e5b1d4c2a")).toBe(true);
    expect(names.post.endsWith("__rewind_post_0f3c9a7e5b1d4c2a")).toBe(true);
    expect(new Set([cyrillic, ...Object.values(names)]).size).toBe(4);
    expect(derivedNamesProblem(cyrillic, names, new Set([cyrillic, "postgres"]))).toBeUndefined();
  });

  it("never split a multi-byte character", () => {
    expect(cutUtf8("ёжик", 3)).toBe("ё");
    expect(cutUtf8("ёжик", 4)).toBe("ёж");
    expect(cutUtf8("a😀b", 4)).toBe("a");
    expect(cutUtf8("a😀b", 5)).toBe("a😀");
    expect(cutUtf8("abc", 63)).toBe("abc");
  });

  it("name the MinIO directories of one rollback apart", () => {
    expect(dataDirNames("rb-1")).toEqual({ staged: "_data.rewind-stage-rb1", aside: "_data.rewind-rb1", post: "_data.rewind-post-rb1" });
  });
});

describe("derivedNamesProblem", () => {
  const live = "schedgen";
  const names = derivedDatabaseNames(live, "rb-1");

  it("refuses a derived name equal to the live one or to another derived one", () => {
    // A 63-byte live name ending in the staged suffix derives itself as its staged copy.
    const edge = `${"s".repeat(49)}__rewind_stage`;
    expect(derivedNamesProblem(edge, derivedDatabaseNames(edge, "rb-1"), new Set([edge]))).toContain("same as the live database");
    expect(derivedNamesProblem(live, { ...names, post: names.pre }, new Set())).toContain(`post-start set-aside copy name ${names.pre}`);
  });

  it("refuses a derived name already in use, except the staged copy this rollback owns", () => {
    expect(derivedNamesProblem(live, names, new Set([live, names.pre]))).toContain(`a database named ${names.pre} already exists`);
    expect(derivedNamesProblem(live, names, new Set([live, names.stage]))).toContain(`a database named ${names.stage} already exists`);
    expect(derivedNamesProblem(live, names, new Set([live, names.stage]), true)).toBeUndefined();
  });
});

describe("the prefix retention lists set-aside databases by", () => {
  it("starts every set-aside name of a long multi-byte database, however its base was cut", () => {
    // 20 CJK characters (60 bytes): a set-aside name keeps only 11 of them; 8 emoji cut between surrogates by UTF-16 slicing.
    for (const db of ["日程生成サービスの本番データベース二号機", "🗓️📅🗓️📅🗓️📅🗓️📅 app", cyrillic, "schedgen"]) {
      const prefix = setAsideNamePrefix(db);
      expect(prefix.length).toBeGreaterThan(0);
      expect(db.startsWith(prefix)).toBe(true);
      for (const id of ["0f3c9a7e-5b1d-4c2a-9e8f-123456789abc", "rb-1"]) {
        expect(setAsideDatabase(db, id).startsWith(prefix)).toBe(true);
        expect(setAsidePostDatabase(db, id).startsWith(prefix)).toBe(true);
      }
    }
  });
});
