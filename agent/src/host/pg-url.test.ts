import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "../config.ts";
import { databaseNameProblem, urlDatabaseProblem } from "./pg-url.ts";
import { urlForDatabase } from "./postgres-restore.ts";

describe("a database named in a URL path", () => {
  it("accepts one plain name, percent-encoded characters, an empty path and a socket in the query", () => {
    for (const url of [
      "postgresql://admin@db.internal:5432/postgres",
      "postgres://admin:p%40ss@db/app%20db?sslmode=disable",
      "postgresql://admin@db/ü.x",
      "postgresql://admin@db",
      "postgresql://admin@db/",
      "postgresql://postgres@/postgres?host=/var/run/postgresql",
      "postgresql://%2Fvar%2Frun%2Fpostgresql/postgres",
    ]) {
      expect(urlDatabaseProblem(url), url).toBeUndefined();
    }
  });

  it("refuses '.' and '..', written plain or percent-encoded: a URL parser resolves them to another database", () => {
    for (const url of ["postgresql://admin@db/.", "postgresql://admin@db/..", "postgresql://admin@db/%2E%2e", "postgresql://admin@db/..?sslmode=require"]) {
      expect(urlDatabaseProblem(url), url).toMatch(/cannot be used as a database name: in a connection URL it is a path step/);
    }
  });

  it("refuses a path of several segments, and a '/' hidden as %2F", () => {
    for (const url of ["postgresql://admin@db/a/b", "postgresql://admin@db/a/../postgres", "postgresql://admin@db/a%2Fb"]) {
      expect(urlDatabaseProblem(url), url).toContain("names more than one path segment");
    }
    expect(urlDatabaseProblem("postgresql://admin@db/%E0%A4%A")).toContain("not valid percent-encoding");
  });

  it("refuses '.' and '..' as the database name the tools connect to by URL", () => {
    expect(databaseNameProblem("..")).toContain("'..' cannot be used as a database name");
    expect(databaseNameProblem("a/b")).toBeUndefined();
    expect(urlForDatabase("postgresql://admin@db/postgres", "a/b")).toBe("postgresql://admin@db/a%2Fb");
    expect(() => urlForDatabase("postgresql://admin@db/postgres", ".")).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
  });
});

describe("the agent config's database", () => {
  const config = (database: Record<string, unknown>) => ({ host: "web-1", stateDir: "/var/lib/rewind", project: { name: "app", dir: "/srv/app", database } });

  it("is refused at start-up with a config error naming the field", () => {
    expect(() => parseAgentConfig(config({ adminUrl: "postgresql://admin@db/..", name: "app" }), "agent.json", "/")).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringMatching(/project\.database\.adminUrl.*path step/) }),
    );
    expect(() => parseAgentConfig(config({ adminUrl: "postgresql://admin@db/a%2Fb", name: "app" }), "agent.json", "/")).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringMatching(/project\.database\.adminUrl.*more than one path segment/) }),
    );
    expect(() => parseAgentConfig(config({ adminUrl: "postgresql://admin@db/postgres", name: "." }), "agent.json", "/")).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringMatching(/project\.database\.name.*'\.' cannot be used/) }),
    );
    expect(parseAgentConfig(config({ adminUrl: "postgresql://admin@db/postgres", name: "a/b" }), "agent.json", "/").project.database?.name).toBe("a/b");
  });
});
