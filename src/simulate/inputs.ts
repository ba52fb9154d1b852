/**
 * What the simulation reads from the dataset besides the base year: model parameters, demand growth and the
 * project pipeline, each with its provenance kept (a parameter without a row is an error, never a silent default).
 */

import { incentivePrice } from '../admin/reference-price.ts';
import type { Catalog } from '../data/catalog.ts';
import { parameterSpec } from '../data/parameters.ts';
import { BASE_YEAR } from '../data/schema.ts';
import { remembered } from '../memo.ts';
import { embodiedUse } from '../model/content.ts';
import { modelRegion } from '../model/regions.ts';
import { ModelInputError } from '../model/world.ts';

/**
 * World use of a commodity in a year: its final demand, grown from the base year, plus what the stages downstream of
 * it draw (embodiedUse: input coefficient × the share of their output whose producers draw it × their use), so that a
 * mine follows the growth of the magnets its ore ends up in; scrap-fed copper and synthetic graphite anode need no ore
 * or flake. Memoised per commodity and year.
 */
export function worldUse(
  catalog: Catalog,
  growth: DemandGrowth,
  baseYear = BASE_YEAR,
): (commodity: string, year: number) => number {
  const t = catalog.dataset.tables;
  // Final demand per commodity in a year, summed over the base year's rows once per year.
  const finalUse = new Map<number, Map<string, number>>();
  const finalUseIn = (k: string, year: number): number => {
    let byCommodity = finalUse.get(year);
    if (!byCommodity) {
      byCommodity = new Map();
      for (const d of t.demand) {
        if (d.year !== baseYear) continue;
        const q = d.quantity * growth.factor(d.commodity, modelRegion(catalog, d.region), baseYear, year, d.sector);
        byCommodity.set(d.commodity, (byCommodity.get(d.commodity) ?? 0) + q);
      }
      finalUse.set(year, byCommodity);
    }
    return byCommodity.get(k) ?? 0;
  };
  // One embodied-use function per year: each year's final use is grown from the base year's rows.
  const byYear = new Map<number, (commodity: string) => number>();
  return (k, year) => remembered(byYear, year, () => embodiedUse(t, (c) => finalUseIn(c, year)))(k);
}

/** Model parameters (data/parameters.csv), with a scenario's overrides on top. */
export class Parameters {
  private readonly values = new Map<string, number>();
  constructor(catalog: Catalog, overrides: Readonly<Record<string, number>> = {}, locate?: (id: string) => string) {
    for (const row of catalog.dataset.tables.parameters) this.values.set(row.id, row.value);
    for (const [id, value] of Object.entries(overrides)) {
      if (!this.values.has(id)) {
        throw new ModelInputError(
          locate?.(id) ?? `parameters.${id}`,
          `unknown parameter '${id}' (known: ${[...this.values.keys()].sort().join(', ')})`,
        );
      }
      const spec = parameterSpec(id);
      if (spec && (value < spec.min || (spec.max !== undefined && value > spec.max))) {
        throw new ModelInputError(
          locate?.(id) ?? `parameters.${id}`,
          `${value} is outside the sensible range of ${id} (${spec.min} to ${spec.max ?? '∞'} ${spec.unit})`,
        );
      }
      this.values.set(id, value);
    }
  }
  has(id: string): boolean {
    return this.values.has(id);
  }
  get(id: string): number {
    const v = this.values.get(id);
    if (v === undefined) throw new ModelInputError(`parameters ${id}`, 'missing from data/parameters.csv');
    return v;
  }
}

/** Annual demand growth by commodity, region and year, from data/demand_growth.csv or a scenario's overrides. */
export class DemandGrowth {
  private readonly rows: Catalog['dataset']['tables']['demand_growth'];
  constructor(
    catalog: Catalog,
    private readonly overrides: Readonly<Record<string, number | Readonly<Record<string, number>>>> = {},
  ) {
    this.rows = catalog.dataset.tables.demand_growth;
    this.modelRegions = this.rows.map((r) => (r.region === '*' ? '*' : modelRegion(catalog, r.region)));
  }

  /**
   * The last year the data give a commodity's demand a rate (its rows or '*' rows), or undefined where the scenario's
   * override sets every sector's: after it, lookup finds no row and demand stays flat.
   */
  lastRatedYear(commodity: string): number | undefined {
    for (const key of [commodity, '*']) {
      const o = this.overrides[key];
      if (typeof o === 'number' || o?.['*'] !== undefined) return undefined;
    }
    let last = Number.NEGATIVE_INFINITY;
    for (const i of this.rowsOf(commodity)) last = Math.max(last, (this.rows[i] as (typeof this.rows)[number]).to_year);
    return last;
  }

  /** Remembered factors by commodity, region and sector: those of the last base year asked for. */
  private readonly factors = new Map<
    string,
    Map<string, Map<string, { readonly baseYear: number; readonly factors: number[] }>>
  >();
  /** Per commodity, the indices of the rows for it or for '*'. */
  private readonly rowsByCommodity = new Map<string, number[]>();
  /** Per row, the model region its region belongs to. */
  private readonly modelRegions: readonly string[];

  private rowsOf(commodity: string): number[] {
    let list = this.rowsByCommodity.get(commodity);
    if (!list) {
      list = [];
      for (let i = 0; i < this.rows.length; i++) {
        const k = (this.rows[i] as (typeof this.rows)[number]).commodity;
        if (k === commodity || k === '*') list.push(i);
      }
      this.rowsByCommodity.set(commodity, list);
    }
    return list;
  }

  /**
   * Growth rate from year − 1 to year for a region's demand in a sector. A scenario's override wins (by commodity and
   * sector, then commodity, then '*'); else the most specific row: the sector's own, then the region's, then '*'.
   * Not remembered: factor, which asks for each rate once, remembers the factors; a key built per rate cost more than
   * the lookup (an ensemble draw has a DemandGrowth of its own, its rates drawn).
   */
  rate(commodity: string, region: string, year: number, sector = 'all'): number {
    for (const key of [commodity, '*']) {
      const o = this.overrides[key];
      if (typeof o === 'number') return o;
      if (o !== undefined) {
        const v = o[sector] ?? o['*'];
        if (v !== undefined) return v;
      }
    }
    let best: (typeof this.rows)[number] | undefined;
    let bestRank = -1;
    for (const i of this.rowsOf(commodity)) {
      const r = this.rows[i] as (typeof this.rows)[number];
      if (year < r.from_year || year > r.to_year) continue;
      const regionMatch = r.region === '*' ? 0 : this.modelRegions[i] === region ? 2 : -1;
      if (regionMatch < 0) continue;
      const sectorMatch = r.sector === sector ? 1 : r.sector === 'all' || r.sector === '*' ? 0 : -1;
      if (sectorMatch < 0) continue;
      const rank = regionMatch + (r.commodity !== '*' ? 4 : 0) + sectorMatch;
      if (rank > bestRank) {
        best = r;
        bestRank = rank;
      }
    }
    return best?.rate ?? 0;
  }

  /** Demand in `year` relative to the base year. */
  factor(commodity: string, region: string, baseYear: number, year: number, sector = 'all'): number {
    if (year <= baseYear) return 1;
    // Factors from one base year for one curve, by years after it: a simulation asks for every curve every year,
    // so the lookup takes no key built from strings.
    let byRegion = this.factors.get(commodity);
    if (!byRegion) {
      byRegion = new Map();
      this.factors.set(commodity, byRegion);
    }
    let bySector = byRegion.get(region);
    if (!bySector) {
      bySector = new Map();
      byRegion.set(region, bySector);
    }
    let series = bySector.get(sector);
    if (!series || series.baseYear !== baseYear) {
      series = { baseYear, factors: [] };
      bySector.set(sector, series);
    }
    const known = series.factors[year - baseYear - 1];
    if (known !== undefined) return known;
    // The product of the rates from baseYear + 1 on, in year order: last year's factor (remembered) times this year's.
    const f =
      this.factor(commodity, region, baseYear, year - 1, sector) * (1 + this.rate(commodity, region, year, sector));
    series.factors[year - baseYear - 1] = f;
    return f;
  }
}

export interface ProjectSpec {
  readonly id: string;
  readonly name: string;
  readonly commodity: string;
  /** Model region (EU member states fold into EU27). */
  readonly region: string;
  readonly status: string;
  readonly startYear?: number;
  /** Nameplate capacity per year, in the commodity's unit. */
  readonly capacity: number;
  /** Cash cost in the commodity's price unit; `cashCostAssumed` when taken from the existing producers. */
  readonly cashCost: number;
  readonly cashCostAssumed: boolean;
  /** Capital cost, USD. */
  readonly capex?: number;
  readonly leadTime: number;
  readonly life: number;
  /** Cash cost plus capital recovery, in the commodity's price unit; undefined without a capital cost. */
  readonly incentivePrice?: number;
  /** Mines its own feed: its cash cost already covers the upstream stage, so it buys no inputs. */
  readonly integrated: boolean;
}

const STAGE_PARAMETER: Record<string, { lead: string; life: string }> = {
  mined: { lead: 'lead_time_mine', life: 'project_life_mine' },
  refined: { lead: 'lead_time_refinery', life: 'project_life_refinery' },
  component: { lead: 'lead_time_manufacturing', life: 'project_life_refinery' },
};

/** The capacity-weighted mean cash cost of a commodity's producers outside the dominant supplier. */
function marketEconomyCost(catalog: Catalog, commodity: string, dominant: string): number | undefined {
  let q = 0;
  let v = 0;
  for (const p of catalog.dataset.tables.producers) {
    if (p.commodity !== commodity || p.cash_cost === undefined) continue;
    if (modelRegion(catalog, p.region) === dominant || p.owner === dominant) continue;
    const cap = p.capacity * (p.utilisation ?? 1);
    q += cap;
    v += cap * p.cash_cost;
  }
  return q > 0 ? v / q : undefined;
}

/**
 * The pipeline the simulation can build: projects not yet operating, with a capacity in a known unit. Projects
 * already producing in the base year are in the producers table; cancelled ones are dropped. `skipped` says why
 * each other project is left out.
 */
export function projectPipeline(
  catalog: Catalog,
  params: Parameters,
  baseYear: number,
  dominant: string,
): { projects: ProjectSpec[]; skipped: string[] } {
  const projects: ProjectSpec[] = [];
  const skipped: string[] = [];
  const costOfCapital = params.get('cost_of_capital');
  for (const p of catalog.dataset.tables.projects) {
    if (p.status === 'operating' || p.status === 'cancelled') continue;
    if (p.start_year !== undefined && p.start_year <= baseYear && p.status === 'ramping') continue; // in base-year output
    const info = catalog.commodities.get(p.commodity);
    if (!info) continue;
    if (p.capacity === undefined || !p.capacity_unit) {
      skipped.push(`${p.id}: no published capacity`);
      continue;
    }
    const factor = catalog.toCommodityUnit(p.commodity, p.capacity_unit);
    if (factor === undefined) {
      skipped.push(`${p.id}: capacity unit '${p.capacity_unit}' does not convert to ${info.row.unit}`);
      continue;
    }
    const capacity = p.capacity * factor;
    if (!(capacity > 0)) continue;
    let cashCost: number | undefined;
    if (p.cash_cost !== undefined && p.cash_cost_unit) {
      const f = catalog.toCommodityPriceUnit(p.commodity, p.cash_cost_unit);
      if (f !== undefined) cashCost = p.cash_cost * f;
    }
    const assumed = cashCost === undefined;
    cashCost ??= marketEconomyCost(catalog, p.commodity, dominant);
    if (cashCost === undefined) {
      skipped.push(`${p.id}: no cash cost, and no producer outside ${dominant} to take one from`);
      continue;
    }
    const stage = STAGE_PARAMETER[info.row.stage_kind] ?? STAGE_PARAMETER.refined;
    const leadTime = p.lead_time_years ?? params.get((stage as { lead: string }).lead);
    const life = p.life_years ?? params.get((stage as { life: string }).life);
    const capex = p.capex_musd !== undefined ? p.capex_musd * 1e6 : undefined;
    projects.push({
      id: p.id,
      name: p.name,
      commodity: p.commodity,
      region: modelRegion(catalog, p.region),
      status: p.status,
      ...(p.start_year !== undefined ? { startYear: p.start_year } : {}),
      capacity,
      cashCost,
      cashCostAssumed: assumed,
      integrated: p.integrated === true,
      ...(capex !== undefined ? { capex } : {}),
      leadTime: Math.round(leadTime),
      life,
      ...(capex !== undefined
        ? { incentivePrice: incentivePrice({ cashCost, capex, capacity, life, costOfCapital }) }
        : {}),
    });
  }
  return { projects, skipped };
}
/**
 * The year an announced project (under construction or ramping up) comes online: its start year, or the year after
 * the base year if that has passed.
 */
export function announcedOnline(spec: ProjectSpec): number | undefined {
  return (spec.status === 'construction' || spec.status === 'ramping') && spec.startYear !== undefined
    ? Math.max(spec.startYear, BASE_YEAR + 1)
    : undefined;
}
