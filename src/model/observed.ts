/** The market the zone's rules observe before its first year, shared by the simulator and the secretariat's rules. */
import type { Catalog } from '../data/catalog.ts';
import { BASE_YEAR } from '../data/schema.ts';
import { type EquilibriumSolution, solveEquilibrium } from '../equilibrium/solve.ts';
import { type PeriodStatistics, periodStatistics } from './statistics.ts';
import { buildWorld, type World } from './world.ts';

/** The base-year market with the zone's members as the bloc and no instruments, solved, with its statistics. */
export interface ObservedMarket {
  readonly world: World;
  readonly solution: EquilibriumSolution;
  readonly stats: PeriodStatistics;
}

/**
 * The market a rule observes before the zone's first year: the data's base-year world, the members as the bloc, no
 * instrument (no floor, no preference), solved. The simulator reads its first reference prices off it, and the
 * service the bloc use of an incentive-marginal rule: one computation, so that both publish the same price.
 */
export function baseYearMarket(
  catalog: Catalog,
  options: {
    readonly members: readonly string[];
    readonly dominantSupplier: string;
    readonly demandChoke: number;
    readonly warmStart?: EquilibriumSolution;
  },
): ObservedMarket {
  const world = buildWorld(catalog, {
    year: BASE_YEAR,
    policy: { dominantSupplier: options.dominantSupplier, members: [...options.members], preferential: false },
    demandChoke: options.demandChoke,
  });
  const solution = solveEquilibrium(world.problem, options.warmStart ? { warmStart: options.warmStart } : {});
  return { world, solution, stats: periodStatistics(world, solution, { dominantSupplier: options.dominantSupplier }) };
}
