/** Cases solved by hand (MODEL.md §3 check (a)), most on the two-region market of two-regions.ts. */
import { describe, expect, it } from 'vitest';
import type { EquilibriumProblem } from '../../src/equilibrium/problem.ts';
import { EquilibriumError, ProblemError, solveEquilibrium } from '../../src/equilibrium/solve.ts';
import { K, twoRegions } from './two-regions.ts';

const price = (s: ReturnType<typeof solveEquilibrium>, region: string, commodity = K) =>
  s.prices.find((p) => p.region === region && p.commodity === commodity)?.price ?? Number.NaN;
const flow = (s: ReturnType<typeof solveEquilibrium>, from: string, to: string) =>
  s.flows.find((f) => f.from === from && f.to === to)?.quantity ?? 0;

const CLOSE = 7; // decimal places: the certificate promises 1e-8 of the market; tie-breaking moves answers by ~1e-9

describe('two regions, linear curves', () => {
  it('a specific trade cost separates the prices by exactly that cost', () => {
    // p_B = p_A + 10 and 2 p_A − 100 = 200 − 2 p_B  =>  p_A = 70, p_B = 80, exports 40.
    const s = solveEquilibrium(twoRegions({ routes: { default: { freight: 4, specific: 6 } } }));
    expect(price(s, 'A')).toBeCloseTo(70, CLOSE);
    expect(price(s, 'B')).toBeCloseTo(80, CLOSE);
    expect(flow(s, 'A', 'B')).toBeCloseTo(40, CLOSE);
    expect(flow(s, 'B', 'A')).toBe(0);
    expect(s.certificate.maxResidual).toBeLessThan(1e-8);
  });

  it('an ad valorem tariff applies to the CIF value', () => {
    // p_B = 1.1 (p_A + 10) and 2 p_A − 100 = 200 − 2 p_B  =>  p_A = 278 / 4.2.
    const s = solveEquilibrium(twoRegions({ routes: { default: { freight: 10, adValorem: 0.1 } } }));
    const pA = 278 / 4.2;
    expect(price(s, 'A')).toBeCloseTo(pA, CLOSE);
    expect(price(s, 'B')).toBeCloseTo(1.1 * (pA + 10), CLOSE);
    expect(flow(s, 'A', 'B')).toBeCloseTo(2 * pA - 100, CLOSE);
  });

  it('an export tax applies to the FOB price', () => {
    // p_B = 1.2 p_A + 10 and 2 p_A − 100 = 200 − 2 p_B  =>  p_A = 280 / 4.4.
    const s = solveEquilibrium(
      twoRegions({ routes: { default: { freight: 10 } }, exportTaxes: [{ origin: 'A', commodity: K, rate: 0.2 }] }),
    );
    const pA = 280 / 4.4;
    expect(price(s, 'A')).toBeCloseTo(pA, CLOSE);
    expect(price(s, 'B')).toBeCloseTo(1.2 * pA + 10, CLOSE);
  });

  it('a floor that binds: B pays the floor, the levy is floor minus duty-paid value, exactly', () => {
    // B is a member with floor 90; A's goods cost 70 duty-paid at the free-trade price, so the levy lifts them
    // to 90: B imports 200 − 2·90 = 20, A exports 20 at p_A = 60, duty-paid 70, levy 20.
    const s = solveEquilibrium(
      twoRegions({
        members: ['B'],
        routes: { default: { freight: 10 } },
        floors: [{ region: 'B', commodity: K, price: 90 }],
      }),
    );
    expect(price(s, 'B')).toBeCloseTo(90, CLOSE);
    expect(price(s, 'A')).toBeCloseTo(60, CLOSE);
    const f = s.flows.find((x) => x.from === 'A' && x.to === 'B');
    expect(f?.quantity).toBeCloseTo(20, CLOSE);
    expect(f?.levy).toBeCloseTo(90 - (60 + 10), CLOSE);
    expect(f?.landed).toBeCloseTo(90, CLOSE);
  });

  it('a floor that does not bind changes nothing', () => {
    const base = solveEquilibrium(twoRegions({ routes: { default: { freight: 10 } } }));
    const s = solveEquilibrium(
      twoRegions({
        members: ['B'],
        routes: { default: { freight: 10 } },
        floors: [{ region: 'B', commodity: K, price: 75 }],
      }),
    );
    expect(price(s, 'B')).toBeCloseTo(price(base, 'B'), CLOSE);
    expect(price(s, 'A')).toBeCloseTo(price(base, 'A'), CLOSE);
    expect(s.flows.every((f) => f.levy === 0)).toBe(true);
  });

  it('a floor does not apply between members', () => {
    const s = solveEquilibrium(
      twoRegions({
        members: ['A', 'B'],
        routes: { default: { freight: 10 } },
        floors: [{ region: 'B', commodity: K, price: 90 }],
      }),
    );
    expect(price(s, 'B')).toBeCloseTo(80, CLOSE);
  });

  it('a ban splits one world price into the two autarky prices', () => {
    const s = solveEquilibrium(
      twoRegions({
        routes: { default: { freight: 10 } },
        restrictions: [{ id: 'ban', origin: 'A', commodity: K, destinations: ['B'], quota: 0 }],
      }),
    );
    expect(price(s, 'A')).toBeCloseTo(50, CLOSE);
    expect(price(s, 'B')).toBeCloseTo(100, CLOSE);
    expect(s.flows).toEqual([]);
  });

  it('a ban cannot be escaped through a third country: goods keep their origin', () => {
    // C makes nothing and buys from A; it may not pass A's goods on to B, so B stays at autarky.
    const s = solveEquilibrium(
      twoRegions({
        regions: ['A', 'B', 'C'],
        demands: [
          ...twoRegions().demands,
          { region: 'C', commodity: K, curve: { kind: 'linear', intercept: 100, slope: 1 } },
        ],
        routes: { default: { freight: 1 } },
        restrictions: [{ id: 'ban', origin: 'A', commodity: K, destinations: ['B'], quota: 0 }],
      }),
    );
    expect(price(s, 'B')).toBeCloseTo(100, CLOSE);
    expect(flow(s, 'C', 'B')).toBe(0);
    expect(flow(s, 'A', 'C')).toBeGreaterThan(0);
  });

  it('a third country that produces exports only its own output, and its home market imports', () => {
    // C makes 5 (a producer at cost 0) and demands 100 − p. With A banned from B, C sells its own 5 to B
    // (B: p_B + 5 = 200 − p_B, so p_B = 97.5) and imports from A for itself: p_C = p_A + 1, where A's exports
    // 2 p_A − 100 = 100 − p_C give p_A = 199 / 3. C's export price p_B − 1 exceeds its home price by the origin rent.
    const s = solveEquilibrium(
      twoRegions({
        regions: ['A', 'B', 'C'],
        producers: [{ id: 'c', region: 'C', commodity: K, capacity: 5, cost: 0 }],
        demands: [
          ...twoRegions().demands,
          { region: 'C', commodity: K, curve: { kind: 'linear', intercept: 100, slope: 1 } },
        ],
        routes: { default: { freight: 1 } },
        restrictions: [{ id: 'ban', origin: 'A', commodity: K, destinations: ['B'], quota: 0 }],
      }),
    );
    expect(flow(s, 'C', 'B')).toBeCloseTo(5, CLOSE);
    expect(price(s, 'B')).toBeCloseTo(97.5, CLOSE);
    expect(price(s, 'A')).toBeCloseTo(199 / 3, CLOSE);
    expect(price(s, 'C')).toBeCloseTo(199 / 3 + 1, CLOSE);
    expect(flow(s, 'A', 'C')).toBeCloseTo(100 - (199 / 3 + 1), CLOSE);
  });

  it('an export quota caps the flow and earns the price gap as its rent', () => {
    // x = 20: p_A = 60, p_B = 90, rent = 90 − 60 − 10 = 20.
    const s = solveEquilibrium(
      twoRegions({
        routes: { default: { freight: 10 } },
        restrictions: [{ id: 'quota', origin: 'A', commodity: K, destinations: '*', quota: 20 }],
      }),
    );
    expect(flow(s, 'A', 'B')).toBeCloseTo(20, CLOSE);
    expect(price(s, 'A')).toBeCloseTo(60, CLOSE);
    expect(price(s, 'B')).toBeCloseTo(90, CLOSE);
    expect(s.rents[0]?.rent).toBeCloseTo(20, CLOSE);
  });

  it('a quota that does not bind earns no rent', () => {
    const s = solveEquilibrium(
      twoRegions({
        routes: { default: { freight: 10 } },
        restrictions: [{ id: 'quota', origin: 'A', commodity: K, destinations: '*', quota: 60 }],
      }),
    );
    expect(flow(s, 'A', 'B')).toBeCloseTo(40, CLOSE);
    expect(s.rents[0]?.rent).toBeCloseTo(0, CLOSE);
  });
});

describe('producers with capacity and cash cost', () => {
  const oneRegion = (cfd?: { strike: number; volume?: number }): EquilibriumProblem => ({
    regions: ['A'],
    commodities: [K],
    members: [],
    links: [],
    producers: [
      { id: 'low', region: 'A', commodity: K, capacity: 50, cost: 20 },
      { id: 'high', region: 'A', commodity: K, capacity: 40, cost: 60, ...(cfd ? { cfd } : {}) },
    ],
    demands: [{ region: 'A', commodity: K, curve: { kind: 'linear', intercept: 100, slope: 1 } }],
  });
  const out = (s: ReturnType<typeof solveEquilibrium>, id: string) =>
    s.outputs.find((o) => o.producer === id)?.output ?? Number.NaN;

  it('the price sits on the demand curve between two cost steps', () => {
    // The cheap producer runs at capacity 50; demand 100 − p = 50 gives p = 50 < 60, so the dear one stays idle.
    const s = solveEquilibrium(oneRegion());
    expect(price(s, 'A')).toBeCloseTo(50, CLOSE);
    expect(out(s, 'low')).toBeCloseTo(50, CLOSE);
    expect(out(s, 'high')).toBeCloseTo(0, CLOSE);
  });

  it('a CfD at a strike above cost brings the dear producer in at capacity', () => {
    // With max(p, 70) the dear producer makes 40; the price falls to the cheap producer's cost, 20, where it
    // supplies the remaining 100 − 20 − 40 = 40.
    const s = solveEquilibrium(oneRegion({ strike: 70 }));
    expect(out(s, 'high')).toBeCloseTo(40, CLOSE);
    expect(price(s, 'A')).toBeCloseTo(20, CLOSE);
    expect(out(s, 'low')).toBeCloseTo(40, CLOSE);
  });

  it('a CfD with a volume cap covers only that volume', () => {
    // Only 15 units get the strike; the rest of the dear producer sees p.
    const s = solveEquilibrium(oneRegion({ strike: 70, volume: 15 }));
    expect(out(s, 'high')).toBeCloseTo(15, CLOSE);
    expect(price(s, 'A')).toBeCloseTo(35, CLOSE);
  });

  it('isoelastic demand against a fixed capacity', () => {
    // 100 (p / 50)^-0.5 = 80  =>  p = 50 (100 / 80)^2 = 78.125.
    const s = solveEquilibrium({
      regions: ['A'],
      commodities: [K],
      members: [],
      links: [],
      producers: [{ id: 'only', region: 'A', commodity: K, capacity: 80, cost: 10 }],
      demands: [{ region: 'A', commodity: K, curve: { kind: 'isoelastic', q0: 100, p0: 50, elasticity: -0.5 } }],
    });
    expect(price(s, 'A')).toBeCloseTo(78.125, CLOSE);
  });
});

describe('stages linked by input coefficients', () => {
  it('the upstream price enters the downstream cost, and downstream output is upstream demand', () => {
    // Ore: producer capacity 100 at cost 5, plus a dear one at 30. Metal uses 2 ore per unit at cost 10;
    // metal demand 100 − p. Metal output q needs 2q ore. If 2q <= 100, ore price = 5 (cheap producer marginal)
    // and metal price = 10 + 2·5 = 20, metal demand 80, ore demand 160 > 100: so the dear ore producer is marginal:
    // ore price 30, metal price 70, metal demand 30, ore demand 60 < 100: contradiction too. The answer sits at the
    // cheap ore producer's capacity: 2q = 100, q = 50, metal price 50, ore price (50 − 10) / 2 = 20 in [5, 30].
    const s = solveEquilibrium({
      regions: ['A'],
      commodities: ['ore', 'metal'],
      members: [],
      links: [{ output: 'metal', input: 'ore', coefficient: 2 }],
      producers: [
        { id: 'ore-cheap', region: 'A', commodity: 'ore', capacity: 100, cost: 5 },
        { id: 'ore-dear', region: 'A', commodity: 'ore', capacity: 100, cost: 30 },
        { id: 'smelter', region: 'A', commodity: 'metal', capacity: 1000, cost: 10 },
      ],
      demands: [{ region: 'A', commodity: 'metal', curve: { kind: 'linear', intercept: 100, slope: 1 } }],
    });
    expect(price(s, 'A', 'metal')).toBeCloseTo(50, CLOSE);
    expect(price(s, 'A', 'ore')).toBeCloseTo(20, CLOSE);
    expect(s.outputs.find((o) => o.producer === 'smelter')?.output).toBeCloseTo(50, CLOSE);
  });
});

describe('stockpiles', () => {
  it('a vault buying at the floor holds the price there up to its cap', () => {
    // Demand 100 − p with a cheap producer of 90 at cost 5: the free price is 10. A vault buying up to 30 at 20
    // raises demand by its purchase: at p = 20, consumers take 80 and the vault 10.
    const s = solveEquilibrium({
      regions: ['A'],
      commodities: [K],
      members: ['A'],
      links: [],
      producers: [{ id: 'p', region: 'A', commodity: K, capacity: 90, cost: 5 }],
      demands: [{ region: 'A', commodity: K, curve: { kind: 'linear', intercept: 100, slope: 1 } }],
      stocks: [{ id: 'vault', region: 'A', commodity: K, buyCap: 30, buyPrice: 20 }],
    });
    expect(price(s, 'A')).toBeCloseTo(20, CLOSE);
    expect(s.stocks[0]?.bought).toBeCloseTo(10, CLOSE);
  });

  it('a release at a trigger price caps the price while stock lasts', () => {
    // Capacity 40 at cost 5 against demand 100 − p: the free price is 60. A release of up to 50 at 45 adds 15.
    const s = solveEquilibrium({
      regions: ['A'],
      commodities: [K],
      members: ['A'],
      links: [],
      producers: [{ id: 'p', region: 'A', commodity: K, capacity: 40, cost: 5 }],
      demands: [{ region: 'A', commodity: K, curve: { kind: 'linear', intercept: 100, slope: 1 } }],
      stocks: [{ id: 'vault', region: 'A', commodity: K, releaseCap: 50, releasePrice: 45 }],
    });
    expect(price(s, 'A')).toBeCloseTo(45, CLOSE);
    expect(s.stocks[0]?.released).toBeCloseTo(15, CLOSE);
  });
});

describe('errors', () => {
  it('names the place of an unknown region', () => {
    expect(() => solveEquilibrium(twoRegions({ floors: [{ region: 'C', commodity: K, price: 10 }] }))).toThrowError(
      new ProblemError('floors[0].region', "unknown region 'C'"),
    );
  });
  it('refuses a negative capacity', () => {
    expect(() =>
      solveEquilibrium(twoRegions({ producers: [{ id: 'x', region: 'A', commodity: K, capacity: -1, cost: 1 }] })),
    ).toThrowError(/producers\[0\]\.capacity: must be at least 0, got -1/);
  });
  it('reports an infeasible market as a typed error, never NaN', () => {
    // Demand that must be met at any price (elasticity ~0) with no supply at all cannot clear.
    let error: unknown;
    try {
      solveEquilibrium(
        {
          regions: ['A'],
          commodities: [K],
          members: [],
          links: [],
          producers: [],
          demands: [{ region: 'A', commodity: K, curve: { kind: 'isoelastic', q0: 10, p0: 1, elasticity: -1e-6 } }],
        },
        { maxIterations: 30 },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EquilibriumError);
    expect((error as EquilibriumError).commodity).toBe(K);
    // Found from the market's structure, before any iteration: nothing anywhere makes what A's buyers ask.
    expect((error as EquilibriumError).iterations).toBe(0);
    expect((error as EquilibriumError).message).toMatch(/the demand for .* in A has no supply it can reach/);
    expect(Number.isFinite((error as EquilibriumError).residual)).toBe(true);
  });
});
