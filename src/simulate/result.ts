/**
 * What a simulation returns (MODEL.md §4, §6): one record per year, per commodity, for the bloc and the world,
 * in the vocabulary every interface shares (CLI tables, JSON, CSV, the HTML report). Plain data, JSON-safe:
 * a value that does not exist (a price outside the zone when every region is inside) is null, never NaN.
 */
import type { Certificate } from '../equilibrium/solve.ts';
import type { WelfareParts } from '../model/welfare.ts';

/** Quantities below this share of the world's production that year are none (model/statistics.ts). */
export { NEGLIGIBLE_SUPPLY } from '../model/statistics.ts';

export interface CommodityYear {
  /** Commodity id, e.g. 'ndpr/oxide'. */
  readonly commodity: string;
  /** Quantity unit (per year), e.g. 't NdPr-oxide'. */
  readonly unit: string;
  /** Price unit, e.g. 'USD/t NdPr-oxide'. */
  readonly priceUnit: string;
  /** Use-weighted mean price over the bloc's regions. */
  readonly priceInside: number | null;
  /** Use-weighted mean price over the other regions. */
  readonly priceOutside: number | null;
  /** The reference price (floor) in force for the zone, if any. */
  readonly referencePrice: number | null;
  readonly production: number;
  /** Final consumption worldwide. */
  readonly consumption: number;
  readonly blocProduction: number;
  /** Bloc final consumption plus inputs its producers use. */
  readonly blocUse: number;
  /** Bloc final consumption. */
  readonly blocConsumption: number;
  /** Bloc production used in the bloc / bloc use (0–1). */
  readonly selfSufficiency: number | null;
  /** Imports from the dominant supplier / everything the bloc receives: own production kept, imports, releases (0–1). */
  readonly dominantShare: number | null;
  /** Bloc supply by origin: the bloc's own production used at home, then imports by exporting region. */
  readonly supplyByOrigin: readonly { readonly region: string; readonly quantity: number }[];
  /**
   * Herfindahl–Hirschman index of the bloc's supply (MODEL.md §6): the sum of the squared percentage shares of
   * supplyByOrigin (the bloc's own production one origin, each exporter one, its stock releases one), 0–10,000;
   * null where the bloc receives none. Absent in results written before the field existed.
   */
  readonly supplyHhi?: number | null;
  /** Bloc final consumers' spending at equilibrium prices, USD. */
  readonly consumerCost: number;
  /** Border levy collected by members, USD. */
  readonly levyRevenue: number;
  /** Treasury payments under CfDs, USD. */
  readonly cfdCost: number;
  /** Bloc stockpile holdings at the end of the year, in the commodity's unit. */
  readonly stock: number;
  readonly stockBought: number;
  readonly stockReleased: number;
  /** Spending on purchases minus receipts from releases, USD. */
  readonly stockNetCost: number;
  /**
   * Whether a stockpile in force covers the commodity for some member this year: its days of cover are then a
   * figure to read even when it holds nothing (0 days). Absent in results written before the field existed.
   */
  readonly stockpiled?: boolean;
  /**
   * Holdings at the end of the year / the members' average daily net imports the year before (MODEL.md §6, as the
   * IEA counts oil stocks and a stock obligation reads them): each member's own, less stock purchases plus releases,
   * a net exporter's none. Null when the members imported nothing the year before.
   */
  readonly daysOfCover: number | null;
  /** Bloc final demand at the reference price of the base year (grown by the scenario) minus bloc consumption; never negative. */
  readonly consumptionLost: number;
  /** Capacity online in the bloc at the end of the year, in the commodity's unit. */
  readonly blocCapacity: number;
}

export interface YearResult {
  readonly year: number;
  /**
   * The regions the year's bloc figures are over: the zone's members that year; without a zone, the default bloc,
   * or for a twin its pair's bloc (SimulateOptions.blocs).
   */
  readonly bloc: readonly string[];
  readonly commodities: readonly CommodityYear[];
  /** Sums over commodities, USD. */
  readonly totals: {
    readonly consumerCost: number;
    readonly levyRevenue: number;
    readonly cfdCost: number;
    readonly stockNetCost: number;
    /** Value of bloc stocks at bloc prices. */
    readonly stockValue: number;
    /** Value of lost consumption at the base-year reference prices. */
    readonly consumptionLostValue: number;
  };
  /**
   * The welfare split (MODEL.md §6, model/welfare.ts), USD a year summed over commodities: consumer surplus,
   * producer surplus and quota rents by region, and each government's revenue (levies, duties, export taxes, less
   * CfD payments and stock net purchases); `bloc` sums this year's bloc regions, `world` every region. Levels of
   * consumer surplus depend on the demand curves' choke price; the change against a twin with the same curves does
   * not. Absent in results written before the field existed, and in an ensemble's draws (SimulateOptions.noWelfare).
   */
  readonly welfare?: YearWelfare;
  /** Shocks and policy events in force this year, in words. */
  readonly events: readonly string[];
  /** Projects that came online, started construction, or were backed this year. */
  readonly projects: readonly {
    readonly id: string;
    readonly commodity: string;
    readonly region: string;
    readonly event: 'online' | 'construction' | 'backed';
    readonly capacity: number;
    /** Incentive price (cash cost plus capital recovery, before inputs from upstream stages), in the commodity's price unit. */
    readonly incentivePrice: number | null;
  }[];
  readonly certificate: {
    readonly maxResidual: number;
    readonly iterations: number;
    /** With SimulateOptions.priceRanges: the year's open prices and the levy revenue's range (Certificate). */
    readonly openPrices?: Certificate['openPrices'];
    readonly levyRevenueRange?: Certificate['levyRevenueRange'];
    readonly openPricesUnanalysed?: Certificate['openPricesUnanalysed'];
  };
}

/** A year's welfare split (model/welfare.ts's PeriodWelfare), JSON-safe. */
export interface YearWelfare {
  /** Every region of the year's market: whether it is in the year's bloc, and its components. */
  readonly byRegion: readonly ({ readonly region: string; readonly member: boolean } & WelfareParts)[];
  readonly bloc: WelfareParts;
  readonly world: WelfareParts;
  /** Why a consumer surplus (and so a total) is null, where one is. */
  readonly notes?: readonly string[];
}

/** A step of a cost curve: one producer or project, its capacity and its cost. */
export interface CostStep {
  readonly id: string;
  readonly region: string;
  readonly capacity: number;
  /** Unit cost including inputs from upstream stages: cash cost, or incentive price for a project not yet built. */
  readonly cost: number;
  readonly kind: 'producer' | 'project';
  readonly member: boolean;
  readonly dominant: boolean;
}

export interface CostCurve {
  readonly commodity: string;
  readonly year: number;
  readonly unit: string;
  readonly priceUnit: string;
  /** Sorted by cost. */
  readonly steps: readonly CostStep[];
  readonly referencePrice: number | null;
  /** Bloc use that year, for the vertical line on the chart. */
  readonly blocUse: number;
}

export interface SimulationResult {
  readonly scenario: { readonly name: string; readonly title: string; readonly description: string };
  readonly members: readonly string[];
  readonly dominantSupplier: string;
  readonly years: readonly YearResult[];
  /** Cost curves at the start of the zone for the commodities with a reference price. */
  readonly costCurves: readonly CostCurve[];
  /** Things an analyst should know (a target no curve reaches, projects without capacity data, ...). */
  readonly notes: readonly string[];
}

export interface Comparison {
  readonly scenario: SimulationResult;
  readonly against: SimulationResult;
}
