/**
 * Invariants over random markets (fast-check): each checked from the reported solution by arithmetic written
 * here, independently of the engine's own residuals.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { totalDemandAt } from '../../src/equilibrium/build.ts';
import type { EquilibriumProblem, RouteTerms } from '../../src/equilibrium/problem.ts';
import { type EquilibriumSolution, solveEquilibrium } from '../../src/equilibrium/solve.ts';

const REGIONS = ['R0', 'R1', 'R2', 'R3', 'R4'];

/** A random market: 2–5 regions, one or two stages, producers, isoelastic or linear demand, route costs. */
const market = (options: { stages?: 1 | 2; members?: boolean } = {}) =>
  fc
    .record({
      regionCount: fc.integer({ min: 2, max: 5 }),
      stages: options.stages ? fc.constant(options.stages) : fc.constantFrom(1, 2),
      producers: fc.array(
        fc.record({
          region: fc.integer({ min: 0, max: 4 }),
          stage: fc.integer({ min: 0, max: 1 }),
          capacity: fc.double({ min: 5, max: 100, noNaN: true }),
          cost: fc.double({ min: 1, max: 60, noNaN: true }),
        }),
        { minLength: 2, maxLength: 8 },
      ),
      demand: fc.array(
        fc.record({
          q0: fc.double({ min: 5, max: 80, noNaN: true }),
          p0: fc.double({ min: 20, max: 120, noNaN: true }),
          elasticity: fc.double({ min: -1.5, max: -0.2, noNaN: true }),
          // Linear demand with a choke price leaves a market's price undetermined once its demand hits zero;
          // the closed forms and the HiGHS cross-check cover linear curves.
          linear: fc.constant(false),
        }),
        { minLength: 5, maxLength: 5 },
      ),
      freight: fc.array(fc.double({ min: 0, max: 8, noNaN: true }), { minLength: 25, maxLength: 25 }),
      adValorem: fc.array(fc.constantFrom(0, 0, 0.05, 0.1), { minLength: 25, maxLength: 25 }),
      coefficient: fc.double({ min: 0.5, max: 2, noNaN: true }),
      memberMask: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    })
    .map((m): EquilibriumProblem => {
      const regions = REGIONS.slice(0, m.regionCount);
      const commodities = m.stages === 2 ? ['ore', 'metal'] : ['metal'];
      const final = 'metal';
      const producers = m.producers.map((p, i) => ({
        id: `p${i}`,
        region: regions[p.region % regions.length] as string,
        commodity: m.stages === 2 && p.stage === 0 ? 'ore' : final,
        capacity: p.capacity,
        cost: p.cost,
      }));
      // Every stage has at least one producer somewhere, so every market can clear.
      for (const k of commodities) {
        if (!producers.some((p) => p.commodity === k)) {
          producers.push({ id: `p-${k}`, region: regions[0] as string, commodity: k, capacity: 50, cost: 10 });
        }
      }
      return {
        regions,
        commodities,
        members: options.members ? regions.filter((_, i) => m.memberMask[i]) : [],
        links: m.stages === 2 ? [{ output: 'metal', input: 'ore', coefficient: m.coefficient }] : [],
        producers,
        demands: regions.map((r, i) => {
          const d = m.demand[i] as (typeof m.demand)[number];
          return {
            region: r,
            commodity: final,
            curve: d.linear
              ? { kind: 'linear' as const, intercept: d.q0 * 2, slope: d.q0 / d.p0 }
              : { kind: 'isoelastic' as const, q0: d.q0, p0: d.p0, elasticity: d.elasticity },
          };
        }),
        routes: {
          byPair: regions.flatMap((from, i) =>
            regions.flatMap((to, j) =>
              commodities.map((commodity) => ({
                commodity,
                from,
                to,
                freight: m.freight[i * 5 + j] as number,
                adValorem: m.adValorem[i * 5 + j] as number,
              })),
            ),
          ),
        },
      };
    });

const priceOf = (s: EquilibriumSolution, k: string, r: string) =>
  s.prices.find((p) => p.commodity === k && p.region === r);

/** Relative tolerance on quantities and prices for these O(100) markets. */
const TOL = 1e-6;

function checkClearing(problem: EquilibriumProblem, s: EquilibriumSolution): void {
  for (const node of s.prices) {
    const { commodity: k, region: r } = node;
    const supply = s.outputs.filter((o) => o.commodity === k && o.region === r).reduce((a, o) => a + o.output, 0);
    const imports = s.flows.filter((f) => f.commodity === k && f.to === r).reduce((a, f) => a + f.quantity, 0);
    const exports = s.flows.filter((f) => f.commodity === k && f.from === r).reduce((a, f) => a + f.quantity, 0);
    const curves = problem.demands.filter((d) => d.commodity === k && d.region === r).map((d) => d.curve);
    const demand = totalDemandAt(curves, node.price)[0];
    let derived = 0;
    for (const l of problem.links.filter((x) => x.input === k)) {
      derived +=
        s.outputs.filter((o) => o.commodity === l.output && o.region === r).reduce((a, o) => a + o.output, 0) *
        l.coefficient;
    }
    const balance = supply + imports - exports - demand - derived;
    const scale = Math.max(1, supply + imports + demand);
    if (node.price > TOL) expect(Math.abs(balance) / scale, `${k} ${r} balance ${balance}`).toBeLessThan(TOL);
    else expect(balance / scale).toBeGreaterThan(-TOL);
    expect(Number.isFinite(node.price)).toBe(true);
  }
}

function landed(problem: EquilibriumProblem, s: EquilibriumSolution, k: string, from: string, to: string): number {
  const terms: RouteTerms =
    problem.routes?.byPair?.find((t) => t.commodity === k && t.from === from && t.to === to) ?? {};
  const origin = priceOf(s, k, from);
  if (!origin) return Number.POSITIVE_INFINITY;
  const dutyPaid =
    (origin.price + origin.exportPremium + (terms.freight ?? 0)) * (1 + (terms.adValorem ?? 0)) + (terms.specific ?? 0);
  const floor = problem.floors?.find((f) => f.commodity === k && f.region === to)?.price;
  const levied = floor !== undefined && problem.members.includes(to) && !problem.members.includes(from);
  return levied ? Math.max(floor, dutyPaid) : dutyPaid;
}

function checkNoArbitrage(problem: EquilibriumProblem, s: EquilibriumSolution): void {
  for (const dest of s.prices) {
    for (const origin of s.prices) {
      if (origin.commodity !== dest.commodity || origin.region === dest.region) continue;
      // A region that makes nothing of this commodity may not export it (origin rule), and one that uses none of it
      // (no demand, no downstream producer) has no reason to import it.
      const k = origin.commodity;
      const makes = problem.producers.some((p) => p.commodity === k && p.region === origin.region);
      const downstream = problem.links.filter((l) => l.input === k).map((l) => l.output);
      const uses =
        problem.demands.some((d) => d.commodity === k && d.region === dest.region) ||
        problem.producers.some((p) => downstream.includes(p.commodity) && p.region === dest.region);
      if (!makes || !uses) continue;
      const banned = (problem.restrictions ?? []).some(
        (x) =>
          x.quota === 0 &&
          x.commodity === origin.commodity &&
          x.origin === origin.region &&
          (x.destinations === '*' || x.destinations.includes(dest.region)),
      );
      if (banned) continue;
      const cost = landed(problem, s, origin.commodity, origin.region, dest.region);
      expect(cost, `${origin.commodity} ${origin.region}->${dest.region}`).toBeGreaterThanOrEqual(
        dest.price * (1 - TOL) - TOL,
      );
      const f = s.flows.find(
        (x) => x.commodity === origin.commodity && x.from === origin.region && x.to === dest.region,
      );
      if (f && f.quantity > TOL) expect(Math.abs(cost - dest.price) / Math.max(1, dest.price)).toBeLessThan(TOL);
    }
  }
}

describe('properties of the equilibrium over random markets', () => {
  it('every node clears and no open route leaves an arbitrage', () => {
    fc.assert(
      fc.property(market(), (problem) => {
        const s = solveEquilibrium(problem);
        expect(s.certificate.maxResidual).toBeLessThan(1e-8);
        checkClearing(problem, s);
        checkNoArbitrage(problem, s);
      }),
      { numRuns: 60, seed: 20260204, endOnFailure: true },
    );
  });

  it('no non-member import into a member lands below its floor, and levy revenue is Σ levy × flow', () => {
    fc.assert(
      fc.property(
        market({ stages: 1, members: true }),
        fc.double({ min: 20, max: 150, noNaN: true }),
        (base, floor) => {
          if (base.members.length === 0) return;
          const problem = {
            ...base,
            floors: base.members.map((m) => ({ region: m, commodity: 'metal', price: floor })),
          };
          const s = solveEquilibrium(problem);
          checkClearing(problem, s);
          checkNoArbitrage(problem, s);
          for (const f of s.flows) {
            if (problem.members.includes(f.to) && !problem.members.includes(f.from)) {
              expect(f.landed).toBeGreaterThanOrEqual(floor * (1 - TOL));
              // The levy is exactly what lifts the duty-paid value to the floor.
              expect(f.levy).toBeCloseTo(Math.max(0, floor - (f.landed - f.levy)), 6);
            } else {
              expect(f.levy).toBe(0);
            }
          }
          const revenue = s.flows.reduce((a, f) => a + f.levy * f.quantity, 0);
          const recomputed = s.flows
            .filter((f) => problem.members.includes(f.to) && !problem.members.includes(f.from))
            .reduce((a, f) => a + (landed(problem, s, 'metal', f.from, f.to) - (f.landed - f.levy)) * f.quantity, 0);
          expect(Math.abs(revenue - recomputed)).toBeLessThan(1e-6 * Math.max(1, revenue));
        },
      ),
      { numRuns: 50, seed: 7, endOnFailure: true },
    );
  });

  it('two stages: floors on ore and metal hold at the border, every node clears, no open route leaves an arbitrage', () => {
    fc.assert(
      fc.property(
        market({ stages: 2, members: true }),
        fc.double({ min: 20, max: 150, noNaN: true }),
        fc.double({ min: 5, max: 80, noNaN: true }),
        (base, metalFloor, oreFloor) => {
          if (base.members.length === 0) return;
          const floorOf = (k: string) => (k === 'metal' ? metalFloor : oreFloor);
          const problem = {
            ...base,
            floors: base.members.flatMap((region) =>
              ['ore', 'metal'].map((commodity) => ({ region, commodity, price: floorOf(commodity) })),
            ),
          };
          const s = solveEquilibrium(problem);
          expect(s.certificate.maxResidual).toBeLessThan(1e-8);
          checkClearing(problem, s);
          checkNoArbitrage(problem, s);
          for (const f of s.flows) {
            if (problem.members.includes(f.to) && !problem.members.includes(f.from)) {
              expect(f.landed).toBeGreaterThanOrEqual(floorOf(f.commodity) * (1 - TOL));
            } else expect(f.levy).toBe(0);
          }
        },
      ),
      { numRuns: 60, seed: 20261207, endOnFailure: true },
    );
  });

  it('two stages: a ban on ore or on metal leaves every node cleared and no open route an arbitrage', () => {
    fc.assert(
      fc.property(
        market({ stages: 2 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('ore', 'metal'),
        (base, o, shift, k) => {
          const origin = base.regions[o % base.regions.length] as string;
          const dest = base.regions[(o + shift) % base.regions.length] as string;
          if (origin === dest) return;
          if (!base.producers.some((p) => p.region !== origin && p.commodity === k)) return;
          const problem = {
            ...base,
            restrictions: [{ id: 'ban', origin, commodity: k, destinations: [dest], quota: 0 }],
          };
          const s = solveEquilibrium(problem);
          expect(s.certificate.maxResidual).toBeLessThan(1e-8);
          checkClearing(problem, s);
          checkNoArbitrage(problem, s);
        },
      ),
      { numRuns: 60, seed: 20261207, endOnFailure: true },
    );
  });

  it("raising a floor never lowers the member's price, where one region is the zone", () => {
    // With several members it can: see 'where the comparative statics turn' below.
    fc.assert(
      fc.property(
        market({ stages: 1 }),
        fc.integer({ min: 0, max: 4 }),
        fc.double({ min: 20, max: 120, noNaN: true }),
        fc.double({ min: 1, max: 40, noNaN: true }),
        (base, k, floor, raise) => {
          const member = base.regions[k % base.regions.length] as string;
          const at = (f: number) =>
            solveEquilibrium({
              ...base,
              members: [member],
              floors: [{ region: member, commodity: 'metal', price: f }],
            });
          const low = priceOf(at(floor), 'metal', member)?.price as number;
          const high = priceOf(at(floor + raise), 'metal', member)?.price as number;
          expect(high).toBeGreaterThanOrEqual(low * (1 - TOL) - TOL);
        },
      ),
      { numRuns: 40, seed: 11, endOnFailure: true },
    );
  });

  it("a ban never lowers the price in a banned destination nor raises what the source's producers earn", () => {
    fc.assert(
      fc.property(
        market({ stages: 1 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        (base, o, shift) => {
          const origin = base.regions[o % base.regions.length] as string;
          const dest = base.regions[(o + shift) % base.regions.length] as string;
          if (origin === dest) return;
          // The destination must have some supply of its own or another source, or a ban leaves it with none.
          const otherSupply = base.producers.some((p) => p.region !== origin);
          if (!otherSupply) return;
          const before = solveEquilibrium(base);
          const after = solveEquilibrium({
            ...base,
            restrictions: [{ id: 'ban', origin, commodity: 'metal', destinations: [dest], quota: 0 }],
          });
          const p = (s: EquilibriumSolution, r: string) => priceOf(s, 'metal', r)?.price as number;
          expect(p(after, dest)).toBeGreaterThanOrEqual(p(before, dest) * (1 - TOL) - TOL);
          // At the source, the producers' price (the market's plus its export premium): its buyers can pay more
          // (see 'where the comparative statics turn' below). Where the source makes nothing, its premium is not
          // determined (any value up to the export margin holds) and its market price is what counts.
          const earned = (s: EquilibriumSolution) => {
            const at = priceOf(s, 'metal', origin) as EquilibriumSolution['prices'][number];
            return s.outputs.some((o) => o.region === origin && o.output > TOL)
              ? at.price + at.exportPremium
              : at.price;
          };
          expect(earned(after)).toBeLessThanOrEqual(earned(before) * (1 + TOL) + TOL);
        },
      ),
      { numRuns: 40, seed: 3, endOnFailure: true },
    );
  });
});

/** A one-commodity market from matrices of freight and ad valorem duties (row: origin, column: destination). */
function matrixMarket(
  producers: readonly (readonly [string, number, number])[],
  demands: readonly (readonly [string, number, number, number])[],
  freight: readonly (readonly number[])[],
  adValorem: readonly (readonly number[])[],
): EquilibriumProblem {
  const regions = demands.map(([r]) => r);
  return {
    regions,
    commodities: ['metal'],
    members: [],
    links: [],
    producers: producers.map(([region, capacity, cost], i) => ({
      id: `p${i}`,
      region,
      commodity: 'metal',
      capacity,
      cost,
    })),
    demands: demands.map(([region, q0, p0, elasticity]) => ({
      region,
      commodity: 'metal',
      curve: { kind: 'isoelastic', q0, p0, elasticity },
    })),
    routes: {
      byPair: regions.flatMap((from, i) =>
        regions.map((to, j) => ({
          commodity: 'metal',
          from,
          to,
          freight: freight[i]?.[j] as number,
          adValorem: adValorem[i]?.[j] as number,
        })),
      ),
    },
  };
}

/**
 * The monotone properties above do not hold in general, and fast-check finds why on other seeds (seeds 101 and 202,
 * 200 runs): these two of its instances, rounded, are kept with the mechanism each shows. Both solutions of each are
 * certified equilibria, and the properties' own checks hold on them.
 */
describe('where the comparative statics turn', () => {
  it("raising the zone's floor lowers the price of a member that exports to non-members (the terms of trade)", () => {
    // R0 and R3 are the zone. R0 imports from outside; R3 ships to R2 (no freight, no duty), so its price is R2's.
    const base = {
      ...matrixMarket(
        [
          ['R1', 10.53, 1.817],
          ['R3', 12.08, 35.62],
          ['R2', 7.195, 1],
          ['R4', 26.07, 8.665],
          ['R2', 14.3, 6.241],
        ],
        [
          ['R0', 57.33, 25.44, -0.2],
          ['R1', 7.651, 118.5, -0.4428],
          ['R2', 55.66, 49.07, -0.9768],
          ['R3', 5, 49.68, -0.6293],
          ['R4', 5, 103.2, -1.18],
        ],
        [
          [0, 0, 8, 0, 0],
          [0, 0, 8, 0, 0],
          [0, 8, 8, 0, 0],
          [0, 0, 0, 0, 0],
          [0, 0, 0, 0, 0],
        ],
        [
          [0, 0.1, 0, 0, 0],
          [0.05, 0.1, 0, 0.1, 0],
          [0, 0.05, 0, 0, 0.1],
          [0.05, 0.1, 0, 0.05, 0],
          [0, 0.05, 0, 0, 0],
        ],
      ),
      members: ['R0', 'R3'],
    };
    const at = (price: number) => {
      const problem = { ...base, floors: base.members.map((region) => ({ region, commodity: 'metal', price })) };
      const s = solveEquilibrium(problem);
      expect(s.certificate.maxResidual).toBeLessThan(1e-8);
      checkClearing(problem, s);
      checkNoArbitrage(problem, s);
      return s;
    };
    const low = at(120);
    const high = at(160);
    const p = (s: EquilibriumSolution, r: string) => priceOf(s, 'metal', r)?.price as number;
    // The floor does not bind at 120 (R0 pays 157.42 for its imports) and binds at 160: R0 pays the floor and buys less.
    expect(low.flows.every((f) => f.levy === 0)).toBe(true);
    expect(p(high, 'R0')).toBeCloseTo(160, 8);
    const imported = (s: EquilibriumSolution) =>
      s.flows.filter((f) => f.to === 'R0' && f.from !== 'R3').reduce((a, f) => a + f.quantity, 0);
    expect(imported(high)).toBeLessThan(imported(low));
    // Outside the zone the goods R0 no longer buys weigh on the price: R2's falls, and R3's with it, since R3 sells there.
    expect(p(high, 'R2')).toBeLessThan(p(low, 'R2') - 1);
    for (const s of [low, high]) {
      expect(s.flows.some((f) => f.from === 'R3' && f.to === 'R2' && f.quantity > 1)).toBe(true);
      expect(p(s, 'R3')).toBeCloseTo(p(s, 'R2'), 8);
    }
    expect(p(high, 'R3')).toBeLessThan(p(low, 'R3') - 1);
  });

  it("a ban can raise the buyers' price at the source, where the source also imports; its producers earn no more", () => {
    // R2 exports all it makes (to R0 and R1) and its buyers import from R3, which may not ship R2's goods on (origin).
    const base = matrixMarket(
      [
        ['R2', 78.51, 24.97],
        ['R0', 27.54, 50.23],
        ['R3', 9.139, 1.225],
        ['R1', 19.71, 36.3],
        ['R3', 12.6, 17.78],
        ['R2', 10.58, 2.966],
        ['R3', 80.22, 1.347],
        ['R2', 49.17, 5.391],
      ],
      [
        ['R0', 70.1, 23.39, -0.369],
        ['R1', 9.642, 120, -1.5],
        ['R2', 34.01, 97.36, -0.2],
        ['R3', 6.766, 20.75, -0.5302],
      ],
      [
        [0, 0, 0, 0],
        [0, 0, 8, 0.0003808],
        [0, 0, 0, 0],
        [8, 8, 0, 0],
      ],
      [
        [0.05, 0.1, 0.05, 0.05],
        [0.05, 0, 0, 0],
        [0, 0.05, 0, 0],
        [0.05, 0.05, 0, 0.05],
      ],
    );
    const banned = {
      ...base,
      restrictions: [{ id: 'ban', origin: 'R2', commodity: 'metal', destinations: ['R0'], quota: 0 }],
    };
    const before = solveEquilibrium(base);
    const after = solveEquilibrium(banned);
    for (const [problem, s] of [
      [base, before],
      [banned, after],
    ] as const) {
      expect(s.certificate.maxResidual).toBeLessThan(1e-8);
      checkClearing(problem, s);
      checkNoArbitrage(problem, s);
    }
    const at = (s: EquilibriumSolution, r: string) => priceOf(s, 'metal', r) as EquilibriumSolution['prices'][number];
    const flow = (s: EquilibriumSolution, from: string, to: string) =>
      s.flows.find((f) => f.from === from && f.to === to)?.quantity ?? 0;
    // Before: R2's producers earn the cost of its marginal producer (24.97) abroad; its buyers pay R3's price.
    expect(at(before, 'R2').price + at(before, 'R2').exportPremium).toBeCloseTo(24.97, 8);
    expect(at(before, 'R2').price).toBeLessThan(24.97 - 1);
    // After: R0 turns to R3, whose goods R2's buyers then bid for: they pay what R2's producers earn, which is unchanged.
    expect(flow(after, 'R3', 'R0')).toBeGreaterThan(flow(before, 'R3', 'R0') + 1);
    expect(flow(after, 'R3', 'R2')).toBeLessThan(flow(before, 'R3', 'R2') - 1);
    expect(at(after, 'R2').price).toBeGreaterThan(at(before, 'R2').price + 1);
    expect(at(after, 'R2').price + at(after, 'R2').exportPremium).toBeCloseTo(24.97, 8);
  });
});
