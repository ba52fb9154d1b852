import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparisonCsv, REPORT_FILES, ReportError, renderReport, writeReport } from '../../src/report/index.ts';
import { comparison, withValue } from './fixture.ts';
import { parentFolder, snapshot } from './folders.ts';

const c = comparison();

describe('writeReport', () => {
  it('writes report.html, results.json and the two CSV files, complete, into a new folder', () => {
    const parent = parentFolder();
    const dir = path.join(parent, 'out');
    const { files } = writeReport(dir, c, { focus: ['gallium/refined'] });
    expect(files).toEqual(REPORT_FILES.map((name) => path.join(dir, name)));
    expect(readdirSync(dir).sort()).toEqual([...REPORT_FILES].sort());
    expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).toBe(renderReport(c, { focus: ['gallium/refined'] }));
    expect(JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8'))).toEqual(c);
    const csv = comparisonCsv(c);
    expect(readFileSync(path.join(dir, 'years-long.csv'), 'utf8')).toBe(csv.long);
    expect(readFileSync(path.join(dir, 'years-wide.csv'), 'utf8')).toBe(csv.wide);
    // Nothing else is left beside it, and the folder has ordinary permissions (not a private temporary folder's).
    expect(readdirSync(parent)).toEqual(['out']);
    mkdirSync(path.join(parent, 'ordinary'));
    expect(statSync(dir).mode & 0o777).toBe(statSync(path.join(parent, 'ordinary')).mode & 0o777);
  });

  it('makes missing parent folders', () => {
    const parent = parentFolder();
    const dir = path.join(parent, 'a', 'b', 'out');
    writeReport(dir, c);
    expect(readdirSync(dir).sort()).toEqual([...REPORT_FILES].sort());
    expect(readdirSync(path.join(parent, 'a', 'b'))).toEqual(['out']);
  });

  it('replaces the report files of an existing folder and leaves the other files in it alone', () => {
    const parent = parentFolder();
    const dir = path.join(parent, 'out');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'report.html'), 'an older report');
    writeFileSync(path.join(dir, 'results.json'), '{"old": true}');
    writeFileSync(path.join(dir, 'report-screenshot.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    writeReport(dir, c);
    const after = snapshot(dir);
    expect(Object.keys(after)).toEqual(['report-screenshot.png', ...REPORT_FILES].sort());
    expect(after['report.html']).toBe(Buffer.from(renderReport(c)).toString('latin1'));
    expect(after['report-screenshot.png']).toBe('\x89PNG');
    expect(readdirSync(parent)).toEqual(['out']);
  });

  for (const [what, bad] of [
    ['a NaN', withValue(c, ['against', 'years', 2, 'commodities', 1, 'consumerCost'], Number.NaN)],
    ['a BigInt', withValue(c, ['scenario', 'years', 0, 'certificate', 'iterations'], 14n)],
  ] as const) {
    it(`a result that cannot be serialised (${what}) fails before anything is written`, () => {
      const parent = parentFolder();
      const dir = path.join(parent, 'out');
      writeReport(dir, c);
      writeFileSync(path.join(dir, 'mine.txt'), 'keep me');
      const before = snapshot(dir);
      expect(() => writeReport(dir, bad)).toThrow(ReportError);
      expect(snapshot(dir)).toEqual(before);
      expect(readdirSync(parent)).toEqual(['out']);
      // Into a new folder: no folder at all.
      expect(() => writeReport(path.join(parent, 'fresh'), bad)).toThrow(ReportError);
      expect(readdirSync(parent)).toEqual(['out']);
    });
  }

  it('refuses a target that is a file, or a report file that is a folder', () => {
    const parent = parentFolder();
    const file = path.join(parent, 'out');
    writeFileSync(file, 'not a folder');
    expect(() => writeReport(file, c)).toThrow(/exists and is not a folder/);
    const dir = path.join(parent, 'other');
    mkdirSync(path.join(dir, 'report.html'), { recursive: true });
    expect(() => writeReport(dir, c)).toThrow(/report\.html exists and is not a file/);
    expect(readdirSync(parent).sort()).toEqual(['other', 'out']);
    expect(readdirSync(dir)).toEqual(['report.html']);
  });

  it('refuses, in words, a place that takes no new folder (under /proc)', () => {
    expect(() => writeReport('/proc/lodestone-report', c)).toThrow(ReportError);
    expect(() => writeReport('/proc/lodestone-report', c)).toThrow(
      /^\/proc\/lodestone-report: cannot write the report there: \/proc does not take a new folder \(E[A-Z]+\)$/,
    );
  });
});
