// The CLI verifier's native hashes and Ed25519 check must agree exactly with the portable ones the
// control plane uses, or every genuine export would fail verification — or a forged one could pass.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { nativeEd25519 } from "../../agent/src/audit/native-ed25519.ts";
import { nativeHashes } from "../../agent/src/audit/native-hashes.ts";
import { loadVerifyInput } from "../../agent/src/audit/read-export.ts";
import { type Ed25519Verify, parseCheckpoint, signCheckpoint, verifyCheckpoint, webCryptoEd25519 } from "../../shared/audit/checkpoint.ts";
import { exportFiles, toNdjson } from "../../shared/audit/export.ts";
import { leafHash, nodeHash, portableHashes, TreeBuilder, toHex } from "../../shared/audit/merkle.ts";
import { verifyAuditExport } from "../../shared/audit/verify.ts";
import { canonicalJson } from "../../shared/canonical-json.ts";
import { isRewindError } from "../../shared/errors.ts";
import { generateSigningKey } from "../../shared/signing.ts";

const entries = ['{"seq":0}', "", "ünïcödé ✓ 𝄞", '{"details":{"note":"line\\nbreak"},"seq":1}', "x".repeat(5000)];

describe("native Merkle hashes", () => {
  it("hash leaves as SHA-256(0x00 ‖ UTF-8 of the line), like the portable hash", () => {
    for (const entry of entries) expect(toHex(nativeHashes.bytes(nativeHashes.leaf(entry)))).toBe(toHex(leafHash(entry)));
  });

  it("hash nodes as SHA-256(0x01 ‖ left ‖ right), each call independent of the last", () => {
    const [a, b, c] = entries.map((entry) => nativeHashes.leaf(entry));
    const [pa, pb, pc] = entries.map((entry) => leafHash(entry));
    if (a === undefined || b === undefined || c === undefined || pa === undefined || pb === undefined || pc === undefined) throw new Error("fixture");
    const ab = nativeHashes.node(a, b);
    const bc = nativeHashes.node(b, c);
    expect(toHex(nativeHashes.bytes(ab))).toBe(toHex(nodeHash(pa, pb)));
    expect(toHex(nativeHashes.bytes(bc))).toBe(toHex(nodeHash(pb, pc)));
    expect(toHex(nativeHashes.bytes(nativeHashes.node(b, a)))).not.toBe(toHex(nativeHashes.bytes(ab)));
  });

  it("build the same tree head at every size", () => {
    const native = new TreeBuilder(nativeHashes);
    const portable = new TreeBuilder(portableHashes);
    for (let i = 0; i < 200; i += 1) {
      const line = `{"seq":${i}}`;
      native.push(nativeHashes.leaf(line));
      portable.push(portableHashes.leaf(line));
      expect(toHex(native.root())).toBe(toHex(portable.root()));
    }
  });
});

describe("native Ed25519 check", () => {
  it("gives WebCrypto's verdict on genuine, altered, cut and foreign signatures", async () => {
    const key = await generateSigningKey("log");
    const other = await generateSigningKey("other");
    const { head, signatures } = parseCheckpoint(await signCheckpoint({ origin: "o", size: 7, root: leafHash("r") }, key.privateJwk));
    const signature = signatures[0]?.signature ?? new Uint8Array();
    const message = head.body;
    const flipped = signature.slice();
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    const cases: [string, Uint8Array<ArrayBuffer>, string, typeof key.publicJwk, boolean][] = [
      ["genuine", signature, message, key.publicJwk, true],
      ["altered body", signature, head.body.replace("7", "8"), key.publicJwk, false],
      ["flipped bit", flipped, message, key.publicJwk, false],
      ["cut short", signature.slice(0, 63), message, key.publicJwk, false],
      ["empty", new Uint8Array(0), message, key.publicJwk, false],
      ["another key", signature, message, other.publicJwk, false],
    ];
    for (const [what, sig, body, jwk, expected] of cases) {
      const verdicts = await Promise.all([webCryptoEd25519, nativeEd25519].map((check: Ed25519Verify) => check(jwk, sig, body)));
      expect(verdicts, what).toEqual([expected, expected]);
    }
  });

  it("refuses a re-signed checkpoint by code, as the WebCrypto path does", async () => {
    const key = await generateSigningKey("log");
    const note = await signCheckpoint({ origin: "o", size: 3, root: leafHash("r") }, key.privateJwk);
    expect((await verifyCheckpoint(note, [key.publicJwk], nativeEd25519)).size).toBe(3);
    const changed = verifyCheckpoint(note.replace("\n3\n", "\n4\n"), [key.publicJwk], nativeEd25519);
    await expect(changed).rejects.toSatisfy((error: unknown) => isRewindError(error, "SIGNATURE_INVALID"));
  });
});

describe("rewind audit verify's loader (native hashes and Ed25519)", () => {
  async function exportDir(lines: string[], key: Awaited<ReturnType<typeof generateSigningKey>>, signedLines = lines): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), "rewind-audit-native-"));
    const tree = new TreeBuilder();
    const series: string[] = [];
    for (const line of signedLines) {
      tree.push(leafHash(line));
      series.push(JSON.stringify({ size: tree.size, note: await signCheckpoint({ origin: "o", size: tree.size, root: tree.root() }, key.privateJwk) }));
    }
    await writeFile(path.join(dir, exportFiles.entries), toNdjson(lines));
    await writeFile(path.join(dir, exportFiles.checkpoints), toNdjson(series));
    await writeFile(path.join(dir, exportFiles.jwks), JSON.stringify({ keys: [key.publicJwk] }));
    return dir;
  }
  const entry = (seq: number, subject = `token:t${seq}`) =>
    canonicalJson({ seq, time: "2026-12-03T09:00:00.000Z", actor: { kind: "system" }, action: "token.created", subject, details: {} });

  it("accepts a genuine export and names a changed entry and a forged signature", async () => {
    const key = await generateSigningKey("log");
    const lines = [0, 1, 2, 3, 4, 5].map((seq) => entry(seq));
    const verify = async (dir: string) => {
      try {
        return await verifyAuditExport(await loadVerifyInput({ export: dir, key: path.join(dir, exportFiles.jwks) }));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    };
    expect(await verify(await exportDir(lines, key))).toMatchObject({ ok: true, entries: 6, checkpointsChecked: 7 });
    const changed = lines.map((line, seq) => (seq === 3 ? entry(3, "token:changed") : line));
    expect(await verify(await exportDir(changed, key, lines))).toMatchObject({ ok: false, problem: "ROOT_MISMATCH", firstBadSeq: 3 });
    const insider = await generateSigningKey("insider");
    const forged = await exportDir(lines, insider);
    await writeFile(path.join(forged, exportFiles.jwks), JSON.stringify({ keys: [key.publicJwk] }));
    expect(await verify(forged)).toMatchObject({ ok: false, problem: "CHECKPOINT_INVALID", firstBadSeq: 0 });
  });
});
