/**
 * writeReport when the disk fails under it: the third file is cut off half-way (no space left), or a rename of
 * the finished files into an existing folder fails. Either way the folder must hold exactly what it held before,
 * and nothing partial may be left anywhere.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REPORT_FILES, writeReport } from '../../src/report/index.ts';
import { comparison } from './fixture.ts';
import { parentFolder, snapshot } from './folders.ts';

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return {
    ...actual,
    writeFileSync: vi.fn(actual.writeFileSync),
    renameSync: vi.fn(actual.renameSync),
  };
});

const actual = await vi.importActual<typeof import('node:fs')>('node:fs');
const c = comparison();

function diskFullOnWrite(n: number): void {
  let calls = 0;
  vi.mocked(fs.writeFileSync).mockClear();
  vi.mocked(fs.writeFileSync).mockImplementation((file, data, options) => {
    calls += 1;
    if (calls === n) {
      actual.writeFileSync(file, String(data).slice(0, 1000), options);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    return actual.writeFileSync(file, data, options);
  });
}

function failOnRename(n: number): void {
  let calls = 0;
  vi.mocked(fs.renameSync).mockImplementation((from, to) => {
    calls += 1;
    if (calls === n) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
    return actual.renameSync(from, to);
  });
}

afterEach(() => {
  vi.mocked(fs.writeFileSync).mockImplementation(actual.writeFileSync);
  vi.mocked(fs.renameSync).mockImplementation(actual.renameSync);
});

describe('writeReport under a failing disk', () => {
  it('a write cut off half-way leaves an existing folder exactly as it was', () => {
    const parent = parentFolder();
    const dir = path.join(parent, 'out');
    writeReport(dir, c);
    actual.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const before = snapshot(dir);
    diskFullOnWrite(3);
    expect(() => writeReport(dir, c, { generatedAt: 'a newer run' })).toThrow('ENOSPC');
    expect(vi.mocked(fs.writeFileSync)).toHaveBeenCalledTimes(3);
    expect(snapshot(dir)).toEqual(before);
    expect(actual.readdirSync(parent)).toEqual(['out']);
  });

  it('a write cut off half-way into a new folder leaves no folder at all', () => {
    const parent = parentFolder();
    diskFullOnWrite(2);
    expect(() => writeReport(path.join(parent, 'out'), c)).toThrow('ENOSPC');
    expect(actual.readdirSync(parent)).toEqual([]);
  });

  it('a rename that fails after others succeeded puts the old files back', () => {
    const parent = parentFolder();
    const dir = path.join(parent, 'out');
    writeReport(dir, c);
    const before = snapshot(dir);
    failOnRename(3);
    expect(() => writeReport(dir, c, { generatedAt: 'a newer run' })).toThrow('EIO');
    expect(snapshot(dir)).toEqual(before);
    expect(actual.readdirSync(parent)).toEqual(['out']);
    // And once the disk is well again, the new report goes in whole.
    vi.mocked(fs.renameSync).mockImplementation(actual.renameSync);
    writeReport(dir, c, { generatedAt: 'a newer run' });
    expect(actual.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('a newer run');
    expect(actual.readdirSync(dir).sort()).toEqual([...REPORT_FILES].sort());
  });
});
