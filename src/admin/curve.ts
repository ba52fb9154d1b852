/**
 * The cost curve and bloc use the secretariat's reference-price rules read, taken from the dataset the simulator
 * uses: producers at cash cost plus their upstream inputs at the data's reference prices, and pipeline projects at
 * their incentive price (MODEL.md §7). Pure: a catalog in, steps out.
 */
import type { Catalog } from '../data/catalog.ts';
import { BASE_YEAR } from '../data/schema.ts';
import { remembered } from '../memo.ts';
import { baseYearMarket } from '../model/observed.ts';
import { inMarketEconomy, inMembersMarket, modelRegion, nonMarketEconomies } from '../model/regions.ts';
import { DEFAULT_DOMINANT_SUPPLIER, dataDemandChoke, referencePricesOf } from '../model/world.ts';
import { announcedOnline, Parameters, projectPipeline } from '../simulate/inputs.ts';
import type { SupplyStep } from './reference-price.ts';

export type CurveSupply = 'members' | 'market-economies';

export interface CurveOptions {
  readonly members: readonly string[];
  /** Whose supply counts: members only, or the market economies' (outside the dominant supplier and every non-market economy). */
  readonly supply: CurveSupply;
  readonly dominantSupplier?: string;
  readonly year?: number;
  /**
   * The year the price takes effect: a project announced to come online by then (under construction or ramping up,
   * with its start year) is built, on the curve at its cash cost like a producer, as the simulator counts it that
   * year. Omitted: every project at its incentive price.
   */
  readonly asOf?: number;
}

export interface DatasetCurve {
  readonly steps: SupplyStep[];
  readonly year: number;
  readonly notes: string[];
}

const observedUse = new WeakMap<Catalog, Map<string, ReadonlyMap<string, number>>>();

/**
 * The bloc use an incentive-marginal rule reads (MODEL.md §7, "a target share of its own demand"): in the base-year
 * market the members observe, their final use of each commodity plus what their own producers of downstream stages
 * use of it (MODEL.md §2: an upstream stage's demand is derived from downstream production), as the simulator counts
 * it. Members are model regions; the data's dominant supplier and demand choke.
 */
export function observedBlocUse(catalog: Catalog, commodity: string, members: readonly string[]): number {
  const bloc = [...new Set(members.map((m) => modelRegion(catalog, m)))].sort();
  const uses = remembered(
    remembered(observedUse, catalog, () => new Map()),
    bloc.join(','),
    () => {
      const { stats } = baseYearMarket(catalog, {
        members: bloc,
        dominantSupplier: DEFAULT_DOMINANT_SUPPLIER,
        demandChoke: dataDemandChoke(catalog),
      });
      return new Map(stats.commodities.map((c) => [c.commodity, c.blocUse]));
    },
  );
  return uses.get(commodity) ?? 0;
}

export function datasetSupplyCurve(catalog: Catalog, commodity: string, options: CurveOptions): DatasetCurve {
  const year = options.year ?? BASE_YEAR;
  const dominant = options.dominantSupplier ?? DEFAULT_DOMINANT_SUPPLIER;
  const members = new Set(options.members.map((m) => modelRegion(catalog, m)));
  const nonMarket = nonMarketEconomies(catalog);
  const counts = (region: string, owner?: string) =>
    options.supply === 'members'
      ? inMembersMarket(region, owner, members, dominant, nonMarket)
      : inMarketEconomy(region, owner, dominant, nonMarket);
  const prices = referencePricesOf(catalog, year);
  const t = catalog.dataset.tables;
  const inputCost = (secondary: boolean | undefined) =>
    secondary
      ? 0
      : t.stage_links
          .filter((l) => l.output === commodity)
          .reduce((s, l) => s + l.coefficient * (prices.get(l.input) ?? 0), 0);
  const steps: SupplyStep[] = [];
  for (const p of t.producers) {
    if (p.commodity !== commodity || p.cash_cost === undefined) continue;
    const region = modelRegion(catalog, p.region);
    if (!counts(region, p.owner)) continue;
    steps.push({
      id: p.id,
      region,
      capacity: p.capacity * (p.utilisation ?? 1),
      cost: p.cash_cost + inputCost(p.secondary),
      kind: 'producer',
    });
  }
  const { projects, skipped } = projectPipeline(catalog, new Parameters(catalog), year, dominant);
  for (const pr of projects) {
    if (pr.commodity !== commodity || !counts(pr.region)) continue;
    // Built by then, its capital is sunk: its cash cost sets what it needs, as for a producer.
    const built = options.asOf !== undefined && (announcedOnline(pr) ?? Number.POSITIVE_INFINITY) <= options.asOf;
    const own = built ? pr.cashCost : pr.incentivePrice;
    if (own === undefined) continue;
    steps.push({
      id: pr.id,
      region: pr.region,
      capacity: pr.capacity,
      cost: own + inputCost(pr.integrated),
      kind: built ? 'producer' : 'project',
    });
  }
  const notes = skipped.filter((s) => projects.every((p) => !s.startsWith(p.id)));
  return { steps, year, notes };
}
