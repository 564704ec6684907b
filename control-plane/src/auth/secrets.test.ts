import { describe, expect, it } from "vitest";
import { roleAllowed } from "./roles.ts";
import { bearerOf, newSecret, secretsEqual, sha256Hex } from "./secrets.ts";

describe("bearer secrets", () => {
  it("reads only a well-formed bearer header", () => {
    expect(bearerOf("Bearer abc.def")).toBe("abc.def");
    expect(bearerOf("bearer  xyz ")).toBe("xyz");
    expect(bearerOf("Basic dXNlcjpwYXNz")).toBeUndefined();
    expect(bearerOf("Bearer")).toBeUndefined();
    expect(bearerOf(undefined)).toBeUndefined();
  });

  it("mints distinct prefixed secrets and stores them only as SHA-256", async () => {
    const a = newSecret("rwt");
    expect(a).toMatch(/^rwt_[A-Za-z0-9_-]{44}$/);
    expect(newSecret("rwt")).not.toBe(a);
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await secretsEqual(a, a)).toBe(true);
    expect(await secretsEqual(a, `${a}x`)).toBe(false);
  });
});

describe("roles", () => {
  it("lets admin do everything and others only what is listed", () => {
    expect(roleAllowed("admin", ["operator"])).toBe(true);
    expect(roleAllowed("operator", ["operator"])).toBe(true);
    expect(roleAllowed("viewer", ["operator"])).toBe(false);
    expect(roleAllowed("enroll", ["viewer", "operator"])).toBe(false);
  });
});
