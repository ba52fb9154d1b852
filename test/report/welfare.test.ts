/**
 * The report's 'Who gains and who pays' section: the bloc's welfare change against the other run per year (chart)
 * and summed over the horizon by member, bloc and world (table), read from each year's `welfare` in results.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChartSpec } from '../../src/report/charts.ts';
import { renderReport, writeReport } from '../../src/report/index.ts';
import type { Comparison, YearWelfare } from '../../src/simulate/result.ts';
import { comparison, withValue, withWelfare, YEARS } from './fixture.ts';
import { parentFolder } from './folders.ts';
import { attr, type ParsedReport, parseReport, payloadOf, textOf } from './html-helpers.ts';

type Part = 'consumerSurplus' | 'producerSurplus' | 'governmentRevenue' | 'quotaRents' | 'total';
const TABLE_PARTS = ['consumerSurplus', 'producerSurplus', 'governmentRevenue', 'quotaRents', 'total'] as const;
const MEMBERS = ['USA', 'EU27', 'JPN', 'MEX'];

function render(c: Comparison) {
  const parsed = parseReport(renderReport(c));
  return { parsed, charts: payloadOf(parsed).charts };
}

/** The table's cells as numbers (data-value) and text, by row key and part. */
function welfareTable(parsed: ParsedReport) {
  const table = parsed.elements.find((e) => e.tagName === 'table' && attr(e, 'class') === 'welfare');
  expect(table, 'table.welfare').toBeDefined();
  const rows = parsed.elements.filter((e) => e.tagName === 'tr' && attr(e, 'data-row') !== undefined);
  return new Map(
    rows.map((tr) => {
      const cells = tr.childNodes.filter((n) => 'tagName' in n && attr(n, 'data-part') !== undefined);
      return [
        attr(tr, 'data-row') as string,
        new Map(
          cells.map((td) => {
            const el = td as Parameters<typeof attr>[0];
            const v = attr(el, 'data-value') as string;
            return [attr(el, 'data-part') as string, { value: v === '' ? null : Number(v), text: textOf(el) }];
          }),
        ),
      ];
    }),
  );
}

/** Σ over the years of scenario less against, of a part picked from each year's welfare; null if null in some year. */
function summed(c: Comparison, pick: (w: YearWelfare) => number | null | undefined): number | null {
  let s = 0;
  for (const year of YEARS) {
    const x = pick(c.scenario.years.find((y) => y.year === year)?.welfare as YearWelfare);
    const y = pick(c.against.years.find((y) => y.year === year)?.welfare as YearWelfare);
    if (x === null || x === undefined || y === null || y === undefined) return null;
    s += x - y;
  }
  return s;
}

function seriesOf(spec: ChartSpec | undefined): { name: string; type: string; data: (number | null)[] }[] {
  expect(spec, 'welfare chart').toBeDefined();
  return (spec?.option.series ?? []) as never;
}

describe("the report's welfare section", () => {
  it("tabulates each member's, the bloc's and the world's welfare change, summed over the years of results.json", () => {
    // As `simulate --out` writes them: report.html beside results.json, read back from disk.
    const dir = path.join(parentFolder(), 'out');
    writeReport(dir, withWelfare());
    const c = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as Comparison;
    const parsed = parseReport(readFileSync(path.join(dir, 'report.html'), 'utf8'));
    const table = welfareTable(parsed);
    // The members, the bloc; outside it the dominant supplier and every other non-member together; the world.
    expect([...table.keys()]).toEqual([...MEMBERS, '*bloc', 'CHN', '*others', '*world']);
    const region = (w: YearWelfare, r: string, k: Part) => w.byRegion.find((x) => x.region === r)?.[k] as number;
    const expected = (row: string, k: Part) =>
      row === '*bloc'
        ? summed(c, (w) => w.bloc[k])
        : row === '*world'
          ? summed(c, (w) => w.world[k])
          : row === '*others'
            ? summed(c, (w) => (w.world[k] as number) - (w.bloc[k] as number) - region(w, 'CHN', k))
            : summed(c, (w) => region(w, row, k));
    for (const [row, cells] of table) {
      for (const k of TABLE_PARTS) {
        const want = expected(row, k) as number;
        const got = cells.get(k)?.value as number;
        expect(Math.abs(got - want), `${row} ${k}: ${got} vs ${want}`).toBeLessThanOrEqual(
          1e-9 * Math.abs(want) + 1e-6,
        );
      }
    }
    // Every part of the total is a column of its own: the parts of a row add up to its total.
    for (const [row, cells] of table) {
      const parts = TABLE_PARTS.filter((k) => k !== 'total').reduce((t, k) => t + (cells.get(k)?.value as number), 0);
      const total = cells.get('total')?.value as number;
      expect(Math.abs(parts - total), `${row}: parts ${parts} vs total ${total}`).toBeLessThanOrEqual(
        1e-9 * Math.abs(total) + 1e-6,
      );
    }
    expect([...(table.get('CHN')?.values() ?? [])].length).toBe(TABLE_PARTS.length);
    // The bloc loses consumer surplus here (its levies raise prices inside): shown with its sign, in the caption's unit.
    expect(table.get('*bloc')?.get('consumerSurplus')?.text).toMatch(/^\u2212[\d,.]+$/);
    const rowText = (key: string) =>
      textOf(parsed.elements.find((e) => e.tagName === 'tr' && attr(e, 'data-row') === key) as never);
    expect(rowText('CHN')).toContain('CHN (dominant supplier)');
    expect(rowText('*others')).toContain('Other non-members');
    const section = parsed.elements.find((e) => attr(e, 'id') === 'welfare');
    expect(textOf(section as never)).toContain('Who gains and who pays');
    expect(textOf(section as never)).toMatch(/USD (million|billion)/);
    const nav = parsed.elements.find((e) => e.tagName === 'nav');
    expect(textOf(nav as never)).toContain('Who gains and who pays');
  });

  it("charts the bloc's welfare change per year by component, the total as a line, in USD", () => {
    const c = withWelfare();
    const { parsed, charts } = render(c);
    const spec = charts['welfare-bloc'];
    const series = seriesOf(spec);
    const want: Record<string, Part> = {
      'consumer surplus': 'consumerSurplus',
      'producer surplus': 'producerSurplus',
      'government revenue': 'governmentRevenue',
      'quota rents': 'quotaRents',
      'total change': 'total',
    };
    // The bloc has no quota rents in either run: no bar for them (a zero every year only crowds the legend).
    expect(series.map((s) => s.name)).toEqual([
      'consumer surplus',
      'producer surplus',
      'government revenue',
      'total change',
    ]);
    for (const s of series) {
      const k = want[s.name] as Part;
      expect(s.type).toBe(k === 'total' ? 'line' : 'bar');
      YEARS.forEach((year, i) => {
        const w = (role: 'scenario' | 'against') =>
          c[role].years.find((y) => y.year === year)?.welfare?.bloc[k] as number;
        expect(s.data[i]).toBeCloseTo(w('scenario') - w('against'), 3);
      });
    }
    expect(spec?.tooltip).toBe('money');
    expect(spec?.valueUnit).toBe('USD');
    expect(String((spec?.option.yAxis as { name?: string } | undefined)?.name)).toMatch(
      /^USD per year, change against /,
    );
    const box = parsed.elements.find((e) => attr(e, 'data-chart') === 'welfare-bloc');
    expect(attr(box as never, 'role')).toBe('img');
    expect(attr(box as never, 'aria-label')).toMatch(/^Bloc welfare change against /);
  });

  it('shows a null consumer surplus as a dash, and no total for it', () => {
    // A member's demand curve without a finite surplus in 2027 of the scenario: its consumer surplus and total are
    // null, and so are the bloc's and the world's.
    let c = withWelfare();
    for (const at of [['byRegion', 1], ['bloc'], ['world']] as const) {
      for (const k of ['consumerSurplus', 'total']) {
        c = withValue(c, ['scenario', 'years', 1, 'welfare', ...at, k], null);
      }
    }
    const { parsed, charts } = render(c);
    const table = welfareTable(parsed);
    for (const row of ['EU27', '*bloc', '*world']) {
      expect(table.get(row)?.get('consumerSurplus')).toEqual({ value: null, text: '–' });
      expect(table.get(row)?.get('total')).toEqual({ value: null, text: '–' });
      expect(table.get(row)?.get('producerSurplus')?.value).not.toBeNull();
    }
    expect(table.get('USA')?.get('consumerSurplus')?.value).toBeCloseTo(
      summed(c, (w) => w.byRegion.find((r) => r.region === 'USA')?.consumerSurplus) as number,
      3,
    );
    const series = seriesOf(charts['welfare-bloc']);
    const cs = series.find((s) => s.name === 'consumer surplus');
    const total = series.find((s) => s.name === 'total change');
    expect(cs?.data[1]).toBeNull();
    expect(total?.data[1]).toBeNull();
    expect(total?.data[0]).not.toBeNull();
    expect(textOf(parsed.elements.find((e) => attr(e, 'id') === 'welfare') as never)).toContain('not finite');
  });

  it("writes a change that rounds to nothing at the table's scale without a sign", () => {
    // MEX's producers earn 1 USD a year less than in the other run, and JPN's 1 USD more: −3 and +3 USD over the
    // years, in a table of USD million.
    let c = withWelfare();
    for (const [t, y] of c.scenario.years.entries()) {
      const row = (region: string) => y.welfare?.byRegion.findIndex((r) => r.region === region) as number;
      const ps = (region: string) => y.welfare?.byRegion[row(region)]?.producerSurplus as number;
      c = withValue(c, ['against', 'years', t, 'welfare', 'byRegion', row('MEX'), 'producerSurplus'], ps('MEX') + 1);
      c = withValue(c, ['against', 'years', t, 'welfare', 'byRegion', row('JPN'), 'producerSurplus'], ps('JPN') - 1);
    }
    const table = welfareTable(render(c).parsed);
    expect(table.get('MEX')?.get('producerSurplus')?.value).toBeCloseTo(-3, 3);
    expect(table.get('MEX')?.get('producerSurplus')?.text).toMatch(/^0(\.0+)?$/);
    expect(table.get('JPN')?.get('producerSurplus')?.text).toMatch(/^0(\.0+)?$/);
  });

  it('leaves the section out for results written without welfare, and says so where one run lacks it', () => {
    const old = render(comparison());
    expect(old.parsed.elements.some((e) => attr(e, 'id') === 'welfare')).toBe(false);
    expect(old.charts['welfare-bloc']).toBeUndefined();
    expect(textOf(old.parsed.elements.find((e) => e.tagName === 'nav') as never)).not.toContain('Who gains');

    // compare of a new results file against an old one: the scenario has welfare, the other run none.
    const mixed = withWelfare();
    const half = { scenario: mixed.scenario, against: comparison().against };
    const { parsed, charts } = render(half);
    const section = parsed.elements.find((e) => attr(e, 'id') === 'welfare');
    expect(textOf(section as never)).toMatch(/No welfare split to compare: .*ban-2027.* was written without one/);
    expect(charts['welfare-bloc']).toBeUndefined();
    expect(parsed.elements.some((e) => e.tagName === 'table' && attr(e, 'class') === 'welfare')).toBe(false);
  });

  it('compares the same regions as the bloc when the other run has no zone, and has only the world with none', () => {
    // The other run marks no member (a run without a zone, written on its own): the bloc is still the scenario's
    // members, so its change is theirs, not the scenario's whole bloc less an empty one.
    let c = withWelfare();
    for (let t = 0; t < YEARS.length; t++) {
      for (let i = 0; i < MEMBERS.length; i++)
        c = withValue(c, ['against', 'years', t, 'welfare', 'byRegion', i, 'member'], false);
    }
    const { parsed } = render(c);
    const bloc = welfareTable(parsed).get('*bloc')?.get('total')?.value as number;
    const members = MEMBERS.reduce(
      (s, m) => s + (summed(c, (w) => w.byRegion.find((r) => r.region === m)?.total) as number),
      0,
    );
    expect(bloc).toBeCloseTo(members, 3);

    // Neither run has a zone: no bloc to chart or tabulate, the world's change only.
    for (let t = 0; t < YEARS.length; t++) {
      for (let i = 0; i < MEMBERS.length; i++)
        c = withValue(c, ['scenario', 'years', t, 'welfare', 'byRegion', i, 'member'], false);
    }
    const none = render(c);
    expect([...welfareTable(none.parsed).keys()]).toEqual(['*world']);
    expect(none.charts['welfare-bloc']).toBeUndefined();
    expect(textOf(none.parsed.elements.find((e) => attr(e, 'id') === 'welfare') as never)).toContain(
      'Neither run has a zone',
    );
  });
});
