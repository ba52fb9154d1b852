/** Drawn instances the engine once failed on (test/fixtures/equilibrium), for the drawn-*.test.ts regressions. */
import { readFileSync } from 'node:fs';
import type { EquilibriumProblem } from '../../src/equilibrium/problem.ts';
import { type EquilibriumSolution, solveEquilibrium } from '../../src/equilibrium/solve.ts';

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
