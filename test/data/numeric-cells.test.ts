/**
 * Numeric cells must be finite: a plain number that overflows a double (1e400, -1e400) is a cell error at load, with
 * its file, line and column, in every table — not a value that loads as Infinity and fails later in the model.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDataset } from '../../src/data/checks.ts';
import { col } from '../../src/data/columns.ts';
import type { DataIssue } from '../../src/data/issues.ts';
import { loadDataset } from '../../src/data/load.ts';
import { brokenFixture, overlayDir, ROOT, runCli } from '../helpers.ts';

/** The embedded cobalt-mine-aus producer row, with its capacity (column 7) replaced by `capacity`. */
function producerOverlay(capacity: string): Record<string, string> {
  const text = readFileSync(path.join(ROOT, 'data/producers.csv'), 'utf8');
  const [header, ...rows] = text.split(/\r?\n/);
  const row = rows.find((r) => r.startsWith('cobalt-mine-aus,'));
  if (!header || !row) throw new Error('cobalt-mine-aus is not in data/producers.csv');
  const cells = row.split(',');
  expect(header.split(',')[6]).toBe('capacity');
  cells[6] = capacity;
  return { 'producers.csv': `${header}\n${cells.join(',')}\n` };
}

function cellErrors(issues: readonly DataIssue[]): DataIssue[] {
  return issues.filter((i) => i.severity === 'error' && i.check === 'cell-value');
}

describe('a numeric cell that is not a finite number', () => {
  it('is rejected by the column parser, whatever the column', () => {
    for (const column of [col.number('n'), col.integer('i'), col.quantity('q', { min: 0 }), col.year()]) {
      for (const text of ['1e400', '-1e400', 'Infinity', '-Infinity', 'NaN']) {
        expect(column.schema.safeParse(text).success, `${column.meta.kind} accepted ${text}`).toBe(false);
      }
    }
    expect(col.number('n').schema.safeParse('1e300').data).toBe(1e300);
    expect(col.number('n').schema.safeParse('1e400').error?.issues[0]?.message).toMatch(
      /'1e400' is not a finite number/,
    );
  });

  it('in an overlay is an error naming file, line and column, and the row is not loaded', () => {
    const dataset = loadDataset({ overlays: [overlayDir(producerOverlay('1e400'))] });
    const errors = cellErrors(checkDataset(dataset).issues);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: expect.stringMatching(/producers\.csv$/), line: 2, column: 7 });
    expect(errors[0]?.field).toBe('capacity');
    expect(errors[0]?.message).toMatch(/'1e400' is not a finite number/);
    expect(dataset.tables.producers.every((p) => Number.isFinite(p.capacity))).toBe(true);
  });

  const cases: { table: string; edit: (t: string) => string; line: number; column: number; field: string }[] = [
    {
      table: 'producers.csv',
      edit: (t) =>
        t.replace(
          'ore-CHN,China ore,CHN,widget/ore,country,,1000,0.8,2000',
          'ore-CHN,China ore,CHN,widget/ore,country,,1000,0.8,1e400',
        ),
      line: 2,
      column: 9,
      field: 'cash_cost',
    },
    {
      table: 'production.csv',
      edit: (t) => t.replace('widget/ore,USA,2024,100,', 'widget/ore,USA,2024,-1e400,'),
      line: 3,
      column: 4,
      field: 'quantity',
    },
    {
      table: 'production.csv',
      edit: (t) => t.replace('widget/ore,CHN,2024,800,', 'widget/ore,CHN,1e400,800,'),
      line: 2,
      column: 3,
      field: 'year',
    },
  ];
  for (const c of cases) {
    it(`in ${c.table} ${c.field} is an error at ${c.table}:${c.line}:${c.column}`, () => {
      const dataset = loadDataset({ dataDir: brokenFixture({ [c.table]: c.edit }) });
      const errors = cellErrors(dataset.issues);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ line: c.line, column: c.column, field: c.field });
      expect(errors[0]?.file).toMatch(c.table);
      expect(errors[0]?.message).toMatch(/is not a finite number/);
    });
  }
});

describe('lodestone on an overlay with capacity 1e400', () => {
  const dir = overlayDir(producerOverlay('1e400'));
  const located = /producers\.csv:2:7: error \[cell-value\] capacity: '1e400' is not a finite number/;

  it('data check reports it with its location and exits 1', () => {
    const r = runCli(['data', 'check', '--data', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(located);
  });

  it('solve refuses the data, with the same location', () => {
    const r = runCli(['solve', '--data', dir]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(located);
    expect(r.stderr).not.toMatch(/must be a finite number, got Infinity/);
  });
});
