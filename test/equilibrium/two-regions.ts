/**
 * The two-region market the closed forms are worked on (MODEL.md §3 check (a)): linear curves, A supplies S = p and
 * demands D = 100 − p; B supplies S = p and demands D = 200 − p. Autarky prices are 50 and 100, so A exports to B.
 */
import type { EquilibriumProblem } from '../../src/equilibrium/problem.ts';

export const K = 'widget/metal';

export function twoRegions(extra: Partial<EquilibriumProblem> = {}): EquilibriumProblem {
  return {
    regions: ['A', 'B'],
    commodities: [K],
    members: [],
    links: [],
    producers: [],
    supplies: [
      { region: 'A', commodity: K, intercept: 0, slope: 1 },
      { region: 'B', commodity: K, intercept: 0, slope: 1 },
    ],
    demands: [
      { region: 'A', commodity: K, curve: { kind: 'linear', intercept: 100, slope: 1 } },
      { region: 'B', commodity: K, curve: { kind: 'linear', intercept: 200, slope: 1 } },
    ],
    ...extra,
  };
}
