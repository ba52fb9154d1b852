/** The open prices of an equilibrium as the CLI's tables print them (the words are the report's). */
import type { PriceRange } from '../equilibrium/ranges.ts';
import { formatPrice } from '../report/format.ts';
import { byCommodityAndRegion, formatRange, openMeaning } from '../report/open-prices.ts';
import { renderTable } from './table.ts';

/** The table of open prices: each with its range, what its producers earn over it, and what moves with it. */
export function openPricesTable(open: readonly PriceRange[]): string {
  return renderTable([...open].sort(byCommodityAndRegion), [
    { header: 'commodity', value: (r) => r.commodity },
    { header: 'region', value: (r) => r.region },
    { header: 'price shown', value: (r) => formatPrice(r.price), align: 'right' },
    { header: 'range', value: (r) => formatRange(r.low, r.high), align: 'right' },
    { header: 'producers earn', value: (r) => formatRange(r.earnedLow, r.earnedHigh), align: 'right' },
    { header: 'what is open', value: (r) => openMeaning(r) },
  ]);
}
