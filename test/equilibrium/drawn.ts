/** Drawn instances the engine once failed on (test/fixtures/equilibrium), for the drawn-*.test.ts regressions. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { EquilibriumProblem } from '../../src/equilibrium/problem.ts';
import { type EquilibriumSolution, rationingReleases, solveEquilibrium } from '../../src/equilibrium/solve.ts';

export const drawnFixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/equilibrium/${name}`, import.meta.url), 'utf8'));

/** A drawn year with the year before it: the year solved cold, and warm-started from the year before's solution. */
export function solvedWarmAndCold(name: string): {
  readonly after: EquilibriumProblem;
  readonly cold: EquilibriumSolution;
  readonly warm: EquilibriumSolution;
} {
  const { before, after } = drawnFixture(name) as { before: EquilibriumProblem; after: EquilibriumProblem };
  const last = solveEquilibrium(before);
  return { after, cold: solveEquilibrium(after), warm: solveEquilibrium(after, { warmStart: last }) };
}

/** The problem as solveEquilibrium hands it to the chains: each choked curve rationed by a local release. */
export function rationed(p: EquilibriumProblem): EquilibriumProblem {
  return { ...p, stocks: [...(p.stocks ?? []), ...rationingReleases(p)] };
}

/** No non-member's goods land in a member below its floor. */
export function expectNoLandingBelowFloor(problem: EquilibriumProblem, solution: EquilibriumSolution): void {
  for (const f of solution.flows) {
    const floor = problem.floors?.find((x) => x.region === f.to && x.commodity === f.commodity)?.price;
    if (floor !== undefined && !problem.members.includes(f.from)) {
      expect(f.landed, `${f.commodity} ${f.from}→${f.to}`).toBeGreaterThanOrEqual(floor * (1 - 1e-9));
    }
  }
}
