import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { checkDataset } from '../src/data/checks.ts';
import { loadDataset } from '../src/data/load.ts';
import { InputError } from '../src/model/document.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MINI = path.join(ROOT, 'test/fixtures/mini');

/** Copies the mini fixture to a temporary folder and applies edits: file -> new content or a transform. */
export function brokenFixture(edits: Record<string, string | ((text: string) => string)>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-fixture-'));
  cpSync(MINI, dir, { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    const target = path.join(dir, file);
    const before = (() => {
      try {
        return readFileSync(target, 'utf8');
      } catch {
        return '';
      }
    })();
    const after = typeof edit === 'string' ? edit : edit(before);
    if (typeof edit !== 'string' && after === before) throw new Error(`edit of ${file} changed nothing`);
    writeFileSync(target, after);
  }
  return dir;
}

/** A fresh folder holding only the given files: a user's overlay of their own tables. */
export function overlayDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-overlay-'));
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  return dir;
}

export function checkFixture(dir: string) {
  return checkDataset(loadDataset({ dataDir: dir }));
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `lodestone` binary, as a user would. */
export function runCli(args: readonly string[], options: { cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/lodestone.mjs'), ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, LODESTONE_DEBUG: '' },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The message of the InputError `f` throws (failing the test if it throws anything else, or nothing). */
export function inputErrorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
}
