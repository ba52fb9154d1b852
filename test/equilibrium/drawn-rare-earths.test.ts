/**
 * Regression: Monte Carlo draws of zone-2026-ban-2027 on the rare-earth chain (concentrate → NdPr oxide → NdFeB
 * magnets) that the engine could not solve, serialised from the draws (test/fixtures/equilibrium).
 *
 * - A first year (no warm start) whose pooled estimate puts the concentrate price exactly where China's primary NdPr
 *   refinery is at the margin: the cold start left it off by a rounding, its whole concentrate unbought, and the
 *   interior-point method did not recover from that glut (608 iterations, residual 4.8e-6).
 * - A year warm-started from the year before, where the warm start missed and the cold fallback ran on the model
 *   scaled by last year's price levels instead of the one a cold solve builds: it failed (residual 1.7e-5) where a
 *   cold solve succeeds.
 */
import { describe, expect, it } from 'vitest';
import type { EquilibriumProblem } from '../../src/equilibrium/problem.ts';
import { type EquilibriumSolution, solveEquilibrium } from '../../src/equilibrium/solve.ts';
import { drawnFixture, solvedWarmAndCold } from './drawn.ts';

const fixture = drawnFixture;

const consumed = (s: EquilibriumSolution, commodity: string, region: string) =>
  s.consumption.find((c) => c.commodity === commodity && c.region === region)?.quantity ?? 0;

describe('drawn rare-earth years', () => {
  it('a refinery at the margin of the start: certified at 1e-8, and the surplus program (HiGHS) agrees', async () => {
    const problem = fixture('rare-earths-marginal-refinery.json') as EquilibriumProblem;
    const engine = solveEquilibrium(problem);
    expect(engine.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    const { solveSurplus } = await import('../../src/equilibrium/stj.ts');
    const surplus = await solveSurplus(problem, { tariffs: 'fixed-point' });
    const tolerance = 4 * surplus.discretisation + 1e-6;
    let compared = 0;
    for (const p of engine.prices) {
      // Where nothing is consumed and nothing made, a price is not determined.
      if (!(consumed(engine, p.commodity, p.region) > 0)) continue;
      const theirs = surplus.prices.find((q) => q.region === p.region && q.commodity === p.commodity)?.price;
      expect(Math.abs((theirs ?? Number.NaN) - p.price) / p.price, `${p.commodity} ${p.region}`).toBeLessThan(
        tolerance,
      );
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
    for (const o of engine.outputs) {
      const theirs = surplus.outputs.find((q) => q.producer === o.producer)?.output ?? 0;
      expect(Math.abs(theirs - o.output) / Math.max(o.capacity, 1), o.producer).toBeLessThan(1e-4);
    }
    // The refinery the start had left off runs.
    const refinery = engine.outputs.find((o) => o.producer === 'NDPR_CHN_PRIMARY');
    expect(refinery?.output).toBeGreaterThan(0);
  });

  it('a year whose warm start misses: the cold fallback succeeds as a cold solve does, at the same prices', () => {
    const { cold, warm } = solvedWarmAndCold('rare-earths-warm-year.json');
    expect(cold.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    expect(warm.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    for (const p of cold.prices) {
      if (!(consumed(cold, p.commodity, p.region) > 0)) continue;
      const w = warm.prices.find((q) => q.region === p.region && q.commodity === p.commodity)?.price;
      expect(Math.abs((w ?? Number.NaN) - p.price) / p.price, `${p.commodity} ${p.region}`).toBeLessThan(1e-6);
    }
  });
});
