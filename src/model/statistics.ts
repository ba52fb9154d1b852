/**
 * Statistics of one solved period, in one vocabulary for every interface (CLI tables, JSON, reports):
 * prices inside and outside the zone, production and consumption, bloc self-sufficiency, the dominant supplier's
 * share of bloc supply, levy revenue and CfD cost (MODEL.md §6).
 */
import type { EquilibriumSolution } from '../equilibrium/solve.ts';
import type { World } from './world.ts';

export interface CommodityStatistics {
  readonly commodity: string;
  /** Use-weighted mean price over the bloc's nodes (the zone, or the default bloc without a zone); use is final
   * consumption plus inputs to downstream producers. */
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
  /** Bloc production used in the bloc / bloc use. */
  readonly selfSufficiency: number;
  /** Imports from the dominant supplier into members / bloc use. */
  readonly dominantShare: number;
  readonly levyRevenue: number;
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
  readonly cfdCost: number;
}

export function periodStatistics(
  world: World,
  solution: EquilibriumSolution,
  options: { dominantSupplier?: string } = {},
): PeriodStatistics {
  const dominant = options.dominantSupplier ?? 'CHN';
  const members = new Set(world.bloc);
  const { problem } = world;
  const price = new Map(solution.prices.map((p) => [`${p.commodity}|${p.region}`, p.price]));
  const producerPrice = new Map(solution.prices.map((p) => [`${p.commodity}|${p.region}`, p.price + p.exportPremium]));
  // Everything by commodity once (a world has a few hundred of each), and producers by id.
  const byCommodity = <T extends { commodity: string }>(xs: readonly T[]) => {
    const out = new Map<string, T[]>();
    for (const x of xs) {
      const list = out.get(x.commodity);
      if (list) list.push(x);
      else out.set(x.commodity, [x]);
    }
    return out;
  };
  const pricesOf = byCommodity(solution.prices);
  const consumptionOf = byCommodity(solution.consumption);
  const outputsOf = byCommodity(solution.outputs);
  const flowsOf = byCommodity(solution.flows);
  const producersOf = byCommodity(problem.producers);
  const secondary = new Set(problem.producers.filter((p) => p.secondary).map((p) => p.id));
  const out: CommodityStatistics[] = [];
  for (const k of problem.commodities) {
    const prices = pricesOf.get(k) ?? [];
    if (prices.length === 0) continue;
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
    const mean = (inside: boolean) => {
      let q = 0;
      let v = 0;
      for (const [region, quantity] of use) {
        if (members.has(region) !== inside) continue;
        q += quantity;
        v += quantity * (price.get(`${k}|${region}`) ?? 0);
      }
      return q > 0 ? v / q : Number.NaN;
    };
    const outputs = outputsOf.get(k) ?? [];
    const production = outputs.reduce((s, o) => s + o.output, 0);
    const blocProduction = outputs.filter((o) => members.has(o.region)).reduce((s, o) => s + o.output, 0);
    // Inputs used by members' producers of downstream commodities.
    let derived = 0;
    for (const link of links) {
      for (const o of outputsOf.get(link.output) ?? []) {
        if (!members.has(o.region) || secondary.has(o.producer)) continue;
        derived += link.coefficient * o.output;
      }
    }
    const blocFinal = cons.filter((c) => members.has(c.region)).reduce((s, c) => s + c.quantity, 0);
    const blocUse = blocFinal + derived;
    const flows = flowsOf.get(k) ?? [];
    const exportsOut = flows
      .filter((f) => members.has(f.from) && !members.has(f.to))
      .reduce((s, f) => s + f.quantity, 0);
    const fromDominant = flows
      .filter((f) => f.from === dominant && members.has(f.to))
      .reduce((s, f) => s + f.quantity, 0);
    const levyRevenue = flows.reduce((s, f) => s + f.levy * f.quantity, 0);
    let cfdCost = 0;
    const outputOf = new Map(outputs.map((o) => [o.producer, o.output]));
    for (const p of producersOf.get(k) ?? []) {
      if (!p.cfd) continue;
      const o = outputOf.get(p.id) ?? 0;
      const covered = Math.min(o, p.cfd.volume ?? Number.POSITIVE_INFINITY);
      cfdCost += Math.max(0, p.cfd.strike - (producerPrice.get(`${k}|${p.region}`) ?? 0)) * covered;
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
      consumption: cons.reduce((s, c) => s + c.quantity, 0),
      blocUse,
      blocProduction,
      selfSufficiency: blocUse > 0 ? Math.min(1, Math.max(0, blocProduction - exportsOut) / blocUse) : Number.NaN,
      dominantShare: blocUse > 0 ? fromDominant / blocUse : Number.NaN,
      levyRevenue,
      cfdCost,
      consumerSpending: cons.reduce((s, c) => s + c.quantity * (price.get(`${k}|${c.region}`) ?? 0), 0),
    });
  }
  return {
    members: world.bloc,
    dominantSupplier: dominant,
    commodities: out,
    levyRevenue: out.reduce((s, c) => s + c.levyRevenue, 0),
    cfdCost: out.reduce((s, c) => s + c.cfdCost, 0),
  };
}
