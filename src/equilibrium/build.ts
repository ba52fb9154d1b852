/**
 * Turns one chain of an EquilibriumProblem (commodities joined by input coefficients) into a box MCP
 * (MODEL.md §3), with every variable and condition scaled so that 1 means "the size of this market":
 * quantities by the commodity's market size, prices by its reference price.
 *
 *   price p[r,k]     >= 0             ⊥  supply + imports − exports − demand − derived − stock change >= 0
 *   output q[j]      in [0, K_j]      ⊥  cost_j + Σ_m a[k,m]·p[r,m] − max(p + mu, strike) (box)
 *   flow x[r,s,k]    >= 0             ⊥  landed[r,s] − p[s] >= 0
 *   rent lam[ρ]      >= 0             ⊥  quota_ρ − Σ_{routes of ρ} x >= 0
 *   origin mu[r,k]   >= 0             ⊥  own production + releases − exports >= 0   (no re-export: goods shipped
 *                                        on through a third country keep their origin, so they cannot escape a ban)
 *   vault buy b      in [0, buy cap]  ⊥  p − buy price (box)
 *   vault release v  in [0, rel cap]  ⊥  release price − p (box)
 *
 * landed = max(floor_s, duty_paid) on a non-member → member route with a floor, else duty_paid, where
 * duty_paid = (p[r]·(1 + ex[r]) + Σ lam + mu[r] + freight)·(1 + av) + specific.
 *
 * A model is a structure (structure.ts: the variables, the conditions' index arrays and the Jacobian's pattern,
 * built once per shape of market and cached) bound to the numbers of one problem (conditions.ts: curves, costs,
 * route terms, scales). Scales and starting points come from the pooled market (one market per commodity, no trade
 * costs) solved exactly on its own small model, then a transportation problem routes its trade (transportStart).
 */
import { remembered } from '../memo.ts';
import { type ConditionData, constantEntries, evaluateConditions, kinkStep } from './conditions.ts';
import { solveInterior } from './interior.ts';
import type { Mcp } from './mcp.ts';
import type { DemandCurve, EquilibriumProblem, Producer, RouteTerms, StockOperation } from './problem.ts';
import {
  type AgentShape,
  type ChainInputs,
  type ChainStructure,
  chainInputs,
  FLOW,
  type Link,
  matchOf,
  type NodeRef,
  nodeKey,
  ORIGIN,
  type OriginShape,
  OUTPUT,
  PRICE,
  pooledInputs,
  type QuotaShape,
  RENT,
  type RouteShape,
  regionIn,
  type StockShape,
  structureOf,
  type VariableInfo,
} from './structure.ts';
import { atLeast, borrowFloats, borrowInts, carveFloats, returnFloats, returnInts } from './workspace.ts';

export type { VariableInfo, VariableKind } from './structure.ts';
export { variableKey } from './structure.ts';

export interface ChainModel {
  readonly structure: ChainStructure;
  readonly inputs: ChainInputs;
  readonly commodities: readonly string[];
  readonly variables: readonly VariableInfo[];
  /** Per variable, in solver units: bounds, the multiplier to model units, and the scale of its condition. */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly scale: Float64Array;
  readonly conditionScale: Float64Array;
  readonly nodes: readonly NodeRef[];
  readonly agents: readonly AgentShape[];
  readonly routes: readonly RouteShape[];
  readonly quotas: readonly QuotaShape[];
  readonly origins: readonly OriginShape[];
  readonly stocks: readonly StockShape[];
  /** Market size and reference price per commodity (by its index in `commodities`): the scales. */
  readonly quantityScale: Float64Array;
  readonly priceScale: Float64Array;
  /**
   * Per commodity, the reference price from the data alone (mean reference price of its demand curves, else its
   * largest cost; at least its inputs' value): `priceScale` before the pooled market raised it.
   */
  readonly referencePrice: Float64Array;
  /** The numbers of the conditions (route terms, strikes, ...), as the evaluation uses them. */
  readonly data: ConditionData;
  /** The conditions with a tiny tie-breaking slope (for the semismooth Newton fallbacks). */
  readonly mcp: Mcp;
  /** The exact conditions (no tie-breaking), with a fixed Jacobian pattern: what the interior-point method solves. */
  readonly exact: Mcp;
  /** A starting point in solver variables. */
  readonly start: Float64Array;
  /**
   * 1 for the variables whose value in `start` an export ban decides (the banned side's prices at the price its own
   * supply clears at, the allowed exporters' outputs, origin rents and flows to it): where a ban is new, a warm start
   * from the world before it takes these from `start`, not from a solution that knew nothing of the split.
   */
  readonly banStart: Uint8Array;
  /**
   * The start for the interior-point method: `start` with trade routed. The pooled market's net supplies and
   * demands are shipped along the cheapest routes (least-cost rule of the transportation problem), and each market's
   * price is set where those routes leave no arbitrage (landed cost = destination price), around the pooled price.
   */
  readonly interiorStart: () => { start: Float64Array; iterations: number; evaluations: number };
  /**
   * A first working set of routes for the interior-point method, as the flows to leave out (1 = excluded): all but
   * the `keep` cheapest routes into each destination and out of each origin, by the arbitrage condition at z
   * (landed cost over destination price); routes carrying more than a token flow at z always stay in.
   */
  readonly excludedRoutes: (z: Float64Array, keep: number) => Uint8Array;
  /** The same problem with a stronger tie-breaking slope: the continuation path for degenerate markets. */
  readonly withTieBreak: (epsilon: number) => Mcp;
  /** F without the tie-breaking term: what the certificate is measured on. */
  readonly evaluateExact: (z: Float64Array, f: Float64Array) => void;
  /** Solver coordinate of variable i holding the model value `value` (the inverse of modelValue). */
  readonly toSolver: (i: number, value: number) => number;
  /** The model value (price, quantity) of solver variable i at solver point z. */
  readonly modelValue: (z: Float64Array, i: number) => number;
  /** Final demand at a price node (variable index) at price p, in model units. */
  readonly demandAt: (node: number, p: number) => number;
  /** Output of the node's supply curves when its producers earn `earned` (price plus export premium). */
  readonly curveSupplyAt: (node: number, earned: number) => number;
  /**
   * Hands the model's arrays back for the next model of the same structure. The model (its bounds, scales, start and
   * conditions) must not be used afterwards.
   */
  readonly release: () => void;
}

type RoutePairs = NonNullable<NonNullable<EquilibriumProblem['routes']>['byPair']>;
const NO_PAIRS: RoutePairs = [];

/** Whether two route tables list the same pairs (commodity, origin, destination) in the same order. */
function samePairs(a: RoutePairs, b: RoutePairs): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as RoutePairs[number];
    const y = b[i] as RoutePairs[number];
    if (x.commodity !== y.commodity || x.from !== y.from || x.to !== y.to) return false;
  }
  return true;
}

/**
 * The first table seen with each list of pairs, most recent first (a few: a simulation's tables with and without a
 * zone, say). A new table with the same pairs in the same order maps to it, after one pass comparing them: the draws
 * of an ensemble price their routes on tables that differ only in their numbers (model/world.ts).
 */
const recentPairs: RoutePairs[] = [];
const RECENT_PAIRS = 8;
const pairsCache = new WeakMap<RoutePairs, RoutePairs>();

function pairsOf(table: RoutePairs): RoutePairs {
  return remembered(pairsCache, table, () => {
    const same = recentPairs.find((r) => samePairs(r, table));
    if (same) return same;
    recentPairs.unshift(table);
    if (recentPairs.length > RECENT_PAIRS) recentPairs.pop();
    return table;
  });
}

/** Each pair's position in a list of pairs (its last entry), by commodity, origin and destination. */
type PairIndex = Map<string, Map<string, Map<string, number>>>;
const pairIndexes = new WeakMap<RoutePairs, PairIndex>();

function pairIndexOf(pairs: RoutePairs): PairIndex {
  return remembered(pairIndexes, pairs, () => {
    const index: PairIndex = new Map();
    pairs.forEach((t, position) => {
      const byOrigin = remembered(index, t.commodity, () => new Map<string, Map<string, number>>());
      remembered(byOrigin, t.from, () => new Map<string, number>()).set(t.to, position);
    });
    return index;
  });
}

/**
 * A route's terms as the engine reads them (MODEL.md §3, condition 3): the table's last entry for the pair, field by
 * field over the table's default, else none. For reading a solved problem's routes (model/welfare.ts): the index is
 * the one the engine builds per list of pairs.
 */
export function routeTermsOf(
  routes: EquilibriumProblem['routes'],
): (k: string, from: string, to: string) => Required<RouteTerms> {
  const table = routes?.byPair ?? NO_PAIRS;
  const index = pairIndexOf(pairsOf(table));
  const fallback = routes?.default;
  return (k, from, to) => {
    const p = index.get(k)?.get(from)?.get(to);
    const terms = p === undefined ? undefined : table[p];
    return {
      freight: terms?.freight ?? fallback?.freight ?? 0,
      adValorem: terms?.adValorem ?? fallback?.adValorem ?? 0,
      specific: terms?.specific ?? fallback?.specific ?? 0,
    };
  };
}

/**
 * Where each of a structure's routes is listed in a route table (its last entry for the pair, which is the one that
 * counts; −1: not listed), once per structure and list of pairs.
 */
const routePositions = new WeakMap<ChainStructure, WeakMap<RoutePairs, Int32Array>>();

function positionsOf(structure: ChainStructure, table: RoutePairs): Int32Array {
  const pairs = pairsOf(table);
  return remembered(
    remembered(routePositions, structure, () => new WeakMap()),
    pairs,
    () => {
      const index = pairIndexOf(pairs);
      return Int32Array.from(structure.routes, (r) => {
        const from = structure.variables[r.from] as VariableInfo;
        const to = structure.variables[r.to] as VariableInfo;
        return index.get(from.commodity)?.get(from.region)?.get(to.region) ?? -1;
      });
    },
  );
}

/** Duty-paid value and levy per unit of route k (MODEL.md §3, condition 3) at model values `values`. */
export function routeLevy(model: ChainModel, values: Float64Array, k: number): { dutyPaid: number; levy: number } {
  const { data } = model;
  const route = model.routes[k] as ChainModel['routes'][number];
  let rent = 0;
  for (const q of route.rents) rent += values[q] as number;
  const dutyPaid =
    ((values[route.from] as number) * (data.rTax[k] as number) + rent + (data.rFreight[k] as number)) *
      (data.rMarkup[k] as number) +
    (data.rSpecific[k] as number);
  const floor = data.rFloor[k] as number;
  return { dutyPaid, levy: Number.isNaN(floor) ? 0 : Math.max(0, floor - dutyPaid) };
}

/** Levy × quantity summed over the chain's routes at model values `values`. */
export function levyRevenueAt(model: ChainModel, values: Float64Array): number {
  let total = 0;
  for (let k = 0; k < model.routes.length; k++) {
    const quantity = values[(model.routes[k] as ChainModel['routes'][number]).variable] as number;
    if (quantity > 0) total += quantity * routeLevy(model, values, k).levy;
  }
  return total;
}

/** A starting point for `to` from a solved point of `from`: shared variables keep their values, new ones `to.start`. */
export function warmStart(from: ChainModel, z: Float64Array, to: ChainModel): Float64Array {
  const match = matchOf(from.structure, to.structure);
  const out = Float64Array.from(to.start);
  for (let i = 0; i < match.length; i++) {
    const j = match[i] as number;
    if (j < 0) continue;
    const value = from.modelValue(z, j);
    if (Number.isFinite(value)) out[i] = to.toSolver(i, value);
  }
  return out;
}

/** The flow every route starts with (a share of the market), unless the start knows better. */
const TOKEN_FLOW = 1e-3;

/** Relative difference of a producer's unit cost from the price within which the start counts it at the margin. */
const MARGIN_ROUNDING = 1e-9;

/** Relative tie-breaking slope on outputs and flows (see conditions.ts). */
const TIE_BREAK = 1e-10;

/** Demand at price p (model units) and its derivative. */
export function demandAt(curve: DemandCurve, p: number): [number, number] {
  if (curve.kind === 'isoelastic') {
    const pe = Math.max(p, curve.p0 * 1e-9);
    const d = curve.q0 * (pe / curve.p0) ** curve.elasticity;
    return [d, p > pe ? 0 : (curve.elasticity * d) / pe];
  }
  const d = curve.intercept - curve.slope * p;
  return d > 0 ? [d, -curve.slope] : [0, 0];
}

/** Total demand of several curves at price p, and its derivative. */
export function totalDemandAt(curves: readonly DemandCurve[], p: number): [number, number] {
  return [totalDemand(curves, p), totalDemandSlope(curves, p)];
}

/** Total demand of several curves at price p (no allocation). */
function totalDemand(curves: readonly DemandCurve[], p: number): number {
  let d = 0;
  for (const c of curves) d += curveDemand(c, p);
  return d;
}

/** Demand of one curve at price p (isoelastic: flat below 1e-9 of its reference price, as the conditions hold it). */
export function curveDemand(c: DemandCurve, p: number): number {
  return c.kind === 'isoelastic'
    ? c.q0 * (Math.max(p, c.p0 * 1e-9) / c.p0) ** c.elasticity
    : Math.max(0, c.intercept - c.slope * p);
}

function totalDemandSlope(curves: readonly DemandCurve[], p: number): number {
  let slope = 0;
  for (const c of curves) slope += demandAt(c, p)[1];
  return slope;
}
/** A commodity's pooled market (pooledPrices): its producers, curves and links, grouped once per estimate. */
interface PooledMarket {
  readonly producers: PooledProducer[];
  readonly supplies: { intercept: number; slope: number }[];
  readonly linear: { intercept: number; slope: number }[];
  /** Isoelastic demand: q0 per curve and, per curve, its term among the distinct (elasticity, log p0) pairs. */
  readonly isoQ: number[];
  readonly isoTerm: number[];
  readonly termE: number[];
  readonly termLog: number[];
  /** Per term: value of the evaluation point */
  readonly termValue: number[];
  readonly inputs: { output: string; input: string; coefficient: number }[];
  readonly users: { output: string; input: string; coefficient: number }[];
  primary: number;
  other: number;
  feedable: number;
  /** The last search's thresholds, amounts and derived demand, and the price it found. */
  lastThreshold: number[] | undefined;
  lastAmount: number[];
  lastDerived: number;
  lastPrice: number;
}

/** Whether a pooled market's search has the numbers of its last one (and so finds the same price). */
function sameSearch(
  m: PooledMarket,
  threshold: readonly number[],
  amount: readonly number[],
  derived: number,
): boolean {
  const last = m.lastThreshold;
  if (!last || last.length !== threshold.length || !Object.is(m.lastDerived, derived)) return false;
  for (let i = 0; i < last.length; i++) {
    if (!Object.is(last[i], threshold[i]) || !Object.is(m.lastAmount[i], amount[i])) return false;
  }
  return true;
}
interface PooledProducer {
  commodity: string;
  capacity: number;
  cost: number;
  secondary?: boolean;
  cfd?: { strike: number };
}

/** log(1e-9): isoelastic demand is held flat below 1e-9 of its reference price. */
const LOG_FLAT = Math.log(1e-9);

/**
 * Excess supply of a pooled market at price p: producers whose threshold p reaches, supply curves, less final demand
 * (isoelastic in logs, q0·exp(ε·(log p − log p0)); one exponential per distinct elasticity and reference price) and
 * `derived` demand.
 */
function pooledExcess(
  m: PooledMarket,
  threshold: readonly number[],
  amount: readonly number[],
  derived: number,
  p: number,
): number {
  let s = 0;
  for (let i = 0; i < threshold.length; i++) if ((threshold[i] as number) <= p) s += amount[i] as number;
  for (const c of m.supplies) s += Math.max(0, c.intercept + c.slope * p);
  const logP = Math.log(p);
  const { termE, termLog, termValue, isoQ, isoTerm } = m;
  for (let j = 0; j < termE.length; j++) {
    const l = termLog[j] as number;
    termValue[j] = Math.exp((termE[j] as number) * (Math.max(logP, l + LOG_FLAT) - l));
  }
  for (let i = 0; i < isoQ.length; i++) s -= (isoQ[i] as number) * (termValue[isoTerm[i] as number] as number);
  for (const c of m.linear) s -= Math.max(0, c.intercept - c.slope * p);
  return s - derived;
}

/**
 * The price at which each commodity's pooled world market clears, ignoring trade costs: upstream first (inputs at
 * their pooled prices), derived demand from downstream capacity at first and from downstream output on a second pass.
 * Only a starting point for Newton. `scale` holds the reference price of each commodity of the chain, by position.
 */
function pooledPrices(
  chain: readonly string[],
  links: readonly { output: string; input: string; coefficient: number }[],
  producers: readonly PooledProducer[],
  supplies: readonly { commodity: string; intercept: number; slope: number }[],
  demands: readonly { commodity: string; curve: DemandCurve }[],
  scale: Float64Array,
): Map<string, number> {
  const markets = new Map<string, PooledMarket>();
  for (const k of chain) {
    markets.set(k, {
      producers: [],
      supplies: [],
      linear: [],
      isoQ: [],
      isoTerm: [],
      termE: [],
      termLog: [],
      termValue: [],
      inputs: [],
      users: [],
      primary: 0,
      other: 0,
      feedable: 1,
      lastThreshold: undefined,
      lastAmount: [],
      lastDerived: 0,
      lastPrice: 0,
    });
  }
  for (const p of producers) markets.get(p.commodity)?.producers.push(p);
  for (const c of supplies) markets.get(c.commodity)?.supplies.push(c);
  for (const d of demands) {
    const m = markets.get(d.commodity);
    const c = d.curve;
    if (!m) continue;
    if (c.kind === 'linear') {
      m.linear.push(c);
      continue;
    }
    const log = Math.log(c.p0);
    let term = 0;
    while (term < m.termE.length && !(m.termE[term] === c.elasticity && m.termLog[term] === log)) term++;
    if (term === m.termE.length) {
      m.termE.push(c.elasticity);
      m.termLog.push(log);
      m.termValue.push(0);
    }
    m.isoQ.push(c.q0);
    m.isoTerm.push(term);
  }
  for (const l of links) {
    markets.get(l.output)?.inputs.push(l);
    markets.get(l.input)?.users.push(l);
  }
  const market = (k: string) => markets.get(k) as PooledMarket;
  // Topological order: a commodity after its inputs.
  const order: string[] = [];
  const visit = (k: string) => {
    if (order.includes(k)) return;
    for (const l of markets.get(k)?.inputs ?? []) visit(l.input);
    order.push(k);
  };
  for (const k of chain) visit(k);
  for (const m of markets.values()) {
    let primary = 0;
    let other = 0;
    for (const p of m.producers) primary += p.secondary ? 0 : p.capacity;
    for (const p of m.producers) other += p.secondary ? p.capacity : 0;
    let curves = 0;
    for (const c of m.supplies) curves += Math.max(0, c.intercept);
    m.primary = primary;
    m.other = other + curves;
  }
  // How much of a commodity's primary capacity its inputs can feed (1 when inputs are ample).
  const available = new Map<string, number>();
  for (const k of order) {
    const m = market(k);
    let ratio = 1;
    const primary = m.primary;
    for (const l of m.inputs) {
      if (primary > 0 && l.coefficient > 0)
        ratio = Math.min(ratio, (available.get(l.input) ?? 0) / (l.coefficient * primary));
    }
    m.feedable = Math.max(0, ratio);
    available.set(k, primary * Math.max(0, ratio) + m.other);
  }
  const price = new Map<string, number>();
  const output = new Map<string, number>();
  const unitCost = (p: PooledProducer) => {
    let c = p.cost;
    if (!p.secondary) for (const l of market(p.commodity).inputs) c += l.coefficient * (price.get(l.input) ?? 0);
    return c;
  };
  const threshold: number[] = [];
  const amount: number[] = [];
  for (const pass of [0, 1]) {
    for (const k of order) {
      const m = market(k);
      let derived = 0;
      for (const l of m.users) {
        const user = market(l.output);
        const capacity = user.primary * user.feedable;
        derived += l.coefficient * (pass === 0 ? capacity : Math.min(capacity, output.get(l.output) ?? capacity));
      }
      // Each producer's threshold and the quantity it adds above it.
      const ratio = m.feedable;
      threshold.length = 0;
      amount.length = 0;
      for (const q of m.producers) {
        threshold.push(Math.min(unitCost(q), q.cfd?.strike ?? Number.POSITIVE_INFINITY));
        amount.push(q.secondary ? q.capacity : q.capacity * ratio);
      }
      // Search from 1e-6 to 1e8 times the reference. If the pooled market cannot clear there (the estimate holds
      // derived demand fixed, so a scarce input looks unclearable), keep the reference price for now. The second
      // pass finds the first's price again where nothing it depends on moved (a commodity without inputs or users).
      const ref = scale[chain.indexOf(k)] ?? 1;
      let lo = ref * 1e-6;
      let hi = ref * 1e8;
      let p: number;
      if (sameSearch(m, threshold, amount, derived)) p = m.lastPrice;
      else if (pooledExcess(m, threshold, amount, derived, lo) >= 0) p = lo;
      else if (pooledExcess(m, threshold, amount, derived, hi) < 0) p = ref;
      else {
        // 16 halvings of a range of 1e14 (in logs) leave a relative width below 5e-4: plenty for a starting point.
        for (let i = 0; i < 16; i++) {
          const mid = Math.sqrt(lo * hi);
          if (pooledExcess(m, threshold, amount, derived, mid) >= 0) hi = mid;
          else lo = mid;
        }
        p = hi;
      }
      m.lastThreshold = threshold.slice();
      m.lastAmount = amount.slice();
      m.lastDerived = derived;
      m.lastPrice = p;
      price.set(k, p);
      let made = 0;
      for (const q of m.producers) if (unitCost(q) <= p) made += q.secondary ? q.capacity : q.capacity * ratio;
      output.set(k, made);
    }
    // A scarce input earns the downstream margin: its price rises to what the cheapest user can pay for it.
    for (let o = order.length - 1; o >= 0; o--) {
      const k = order[o] as string;
      const m = market(k);
      for (const l of m.inputs) {
        if (m.feedable >= 1) continue;
        let cheapest = Number.POSITIVE_INFINITY;
        let users = 0;
        for (const p of m.producers) {
          if (p.secondary) continue;
          users++;
          cheapest = Math.min(cheapest, p.cost);
        }
        if (users === 0) continue;
        const margin = (price.get(k) ?? 0) - cheapest;
        let others = 0;
        for (const x of m.inputs) if (x.input !== l.input) others += x.coefficient * (price.get(x.input) ?? 0);
        const bid = (margin - others) / l.coefficient;
        if (bid > (price.get(l.input) ?? 0)) price.set(l.input, bid);
      }
    }
  }
  return price;
}

/**
 * For a commodity under export bans: the price at which the banned destinations' own market clears when only the
 * origins not banned toward them can serve it (each at full capacity when its cost is below that price) and the
 * destinations' own releases (a vault's, or the rationing of a choked demand curve) run in full at or above their
 * release price. Only a starting point; absent when the ban leaves that market no dearer than the pooled one.
 *
 * The releases matter: without them a ban that cuts most of a market's supply would put its start (and the scale of
 * every price of the chain) where the uncapped isoelastic curve clears, thousands of times above the choke price the
 * market actually stops at; the interior-point method then works with its real prices at 1e-5 of their scale.
 */
function bannedGroupPrices(
  chain: readonly string[],
  restrictions: readonly { origin: string; commodity: string; destinations: readonly string[] | '*'; quota: number }[],
  producers: readonly { region: string; commodity: string; capacity: number; cost: number }[],
  demands: readonly { region: string; commodity: string; curve: DemandCurve }[],
  stocks: readonly StockOperation[],
  pooled: ReadonlyMap<string, number>,
): Map<string, { price: number; destinations: Set<string> }> {
  const out = new Map<string, { price: number; destinations: Set<string> }>();
  for (const k of chain) {
    const bans = restrictions.filter((r) => r.commodity === k && r.quota <= 0);
    if (bans.length === 0) continue;
    const everyone = new Set([...producers.map((p) => p.region), ...demands.map((d) => d.region)]);
    const destinations = new Set<string>();
    for (const b of bans)
      for (const r of b.destinations === '*' ? everyone : b.destinations) if (r !== b.origin) destinations.add(r);
    const origins = new Set(bans.map((b) => b.origin));
    const allowed = producers.filter((p) => p.commodity === k && !origins.has(p.region));
    const curves = demands.filter((d) => d.commodity === k && destinations.has(d.region)).map((d) => d.curve);
    const releases = stocks.filter(
      (s) =>
        s.commodity === k &&
        destinations.has(s.region) &&
        (s.releaseCap ?? 0) > 0 &&
        s.releasePrice !== undefined &&
        Number.isFinite(s.releasePrice),
    );
    const base = pooled.get(k) ?? 1;
    // Summed in loops: the bisection below asks it a hundred times a bind, and two filtered copies a time were
    // most of what a ban year's bind allocated.
    const excess = (p: number) => {
      let supply = 0;
      for (const q of allowed) if (q.cost <= p) supply += q.capacity;
      let released = 0;
      for (const r of releases) if ((r.releasePrice as number) <= p) released += r.releaseCap as number;
      return supply + released - totalDemand(curves, p);
    };
    if (curves.length === 0 || excess(base) >= 0) continue;
    let lo = base;
    let hi = base * 1e8;
    if (excess(hi) < 0) continue;
    for (let i = 0; i < 80; i++) {
      const mid = Math.sqrt(lo * hi);
      if (excess(mid) >= 0) hi = mid;
      else lo = mid;
    }
    // Where a release price is what clears the market (the excess jumps there), start exactly at it, not a hair
    // above: a price above a choke would have every buyer there rationed at once.
    for (const s of releases) {
      const r = s.releasePrice as number;
      if (r >= lo && r <= hi && excess(r) >= 0) hi = Math.min(hi, r);
    }
    out.set(k, { price: hi, destinations });
  }
  return out;
}

/** Splits the problem's commodities into chains: connected components of the input-coefficient graph. */
export function chainsOf(problem: EquilibriumProblem): string[][] {
  const parent = new Map(problem.commodities.map((c) => [c, c]));
  const find = (c: string): string => {
    let r = c;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    parent.set(c, r);
    return r;
  };
  for (const l of problem.links) parent.set(find(l.output), find(l.input));
  const groups = new Map<string, string[]>();
  for (const c of problem.commodities) {
    const root = find(c);
    groups.set(root, [...(groups.get(root) ?? []), c]);
  }
  return [...groups.values()];
}

const POOLED_TOLERANCE = 1e-2;

export interface BuildOptions {
  /**
   * Prices per commodity known to be about right (from a warm start): they set the scales, and the pooled market
   * is then solved only if the cold start is asked for.
   */
  readonly priceHints?: ReadonlyMap<string, number>;
  /** Milliseconds added per phase: 'pooled' (the pooled market's solve) and 'start' (routing its trade). */
  readonly timings?: Record<string, number> | undefined;
}

export function buildChain(
  problem: EquilibriumProblem,
  chain: readonly string[],
  options: BuildOptions = {},
): ChainModel {
  return bindChain(chainInputs(problem, chain), options);
}

/** Released models, one per structure, ready to take the numbers of the next problem of that shape. */
const spareModels = new WeakMap<ChainStructure, Model>();

/** The model of a chain's inputs: its structure (cached by shape) bound to the inputs' numbers. */
export function bindChain(inputs: ChainInputs, { priceHints, timings }: BuildOptions = {}): ChainModel {
  const structure = structureOf(inputs);
  let model = spareModels.get(structure);
  if (model && model.demandCount === inputs.demands.length) spareModels.delete(structure);
  else model = new Model(structure, inputs.demands.length);
  model.timings = timings;
  model.bind(inputs, priceHints);
  return model;
}

interface PooledSolution {
  readonly prices: Map<string, number>;
  readonly outputs: Map<string, number>;
  readonly iterations: number;
  readonly evaluations: number;
}

/**
 * A chain's model: its structure and, in arrays allocated once per model, the numbers of the problem it was last
 * bound to. A released model (release()) is bound again to the next problem of the same structure, so a simulation
 * or an ensemble allocates nothing per solve for its models.
 */
class Model implements ChainModel {
  readonly structure: ChainStructure;
  readonly demandCount: number;
  readonly commodities: readonly string[];
  readonly variables: readonly VariableInfo[];
  readonly nodes: readonly NodeRef[];
  readonly agents: readonly AgentShape[];
  readonly routes: readonly RouteShape[];
  readonly quotas: readonly QuotaShape[];
  readonly origins: readonly OriginShape[];
  readonly stocks: readonly StockShape[];
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly scale: Float64Array;
  readonly conditionScale: Float64Array;
  readonly quantityScale: Float64Array;
  readonly priceScale: Float64Array;
  readonly referencePrice: Float64Array;
  readonly start: Float64Array;
  readonly banStart: Uint8Array;
  readonly data: ConditionData;
  readonly exact: Mcp;
  readonly mcp: Mcp;
  inputs!: ChainInputs;
  timings: Record<string, number> | undefined;
  // Per commodity (by index in the chain): capacity, largest cost, reference demand, sum and count of reference
  // prices (the scales' inputs), and the pooled market's price.
  private readonly capacity: Float64Array;
  private readonly maxCost: Float64Array;
  private readonly demand: Float64Array;
  private readonly p0Sum: Float64Array;
  private readonly p0Count: Float64Array;
  private readonly triplets: Float64Array;
  private pooled: ReadonlyMap<string, number> = new Map();
  private banned: ReadonlyMap<string, { price: number; destinations: Set<string> }> = new Map();
  private pooledSolve: PooledSolution | undefined;
  private pooledTried = false;
  private interiorStartMemo: { start: Float64Array; iterations: number; evaluations: number } | undefined;

  constructor(structure: ChainStructure, demandCount: number) {
    this.structure = structure;
    this.demandCount = demandCount;
    this.commodities = structure.chain;
    this.variables = structure.variables;
    this.nodes = structure.nodes;
    this.agents = structure.agents;
    this.routes = structure.routes;
    this.quotas = structure.quotas;
    this.origins = structure.origins;
    this.stocks = structure.stocks;
    const { compiled } = structure;
    const K = structure.chain.length;
    const n = structure.variables.length;
    const nnz = compiled.pattern.rows.length;
    const A = structure.agents.length;
    const R = structure.routes.length;
    const D = demandCount;
    const S = compiled.sNode.length;
    // One buffer for every number of the model (typed arrays allocated one by one are slow: see workspace.ts).
    const v = carveFloats([
      ...[K, K, K, K, K, K, K, K],
      ...[n, n, n, n, n, n, n, n],
      ...[D, D, D, D],
      ...[S, S],
      ...[A, A, A],
      compiled.iLink.length,
      structure.stocks.length,
      ...[R, R, R, R, R, R],
      structure.quotas.length,
      ...[nnz, nnz, nnz],
    ]);
    let at = 0;
    const next = () => v[at++] as Float64Array;
    this.capacity = next();
    this.maxCost = next();
    this.demand = next();
    this.p0Sum = next();
    this.p0Count = next();
    this.quantityScale = next();
    this.priceScale = next();
    this.referencePrice = next();
    this.lower = next();
    this.upper = next();
    this.scale = next();
    this.conditionScale = next();
    const logZs = next();
    this.start = next();
    const x = next();
    const dxdz = next();
    const cA = next();
    const cB = next();
    const cE = next();
    const cLogB = next();
    const sIntercept = next();
    const sSlope = next();
    const aCost = next();
    const aStrike = next();
    const aTie = next();
    const iCoef = next();
    const kPrice = next();
    const rFreight = next();
    const rMarkup = next();
    const rSpecific = next();
    const rTax = next();
    const rFloor = next();
    const rTie = next();
    const qQuota = next();
    const constant = next();
    const scratch = next();
    this.triplets = next();
    this.banStart = new Uint8Array(n);
    this.data = {
      n,
      zs: this.scale,
      fs: this.conditionScale,
      logZs,
      logarithmic: structure.logarithmic,
      cKind: new Uint8Array(D),
      cA,
      cB,
      cE,
      cLogB,
      sIntercept,
      sSlope,
      aCost,
      aStrike,
      aTie,
      iCoef,
      kPrice,
      rFreight,
      rMarkup,
      rSpecific,
      rTax,
      rFloor,
      rTie,
      qQuota,
      constant,
      x,
      dxdz,
      scratch,
    };
    this.exact = this.mcpWith(0);
    this.mcp = this.mcpWith(TIE_BREAK);
  }

  private mcpWith(epsilon: number): Mcp {
    const { data, structure, triplets } = this;
    const { compiled, eliminable, blocks } = structure;
    const { pattern } = compiled;
    const nnz = pattern.rows.length;
    return {
      size: structure.variables.length,
      lower: this.lower,
      upper: this.upper,
      eliminable,
      blocks,
      pattern,
      evaluateValues: (z, f, jac, skip, smoothing) =>
        evaluateConditions(compiled, data, epsilon, z, f, jac, skip, smoothing),
      kinkStep: (z, dz, step) => kinkStep(compiled, data, z, dz, step),
      evaluate: (z, f, jac) => {
        if (!jac) return evaluateConditions(compiled, data, epsilon, z, f);
        evaluateConditions(compiled, data, epsilon, z, f, triplets);
        for (let t = 0; t < nnz; t++) {
          jac.add(pattern.rows[t] as number, pattern.cols[t] as number, triplets[t] as number);
        }
      },
    };
  }

  /** Takes the numbers of `inputs` (of this model's structure): scales, bounds, the conditions' data, the start. */
  bind(inputs: ChainInputs, priceHints: ReadonlyMap<string, number> | undefined): void {
    const { structure, data } = this;
    this.inputs = inputs;
    this.pooledSolve = undefined;
    this.pooledTried = false;
    this.interiorStartMemo = undefined;
    const { chain, links, producers, supplies, demands, stocks, restrictions } = inputs;
    const pooledOnly = inputs.pooled;
    const { variables, commodityIndex, kindCode, logarithmic, agents, routes, quotas, compiled } = structure;
    const { capacity, maxCost, demand, p0Sum, p0Count, quantityScale: Q, priceScale: P } = this;
    const K = chain.length;
    const at = (k: string) => chain.indexOf(k);

    // Scales: market size = the larger of reference demand and capacity; price = mean reference price, else mean
    // cost.
    capacity.fill(0);
    maxCost.fill(Number.NEGATIVE_INFINITY);
    demand.fill(0);
    p0Sum.fill(0);
    p0Count.fill(0);
    for (const p of producers) {
      const k = at(p.commodity);
      capacity[k] = (capacity[k] as number) + p.capacity;
      maxCost[k] = Math.max(maxCost[k] as number, p.cost);
    }
    for (const s of supplies) {
      const k = at(s.commodity);
      capacity[k] = (capacity[k] as number) + Math.max(0, s.intercept);
    }
    for (const d of demands) {
      const k = at(d.commodity);
      demand[k] = (demand[k] as number) + (d.curve.kind === 'isoelastic' ? d.curve.q0 : d.curve.intercept);
      if (d.curve.kind === 'isoelastic') {
        p0Sum[k] = (p0Sum[k] as number) + d.curve.p0;
        p0Count[k] = (p0Count[k] as number) + 1;
      }
    }
    for (let k = 0; k < K; k++) {
      Q[k] = Math.max(capacity[k] as number, demand[k] as number, 1e-12);
      const cost = maxCost[k] as number;
      const ref =
        (p0Count[k] as number) > 0
          ? (p0Sum[k] as number) / (p0Count[k] as number)
          : cost > Number.NEGATIVE_INFINITY
            ? cost
            : 1;
      P[k] = ref > 0 ? ref : 1;
    }
    // Inputs are valued at upstream prices; give downstream commodities a price scale at least that large.
    for (const l of links) {
      const up = (P[at(l.input)] as number) * l.coefficient;
      P[at(l.output)] = Math.max(P[at(l.output)] as number, up);
    }
    this.referencePrice.set(P);
    // The pooled world market (one market per commodity, no trade costs), solved exactly by the interior-point
    // method on its own small model: its prices set the scale of this chain's prices (a scarce market can clear at
    // thousands of times its reference; every price-like unknown is then O(1)) and, with its outputs, the starting
    // point. The pooled model itself, and any chain where it fails, uses the quick estimate of pooledPrices instead.
    const hinted =
      priceHints && chain.every((k) => (priceHints.get(k) ?? 0) > 0)
        ? new Map(chain.map((k) => [k, priceHints.get(k) as number]))
        : undefined;
    if (!hinted) {
      this.pooledSolve = this.solvePooled();
      this.pooledTried = true;
    }
    const pooled = hinted ?? this.pooledSolve?.prices ?? pooledPrices(chain, links, producers, supplies, demands, P);
    this.pooled = pooled;
    // Export bans split a market in two: the banned destinations, served only by the other origins, and the rest.
    // Start each side at the price its own pooled market clears at.
    const banned = restrictions.some((r) => r.quota <= 0)
      ? bannedGroupPrices(chain, restrictions, producers, demands, stocks, pooled)
      : new Map<string, { price: number; destinations: Set<string> }>();
    this.banned = banned;
    for (let k = 0; k < K; k++) {
      const c = chain[k] as string;
      const p = Math.max(pooled.get(c) ?? 0, banned.get(c)?.price ?? 0);
      const ref = P[k] as number;
      // The quick estimate can overshoot by orders of magnitude (it holds derived demand at full downstream
      // capacity): the pooled model keeps its reference scales.
      if (Number.isFinite(p) && p > ref && !pooledOnly) P[k] = Math.min(p, ref * 1e6);
    }

    // Bounds and scales of every variable: prices, rents and origin limits in the commodity's price scale (their
    // conditions in its quantity scale), outputs, flows and stock moves the other way round.
    const n = variables.length;
    const { lower, upper, scale: zs, conditionScale: fs } = this;
    const { logZs } = data;
    upper.fill(Number.POSITIVE_INFINITY);
    for (let i = 0; i < n; i++) {
      const k = commodityIndex[i] as number;
      const code = kindCode[i] as number;
      if (code === PRICE || code === RENT || code === ORIGIN) {
        zs[i] = P[k] as number;
        fs[i] = 1 / (Q[k] as number);
      } else {
        zs[i] = Q[k] as number;
        fs[i] = 1 / (P[k] as number);
      }
      if (logarithmic[i]) {
        lower[i] = Number.NEGATIVE_INFINITY;
        logZs[i] = Math.log(zs[i] as number);
      } else {
        lower[i] = 0;
        logZs[i] = 0;
      }
    }
    for (const a of agents) upper[a.variable] = this.trancheCapacity(a) / (zs[a.variable] as number);
    for (const s of structure.stocks) {
      const op = stocks[s.stock] as (typeof stocks)[number];
      upper[s.variable] = ((s.sign < 0 ? op.buyCap : op.releaseCap) as number) / (zs[s.variable] as number);
    }
    const { rLog, rVar } = compiled;
    for (let k = 0; k < rLog.length; k++) if (rLog[k]) fs[rVar[k] as number] = 1;

    // The conditions' numbers.
    const { cKind, cA, cB, cE, cLogB } = data;
    for (let i = 0; i < demands.length; i++) {
      const c = (demands[i] as (typeof demands)[number]).curve;
      if (c.kind === 'isoelastic') {
        cKind[i] = 0;
        cA[i] = c.q0;
        cB[i] = c.p0;
        cE[i] = c.elasticity;
        cLogB[i] = Math.log(c.p0);
      } else {
        cKind[i] = 1;
        cA[i] = c.intercept;
        cB[i] = c.slope;
        cE[i] = 0;
        cLogB[i] = 0;
      }
    }
    const { sIntercept, sSlope } = data;
    for (let k = 0; k < compiled.sNode.length; k++) {
      let intercept = 0;
      let slope = 0;
      for (let t = compiled.sStart[k] as number; t < (compiled.sStart[k + 1] as number); t++) {
        const s = supplies[compiled.sCurve[t] as number] as (typeof supplies)[number];
        intercept += s.intercept;
        slope += s.slope;
      }
      sIntercept[k] = intercept;
      sSlope[k] = slope;
    }
    const { aCost, aStrike, aTie, iCoef, kPrice } = data;
    for (let k = 0; k < agents.length; k++) {
      const a = agents[k] as AgentShape;
      const p = producers[a.producer] as (typeof producers)[number];
      aCost[k] = p.cost;
      aStrike[k] = a.tranche === 1 ? (p.cfd?.strike as number) : Number.NaN;
      aTie[k] = (P[commodityIndex[a.variable] as number] as number) / (zs[a.variable] as number);
    }
    for (let t = 0; t < iCoef.length; t++) iCoef[t] = (links[compiled.iLink[t] as number] as Link).coefficient;
    for (let k = 0; k < structure.stocks.length; k++) {
      const shape = structure.stocks[k] as StockShape;
      const op = stocks[shape.stock] as (typeof stocks)[number];
      kPrice[k] = (shape.sign < 0 ? op.buyPrice : op.releasePrice) as number;
    }
    // Each route's terms from the table: its own entry, else the table's default.
    const table = inputs.routes?.byPair ?? NO_PAIRS;
    const fallback = inputs.routes?.default;
    const listed = positionsOf(structure, table);
    const { rFreight, rMarkup, rSpecific, rTax, rFloor, rTie, qQuota } = data;
    const floorPrices = structure.floorKeys.map((key) => inputs.floors.get(key) as number);
    const taxes = inputs.exportTaxes.size > 0;
    for (let k = 0; k < routes.length; k++) {
      const r = routes[k] as RouteShape;
      const p = listed[k] as number;
      const terms = p >= 0 ? table[p] : undefined;
      rFreight[k] = terms?.freight ?? fallback?.freight ?? 0;
      rSpecific[k] = terms?.specific ?? fallback?.specific ?? 0;
      rMarkup[k] = 1 + (terms?.adValorem ?? fallback?.adValorem ?? 0);
      let tax = 0;
      if (taxes) {
        const from = variables[r.from] as VariableInfo;
        tax = inputs.exportTaxes.get(nodeKey(from.commodity, from.region)) ?? 0;
      }
      rTax[k] = 1 + tax;
      rFloor[k] = r.floor >= 0 ? (floorPrices[r.floor] as number) : Number.NaN;
      rTie[k] = (zs[r.from] as number) / (zs[r.variable] as number);
    }
    for (let k = 0; k < quotas.length; k++) {
      qQuota[k] = (restrictions[(quotas[k] as QuotaShape).restriction] as (typeof restrictions)[number]).quota;
    }
    constantEntries(compiled, zs, fs, iCoef, data.constant);
    this.coldStart();
  }

  private trancheCapacity(a: AgentShape): number {
    const p = this.inputs.producers[a.producer] as Producer;
    if (a.tranche === 0) return p.capacity;
    const covered = Math.min(p.capacity, p.cfd?.volume ?? p.capacity);
    return a.tranche === 1 ? covered : p.capacity - covered;
  }

  /**
   * Start: each commodity's price where its pooled world market (no trade costs) clears, producers on or off by
   * their margin at that price, no trade, no rents. A scarce market's price can be orders of magnitude above its
   * reference, and Newton converges fast only from the right order of magnitude. Under a ban, the origins still
   * allowed into the banned destinations sell there: their producers earn the banned side's price (through their
   * origin rent where they also have a home market), and ship to it.
   */
  private coldStart(): void {
    const { structure, inputs, pooled, banned, start, banStart, upper, scale: zs, data } = this;
    banStart.fill(0);
    const { variables, commodityIndex, kindCode, agents } = structure;
    const { chain, links, demands, restrictions } = inputs;
    const pooledOnly = inputs.pooled;
    const n = variables.length;
    const base = chain.map((k) => pooled.get(k));
    const bannedOrigins = new Set(restrictions.filter((r) => r.quota <= 0).map((r) => `${r.commodity}|${r.origin}`));
    const exporterPrice = (k: string, r: string): number | undefined => {
      const group = banned.get(k);
      if (!group || group.destinations.has(r) || bannedOrigins.has(`${k}|${r}`)) return undefined;
      return group.price;
    };
    const capacityAt = new Map<string, number>();
    const bannedShare = new Map<string, number>();
    if (banned.size > 0) {
      for (const a of agents) {
        const v = variables[a.variable] as VariableInfo;
        const key = nodeKey(v.commodity, v.region);
        capacityAt.set(key, (capacityAt.get(key) ?? 0) + (upper[a.variable] as number));
      }
      for (const [k, group] of banned) {
        let total = 0;
        const here = new Map<string, number>();
        for (const r of group.destinations) {
          const curves = demands.filter((d) => d.commodity === k && regionIn(inputs, d) === r).map((d) => d.curve);
          const q = totalDemand(curves, group.price);
          here.set(r, q);
          total += q;
        }
        for (const [r, q] of here) bannedShare.set(nodeKey(k, r), total > 0 ? q / total : Number.NaN);
      }
    }
    for (let i = 0; i < n; i++) {
      const code = kindCode[i] as number;
      const scale = zs[i] as number;
      const k = commodityIndex[i] as number;
      if (code === PRICE) {
        const v = variables[i] as VariableInfo;
        let estimate = base[k] ?? scale;
        if (banned.size > 0) {
          const group = banned.get(v.commodity);
          const exporting = exporterPrice(v.commodity, v.region);
          const ownMarket = (structure.originOfNode[i] as number) >= 0;
          if (group?.destinations.has(v.region)) {
            estimate = group.price;
            banStart[i] = 1;
          } else if (exporting !== undefined && !ownMarket && structure.makes[i]) {
            estimate = exporting;
            banStart[i] = 1;
          }
        }
        // The pooled model's own start trusts the quick estimate only within a factor 10 of the reference.
        const p = pooledOnly ? Math.min(scale * 10, Math.max(scale / 10, estimate)) : estimate;
        start[i] = v.logarithmic ? Math.log(Math.max(p, 1e-12 * scale) / scale) : p / scale;
      } else if (code === ORIGIN) {
        const v = variables[i] as VariableInfo;
        const exporting = banned.size > 0 ? exporterPrice(v.commodity, v.region) : undefined;
        start[i] = exporting !== undefined ? Math.max(0, exporting - (base[k] ?? scale)) / scale : 0;
        if (exporting !== undefined) banStart[i] = 1;
      } else if (code === FLOW) {
        const v = variables[i] as VariableInfo;
        const group = banned.size > 0 ? banned.get(v.commodity) : undefined;
        // Allowed exporters ship their capacity to the banned side, in proportion to its demand there.
        if (group && exporterPrice(v.commodity, v.region) !== undefined && group.destinations.has(v.ref)) {
          const made = capacityAt.get(nodeKey(v.commodity, v.region)) ?? 0;
          const share = bannedShare.get(nodeKey(v.commodity, v.ref)) ?? Number.NaN;
          start[i] = Number.isNaN(share) ? 1e-3 : made * share;
          banStart[i] = 1;
        } else {
          // A little trade on every other route keeps Newton off the Fischer–Burmeister corner (0, 0), where a
          // route whose landed cost equals the destination price would otherwise start with no direction of its own.
          start[i] = TOKEN_FLOW;
        }
      } else start[i] = 0;
    }
    for (let k = 0; k < agents.length; k++) {
      const a = agents[k] as AgentShape;
      const q = a.variable;
      const c = commodityIndex[q] as number;
      let input = 0;
      for (const x of a.inputs) {
        input += (links[x.link] as Link).coefficient * (base[commodityIndex[x.node] as number] ?? 0);
      }
      const strike = data.aStrike[k] as number;
      let price = base[c] ?? (zs[q] as number);
      if (banned.size > 0) {
        const v = variables[q] as VariableInfo;
        const exporting = exporterPrice(v.commodity, v.region);
        if (exporting !== undefined) {
          price = exporting;
          banStart[q] = 1;
        }
      }
      price = Math.max(price, Number.isNaN(strike) ? 0 : strike);
      // A producer at the margin (the pooled estimate's price is where the marginal producer comes in) starts at
      // half its capacity, the centre of what it may make there, not at either end by a rounding: left off, a large
      // marginal refinery started its whole input unbought and the upstream market glutted by most of its size (a
      // rare-earth draw crawled 600 iterations on it and failed); put at capacity, another draw's start overshot
      // the other way.
      const unit = (data.aCost[k] as number) + input;
      const atMargin = Math.abs(unit - price) <= price * MARGIN_ROUNDING;
      start[q] = atMargin ? 0.5 * (upper[q] as number) : unit < price ? (upper[q] as number) : 0;
    }
  }

  /** The pooled market of this chain solved by the interior-point method (see bind), or undefined. */
  private solvePooled(): PooledSolution | undefined {
    if (!this.structure.poolable) return undefined;
    const { timings } = this;
    const started = timings ? performance.now() : 0;
    const solved = this.solvePooledMarket();
    if (timings) timings.pooled = (timings.pooled ?? 0) + performance.now() - started;
    return solved;
  }

  private solvePooledMarket(): PooledSolution | undefined {
    const pooledModel = bindChain(pooledInputs(this.inputs));
    const solved = solveInterior(pooledModel.exact, pooledModel.start, {
      tolerance: POOLED_TOLERANCE,
      maxIterations: 60,
    });
    const prices = new Map<string, number>();
    const outputs = new Map<string, number>();
    pooledModel.variables.forEach((v, i) => {
      if (v.kind === 'price') prices.set(v.commodity, pooledModel.modelValue(solved.z, i));
      if (v.kind === 'output') outputs.set(v.ref, pooledModel.modelValue(solved.z, i));
    });
    pooledModel.release();
    const sane = [...prices.values()].every((x) => Number.isFinite(x) && x >= 0);
    return solved.residual <= POOLED_TOLERANCE && sane
      ? { prices, outputs, iterations: solved.iterations, evaluations: solved.evaluations }
      : undefined;
  }

  /**
   * The interior-point start: the pooled market solved exactly (one market per commodity, no trade costs), its
   * outputs and prices as the base, then trade routed (transportStart). Computed on first use.
   */
  interiorStart(): { start: Float64Array; iterations: number; evaluations: number } {
    if (this.interiorStartMemo) return this.interiorStartMemo;
    const { variables } = this.structure;
    const { lower, upper, scale: zs, banned } = this;
    const base = this.start.slice();
    if (!this.pooledTried) {
      this.pooledSolve = this.solvePooled();
      this.pooledTried = true;
    }
    const pooledSolve = this.pooledSolve;
    if (pooledSolve) {
      const { prices: priceOf, outputs: outputOf } = pooledSolve;
      const { kindCode } = this.structure;
      for (let i = 0; i < variables.length; i++) {
        // Prices and outputs only (most variables are flows).
        const code = kindCode[i] as number;
        if (code !== PRICE && code !== OUTPUT) continue;
        const v = variables[i] as VariableInfo;
        // Markets split by a ban keep the ban-aware start.
        if (banned.has(v.commodity)) continue;
        const value = code === PRICE ? priceOf.get(v.commodity) : outputOf.get(v.ref);
        if (value === undefined || !Number.isFinite(value)) continue;
        if (code === PRICE && !(value > 0)) continue;
        const scale = zs[i] as number;
        const zi = v.logarithmic
          ? Math.log(value / scale)
          : Math.min(upper[i] as number, Math.max(lower[i] as number, value / scale));
        if (Number.isFinite(zi)) base[i] = zi;
      }
    }
    const started = this.timings ? performance.now() : 0;
    const routed = transportStart(this, base);
    if (this.timings) this.timings.start = (this.timings.start ?? 0) + performance.now() - started;
    this.interiorStartMemo = {
      start: routed,
      iterations: pooledSolve?.iterations ?? 0,
      evaluations: pooledSolve?.evaluations ?? 0,
    };
    return this.interiorStartMemo;
  }

  excludedRoutes(z: Float64Array, keep: number): Uint8Array {
    const { routes } = this.structure;
    const n = this.structure.variables.length;
    const f = new Float64Array(n);
    this.exact.evaluate(z, f);
    const excluded = new Uint8Array(n);
    const into = new Map<number, number[]>();
    const out = new Map<number, number[]>();
    routes.forEach((r, k) => {
      excluded[r.variable] = 1;
      const a = into.get(r.to);
      if (a) a.push(k);
      else into.set(r.to, [k]);
      const b = out.get(r.from);
      if (b) b.push(k);
      else out.set(r.from, [k]);
    });
    const gap = (k: number) => f[(routes[k] as RouteShape).variable] as number;
    for (const group of [into, out]) {
      for (const list of group.values()) {
        list.sort((a, b) => gap(a) - gap(b));
        for (let t = 0; t < Math.min(keep, list.length); t++) {
          excluded[(routes[list[t] as number] as RouteShape).variable] = 0;
        }
      }
    }
    for (const r of routes) if ((z[r.variable] as number) > TOKEN_FLOW) excluded[r.variable] = 0;
    return excluded;
  }

  withTieBreak(epsilon: number): Mcp {
    return epsilon === 0 ? this.exact : this.mcpWith(epsilon);
  }

  evaluateExact(z: Float64Array, f: Float64Array): void {
    this.exact.evaluate(z, f);
  }

  toSolver(i: number, value: number): number {
    const zs = this.scale[i] as number;
    return this.structure.logarithmic[i]
      ? Math.log(Math.max(value, 1e-300) / zs)
      : Math.min(this.upper[i] as number, Math.max(this.lower[i] as number, value / zs));
  }

  modelValue(z: Float64Array, i: number): number {
    const zs = this.scale[i] as number;
    return this.structure.logarithmic[i] ? zs * Math.exp(z[i] as number) : (z[i] as number) * zs;
  }

  demandAt(node: number, p: number): number {
    let q = 0;
    const { demands } = this.inputs;
    for (const d of this.structure.demandsAt.get(node) ?? []) {
      q += curveDemand((demands[d] as (typeof demands)[number]).curve, p);
    }
    return q;
  }

  curveSupplyAt(node: number, earned: number): number {
    let intercept = 0;
    let slope = 0;
    const { supplies } = this.inputs;
    for (const s of this.structure.suppliesAt.get(node) ?? []) {
      intercept += (supplies[s] as (typeof supplies)[number]).intercept;
      slope += (supplies[s] as (typeof supplies)[number]).slope;
    }
    return Math.max(0, intercept + slope * earned);
  }

  release(): void {
    spareModels.set(this.structure, this);
  }
}

/**
 * See ChainModel.interiorStart. Per commodity, at the base point's prices and outputs, the transportation problem:
 * each node sells its own output (origin rule: it may export no more than it makes) and buys what it uses (final
 * and derived demand), through its own market at no cost or along a route at its cost (landed cost over the
 * origin's price), solved exactly (minCostTransport). The routes it uses carry the start's flows. Prices come from
 * its dual: wherever goods move, the buyer's price is the seller's plus the cost; a node whose producers sell
 * abroad dearer than its buyers pay gets the difference as its origin rent. Each connected group of markets is
 * shifted so that its prices average the base prices.
 */
function transportStart(model: ChainModel, start: Float64Array): Float64Array {
  const { variables, nodes, agents, routes, data, structure, inputs } = model;
  const modelValue = (z: Float64Array, i: number) => model.modelValue(z, i);
  const n = variables.length;
  const z = start.slice();
  const price = borrowFloats(n);
  const made = borrowFloats(n);
  const used = borrowFloats(n);
  const slot = borrowInts(n);
  for (const node of nodes) price[node.index] = modelValue(start, node.index);
  // What each node makes and uses at the base prices and outputs (model units).
  for (const node of nodes) used[node.index] = model.demandAt(node.index, price[node.index] as number);
  for (const a of agents) {
    const q = modelValue(start, a.variable);
    made[a.node] = (made[a.node] as number) + q;
    for (const input of a.inputs) {
      used[input.node] = (used[input.node] as number) + (inputs.links[input.link] as Link).coefficient * q;
    }
  }
  for (const node of structure.suppliesAt.keys()) {
    made[node] = (made[node] as number) + model.curveSupplyAt(node, price[node] as number);
  }
  for (const s of model.stocks) {
    const v = modelValue(start, s.variable);
    // A local release (rationing) serves the node's own buyers: less to buy, nothing to sell on.
    if (s.sign > 0 && !s.local) made[s.node] = (made[s.node] as number) + v;
    else if (s.sign > 0) used[s.node] = (used[s.node] as number) - v;
    else used[s.node] = (used[s.node] as number) + v;
  }
  for (const r of routes) z[r.variable] = 0;
  const { nodesOf, routesOf } = commodityGroups(structure);
  const w = routingWorkspace(n, routes.length);
  const { sellers, buyers, supply, demand, arcFrom, arcTo, arcCost, arcRoute, flow } = w;
  for (let k = 0; k < nodesOf.length; k++) {
    const list = nodesOf[k] as Int32Array;
    // Sellers are 0..S−1 and buyers 0..B−1; slot[i] packs a node's seller slot (low 16 bits + 1) and buyer slot.
    let S = 0;
    let B = 0;
    for (let t = 0; t < list.length; t++) {
      const i = list[t] as number;
      let packed = 0;
      if ((made[i] as number) > 0) {
        sellers[S] = i;
        supply[S] = made[i] as number;
        packed = ++S;
      }
      if ((used[i] as number) > 0) {
        buyers[B] = i;
        demand[B] = used[i] as number;
        packed |= ++B << 16;
      }
      slot[i] = packed;
    }
    if (S === 0 || B === 0) continue;
    let A = 0;
    for (let e = 0; e < S; e++) {
      const b = (slot[sellers[e] as number] as number) >>> 16;
      if (b > 0) {
        arcFrom[A] = e;
        arcTo[A] = b - 1;
        arcCost[A] = 0;
        arcRoute[A++] = -1;
      }
    }
    const here = routesOf[k] as Int32Array;
    for (let t = 0; t < here.length; t++) {
      const rk = here[t] as number;
      const r = routes[rk] as RouteShape;
      const from = (slot[r.from] as number) & 0xffff;
      const to = (slot[r.to] as number) >>> 16;
      if (from === 0 || to === 0) continue;
      const pFrom = price[r.from] as number;
      const dutyPaid =
        (pFrom * (data.rTax[rk] as number) + (data.rFreight[rk] as number)) * (data.rMarkup[rk] as number) +
        (data.rSpecific[rk] as number);
      const floor = data.rFloor[rk] as number;
      const landed = Number.isNaN(floor) ? dutyPaid : Math.max(floor, dutyPaid);
      arcFrom[A] = from - 1;
      arcTo[A] = to - 1;
      arcCost[A] = Math.max(0, landed - pFrom);
      arcRoute[A++] = rk;
    }
    transport(supply, S, demand, B, arcFrom, arcTo, arcCost, A, flow);
    // Dual: walk the arcs that carry goods (sellers as 0..S−1, buyers as S..S+B−1), a buyer's price being its
    // seller's plus the arc's cost.
    const V = S + B;
    const { adjacentStart, fill, other, delta, level, group, component } = w;
    adjacentStart.fill(0, 0, V + 1);
    for (let a = 0; a < A; a++) {
      if (!((flow[a] as number) > 0)) continue;
      const route = arcRoute[a] as number;
      if (route >= 0) {
        const e = (routes[route] as RouteShape).variable;
        z[e] = (flow[a] as number) / (model.scale[e] as number);
      }
      adjacentStart[(arcFrom[a] as number) + 1] = (adjacentStart[(arcFrom[a] as number) + 1] as number) + 1;
      adjacentStart[S + (arcTo[a] as number) + 1] = (adjacentStart[S + (arcTo[a] as number) + 1] as number) + 1;
    }
    for (let x = 0; x < V; x++) adjacentStart[x + 1] = (adjacentStart[x + 1] as number) + (adjacentStart[x] as number);
    fill.set(adjacentStart.subarray(0, V));
    for (let a = 0; a < A; a++) {
      if (!((flow[a] as number) > 0)) continue;
      const x = arcFrom[a] as number;
      const y = S + (arcTo[a] as number);
      const cost = arcCost[a] as number;
      let p = fill[x] as number;
      fill[x] = p + 1;
      other[p] = y;
      delta[p] = cost;
      p = fill[y] as number;
      fill[y] = p + 1;
      other[p] = x;
      delta[p] = -cost;
    }
    level.fill(0, 0, V);
    // The group each side of a market belongs to (its first side's index + 1; 0 before it is reached).
    group.fill(0, 0, V);
    for (let root = 0; root < V; root++) {
      if (group[root] || adjacentStart[root] === adjacentStart[root + 1]) continue;
      let size = 0;
      component[size++] = root;
      group[root] = root + 1;
      level[root] = 0;
      for (let c = 0; c < size; c++) {
        const at = component[c] as number;
        for (let p = adjacentStart[at] as number; p < (adjacentStart[at + 1] as number); p++) {
          const y = other[p] as number;
          if (group[y]) continue;
          group[y] = root + 1;
          level[y] = (level[at] as number) + (delta[p] as number);
          component[size++] = y;
        }
      }
      // Shift the group so that its prices average the base prices.
      let shift = 0;
      for (let c = 0; c < size; c++) {
        const x = component[c] as number;
        const market = x < S ? (sellers[x] as number) : (buyers[x - S] as number);
        shift += (price[market] as number) - (level[x] as number);
      }
      shift /= size;
      // A market's price is what its buyers pay where they are in this group, else what its sellers earn; where
      // its sellers earn more than its buyers pay (all exported), the difference is an origin rent. A group
      // reached later overwrites an earlier one's price for a market both reach.
      for (let c = 0; c < size; c++) {
        const x = component[c] as number;
        const i = x < S ? (sellers[x] as number) : (buyers[x - S] as number);
        const packed = slot[i] as number;
        const asBuyer = packed >>> 16;
        const asSeller = packed & 0xffff;
        const hasBuyer = asBuyer > 0 && group[S + asBuyer - 1] === root + 1;
        const hasSeller = asSeller > 0 && group[asSeller - 1] === root + 1;
        // Each market once: from its buyer side where that is in the group.
        if (x < S && hasBuyer) continue;
        const buyer = hasBuyer ? (level[S + asBuyer - 1] as number) + shift : 0;
        const seller = hasSeller ? (level[asSeller - 1] as number) + shift : 0;
        if (!hasBuyer && !hasSeller) continue;
        const pi = hasBuyer ? buyer : seller;
        if (pi > 0 && Number.isFinite(pi)) {
          z[i] = structure.logarithmic[i] ? Math.log(pi / (model.scale[i] as number)) : pi / (model.scale[i] as number);
        }
        const o = structure.originOfNode[i] as number;
        if (o >= 0 && hasBuyer && hasSeller && seller > buyer) {
          z[o] = (seller - buyer) / (model.scale[o] as number);
        }
      }
    }
  }
  returnFloats(price, made, used);
  returnInts(slot);
  return z;
}

/**
 * The routing start's arrays, kept between calls and grown as needed (transportStart runs to its end before it runs
 * again): per commodity, its sellers and buyers with their supply and demand, the arcs of its transport problem and
 * their flows, and the spanning groups of its dual.
 */
const routingWork = {
  sellers: new Int32Array(0),
  buyers: new Int32Array(0),
  supply: new Float64Array(0),
  demand: new Float64Array(0),
  adjacentStart: new Int32Array(0),
  fill: new Int32Array(0),
  level: new Float64Array(0),
  group: new Int32Array(0),
  component: new Int32Array(0),
  arcFrom: new Int32Array(0),
  arcTo: new Int32Array(0),
  arcCost: new Float64Array(0),
  arcRoute: new Int32Array(0),
  flow: new Float64Array(0),
  other: new Int32Array(0),
  delta: new Float64Array(0),
};

/** routingWork, large enough for a model of n variables and R routes (sellers and buyers are price nodes). */
function routingWorkspace(n: number, R: number): typeof routingWork {
  const w = routingWork;
  w.sellers = atLeast(w.sellers, n);
  w.buyers = atLeast(w.buyers, n);
  w.supply = atLeast(w.supply, n);
  w.demand = atLeast(w.demand, n);
  w.adjacentStart = atLeast(w.adjacentStart, 2 * n + 1);
  w.fill = atLeast(w.fill, 2 * n);
  w.level = atLeast(w.level, 2 * n);
  w.group = atLeast(w.group, 2 * n);
  w.component = atLeast(w.component, 2 * n);
  // Arcs: a market's own (one per seller) and its routes.
  w.arcFrom = atLeast(w.arcFrom, n + R);
  w.arcTo = atLeast(w.arcTo, n + R);
  w.arcCost = atLeast(w.arcCost, n + R);
  w.arcRoute = atLeast(w.arcRoute, n + R);
  w.flow = atLeast(w.flow, n + R);
  w.other = atLeast(w.other, 2 * (n + R));
  w.delta = atLeast(w.delta, 2 * (n + R));
  return w;
}

/** Price nodes and routes of each commodity of a structure (by index in its chain). */
const groupsCache = new WeakMap<ChainStructure, { nodesOf: Int32Array[]; routesOf: Int32Array[] }>();
function commodityGroups(structure: ChainStructure): { nodesOf: Int32Array[]; routesOf: Int32Array[] } {
  let groups = groupsCache.get(structure);
  if (!groups) {
    const K = structure.chain.length;
    const nodes: number[][] = Array.from({ length: K }, () => []);
    const routes: number[][] = Array.from({ length: K }, () => []);
    for (const node of structure.nodes) nodes[structure.commodityIndex[node.index] as number]?.push(node.index);
    structure.routes.forEach((r, k) => {
      routes[structure.commodityIndex[r.variable] as number]?.push(k);
    });
    groups = { nodesOf: nodes.map((l) => Int32Array.from(l)), routesOf: routes.map((l) => Int32Array.from(l)) };
    groupsCache.set(structure, groups);
  }
  return groups;
}

/**
 * The transportation problem by successive shortest paths (Dijkstra with potentials): ship at most `supply[e]`
 * from each seller and at most `demand[i]` to each buyer, as much as can be shipped, at least total cost. Returns
 * the flow on each arc.
 */
export function minCostTransport(
  supply: readonly number[],
  demand: readonly number[],
  arcs: readonly { readonly from: number; readonly to: number; readonly cost: number }[],
): number[] {
  const flow = new Float64Array(arcs.length);
  transport(
    supply,
    supply.length,
    demand,
    demand.length,
    arcs.map((a) => a.from),
    arcs.map((a) => a.to),
    arcs.map((a) => a.cost),
    arcs.length,
    flow,
  );
  return Array.from(flow);
}

/**
 * The transport solver's arrays, kept between calls and grown as needed (the solver is synchronous and calls nothing
 * that could call it again): a cold solve of a world routes a score of small transport problems, and borrowing
 * fourteen arrays for each cost more than solving it.
 */
const transportWork = {
  head: new Int32Array(0),
  to: new Int32Array(0),
  next: new Int32Array(0),
  cap: new Float64Array(0),
  cost: new Float64Array(0),
  first: new Int32Array(0),
  via: new Int32Array(0),
  potential: new Float64Array(0),
  dist: new Float64Array(0),
  done: new Uint8Array(0),
  current: new Int32Array(0),
  pathEdge: new Int32Array(0),
  dead: new Uint8Array(0),
  onPath: new Uint8Array(0),
  open: new Int32Array(0),
};

function transportWorkspace(edges: number, V: number): typeof transportWork {
  const w = transportWork;
  w.head = atLeast(w.head, edges);
  w.to = atLeast(w.to, edges);
  w.next = atLeast(w.next, edges);
  w.cap = atLeast(w.cap, edges);
  w.cost = atLeast(w.cost, edges);
  w.first = atLeast(w.first, V);
  w.via = atLeast(w.via, V);
  w.potential = atLeast(w.potential, V);
  w.dist = atLeast(w.dist, V);
  w.done = atLeast(w.done, V);
  w.current = atLeast(w.current, V);
  w.pathEdge = atLeast(w.pathEdge, V);
  w.dead = atLeast(w.dead, V);
  w.onPath = atLeast(w.onPath, V);
  w.open = atLeast(w.open, V);
  w.first.fill(-1, 0, V);
  w.via.fill(0, 0, V);
  w.potential.fill(0, 0, V);
  return w;
}

/** minCostTransport on the first E supplies, I demands and A arcs of its arrays; the flows go to `flow`. */
function transport(
  supply: ArrayLike<number>,
  E: number,
  demand: ArrayLike<number>,
  I: number,
  arcFrom: ArrayLike<number>,
  arcTo: ArrayLike<number>,
  arcCost: ArrayLike<number>,
  A: number,
  flow: Float64Array,
): void {
  // Graph: 0 = source, 1..E sellers, E+1..E+I buyers, E+I+1 = sink; edges in pairs (forward, reverse).
  const V = E + I + 2;
  const sink = V - 1;
  const edges = 2 * (E + A + I);
  const { head, to, next, cap, cost, first, via, potential, dist, done, current, pathEdge, dead, onPath, open } =
    transportWorkspace(edges, V);
  let count = 0;
  const addEdge = (u: number, v: number, c: number, w: number) => {
    head[count] = u;
    to[count] = v;
    cap[count] = c;
    cost[count] = w;
    next[count] = first[u] as number;
    first[u] = count++;
    head[count] = v;
    to[count] = u;
    cap[count] = 0;
    cost[count] = -w;
    next[count] = first[v] as number;
    first[v] = count++;
  };
  let total = 0;
  for (let e = 0; e < E; e++) {
    addEdge(0, 1 + e, supply[e] as number, 0);
    total += supply[e] as number;
  }
  for (let a = 0; a < A; a++) {
    addEdge(1 + (arcFrom[a] as number), 1 + E + (arcTo[a] as number), Number.POSITIVE_INFINITY, arcCost[a] as number);
  }
  for (let i = 0; i < I; i++) addEdge(1 + E + i, sink, demand[i] as number, 0);
  // Free arcs (a market supplying itself) carry what they can at once: flow on arcs of zero cost leaves no negative
  // cycle, so the shortest paths below stay exact, and most of the goods never need one.
  for (let a = 0; a < A; a++) {
    if (arcCost[a] !== 0) continue;
    const fromSource = 2 * (arcFrom[a] as number);
    const arc = 2 * (E + a);
    const toSink = 2 * (E + A + (arcTo[a] as number));
    const q = Math.min(cap[fromSource] as number, cap[toSink] as number);
    if (!(q > 0)) continue;
    cap[fromSource] = (cap[fromSource] as number) - q;
    cap[fromSource + 1] = (cap[fromSource + 1] as number) + q;
    cap[arc] = (cap[arc] as number) - q;
    cap[arc + 1] = (cap[arc + 1] as number) + q;
    cap[toSink] = (cap[toSink] as number) - q;
    cap[toSink + 1] = (cap[toSink + 1] as number) + q;
  }
  const tiny = 1e-12 * Math.max(total, 1e-300);
  let costScale = 0;
  for (let a = 0; a < A; a++) costScale = Math.max(costScale, Math.abs(arcCost[a] as number));
  // An edge is tight (on a shortest path) where its reduced cost is zero to rounding.
  const tight = 1e-12 * Math.max(costScale, 1e-300);
  for (let round = 0; round < 4 * V + A; round++) {
    // Dijkstra on reduced costs, selecting among the nodes reached and not yet settled (the open list): the one of
    // least distance, the lowest-numbered of those tied (the graphs are small).
    dist.fill(Number.POSITIVE_INFINITY, 0, V);
    done.fill(0, 0, V);
    dist[0] = 0;
    open[0] = 0;
    let opened = 1;
    for (;;) {
      let u = -1;
      let at = -1;
      let best = Number.POSITIVE_INFINITY;
      for (let o = 0; o < opened; o++) {
        const x = open[o] as number;
        const dx = dist[x] as number;
        if (dx < best || (dx === best && x < u)) {
          best = dx;
          u = x;
          at = o;
        }
      }
      if (u < 0 || u === sink) break;
      open[at] = open[--opened] as number;
      done[u] = 1;
      const pu = potential[u] as number;
      for (let e = first[u] as number; e >= 0; e = next[e] as number) {
        const v = to[e] as number;
        // A settled node keeps its label (rounding can make a reduced cost a hair negative: relabelling it could
        // close a loop in the path).
        if (done[v] || !((cap[e] as number) > tiny)) continue;
        const d = best + (cost[e] as number) + pu - (potential[v] as number);
        const dv = dist[v] as number;
        if (d < dv - 1e-15 * Math.abs(d)) {
          if (dv === Number.POSITIVE_INFINITY) open[opened++] = v;
          dist[v] = d;
          via[v] = e;
        }
      }
    }
    const reach = dist[sink] as number;
    if (!Number.isFinite(reach)) break;
    for (let x = 0; x < V; x++) potential[x] = (potential[x] as number) + Math.min(dist[x] as number, reach);
    let push = Number.POSITIVE_INFINITY;
    let length = 0;
    for (let v = sink; v !== 0 && length <= V; v = head[via[v] as number] as number, length++) {
      push = Math.min(push, cap[via[v] as number] as number);
    }
    if (!(push > tiny) || length > V) break;
    for (let v = sink; v !== 0; v = head[via[v] as number] as number) {
      const e = via[v] as number;
      cap[e] = (cap[e] as number) - push;
      cap[e ^ 1] = (cap[e ^ 1] as number) + push;
    }
    // Every other path of the same length, before the next search: depth-first along tight edges (reduced cost 0
    // at the new potentials), each node keeping its current edge between searches and dead ends pruned (a blocking
    // flow, as in Dinic's algorithm). Transport problems tie often (routes of equal freight), and one search then
    // serves many paths.
    for (let x = 0; x < V; x++) {
      current[x] = first[x] as number;
      dead[x] = 0;
    }
    for (;;) {
      onPath.fill(0, 0, V);
      onPath[0] = 1;
      let u = 0;
      let depth = 0;
      while (u !== sink) {
        let e = current[u] as number;
        const pu = potential[u] as number;
        for (; e >= 0; e = next[e] as number) {
          const v = to[e] as number;
          if (dead[v] || onPath[v] || !((cap[e] as number) > tiny)) continue;
          if ((cost[e] as number) + pu - (potential[v] as number) <= tight) break;
        }
        current[u] = e;
        if (e >= 0) {
          pathEdge[depth++] = e;
          u = to[e] as number;
          onPath[u] = 1;
        } else {
          // A dead end: back up and skip the edge that led here.
          dead[u] = 1;
          onPath[u] = 0;
          if (depth === 0) break;
          const back = pathEdge[--depth] as number;
          u = head[back] as number;
          current[u] = next[back] as number;
        }
      }
      if (u !== sink) break;
      let more = Number.POSITIVE_INFINITY;
      for (let k = 0; k < depth; k++) more = Math.min(more, cap[pathEdge[k] as number] as number);
      if (!(more > tiny)) break;
      for (let k = 0; k < depth; k++) {
        const e = pathEdge[k] as number;
        cap[e] = (cap[e] as number) - more;
        cap[e ^ 1] = (cap[e ^ 1] as number) + more;
      }
    }
  }
  for (let a = 0; a < A; a++) flow[a] = cap[2 * (E + a) + 1] as number;
}
