import { describe, expect, it } from "vitest";
import { clientConfig } from "./pg-connect.ts";

describe("where node-pg connects", () => {
  it("a named database travels as a field, never through node-pg's decodeURI of the URL's path", () => {
    const name = "app?x#y%z:@&=+$,;/ü";
    const config = clientConfig({ url: "postgresql://admin:p%40ss%2Fw@db.internal:6543/postgres?sslmode=disable&application_name=rewind", database: name });
    expect(config).toMatchObject({ host: "db.internal", port: 6543, user: "admin", password: "p@ss/w", database: name, application_name: "rewind" });
    expect(config).not.toHaveProperty("connectionString");
  });

  it("a unix-socket URL keeps its socket directory with a named database", () => {
    expect(clientConfig({ url: "postgresql://postgres@/postgres?host=/var/run/postgresql", database: "a#b" })).toMatchObject({
      host: "/var/run/postgresql",
      user: "postgres",
      database: "a#b",
    });
  });

  it("an operator's URL is handed to node-pg as written, with the timeouts", () => {
    expect(clientConfig("postgresql://postgres@127.0.0.1/postgres", { connectSeconds: 3, statementSeconds: 7 })).toEqual({
      connectionString: "postgresql://postgres@127.0.0.1/postgres",
      connectionTimeoutMillis: 3000,
      statement_timeout: 7000,
      keepAlive: true,
    });
  });
});
