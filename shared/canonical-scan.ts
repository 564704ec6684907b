// A quick yes for "this JSON text is already in canonical form" (canonical-json.ts), read straight
// off the text: `rewind audit verify` re-serialized every entry to compare, ~0.35 µs per entry more
// than this (of ~4.7, issue 15). It says yes only to text made of the forms canonicalJson writes that need no
// judgement: keys in strictly ascending order, no whitespace, integers of at most 15 digits, strings
// with only the short escapes. A \u escape, a fraction or exponent, a surrogate, anything else gets
// no (undecided) and the caller takes the full way. canonical-scan.test.ts holds every yes to
// canonicalJson(JSON.parse(text)) === text.

const quote = 0x22;
const backslash = 0x5c;
const comma = 0x2c;
const colon = 0x3a;
const minus = 0x2d;
const zero = 0x30;
const nine = 0x39;

/** A run of characters JSON.stringify writes as they are (sticky: matched from `lastIndex` on). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters are what a JSON string may not hold
const plainRun = /[^"\\\u0000-\u001f\ud800-\udfff]*/y;

/** Escapes JSON.stringify itself writes with a letter: \" \\ \b \f \n \r \t. */
function isShortEscape(code: number): boolean {
  return code === quote || code === backslash || code === 0x62 || code === 0x66 || code === 0x6e || code === 0x72 || code === 0x74;
}

/** Deeper nesting is left to the full check (and no recursion here can run out of stack). */
const maxDepth = 32;

class Scanner {
  private at = 0;
  private depth = 0;
  private escaped = false;

  constructor(private readonly text: string) {}

  /** The whole text is one canonical value. */
  document(): boolean {
    return this.value() && this.at === this.text.length;
  }

  private value(): boolean {
    const code = this.text.charCodeAt(this.at);
    if (code === 0x7b || code === 0x5b) {
      if (this.depth === maxDepth) return false;
      this.depth += 1;
      const ok = code === 0x7b ? this.object() : this.array();
      this.depth -= 1;
      return ok;
    }
    if (code === quote) return this.string() >= 0;
    if (code === minus || (code >= zero && code <= nine)) return this.integer();
    return this.word("true") || this.word("false") || this.word("null");
  }

  private word(literal: string): boolean {
    if (!this.text.startsWith(literal, this.at)) return false;
    this.at += literal.length;
    return true;
  }

  /** -?(0|[1-9][0-9]*), at most 15 digits (exactly what JSON.stringify writes back), not -0. */
  private integer(): boolean {
    const start = this.at;
    if (this.text.charCodeAt(this.at) === minus) this.at += 1;
    const first = this.at;
    let code = this.text.charCodeAt(this.at);
    while (code >= zero && code <= nine) {
      this.at += 1;
      code = this.text.charCodeAt(this.at);
    }
    const digits = this.at - first;
    if (digits === 0 || digits > 15) return false;
    // A fraction or an exponent that follows is no token the caller expects there: a no.
    return !(this.text.charCodeAt(first) === zero && (digits > 1 || first > start));
  }

  /**
   * Reads a string as JSON.stringify writes it; returns where its content starts, or -1. `escaped`
   * tells whether it held an escape.
   */
  private string(): number {
    this.at += 1;
    const start = this.at;
    this.escaped = false;
    for (;;) {
      plainRun.lastIndex = this.at;
      plainRun.test(this.text);
      this.at = plainRun.lastIndex;
      const code = this.text.charCodeAt(this.at);
      if (code === quote) {
        this.at += 1;
        return start;
      }
      // A raw control character is not JSON, a surrogate is left to the full check, NaN is the end.
      if (code !== backslash || !isShortEscape(this.text.charCodeAt(this.at + 1))) return -1;
      this.escaped = true;
      this.at += 2;
    }
  }

  /** Is the text from `a` to `aEnd` before the text from `b` to `bEnd`, by UTF-16 code units? */
  private before(a: number, aEnd: number, b: number, bEnd: number): boolean {
    for (; a < aEnd && b < bEnd; a += 1, b += 1) {
      const x = this.text.charCodeAt(a);
      const y = this.text.charCodeAt(b);
      if (x !== y) return x < y;
    }
    return aEnd - a < bEnd - b;
  }

  private array(): boolean {
    this.at += 1;
    if (this.text.charCodeAt(this.at) === 0x5d) {
      this.at += 1;
      return true;
    }
    for (;;) {
      if (!this.value()) return false;
      const code = this.text.charCodeAt(this.at);
      this.at += 1;
      if (code === 0x5d) return true;
      if (code !== comma) return false;
    }
  }

  private object(): boolean {
    this.at += 1;
    if (this.text.charCodeAt(this.at) === 0x7d) {
      this.at += 1;
      return true;
    }
    let previous = -1;
    let previousEnd = -1;
    for (;;) {
      if (this.text.charCodeAt(this.at) !== quote) return false;
      const start = this.string();
      // Keys are compared as written: with no escape in either (the fast case), the written text
      // orders as the key itself; a key with an escape is left to the full check.
      if (start < 0 || this.escaped) return false;
      const end = this.at - 1;
      if (previous >= 0 && !this.before(previous, previousEnd, start, end)) return false;
      previous = start;
      previousEnd = end;
      if (this.text.charCodeAt(this.at) !== colon) return false;
      this.at += 1;
      if (!this.value()) return false;
      const code = this.text.charCodeAt(this.at);
      this.at += 1;
      if (code === 0x7d) return true;
      if (code !== comma) return false;
    }
  }
}

/** True only if `text` is certainly canonicalJson(JSON.parse(text)); false means undecided. */
export function isCanonicalJsonQuick(text: string): boolean {
  return new Scanner(text).document();
}
