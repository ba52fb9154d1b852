import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { WELFARE_PARTS, type WelfareParts } from '../../src/model/welfare.ts';
import {
  COMMODITY_METRICS,
  comparisonCsv,
  LONG_HEADER,
  REGION_WELFARE_PARTS,
  ReportError,
  SUPPLY_PREFIX,
  TOTAL_COMMODITY,
  TOTAL_METRICS,
  WELFARE_PREFIX,
} from '../../src/report/index.ts';
import type { CommodityYear, Comparison, YearWelfare } from '../../src/simulate/result.ts';
import { comparison, GALLIUM, NDPR, withValue } from './fixture.ts';

const c = comparison();
const { long, wide } = comparisonCsv(c);
const rows = (text: string) => parse(text, { relax_column_count: false }) as string[][];

function cellOf(cmp: Comparison, scenario: string, year: number, k: string): CommodityYear {
  const run = cmp.scenario.scenario.name === scenario ? cmp.scenario : cmp.against;
  const found = run.years.find((y) => y.year === year)?.commodities.find((x) => x.commodity === k);
  if (!found) throw new Error(`no ${scenario} ${year} ${k}`);
  return found;
}

describe('comparisonCsv: the long file', () => {
  const table = rows(long);

  it('has the header scenario, year, commodity, metric, value, unit', () => {
    expect(long.split('\n')[0]).toBe('scenario,year,commodity,metric,value,unit');
    expect(table[0]).toEqual([...LONG_HEADER]);
  });

  it('has one row per metric, per supply origin and per bloc total, for every run, year and commodity', () => {
    let expected = 0;
    for (const run of [c.scenario, c.against]) {
      for (const y of run.years) {
        for (const x of y.commodities) expected += COMMODITY_METRICS.length + x.supplyByOrigin.length;
        expected += TOTAL_METRICS.length;
      }
    }
    expect(expected).toBe(2 * 3 * (2 * 21 + 6) + [3, 3, 3, 3, 4, 3, 3, 3, 3, 3, 3, 3].reduce((s, n) => s + n, 0));
    expect(table.length - 1).toBe(expected);
    expect(long.endsWith('\n')).toBe(true);
  });

  it('gives back every number exactly, and null as an empty cell', () => {
    let numbers = 0;
    for (const [scenario, year, commodity, metric, value, unit] of table.slice(1)) {
      const y = Number(year);
      if (commodity === TOTAL_COMMODITY) {
        const run = c.scenario.scenario.name === scenario ? c.scenario : c.against;
        const totals = run.years.find((r) => r.year === y)?.totals as unknown as Record<string, number>;
        expect(Number(value)).toBe(totals[metric as string]);
        expect(unit).toBe('USD');
        numbers++;
        continue;
      }
      const x = cellOf(c, scenario as string, y, commodity as string);
      if (metric?.startsWith(SUPPLY_PREFIX)) {
        const origin = metric.slice(SUPPLY_PREFIX.length);
        expect(Number(value)).toBe(x.supplyByOrigin.find((o) => o.region === origin)?.quantity);
        expect(unit).toBe(`${x.unit}/yr`);
        numbers++;
        continue;
      }
      const original = x[metric as keyof CommodityYear];
      if (original === null) expect(value).toBe('');
      else {
        expect(Number(value)).toBe(original);
        numbers++;
      }
    }
    expect(numbers).toBeGreaterThan(200);
    // Values that need every digit survive: a fractional price, a levy with half a dollar, days of cover.
    const find = (metric: string, year: string, k = NDPR) =>
      table.find((r) => r[0] === 'zone-2026-ban-2027' && r[1] === year && r[2] === k && r[3] === metric);
    expect(find('priceInside', '2027')).toEqual([
      'zone-2026-ban-2027',
      '2027',
      NDPR,
      'priceInside',
      '104500.25',
      'USD/t NdPr-oxide',
    ]);
    expect(find('levyRevenue', '2027')?.[4]).toBe('498400000.5');
    expect(Number(find('daysOfCover', '2027', GALLIUM)?.[4])).toBe(20_000 / (213_000 / 365));
    expect(find('referencePrice', '2026', GALLIUM)?.[4]).toBe('');
    expect(find('selfSufficiency', '2026')?.[5]).toBe('share');
    expect(find('daysOfCover', '2026')?.[5]).toBe('days');
    expect(find('stock', '2026', GALLIUM)?.[5]).toBe('kg Ga');
  });
});

/** What the wide file's column names say of each kind of unit. */
const UNIT_NAMES: Record<(typeof COMMODITY_METRICS)[number]['unit'], string> = {
  price: 'priceUnit',
  flow: 'unit/yr',
  stock: 'unit',
  share: 'share',
  usd: 'USD',
  days: 'days',
  hhi: 'HHI 0-10000',
};

describe('comparisonCsv: the wide file', () => {
  const table = rows(wide);
  const header = table[0] ?? [];

  it('has a row per run, year and commodity, a column per metric and per origin of supply', () => {
    expect(header.slice(0, 5)).toEqual(['scenario', 'year', 'commodity', 'unit', 'priceUnit']);
    // Each metric's column says its unit: USD, share, days, or the row's own unit or price unit.
    expect(header.slice(5, 5 + COMMODITY_METRICS.length)).toEqual(
      COMMODITY_METRICS.map((m) => `${m.key} (${UNIT_NAMES[m.unit]})`),
    );
    expect(header).toEqual(
      expect.arrayContaining(['priceInside (priceUnit)', 'production (unit/yr)', 'stock (unit)', 'consumerCost (USD)']),
    );
    expect(header).toEqual(expect.arrayContaining(['selfSufficiency (share)', 'daysOfCover (days)']));
    expect(header.slice(5 + COMMODITY_METRICS.length)).toEqual([
      'supply:bloc (unit/yr)',
      'supply:CHN (unit/yr)',
      'supply:KOR (unit/yr)',
      'supply:MYS (unit/yr)',
      'supply:stocks (unit/yr)',
    ]);
    expect(table.length - 1).toBe(2 * 3 * 2);
    for (const r of table) expect(r.length).toBe(header.length);
  });

  it('gives back every number exactly; an origin a commodity does not have is 0', () => {
    for (const r of table.slice(1)) {
      const record = Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']));
      const x = cellOf(c, record.scenario as string, Number(record.year), record.commodity as string);
      expect(record.unit).toBe(x.unit);
      for (const m of COMMODITY_METRICS) {
        const v = x[m.key] as number | null;
        const column = `${m.key} (${UNIT_NAMES[m.unit]})`;
        expect(record[column], `${m.key}`).toBe(v === null ? '' : String(v));
        if (v !== null) expect(Number(record[column])).toBe(v);
      }
      for (const h of header.filter((n) => n.startsWith(SUPPLY_PREFIX))) {
        const origin = h.slice(SUPPLY_PREFIX.length, -' (unit/yr)'.length);
        expect(Number(record[h])).toBe(x.supplyByOrigin.find((o) => o.region === origin)?.quantity ?? 0);
      }
    }
  });
});

describe('comparisonCsv: the welfare split', () => {
  // Two regions, one in the bloc; the outsider's consumer surplus (so its total) is not finite.
  const parts = (cs: number | null, ps: number, levies: number, cfd: number): WelfareParts => {
    const governmentRevenue = levies - cfd;
    return {
      consumerSurplus: cs,
      producerSurplus: ps,
      quotaRents: 0,
      levies,
      duties: 0,
      exportTaxes: 0,
      cfdPayments: cfd,
      stockNetPurchases: 0,
      governmentRevenue,
      total: cs === null ? null : cs + ps + governmentRevenue,
    };
  };
  const welfare = (year: number): YearWelfare => {
    const usa = { region: 'USA', member: true, ...parts(1_000_000.25 * year, 3_000.5, 42, 7) };
    const chn = { region: 'CHN', member: false, ...parts(null, 9_999, 0, 0) };
    return {
      byRegion: [chn, usa],
      bloc: parts(usa.consumerSurplus, 3_000.5, 42, 7),
      world: parts(null, 12_999.5, 42, 7),
    };
  };
  let withWelfare = c;
  for (const role of ['scenario', 'against'] as const) {
    c[role].years.forEach((y, i) => {
      withWelfare = withValue(withWelfare, [role, 'years', i, 'welfare'], welfare(y.year));
    });
  }
  const table = rows(comparisonCsv(withWelfare).long);

  it('gives every part for the bloc and the world, the headline parts for each region, in USD under total', () => {
    const rowsOf = table.slice(1).filter((r) => r[3]?.startsWith(WELFARE_PREFIX));
    expect(rowsOf.length).toBe(2 * 3 * (2 * WELFARE_PARTS.length + 2 * REGION_WELFARE_PARTS.length));
    for (const [scenario, year, commodity, metric, value, unit] of rowsOf) {
      expect(commodity).toBe(TOTAL_COMMODITY);
      expect(unit).toBe('USD');
      const w = welfare(Number(year));
      const [part, where] = (metric as string).slice(WELFARE_PREFIX.length).split(':') as [keyof WelfareParts, string?];
      const source =
        where === undefined ? w.bloc : where === 'world' ? w.world : w.byRegion.find((r) => r.region === where);
      const original = source?.[part];
      expect(original, `${scenario} ${year} ${metric}`).not.toBeUndefined();
      expect(value).toBe(original === null ? '' : String(original));
    }
    const find = (metric: string) =>
      rowsOf.find((r) => r[0] === 'zone-2026-ban-2027' && r[1] === '2027' && r[3] === metric);
    expect(find('welfare:consumerSurplus')?.[4]).toBe(String(1_000_000.25 * 2027));
    expect(find('welfare:total:CHN')?.[4]).toBe('');
    expect(find('welfare:governmentRevenue:USA')?.[4]).toBe('35');
    expect(find('welfare:levies:USA')).toBeUndefined();
  });

  it('leaves the wide file as it is: one row per run, year and commodity', () => {
    expect(comparisonCsv(withWelfare).wide).toBe(wide);
  });
});

describe('comparisonCsv: text and bad values', () => {
  it('quotes text with commas, quotes or line breaks, and it parses back', () => {
    const odd = 't "contained", REO\nbasis';
    const changed = withValue(c, ['scenario', 'years', 0, 'commodities', 0, 'unit'], odd);
    const table = rows(comparisonCsv(changed).long);
    const row = table.find((r) => r[0] === 'zone-2026-ban-2027' && r[1] === '2026' && r[3] === 'stock');
    expect(row?.[5]).toBe(odd);
  });

  it('refuses a non-finite number rather than writing it', () => {
    const bad = withValue(c, ['against', 'years', 2, 'totals', 'levyRevenue'], Number.POSITIVE_INFINITY);
    expect(() => comparisonCsv(bad)).toThrow(ReportError);
    expect(() => comparisonCsv(bad)).toThrow('comparison.against.years[2].totals.levyRevenue is Infinity');
  });
});
