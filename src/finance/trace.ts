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
import type { Scenario, Shock } from '../model/scenario.ts';
import { modelRegion } from '../model/world.ts';
import type { SimulationResult } from '../simulate/result.ts';
import { simulate } from '../simulate/simulate.ts';

/** One year of one path: prices by commodity and region, and the CfDs in force. */
export interface MarketYear {
  readonly year: number;
  /** What buyers pay, by `${commodity}|${region}`. */
  readonly prices: ReadonlyMap<string, number>;
  /** What a region's producers earn above the price when their output is exported (origin rent), same keys. */
  readonly premia: ReadonlyMap<string, number>;
  /** Contracts for difference paid that year: producers of `commodity` in `regions` (model regions) earn ≥ strike. */
  readonly cfds: readonly {
    readonly commodity: string;
    readonly regions: readonly string[];
    readonly strike: number;
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
  const result = simulate(scenario, catalog, {
    onYear: ({ year, policy, solution }) => {
      const prices = new Map<string, number>();
      const premia = new Map<string, number>();
      for (const p of solution.prices) {
        prices.set(key(p.commodity, p.region), p.price);
        if (p.exportPremium !== 0) premia.set(key(p.commodity, p.region), p.exportPremium);
      }
      const members = policy.members === 'default' ? [] : (policy.members ?? []);
      const cfds = (policy.cfds ?? []).map((c) => ({
        commodity: c.commodity,
        regions: [...new Set((c.regions ?? members).map((r) => modelRegion(catalog, r)))],
        strike: c.strike,
      }));
      years.push({ year, prices, premia, cfds });
    },
  });
  return { result, market: { years } };
}

/** The commodities of a value chain. */
export function chainCommodities(catalog: Catalog, chain: string): Set<string> {
  return new Set(catalog.dataset.tables.commodities.filter((c) => c.chain === chain).map((c) => c.id));
}

/** A catalog holding only one chain's commodities and the rows about them (other tables whole). */
export function chainCatalog(catalog: Catalog, chain: string): Catalog {
  const ks = chainCommodities(catalog, chain);
  const keep = (k: unknown) => typeof k !== 'string' || k === '*' || ks.has(k);
  const t = catalog.dataset.tables;
  const tables = {
    ...t,
    commodities: t.commodities.filter((c) => ks.has(c.id)),
    stage_links: t.stage_links.filter((l) => ks.has(l.output) && ks.has(l.input)),
    production: t.production.filter((r) => keep(r.commodity)),
    world_totals: t.world_totals.filter((r) => keep(r.commodity)),
    producers: t.producers.filter((r) => keep(r.commodity)),
    demand: t.demand.filter((r) => keep(r.commodity)),
    prices: t.prices.filter((r) => keep(r.commodity)),
    reserves: t.reserves.filter((r) => keep(r.commodity)),
    projects: t.projects.filter((r) => keep(r.commodity)),
    freight: t.freight.filter((r) => keep(r.commodity)),
    tariffs: t.tariffs.filter((r) => keep(r.commodity)),
    demand_growth: t.demand_growth.filter((r) => keep(r.commodity)),
  };
  return new Catalog({ ...catalog.dataset, tables });
}

/**
 * A scenario restricted to some commodities: reference prices, CfDs, stockpiles, shocks, tariffs, export taxes and
 * growth overrides on other commodities are dropped; backed projects must be in `projectIds`.
 */
export function restrictScenario(
  scenario: Scenario,
  commodities: ReadonlySet<string>,
  projectIds: ReadonlySet<string>,
): Scenario {
  const has = (k: string) => commodities.has(k);
  const zone = scenario.zone;
  const shocks = (scenario.shocks ?? []).flatMap((s): Shock[] => {
    if (s.kind === 'outage' || s.kind === 'quota') return has(s.commodity) ? [s] : [];
    if (s.commodities === '*') return [s];
    const ks = s.commodities.filter(has);
    return ks.length > 0 ? [{ ...s, commodities: ks }] : [];
  });
  return {
    ...scenario,
    ...(zone
      ? {
          zone: {
            ...zone,
            ...(zone.referencePrices
              ? { referencePrices: Object.fromEntries(Object.entries(zone.referencePrices).filter(([k]) => has(k))) }
              : {}),
            ...(zone.cfds ? { cfds: zone.cfds.filter((c) => has(c.commodity)) } : {}),
            ...(zone.stockpiles
              ? {
                  stockpiles: zone.stockpiles
                    .map((sp) => ({
                      ...sp,
                      commodities: sp.commodities.filter(has),
                      ...(sp.capacity
                        ? { capacity: Object.fromEntries(Object.entries(sp.capacity).filter(([k]) => has(k))) }
                        : {}),
                    }))
                    .filter((sp) => sp.commodities.length > 0),
                }
              : {}),
            ...(zone.backedProjects ? { backedProjects: zone.backedProjects.filter((b) => projectIds.has(b.id)) } : {}),
          },
        }
      : {}),
    ...(scenario.shocks ? { shocks } : {}),
    ...(scenario.tariffs ? { tariffs: scenario.tariffs.filter((t) => has(t.commodity)) } : {}),
    ...(scenario.exportTaxes ? { exportTaxes: scenario.exportTaxes.filter((t) => has(t.commodity)) } : {}),
    ...(scenario.demandGrowth
      ? {
          demandGrowth: Object.fromEntries(Object.entries(scenario.demandGrowth).filter(([k]) => k === '*' || has(k))),
        }
      : {}),
  };
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
