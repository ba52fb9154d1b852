/**
 * What a scenario does to the material cost of downstream goods (MODEL.md §6): for each good of
 * data/intensities.csv, the materials in one unit (kg of lithium, graphite, NdFeB magnet ... in an electric car) at
 * the bloc's price of each commodity, under the scenario and under the run it is compared against, year by year.
 * Prices are the use-weighted means over the bloc's regions (what a maker in the bloc pays); a commodity the bloc
 * does not use has no bloc price and is left out, with a note.
 *
 * For an ensemble, apply it to each draw's pair of runs and take quantiles of the change.
 */
import type { Catalog } from '../data/catalog.ts';
import type { SimulationResult } from '../simulate/result.ts';

export interface DownstreamGood {
  readonly id: string;
  readonly name: string;
  /** Unit of the good: 'vehicle', 'MW', 'kWh'. */
  readonly per: string;
  readonly materials: readonly {
    readonly commodity: string;
    /** In the commodity's unit, per unit of the good. */
    readonly quantity: number;
    /** The quantity as the data states it, e.g. '8.9 kg Li'. */
    readonly stated: string;
    readonly source: string;
  }[];
}

/** The goods of the intensities table, quantities converted to each commodity's unit. */
export function downstreamGoods(catalog: Catalog): DownstreamGood[] {
  const goods = new Map<
    string,
    { id: string; name: string; per: string; materials: DownstreamGood['materials'][number][] }
  >();
  for (const row of catalog.dataset.tables.intensities) {
    const factor = catalog.toCommodityUnit(row.commodity, row.unit);
    if (factor === undefined) continue; // the unit-mismatch check reports it
    let g = goods.get(row.good);
    if (!g) {
      g = { id: row.good, name: row.good_name, per: row.per, materials: [] };
      goods.set(row.good, g);
    }
    g.materials.push({
      commodity: row.commodity,
      quantity: row.quantity * factor,
      stated: `${row.quantity} ${row.unit}`,
      source: row.$provenance.quantity?.source ?? row.source,
    });
  }
  return [...goods.values()];
}

export interface DownstreamYear {
  readonly year: number;
  /** Material cost of one unit under the scenario and under the run compared against, USD. */
  readonly scenario: number;
  readonly against: number;
  readonly change: number;
  /** change / against (null when against is zero). */
  readonly relative: number | null;
}

export interface DownstreamCost {
  readonly good: string;
  readonly name: string;
  readonly per: string;
  readonly materials: readonly {
    readonly commodity: string;
    readonly quantity: number;
    readonly unit: string;
    readonly stated: string;
    readonly source: string;
    /** The material's cost change per unit of the good, USD, averaged over the years. */
    readonly meanChange: number;
  }[];
  readonly years: readonly DownstreamYear[];
  /** Mean over the years of the change, USD per unit. */
  readonly meanChange: number;
  /** The year of the largest change in absolute value. */
  readonly peak: DownstreamYear | null;
  /** Materials left out (no bloc price in some year). */
  readonly missing: readonly string[];
}

/** The material cost of each good per unit, year by year, under `scenario` against `against`. */
export function downstreamCosts(
  goods: readonly DownstreamGood[],
  scenario: SimulationResult,
  against: SimulationResult,
): DownstreamCost[] {
  const price = (r: SimulationResult, year: number, k: string) =>
    r.years.find((y) => y.year === year)?.commodities.find((c) => c.commodity === k)?.priceInside ?? null;
  const unitOf = (k: string) => scenario.years[0]?.commodities.find((c) => c.commodity === k)?.unit ?? '';
  const years = scenario.years.map((y) => y.year).filter((y) => against.years.some((x) => x.year === y));
  return goods.map((g) => {
    const missing = g.materials
      .filter((m) =>
        years.some((y) => price(scenario, y, m.commodity) === null || price(against, y, m.commodity) === null),
      )
      .map((m) => m.commodity);
    const used = g.materials.filter((m) => !missing.includes(m.commodity));
    const rows: DownstreamYear[] = years.map((year) => {
      let s = 0;
      let a = 0;
      for (const m of used) {
        s += m.quantity * (price(scenario, year, m.commodity) as number);
        a += m.quantity * (price(against, year, m.commodity) as number);
      }
      return { year, scenario: s, against: a, change: s - a, relative: a !== 0 ? (s - a) / a : null };
    });
    const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((t, x) => t + x, 0) / xs.length);
    const peak = rows.reduce<DownstreamYear | null>(
      (best, r) => (best === null || Math.abs(r.change) > Math.abs(best.change) ? r : best),
      null,
    );
    return {
      good: g.id,
      name: g.name,
      per: g.per,
      materials: used.map((m) => ({
        commodity: m.commodity,
        quantity: m.quantity,
        unit: unitOf(m.commodity),
        stated: m.stated,
        source: m.source,
        meanChange: mean(
          years.map(
            (y) =>
              m.quantity * ((price(scenario, y, m.commodity) as number) - (price(against, y, m.commodity) as number)),
          ),
        ),
      })),
      years: rows,
      meanChange: mean(rows.map((r) => r.change)),
      peak,
      missing,
    };
  });
}
