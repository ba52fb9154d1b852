/** The open prices of an equilibrium (src/equilibrium/ranges.ts) as the CLI prints them. */
import type { PriceRange } from '../equilibrium/ranges.ts';
import { formatNumber, renderTable } from './table.ts';

export function fmtPrice(p: number): string {
  if (!Number.isFinite(p)) return '-';
  return p >= 100 ? formatNumber(p) : formatNumber(p, 2);
}

/** 'low to high' (high null: no limit), or one number where the range is a point. */
export function fmtRange(low: number, high: number | null, format: (x: number) => string = fmtPrice): string {
  if (high !== null && high - low <= 1e-9 * Math.max(1, high)) return format(low);
  return `${format(low)} to ${high === null ? 'no limit' : format(high)}`;
}

/** What moves with an open price: buyers' price, producers' earnings, the levy on its exports; or nothing. */
export function openMeaning(r: PriceRange): string {
  if (!r.bought && !r.sold) return 'nothing: no trade there';
  const earnedFixed = r.earnedHigh !== null && r.earnedHigh - r.earnedLow <= 1e-9 * Math.max(1, r.earnedHigh);
  const open = [
    ...(r.bought ? ["buyers' price"] : []),
    ...(r.sold && !earnedFixed ? ["producers' earnings"] : []),
    ...(r.levied ? ['levy on its exports'] : []),
  ];
  return open.length > 0 ? open.join(', ') : 'nothing: no buyers there, earnings fixed';
}

/** Whether anything the model reports moves with the price (what openMeaning does not call nothing). */
export function openPriceMatters(r: PriceRange): boolean {
  return !openMeaning(r).startsWith('nothing');
}

const byCommodityAndRegion = (a: PriceRange, b: PriceRange) =>
  a.commodity === b.commodity ? (a.region < b.region ? -1 : 1) : a.commodity < b.commodity ? -1 : 1;

/** The table of open prices: each with its range, what its producers earn over it, and what moves with it. */
export function openPricesTable(open: readonly PriceRange[]): string {
  return renderTable([...open].sort(byCommodityAndRegion), [
    { header: 'commodity', value: (r) => r.commodity },
    { header: 'region', value: (r) => r.region },
    { header: 'price shown', value: (r) => fmtPrice(r.price), align: 'right' },
    { header: 'range', value: (r) => fmtRange(r.low, r.high), align: 'right' },
    { header: 'producers earn', value: (r) => fmtRange(r.earnedLow, r.earnedHigh), align: 'right' },
    { header: 'what is open', value: (r) => openMeaning(r) },
  ]);
}

/** The open prices that matter, one phrase each ('ndfeb/magnet VNM 48,711 to 61,268'). */
export function openPricesInBrief(open: readonly PriceRange[]): string {
  const matter = open.filter(openPriceMatters).sort(byCommodityAndRegion);
  return matter.length === 0
    ? '-'
    : matter.map((r) => `${r.commodity} ${r.region} ${fmtRange(r.low, r.high)}`).join('; ');
}
