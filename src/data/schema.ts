/**
 * The dataset's schema: one declaration per table, one per column. This file is the documentation
 * of data/ (rendered by `lodestone data schema`) as well as its parser.
 */
import { type CellOf, type Column, col } from './columns.ts';

/** The year producers' capacities and costs, and the reference demand, describe. */
export const BASE_YEAR = 2024;

export interface TableDef<C extends Record<string, Column<unknown>>> {
  readonly name: string;
  readonly file: string;
  readonly description: string;
  /** Columns that identify a row; an overlay row with the same key replaces the embedded one. */
  readonly key: readonly (keyof C & string)[];
  readonly columns: C;
  /** An empty table is an error when true (the model cannot run without it). */
  readonly required: boolean;
}

function table<C extends Record<string, Column<unknown>>>(def: {
  name: string;
  description: string;
  key: readonly (keyof C & string)[];
  columns: C;
  required?: boolean;
}): TableDef<C> {
  return { ...def, file: `${def.name}.csv`, required: def.required ?? true };
}

/** Provenance of one numeric cell, resolved from the row's `source` or the column's `<name>_source`. */
export interface CellProvenance {
  readonly source: string;
  readonly low?: number;
  readonly high?: number;
  /** 1-based CSV column of the provenance id (the override column, or the row's source column). */
  readonly sourceColumn: number;
}

/** Where a row came from, so every message can say file:line:column. */
export interface RowOrigin {
  readonly file: string;
  readonly line: number;
  /** 1-based CSV column of each header name in this file. */
  readonly columns: Readonly<Record<string, number>>;
}

export type Row<C extends Record<string, Column<unknown>>> = { readonly [K in keyof C]: CellOf<C[K]> } & {
  readonly $origin: RowOrigin;
  readonly $provenance: Readonly<Record<string, CellProvenance>>;
};

// ---------------------------------------------------------------------------------------------------------------

export const sources = table({
  name: 'sources',
  description: 'Publications the numbers come from. Every numeric cell names one of these, or an assumption.',
  key: ['id'],
  columns: {
    id: col.code('source id, UPPER_SNAKE_CASE'),
    title: col.text('title of the publication or dataset', true),
    publisher: col.text('who published it', true),
    year: col.year('year of publication (empty when the page is undated)', false),
    url: col.text('public address of the original', true),
    covers: col.text('what the source supplies to this dataset'),
    note: col.note(),
  },
});

export const assumptions = table({
  name: 'assumptions',
  description:
    'Numbers that no publication gives directly. Each states what is assumed and on what basis; every cell that ' +
    'cites an assumption also carries a low/high range.',
  key: ['id'],
  columns: {
    id: col.code('assumption id, starting with A_'),
    statement: col.text('what is assumed', true),
    basis: col.text('the evidence and reasoning behind the value and its range', true),
    note: col.note(),
  },
});

export const regions = table({
  name: 'regions',
  description: 'Countries (ISO 3166-1 alpha-3) and aggregates (EU27, ROW) and their membership of the default bloc.',
  key: ['code'],
  columns: {
    code: col.code('ISO 3166-1 alpha-3 code, or an aggregate code (EU27, ROW)'),
    name: col.text('English short name', true),
    kind: col.enumeration('country, a union of countries (aggregate), or the rest of the world (rest)', [
      'country',
      'aggregate',
      'rest',
    ] as const),
    part_of: col.code(
      'the aggregate this country belongs to for trade policy (EU27 for EU member states)',
      'region',
      false,
    ),
    default_bloc: col.boolean('member of the default bloc (USA, EU27, JPN, MEX) in its own right', true),
    non_market_economy: col.boolean(
      "treated as a non-market economy (the U.S. Commerce list, TRADE_GOV_NME_LIST): its producers, and those its firms own abroad, are left off the market economies' cost curve of the reference-price rules",
    ),
    note: col.note(),
  },
});

export const commodities = table({
  name: 'commodities',
  description: 'Minerals at a stage of production, each with the unit its quantities and prices are stated in.',
  key: ['id'],
  columns: {
    id: col.code('commodity id, mineral/stage (e.g. rare-earths/concentrate, ndpr/oxide)'),
    chain: col.code('the value chain this commodity belongs to (rare-earths, lithium, ...)'),
    stage: col.code('stage name within the id (concentrate, oxide, magnet, mine, refined, ...)'),
    stage_kind: col.enumeration('position in the chain', ['mined', 'refined', 'component'] as const),
    name: col.text('readable name', true),
    unit: col.unit('unit of quantity: <scale> <basis>, e.g. t REO'),
    price_unit: col.unit('unit of price: USD/<scale> <basis>'),
    note: col.note(),
  },
});

export const unitConversions = table({
  name: 'unit_conversions',
  description: 'Factors between content bases (1 unit of from_basis = factor units of to_basis).',
  key: ['from_basis', 'to_basis'],
  required: false,
  columns: {
    from_basis: col.code('basis converted from (e.g. Li)'),
    to_basis: col.code('basis converted to (e.g. LCE)'),
    factor: col.quantity('units of to_basis per unit of from_basis', { min: 0, required: true, unit: 'ratio' }),
    source: col.source(),
    note: col.note(),
  },
});

export const stageLinks = table({
  name: 'stage_links',
  description: 'Input coefficients: units of an upstream commodity used per unit of a downstream one.',
  key: ['output', 'input'],
  columns: {
    output: col.code('downstream commodity id', 'commodity'),
    input: col.code('upstream commodity id', 'commodity'),
    coefficient: col.quantity('units of input (its unit) per unit of output (its unit)', {
      min: 0,
      required: true,
      unit: 'input unit / output unit',
    }),
    source: col.source(),
    note: col.note(),
  },
});

export const production = table({
  name: 'production',
  description: 'Output by country and year; countries making at least 95% of world output plus ROW.',
  key: ['commodity', 'region', 'year'],
  columns: {
    commodity: col.code('commodity id', 'commodity'),
    region: col.code('producing region', 'region'),
    year: col.year(),
    quantity: col.quantity('output in the year', { min: 0, required: true, unit: 'row unit' }),
    unit: col.unit('unit of quantity (must convert to the commodity unit)'),
    source: col.source(),
    note: col.note(),
  },
});

export const worldTotals = table({
  name: 'world_totals',
  description: 'Published world totals, against which the country rows are checked.',
  key: ['commodity', 'year'],
  columns: {
    commodity: col.code('commodity id', 'commodity'),
    year: col.year(),
    quantity: col.quantity('world output as published', { min: 0, required: true, unit: 'row unit' }),
    unit: col.unit('unit of quantity'),
    tolerance_pct: col.number('how far the sum of country rows may differ, given the rounding or coverage stated', {
      min: 0,
      max: 100,
      required: true,
      unit: 'percent',
    }),
    source: col.source(),
    note: col.note(),
  },
});

export const producers = table({
  name: 'producers',
  description:
    'Supply units for the model in the base year: a country as a whole or a named asset; capacity, utilisation and ' +
    'unit cash cost excluding the upstream commodities the model charges separately.',
  key: ['id'],
  columns: {
    id: col.code('producer id'),
    name: col.text('readable name', true),
    region: col.code('region where it produces', 'region'),
    commodity: col.code('commodity it makes', 'commodity'),
    kind: col.enumeration('a whole country (country) or a named plant or mine (asset)', ['country', 'asset'] as const),
    owner: col.code("controlling owner's jurisdiction (ISO3), where known", 'region', false),
    capacity: col.quantity('capacity per year', { min: 0, required: true, unit: 'commodity unit per year' }),
    utilisation: col.quantity('base-year output / capacity', { min: 0, max: 1, unit: 'fraction' }),
    cash_cost: col.quantity('unit cash cost, excluding upstream commodity inputs', {
      min: 0,
      unit: 'commodity price unit',
    }),
    cost_year: col.year('year the cost is stated in', false),
    secondary: col.boolean(
      'makes the good without the stage-link inputs: recycling, scrap, or a route outside the modelled chain (synthetic graphite anode)',
    ),
    source: col.source(),
    note: col.note(),
  },
});

export const demand = table({
  name: 'demand',
  description:
    'Final demand by region (uses outside the modelled chain), reference price and own-price elasticity; rows with ' +
    'a sector split sum to the region total.',
  key: ['region', 'commodity', 'year', 'sector'],
  columns: {
    region: col.code('consuming region', 'region'),
    commodity: col.code('commodity id', 'commodity'),
    year: col.year(),
    sector: col.text("end-use sector, or 'all'", true),
    quantity: col.quantity('reference consumption', { min: 0, required: true, unit: 'commodity unit per year' }),
    price: col.quantity('reference price', { min: 0, unit: 'commodity price unit' }),
    elasticity: col.quantity('own-price elasticity of demand', { max: 0, unit: 'dimensionless' }),
    source: col.source(),
    note: col.note(),
  },
});

export const prices = table({
  name: 'prices',
  description: 'Annual average prices, with the exact definition of each series.',
  key: ['commodity', 'year', 'definition'],
  columns: {
    commodity: col.code('commodity id', 'commodity'),
    year: col.year(),
    price: col.quantity('annual average price', { min: 0, required: true, unit: 'row unit' }),
    unit: col.unit('price unit: USD/<scale> <basis>'),
    definition: col.text('what the series is (grade, place, publisher)', true),
    source: col.source(),
    note: col.note(),
  },
});

export const reserves = table({
  name: 'reserves',
  description: 'Reserves of the mined commodity by country.',
  key: ['commodity', 'region'],
  required: false,
  columns: {
    commodity: col.code('commodity id (a mined stage)', 'commodity'),
    region: col.code('country', 'region'),
    quantity: col.quantity('reserves', { min: 0, required: true, unit: 'row unit' }),
    unit: col.unit('unit of quantity'),
    source: col.source(),
    note: col.note(),
  },
});

export const projects = table({
  name: 'projects',
  description: 'Mining, processing and manufacturing projects outside the dominant supplier, with their economics.',
  key: ['id'],
  required: false,
  columns: {
    id: col.code('project id'),
    name: col.text('project name', true),
    company: col.text('sponsor'),
    region: col.code('host country', 'region'),
    commodity: col.code('commodity it would make', 'commodity'),
    status: col.enumeration('development status', [
      'operating',
      'ramping',
      'construction',
      'feasibility',
      'pre-feasibility',
      'exploration',
      'cancelled',
      'suspended',
    ] as const),
    start_year: col.integer('year output starts or started', { min: 1900, max: 2100 }),
    capacity: col.quantity('nameplate capacity per year', { min: 0, unit: 'capacity_unit' }),
    capacity_unit: col.unit('unit of capacity (per year)', false),
    capex_musd: col.quantity('capital cost', { min: 0, unit: 'USD million' }),
    cash_cost: col.quantity('unit operating cost from the study or company', { min: 0, unit: 'cash_cost_unit' }),
    cash_cost_unit: col.unit('unit of cash_cost', false),
    lead_time_years: col.quantity('years from decision to first output', { min: 0, unit: 'years' }),
    life_years: col.quantity('operating life', { min: 0, unit: 'years' }),
    integrated: col.boolean(
      'the cash cost covers the upstream stage too (mine-to-product, e.g. a clay mine with its own carbonate plant): ' +
        'upstream inputs should not be charged on top of it',
    ),
    byproduct_of: col.text(
      "the main product whose revenue pays for the capex when this commodity is a by-product (e.g. 'gold'): the " +
        'capex is not attributable to the commodity alone, so project finance does not value it',
    ),
    support: col.text('government support received or announced'),
    source: col.source(),
    note: col.note(),
  },
});

export const freight = table({
  name: 'freight',
  description: 'Transport and insurance cost between regions, as a share of value or per tonne.',
  key: ['origin', 'destination', 'commodity', 'basis'],
  required: false,
  columns: {
    origin: col.code("origin region, or '*'"),
    destination: col.code("destination region, or '*'"),
    commodity: col.code("commodity id, or '*'"),
    basis: col.enumeration('how the cost is stated', ['pct_of_value', 'usd_per_t'] as const),
    value: col.quantity('cost', { min: 0, required: true, unit: 'percent of value, or USD per tonne' }),
    source: col.source(),
    note: col.note(),
  },
});

export const tariffs = table({
  name: 'tariffs',
  description:
    'Import duties by importer and commodity: the MFN rate, preferential rates that replace it for an origin, and ' +
    'additional duties on top of it.',
  key: ['importer', 'commodity', 'hs_code', 'layer', 'origin', 'effective_from'],
  required: false,
  columns: {
    importer: col.code('importing region (ISO3 or EU27)', 'region'),
    commodity: col.code('commodity id the tariff line covers', 'commodity'),
    hs_code: col.text('HS or national tariff line (or the legal annex that lists the lines)', true),
    description: col.text('tariff line description'),
    layer: col.enumeration('mfn: general rate; preferential: replaces MFN for origin; additional: on top', [
      'mfn',
      'preferential',
      'additional',
    ] as const),
    origin: col.code("origin the rate applies to ('*' for MFN)"),
    kind: col.enumeration('ad valorem (percent) or specific (per unit)', ['ad_valorem', 'specific'] as const),
    rate: col.quantity('duty rate', { min: 0, required: true, unit: 'percent, or the row unit' }),
    unit: col.text("'pct' for ad valorem, else the specific duty's unit (USD/kg, ...)", true),
    effective_from: col.date('date the rate took effect'),
    effective_to: col.date('date the rate ceased (empty when in force)'),
    source: col.source(),
    note: col.note(),
  },
});

export const policyEvents = table({
  name: 'policy_events',
  description: 'Dated export controls and trade measures: what, by whom, on which commodities, toward whom.',
  key: ['id'],
  required: false,
  columns: {
    id: col.code('event id'),
    announced: col.date('date announced'),
    effective: col.date('date in force (empty for an announcement without legal effect)'),
    ends: col.date('date lifted or suspended (empty when open)'),
    actor: col.code('region that imposed it', 'region'),
    kind: col.enumeration('kind of measure', [
      'export_licensing',
      'export_ban',
      // A ban on exports to named end users (military, dual use): it leaves the commodity's trade to the destination open.
      'end_user_ban',
      'export_quota',
      'export_tax',
      'technology_ban',
      'suspension',
      'tariff',
      'price_floor',
      'stockpile',
      'investment',
      'import_ban',
    ] as const),
    commodities: col.list("commodity ids affected, or '*'"),
    destinations: col.list("destination regions, or '*'"),
    description: col.text('what the measure does', true),
    source: col.source(),
    note: col.note(),
  },
});

export const intensities = table({
  name: 'intensities',
  description:
    'Material intensities of downstream goods: how much of a modelled commodity one unit of a good holds (an ' +
    'electric car, a MW of wind turbines, a kWh of battery pack), for the change in material cost per unit under a ' +
    'scenario.',
  key: ['good', 'commodity'],
  required: false,
  columns: {
    good: col.code('downstream good id (ev-car, wind-offshore, battery-nmc811, ...)'),
    good_name: col.text('what the good is, as the source defines it', true),
    per: col.text("the unit of the good the quantity is per: 'vehicle', 'MW', 'kWh'", true),
    commodity: col.code('commodity id the material is counted as', 'commodity'),
    quantity: col.quantity('material in one unit of the good', { min: 0, required: true, unit: 'row unit per good' }),
    unit: col.unit("unit of quantity; must convert to the commodity's unit (kg Li converts to t LCE)"),
    source: col.source(),
    note: col.note(),
  },
});

/** How commodities.csv stage kinds map to the project stages the simulation's parameters name. */
export const STAGE_OF_KIND = { mined: 'mine', refined: 'refinery', component: 'manufacturing' } as const;

export const parameters = table({
  name: 'parameters',
  description:
    'Scalar inputs of the multi-year simulation (MODEL.md §4): cost of capital, lead times and lives of new capacity, ' +
    'ramp-up, price expectations, stockpile budget and release trigger. Stage-specific parameters name the ' +
    'commodities.csv stage_kind they apply to: mined = mine, refined = refinery, component = manufacturing. The range ' +
    '(value_low, value_high) is what Monte Carlo draws from.',
  key: ['id'],
  required: false,
  columns: {
    id: col.code('parameter id, lower_snake_case (the name the simulation asks for)'),
    value: col.quantity('central value', { required: true, unit: 'the unit column' }),
    unit: col.text(
      'unit of value and of its range (fraction per year, years, USD, days, multiple of reference price)',
      true,
    ),
    stage_kind: col.code(
      "the commodities' stage_kind it applies to (mined, refined, component); empty when it applies to all",
      undefined,
      false,
    ),
    description: col.text('what the parameter means and how the model uses it', true),
    range_source: col.code(
      "provenance of value_low/value_high when it differs from the value's (an id in sources.csv or assumptions.csv)",
      'source',
      false,
    ),
    source: col.source(),
    note: col.note(),
  },
});

export const demandGrowth = table({
  name: 'demand_growth',
  description:
    "Annual growth of final demand by commodity, region and sector ('*' for all). A row's rate is the growth from " +
    'year y-1 to year y for every y with from_year <= y <= to_year; periods of the same commodity, region and sector ' +
    'do not overlap. A row for a named region takes precedence over a * row. Mined stages without final demand of ' +
    'their own carry the rate of their refined stage.',
  key: ['commodity', 'region', 'sector', 'from_year'],
  required: false,
  columns: {
    commodity: col.code('commodity id', 'commodity'),
    region: col.code("consuming region, or '*' for all"),
    sector: col.text("end-use sector as named in demand.csv, or '*' for all", true),
    from_year: col.year('first year whose growth (from the year before) the rate gives'),
    to_year: col.year('last year the rate applies to'),
    scenario: col.text("scenario the rate is taken from (e.g. 'IEA STEPS'), or 'assumption'"),
    rate: col.quantity('annual growth rate (0.05 = 5% a year)', { min: -1, required: true, unit: 'fraction per year' }),
    range_source: col.code(
      "provenance of rate_low/rate_high when it differs from the rate's (an id in sources.csv or assumptions.csv)",
      'source',
      false,
    ),
    source: col.source(),
    note: col.note(),
  },
});

/** The kinds of disruption an episode records (the backtest maps them onto the model's shocks). */
export const EPISODE_MEASURES = ['ban', 'quota', 'licensing', 'outage', 'export_suspension'] as const;

export const episodes = table({
  name: 'episodes',
  description:
    'Observed price responses to past supply disruptions of the covered minerals, the evidence a backtest of the ' +
    'model is scored against: one row per episode and price series, with the price before and after the measure in ' +
    'one market and whether that market was on the restricted side. Where a source gives only the change, `multiple` ' +
    '(after / before) stands in for the two levels. Each observation is dated by a from/to pair: equal for a dated ' +
    'assessment, a span for a period average or for an assessment whose exact day the source does not give.',
  key: ['episode', 'market', 'product', 'after_to'],
  required: false,
  columns: {
    episode: col.code('episode id: one measure, or a closely linked set, by one actor (UPPER_SNAKE_CASE)'),
    policy_event: col.code('the measure in policy_events.csv, where it is recorded there', undefined, false),
    commodity: col.code(
      'the modelled commodity the series prices (the nearest one when the product is narrower, e.g. Dy oxide under ' +
        'ndfeb/magnet, whose Dy/Tb-bearing grades the measure covered)',
      'commodity',
    ),
    restricted: col.list(
      'the modelled commodities the measure cut (its cut_share applies to each); differs from `commodity` when the ' +
        'series prices another stage, e.g. an ore export ban observed in the refined-metal price',
      'commodity',
    ),
    product: col.text('the product priced, as the source defines it (grade, form)', true),
    actor: col.code('region that imposed the measure or suffered the outage', 'region'),
    measure: col.enumeration('kind of disruption', EPISODE_MEASURES),
    destinations: col.list("regions the measure restricted, or '*' for all"),
    announced: col.date('date the measure was announced (empty when the sources give no day)'),
    effective: col.date('date the measure took effect (for an outage, the day it began)', true),
    end: col.date('date the measure was lifted or suspended (empty when it was in force at the last observation)'),
    cut_share: col.quantity('share of supply the measure removed, where a source gives it (what of: cut_basis)', {
      min: 0,
      max: 1,
      unit: 'fraction',
    }),
    cut_basis: col.enumeration(
      "what cut_share is a share of: the actor's exports (actor_exports) or world supply (world_supply)",
      ['actor_exports', 'world_supply'] as const,
      false,
    ),
    market: col.text('where the price is assessed (in-warehouse Rotterdam, China domestic, FOB China, ...)', true),
    inside_restriction: col.boolean(
      "the market's buyers are on the restricted side of the measure (cut off from the actor's supply); false for " +
        "the actor's own market and for destinations the measure spares",
      true,
    ),
    price_before: col.quantity('price before the measure (what kind: before_statistic)', {
      min: 0,
      unit: 'the unit column',
    }),
    price_after: col.quantity('price after the measure (what kind: after_statistic)', {
      min: 0,
      unit: 'the unit column',
    }),
    multiple: col.quantity(
      'price after / price before as the source states it (a published percentage change); give it when the ' +
        'source does not give both levels',
      { min: 0, unit: 'ratio' },
    ),
    unit: col.text(
      'unit of the prices as published: <currency>/<scale> <basis> (USD/kg Ga, CNY/t Sb, USD/lb Co)',
      true,
    ),
    before_statistic: col.enumeration('what price_before is: one assessment (spot) or a period average', [
      'spot',
      'average',
    ] as const),
    after_statistic: col.enumeration(
      'what price_after is: one assessment (spot), the highest after the measure (peak) or a period average',
      ['spot', 'peak', 'average'] as const,
    ),
    before_from: col.date('first day of the before observation (its date, for a dated assessment)', true),
    before_to: col.date('last day of the before observation', true),
    after_from: col.date('first day of the after observation', true),
    after_to: col.date('last day of the after observation', true),
    source: col.source(),
    note: col.note(),
  },
});

export const TABLES = {
  sources,
  assumptions,
  regions,
  commodities,
  unit_conversions: unitConversions,
  stage_links: stageLinks,
  production,
  world_totals: worldTotals,
  producers,
  demand,
  prices,
  reserves,
  projects,
  freight,
  tariffs,
  policy_events: policyEvents,
  parameters,
  demand_growth: demandGrowth,
  episodes,
  intensities,
} as const;

export type TableName = keyof typeof TABLES;
/** Any table, seen structurally (TableDef is invariant in its columns because `key` uses keyof). */
export interface AnyTable {
  readonly name: string;
  readonly file: string;
  readonly description: string;
  readonly key: readonly string[];
  readonly columns: Readonly<Record<string, Column<unknown>>>;
  readonly required: boolean;
}
export type RowOf<T> = T extends TableDef<infer C> ? Row<C> : T extends AnyTable ? AnyRow : never;

/** A row of a table whose columns are not known statically. */
export type AnyRow = { readonly [column: string]: unknown } & {
  readonly $origin: RowOrigin;
  readonly $provenance: Readonly<Record<string, CellProvenance>>;
};

export type SourceRow = RowOf<typeof sources>;
export type AssumptionRow = RowOf<typeof assumptions>;
export type RegionRow = RowOf<typeof regions>;
export type CommodityRow = RowOf<typeof commodities>;
export type UnitConversionRow = RowOf<typeof unitConversions>;
export type StageLinkRow = RowOf<typeof stageLinks>;
export type ProductionRow = RowOf<typeof production>;
export type WorldTotalRow = RowOf<typeof worldTotals>;
export type ProducerRow = RowOf<typeof producers>;
export type DemandRow = RowOf<typeof demand>;
export type PriceRow = RowOf<typeof prices>;
export type ReserveRow = RowOf<typeof reserves>;
export type ProjectRow = RowOf<typeof projects>;
export type FreightRow = RowOf<typeof freight>;
export type TariffRow = RowOf<typeof tariffs>;
export type PolicyEventRow = RowOf<typeof policyEvents>;
export type ParameterRow = RowOf<typeof parameters>;
export type DemandGrowthRow = RowOf<typeof demandGrowth>;
export type EpisodeRow = RowOf<typeof episodes>;
export type IntensityRow = RowOf<typeof intensities>;

/** The names a table's CSV header may use: its columns, plus `<col>_source/_low/_high` for provenanced numerics. */
export function allowedHeaders(def: AnyTable): Set<string> {
  const names = new Set<string>();
  for (const [name, column] of Object.entries(def.columns)) {
    names.add(name);
    if (column.meta.provenance) {
      names.add(`${name}_source`);
      names.add(`${name}_low`);
      names.add(`${name}_high`);
    }
  }
  return names;
}
