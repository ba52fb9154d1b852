import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh folder to write reports into. */
export function parentFolder(): string {
  return mkdtempSync(path.join(tmpdir(), 'lodestone-report-'));
}

/** Every file of a folder and its bytes (as latin1 text, so any byte compares). */
export function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(path.join(dir, f), 'latin1')]),
  );
}
