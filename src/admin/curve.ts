/**
 * The cost curve and bloc use the secretariat's reference-price rules read, taken from the dataset the simulator
 * uses: producers at cash cost plus their upstream inputs at the data's reference prices, and pipeline projects at
 * their incentive price (MODEL.md §7). Pure: a catalog in, steps out.
 */
import type { Catalog } from '../data/catalog.ts';
import { BASE_YEAR } from '../data/schema.ts';
import { remembered } from '../memo.ts';
import { modelRegion } from '../model/regions.ts';
import { buildWorld, DEFAULT_DOMINANT_SUPPLIER } from '../model/world.ts';
import { Parameters, projectPipeline } from '../simulate/inputs.ts';
import type { SupplyStep } from './reference-price.ts';

export type CurveSupply = 'members' | 'market-economies';

export interface CurveOptions {
  readonly members: readonly string[];
  /** Whose supply counts: members only, or everyone outside the dominant supplier. */
  readonly supply: CurveSupply;
  readonly dominantSupplier?: string;
  readonly year?: number;
}

export interface DatasetCurve {
  readonly steps: SupplyStep[];
  /** The members' use of the commodity in the data year: final demand plus what their downstream stages need. */
  readonly blocUse: number;
  readonly year: number;
  readonly notes: string[];
}

const worldPrices = new WeakMap<Catalog, Map<number, ReadonlyMap<string, number>>>();

function referencePricesOf(catalog: Catalog, year: number): ReadonlyMap<string, number> {
  return remembered(
    remembered(worldPrices, catalog, () => new Map()),
    year,
    () => buildWorld(catalog, { year }).referencePrice,
  );
}

/** Members' use of k: their own demand rows plus the input their use of downstream stages embodies. */
export function blocUseOf(catalog: Catalog, commodity: string, members: readonly string[], year: number): number {
  const memberSet = new Set(members);
  const t = catalog.dataset.tables;
  const useOf = (k: string, depth: number): number => {
    let use = 0;
    for (const d of t.demand) {
      if (d.commodity === k && d.year === year && memberSet.has(modelRegion(catalog, d.region))) use += d.quantity;
    }
    if (depth < 8) for (const l of t.stage_links) if (l.input === k) use += l.coefficient * useOf(l.output, depth + 1);
    return use;
  };
  return useOf(commodity, 0);
}

export function datasetSupplyCurve(catalog: Catalog, commodity: string, options: CurveOptions): DatasetCurve {
  const year = options.year ?? BASE_YEAR;
  const dominant = options.dominantSupplier ?? DEFAULT_DOMINANT_SUPPLIER;
  const members = new Set(options.members.map((m) => modelRegion(catalog, m)));
  const counts = (region: string, owner?: string) =>
    options.supply === 'members' ? members.has(region) : region !== dominant && owner !== dominant;
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
    if (pr.commodity !== commodity || pr.incentivePrice === undefined || !counts(pr.region)) continue;
    steps.push({
      id: pr.id,
      region: pr.region,
      capacity: pr.capacity,
      cost: pr.incentivePrice + inputCost(pr.integrated),
      kind: 'project',
    });
  }
  const notes = skipped.filter((s) => projects.every((p) => !s.startsWith(p.id)));
  return { steps, blocUse: blocUseOf(catalog, commodity, [...members], year), year, notes };
}
