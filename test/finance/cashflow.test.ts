/** NPV, IRR and break-even prices against hand-computed cases, and their properties. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { incentivePrice as annuityIncentivePrice, capitalRecoveryFactor } from '../../src/admin/reference-price.ts';
import { describeRate, internalRate, lowestRoot, npv, signChanges } from '../../src/finance/cashflow.ts';
import type { MarketPath } from '../../src/finance/trace.ts';
import {
  cashFlows,
  incentivePrice,
  type ProjectMarket,
  type ProjectTerms,
  presentValue,
  projectMarket,
  valueProject,
} from '../../src/finance/valuation.ts';

describe('npv', () => {
  it('discounts flows at the end of each year, flow 0 undiscounted', () => {
    // -100 + 60/1.1 + 60/1.21 = 4.1322314...
    expect(npv(0.1, [-100, 60, 60])).toBeCloseTo(-100 + 60 / 1.1 + 60 / 1.21, 12);
    expect(npv(0, [-100, 60, 60])).toBe(20);
    expect(npv(0.5, [])).toBe(0);
  });
  it('refuses a rate at or below -100%', () => {
    expect(() => npv(-1, [1])).toThrow(/above -100%/);
  });
});

describe('internalRate', () => {
  it('takes a flow a billionth of the largest for rounding, not a receipt: no IRR for costs that never pay back', () => {
    const r = internalRate([-133e6, -133e6, -133e6, 0, 1.2e-7, 0, 0]);
    expect(r.kind).toBe('none');
    expect(describeRate(r)).toMatch(/never turn positive/);
    // A real receipt, however late, still counts.
    expect(internalRate([-100, 0, 0, 250]).kind).not.toBe('none');
  });

  it('writes a root a rounding below zero as 0.0%, not -0.0%', () => {
    // −6 + 11d − 6d² + d³ = (d − 1)(d − 2)(d − 3) with d = 1/(1 + r): rates 0%, −50% and −66.7%; the bisection
    // lands the first at about −1e−13, which printed as '-0.0%'.
    const r = internalRate([-6, 11, -6, 1]);
    expect(describeRate(r)).toBe('several: -66.7%, -50.0%, 0.0% (sign changes more than once)');
    expect(describeRate({ kind: 'unique', rate: -1e-13 })).toBe('0.0%');
    expect(describeRate({ kind: 'unique', rate: -0.0004 })).toBe('0.0%');
    expect(describeRate({ kind: 'unique', rate: -0.0006 })).toBe('-0.1%');
  });
  it('finds the one rate of a conventional flow (invest, then earn)', () => {
    // 60x² + 60x − 100 = 0 with x = 1/(1+r): x = (−60 + √(3600 + 24000)) / 120.
    const x = (-60 + Math.sqrt(3600 + 24000)) / 120;
    const r = internalRate([-100, 60, 60]);
    expect(r.kind).toBe('unique');
    expect(r.kind === 'unique' && r.rate).toBeCloseTo(1 / x - 1, 10);
  });
  it('says there is none when the flows never change sign, and why', () => {
    const gains = internalRate([10, 20, 0]);
    expect(gains).toEqual({ kind: 'none', reason: expect.stringMatching(/never turn negative/) });
    expect(internalRate([-10, -20])).toEqual({ kind: 'none', reason: expect.stringMatching(/never paid back/) });
    expect(internalRate([0, 0])).toEqual({ kind: 'none', reason: 'every cash flow is zero' });
    expect(describeRate(internalRate([-5]))).toMatch(/^none \(/);
  });
  it('says there is none when a flow changes sign but its NPV never reaches zero', () => {
    // −1 + 3x − 3x² has a negative discriminant: the NPV is negative at every rate.
    const r = internalRate([-1, 3, -3]);
    expect(signChanges([-1, 3, -3])).toBe(2);
    expect(r.kind).toBe('none');
  });
  it('reports both rates of a flow that changes sign twice (−100, 230, −132: 10% and 20%)', () => {
    // −100y² + 230y − 132 = 0 with y = 1 + r has y = 1.1 and 1.2.
    const r = internalRate([-100, 230, -132]);
    expect(r.kind).toBe('multiple');
    if (r.kind !== 'multiple') return;
    expect(r.rates).toHaveLength(2);
    expect(r.rates[0]).toBeCloseTo(0.1, 10);
    expect(r.rates[1]).toBeCloseTo(0.2, 10);
    expect(describeRate(r)).toMatch(/^several: 10\.0%, 20\.0%/);
  });
  it('finds a root where the NPV only touches zero (−100, 220, −121: a double root at 10%)', () => {
    const r = internalRate([-100, 220, -121]);
    expect(r.kind).toBe('unique');
    expect(r.kind === 'unique' && r.rate).toBeCloseTo(0.1, 6);
  });
  it('finds a unique rate even when the flow changes sign three times, if only one root exists', () => {
    // −100 + 50x − 10x² + 80x³: one positive root in x (Descartes allows three).
    const r = internalRate([-100, 50, -10, 80]);
    expect(r.kind).toBe('unique');
    if (r.kind === 'unique') expect(Math.abs(npv(r.rate, [-100, 50, -10, 80]))).toBeLessThan(1e-9);
  });
  it('property: a conventional flow has exactly one IRR, at which its NPV is zero and through which it falls', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.double({ min: 1, max: 1e4, noNaN: true }),
        fc.array(fc.double({ min: 0.01, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (lead, capex, gains) => {
          const flows = [...Array.from({ length: lead }, () => -capex / lead), ...gains];
          const r = internalRate(flows);
          const total = flows.reduce((s, x) => s + x, 0);
          // The root lies in the scanned range unless the flow barely pays back or pays back many times over.
          if (r.kind !== 'unique') return r.kind === 'none' && (total < 1e-6 * capex || total > 0);
          const scale = flows.reduce((s, x) => s + Math.abs(x), 0);
          const step = Math.min(0.01, (1 + r.rate) / 2);
          return (
            Math.abs(npv(r.rate, flows)) <= 1e-8 * npv(r.rate, flows.map(Math.abs)) &&
            npv(r.rate - step, flows) > npv(r.rate + step, flows) &&
            // At a zero rate the NPV is the plain sum: the rate has the sign of the undiscounted total.
            (Math.abs(total) <= 1e-9 * scale || Math.sign(total) === Math.sign(r.rate))
          );
        },
      ),
      { numRuns: 200 },
    );
  });
  it('property: every rate it reports is a zero of the NPV', () => {
    fc.assert(
      // Cash flows in whole USD thousands, as a register states them.
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 2, maxLength: 12 }), (flows) => {
        const r = internalRate(flows);
        const rates = r.kind === 'unique' ? [r.rate] : r.kind === 'multiple' ? r.rates : [];
        return (
          rates.every((x) => Math.abs(npv(x, flows)) <= 1e-7 * npv(x, flows.map(Math.abs))) &&
          // Descartes: no more positive roots in the discount factor than sign changes.
          rates.length <= signChanges(flows)
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('lowestRoot', () => {
  it('finds where an increasing function reaches zero, or says it never does', () => {
    expect(lowestRoot((x) => x - 3, 0, 1)).toBeCloseTo(3, 8);
    expect(lowestRoot((x) => x + 1, 0, 10)).toBe(0);
    expect(lowestRoot(() => -1, 0, 10)).toBeNull();
  });
});

const TERMS: ProjectTerms = {
  id: 'P',
  commodity: 'k',
  region: 'USA',
  capacity: 100,
  capex: 1000,
  cashCost: 5,
  leadTime: 2,
  life: 3,
  onlineYear: 2030,
  rampYears: 2,
  costOfCapital: 0.1,
  inputs: [],
};
const flat =
  (price: number, strike: number | null = null, inputCost = 0): ProjectMarket =>
  () => ({ price, inputCost, strike });

describe('cashFlows', () => {
  it('spends capex over the lead time, ramps up output, and pays cash cost (hand-computed)', () => {
    const flows = cashFlows(TERMS, flat(20), { cfd: false });
    expect(flows.map((f) => f.year)).toEqual([2028, 2029, 2030, 2031, 2032]);
    expect(flows.map((f) => f.capex)).toEqual([500, 500, 0, 0, 0]);
    // Ramp over two years: half in the first year of output.
    expect(flows.map((f) => f.output)).toEqual([0, 0, 50, 100, 100]);
    expect(flows.map((f) => f.net)).toEqual([-500, -500, 750, 1500, 1500]);
    const value = presentValue(
      TERMS,
      flows.map((f) => f.net),
    );
    expect(value).toBeCloseTo(-500 - 500 / 1.1 + 750 / 1.1 ** 2 + 1500 / 1.1 ** 3 + 1500 / 1.1 ** 4, 9);
  });
  it('shuts a year in when the price does not cover cash cost and inputs', () => {
    const flows = cashFlows(TERMS, flat(6, null, 2), { cfd: false });
    expect(flows.filter((f) => f.year >= 2030).every((f) => f.output === 0 && f.net === 0)).toBe(true);
  });
  it('adds the CfD top-up only when asked, and only below the strike', () => {
    const without = cashFlows(TERMS, flat(10, 12), { cfd: false });
    const withCfd = cashFlows(TERMS, flat(10, 12), { cfd: true });
    expect(without.every((f) => f.cfd === 0)).toBe(true);
    expect(withCfd.at(-1)).toMatchObject({ topUp: 2, cfd: 200, revenue: 1000 });
    expect(cashFlows(TERMS, flat(15, 12), { cfd: true }).every((f) => f.cfd === 0)).toBe(true);
  });
  it('pays the top-up only on the CfD’s volume, and runs the uncovered output only when the market price pays', () => {
    // A CfD covering 30 t a year of each producer (zone.cfds[].volume; the equilibrium's covered tranche) paid the
    // top-up on all the plant's output and ran all of it at the strike.
    const capped =
      (price: number): ProjectMarket =>
      () => ({ price, inputCost: 0, strike: 12, volume: 30 });
    // Price 10 covers the cash cost of 5: all 100 t run, 30 of them topped up by 2.
    expect(cashFlows(TERMS, capped(10), { cfd: true }).at(-1)).toMatchObject({ output: 100, cfd: 60, revenue: 1000 });
    // Price 4 does not: only the 30 t the CfD covers run (at 4 + 8), the other 70 are shut in.
    const low = cashFlows(TERMS, capped(4), { cfd: true });
    expect(low.at(-1)).toMatchObject({ output: 30, topUp: 8, cfd: 240, revenue: 120, operatingCost: 150, net: 210 });
    // Ramping up, 50 t in the first year: still 30 covered.
    expect(low.find((f) => f.year === 2030)).toMatchObject({ output: 30, cfd: 240 });
    // Without the CfD counted nothing runs at 4.
    expect(cashFlows(TERMS, capped(4), { cfd: false }).every((f) => f.output === 0)).toBe(true);
  });
  it('reads a CfD’s volume from the market path', () => {
    const path: MarketPath = {
      years: [
        {
          year: 2030,
          prices: new Map([['k|USA', 10]]),
          premia: new Map<string, number>(),
          cfds: [{ commodity: 'k', regions: ['USA'], strike: 15, until: null, volume: 30 }],
        },
      ],
    };
    expect(projectMarket(TERMS, path)(2030)).toEqual({ price: 10, inputCost: 0, strike: 15, volume: 30 });
  });
  it('spends the whole capex in the decision year when the lead time is zero', () => {
    const flows = cashFlows({ ...TERMS, leadTime: 0 }, flat(20), { cfd: false });
    expect(flows[0]).toMatchObject({ year: 2030, capex: 1000, output: 50 });
  });
});

describe('incentivePrice', () => {
  it('equals the annuity formula (cash cost + capital recovery factor × capex / capacity) for a one-year lead and no ramp', () => {
    const terms = { ...TERMS, leadTime: 1, rampYears: 1, life: 20 };
    const expected = annuityIncentivePrice({
      cashCost: terms.cashCost,
      capex: terms.capex,
      capacity: terms.capacity,
      life: terms.life,
      costOfCapital: terms.costOfCapital,
    });
    expect(incentivePrice(terms, [flat(1)])).toBeCloseTo(expected, 6);
    expect(expected).toBeCloseTo(5 + (capitalRecoveryFactor(0.1, 20) * 1000) / 100, 12);
  });
  it('adds the inputs the project buys, and at that price the NPV is zero', () => {
    const terms = { ...TERMS, rampYears: 1, life: 15 };
    const p = incentivePrice(terms, [flat(0, null, 3)]) as number;
    const at = valueProject(terms, [flat(p, null, 3)], { cfd: false });
    expect(Math.abs(at.npv)).toBeLessThan(1e-6);
    expect(p).toBeGreaterThan(terms.cashCost + 3);
  });
  it('property: the NPV rises with the price, and is zero at the incentive price', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e4, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0.01, max: 0.2, noNaN: true }),
        (capex, cashCost, leadTime, life, costOfCapital) => {
          const terms = { ...TERMS, capex, cashCost, leadTime, life, costOfCapital };
          const p = incentivePrice(terms, [flat(0)]) as number;
          const v = (price: number) => valueProject(terms, [flat(price)], { cfd: false }).npv;
          // The root is found to a relative 1e-12 of the price: the NPV there is zero to that much of the revenue.
          const revenue = terms.capacity * p * life;
          return Math.abs(v(p)) <= 1e-8 * (capex + revenue) && v(p * 1.1 + 1) > v(p) && v(p * 0.9) < 0;
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('valueProject over several paths (an ensemble)', () => {
  it('averages NPV and CfD payments over the draws and counts the draws that lose money', () => {
    const terms = { ...TERMS, rampYears: 1 };
    const draws = [flat(8, 12), flat(20, 12)];
    const v = valueProject(terms, draws, { cfd: true });
    const each = draws.map((d) => valueProject(terms, [d], { cfd: true }));
    expect(v.npv).toBeCloseTo(((each[0]?.npv ?? 0) + (each[1]?.npv ?? 0)) / 2, 9);
    expect(v.cfdPayments).toBeCloseTo(((each[0]?.cfdPayments ?? 0) + (each[1]?.cfdPayments ?? 0)) / 2, 9);
    expect(v.paths).toBe(2);
    expect(v.probabilityOfLoss).toBe(each.filter((e) => e.npv < 0).length / 2);
  });
});

describe('projectMarket', () => {
  const path = {
    years: [2030, 2031].map((year) => ({
      year,
      prices: new Map([
        ['k|USA', year === 2030 ? 10 : 12],
        ['m|USA', 2],
      ]),
      premia: new Map([['k|USA', 1]]),
      cfds: year === 2031 ? [{ commodity: 'k', regions: ['USA'], strike: 15, until: null }] : [],
    })),
  };
  const terms = { ...TERMS, inputs: [{ commodity: 'm', coefficient: 3 }] };
  it('reads the producer price (price plus origin rent), the inputs at the region’s price and the CfD covering it', () => {
    const m = projectMarket(terms, path);
    expect(m(2030)).toEqual({ price: 11, inputCost: 6, strike: null });
    expect(m(2031)).toEqual({ price: 13, inputCost: 6, strike: 15 });
  });
  it('holds the first and last years flat outside the path', () => {
    const m = projectMarket(terms, path);
    expect(m(2020)).toEqual(m(2030));
    expect(m(2060)).toEqual(m(2031));
  });
  it('holds a CfD past the simulated years only to the last year of its term', () => {
    // The zone's CfD runs to 2035; a horizon that ends in 2031 used to hold it (and its top-up) for the project's
    // whole life: White Mesa Phase 2 on a 2025–2031 horizon had USD 181.9m of CfD payments, 91.5m of them after 2035.
    const pathUntil = (until: number | null): MarketPath => ({
      years: [2030, 2031].map((year) => ({
        year,
        prices: new Map([['k|USA', 10]]),
        premia: new Map<string, number>(),
        cfds: [{ commodity: 'k', regions: ['USA'], strike: 15, until }],
      })),
    });
    const ends = pathUntil(2033);
    const m = projectMarket(TERMS, ends);
    expect(m(2031).strike).toBe(15);
    expect(m(2033).strike).toBe(15);
    expect(m(2034).strike).toBeNull();
    expect(m(2060)).toEqual({ price: 10, inputCost: 0, strike: null });
    // An open-ended contract holds, as the prices do.
    expect(projectMarket(TERMS, pathUntil(null))(2060).strike).toBe(15);
  });
  it('takes the first contract that covers the project, as the equilibrium does, not the highest strike', () => {
    // Two contracts in force on the same producers: the scenario's first (strike 12) pays, in the simulation too.
    const cfds = [
      { commodity: 'k', regions: ['USA'], strike: 12, until: 2032, volume: 20 },
      { commodity: 'k', regions: ['USA'], strike: 15, until: 2040 },
    ];
    const two: MarketPath = {
      years: [2030, 2031].map((year) => ({ year, prices: new Map([['k|USA', 10]]), premia: new Map(), cfds })),
    };
    const m = projectMarket(TERMS, two);
    expect(m(2031)).toEqual({ price: 10, inputCost: 0, strike: 12, volume: 20 });
    expect(m(2032)).toEqual({ price: 10, inputCost: 0, strike: 12, volume: 20 });
    // Past the first's term the second takes over, to the end of its own.
    expect(m(2033)).toEqual({ price: 10, inputCost: 0, strike: 15 });
    expect(m(2041).strike).toBeNull();
  });
  it('refuses a project whose region the path does not price', () => {
    expect(() => projectMarket({ ...terms, region: 'JPN' }, path)(2030)).toThrow(/no price of k in JPN/);
  });
});
