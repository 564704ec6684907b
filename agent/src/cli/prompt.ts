// Questions to the person at the terminal. Prompts go to stderr, so stdout stays the command's
// result (a pipe or `--json` never receives a question).
import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";
import type { CliIo } from "./io.ts";

/** The typed answer, trimmed; undefined when stdin is not a terminal (nobody to ask). */
export async function ask(io: CliIo, question: string): Promise<string | undefined> {
  if (io.stdin.isTTY !== true) return undefined;
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/**
 * A secret (an API token): typed without echo on a terminal, else read whole from stdin (a pipe, a
 * file, a secret manager's output), so it never appears in argv or the shell history.
 */
export async function readSecret(io: CliIo, question: string): Promise<string> {
  if (io.stdin.isTTY === true) {
    io.stderr.write(question);
    // readline echoes into its output; a sink swallows the typed characters.
    const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
    const rl = createInterface({ input: io.stdin, output: silent, terminal: true });
    try {
      return (await rl.question("")).trim();
    } finally {
      rl.close();
      io.stderr.write("\n");
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8").trim();
}
