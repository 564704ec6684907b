// The verifier takes isCanonicalJsonQuick's yes in place of re-serializing an entry: every yes must be
// text that canonicalJson writes for its own parse. Checked over random JSON values written
// canonically, in other key orders, indented, and with single characters dropped, doubled or replaced.
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";
import { isCanonicalJsonQuick } from "./canonical-scan.ts";

/** A seeded generator, so a failure is reproducible. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keys = ["", "a", "b", "ab", "B", "_", "10", "9", "0", "01", "__proto__", "é", "\n", '"', "\\", "ключ", "𝄞", "\u2028", "a\u0000", "\ud800", "\u007f", "z"];
const strings = [...keys, "plain text", "tab\there", "\u0001", "\u001f", "emoji 😀", "\udc00x", "x\ud83d", "/", "\b\f\r"];
const numbers = [0, -0, 1, -1, 7, 42, -42, 999_999_999_999_999, 1_000_000_000_000_000, 2 ** 53, 1.5, -0.25, 1e21, 1e-7, 123456789012345.6];

function value(next: () => number, depth: number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const kind = Math.floor(next() * (depth > 3 ? 5 : 7));
  if (kind === 0) return pick(numbers);
  if (kind === 1) return pick(strings);
  if (kind === 2) return pick([true, false, null]);
  if (kind === 3 || kind === 4) return pick(numbers.slice(0, 8));
  if (kind === 5) return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 5); i > 0; i -= 1) object[pick(keys)] = value(next, depth + 1);
  return object;
}

const noise = ["{", "}", "[", "]", '"', ":", ",", "\\", " ", "0", "1", "9", "-", ".", "e", "E", "+", "a", "t", "n", "u", "é", "\u0000", "\n", "\ud800"];

function texts(next: () => number, json: unknown): string[] {
  const canonical = canonicalJson(json);
  const out = [canonical, JSON.stringify(json), JSON.stringify(json, null, 1)];
  for (let i = 0; i < 12 && canonical.length > 0; i += 1) {
    const at = Math.floor(next() * canonical.length);
    const char = noise[Math.floor(next() * noise.length)] ?? "";
    const op = Math.floor(next() * 3);
    out.push(
      op === 0
        ? canonical.slice(0, at) + canonical.slice(at + 1)
        : op === 1
          ? canonical.slice(0, at) + char + canonical.slice(at)
          : canonical.slice(0, at) + char + canonical.slice(at + 1),
    );
  }
  return out;
}

function parses(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

describe("the quick canonical-form check", () => {
  it("says yes only to text that canonicalJson writes for its own parse", () => {
    const next = random(15);
    let yes = 0;
    let no = 0;
    for (let i = 0; i < 4000; i += 1) {
      for (const text of texts(next, value(next, 0))) {
        if (!isCanonicalJsonQuick(text)) {
          no += 1;
          continue;
        }
        yes += 1;
        const parsed = parses(text);
        expect(parsed.ok, text).toBe(true);
        if (parsed.ok) expect(canonicalJson(parsed.value), text).toBe(text);
      }
    }
    expect(yes).toBeGreaterThan(5000);
    expect(no).toBeGreaterThan(20000);
  });

  it("says yes to audit entries as the log writes them, and no to re-encoded ones", () => {
    const entry = {
      seq: 41,
      time: "2026-12-03T09:00:00.000Z",
      actor: { kind: "token", tokenId: "op-token-1", role: "operator" },
      action: "command.queued",
      subject: "command:cmd1",
      details: { host: "web-1", action: { type: "ping" }, reason: 'said "stop"\n\tnow', count: -3, ok: true, none: null, list: [] },
    };
    const line = canonicalJson(entry);
    expect(isCanonicalJsonQuick(line)).toBe(true);
    for (const reencoded of [
      JSON.stringify(entry),
      JSON.stringify(entry, null, 2),
      line.replace('"seq":41', '"seq":41.0'),
      line.replace('"seq":41', '"seq":4.1e1'),
      line.replace("cmd1", "cmd\\u0031"),
      line.replace("cmd1", "cmd1\\/"),
      line.replace('"count":-3', '"count":-3,"count":-3'),
      `${line} `,
      ` ${line}`,
      `${line}${line}`,
    ]) {
      expect(isCanonicalJsonQuick(reencoded), reencoded).toBe(false);
    }
  });

  it("leaves deep nesting to the full check instead of running out of stack", () => {
    expect(isCanonicalJsonQuick(`${"[".repeat(100_000)}${"]".repeat(100_000)}`)).toBe(false);
    expect(isCanonicalJsonQuick(`${"[".repeat(20)}${"]".repeat(20)}`)).toBe(true);
  });
});
