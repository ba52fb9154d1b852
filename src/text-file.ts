/**
 * Input files given by users (scenarios, policies, CSV tables) read as text: a file that cannot be read, or is not
 * UTF-8 text, is named with the reason in words and where the first bad byte is, instead of the system's EISDIR or
 * EACCES, or of a binary file's bytes turned into U+FFFD and read on as if they were the user's.
 */
import { readFileSync } from 'node:fs';

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

export function readTextFile(file: string): TextRead {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    return { problem: REASONS[code] ?? `cannot read the file (${code || (e as Error).message})` };
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
