/**
 * Simulation runs as project finance reads them: the price every region pays for every commodity each year and the
 * CfDs in force (a `MarketPath`), next to the yearly results. One deterministic run gives one path; a Monte Carlo
 * ensemble gives one path per draw, and everything downstream (valuation, support cost, resilience) takes a list.
 *
 * For speed a run can be restricted to one value chain: the chains share no stage links, so a project's chain can be
 * simulated alone (its commodities, producers, demand, trade and the scenario's instruments on them). The one
 * coupling lost is a joint stockpile budget shared across chains, which the restricted run gives to its chain alone.
 */
import { Catalog } from '../data/catalog.ts';
import type { ProjectRow } from '../data/schema.ts';
import {
  chainCommodities as commoditiesOfChains,
  restrictDataset,
  restrictScenario as restrictToCommodities,
} from '../model/chains.ts';
import { modelRegion } from '../model/regions.ts';
import type { Scenario } from '../model/scenario.ts';
import type { SimulationResult } from '../simulate/result.ts';
import { simulate } from '../simulate/simulate.ts';

/** One year of one path: prices by commodity and region, and the CfDs in force. */
export interface MarketYear {
  readonly year: number;
  /** What buyers pay, by `${commodity}|${region}`. */
  readonly prices: ReadonlyMap<string, number>;
  /** What a region's producers earn above the price when their output is exported (origin rent), same keys. */
  readonly premia: ReadonlyMap<string, number>;
  /**
   * Contracts for difference paid that year: producers of `commodity` in `regions` (model regions) earn ≥ strike,
   * up to `until`, the contract's last year (null: open-ended), which bounds how long it holds past the path.
   */
  readonly cfds: readonly {
    readonly commodity: string;
    readonly regions: readonly string[];
    readonly strike: number;
    readonly until: number | null;
    /** Output per year of each covered producer the contract covers (absent: all of it). */
    readonly volume?: number;
  }[];
}

/** The market over a run's years: one deterministic simulation, or one draw of an ensemble. */
export interface MarketPath {
  readonly years: readonly MarketYear[];
}

export interface TracedRun {
  readonly result: SimulationResult;
  readonly market: MarketPath;
}

const key = (commodity: string, region: string) => `${commodity}|${region}`;

/** Simulates a scenario and keeps, beside its results, the market path each year's equilibrium implies. */
export function tracedSimulate(scenario: Scenario, catalog: Catalog): TracedRun {
  const years: MarketYear[] = [];
  // Nothing an appraisal reads comes from the welfare split: it is not worked out (about an eighth of each run).
  const result = simulate(scenario, catalog, {
    noWelfare: true,
    onYear: ({ year, policy, cfdIndex, solution }) => {
      const prices = new Map<string, number>();
      const premia = new Map<string, number>();
      for (const p of solution.prices) {
        prices.set(key(p.commodity, p.region), p.price);
        if (p.exportPremium !== 0) premia.set(key(p.commodity, p.region), p.exportPremium);
      }
      const members = policy.members === 'default' ? [] : (policy.members ?? []);
      const contracts = scenario.zone?.cfds ?? [];
      const cfds = (policy.cfds ?? []).map((c, j) => {
        const regions = [...new Set((c.regions ?? members).map((r) => modelRegion(catalog, r)))];
        // The contract itself, by its place in the scenario: another on the same good and regions may be in force
        // by its dates but have spent its budget, or start or end in another year.
        const until = contracts[cfdIndex[j] as number]?.until;
        return {
          commodity: c.commodity,
          regions,
          strike: c.strike,
          until: until ?? null,
          ...(c.volume !== undefined ? { volume: c.volume } : {}),
        };
      });
      years.push({ year, prices, premia, cfds });
    },
  });
  return { result, market: { years } };
}

/** The commodities of a value chain. */
export function chainCommodities(catalog: Catalog, chain: string): Set<string> {
  return commoditiesOfChains(catalog.dataset, [chain]);
}

/** A catalog holding only one chain's commodities and the rows about them (model/chains.ts). */
export function chainCatalog(catalog: Catalog, chain: string): Catalog {
  return new Catalog(restrictDataset(catalog.dataset, chainCommodities(catalog, chain)));
}

/**
 * A scenario restricted to some commodities (model/chains.ts), whose backed projects must moreover be among
 * `projects` (a variant of the pipeline may have removed one).
 */
export function restrictScenario(
  scenario: Scenario,
  commodities: ReadonlySet<string>,
  projects: readonly Pick<ProjectRow, 'id' | 'commodity'>[],
): Scenario {
  return restrictToCommodities(scenario, commodities, new Map(projects.map((p) => [p.id, p.commodity])));
}

/** Years in which a shock of the scenario touches any of the commodities: the critical years for resilience. */
export function shockYears(scenario: Scenario, commodities: ReadonlySet<string>): Set<number> {
  const years = new Set<number>();
  for (const s of scenario.shocks ?? []) {
    const touches =
      s.kind === 'outage' || s.kind === 'quota'
        ? commodities.has(s.commodity)
        : s.commodities === '*' || s.commodities.some((k) => commodities.has(k));
    if (!touches) continue;
    for (let y = s.start; y < s.start + s.duration; y++) years.add(y);
  }
  return years;
}
