/**
 * Regression: a drawn rare-earth year (zone-2026-ban-2027 over 2026–2040, seed 2026, draw 218) where the members' magnet
 * floor binds on the routes from non-members. There a route's condition (landed = max(floor, duty-paid)) is blind to
 * its origin's price, and the cold interior-point method's Newton steps raised that price far past where duty-paid
 * passes the floor: every step was rejected, 200 iterations ended at a residual of 2.1e-3 and only the
 * Fischer–Burmeister / Levenberg–Marquardt tiers found the equilibrium. A rejected step now goes just past the first
 * kink on its segment (conditions.ts kinkStep), and the interior point alone certifies the year.
 * (No HiGHS cross-check: the year has a CfD, which the surplus program does not formulate.)
 */
import { describe, expect, it } from 'vitest';
import { bindChain, chainsOf } from '../../src/equilibrium/build.ts';
import { solveInterior } from '../../src/equilibrium/interior.ts';
import type { EquilibriumProblem } from '../../src/equilibrium/problem.ts';
import { solveEquilibrium } from '../../src/equilibrium/solve.ts';
import { chainInputsOf } from '../../src/equilibrium/structure.ts';
import { drawnFixture, expectNoLandingBelowFloor, rationed } from './drawn.ts';

const problem = drawnFixture('rare-earths-floor-kink.json') as EquilibriumProblem;

describe('a drawn year with a floor binding on non-member routes', () => {
  it('is certified at 1e-8', () => {
    const solution = solveEquilibrium(problem);
    expect(solution.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    // No non-member's magnets land in a member below its floor.
    expectNoLandingBelowFloor(problem, solution);
  });

  it('the cold interior-point method alone reaches the certificate (no fallback tier)', () => {
    const p = rationed(problem);
    const chain = chainsOf(p)[0] as string[];
    const model = bindChain(chainInputsOf(p, [chain])[0] as NonNullable<ReturnType<typeof chainInputsOf>[0]>, {});
    const cold = model.interiorStart();
    const result = solveInterior(model.exact, cold.start, { tolerance: 1e-10, acceptable: 1e-9, maxIterations: 200 });
    expect(result.residual).toBeLessThanOrEqual(1e-8);
    model.release();
  });

  it('kinkStep stops a segment just past the first floor it crosses, and leaves one that crosses none', () => {
    const p = rationed(problem);
    const chain = chainsOf(p)[0] as string[];
    const model = bindChain(chainInputsOf(p, [chain])[0] as NonNullable<ReturnType<typeof chainInputsOf>[0]>, {});
    const solution = solveEquilibrium(problem);
    const z = new Float64Array(model.variables.length);
    for (const node of model.nodes) {
      const price = solution.prices.find((q) => q.region === node.region && q.commodity === node.commodity)?.price;
      z[node.index] = model.toSolver(node.index, price as number);
    }
    const step = model.exact.kinkStep as NonNullable<typeof model.exact.kinkStep>;
    const dz = new Float64Array(z.length);
    expect(step(z, dz, 1)).toBe(1);
    // Raise one non-member magnet exporter's price until its duty-paid value passes a member's floor.
    const route = model.routes.find((r, k) => {
      const v = model.variables[r.variable];
      return (
        v?.commodity === 'ndfeb/magnet' &&
        !p.members.includes(v.region) &&
        // The floor binds at the equilibrium, duty-paid clearly below it (its export rents left at zero here).
        (model.modelValue(z, r.from) * (model.data.rTax[k] as number) + (model.data.rFreight[k] as number)) *
          (model.data.rMarkup[k] as number) +
          (model.data.rSpecific[k] as number) <
          (model.data.rFloor[k] as number) * (1 - 1e-6)
      );
    });
    expect(route).toBeDefined();
    const from = (route as NonNullable<typeof route>).from;
    dz[from] = model.structure.logarithmic[from] ? Math.log(10) : 10 * (z[from] as number);
    const alpha = step(z, dz, 1);
    expect(alpha).toBeGreaterThan(0);
    expect(alpha).toBeLessThan(1);
    // Duty-paid on the exporter's floored routes along the segment: all below their floors a hair before alpha,
    // one at or above it at alpha.
    const { data } = model;
    const floored = model.routes
      .map((r, k) => ({ r, k }))
      .filter(({ r, k }) => r.from === from && !Number.isNaN(data.rFloor[k] as number));
    expect(floored.length).toBeGreaterThan(0);
    const passed = (a: number) =>
      floored.some(({ k }) => {
        const price = model.modelValue(
          Float64Array.from(z, (zi, i) => zi + a * (dz[i] as number)),
          from,
        );
        const dutyPaid =
          (price * (data.rTax[k] as number) + (data.rFreight[k] as number)) * (data.rMarkup[k] as number) +
          (data.rSpecific[k] as number);
        return dutyPaid >= (data.rFloor[k] as number);
      });
    expect(passed(0)).toBe(false);
    expect(passed(alpha * (1 - 1e-6))).toBe(false);
    expect(passed(alpha)).toBe(true);
    model.release();
  });
});
