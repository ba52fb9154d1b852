/**
 * Regression: Monte Carlo draws of zone-2026-ban-2027 on the gallium chain whose ban year the engine could not solve
 * (certificate stuck at 1e-8 to 1e-6 after hundreds of iterations, worst condition a CHN flow). China bans the
 * zone's members, whose supply then falls far short and whose price stops at the demand's choke price. The start of
 * such a split market (and the chain's price scale) came from the uncapped isoelastic curve, thousands of times
 * above the choke; a warm start from the year before the ban crawled from last year's prices.
 *
 * The fixtures are the drawn problems, serialised (test/fixtures/equilibrium): three kept to what the surplus
 * program of stj.ts covers (bans, choked isoelastic demand, freight and an ad valorem duty; the draws' floors, which
 * do not bind, and their quotas and vault stocks left out — each still failed so), and one draw's ban year as drawn,
 * with the year before it for the warm start.
 */
import { describe, expect, it } from 'vitest';
import type { EquilibriumProblem } from '../../src/equilibrium/problem.ts';
import { type EquilibriumSolution, solveEquilibrium } from '../../src/equilibrium/solve.ts';
import { drawnFixture, solvedWarmAndCold } from './drawn.ts';

const fixture = drawnFixture;

const consumed = (s: { consumption: readonly { region: string; quantity: number }[] }, r: string) =>
  s.consumption.find((c) => c.region === r)?.quantity ?? 0;

/** Largest relative price gap over the markets that consume (elsewhere the price is not determined). */
function priceGap(a: EquilibriumSolution, b: EquilibriumSolution): number {
  const scale = a.consumption.reduce((t, c) => t + c.quantity, 0);
  let gap = 0;
  for (const p of a.prices) {
    if (!(consumed(a, p.region) > 1e-9 * scale)) continue;
    const q = b.prices.find((x) => x.region === p.region && x.commodity === p.commodity)?.price ?? Number.NaN;
    gap = Math.max(gap, Math.abs(q - p.price) / p.price);
  }
  return gap;
}

describe('drawn gallium ban years with a binding choke', () => {
  for (const name of ['a', 'b', 'c']) {
    it(`draw ${name}: certified at 1e-8 and the same equilibrium as the surplus program (HiGHS)`, async () => {
      const problem = fixture(`gallium-ban-choke-${name}.json`) as EquilibriumProblem;
      const engine = solveEquilibrium(problem);
      expect(engine.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
      // The ban binds: the members are rationed at their choke price, and none of China's goods reach them.
      const members = new Set(problem.members);
      const choke = problem.demands.find((d) => members.has(d.region) && d.curve.kind === 'isoelastic')?.curve;
      expect(choke?.kind === 'isoelastic' && choke.choke).toBeTruthy();
      expect(engine.rationed.some((r) => members.has(r.region))).toBe(true);
      expect(engine.flows.filter((f) => f.from === 'CHN' && members.has(f.to))).toEqual([]);
      for (const p of engine.prices) {
        if (members.has(p.region) && consumed(engine, p.region) > 0 && choke?.kind === 'isoelastic')
          expect(p.price).toBeLessThanOrEqual((choke.choke as number) * (1 + 1e-9));
      }

      const { solveSurplus } = await import('../../src/equilibrium/stj.ts');
      const surplus = await solveSurplus(problem, { tariffs: 'fixed-point' });
      const tolerance = 4 * surplus.discretisation + 1e-6;
      // Prices wherever something is consumed; rationed markets' shares of the scarce goods are not unique (any
      // split at the choke is an equilibrium), so they are compared together, every other market on its own.
      const regions = problem.regions;
      const scale = problem.demands.reduce((t, d) => t + (d.curve.kind === 'isoelastic' ? d.curve.q0 : 0), 0);
      const ration = new Set(engine.rationed.map((r) => r.region));
      let together = 0;
      for (const r of regions) {
        const mine = engine.prices.find((p) => p.region === r)?.price as number;
        const theirs = surplus.prices.find((p) => p.region === r)?.price as number;
        // A market whose whole demand at the choke goes unserved has no price pinned down (anywhere from its choke to
        // the cheapest import): prices are compared where something is consumed.
        if (consumed(engine, r) > 1e-9 * scale) expect(Math.abs(theirs - mine) / mine, r).toBeLessThan(tolerance);
        if (ration.has(r)) together += consumed(surplus, r) - consumed(engine, r);
        else expect(Math.abs(consumed(surplus, r) - consumed(engine, r)) / scale, r).toBeLessThan(2 * tolerance);
      }
      expect(Math.abs(together) / scale).toBeLessThan(2 * tolerance);
      for (const o of engine.outputs) {
        const theirs = surplus.outputs.find((x) => x.producer === o.producer)?.output ?? 0;
        expect(Math.abs(theirs - o.output) / scale, o.producer).toBeLessThan(2 * tolerance);
      }
    });
  }

  it('a drawn ban year warm-started from the year before: certified, the cold equilibrium, fewer iterations', () => {
    const { cold, warm } = solvedWarmAndCold('gallium-ban-year-warm.json');
    expect(cold.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    expect(warm.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    expect(priceGap(cold, warm)).toBeLessThan(1e-6);
    // The year before had no ban: the warm start must not cost more than solving cold.
    expect(warm.certificate.iterations).toBeLessThanOrEqual(cold.certificate.iterations);
  });

  it('a drawn second ban year whose members price at the floor, warm-started: certified, the floor and the bans hold', () => {
    // The members' price sits at the floor, Australia's duty-paid value at it too (its price is pinned by nothing
    // else): the pooled scales miss it, the fallback on the neighbouring solution's scales finds it.
    const { before, after } = fixture('gallium-floor-year-warm.json') as {
      before: EquilibriumProblem;
      after: EquilibriumProblem;
    };
    const warm = solveEquilibrium(after, { warmStart: solveEquilibrium(before) });
    expect(warm.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    const members = new Set(after.members);
    const floor = new Map((after.floors ?? []).map((f) => [f.region, f.price]));
    for (const f of warm.flows) {
      if (members.has(f.to) && !members.has(f.from))
        expect(f.landed, `${f.from}→${f.to}`).toBeGreaterThanOrEqual((floor.get(f.to) as number) * (1 - 1e-9));
    }
    for (const r of after.restrictions ?? []) {
      if (r.quota > 0 || r.destinations === '*') continue;
      const banned = new Set(r.destinations);
      expect(warm.flows.filter((f) => f.from === r.origin && banned.has(f.to))).toEqual([]);
    }
  });
});
