/**
 * From the stored draws to distributions: exact quantiles of every metric per year (each column sorted in full,
 * interpolated as R's type 7 / numpy's default), means, probabilities of events and expected consumption lost, each
 * probability and mean with its Monte Carlo error (how far another set of as many draws could move it).
 * The store is read in draw order, in as many passes as a memory budget needs (columns × draws × 8 bytes per pass),
 * so memory stays bounded however many draws there are, and every number depends only on the set of stored draws,
 * not on the order in which they completed.
 */
import {
  COMMODITY_METRICS,
  commodityOffset,
  type MetricLayout,
  metricUnit,
  TOTAL,
  TOTAL_METRICS,
  totalOffset,
} from './metrics.ts';
import type { EnsembleStore } from './store.ts';

export const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;
export type Run = 'scenario' | 'against' | 'difference';

export interface QuantileRow {
  readonly run: Run;
  readonly year: number;
  /** A commodity id, or '*total*' for the bloc's totals. */
  readonly commodity: string;
  readonly metric: string;
  readonly unit: string;
  /** Draws with a value (a price outside the zone, days of cover, ... may not exist in every draw). */
  readonly n: number;
  readonly mean: number | null;
  /** The mean's standard error (standard deviation of the `n` values ÷ √n); null with fewer than 2. */
  readonly standardError: number | null;
  readonly p5: number | null;
  readonly p25: number | null;
  readonly p50: number | null;
  readonly p75: number | null;
  readonly p95: number | null;
  /** The central run: central data, no drawn shocks (the deterministic simulation). */
  readonly central: number | null;
}

export type EventKind = 'priceAbove' | 'cutAbove' | 'stocksExhausted';

export interface EventRow {
  readonly run: 'scenario' | 'against';
  readonly event: EventKind;
  /** A commodity, or '*total*': any commodity that year. */
  readonly commodity: string;
  /** A year, or 'any': in at least one year of the horizon. */
  readonly year: number | 'any';
  /**
   * The threshold: a price (priceAbove: per year, null over 'any' year or commodity), a share of demand (cutAbove),
   * a share of peak holdings (stocksExhausted).
   */
  readonly threshold: number | null;
  readonly unit: string;
  readonly probability: number;
  /**
   * The 95% Wilson score interval of the probability: the Monte Carlo error of a share of `draws` draws, which stays
   * inside [0, 1] and is not empty at a probability of 0 or 1 (wilsonInterval).
   */
  readonly low: number;
  readonly high: number;
  /** Draws it is a share of. */
  readonly draws: number;
}

/**
 * With a twin, how much the scenario changes the probability of an event on the same draws: P(scenario) −
 * P(twin), and a 95% interval for it that counts the pairing (draws where the event happens in both runs or in
 * neither say nothing about the change), so that it is narrower than the two runs' own intervals would suggest.
 */
export interface EventChangeRow {
  readonly event: EventKind;
  readonly commodity: string;
  readonly year: number | 'any';
  readonly change: number;
  readonly low: number;
  readonly high: number;
  /** Draws where the event happens in the scenario but not its twin, and the other way round. */
  readonly onlyScenario: number;
  readonly onlyAgainst: number;
  readonly draws: number;
}

export interface ExpectedLossRow {
  readonly run: Run;
  /** A commodity (quantity lost) or '*total*' (value lost at base-year reference prices, USD). */
  readonly commodity: string;
  /** A year, or 'horizon': summed over the years. */
  readonly year: number | 'horizon';
  readonly unit: string;
  readonly mean: number;
  /** The mean's standard error over the draws (their standard deviation ÷ √draws); null with fewer than 2 draws. */
  readonly standardError: number | null;
}

export interface Thresholds {
  /** Zone price above this multiple of the central run's zone price that year (default 1.5). */
  readonly priceAbove: number;
  /** Absolute thresholds by commodity, in its price unit (override the multiple). */
  readonly prices: Readonly<Record<string, number>>;
  /** Bloc consumption cut by more than this share of its demand (default 0.1). */
  readonly cutAbove: number;
  /** Stocks exhausted: holdings fall below this share of their earlier peak (default 0.1). */
  readonly exhaustedBelow: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { priceAbove: 1.5, prices: {}, cutAbove: 0.1, exhaustedBelow: 0.1 };

export interface Distributions {
  readonly quantiles: readonly QuantileRow[];
  readonly events: readonly EventRow[];
  /** With a twin: the change in each event's probability (EventChangeRow); empty without. */
  readonly eventChanges: readonly EventChangeRow[];
  readonly expectedConsumptionLost: readonly ExpectedLossRow[];
  /** Draws summarised. */
  readonly draws: number;
}

export interface SummaryInput {
  readonly store: EnsembleStore;
  /** Draws with an index below this are summarised. */
  readonly limit: number;
  readonly layout: MetricLayout;
  readonly hasAgainst: boolean;
  readonly central: { readonly scenario: Float64Array; readonly against?: Float64Array };
  readonly thresholds: Thresholds;
  /** Bytes of column buffers per pass (default 64 MiB). */
  readonly memoryBudget?: number;
}

/** Quantile p of sorted values (linear interpolation between order statistics: type 7). */
export function quantileSorted(sorted: ArrayLike<number>, n: number, p: number): number {
  if (n === 1) return sorted[0] as number;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

const nullIfNaN = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** The normal quantile of a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/**
 * The 95% Wilson score interval of a share of `hits` in `n` draws (Wilson, JASA 22, 1927; recommended over the
 * normal approximation by Brown, Cai and DasGupta, Statistical Science 16(2), 2001): right where the normal
 * approximation fails, at shares of 0 or 1 and for few draws. With no draws, [0, 1].
 */
export function wilsonInterval(hits: number, n: number): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const p = hits / n;
  const z2 = Z95 * Z95;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (Z95 / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // The bounds are exact at 0 and 1 hits; elsewhere kept inside [0, 1] against rounding.
  return {
    low: hits <= 0 ? 0 : Math.max(0, centre - half),
    high: hits >= n ? 1 : Math.min(1, centre + half),
  };
}

/**
 * A 95% interval for the difference of two paired shares, (b − c) / n, from the b draws where only the first run
 * has the event and the c where only the second does: Agresti and Min's adjusted Wald interval (Statistics in
 * Medicine 24(5), 2005), which adds half a draw to each cell of the 2×2 table and keeps its coverage near 95% for
 * few draws or rare events, where the plain Wald interval collapses to a point.
 */
export function pairedDifferenceInterval(b: number, c: number, n: number): { low: number; high: number } {
  if (n <= 0) return { low: -1, high: 1 };
  const m = n + 2;
  const bb = b + 0.5;
  const cc = c + 0.5;
  const d = (bb - cc) / m;
  const half = (Z95 / m) * Math.sqrt(Math.max(0, bb + cc - (bb - cc) ** 2 / m));
  return { low: Math.max(-1, d - half), high: Math.min(1, d + half) };
}

/** Running mean and sum of squared deviations (Welford), for the standard error of a mean over draws. */
class Moments {
  n = 0;
  mean = 0;
  m2 = 0;
  add(x: number): void {
    this.n++;
    const delta = x - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (x - this.mean);
  }
  get standardError(): number | null {
    return this.n < 2 ? null : Math.sqrt(this.m2 / (this.n - 1) / this.n);
  }
}

/** Which metric a column of one run's vector holds. */
function describeColumn(
  layout: MetricLayout,
  i: number,
): { year: number; commodity: string; metric: string; unit: string } {
  const yi = Math.floor(i / layout.perYear);
  const within = i % layout.perYear;
  const year = layout.years[yi] as number;
  const perCommodity = COMMODITY_METRICS.length;
  if (within < layout.commodities.length * perCommodity) {
    const k = layout.commodities[Math.floor(within / perCommodity)];
    const metric = COMMODITY_METRICS[within % perCommodity] as string;
    return { year, commodity: k?.id ?? '', metric, unit: metricUnit(metric, k) };
  }
  const metric = TOTAL_METRICS[within - layout.commodities.length * perCommodity] as string;
  return { year, commodity: TOTAL, metric, unit: metricUnit(metric, undefined) };
}

export function summarize(input: SummaryInput): Distributions {
  const { store, limit, layout, hasAgainst, thresholds } = input;
  const size = layout.size;
  const runs: Run[] = hasAgainst ? ['scenario', 'against', 'difference'] : ['scenario'];
  const columns = runs.length * size;
  const draws = store.count(limit).draws;
  const budget = input.memoryBudget ?? 64 * 1024 * 1024;
  const batch = Math.max(1, Math.min(columns, Math.floor(budget / Math.max(1, draws * 8))));

  // Events: counts per (run, event, commodity index or total, year index), and per draw "any year" flags.
  const K = layout.commodities.length;
  const Y = layout.years.length;
  const EVENTS: EventKind[] = ['priceAbove', 'cutAbove', 'stocksExhausted'];
  const eventRuns: ('scenario' | 'against')[] = hasAgainst ? ['scenario', 'against'] : ['scenario'];
  const cell = (r: number, e: number, k: number, y: number) => ((r * EVENTS.length + e) * (K + 1) + k) * (Y + 1) + y;
  const counts = new Float64Array(eventRuns.length * EVENTS.length * (K + 1) * (Y + 1));
  // Per draw, which events happen in each run; with a twin, the draws where they happen in one run only.
  const hits = eventRuns.map(() => new Uint8Array(EVENTS.length * (K + 1) * (Y + 1)));
  const onlyScenario = new Float64Array(EVENTS.length * (K + 1) * (Y + 1));
  const onlyAgainst = new Float64Array(EVENTS.length * (K + 1) * (Y + 1));
  const mPrice = COMMODITY_METRICS.indexOf('priceInside');
  // A price spike: above a set price, else above a multiple of the run's own central path that year.
  const centralOfRun = [input.central.scenario, input.central.against];
  const priceThreshold = (r: number, k: number, y: number): number => {
    const absolute = thresholds.prices[layout.commodities[k]?.id ?? ''];
    if (absolute !== undefined) return absolute;
    const c = centralOfRun[r]?.[commodityOffset(layout, y, k, mPrice)] ?? Number.NaN;
    return thresholds.priceAbove * c;
  };
  const mLost = COMMODITY_METRICS.indexOf('lostShare');
  const mStock = COMMODITY_METRICS.indexOf('stock');
  const countEvents = (r: number, v: Float64Array) => {
    const hit = hits[r] as Uint8Array;
    hit.fill(0);
    const at = (e: number, k: number, y: number) => (e * (K + 1) + k) * (Y + 1) + y;
    for (let k = 0; k < K; k++) {
      let peak = 0;
      for (let y = 0; y < Y; y++) {
        const price = v[commodityOffset(layout, y, k, mPrice)] as number;
        const lost = v[commodityOffset(layout, y, k, mLost)] as number;
        const stock = v[commodityOffset(layout, y, k, mStock)] as number;
        const flags = [
          price > priceThreshold(r, k, y),
          lost > thresholds.cutAbove,
          peak > 0 && stock < thresholds.exhaustedBelow * peak,
        ];
        if (stock > peak) peak = stock;
        flags.forEach((f, e) => {
          if (!f) return;
          hit[at(e, k, y)] = 1; // this commodity, this year
          hit[at(e, k, Y)] = 1; // this commodity, some year
          hit[at(e, K, y)] = 1; // some commodity, this year
          hit[at(e, K, Y)] = 1; // some commodity, some year
        });
      }
    }
    for (let e = 0; e < EVENTS.length; e++)
      for (let k = 0; k <= K; k++)
        for (let y = 0; y <= Y; y++)
          if (hit[at(e, k, y)]) counts[cell(r, e, k, y)] = (counts[cell(r, e, k, y)] as number) + 1;
  };

  // Consumption lost over the horizon, per draw, run and commodity (or the bloc's value lost): the standard error of
  // its mean needs each draw's sum over the years, not the years' own errors (a long episode hits several years).
  const mLostQ = COMMODITY_METRICS.indexOf('consumptionLost');
  const mLostValue = TOTAL_METRICS.indexOf('consumptionLostValue');
  const lostAt = (k: number, y: number) =>
    k < K ? commodityOffset(layout, y, k, mLostQ) : totalOffset(layout, y, mLostValue);
  const horizonLoss = Array.from({ length: runs.length * (K + 1) }, () => new Moments());
  const addHorizonLoss = (row: { scenario: Float64Array; against?: Float64Array }) => {
    runs.forEach((run, r) => {
      for (let k = 0; k <= K; k++) {
        let total = 0;
        for (let y = 0; y < Y; y++) {
          const i = lostAt(k, y);
          const s = row.scenario[i] as number;
          const a = (row.against?.[i] ?? Number.NaN) as number;
          const v = run === 'scenario' ? s : run === 'against' ? a : s - a;
          // As in the mean: a year without a value adds nothing.
          if (!Number.isNaN(v)) total += v;
        }
        (horizonLoss[r * (K + 1) + k] as Moments).add(total);
      }
    });
  };

  const quantiles: QuantileRow[] = [];
  const means = new Float64Array(columns);
  /** Standard error of each column's mean (NaN with fewer than two values), for quantile and expected-loss rows. */
  const errors = new Float64Array(columns);
  const centralOf = (c: number): number => {
    const r = runs[Math.floor(c / size)];
    const i = c % size;
    const s = input.central.scenario[i] as number;
    const a = input.central.against?.[i] ?? Number.NaN;
    return r === 'scenario' ? s : r === 'against' ? a : s - a;
  };
  for (let start = 0; start < columns; start += batch) {
    const end = Math.min(columns, start + batch);
    const values = Array.from({ length: end - start }, () => new Float64Array(draws));
    const n = new Int32Array(end - start);
    const sums = new Float64Array(end - start);
    for (const row of store.iterate(limit, size)) {
      if (start === 0) {
        countEvents(0, row.scenario);
        if (row.against) {
          countEvents(1, row.against);
          const [s, a] = hits as [Uint8Array, Uint8Array];
          for (let j = 0; j < s.length; j++) {
            if (s[j] && !a[j]) onlyScenario[j] = (onlyScenario[j] as number) + 1;
            else if (a[j] && !s[j]) onlyAgainst[j] = (onlyAgainst[j] as number) + 1;
          }
        }
        addHorizonLoss(row);
      }
      for (let c = start; c < end; c++) {
        const r = Math.floor(c / size);
        const i = c - r * size;
        const v =
          r === 0
            ? (row.scenario[i] as number)
            : r === 1
              ? ((row.against?.[i] ?? Number.NaN) as number)
              : (row.scenario[i] as number) - ((row.against?.[i] ?? Number.NaN) as number);
        if (Number.isNaN(v)) continue;
        const j = c - start;
        (values[j] as Float64Array)[(n[j] as number)++] = v;
        sums[j] = (sums[j] as number) + v;
      }
    }
    for (let c = start; c < end; c++) {
      const j = c - start;
      const count = n[j] as number;
      const sorted = (values[j] as Float64Array).subarray(0, count).sort();
      const q = QUANTILES.map((p) => (count > 0 ? quantileSorted(sorted, count, p) : null));
      const mean = count > 0 ? (sums[j] as number) / count : null;
      means[c] = mean ?? Number.NaN;
      if (mean !== null && count > 1) {
        let squares = 0;
        for (let d = 0; d < count; d++) squares += ((sorted[d] as number) - mean) ** 2;
        errors[c] = Math.sqrt(squares / (count - 1) / count);
      } else errors[c] = Number.NaN;
      const r = runs[Math.floor(c / size)] as Run;
      const d = describeColumn(layout, c % size);
      quantiles.push({
        run: r,
        ...d,
        n: count,
        mean,
        standardError: nullIfNaN(errors[c] as number),
        p5: q[0] ?? null,
        p25: q[1] ?? null,
        p50: q[2] ?? null,
        p75: q[3] ?? null,
        p95: q[4] ?? null,
        central: nullIfNaN(centralOf(c)),
      });
    }
  }

  const events: EventRow[] = [];
  eventRuns.forEach((run, r) => {
    EVENTS.forEach((event, e) => {
      for (let k = 0; k <= K; k++) {
        const commodity = k < K ? (layout.commodities[k]?.id as string) : TOTAL;
        const unit =
          event === 'priceAbove'
            ? k < K
              ? (layout.commodities[k]?.priceUnit ?? '')
              : 'price unit of each commodity'
            : event === 'cutAbove'
              ? 'share of bloc demand'
              : 'share of peak holdings';
        for (let y = 0; y <= Y; y++) {
          const threshold =
            event === 'priceAbove'
              ? k < K && y < Y
                ? nullIfNaN(priceThreshold(r, k, y))
                : null
              : event === 'cutAbove'
                ? thresholds.cutAbove
                : thresholds.exhaustedBelow;
          events.push({
            run,
            event,
            commodity,
            year: y < Y ? (layout.years[y] as number) : 'any',
            threshold,
            unit,
            probability: draws > 0 ? (counts[cell(r, e, k, y)] as number) / draws : 0,
            ...wilsonInterval(counts[cell(r, e, k, y)] as number, draws),
            draws,
          });
        }
      }
    });
  });

  const eventChanges: EventChangeRow[] = [];
  if (hasAgainst) {
    EVENTS.forEach((event, e) => {
      for (let k = 0; k <= K; k++) {
        for (let y = 0; y <= Y; y++) {
          const j = (e * (K + 1) + k) * (Y + 1) + y;
          const b = onlyScenario[j] as number;
          const c = onlyAgainst[j] as number;
          eventChanges.push({
            event,
            commodity: k < K ? (layout.commodities[k]?.id as string) : TOTAL,
            year: y < Y ? (layout.years[y] as number) : 'any',
            change: draws > 0 ? (b - c) / draws : 0,
            ...pairedDifferenceInterval(b, c, draws),
            onlyScenario: b,
            onlyAgainst: c,
            draws,
          });
        }
      }
    });
  }

  // Expected consumption lost: the mean per year, and its sum over the horizon.
  const expected: ExpectedLossRow[] = [];
  runs.forEach((run, r) => {
    const series = (k: number) => layout.years.map((_, y) => means[r * size + lostAt(k, y)] as number);
    for (let k = 0; k <= K; k++) {
      const commodity = k < K ? (layout.commodities[k]?.id as string) : TOTAL;
      const unit = k < K ? (layout.commodities[k]?.unit ?? '') : 'USD';
      const s = series(k);
      s.forEach((mean, y) => {
        expected.push({
          run,
          commodity,
          year: layout.years[y] as number,
          unit,
          mean: Number.isNaN(mean) ? 0 : mean,
          standardError: nullIfNaN(errors[r * size + lostAt(k, y)] as number),
        });
      });
      expected.push({
        run,
        commodity,
        year: 'horizon',
        unit,
        mean: s.reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0),
        standardError: (horizonLoss[r * (K + 1) + k] as Moments).standardError,
      });
    }
  });

  return { quantiles, events, eventChanges, expectedConsumptionLost: expected, draws };
}
