/**
 * The interior point on a working set of routes (solveInteriorPricing): when it stops short on the working set, the
 * residual it reports is that of every condition, the routes held out included. Reported on the working set alone, a
 * residual could look certified while a held-out route still earned a margin, and the caller would take the point
 * as a solution instead of trying its next method.
 */
import { describe, expect, it } from 'vitest';
import { bindChain, chainsOf } from '../../src/equilibrium/build.ts';
import { solveInteriorPricing } from '../../src/equilibrium/interior.ts';
import { naturalResidual } from '../../src/equilibrium/mcp.ts';
import type { EquilibriumProblem } from '../../src/equilibrium/problem.ts';
import { chainInputsOf } from '../../src/equilibrium/structure.ts';
import { drawnFixture, rationed } from './drawn.ts';

describe('the working-set interior point', () => {
  it('reports the residual of every condition when it stops short on its working set', () => {
    const p = rationed(drawnFixture('rare-earths-floor-kink.json') as EquilibriumProblem);
    const chain = chainsOf(p)[0] as string[];
    const model = bindChain(chainInputsOf(p, [chain])[0] as NonNullable<ReturnType<typeof chainInputsOf>[0]>, {});
    const { start } = model.interiorStart();
    // One route kept into and out of each market, solved to a tolerance no point reaches: the working set stops
    // short however close it comes.
    const excluded = model.excludedRoutes(start, 1);
    const result = solveInteriorPricing(model.exact, start, {
      excluded,
      tolerance: 1e-300,
      acceptable: 1e-300,
      maxIterations: 60,
    });
    expect(result.converged).toBe(false);
    const f = new Float64Array(model.variables.length);
    model.exact.evaluate(result.z, f);
    const { lower, upper } = model.exact;
    const all = naturalResidual(result.z, f, lower, upper).max;
    // Some route held out is violated there (it would earn a margin), more than the working set's own conditions:
    // otherwise both residuals would agree anyway.
    let heldOut = 0;
    for (let i = 0; i < excluded.length; i++) {
      if (!excluded[i]) continue;
      const zi = result.z[i] as number;
      const r = Math.abs(zi - Math.min(upper[i] as number, Math.max(lower[i] as number, zi - (f[i] as number))));
      heldOut = Math.max(heldOut, r);
    }
    expect(heldOut).toBeGreaterThan(1e-6);
    expect(result.residual).toBe(all);
    model.release();
  });
});
