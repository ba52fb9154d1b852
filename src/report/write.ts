/**
 * Writing the report folder atomically. Every file is made in memory first (so a result that cannot be serialised
 * fails before the disk is touched), then written and flushed in a temporary sibling folder; only when all of them
 * are complete do they take their place: the whole folder is renamed into place when it did not exist, otherwise
 * each file replaces its older version by rename (other files in the folder are left alone), and a failed rename
 * puts back the files already replaced. A failure at any point removes the temporary folder and leaves what was
 * there before as it was. (A crash of the machine between the last renames can still mix complete old and new
 * files; no file is ever partial.)
 */

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { checkFolderPath } from '../folders.ts';
import type { Comparison } from '../simulate/result.ts';
import { comparisonCsv } from './csv.ts';
import { type ReportOptions, renderReport } from './html.ts';
import { assertFinite } from './validate.ts';
import { ReportError } from './view.ts';

/** The files of a report folder, in the order they are written. */
export const REPORT_FILES = ['report.html', 'results.json', 'years-long.csv', 'years-wide.csv'] as const;

/** The Comparison as results.json: indented, with a final newline. */
export function resultsJson(comparison: Comparison): string {
  assertFinite(comparison);
  return `${JSON.stringify(comparison, null, 2)}\n`;
}

/** Writes a file completely and flushes it to disk before returning. */
function writeDurably(file: string, text: string): void {
  const fd = openSync(file, 'wx');
  try {
    writeFileSync(fd, text, 'utf8');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a folder's entries (the renames into it); not every platform allows it, and nothing depends on it. */
function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}

/**
 * Moves the complete new files over the old ones, one rename each (so every file is either old or new, never
 * partial). The old files are kept as hard links first: if a rename fails, the files already moved are put back.
 */
function replaceFiles(staging: string, target: string): void {
  const previous = path.join(staging, '.previous');
  mkdirSync(previous);
  for (const name of REPORT_FILES) {
    const file = path.join(target, name);
    if (!existsSync(file)) continue;
    try {
      linkSync(file, path.join(previous, name));
    } catch {
      copyFileSync(file, path.join(previous, name));
    }
  }
  const moved: string[] = [];
  try {
    for (const name of REPORT_FILES) {
      renameSync(path.join(staging, name), path.join(target, name));
      moved.push(name);
    }
  } catch (e) {
    for (const name of moved.reverse()) {
      const old = path.join(previous, name);
      try {
        if (existsSync(old)) renameSync(old, path.join(target, name));
        else rmSync(path.join(target, name), { force: true });
      } catch {
        // Keep undoing the others.
      }
    }
    throw e;
  }
}

export function writeReport(dir: string, comparison: Comparison, options: ReportOptions = {}): { files: string[] } {
  const target = path.resolve(dir);
  const csv = comparisonCsv(comparison);
  const contents: Record<(typeof REPORT_FILES)[number], string> = {
    'report.html': renderReport(comparison, options),
    'results.json': resultsJson(comparison),
    'years-long.csv': csv.long,
    'years-wide.csv': csv.wide,
  };
  for (const name of REPORT_FILES) {
    const file = path.join(target, name);
    if (existsSync(file) && !statSync(file).isFile()) {
      throw new ReportError(`${file} exists and is not a file: cannot replace it with the report's ${name}`);
    }
  }
  checkFolderPath(target, 'the report');
  const parent = path.dirname(target);
  // Not mkdtemp: its folder is private (0700), and this one may become the report folder itself.
  const staging = path.join(parent, `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(parent, { recursive: true });
    mkdirSync(staging);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ReportError(`${target}: cannot write the report there: ${parent} does not take a new folder (${code})`);
  }
  try {
    for (const name of REPORT_FILES) writeDurably(path.join(staging, name), contents[name]);
    syncFolder(staging);
    let placed = false;
    if (!existsSync(target)) {
      try {
        renameSync(staging, target);
        placed = true;
      } catch (e) {
        // Someone made the folder meanwhile: fall back to replacing file by file.
        const code = (e as NodeJS.ErrnoException)?.code;
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY' && code !== 'EISDIR') throw e;
      }
    }
    if (!placed) {
      replaceFiles(staging, target);
      rmSync(staging, { recursive: true, force: true });
    }
    syncFolder(target);
    syncFolder(parent);
  } catch (e) {
    try {
      rmSync(staging, { recursive: true, force: true });
    } catch {
      // The original error matters more than a temporary folder that could not be removed.
    }
    throw e;
  }
  return { files: REPORT_FILES.map((name) => path.join(target, name)) };
}
