/**
 * The headline metrics of a simulation as one flat vector per draw: for every year, each commodity's metrics, then
 * the bloc's totals. A value that does not exist (a price outside the zone when everyone is inside, days of cover
 * when the bloc imports nothing) is NaN in the vector and is left out of quantiles (their `n` says how many draws
 * had one).
 */
import type { CommodityYear, SimulationResult, YearResult } from '../simulate/result.ts';

export const COMMODITY_METRICS = [
  'priceInside',
  'priceOutside',
  'selfSufficiency',
  'dominantShare',
  'consumerCost',
  'levyRevenue',
  'cfdCost',
  'stock',
  'daysOfCover',
  'consumptionLost',
  'lostShare',
] as const;
export type CommodityMetric = (typeof COMMODITY_METRICS)[number];

export const TOTAL_METRICS = [
  'consumerCost',
  'levyRevenue',
  'cfdCost',
  'stockNetCost',
  'stockValue',
  'consumptionLostValue',
] as const;
export type TotalMetric = (typeof TOTAL_METRICS)[number];

/** The commodity name of the bloc's totals in metric rows. */
export const TOTAL = '*total*';

const COMMODITY_VALUE: Record<CommodityMetric, (c: CommodityYear) => number | null> = {
  priceInside: (c) => c.priceInside,
  priceOutside: (c) => c.priceOutside,
  selfSufficiency: (c) => c.selfSufficiency,
  dominantShare: (c) => c.dominantShare,
  consumerCost: (c) => c.consumerCost,
  levyRevenue: (c) => c.levyRevenue,
  cfdCost: (c) => c.cfdCost,
  stock: (c) => c.stock,
  daysOfCover: (c) => c.daysOfCover,
  consumptionLost: (c) => c.consumptionLost,
  // The share of the bloc's demand (at the base-year reference price, grown) that it does not consume.
  lostShare: (c) =>
    c.blocConsumption + c.consumptionLost > 0 ? c.consumptionLost / (c.blocConsumption + c.consumptionLost) : null,
};

/** Units of metrics: a commodity's quantity or price unit, USD, a share, days. */
export function metricUnit(metric: string, commodity: { unit: string; priceUnit: string } | undefined): string {
  switch (metric) {
    case 'priceInside':
    case 'priceOutside':
      return commodity?.priceUnit ?? '';
    case 'stock':
    case 'consumptionLost':
      return commodity?.unit ?? '';
    case 'daysOfCover':
      return 'days';
    case 'selfSufficiency':
    case 'dominantShare':
    case 'lostShare':
      return 'share';
    default:
      return 'USD';
  }
}

export interface MetricLayout {
  readonly years: readonly number[];
  readonly commodities: readonly { readonly id: string; readonly unit: string; readonly priceUnit: string }[];
  /** Values per year: commodities × COMMODITY_METRICS, then TOTAL_METRICS. */
  readonly perYear: number;
  readonly size: number;
}

/**
 * The layout of a simulation's metrics before running it: the horizon's years and the data's commodities in their
 * table order (the order of the simulation's results; layoutOf of a result gives the same).
 */
export function layoutFor(
  commodities: readonly { readonly id: string; readonly unit: string; readonly price_unit: string }[],
  horizon: { readonly start: number; readonly end: number },
): MetricLayout {
  const years = Array.from({ length: horizon.end - horizon.start + 1 }, (_, i) => horizon.start + i);
  const ks = commodities.map((c) => ({ id: c.id, unit: c.unit, priceUnit: c.price_unit }));
  const perYear = ks.length * COMMODITY_METRICS.length + TOTAL_METRICS.length;
  return { years, commodities: ks, perYear, size: perYear * years.length };
}

/** The layout of a simulation's metrics (years and commodities of a result, e.g. the central run). */
export function layoutOf(result: SimulationResult): MetricLayout {
  const first = result.years[0];
  const commodities = (first?.commodities ?? []).map((c) => ({
    id: c.commodity,
    unit: c.unit,
    priceUnit: c.priceUnit,
  }));
  const perYear = commodities.length * COMMODITY_METRICS.length + TOTAL_METRICS.length;
  return { years: result.years.map((y) => y.year), commodities, perYear, size: perYear * result.years.length };
}

export function commodityOffset(layout: MetricLayout, year: number, commodity: number, metric: number): number {
  return year * layout.perYear + commodity * COMMODITY_METRICS.length + metric;
}

export function totalOffset(layout: MetricLayout, year: number, metric: number): number {
  return year * layout.perYear + layout.commodities.length * COMMODITY_METRICS.length + metric;
}

/** Writes a result's metrics into `out` at `offset` (NaN where a value does not exist). */
export function writeMetrics(layout: MetricLayout, result: SimulationResult, out: Float64Array, offset = 0): void {
  if (result.years.length !== layout.years.length) {
    throw new Error(`the run has ${result.years.length} years, the layout ${layout.years.length}`);
  }
  result.years.forEach((y: YearResult, yi) => {
    const base = offset + yi * layout.perYear;
    layout.commodities.forEach((k, ki) => {
      const c =
        y.commodities[ki]?.commodity === k.id ? y.commodities[ki] : y.commodities.find((x) => x.commodity === k.id);
      COMMODITY_METRICS.forEach((m, mi) => {
        const v = c ? COMMODITY_VALUE[m](c) : null;
        out[base + ki * COMMODITY_METRICS.length + mi] = v === null ? Number.NaN : v;
      });
    });
    const t = base + layout.commodities.length * COMMODITY_METRICS.length;
    TOTAL_METRICS.forEach((m, mi) => {
      out[t + mi] = y.totals[m];
    });
  });
}
