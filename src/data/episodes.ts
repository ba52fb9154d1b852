/**
 * Past disruption episodes as observations a backtest can score the model against: for each episode and price
 * series, the price multiple (after / before) in one market, on the restricted side of the measure or not.
 */
import type { Dataset } from './load.ts';
import type { EpisodeRow } from './schema.ts';

export interface EpisodeObservation {
  readonly episode: string;
  /** The commodity the observed price is for. */
  readonly commodity: string;
  /** The commodities the measure cut. */
  readonly restricted: readonly string[];
  readonly product: string;
  readonly actor: string;
  readonly measure: EpisodeRow['measure'];
  readonly destinations: readonly string[];
  readonly announced?: string;
  readonly effective: string;
  readonly end?: string;
  readonly market: string;
  /** The market's buyers were cut off by the measure. */
  readonly insideRestriction: boolean;
  readonly priceBefore?: number;
  readonly priceAfter?: number;
  readonly unit: string;
  /** After / before: from the two levels when both are given, else as the source states it. */
  readonly multiple: number;
  /** Where the multiple comes from. */
  readonly multipleFrom: 'levels' | 'published';
  readonly before: { readonly from: string; readonly to: string; readonly statistic: 'spot' | 'average' };
  readonly after: { readonly from: string; readonly to: string; readonly statistic: 'spot' | 'peak' | 'average' };
  /** Days from the measure becoming known (announced, else effective) to the end of the after observation. */
  readonly horizonDays: number;
  readonly cut?: { readonly share: number; readonly basis: 'actor_exports' | 'world_supply' };
  readonly source: string;
  readonly note?: string;
}

const DAY_MS = 86_400_000;

/**
 * The episodes' observations, in file order. Rows without a usable multiple (which `lodestone data check` reports
 * as errors) are left out rather than guessed.
 */
export function episodeObservations(dataset: Dataset): EpisodeObservation[] {
  const out: EpisodeObservation[] = [];
  for (const r of dataset.tables.episodes) {
    const levels =
      r.price_before !== undefined && r.price_after !== undefined && r.price_before > 0
        ? r.price_after / r.price_before
        : undefined;
    const multiple = levels ?? r.multiple;
    if (multiple === undefined) continue;
    out.push({
      episode: r.episode,
      commodity: r.commodity,
      restricted: r.restricted,
      product: r.product,
      actor: r.actor,
      measure: r.measure,
      destinations: r.destinations,
      ...(r.announced !== undefined ? { announced: r.announced } : {}),
      effective: r.effective,
      ...(r.end !== undefined ? { end: r.end } : {}),
      market: r.market,
      insideRestriction: r.inside_restriction,
      ...(r.price_before !== undefined ? { priceBefore: r.price_before } : {}),
      ...(r.price_after !== undefined ? { priceAfter: r.price_after } : {}),
      unit: r.unit,
      multiple,
      multipleFrom: levels !== undefined ? 'levels' : 'published',
      before: { from: r.before_from, to: r.before_to, statistic: r.before_statistic },
      after: { from: r.after_from, to: r.after_to, statistic: r.after_statistic },
      horizonDays: Math.round(
        (Date.parse(`${r.after_to}T00:00:00Z`) - Date.parse(`${r.announced ?? r.effective}T00:00:00Z`)) / DAY_MS,
      ),
      ...(r.cut_share !== undefined && r.cut_basis !== undefined
        ? { cut: { share: r.cut_share, basis: r.cut_basis } }
        : {}),
      source: r.source,
      ...(r.note ? { note: r.note } : {}),
    });
  }
  return out;
}
