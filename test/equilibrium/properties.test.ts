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

  it("raising a floor never lowers a member's price", () => {
    fc.assert(
      fc.property(
        market({ stages: 1, members: true }),
        fc.double({ min: 20, max: 120, noNaN: true }),
        fc.double({ min: 1, max: 40, noNaN: true }),
        (base, floor, raise) => {
          if (base.members.length === 0) return;
          const at = (f: number) =>
            solveEquilibrium({
              ...base,
              floors: base.members.map((m) => ({ region: m, commodity: 'metal', price: f })),
            });
          const low = at(floor);
          const high = at(floor + raise);
          for (const m of base.members) {
            const a = priceOf(low, 'metal', m)?.price as number;
            const b = priceOf(high, 'metal', m)?.price as number;
            expect(b).toBeGreaterThanOrEqual(a * (1 - TOL) - TOL);
          }
        },
      ),
      { numRuns: 40, seed: 11, endOnFailure: true },
    );
  });

  it('a ban never lowers the price in a banned destination nor raises it at the source', () => {
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
          expect(p(after, origin)).toBeLessThanOrEqual(p(before, origin) * (1 + TOL) + TOL);
        },
      ),
      { numRuns: 40, seed: 3, endOnFailure: true },
    );
  });
});
