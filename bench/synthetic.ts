/**
 * Synthetic markets for scaling benchmarks: R regions, a two-stage chain (ore → metal), producers with seeded
 * random capacities and costs, isoelastic demand everywhere, freight growing with distance on a ring.
 */
import type { EquilibriumProblem } from '../src/equilibrium/problem.ts';
import { prng } from '../src/random.ts';

export function syntheticMarket(regionCount: number, seed = 1): EquilibriumProblem {
  const rand = prng(seed);
  const regions = Array.from({ length: regionCount }, (_, i) => `R${i}`);
  const producers: EquilibriumProblem['producers'][number][] = [];
  regions.forEach((r, i) => {
    if (i % 2 === 0 || rand() < 0.3) {
      producers.push({
        id: `ore-${r}`,
        region: r,
        commodity: 'ore',
        capacity: 50 + 100 * rand(),
        cost: 5 + 20 * rand(),
      });
    }
    if (i % 3 === 0 || rand() < 0.3) {
      producers.push({
        id: `metal-${r}`,
        region: r,
        commodity: 'metal',
        capacity: 40 + 80 * rand(),
        cost: 10 + 30 * rand(),
      });
    }
  });
  const demands = regions.map((r) => ({
    region: r,
    commodity: 'metal',
    curve: {
      kind: 'isoelastic' as const,
      q0: 20 + 40 * rand(),
      p0: 80 + 40 * rand(),
      elasticity: -(0.2 + 0.6 * rand()),
    },
  }));
  const routes: { commodity: string; from: string; to: string; freight: number; adValorem: number }[] = [];
  for (const k of ['ore', 'metal']) {
    regions.forEach((from, i) => {
      regions.forEach((to, j) => {
        if (i === j) return;
        const distance = Math.min(Math.abs(i - j), regionCount - Math.abs(i - j));
        routes.push({
          commodity: k,
          from,
          to,
          freight: 1 + distance * (0.5 + rand()),
          adValorem: rand() < 0.2 ? 0.05 : 0,
        });
      });
    });
  }
  return {
    regions,
    commodities: ['ore', 'metal'],
    members: [],
    links: [{ output: 'metal', input: 'ore', coefficient: 1.1 }],
    producers,
    demands,
    routes: { byPair: routes },
  };
}
