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
  ENOTDIR: 'no such file: a folder on its path is a file',
  ELOOP: 'cannot read the file: its links lead round in a loop',
  ENAMETOOLONG: 'no such file: its name is too long',
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

/**
 * 1-based line and column of a character offset. CRLF, LF and a lone CR (an old Mac file's) each end one line, as the
 * CSV reader counts them (data/load.ts).
 */
function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) continue;
    if (c === 0x0a || c === 0x0d) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * The index of the first byte that starts no well-formed UTF-8 sequence (WHATWG's decoder: no overlong forms, no
 * surrogates, nothing past U+10FFFF), or -1 if every byte is UTF-8.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    const following = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (following < 0) return i;
    // The second byte's range is narrower after E0, ED, F0 and F4; the rest are 80–BF.
    let low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    let high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= following; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < low || c > high) return i;
      low = 0x80;
      high = 0xbf;
    }
    i += following + 1;
  }
  return -1;
}

/** A user's input file as UTF-8 text, or the reason it is none: unreadable, a folder, too large, binary, not UTF-8. */
export function readTextFile(file: string): TextRead {
  let bytes: Buffer;
  try {
    bytes = readBounded(file);
  } catch (e) {
    if (e instanceof TooLarge) {
      return { problem: `is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB, more than any file Lodestone reads` };
    }
    const code = (e as NodeJS.ErrnoException).code ?? '';
    return { problem: REASONS[code] ?? `cannot read the file (${code || (e as Error).message})` };
  }
  // UTF-16 (Excel's 'Unicode Text') is text, but its NUL bytes would name it a binary file.
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { problem: 'is UTF-16 text, not UTF-8: save the file as UTF-8' };
  }
  const decoded = bytes.toString('utf8');
  const mark = decoded.startsWith('\uFEFF') ? 1 : 0;
  const text = mark ? decoded.slice(1) : decoded;
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    return { problem: 'is not a text file: it holds a NUL byte', ...positionOf(text, nul) };
  }
  // A byte that is not UTF-8 decodes as U+FFFD, but the file may hold that character itself: the bad byte is found
  // among the bytes, and placed by the characters of the well-formed text before it.
  if (text.includes('\uFFFD')) {
    const bad = firstInvalidUtf8(bytes);
    if (bad >= 0) {
      return {
        problem: 'is not UTF-8 text: this byte is not UTF-8 (Latin-1 or another encoding?) — save the file as UTF-8',
        ...positionOf(text, bytes.subarray(0, bad).toString('utf8').length - mark),
      };
    }
  }
  return { text };
}
