/**
 * Regression: a Monte Carlo year of zone-2026-ban-2027 on the rare-earth chain (seed 2026) where China may export no
 * NdPr oxide and a quota of magnets. China consumes no oxide itself: its refineries sell only to its magnet makers,
 * and with both at capacity the oxide price there is anywhere in an interval (test/fixtures/equilibrium). The plain
 * interior-point method jams on that flat direction (its Newton step moves the price without limit and the
 * fraction-to-boundary rule cuts every step to nothing); the proximal term keeps the step finite.
 */
import { describe, expect, it } from 'vitest';
import { buildChain, chainsOf } from '../../src/equilibrium/build.ts';
import { solveInterior } from '../../src/equilibrium/interior.ts';
import type { EquilibriumProblem } from '../../src/equilibrium/problem.ts';
import { rationingReleases, solveEquilibrium } from '../../src/equilibrium/solve.ts';
import { drawnFixture } from './drawn.ts';

const problem = drawnFixture('rare-earths-undetermined-price.json') as EquilibriumProblem;

describe('a drawn year with an undetermined price', () => {
  // The model the engine solves: the demand curves' rationing at their choke is part of it (solveEquilibrium).
  const withRationing = { ...problem, stocks: [...(problem.stocks ?? []), ...rationingReleases(problem)] };
  const model = buildChain(withRationing, chainsOf(withRationing)[0] as string[]);
  const start = model.interiorStart().start;
  const options = { tolerance: 1e-10, acceptable: 1e-9, maxIterations: 200 };

  it('jams the plain interior-point method and not the proximal one', () => {
    const plain = solveInterior(model.exact, start, options);
    expect(plain.residual).toBeGreaterThan(1e-4);
    const proximal = solveInterior(model.exact, start, { ...options, proximal: 1000 });
    expect(proximal.residual).toBeLessThanOrEqual(1e-9);
    expect(proximal.iterations).toBeLessThan(100);
  });

  it('is certified without the Fischer–Burmeister fallback', () => {
    const solution = solveEquilibrium(problem);
    expect(solution.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    // The jam is cut short and the proximal method finishes: the fallback alone used to take hundreds of iterations.
    expect(solution.certificate.iterations).toBeLessThan(150);
    const oxide = solution.prices.find((p) => p.commodity === 'ndpr/oxide' && p.region === 'CHN');
    expect(oxide?.price).toBeGreaterThan(0);
  });
});
