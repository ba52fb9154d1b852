/**
 * The open prices of an equilibrium (src/equilibrium/ranges.ts) in words: what moves with each, and the report's
 * section of them year by year. The CLI's tables use the same words.
 */
import type { PriceRange } from '../equilibrium/ranges.ts';
import type { SimulationResult } from '../simulate/result.ts';
import { escapeHtml as esc, formatPrice, formatUsd } from './format.ts';

/** Whether a range is a single value (to rounding): a price, earnings or revenue that nothing leaves open. */
export function isPoint(low: number, high: number | null): boolean {
  return high !== null && high - low <= 1e-9 * Math.max(1, high);
}

/** 'low to high' (high null: no limit), or one number where the range is a point. */
export function formatRange(low: number, high: number | null, format: (x: number) => string = formatPrice): string {
  if (isPoint(low, high)) return format(low);
  return `${format(low)} to ${high === null ? 'no limit' : format(high)}`;
}

/** What the model reports that moves with an open price: buyers' price, producers' earnings, the levy on its exports. */
function movesWith(r: PriceRange): string[] {
  if (!r.bought && !r.sold) return [];
  return [
    ...(r.bought ? ["buyers' price"] : []),
    ...(r.sold && !isPoint(r.earnedLow, r.earnedHigh) ? ["producers' earnings"] : []),
    ...(r.levied ? ['levy on its exports'] : []),
  ];
}

/** What moves with an open price, in words; or nothing, and why. */
export function openMeaning(r: PriceRange): string {
  if (!r.bought && !r.sold) return 'nothing: no trade there';
  const moves = movesWith(r);
  return moves.length > 0 ? moves.join(', ') : 'nothing: no buyers there, earnings fixed';
}

/** Whether anything the model reports moves with the price. */
export function openPriceMatters(r: PriceRange): boolean {
  return movesWith(r).length > 0;
}

export const byCommodityAndRegion = (a: PriceRange, b: PriceRange): number =>
  a.commodity === b.commodity ? (a.region < b.region ? -1 : 1) : a.commodity < b.commodity ? -1 : 1;

/** The open prices that matter, one phrase each ('ndfeb/magnet VNM 48,711 to 61,268'), or '-'. */
export function openPricesInBrief(open: readonly PriceRange[]): string {
  const matter = open.filter(openPriceMatters).sort(byCommodityAndRegion);
  return matter.length === 0
    ? '-'
    : matter.map((r) => `${r.commodity} ${r.region} ${formatRange(r.low, r.high)}`).join('; ');
}

/** Whether a levy revenue's range (Certificate.levyRevenueRange) is open along the open prices. */
export function levyRevenueOpen(range: { readonly low: number; readonly high: number } | undefined): boolean {
  return range !== undefined && !isPoint(range.low, range.high);
}

/** Whether a run was simulated with its open prices sought, and whether any of them matter. */
export function openPricesOf(run: SimulationResult): 'not sought' | 'none' | 'some' {
  if (!run.years.some((y) => y.certificate.openPrices)) return 'not sought';
  return run.years.some(
    (y) => levyRevenueOpen(y.certificate.levyRevenueRange) || (y.certificate.openPrices ?? []).some(openPriceMatters),
  )
    ? 'some'
    : 'none';
}

/**
 * The report's section on open prices, for the runs simulated with them sought (`simulate --open-prices`): per year
 * the levy revenue, its range and the open prices that move what is traded. Undefined where no run sought them.
 */
export function openPricesSection(
  runs: readonly SimulationResult[],
): { id: string; title: string; html: string } | undefined {
  const sought = runs.filter((r) => openPricesOf(r) !== 'not sought');
  if (sought.length === 0) return undefined;
  const parts = sought.map((run) => {
    const name = esc(run.scenario.name);
    if (openPricesOf(run) === 'none') return `<p>${name}: no open price moves what is traded, in any year.</p>`;
    const rows = run.years.map((y) => {
      const range = y.certificate.levyRevenueRange;
      return `<tr><td>${y.year}</td><td class="num">${formatUsd(y.totals.levyRevenue)}</td><td class="num">${
        range ? esc(formatRange(range.low, range.high, formatUsd)) : '–'
      }</td><td class="text">${esc(openPricesInBrief(y.certificate.openPrices ?? []))}</td></tr>`;
    });
    return `<div class="table-wrap"><table>
<caption>${name}</caption>
<thead><tr><th scope="col">Year</th><th scope="col" class="num">Levy revenue</th><th scope="col" class="num">Its range</th><th scope="col">Open prices that move what is traded (price unit of the commodity)</th></tr></thead>
<tbody>${rows.join('\n')}</tbody>
</table></div>`;
  });
  return {
    id: 'open-prices',
    title: 'Open prices',
    html: `<section id="open-prices">
<h2>Open prices</h2>
<p class="note">Where every price in a range satisfies all the equilibrium's conditions, the model does not pick one, and
the point shown elsewhere in this report is where the solver stopped. The levy revenue's range is what the open prices
reach, each direction alone: an inner bound.</p>
${parts.join('\n')}
</section>`,
  };
}
