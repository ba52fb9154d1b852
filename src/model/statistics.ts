/**
 * Statistics of one solved period, in one vocabulary for every interface (CLI tables, JSON, reports):
 * prices inside and outside the zone, production and consumption, bloc self-sufficiency, the dominant supplier's
 * share of bloc supply, levy revenue and CfD cost (MODEL.md §6).
 */
import type { EquilibriumProblem } from '../equilibrium/problem.ts';
import { DEFAULT_TOLERANCE, type EquilibriumSolution } from '../equilibrium/solve.ts';
import { remembered } from '../memo.ts';
import { DEFAULT_DOMINANT_SUPPLIER, type World } from './world.ts';

/**
 * Quantities below this share of the world's production that year are the solver's tolerance, not trade (the
 * certificate holds market clearing to 1e-8 of the market's size): a result reports them as none, and a chart draws
 * them as zero.
 */
export const NEGLIGIBLE_SUPPLY = 1e-6;

export interface CommodityStatistics {
  readonly commodity: string;
  /** Use-weighted mean price over the bloc's nodes (the zone, or the default bloc without a zone); use is final
   * consumption plus inputs to downstream producers. Where the bloc uses none but has buyers (all rationed at their
   * choke price, or a stockpile the only buyer), weighted by what its buyers ask at their reference price; NaN (null
   * in JSON) where it has neither, as for the two shares below where it uses none. */
  readonly priceInside: number;
  /** Use-weighted mean price over the other nodes. */
  readonly priceOutside: number;
  readonly priceMin: number;
  readonly priceMax: number;
  readonly production: number;
  /** Final consumption. */
  readonly consumption: number;
  /** Members' final consumption plus the inputs their producers use. */
  readonly blocUse: number;
  readonly blocProduction: number;
  /**
   * Bloc production used in the bloc / bloc use (MODEL.md §6): the share of what the bloc receives (blocSupply) that
   * is its own production kept at home. The bloc's stock purchases draw on every source in proportion, so a vault
   * buying the bloc's own output counts as neither use nor self-sufficiency (the share stays within 0–1 without a cap);
   * with no purchases blocSupply is bloc use and this is home production / bloc use.
   */
  readonly selfSufficiency: number;
  /**
   * Imports from the dominant supplier into members / everything the bloc receives (blocSupply): on one basis with
   * the other origins, so that the shares of blocSupply add up to 1.
   */
  readonly dominantShare: number;
  /**
   * What the bloc receives (MODEL.md §6's bloc supply), by origin: its own production kept at home ('bloc', always
   * listed), imports by exporting region (largest first), and members' stock releases ('stocks'); a part within
   * NEGLIGIBLE_SUPPLY of world production is none. Stock purchases are among its uses, so imports that go into a
   * vault count here.
   */
  readonly supplyByOrigin: readonly { readonly region: string; readonly quantity: number }[];
  /** The sum of supplyByOrigin. */
  readonly blocSupply: number;
  readonly levyRevenue: number;
  /**
   * Export taxes paid on the good, to the exporters' treasuries (not the zone's): rate × the exporter's home price ×
   * quantity, over every route from a taxing origin (MODEL.md §3.3 taxes the home price).
   */
  readonly exportTaxRevenue: number;
  /** Treasury payments under CfDs: Σ max(0, strike − price) × covered output. */
  readonly cfdCost: number;
  /** Final consumers' spending at equilibrium prices. */
  readonly consumerSpending: number;
}

export interface PeriodStatistics {
  readonly members: readonly string[];
  readonly dominantSupplier: string;
  readonly commodities: readonly CommodityStatistics[];
  readonly levyRevenue: number;
  readonly exportTaxRevenue: number;
  readonly cfdCost: number;
}

type ByCommodity<T> = ReadonlyMap<string, readonly T[]>;

/** A period's solution and problem split by commodity, each part in its list's order. */
export interface PeriodLists {
  readonly prices: ByCommodity<EquilibriumSolution['prices'][number]>;
  readonly consumption: ByCommodity<EquilibriumSolution['consumption'][number]>;
  readonly outputs: ByCommodity<EquilibriumSolution['outputs'][number]>;
  readonly flows: ByCommodity<EquilibriumSolution['flows'][number]>;
  readonly producers: ByCommodity<EquilibriumProblem['producers'][number]>;
  readonly demands: ByCommodity<EquilibriumProblem['demands'][number]>;
}

function byCommodity<T extends { readonly commodity: string }>(xs: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const list = out.get(x.commodity);
    if (list) list.push(x);
    else out.set(x.commodity, [x]);
  }
  return out;
}

/**
 * A period's lists by commodity (a world has a few hundred of each), once: a simulation reads them for its
 * statistics, its investment decisions and its commodity rows, every year of every draw.
 */
export function periodLists(problem: EquilibriumProblem, solution: EquilibriumSolution): PeriodLists {
  return {
    prices: byCommodity(solution.prices),
    consumption: byCommodity(solution.consumption),
    outputs: byCommodity(solution.outputs),
    flows: byCommodity(solution.flows),
    producers: byCommodity(problem.producers),
    demands: byCommodity(problem.demands),
  };
}

/** A commodity's market price by region (what its buyers pay). */
function marketPriceByRegion(prices: readonly EquilibriumSolution['prices'][number][]): Map<string, number> {
  const price = new Map<string, number>();
  for (const p of prices) price.set(p.region, p.price);
  return price;
}

const marketPrices = new WeakMap<PeriodLists, Map<string, ReadonlyMap<string, number>>>();
const earnedPrices = new WeakMap<PeriodLists, Map<string, ReadonlyMap<string, number>>>();

/**
 * marketPriceByRegion of a commodity's prices in a period's lists, once per lists and commodity: the statistics and
 * a simulation's commodity rows both read it.
 */
export function marketPricesIn(lists: PeriodLists, k: string): ReadonlyMap<string, number> {
  return remembered(
    remembered(marketPrices, lists, () => new Map()),
    k,
    () => marketPriceByRegion(lists.prices.get(k) ?? []),
  );
}

/** earnedByRegion of a commodity's prices in a period's lists, once per lists and commodity (as marketPricesIn). */
export function earnedPricesIn(lists: PeriodLists, k: string): ReadonlyMap<string, number> {
  return remembered(
    remembered(earnedPrices, lists, () => new Map()),
    k,
    () => earnedByRegion(lists.prices.get(k) ?? []),
  );
}

/** What producers of a commodity earn by region: its market price plus the export premium. */
function earnedByRegion(prices: readonly EquilibriumSolution['prices'][number][]): Map<string, number> {
  const earned = new Map<string, number>();
  for (const p of prices) earned.set(p.region, p.price + p.exportPremium);
  return earned;
}

/**
 * What a CfD pays a producer in a period: (strike − what the producer earns) × its output up to the CfD's volume. A
 * price within the certificate's precision of the strike is at it: the difference is no payment.
 */
export function cfdPayment(cfd: { readonly strike: number; readonly volume?: number }, output: number, earned: number) {
  const gap = cfd.strike - earned;
  return gap > DEFAULT_TOLERANCE * cfd.strike ? gap * Math.min(output, cfd.volume ?? Number.POSITIVE_INFINITY) : 0;
}

export function periodStatistics(
  world: World,
  solution: EquilibriumSolution,
  options: { dominantSupplier?: string; lists?: PeriodLists } = {},
): PeriodStatistics {
  const dominant = options.dominantSupplier ?? world.dominantSupplier ?? DEFAULT_DOMINANT_SUPPLIER;
  const members = new Set(world.bloc);
  const { problem } = world;
  // No keys are built per price, and the sums run in the lists' order.
  const lists = options.lists ?? periodLists(problem, solution);
  const { prices: pricesOf, consumption: consumptionOf, outputs: outputsOf, flows: flowsOf } = lists;
  const producersOf = lists.producers;
  const secondary = new Set<string>();
  for (const p of problem.producers) if (p.secondary) secondary.add(p.id);
  const out: CommodityStatistics[] = [];
  for (const k of problem.commodities) {
    const prices = pricesOf.get(k) ?? [];
    if (prices.length === 0) continue;
    const price = marketPricesIn(lists, k);
    const cons = consumptionOf.get(k) ?? [];
    const links = problem.links.filter((l) => l.input === k);
    // Weights: final consumption plus inputs used by downstream producers at each node.
    const use = new Map<string, number>();
    for (const c of cons) use.set(c.region, (use.get(c.region) ?? 0) + c.quantity);
    for (const link of links) {
      for (const o of outputsOf.get(link.output) ?? []) {
        if (secondary.has(o.producer)) continue;
        use.set(o.region, (use.get(o.region) ?? 0) + link.coefficient * o.output);
      }
    }
    // Where one side uses none at all (its buyers all rationed at the choke, a stockpile the only buyer), its prices
    // weigh by what its buyers ask at their reference price: a price the bloc pays, or would, is still a price.
    // (Summed only then: a map per commodity and year that a draw seldom reads.)
    const askedOf = () => {
      const asked = new Map<string, number>();
      for (const d of lists.demands.get(k) ?? []) {
        const q = d.curve.kind === 'isoelastic' ? d.curve.q0 : d.curve.intercept;
        asked.set(d.region, (asked.get(d.region) ?? 0) + q);
      }
      return asked;
    };
    const weighted = (weights: ReadonlyMap<string, number>, inside: boolean) => {
      let q = 0;
      let v = 0;
      weights.forEach((quantity, region) => {
        if (members.has(region) !== inside || !price.has(region)) return;
        q += quantity;
        v += quantity * (price.get(region) as number);
      });
      return q > 0 ? v / q : Number.NaN;
    };
    const mean = (inside: boolean) => {
      const byUse = weighted(use, inside);
      return Number.isNaN(byUse) ? weighted(askedOf(), inside) : byUse;
    };
    const outputs = outputsOf.get(k) ?? [];
    let production = 0;
    let blocProduction = 0;
    for (const o of outputs) {
      production += o.output;
      if (members.has(o.region)) blocProduction += o.output;
    }
    // Inputs used by members' producers of downstream commodities.
    let derived = 0;
    for (const link of links) {
      for (const o of outputsOf.get(link.output) ?? []) {
        if (!members.has(o.region) || secondary.has(o.producer)) continue;
        derived += link.coefficient * o.output;
      }
    }
    let consumption = 0;
    let blocFinal = 0;
    let consumerSpending = 0;
    for (const c of cons) {
      consumption += c.quantity;
      if (members.has(c.region)) blocFinal += c.quantity;
      consumerSpending += c.quantity * (price.get(c.region) ?? 0);
    }
    const blocUse = blocFinal + derived;
    let exportsOut = 0;
    let levyRevenue = 0;
    let exportTaxRevenue = 0;
    const origins = new Map<string, number>();
    // The export taxes on k by origin; none in most worlds, and then no map.
    let taxOf: Map<string, number> | undefined;
    for (const e of problem.exportTaxes ?? []) {
      if (e.commodity !== k) continue;
      taxOf ??= new Map();
      taxOf.set(e.origin, e.rate);
    }
    for (const f of flowsOf.get(k) ?? []) {
      const fromMember = members.has(f.from);
      const toMember = members.has(f.to);
      if (fromMember && !toMember) exportsOut += f.quantity;
      if (toMember && !fromMember) origins.set(f.from, (origins.get(f.from) ?? 0) + f.quantity);
      levyRevenue += f.levy * f.quantity;
      const rate = taxOf?.get(f.from);
      if (rate !== undefined) exportTaxRevenue += rate * (price.get(f.from) ?? 0) * f.quantity;
    }
    let released = 0;
    for (const s of solution.stocks) if (s.commodity === k && members.has(s.region)) released += s.released;
    // Supply within the solver's tolerance of none is none: production and exports that cancel leave 1e-8 at home, a
    // route tied at its margin a hair of flow.
    const negligible = NEGLIGIBLE_SUPPLY * production;
    const produced = Math.max(0, blocProduction - exportsOut);
    const home = produced > negligible ? produced : 0;
    const imports: { region: string; quantity: number }[] = [];
    origins.forEach((quantity, region) => {
      if (quantity > negligible) imports.push({ region, quantity });
    });
    imports.sort((a, b) => b.quantity - a.quantity);
    const supplyByOrigin = [
      { region: 'bloc', quantity: home },
      ...imports,
      ...(released > negligible ? [{ region: 'stocks', quantity: released }] : []),
    ];
    const blocSupply = supplyByOrigin.reduce((t, o) => t + o.quantity, 0);
    const fromDominant = supplyByOrigin.find((o) => o.region === dominant)?.quantity ?? 0;
    let cfdCost = 0;
    const covered = (producersOf.get(k) ?? []).filter((p) => p.cfd);
    if (covered.length > 0) {
      const outputOf = new Map(outputs.map((o) => [o.producer, o.output]));
      const earned = earnedPricesIn(lists, k);
      for (const p of covered)
        cfdCost += cfdPayment(p.cfd as NonNullable<typeof p.cfd>, outputOf.get(p.id) ?? 0, earned.get(p.region) ?? 0);
    }
    let priceMin = Number.POSITIVE_INFINITY;
    let priceMax = Number.NEGATIVE_INFINITY;
    for (const p of prices) {
      priceMin = Math.min(priceMin, p.price);
      priceMax = Math.max(priceMax, p.price);
    }
    out.push({
      commodity: k,
      priceInside: mean(true),
      priceOutside: mean(false),
      priceMin,
      priceMax,
      production,
      consumption,
      blocUse,
      blocProduction,
      selfSufficiency: blocUse > 0 ? (blocSupply > 0 ? home / blocSupply : 0) : Number.NaN,
      // None where the bloc receives nothing beyond the solver's tolerance, as where it uses none.
      dominantShare: blocSupply > 0 ? fromDominant / blocSupply : Number.NaN,
      supplyByOrigin,
      blocSupply,
      levyRevenue,
      exportTaxRevenue,
      cfdCost,
      consumerSpending,
    });
  }
  return {
    members: world.bloc,
    dominantSupplier: dominant,
    commodities: out,
    levyRevenue: out.reduce((s, c) => s + c.levyRevenue, 0),
    exportTaxRevenue: out.reduce((s, c) => s + c.exportTaxRevenue, 0),
    cfdCost: out.reduce((s, c) => s + c.cfdCost, 0),
  };
}
