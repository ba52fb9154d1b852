/**
 * The results as CSV: a long file (one number a row: scenario, year, commodity, metric, value, unit) for tools that
 * pivot, and a wide file (one row per scenario, year and commodity, one column per metric, named with its unit) for
 * spreadsheets.
 * Each year's welfare split is in the long file only (rows under the commodity 'total', WELFARE_PREFIX): it is by
 * region, not by commodity, so the wide file keeps one row per run, year and commodity.
 * Numbers are written in JavaScript's shortest round-trip form, so parsing a cell gives back the exact double;
 * a missing value (null) is an empty cell.
 */

import { TOTAL_METRICS as ENSEMBLE_TOTALS } from '../ensemble/metrics.ts';
import { WELFARE_PARTS } from '../model/welfare.ts';
import type { CommodityYear, Comparison, YearResult } from '../simulate/result.ts';
import { assertFinite } from './validate.ts';
import { ROLES } from './view.ts';

/** The columns of the long file. */
export const LONG_HEADER = ['scenario', 'year', 'commodity', 'metric', 'value', 'unit'] as const;

/** Bloc totals appear in the long file under this commodity. */
export const TOTAL_COMMODITY = 'total';

type UnitKind = 'price' | 'flow' | 'stock' | 'share' | 'usd' | 'days' | 'hhi';

/** The scalar metrics of a CommodityYear, in file order, with the kind of unit each is in. */
export const COMMODITY_METRICS: readonly { readonly key: keyof CommodityYear; readonly unit: UnitKind }[] = [
  { key: 'priceInside', unit: 'price' },
  { key: 'priceOutside', unit: 'price' },
  { key: 'referencePrice', unit: 'price' },
  { key: 'production', unit: 'flow' },
  { key: 'consumption', unit: 'flow' },
  { key: 'blocProduction', unit: 'flow' },
  { key: 'blocUse', unit: 'flow' },
  { key: 'blocConsumption', unit: 'flow' },
  { key: 'selfSufficiency', unit: 'share' },
  { key: 'dominantShare', unit: 'share' },
  { key: 'supplyHhi', unit: 'hhi' },
  { key: 'consumerCost', unit: 'usd' },
  { key: 'levyRevenue', unit: 'usd' },
  { key: 'cfdCost', unit: 'usd' },
  { key: 'stock', unit: 'stock' },
  { key: 'stockBought', unit: 'flow' },
  { key: 'stockReleased', unit: 'flow' },
  { key: 'stockNetCost', unit: 'usd' },
  { key: 'daysOfCover', unit: 'days' },
  { key: 'consumptionLost', unit: 'flow' },
  { key: 'blocCapacity', unit: 'flow' },
];

/** The bloc's totals, in the ensemble's order (one list for the CSV and the ensemble's metrics). */
export const TOTAL_METRICS: readonly (keyof YearResult['totals'])[] = ENSEMBLE_TOTALS;

/**
 * Prefix of the long file's welfare rows (commodity 'total', unit USD): `welfare:<part>` for the bloc and
 * `welfare:<part>:world` for the world, every part of WELFARE_PARTS; `welfare:<part>:<region>` for each region, the
 * headline parts of REGION_WELFARE_PARTS (the treasuries' items by region are in results.json).
 */
export const WELFARE_PREFIX = 'welfare:';

/** The parts of the welfare split the long file gives for each region. */
export const REGION_WELFARE_PARTS = [
  'consumerSurplus',
  'producerSurplus',
  'quotaRents',
  'governmentRevenue',
  'total',
] as const satisfies readonly (typeof WELFARE_PARTS)[number][];

/** Prefix of the metric (long file) and column (wide file) of bloc supply from one origin. */
export const SUPPLY_PREFIX = 'supply:';

function unitOf(kind: UnitKind, c: CommodityYear): string {
  switch (kind) {
    case 'price':
      return c.priceUnit;
    case 'flow':
      return `${c.unit}/yr`;
    case 'stock':
      return c.unit;
    case 'share':
      return 'share';
    case 'usd':
      return 'USD';
    case 'days':
      return 'days';
    case 'hhi':
      return 'HHI 0-10000';
  }
}

/**
 * A wide file's column: the metric and its unit, which for quantities and prices names the row's own columns (its
 * `unit` and `priceUnit`), so that every number in the file says what it is in.
 */
function wideColumn(key: string, kind: UnitKind): string {
  const unit = {
    price: 'priceUnit',
    flow: 'unit/yr',
    stock: 'unit',
    share: 'share',
    usd: 'USD',
    days: 'days',
    hhi: 'HHI 0-10000',
  }[kind];
  return `${key} (${unit})`;
}

/** One CSV field: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} to CSV`);
    return Object.is(value, -0) ? '0' : String(value);
  }
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvLine(fields: readonly (string | number | null)[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}

function metricValue(c: CommodityYear, key: keyof CommodityYear): number | null {
  const v = c[key];
  return typeof v === 'number' ? v : null;
}

function supplyFrom(c: CommodityYear, region: string): number {
  return c.supplyByOrigin.filter((o) => o.region === region).reduce((s, o) => s + o.quantity, 0);
}

/** Origins of bloc supply in either run: 'bloc' first, exporters alphabetically, 'stocks' last. */
function allOrigins(comparison: Comparison): string[] {
  const set = new Set<string>();
  for (const role of ROLES) {
    for (const y of comparison[role].years)
      for (const c of y.commodities) for (const o of c.supplyByOrigin) set.add(o.region);
  }
  const rank = (r: string) => (r === 'bloc' ? 0 : r === 'stocks' ? 2 : 1);
  return [...set].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

export function comparisonCsv(comparison: Comparison): { long: string; wide: string } {
  assertFinite(comparison);
  const long: string[] = [csvLine(LONG_HEADER)];
  const origins = allOrigins(comparison);
  const wide: string[] = [
    csvLine([
      'scenario',
      'year',
      'commodity',
      'unit',
      'priceUnit',
      ...COMMODITY_METRICS.map((m) => wideColumn(m.key, m.unit)),
      ...origins.map((o) => wideColumn(`${SUPPLY_PREFIX}${o}`, 'flow')),
    ]),
  ];
  for (const role of ROLES) {
    const run = comparison[role];
    const name = run.scenario.name;
    for (const y of run.years) {
      for (const c of y.commodities) {
        for (const m of COMMODITY_METRICS) {
          long.push(csvLine([name, y.year, c.commodity, m.key, metricValue(c, m.key), unitOf(m.unit, c)]));
        }
        for (const o of c.supplyByOrigin) {
          long.push(csvLine([name, y.year, c.commodity, `${SUPPLY_PREFIX}${o.region}`, o.quantity, `${c.unit}/yr`]));
        }
        wide.push(
          csvLine([
            name,
            y.year,
            c.commodity,
            c.unit,
            c.priceUnit,
            ...COMMODITY_METRICS.map((m) => metricValue(c, m.key)),
            ...origins.map((o) => supplyFrom(c, o)),
          ]),
        );
      }
      for (const key of TOTAL_METRICS) {
        long.push(csvLine([name, y.year, TOTAL_COMMODITY, key, y.totals[key], 'USD']));
      }
      const w = y.welfare;
      if (w) {
        const row = (metric: string, value: number | null) =>
          long.push(csvLine([name, y.year, TOTAL_COMMODITY, `${WELFARE_PREFIX}${metric}`, value, 'USD']));
        for (const part of WELFARE_PARTS) row(part, w.bloc[part]);
        for (const part of WELFARE_PARTS) row(`${part}:world`, w.world[part]);
        for (const r of w.byRegion) for (const part of REGION_WELFARE_PARTS) row(`${part}:${r.region}`, r[part]);
      }
    }
  }
  return { long: long.join(''), wide: wide.join('') };
}
