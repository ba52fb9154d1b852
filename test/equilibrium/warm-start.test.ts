/**
 * Warm starts (SolveOptions.warmStart): a solution of a neighbouring problem — last year's, the same world before a
 * policy change — as the starting point. On the default world of the embedded data: it must cost far fewer
 * iterations than a cold solve, reach the same certificate and the same equilibrium, and never make a solve fail
 * that would succeed cold.
 */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import type { EquilibriumProblem } from '../../src/equilibrium/problem.ts';
import { type EquilibriumSolution, solveEquilibrium } from '../../src/equilibrium/solve.ts';
import { buildWorld } from '../../src/model/world.ts';

const world = buildWorld(new Catalog(loadDataset())).problem;
const base = solveEquilibrium(world);

/** Demand curves scaled by `factor` (a year of growth). */
const grown = (problem: EquilibriumProblem, factor: number): EquilibriumProblem => ({
  ...problem,
  demands: problem.demands.map((d) =>
    d.curve.kind === 'isoelastic' ? { ...d, curve: { ...d.curve, q0: d.curve.q0 * factor } } : d,
  ),
});

/**
 * Largest relative price gap between two solutions of one problem, over the markets that consume something (where
 * nothing is bought, a market's price is not determined: anywhere between its choke price and the cheapest import).
 */
function priceGap(a: EquilibriumSolution, b: EquilibriumSolution): number {
  const key = (k: string, r: string) => `${k}|${r}`;
  const consumes = new Set(a.consumption.filter((c) => c.quantity > 0).map((c) => key(c.commodity, c.region)));
  const other = new Map(b.prices.map((p) => [key(p.commodity, p.region), p.price]));
  let gap = 0;
  for (const p of a.prices) {
    if (!consumes.has(key(p.commodity, p.region))) continue;
    gap = Math.max(gap, Math.abs((other.get(key(p.commodity, p.region)) ?? Number.NaN) - p.price) / p.price);
  }
  return gap;
}

describe('warm starts on the default world', () => {
  it('re-solving the same problem from its own solution takes no iterations', () => {
    const again = solveEquilibrium(world, { warmStart: base });
    expect(again.certificate.iterations).toBe(0);
    expect(again.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    expect(priceGap(base, again)).toBeLessThan(1e-12);
  });

  it('demand 3% higher: far fewer iterations than cold, the same certificate and equilibrium', () => {
    const next = grown(world, 1.03);
    const cold = solveEquilibrium(next);
    const warm = solveEquilibrium(next, { warmStart: base });
    expect(cold.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    expect(warm.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    // About 0.55 of cold until the cold start put marginal producers on (cold 94 → 85 iterations, warm 53 → 52).
    expect(warm.certificate.iterations).toBeLessThanOrEqual(0.65 * cold.certificate.iterations);
    expect(priceGap(cold, warm)).toBeLessThan(1e-6);
  });

  it('a ban switching on: far fewer iterations than cold, the ban holds, the same equilibrium', () => {
    const banned: EquilibriumProblem = {
      ...world,
      restrictions: [
        { id: 'ban-ga', origin: 'CHN', commodity: 'gallium/refined', destinations: ['USA', 'EU27', 'JPN'], quota: 0 },
        { id: 'ban-anode', origin: 'CHN', commodity: 'graphite/anode', destinations: ['USA', 'EU27', 'JPN'], quota: 0 },
      ],
    };
    const cold = solveEquilibrium(banned);
    const warm = solveEquilibrium(banned, { warmStart: base });
    expect(cold.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    expect(warm.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    expect(warm.certificate.iterations).toBeLessThanOrEqual(0.4 * cold.certificate.iterations);
    expect(priceGap(cold, warm)).toBeLessThan(1e-6);
    const shipped = warm.flows.filter(
      (f) =>
        f.from === 'CHN' &&
        ['USA', 'EU27', 'JPN'].includes(f.to) &&
        (f.commodity === 'gallium/refined' || f.commodity === 'graphite/anode'),
    );
    expect(shipped).toEqual([]);
  });

  it('new producers, changed capacities and a lifted ban: matched by identity, the rest from the cold start', () => {
    const restricted: EquilibriumProblem = {
      ...world,
      restrictions: [
        { id: 'ban-ga', origin: 'CHN', commodity: 'gallium/refined', destinations: ['USA', 'EU27', 'JPN'], quota: 0 },
      ],
    };
    const previous = solveEquilibrium(restricted);
    const next: EquilibriumProblem = {
      ...grown(world, 1.02),
      producers: [
        ...world.producers.map((p, i) => (i % 7 === 0 ? { ...p, capacity: p.capacity * 1.2 } : p)),
        { id: 'new-ga-usa', region: 'USA', commodity: 'gallium/refined', capacity: 20_000, cost: 400 },
        { id: 'new-cu-mex', region: 'MEX', commodity: 'copper/refined', capacity: 100_000, cost: 3_000 },
      ],
    };
    const cold = solveEquilibrium(next);
    const warm = solveEquilibrium(next, { warmStart: previous });
    expect(warm.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    expect(priceGap(cold, warm)).toBeLessThan(1e-6);
  });

  it('a warm start from an unrelated solution costs iterations, never the solve', () => {
    const nonsense: EquilibriumSolution = {
      ...base,
      prices: base.prices.map((p) => ({ ...p, price: p.price * 1000, exportPremium: p.price })),
      outputs: base.outputs.map((o) => ({ ...o, output: 0 })),
      flows: base.flows.map((f) => ({ ...f, quantity: f.quantity * 50 })),
    };
    const next = grown(world, 1.03);
    const cold = solveEquilibrium(next);
    const warm = solveEquilibrium(next, { warmStart: nonsense });
    expect(warm.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    expect(priceGap(cold, warm)).toBeLessThan(1e-6);
  });

  it('a fallback start is tried where the first warm start misses, before solving cold', () => {
    // Prices a million times too high: the warm start runs out of iterations short of the tolerance in every chain.
    const far: EquilibriumSolution = {
      ...base,
      prices: base.prices.map((p) => ({ ...p, price: p.price * 1e6, exportPremium: 0 })),
      outputs: base.outputs.map((o) => ({ ...o, output: 0 })),
      flows: base.flows.map((f) => ({ ...f, quantity: f.quantity * 50 })),
    };
    const next = grown(world, 1.03);
    const cold = solveEquilibrium(next);
    const warm = solveEquilibrium(next, { warmStart: base });
    const missed = solveEquilibrium(next, { warmStart: far });
    const rescued = solveEquilibrium(next, { warmStart: far, fallbackStarts: [base] });
    expect(rescued.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    expect(priceGap(cold, rescued)).toBeLessThan(1e-6);
    // Each chain then solves from the fallback exactly as it would from it first (on a model scaled by its prices),
    // instead of cold: the same solution as the warm start from it, for the first attempt's iterations more.
    expect(rescued.prices).toEqual(warm.prices);
    expect(rescued.certificate.iterations).toBeLessThan(missed.certificate.iterations);
    const chains = rescued.certificate.chains.length;
    expect(rescued.certificate.iterations - warm.certificate.iterations).toBeLessThanOrEqual(44 * chains);
    // Where the first start succeeds, a fallback is never used: the same solve as without it.
    const first = solveEquilibrium(next, { warmStart: base, fallbackStarts: [far] });
    expect(first.certificate.iterations).toBe(warm.certificate.iterations);
    expect(first.prices).toEqual(warm.prices);
  });
});
