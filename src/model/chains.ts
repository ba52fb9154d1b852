/**
 * A model of some value chains only (e.g. the rare-earth chain: concentrate → NdPr oxide → NdFeB magnet): the data
 * keep the rows of those chains' commodities (and the rows for every commodity, '*'), and a scenario keeps what it
 * says about them. Chains are separate markets in the engine (stages link only within a chain), so without a zone
 * the chains kept solve as they do in the whole world (test/ensemble/engine.test.ts); what a scenario shares across
 * chains (a joint stockpile's budget, a CfD budget) then goes to the chains kept alone.
 */
import type { Dataset, Tables } from '../data/load.ts';
import { InputError } from './document.ts';
import type { RiskControl } from './risks.ts';
import type { Scenario, Shock } from './scenario.ts';

/** The chains the data knows (commodities.csv `chain`), in the table's order. */
export function knownChains(dataset: Dataset): string[] {
  return [...new Set(dataset.tables.commodities.map((c) => c.chain))];
}

/** The commodity ids of some chains; an unknown chain is an error naming the known ones. */
export function chainCommodities(dataset: Dataset, chains: readonly string[]): Set<string> {
  const known = knownChains(dataset);
  for (const c of chains) {
    if (!known.includes(c)) throw new InputError(`--chain ${c}: unknown value chain (known: ${known.join(', ')})`);
  }
  return new Set(dataset.tables.commodities.filter((c) => chains.includes(c.chain)).map((c) => c.id));
}

/** The dataset restricted to some commodities: rows of other commodities are left out (rows keep their provenance). */
export function restrictDataset(dataset: Dataset, keep: ReadonlySet<string>): Dataset {
  const t = dataset.tables;
  const has = (k: string) => k === '*' || keep.has(k);
  const tables: Tables = {
    ...t,
    commodities: t.commodities.filter((c) => keep.has(c.id)),
    stage_links: t.stage_links.filter((l) => keep.has(l.output) && keep.has(l.input)),
    production: t.production.filter((r) => has(r.commodity)),
    world_totals: t.world_totals.filter((r) => has(r.commodity)),
    producers: t.producers.filter((r) => has(r.commodity)),
    demand: t.demand.filter((r) => has(r.commodity)),
    prices: t.prices.filter((r) => has(r.commodity)),
    reserves: t.reserves.filter((r) => has(r.commodity)),
    projects: t.projects.filter((r) => has(r.commodity)),
    freight: t.freight.filter((r) => has(r.commodity)),
    tariffs: t.tariffs.filter((r) => has(r.commodity)),
    demand_growth: t.demand_growth.filter((r) => has(r.commodity)),
    policy_events: t.policy_events.flatMap((e) => {
      const ks = e.commodities.filter(has);
      return ks.length === 0 ? [] : [{ ...e, commodities: ks }];
    }),
  };
  return { ...dataset, tables };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The scenario restricted to some commodities: reference prices, CfDs, stockpiles, backed projects, tariffs, export
 * taxes, shocks, demand growth and risks about other commodities are left out. Validate the scenario against the
 * whole data first: after this, list positions no longer match the file.
 */
export function restrictScenario(
  scenario: Scenario,
  keep: ReadonlySet<string>,
  projectCommodity: ReadonlyMap<string, string>,
): Scenario {
  const has = (k: string) => keep.has(k);
  const out: Mutable<Scenario> = { ...scenario };
  if (scenario.zone) {
    const z = scenario.zone;
    const stockpiles = z.stockpiles
      ?.map((s) => ({
        ...s,
        commodities: s.commodities.filter(has),
        ...(s.capacity ? { capacity: Object.fromEntries(Object.entries(s.capacity).filter(([k]) => has(k))) } : {}),
      }))
      .filter((s) => s.commodities.length > 0);
    out.zone = {
      ...z,
      ...(z.referencePrices
        ? { referencePrices: Object.fromEntries(Object.entries(z.referencePrices).filter(([k]) => has(k))) }
        : {}),
      ...(z.cfds ? { cfds: z.cfds.filter((c) => has(c.commodity)) } : {}),
      ...(stockpiles ? { stockpiles } : {}),
      ...(z.backedProjects
        ? { backedProjects: z.backedProjects.filter((b) => has(projectCommodity.get(b.id) ?? '')) }
        : {}),
    };
  }
  if (scenario.tariffs) out.tariffs = scenario.tariffs.filter((t) => has(t.commodity));
  if (scenario.exportTaxes) out.exportTaxes = scenario.exportTaxes.filter((t) => has(t.commodity));
  if (scenario.shocks) {
    out.shocks = scenario.shocks.flatMap((s): Shock[] => {
      if (s.kind !== 'ban') return has(s.commodity) ? [s] : [];
      if (s.commodities === '*') return [s];
      const ks = s.commodities.filter(has);
      return ks.length > 0 ? [{ ...s, commodities: ks }] : [];
    });
  }
  if (scenario.demandGrowth) {
    out.demandGrowth = Object.fromEntries(Object.entries(scenario.demandGrowth).filter(([k]) => k === '*' || has(k)));
  }
  if (scenario.risks?.controls) {
    out.risks = {
      ...scenario.risks,
      controls: scenario.risks.controls.flatMap((c): RiskControl[] => {
        if (c.kind !== 'ban') return has(c.commodity) ? [c] : [];
        if (c.commodities === '*') return [c];
        const ks = c.commodities.filter(has);
        return ks.length > 0 ? [{ ...c, commodities: ks }] : [];
      }),
    };
  }
  return out;
}
