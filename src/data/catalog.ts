/**
 * Indexed views over a loaded dataset: regions, commodities with parsed units, the bloc, and provenance.
 * Everything that needs to ask "is this code known?" or "what unit is this commodity in?" goes through here.
 */
import type { Dataset } from './load.ts';
import type { AssumptionRow, CommodityRow, RegionRow, SourceRow } from './schema.ts';
import {
  type PriceUnit,
  parsePriceUnit,
  parseQuantityUnit,
  type QuantityUnit,
  UnitConverter,
  UnitError,
} from './units.ts';

export interface CommodityInfo {
  readonly row: CommodityRow;
  readonly unit?: QuantityUnit;
  readonly priceUnit?: PriceUnit;
}

export type ProvenanceKind = 'source' | 'assumption' | 'unknown';

export class Catalog {
  readonly regions: Map<string, RegionRow>;
  readonly commodities: Map<string, CommodityInfo>;
  readonly sources: Map<string, SourceRow>;
  readonly assumptions: Map<string, AssumptionRow>;
  readonly converter: UnitConverter;

  /**
   * The catalog this one was drawn from (an ensemble draw, src/ensemble/uncertain.ts): the same tables, rows and keys,
   * with only the values of the drawn columns changed. The indexes of the tables it shares are that catalog's; what
   * depends on a shared table alone (the duties and freight rows of routes, world.ts) is cached by the table itself.
   */
  readonly drawnFrom?: Catalog;

  constructor(
    readonly dataset: Dataset,
    options: { readonly drawnFrom?: Catalog } = {},
  ) {
    const from = options.drawnFrom ? (options.drawnFrom.drawnFrom ?? options.drawnFrom) : undefined;
    if (from) this.drawnFrom = from;
    const t = dataset.tables;
    // A draw shares the indexes of the tables it shares with the catalog it was drawn from (perturbedCatalog copies
    // only the tables whose numbers it draws): rebuilt for every draw, they were half a percent of its time.
    const reuse = <T>(table: keyof typeof t, own: (c: Catalog) => T, build: () => T): T =>
      from && from.dataset.tables[table] === t[table] ? own(from) : build();
    this.regions = reuse(
      'regions',
      (c) => c.regions,
      () => new Map(t.regions.map((r) => [r.code, r])),
    );
    this.sources = reuse(
      'sources',
      (c) => c.sources,
      () => new Map(t.sources.map((x) => [x.id, x])),
    );
    this.assumptions = reuse(
      'assumptions',
      (c) => c.assumptions,
      () => new Map(t.assumptions.map((a) => [a.id, a])),
    );
    this.commodities = reuse(
      'commodities',
      (c) => c.commodities,
      () => commodityInfos(t.commodities),
    );
    this.converter = reuse(
      'unit_conversions',
      (c) => c.converter,
      () =>
        new UnitConverter(t.unit_conversions.map((u) => ({ from: u.from_basis, to: u.to_basis, factor: u.factor }))),
    );
  }

  provenanceKind(id: string): ProvenanceKind {
    if (this.sources.has(id)) return 'source';
    if (this.assumptions.has(id)) return 'assumption';
    return 'unknown';
  }

  /** True when the region is in the default bloc, itself or through the aggregate it is part of (EU27). */
  inDefaultBloc(code: string): boolean {
    const region = this.regions.get(code);
    if (!region) return false;
    if (region.default_bloc) return true;
    return region.part_of ? this.inDefaultBloc(region.part_of) : false;
  }

  /** Factor taking a quantity stated in `unitText` to the commodity's unit; undefined if it cannot. */
  toCommodityUnit(commodity: string, unitText: string): number | undefined {
    const target = this.commodities.get(commodity)?.unit;
    if (!target) return undefined;
    try {
      return this.converter.quantityFactor(parseQuantityUnit(unitText), target);
    } catch (e) {
      if (e instanceof UnitError) return undefined;
      throw e;
    }
  }

  /** Factor taking a price stated in `unitText` to the commodity's price unit; undefined if it cannot. */
  toCommodityPriceUnit(commodity: string, unitText: string): number | undefined {
    const target = this.commodities.get(commodity)?.priceUnit;
    if (!target) return undefined;
    try {
      return this.converter.priceFactor(parsePriceUnit(unitText), target);
    } catch (e) {
      if (e instanceof UnitError) return undefined;
      throw e;
    }
  }
}

/** Each commodity's row with its units parsed (none where one does not parse). */
function commodityInfos(rows: readonly CommodityRow[]): Map<string, CommodityInfo> {
  const infos = new Map<string, CommodityInfo>();
  for (const c of rows) {
    let unit: QuantityUnit | undefined;
    let priceUnit: PriceUnit | undefined;
    try {
      unit = parseQuantityUnit(c.unit);
    } catch (e) {
      if (!(e instanceof UnitError)) throw e;
    }
    try {
      priceUnit = parsePriceUnit(c.price_unit);
    } catch (e) {
      if (!(e instanceof UnitError)) throw e;
    }
    infos.set(c.id, { row: c, ...(unit ? { unit } : {}), ...(priceUnit ? { priceUnit } : {}) });
  }
  return infos;
}
