// Secrets for `agent enroll` and `keygen` without argv (which `ps` and shell history show): a file,
// or `-` for stdin (typed without echo on a terminal, or piped). And the one transport check
// enrollment needs: the token and the pinned control-plane keys never travel in clear.
import { readFile } from "node:fs/promises";
import { usageError } from "./args.ts";
import type { CliIo } from "./io.ts";
import { readSecret } from "./prompt.ts";

/** The secret from `--x` or `--x-file` (exactly one); trailing newlines dropped. */
export async function secretFrom(
  io: CliIo,
  given: { inline: string | undefined; file: string | undefined },
  names: { inline: string; file: string },
  prompt: string,
): Promise<string | undefined> {
  if (given.inline !== undefined && given.file !== undefined) throw usageError(`give ${names.inline} or ${names.file}, not both`);
  if (given.file === undefined) return given.inline;
  let text: string;
  try {
    text = given.file === "-" ? await readSecret(io, prompt) : await readFile(given.file, "utf8");
  } catch (error) {
    throw usageError(`cannot read ${names.file} ${given.file}: ${(error as Error).message}`);
  }
  const secret = text.replace(/[\r\n]+$/, "");
  if (secret === "") throw usageError(`${names.file} ${given.file} is empty`);
  return secret;
}

const loopbackNames = new Set(["localhost", "[::1]", "::1"]);

/** Plain http:// is for a control plane on this machine only (tests, a local tunnel). */
export function requireSafeEnrollUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`--url must be an absolute URL, not '${url}'`);
  }
  if (parsed.protocol === "https:") return;
  const loopback = loopbackNames.has(parsed.hostname) || /^127\.\d+\.\d+\.\d+$/.test(parsed.hostname);
  if (parsed.protocol === "http:" && loopback) return;
  throw usageError(
    `refusing to enroll over ${parsed.protocol}// to ${parsed.hostname}: the enrollment token and the control plane keys this host will trust would travel unprotected; use the control plane's https:// URL`,
  );
}
