/**
 * Prices the conditions leave open (ranges.ts): solved by hand where the range is known, absent where the solution
 * is unique, and the null space it rests on.
 */
import { describe, expect, it } from 'vitest';
import { nullSpace } from '../../src/equilibrium/ranges.ts';
import { solveEquilibrium } from '../../src/equilibrium/solve.ts';
import { K, twoRegions } from './two-regions.ts';

/**
 * A (outside the zone) mines 10 at cost 100 and buys nothing; B (a member, floor 500) makes up to 1000 at cost 500
 * and demands 600 − p. Freight A→B is 10. B's price is 500 (its own producer at the margin); A ships its 10, landing
 * at the floor whatever A is paid below 490, the levy taking up the rest. Every price of A from its cost, 100, to
 * 490 (levy zero) satisfies all conditions, and the levy revenue runs from (500 − 110) × 10 = 3900 down to 0.
 */
const exporterAtFloor = () =>
  twoRegions({
    members: ['B'],
    supplies: [],
    producers: [
      { id: 'a', region: 'A', commodity: K, capacity: 10, cost: 100 },
      { id: 'b', region: 'B', commodity: K, capacity: 1000, cost: 500 },
    ],
    demands: [{ region: 'B', commodity: K, curve: { kind: 'linear', intercept: 600, slope: 1 } }],
    routes: { default: { freight: 10 } },
    floors: [{ region: 'B', commodity: K, price: 500 }],
  });

/** The closed form of closed-forms: B's floor 90 binds, A exports 20 at 60, the levy is 20. */
const pinnedAtFloor = () =>
  twoRegions({
    members: ['B'],
    routes: { default: { freight: 10 } },
    floors: [{ region: 'B', commodity: K, price: 90 }],
  });

describe('open prices', () => {
  it("an exporter at capacity selling into a member at its floor: its price is open from its cost to the floor's landing", () => {
    const s = solveEquilibrium(exporterAtFloor(), { priceRanges: true });
    const open = s.certificate.openPrices ?? [];
    expect(open.map((o) => o.region)).toEqual(['A']);
    const a = open[0];
    if (!a) throw new Error('no open price');
    expect(a.low).toBeCloseTo(100, 4);
    expect(a.high).not.toBeNull();
    expect(a.high as number).toBeCloseTo(490, 4);
    expect(a.price).toBeGreaterThanOrEqual(a.low);
    expect(a.price).toBeLessThanOrEqual(a.high as number);
    // B's price is pinned by its own producer at the margin.
    expect(s.prices.find((p) => p.region === 'B')?.price).toBeCloseTo(500, 6);
    const levy = s.certificate.levyRevenueRange;
    expect(levy?.low).toBeCloseTo(0, 3);
    expect(levy?.high).toBeCloseTo(3900, 3);
    const flow = s.flows.find((f) => f.from === 'A' && f.to === 'B');
    expect(levy?.value).toBeCloseTo((flow?.levy ?? Number.NaN) * (flow?.quantity ?? Number.NaN), 6);
  });

  it('a market whose every price is pinned lists none', () => {
    const s = solveEquilibrium(pinnedAtFloor(), { priceRanges: true });
    expect(s.certificate.openPrices).toEqual([]);
    const levy = s.certificate.levyRevenueRange;
    expect(levy?.low).toBe(levy?.value);
    expect(levy?.high).toBe(levy?.value);
    expect(levy?.value).toBeCloseTo(20 * 20, 6);
  });

  it('names the chains too large to analyse instead of listing nothing for them', () => {
    const s = solveEquilibrium(pinnedAtFloor(), { priceRanges: { maxFree: 1 } });
    expect(s.certificate.openPrices).toEqual([]);
    expect(s.certificate.openPricesUnanalysed).toEqual([K]);
    // Its levy revenue (20 a unit on 20) still counts, as a point.
    const revenue = s.flows.reduce((t, f) => t + f.levy * f.quantity, 0);
    expect(revenue).toBeCloseTo(400, 6);
    expect(s.certificate.levyRevenueRange).toEqual({ value: revenue, low: revenue, high: revenue });
  });

  it('is found only when asked', () => {
    const s = solveEquilibrium(exporterAtFloor());
    expect(s.certificate.openPrices).toBeUndefined();
    expect(s.certificate.levyRevenueRange).toBeUndefined();
  });
});

describe('nullSpace', () => {
  it('finds the dependent directions of a singular matrix, and none of a regular one', () => {
    // Rows: x + y = 0, 2x + 2y = 0, z = 0: the null space is x = −y, z = 0.
    const basis = nullSpace(Float64Array.from([1, 1, 0, 2, 2, 0, 0, 0, 1]), 3);
    expect(basis).toHaveLength(1);
    const v = basis[0] as Float64Array;
    expect((v[0] as number) + (v[1] as number)).toBeCloseTo(0, 12);
    expect(Math.abs(v[0] as number)).toBeGreaterThan(0.1);
    expect(v[2]).toBeCloseTo(0, 12);
    expect(nullSpace(Float64Array.from([2, 1, 1, 3]), 2)).toHaveLength(0);
    // A zero column: that variable alone.
    const free = nullSpace(Float64Array.from([1, 0, 3, 0]), 2);
    expect(free).toHaveLength(1);
    expect(Array.from(free[0] as Float64Array)).toEqual([0, 1]);
  });
});
