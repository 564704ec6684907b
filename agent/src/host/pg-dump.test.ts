import { describe, expect, it } from "vitest";
import { connectionFor, dumpArgs, toolEnv } from "./pg-dump.ts";

describe("pg_dump invocation", () => {
  it("keeps the password out of the command line", () => {
    const { dbname, env } = connectionFor("postgresql://app:s%40cret@db.internal:5432/schedgen?sslmode=require");
    expect(dbname).toBe("postgresql://app@db.internal:5432/schedgen?sslmode=require");
    expect(env).toEqual({ PGPASSWORD: "s@cret" });
    expect(dumpArgs({ format: "plain-gzip" }, dbname).join(" ")).not.toContain("s@cret");
  });

  it("asks for the custom format and the shared snapshot only when wanted", () => {
    expect(dumpArgs({ format: "plain-gzip" }, "postgresql://h/db")).toEqual(["--no-password", "--dbname=postgresql://h/db", "--lock-wait-timeout=900s"]);
    expect(dumpArgs({ format: "custom", snapshot: "00000003-00000002-1" }, "postgresql://h/db", { statementSeconds: 30 })).toEqual([
      "--no-password",
      "--dbname=postgresql://h/db",
      "--lock-wait-timeout=30s",
      "--format=custom",
      "--snapshot=00000003-00000002-1",
    ]);
  });

  it("bounds the tools' connection attempt (libpq's PGCONNECT_TIMEOUT)", () => {
    expect(toolEnv("postgresql://app:pw@h/db", { connectSeconds: 7 })).toEqual({
      dbname: "postgresql://app@h/db",
      env: { PGPASSWORD: "pw", PGCONNECT_TIMEOUT: "7" },
    });
  });
});
