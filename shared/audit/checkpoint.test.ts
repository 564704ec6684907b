import { describe, expect, it } from "vitest";
import { isRewindError } from "../errors.ts";
import { generateSigningKey } from "../signing.ts";
import { checkpointBody, noteKeyHash, parseCheckpoint, signCheckpoint, verifierKey, verifyCheckpoint } from "./checkpoint.ts";
import { fromBase64, leafHash, toBase64, toHex } from "./merkle.ts";

const root = leafHash("root");

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isRewindError(error) ? error.code : "not a RewindError";
  }
}

describe("C2SP checkpoints", () => {
  it("writes the tlog-checkpoint signed-note layout and verifies it", async () => {
    const key = await generateSigningKey("k1");
    const note = await signCheckpoint({ origin: "rewind.example/audit", size: 42, root }, key.privateJwk);
    const [body, signatureLine] = note.split("\n\n");
    expect(`${body}\n`).toBe(`rewind.example/audit\n42\n${toBase64(root)}\n`);
    expect(signatureLine).toMatch(/^\u2014 rewind\.example\/audit [A-Za-z0-9+/]+=*\n$/);
    const blob = fromBase64(signatureLine?.split(" ")[2] ?? "");
    expect(blob.length).toBe(68);
    expect([...blob.subarray(0, 4)]).toEqual([...noteKeyHash("rewind.example/audit", key.publicJwk)]);
    // name+hash+key: the key's base64 may itself contain '+', so split on the first two only.
    const [, name, hash, typedKey] = /^([^+]+)\+([^+]+)\+(.+)$/.exec(verifierKey("rewind.example/audit", key.publicJwk)) ?? [];
    expect([name, hash]).toEqual(["rewind.example/audit", toHex(blob.subarray(0, 4))]);
    const rawKey = fromBase64(key.publicJwk.x.replace(/-/g, "+").replace(/_/g, "/").padEnd(44, "="));
    expect(toHex(fromBase64(typedKey ?? ""))).toBe(`01${toHex(rawKey)}`);
    const head = await verifyCheckpoint(note, [key.publicJwk]);
    expect(head).toMatchObject({ origin: "rewind.example/audit", size: 42, body: checkpointBody(head) });
  });

  it("accepts any published key (rotation) and refuses unknown keys and altered bodies by code", async () => {
    const old = await generateSigningKey("old");
    const current = await generateSigningKey("current");
    const note = await signCheckpoint({ origin: "o", size: 3, root }, old.privateJwk);
    expect((await verifyCheckpoint(note, [current.publicJwk, old.publicJwk])).size).toBe(3);
    expect(await codeOf(verifyCheckpoint(note, [current.publicJwk]))).toBe("UNKNOWN_KEY");
    expect(await codeOf(verifyCheckpoint(note.replace("\n3\n", "\n4\n"), [old.publicJwk]))).toBe("SIGNATURE_INVALID");
    expect(await codeOf(verifyCheckpoint(note.replace("\n\n", "\n"), [old.publicJwk]))).toBe("MALFORMED");
    expect(() => parseCheckpoint("o\n-1\nAAAA\n\n\u2014 o AAAAAAAA\n")).toThrow(/not a decimal number/);
  });

  it("matches each note's key hash against its own origin, one key signing for several origins in turn", async () => {
    const key = await generateSigningKey("shared");
    const a = await signCheckpoint({ origin: "a.example/log", size: 1, root }, key.privateJwk);
    const b = await signCheckpoint({ origin: "b.example/log", size: 2, root }, key.privateJwk);
    for (const note of [a, b, a]) expect((await verifyCheckpoint(note, [key.publicJwk])).origin).toBe(note.split("\n")[0]);
    // b's signature relabelled as a's origin still carries b's key hash: no key named a.example/log made it.
    const relabelled = b.replace(/^b\.example/, "a.example").replace("\u2014 b.example", "\u2014 a.example");
    expect(await codeOf(verifyCheckpoint(relabelled, [key.publicJwk]))).toBe("UNKNOWN_KEY");
  });
});
