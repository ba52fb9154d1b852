/**
 * Input files given by users (scenarios, policies, CSV tables) read as text: a file that cannot be read, or is not
 * UTF-8 text, is named with the reason in words and where the first bad byte is, instead of the system's EISDIR or
 * EACCES, or of a binary file's bytes turned into U+FFFD and read on as if they were the user's.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** The file's text (a leading byte-order mark dropped: editors on Windows write one), or why there is none. */
export type TextRead =
  | { readonly text: string }
  | { readonly problem: string; readonly line?: number; readonly column?: number };

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a folder, not a file',
  EACCES: 'cannot read the file: permission denied',
  EPERM: 'cannot read the file: permission denied',
};

/**
 * Far more than any scenario, policy or table (the largest embedded table is 115 kB): a device or a pipe that never
 * ends (/dev/zero, '<(yes)') stops here, rather than filling the memory until the process is killed.
 */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

class TooLarge extends Error {}

/** The file's bytes, read a chunk at a time up to the limit: a pipe or a device has no size to ask for first. */
function readBounded(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1024 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return Buffer.concat(chunks, total);
      total += n;
      if (total > MAX_INPUT_BYTES) throw new TooLarge();
      chunks.push(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** 1-based line and column of a character offset. */
function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** A user's input file as UTF-8 text, or the reason it is none: unreadable, a folder, too large, binary, not UTF-8. */
export function readTextFile(file: string): TextRead {
  let bytes: Buffer;
  try {
    bytes = readBounded(file);
  } catch (e) {
    if (e instanceof TooLarge) {
      return { problem: `is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB: not a scenario, policy or table` };
    }
    const code = (e as NodeJS.ErrnoException).code ?? '';
    return { problem: REASONS[code] ?? `cannot read the file (${code || (e as Error).message})` };
  }
  // UTF-16 (Excel's 'Unicode Text') is text, but its NUL bytes would name it a binary file.
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { problem: 'is UTF-16 text, not UTF-8: save the file as UTF-8' };
  }
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    return { problem: 'is not a text file: it holds a NUL byte', ...positionOf(text, nul) };
  }
  // A byte that is not UTF-8 decodes as U+FFFD; the file may hold that character itself, so decode strictly first.
  const replaced = text.indexOf('\uFFFD');
  if (replaced >= 0) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return {
        problem: 'is not UTF-8 text: this byte is not UTF-8 (Latin-1 or another encoding?) — save the file as UTF-8',
        ...positionOf(text, replaced),
      };
    }
  }
  return { text };
}
