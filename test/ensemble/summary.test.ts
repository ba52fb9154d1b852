/**
 * Distributions from the store: exact quantiles on hand-made draws, values that do not exist left out, the same
 * answer whatever the order of completion or the memory budget, events and paired differences.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  COMMODITY_METRICS,
  commodityOffset,
  type MetricLayout,
  TOTAL_METRICS,
  totalOffset,
} from '../../src/ensemble/metrics.ts';
import { EnsembleStore } from '../../src/ensemble/store.ts';
import { DEFAULT_THRESHOLDS, quantileSorted, type SummaryInput, summarize } from '../../src/ensemble/summary.ts';

const K = 1;
const layout: MetricLayout = {
  years: [2030, 2031],
  commodities: [{ id: 'a/x', unit: 't', priceUnit: 'USD/t' }],
  perYear: K * COMMODITY_METRICS.length + TOTAL_METRICS.length,
  size: 2 * (K * COMMODITY_METRICS.length + TOTAL_METRICS.length),
};
const m = (name: string) => COMMODITY_METRICS.indexOf(name as (typeof COMMODITY_METRICS)[number]);
const at = (y: number, metric: string) => commodityOffset(layout, y, 0, m(metric));

const stores: EnsembleStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function storeWith(vectors: { draw: number; scenario: Float64Array; against?: Float64Array }[]): EnsembleStore {
  const store = EnsembleStore.open(mkdtempSync(path.join(tmpdir(), 'lodestone-store-')));
  stores.push(store);
  store.add(vectors.map((v) => ({ ...v, shocks: '[]', simulateMs: 1, overheadMs: 0 })));
  return store;
}

function vector(fill: (v: Float64Array) => void): Float64Array {
  const v = new Float64Array(layout.size);
  fill(v);
  return v;
}

const central = vector((v) => {
  v[at(0, 'priceInside')] = 10;
  v[at(1, 'priceInside')] = 10;
});

function input(store: EnsembleStore, limit: number, over: Partial<SummaryInput> = {}): SummaryInput {
  return {
    store,
    limit,
    layout,
    hasAgainst: false,
    central: { scenario: central },
    thresholds: DEFAULT_THRESHOLDS,
    ...over,
  };
}

describe('quantiles', () => {
  it('are exact order statistics, interpolated linearly (type 7)', () => {
    const draws = Array.from({ length: 100 }, (_, i) => ({
      draw: i,
      scenario: vector((v) => (v[at(0, 'stock')] = i)),
    }));
    const s = summarize(input(storeWith(draws), 100));
    const row = s.quantiles.find((q) => q.year === 2030 && q.metric === 'stock');
    // h = 99 p: P5 = 4.95, P25 = 24.75, P50 = 49.5, P75 = 74.25, P95 = 94.05.
    expect(row).toMatchObject({ n: 100, mean: 49.5, central: 0 });
    expect([row?.p5, row?.p25, row?.p50, row?.p75, row?.p95].map((x) => Number(x?.toFixed(10)))).toEqual([
      4.95, 24.75, 49.5, 74.25, 94.05,
    ]);
  });

  it('leave out draws where a metric does not exist, and say how many have it', () => {
    const draws = Array.from({ length: 10 }, (_, i) => ({
      draw: i,
      scenario: vector((v) => {
        v[at(0, 'daysOfCover')] = i % 2 === 0 ? i : Number.NaN;
      }),
    }));
    const row = summarize(input(storeWith(draws), 10)).quantiles.find(
      (q) => q.year === 2030 && q.metric === 'daysOfCover',
    );
    expect(row).toMatchObject({ n: 5, mean: 4, p50: 4, p5: 0.4 });
  });

  it('do not depend on the order draws were stored in, nor on the memory budget', () => {
    const make = (i: number) => ({
      draw: i,
      scenario: vector((v) => {
        for (let j = 0; j < v.length; j++) v[j] = Math.sin(i * 7.1 + j) * 100 + j;
      }),
    });
    const ordered = Array.from({ length: 40 }, (_, i) => make(i));
    const shuffled = [...ordered].sort((a, b) => ((a.draw * 17) % 40) - ((b.draw * 17) % 40));
    const a = summarize(input(storeWith(ordered), 40));
    const b = summarize(input(storeWith(shuffled), 40));
    const tiny = summarize(input(storeWith(ordered), 40, { memoryBudget: 8 }));
    expect(b).toEqual(a);
    expect(tiny).toEqual(a);
    // Only draws below the limit count.
    expect(summarize(input(storeWith(ordered), 10)).draws).toBe(10);
  });

  it('are ordered, within the range of the values (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 200 }), (xs) => {
        const sorted = Float64Array.from(xs).sort();
        const q = [0.05, 0.25, 0.5, 0.75, 0.95].map((p) => quantileSorted(sorted, sorted.length, p));
        for (let i = 1; i < q.length; i++) if ((q[i] as number) < (q[i - 1] as number)) return false;
        return (q[0] as number) >= (sorted[0] as number) && (q[4] as number) <= (sorted[sorted.length - 1] as number);
      }),
    );
  });
});

describe('events', () => {
  const draws = Array.from({ length: 20 }, (_, i) => ({
    draw: i,
    scenario: vector((v) => {
      v[at(0, 'priceInside')] = i; // above 1.5 × 10 for i = 16..19
      v[at(1, 'priceInside')] = 0;
      v[at(0, 'lostShare')] = i < 5 ? 0.5 : 0; // cut above 10% for i = 0..4
      v[at(1, 'lostShare')] = i < 5 || i >= 18 ? 0.2 : 0; // and in 2031 also for 18, 19
      v[at(0, 'stock')] = 100;
      v[at(1, 'stock')] = i < 3 ? 5 : 50; // exhausted (below 10% of the peak 100) for i = 0..2
    }),
  }));
  const s = summarize(input(storeWith(draws), 20));
  const p = (event: string, year: number | 'any', commodity = 'a/x') =>
    s.events.find((e) => e.run === 'scenario' && e.event === event && e.year === year && e.commodity === commodity);

  it('count the draws above a multiple of the central price, with the threshold they used', () => {
    expect(p('priceAbove', 2030)).toMatchObject({ probability: 0.2, threshold: 15, draws: 20 });
    expect(p('priceAbove', 2031)?.probability).toBe(0);
    expect(p('priceAbove', 'any')?.probability).toBe(0.2);
  });

  it('count cuts and exhausted stocks per year, in any year, and for any commodity', () => {
    expect(p('cutAbove', 2030)?.probability).toBe(0.25);
    expect(p('cutAbove', 2031)?.probability).toBe(0.35);
    expect(p('cutAbove', 'any')?.probability).toBe(0.35);
    expect(p('cutAbove', 'any', '*total*')?.probability).toBe(0.35);
    expect(p('stocksExhausted', 2030)?.probability).toBe(0);
    expect(p('stocksExhausted', 2031)?.probability).toBe(0.15);
  });

  it('take an absolute price threshold when one is set', () => {
    const abs = summarize(
      input(storeWith(draws), 20, { thresholds: { ...DEFAULT_THRESHOLDS, prices: { 'a/x': 9.5 } } }),
    );
    expect(abs.events.find((e) => e.event === 'priceAbove' && e.year === 2030 && e.commodity === 'a/x')).toMatchObject({
      probability: 0.5,
      threshold: 9.5,
    });
  });
});

describe('a twin', () => {
  it('gives quantiles of the paired difference, not differences of quantiles, and expected losses', () => {
    const lostValue = totalOffset(layout, 0, TOTAL_METRICS.indexOf('consumptionLostValue'));
    const draws = Array.from({ length: 9 }, (_, i) => ({
      draw: i,
      scenario: vector((v) => {
        v[at(0, 'priceInside')] = i;
        v[lostValue] = 10 * i;
      }),
      against: vector((v) => {
        v[at(0, 'priceInside')] = i + (i % 2 === 0 ? 1 : 3);
        v[lostValue] = 10 * i + 5;
      }),
    }));
    const s = summarize(
      input(storeWith(draws), 9, { hasAgainst: true, central: { scenario: central, against: central } }),
    );
    const diff = s.quantiles.find((q) => q.run === 'difference' && q.year === 2030 && q.metric === 'priceInside');
    // Differences: −1 for even draws (5 of them), −3 for odd (4): median −1, P5 −3.
    expect(diff).toMatchObject({ n: 9, p50: -1, p5: -3, p95: -1 });
    const loss = (run: string, year: number | 'horizon') =>
      s.expectedConsumptionLost.find((x) => x.run === run && x.commodity === '*total*' && x.year === year)?.mean;
    expect(loss('scenario', 2030)).toBe(40);
    expect(loss('against', 2030)).toBe(45);
    expect(loss('difference', 'horizon')).toBe(-5);
    expect(s.events.filter((e) => e.run === 'against').length).toBe(
      s.events.filter((e) => e.run === 'scenario').length,
    );
  });
});

describe('the store', () => {
  it('stores a draw once: a second insert of the same draw is refused', () => {
    const store = storeWith([{ draw: 3, scenario: new Float64Array(layout.size) }]);
    expect(() =>
      store.add([{ draw: 3, scenario: new Float64Array(layout.size), shocks: '[]', simulateMs: 0, overheadMs: 0 }]),
    ).toThrow(/UNIQUE/);
    expect(store.count(10)).toEqual({ draws: 1, failures: 0 });
    store.add([], [{ draw: 4, message: 'no certificate' }]);
    expect([...store.done(6)]).toEqual([0, 0, 0, 1, 1, 0]);
    expect(store.failures(10)).toEqual([{ draw: 4, message: 'no certificate' }]);
  });

  it('keeps vectors bit for bit, NaN included', () => {
    const v = Float64Array.from({ length: layout.size }, (_, i) => (i === 3 ? Number.NaN : Math.PI * i * 1e-300 + i));
    const store = storeWith([{ draw: 0, scenario: v }]);
    const [row] = [...store.iterate(1, layout.size)];
    expect(Buffer.from(row?.scenario.buffer as ArrayBuffer)).toEqual(Buffer.from(v.buffer));
  });
});
