// The lines of an export file, read in large chunks and handed over in batches: readline's stream of
// one string (and one await) per line was ~0.5 µs of CPU per entry of `rewind audit verify`, this ~0.1
// (issue 15). Lines end where readline ended them (\n, \r\n or a lone \r), so an export reads the same.
import { isAscii } from "node:buffer";
import { open } from "node:fs/promises";

const chunkBytes = 4 * 1024 * 1024;
const newline = 0x0a;
const lineBreak = /\r?\n|\r(?!\n)/;

/** `text` holds whole lines, each but perhaps the last ended by a line break. */
function splitLines(text: string): string[] {
  const lines = text.includes("\r") ? text.split(lineBreak) : text.split("\n");
  // A break at the very end closes the last line; it does not open an empty one.
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

function decode(bytes: Buffer): string {
  // Most exports are plain ASCII, which needs no UTF-8 decoding: the same string, made cheaper.
  return isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
}

/**
 * The file's lines, a batch per chunk read. A chunk is cut after its last \n, a byte that is never
 * inside a UTF-8 sequence, and the rest carried into the next read; a line longer than the buffer
 * grows it.
 */
export async function* lineBatches(path: string, bufferBytes = chunkBytes): AsyncGenerator<string[]> {
  const file = await open(path);
  try {
    let buffer = Buffer.allocUnsafe(bufferBytes);
    let carried = 0;
    for (;;) {
      if (carried === buffer.length) {
        const larger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(larger, 0, 0, carried);
        buffer = larger;
      }
      const { bytesRead } = await file.read(buffer, carried, buffer.length - carried, null);
      if (bytesRead === 0) {
        if (carried > 0) yield splitLines(decode(buffer.subarray(0, carried)));
        return;
      }
      const end = carried + bytesRead;
      const last = buffer.lastIndexOf(newline, end - 1);
      if (last < 0) {
        carried = end;
        continue;
      }
      yield splitLines(decode(buffer.subarray(0, last + 1)));
      buffer.copy(buffer, 0, last + 1, end);
      carried = end - last - 1;
    }
  } finally {
    await file.close();
  }
}
