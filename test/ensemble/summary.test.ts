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
import {
  DEFAULT_THRESHOLDS,
  pairedDifferenceInterval,
  quantileSorted,
  type SummaryInput,
  summarize,
  wilsonInterval,
} from '../../src/ensemble/summary.ts';

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
    // 0…99: variance 100·101/12 = 841.67 (sample), so a standard error of √(841.67 / 100).
    expect(row?.standardError).toBeCloseTo(Math.sqrt((100 * 101) / 12 / 100), 12);
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
    // Of the five values 0, 2, 4, 6, 8: a sample variance of 10, over √5.
    expect(row?.standardError).toBeCloseTo(Math.sqrt(10 / 5), 12);
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

  it('give each probability its 95% Wilson interval', () => {
    // 4 of 20: 0.0807–0.4160 (worked by hand from the score formula; the normal approximation's 0.025–0.375 is
    // shifted down); 0 of 20 reaches up to z²/(n + z²), and 20 of 20 down to n/(n + z²).
    const cut = p('cutAbove', 2030);
    expect(cut?.probability).toBe(0.25);
    const four = wilsonInterval(4, 20);
    expect([four.low, four.high].map((x) => Number(x.toFixed(4)))).toEqual([0.0807, 0.416]);
    const z2 = 1.959963984540054 ** 2;
    expect(wilsonInterval(0, 20).low).toBe(0);
    expect(wilsonInterval(0, 20).high).toBeCloseTo(z2 / (20 + z2), 12);
    expect(wilsonInterval(20, 20)).toEqual({ low: expect.closeTo(20 / (20 + z2), 12), high: 1 });
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
    // The rows carry it: 5 of 20.
    expect(cut).toMatchObject(wilsonInterval(5, 20));
    expect((cut?.low as number) < 0.25 && 0.25 < (cut?.high as number)).toBe(true);
    // Narrower with more draws, around the same share.
    const wide = wilsonInterval(5, 20);
    const narrow = wilsonInterval(500, 2000);
    expect(narrow.high - narrow.low).toBeLessThan((wide.high - wide.low) / 5);
  });

  it('have no paired changes without a twin', () => {
    expect(s.eventChanges).toEqual([]);
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
    // Standard errors of the expected losses: values 0, 10, …, 80 have a sample standard deviation of √750, over
    // √9 draws; only 2030 loses anything, so the horizon's is the same; the paired difference is −5 on every draw.
    const error = (run: string, year: number | 'horizon') =>
      s.expectedConsumptionLost.find((x) => x.run === run && x.commodity === '*total*' && x.year === year)
        ?.standardError;
    expect(error('scenario', 2030)).toBeCloseTo(Math.sqrt(750) / 3, 12);
    expect(error('scenario', 'horizon')).toBeCloseTo(Math.sqrt(750) / 3, 12);
    expect(error('difference', 2030)).toBe(0);
    expect(error('difference', 'horizon')).toBe(0);
  });

  it('gives the paired change of each event’s probability, with an interval that counts the pairing', () => {
    const draws = Array.from({ length: 40 }, (_, i) => ({
      draw: i,
      // A cut in 2030 in the scenario on draws 0–9, in its twin on draws 0–15: the same draws and 6 more.
      scenario: vector((v) => (v[at(0, 'lostShare')] = i < 10 ? 0.5 : 0)),
      against: vector((v) => (v[at(0, 'lostShare')] = i < 16 ? 0.5 : 0)),
    }));
    const s = summarize(
      input(storeWith(draws), 40, { hasAgainst: true, central: { scenario: central, against: central } }),
    );
    const change = s.eventChanges.find((c) => c.event === 'cutAbove' && c.commodity === 'a/x' && c.year === 2030);
    expect(change).toMatchObject({ change: -0.15, onlyScenario: 0, onlyAgainst: 6, draws: 40 });
    // Agresti–Min: half a draw added to each cell; (0.5 − 6.5) / 42 ± z / 42 · √(7 − 36 / 42).
    const d = -6 / 42;
    const half = (1.959963984540054 / 42) * Math.sqrt(7 - 36 / 42);
    expect(change?.low).toBeCloseTo(d - half, 12);
    expect(change?.high).toBeCloseTo(d + half, 12);
    // Entirely below 0: the twin's 16 of 40 and the scenario's 10 of 40 have intervals that overlap, but every
    // draw with a cut in the scenario has one in its twin too.
    expect(change?.high).toBeLessThan(0);
    const one = (run: string) =>
      s.events.find((e) => e.run === run && e.event === 'cutAbove' && e.commodity === 'a/x' && e.year === 2030);
    expect((one('scenario')?.high as number) > (one('against')?.low as number)).toBe(true);
    // No draw differs: a change of 0, an interval around it.
    const none = s.eventChanges.find((c) => c.event === 'priceAbove' && c.year === 2031 && c.commodity === 'a/x');
    expect(none).toMatchObject({ change: 0, onlyScenario: 0, onlyAgainst: 0 });
    expect((none?.low as number) < 0 && (none?.high as number) > 0).toBe(true);
    expect(pairedDifferenceInterval(0, 0, 0)).toEqual({ low: -1, high: 1 });
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
