/**
 * One period's market problem, as plain data (MODEL.md §2–3): regions, commodities linked by input coefficients,
 * producers with capacity and cash cost, demand curves, routes with freight, tariffs and export taxes, export
 * quotas and bans, the bloc's floors with their border levy, CfDs and stockpile operations.
 *
 * Quantities are in each commodity's unit (per year) and prices in its price unit; the solver rescales internally.
 */

export type DemandCurve =
  /**
   * D(p) = q0 · (p / p0)^elasticity, elasticity < 0. With a `choke` price, buyers go without rather than pay more:
   * at the choke price any part of D(choke) may go unserved (rationed), so the price never rises above it while
   * the curve has demand left — the value of lost load of an electricity market. Without it the curve has no ceiling.
   */
  | {
      readonly kind: 'isoelastic';
      readonly q0: number;
      readonly p0: number;
      readonly elasticity: number;
      readonly choke?: number;
    }
  /** D(p) = max(0, intercept − slope · p), slope > 0. */
  | { readonly kind: 'linear'; readonly intercept: number; readonly slope: number };

export interface Producer {
  readonly id: string;
  readonly region: string;
  readonly commodity: string;
  readonly capacity: number;
  /** Unit cash cost excluding the upstream commodities listed in `inputs` (bought at the region's price). */
  readonly cost: number;
  /** Recycling or scrap: makes the commodity without the upstream inputs of the stage links. */
  readonly secondary?: boolean;
  /** A contract for difference: the producer receives max(price, strike) on up to `volume` units (all if absent). */
  readonly cfd?: { readonly strike: number; readonly volume?: number };
}

/** An aggregate supply curve S(p) = max(0, intercept + slope · p), slope > 0: for textbook cases and cross-checks. */
export interface SupplyCurve {
  readonly region: string;
  readonly commodity: string;
  readonly intercept: number;
  readonly slope: number;
}

export interface Demand {
  readonly region: string;
  readonly commodity: string;
  readonly curve: DemandCurve;
}

/** Costs on shipping a commodity from one region to another; every field defaults to zero. */
export interface RouteTerms {
  /** Unit freight and insurance, in the commodity's price unit. */
  readonly freight?: number;
  /** Ad valorem import duty as a fraction of the CIF value (0.05 = 5%). */
  readonly adValorem?: number;
  /** Specific import duty per unit. */
  readonly specific?: number;
}

/** An export restriction by an origin on a commodity toward some destinations: a quota, or a ban (quota 0). */
export interface ExportRestriction {
  readonly id: string;
  readonly origin: string;
  readonly commodity: string;
  /** Destinations covered; '*' for every other region. */
  readonly destinations: readonly string[] | '*';
  /** Maximum total shipments to those destinations per period; 0 is a ban. */
  readonly quota: number;
}

/** A stockpile operation at a node: buy up to `buyCap` whenever the price is at or below `buyPrice`, release up to `releaseCap` at or above `releasePrice`. */
export interface StockOperation {
  readonly id: string;
  readonly region: string;
  readonly commodity: string;
  readonly buyCap?: number;
  readonly buyPrice?: number;
  readonly releaseCap?: number;
  readonly releasePrice?: number;
  /**
   * A release that serves only the node's own buyers (the rationing of a choked demand curve): it clears the market
   * but is not supply the node can export, and it earns the market price, not an exporter's origin rent.
   */
  readonly local?: boolean;
}

export interface EquilibriumProblem {
  readonly regions: readonly string[];
  readonly commodities: readonly string[];
  /** Bloc members; imports into a member from a non-member pay the levy up to the member's floor. */
  readonly members: readonly string[];
  /** Input coefficients: units of `input` per unit of `output`. */
  readonly links: readonly { readonly output: string; readonly input: string; readonly coefficient: number }[];
  readonly producers: readonly Producer[];
  /** Optional smooth supply curves, in addition to producers. */
  readonly supplies?: readonly SupplyCurve[];
  readonly demands: readonly Demand[];
  /** Route terms by commodity, origin and destination; `default` applies to any pair not listed. */
  readonly routes?: {
    readonly default?: RouteTerms;
    readonly byPair?: readonly ({
      readonly commodity: string;
      readonly from: string;
      readonly to: string;
    } & RouteTerms)[];
  };
  /**
   * Export tax as a fraction of the exporter's home price p (MODEL.md §3.3: cif = p·(1+ex) + λ + t), by origin and
   * commodity: the quota rent λ and the export premium are not taxed.
   */
  readonly exportTaxes?: readonly { readonly origin: string; readonly commodity: string; readonly rate: number }[];
  readonly restrictions?: readonly ExportRestriction[];
  /** Reference prices (floors) by member and commodity, in the commodity's price unit. */
  readonly floors?: readonly { readonly region: string; readonly commodity: string; readonly price: number }[];
  readonly stocks?: readonly StockOperation[];
}
