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
 * The conditions are compiled once into flat arrays with a fixed Jacobian pattern (compileConditions): an evaluation
 * writes F and the Jacobian's values without allocating. Scales and starting points come from the pooled market
 * (one market per commodity, no trade costs) solved exactly on its own small model, then a transportation problem
 * routes its trade (transportStart).
 */
import { solveInterior } from './interior.ts';
import type { JacobianPattern, Mcp } from './mcp.ts';
import type { DemandCurve, EquilibriumProblem, RouteTerms } from './problem.ts';

export type VariableKind = 'price' | 'output' | 'flow' | 'rent' | 'origin' | 'buy' | 'release';

export interface Variable {
  readonly kind: VariableKind;
  readonly commodity: string;
  readonly region: string;
  /** Producer id, destination region, restriction id or stock id, by kind. */
  readonly ref: string;
  readonly lower: number;
  readonly upper: number;
  /** Multiplier from the scaled variable to the model's unit. */
  readonly scale: number;
  /** Multiplier from the model's unit of this condition to its scaled value (1 / scale of the condition). */
  readonly conditionScale: number;
  /**
   * The solver works with log(value / scale) instead of value / scale: for prices where isoelastic demand keeps the
   * price strictly positive, so the bound p >= 0 never binds and Newton sees a far less curved problem (a scarce
   * market's price can sit orders of magnitude above its reference).
   */
  readonly logarithmic?: boolean;
}

interface NodeRef {
  readonly index: number;
  readonly commodity: string;
  readonly region: string;
}

interface Agent {
  readonly variable: number;
  readonly node: number;
  readonly cost: number;
  readonly strike?: number;
  readonly inputs: readonly { readonly node: number; readonly coefficient: number }[];
}

interface Route {
  readonly variable: number;
  readonly from: number;
  readonly to: number;
  readonly freight: number;
  readonly adValorem: number;
  readonly specific: number;
  readonly exportTax: number;
  readonly floor?: number;
  readonly rents: readonly number[];
  /** The condition is written log(landed) − log(p_to): where the destination's price is logarithmic. */
  readonly logForm: boolean;
}

interface Quota {
  readonly variable: number;
  readonly quota: number;
  readonly routes: readonly number[];
}

/** Exports from a node are limited to what it makes itself (and releases from stock). */
interface OriginLimit {
  readonly variable: number;
  readonly node: number;
  readonly agents: number[];
  readonly releases: number[];
  readonly routes: number[];
}

interface StockAgent {
  readonly variable: number;
  readonly node: number;
  readonly price: number;
  /** +1: a release (adds supply); −1: a purchase (adds demand). */
  readonly sign: 1 | -1;
}

export interface ChainModel {
  readonly commodities: readonly string[];
  readonly variables: readonly Variable[];
  readonly nodes: readonly NodeRef[];
  /** Demand curves by price node; several curves (sectors) at a node add up. */
  readonly demands: ReadonlyMap<number, readonly DemandCurve[]>;
  readonly supplies: ReadonlyMap<number, { readonly intercept: number; readonly slope: number }>;
  readonly agents: readonly Agent[];
  readonly routes: readonly Route[];
  readonly quotas: readonly Quota[];
  readonly origins: readonly OriginLimit[];
  readonly stocks: readonly StockAgent[];
  /** Market size and reference price per commodity, the scales of quantities and prices. */
  readonly quantityScale: ReadonlyMap<string, number>;
  readonly priceScale: ReadonlyMap<string, number>;
  /** The conditions with a tiny tie-breaking slope (for the semismooth Newton fallbacks). */
  readonly mcp: Mcp;
  /** The exact conditions (no tie-breaking), with a fixed Jacobian pattern: what the interior-point method solves. */
  readonly exact: Mcp;
  /** A starting point in solver variables. */
  readonly start: Float64Array;
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
}

/** Route terms indexed by commodity, origin and destination, once per route table (a world has tens of thousands). */
type PairTerms = Map<string, Map<string, Map<string, RouteTerms>>>;
const pairTermsCache = new WeakMap<object, PairTerms>();
function pairTermsOf(problem: EquilibriumProblem): PairTerms {
  const key = problem.routes ?? problem;
  let terms = pairTermsCache.get(key);
  if (!terms) {
    terms = new Map();
    for (const t of problem.routes?.byPair ?? []) {
      let byOrigin = terms.get(t.commodity);
      if (!byOrigin) {
        byOrigin = new Map();
        terms.set(t.commodity, byOrigin);
      }
      let byDestination = byOrigin.get(t.from);
      if (!byDestination) {
        byDestination = new Map();
        byOrigin.set(t.from, byDestination);
      }
      byDestination.set(t.to, t);
    }
    pairTermsCache.set(key, terms);
  }
  return terms;
}

/** The rents a route's landed cost carries: its quotas' and its origin's export premium. */
function routeRents(quotas: readonly { variable: number }[], origin: { variable: number } | undefined): number[] {
  const out: number[] = [];
  for (const q of quotas) out.push(q.variable);
  if (origin) out.push(origin.variable);
  return out;
}

/** Typed arrays from a list (TypedArray.from with a map function is slow). */
function floats<T>(xs: readonly T[], f: (x: T, i: number) => number): Float64Array {
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = f(xs[i] as T, i);
  return out;
}
function ints<T>(xs: readonly T[], f: (x: T, i: number) => number): Int32Array {
  const out = new Int32Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = f(xs[i] as T, i);
  return out;
}
function flags<T>(xs: readonly T[], f: (x: T, i: number) => unknown): Uint8Array {
  const out = new Uint8Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = f(xs[i] as T, i) ? 1 : 0;
  return out;
}

/** A variable's identity across models of the same chain (to carry a solution over as a starting point). */
export function variableKey(v: Variable): string {
  return `${v.kind}|${v.commodity}|${v.region}|${v.ref}`;
}

/** A starting point for `to` from a solved point of `from`: shared variables keep their values, new ones `to.start`. */
export function warmStart(from: ChainModel, z: Float64Array, to: ChainModel): Float64Array {
  const values = new Map(from.variables.map((v, i) => [variableKey(v), from.modelValue(z, i)]));
  return floats(to.variables, (v, i) => {
    const value = values.get(variableKey(v));
    return value === undefined || !Number.isFinite(value) ? (to.start[i] as number) : to.toSolver(i, value);
  });
}

/** The flow every route starts with (a share of the market), unless the start knows better. */
const TOKEN_FLOW = 1e-3;

/** Relative tie-breaking slope on outputs and flows (see makeEvaluate). */
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
  for (const c of curves) {
    if (c.kind === 'isoelastic') d += c.q0 * (Math.max(p, c.p0 * 1e-9) / c.p0) ** c.elasticity;
    else d += Math.max(0, c.intercept - c.slope * p);
  }
  return d;
}

function totalDemandSlope(curves: readonly DemandCurve[], p: number): number {
  let slope = 0;
  for (const c of curves) slope += demandAt(c, p)[1];
  return slope;
}

/**
 * The price at which each commodity's pooled world market clears, ignoring trade costs: upstream first (inputs at
 * their pooled prices), derived demand from downstream capacity at first and from downstream output on a second pass.
 * Only a starting point for Newton.
 */
function pooledPrices(
  chain: readonly string[],
  links: readonly { output: string; input: string; coefficient: number }[],
  producers: readonly {
    commodity: string;
    capacity: number;
    cost: number;
    secondary?: boolean;
    cfd?: { strike: number };
  }[],
  supplies: readonly { commodity: string; intercept: number; slope: number }[],
  demands: readonly { commodity: string; curve: DemandCurve }[],
  scale: ReadonlyMap<string, number>,
): Map<string, number> {
  const group = <T extends { commodity: string }>(xs: readonly T[]) => {
    const out = new Map<string, T[]>();
    for (const x of xs) {
      const list = out.get(x.commodity);
      if (list) list.push(x);
      else out.set(x.commodity, [x]);
    }
    return out;
  };
  const producersOf = group(producers);
  const suppliesOf = group(supplies);
  const curvesOf = new Map([...group(demands)].map(([k, ds]) => [k, ds.map((d) => d.curve)]));
  const inputsOf = new Map<string, (typeof links)[number][]>();
  const usersOf = new Map<string, (typeof links)[number][]>();
  for (const l of links) {
    inputsOf.set(l.output, [...(inputsOf.get(l.output) ?? []), l]);
    usersOf.set(l.input, [...(usersOf.get(l.input) ?? []), l]);
  }
  // Topological order: a commodity after its inputs.
  const order: string[] = [];
  const visit = (k: string) => {
    if (order.includes(k)) return;
    for (const l of inputsOf.get(k) ?? []) visit(l.input);
    order.push(k);
  };
  for (const k of chain) visit(k);
  const primaryCapacity = (k: string) =>
    (producersOf.get(k) ?? []).reduce((s, p) => s + (p.secondary ? 0 : p.capacity), 0);
  const otherCapacity = (k: string) =>
    (producersOf.get(k) ?? []).reduce((s, p) => s + (p.secondary ? p.capacity : 0), 0) +
    (suppliesOf.get(k) ?? []).reduce((s, c) => s + Math.max(0, c.intercept), 0);
  // How much of a commodity's primary capacity its inputs can feed (1 when inputs are ample).
  const feedable = new Map<string, number>();
  const available = new Map<string, number>();
  for (const k of order) {
    let ratio = 1;
    const primary = primaryCapacity(k);
    for (const l of inputsOf.get(k) ?? []) {
      if (primary > 0 && l.coefficient > 0)
        ratio = Math.min(ratio, (available.get(l.input) ?? 0) / (l.coefficient * primary));
    }
    feedable.set(k, Math.max(0, ratio));
    available.set(k, primary * Math.max(0, ratio) + otherCapacity(k));
  }
  const price = new Map<string, number>();
  const output = new Map<string, number>();
  const unitCost = (p: (typeof producers)[number]) => {
    let c = p.cost;
    if (!p.secondary) for (const l of inputsOf.get(p.commodity) ?? []) c += l.coefficient * (price.get(l.input) ?? 0);
    return c;
  };
  const solve = (k: string, derived: number) => {
    const own = producersOf.get(k) ?? [];
    const curves = suppliesOf.get(k) ?? [];
    const finals = curvesOf.get(k) ?? [];
    const ratio = feedable.get(k) ?? 1;
    // Each producer's threshold and the quantity it adds above it.
    const threshold = own.map((q) => Math.min(unitCost(q), q.cfd?.strike ?? Number.POSITIVE_INFINITY));
    const amount = own.map((q) => (q.secondary ? q.capacity : q.capacity * ratio));
    const excess = (p: number) => {
      let s = 0;
      for (let i = 0; i < own.length; i++) if ((threshold[i] as number) <= p) s += amount[i] as number;
      for (const c of curves) s += Math.max(0, c.intercept + c.slope * p);
      return s - totalDemand(finals, p) - derived;
    };
    // Search from 1e-6 to 1e8 times the reference. If the pooled market cannot clear there (the estimate holds
    // derived demand fixed, so a scarce input looks unclearable), keep the reference price for now.
    const ref = scale.get(k) ?? 1;
    let lo = ref * 1e-6;
    let hi = ref * 1e8;
    if (excess(lo) >= 0) return lo;
    if (excess(hi) < 0) return ref;
    // 24 halvings of a range of 1e14 (in logs) leave a relative width below 2e-6: plenty for a starting point.
    for (let i = 0; i < 24; i++) {
      const mid = Math.sqrt(lo * hi);
      if (excess(mid) >= 0) hi = mid;
      else lo = mid;
    }
    return hi;
  };
  for (const pass of [0, 1]) {
    for (const k of order) {
      let derived = 0;
      for (const l of usersOf.get(k) ?? []) {
        const capacity = primaryCapacity(l.output) * (feedable.get(l.output) ?? 1);
        derived += l.coefficient * (pass === 0 ? capacity : Math.min(capacity, output.get(l.output) ?? capacity));
      }
      const p = solve(k, derived);
      price.set(k, p);
      const ratio = feedable.get(k) ?? 1;
      let made = 0;
      for (const q of producersOf.get(k) ?? [])
        if (unitCost(q) <= p) made += q.secondary ? q.capacity : q.capacity * ratio;
      output.set(k, made);
    }
    // A scarce input earns the downstream margin: its price rises to what the cheapest user can pay for it.
    for (const k of [...order].reverse()) {
      for (const l of inputsOf.get(k) ?? []) {
        if ((feedable.get(k) ?? 1) >= 1) continue;
        const users = (producersOf.get(k) ?? []).filter((p) => !p.secondary);
        if (users.length === 0) continue;
        const margin = (price.get(k) ?? 0) - Math.min(...users.map((p) => p.cost));
        const others = (inputsOf.get(k) ?? [])
          .filter((x) => x.input !== l.input)
          .reduce((s, x) => s + x.coefficient * (price.get(x.input) ?? 0), 0);
        const bid = (margin - others) / l.coefficient;
        if (bid > (price.get(l.input) ?? 0)) price.set(l.input, bid);
      }
    }
  }
  return price;
}

/**
 * For a commodity under export bans: the price at which the banned destinations' own market clears when only the
 * origins not banned toward them can serve it (each at full capacity when its cost is below that price). Only a
 * starting point; absent when the ban leaves that market no dearer than the pooled one.
 */
function bannedGroupPrices(
  chain: readonly string[],
  restrictions: readonly { origin: string; commodity: string; destinations: readonly string[] | '*'; quota: number }[],
  producers: readonly { region: string; commodity: string; capacity: number; cost: number }[],
  demands: readonly { region: string; commodity: string; curve: DemandCurve }[],
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
    const base = pooled.get(k) ?? 1;
    const excess = (p: number) =>
      allowed.filter((q) => q.cost <= p).reduce((s, q) => s + q.capacity, 0) - totalDemand(curves, p);
    if (curves.length === 0 || excess(base) >= 0) continue;
    let lo = base;
    let hi = base * 1e8;
    if (excess(hi) < 0) continue;
    for (let i = 0; i < 80; i++) {
      const mid = Math.sqrt(lo * hi);
      if (excess(mid) >= 0) hi = mid;
      else lo = mid;
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

/** The one market of the pooled problem behind the interior-point start, and how exactly it is solved. */
const POOLED_REGION = '*pooled*';
const POOLED_TOLERANCE = 1e-2;

export function buildChain(
  problem: EquilibriumProblem,
  chain: readonly string[],
  {
    pooledOnly = false,
    priceHints,
  }: {
    pooledOnly?: boolean;
    /**
     * Prices per commodity known to be about right (from a warm start): they set the scales, and the pooled market
     * is then solved only if the cold start is asked for.
     */
    priceHints?: ReadonlyMap<string, number>;
  } = {},
): ChainModel {
  const inChain = new Set(chain);
  const members = new Set(problem.members);
  const links = problem.links.filter((l) => inChain.has(l.output));
  const producers = problem.producers.filter((p) => inChain.has(p.commodity) && p.capacity > 0);
  const demands = problem.demands.filter((d) => inChain.has(d.commodity));
  const stocks = (problem.stocks ?? []).filter((s) => inChain.has(s.commodity));
  const supplies = (problem.supplies ?? []).filter((s) => inChain.has(s.commodity));

  // Scales: market size = the larger of reference demand and capacity; price = mean reference price, else mean cost.
  const quantityScale = new Map<string, number>();
  const priceScale = new Map<string, number>();
  for (const k of chain) {
    let cap = 0;
    let maxCost = Number.NEGATIVE_INFINITY;
    for (const p of producers) {
      if (p.commodity !== k) continue;
      cap += p.capacity;
      maxCost = Math.max(maxCost, p.cost);
    }
    for (const s of supplies) if (s.commodity === k) cap += Math.max(0, s.intercept);
    let dem = 0;
    let p0Sum = 0;
    let p0Count = 0;
    for (const d of demands) {
      if (d.commodity !== k) continue;
      dem += d.curve.kind === 'isoelastic' ? d.curve.q0 : d.curve.intercept;
      if (d.curve.kind === 'isoelastic') {
        p0Sum += d.curve.p0;
        p0Count++;
      }
    }
    quantityScale.set(k, Math.max(cap, dem, 1e-12));
    const ref = p0Count > 0 ? p0Sum / p0Count : maxCost > Number.NEGATIVE_INFINITY ? maxCost : 1;
    priceScale.set(k, ref > 0 ? ref : 1);
  }
  // Inputs are valued at upstream prices; give downstream commodities a price scale at least that large.
  for (const l of links) {
    const up = (priceScale.get(l.input) ?? 1) * l.coefficient;
    priceScale.set(l.output, Math.max(priceScale.get(l.output) ?? 1, up));
  }
  // The pooled world market (one market per commodity, no trade costs), solved exactly by the interior-point method
  // on its own small model: its prices set the scale of this chain's prices (a scarce market can clear at thousands
  // of times its reference; every price-like unknown is then O(1)) and, with its outputs, the starting point. The
  // pooled model itself, and any chain where it fails, uses the quick estimate of pooledPrices instead.
  const regionsHere = new Set<string>();
  for (const x of [...producers, ...demands, ...supplies, ...stocks]) regionsHere.add(x.region);
  const solvePooled = () => {
    if (pooledOnly || regionsHere.size <= 1) return undefined;
    const world = <T extends { region: string }>(x: T): T => ({ ...x, region: POOLED_REGION });
    const pooledModel = buildChain(
      {
        regions: [POOLED_REGION],
        commodities: chain,
        members: [],
        links,
        producers: producers.map(world),
        supplies: supplies.map(world),
        demands: demands.map(world),
        stocks: stocks.map(world),
      },
      chain,
      { pooledOnly: true },
    );
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
    const sane = [...prices.values()].every((x) => Number.isFinite(x) && x >= 0);
    return solved.residual <= POOLED_TOLERANCE && sane
      ? { prices, outputs, iterations: solved.iterations, evaluations: solved.evaluations }
      : undefined;
  };
  const hinted =
    priceHints && chain.every((k) => (priceHints.get(k) ?? 0) > 0)
      ? new Map(chain.map((k) => [k, priceHints.get(k) as number]))
      : undefined;
  let pooledSolve = hinted ? undefined : solvePooled();
  let pooledTried = !hinted;
  const pooled = hinted ?? pooledSolve?.prices ?? pooledPrices(chain, links, producers, supplies, demands, priceScale);
  // Export bans split a market in two: the banned destinations, served only by the other origins, and the rest.
  // Start each side at the price its own pooled market clears at.
  const banned = bannedGroupPrices(chain, problem.restrictions ?? [], producers, demands, pooled);
  for (const k of chain) {
    const p = Math.max(pooled.get(k) ?? 0, banned.get(k)?.price ?? 0);
    const ref = priceScale.get(k) ?? 1;
    // The quick estimate can overshoot by orders of magnitude (it holds derived demand at full downstream
    // capacity): the pooled model keeps its reference scales.
    if (Number.isFinite(p) && p > ref && !pooledOnly) priceScale.set(k, Math.min(p, ref * 1e6));
  }

  const variables: Variable[] = [];
  const add = (v: Variable) => variables.push(v) - 1;

  // Nodes: every region where a commodity is produced, demanded, stocked, or used as an input.
  const nodeKey = (k: string, r: string) => `${k}|${r}`;
  const nodeIndex = new Map<string, number>();
  const nodes: NodeRef[] = [];
  const isoelastic = new Set(
    demands.filter((d) => d.curve.kind === 'isoelastic' && d.curve.q0 > 0).map((d) => nodeKey(d.commodity, d.region)),
  );
  const present = new Set<string>();
  for (const p of producers) present.add(nodeKey(p.commodity, p.region));
  for (const s of supplies) present.add(nodeKey(s.commodity, s.region));
  for (const d of demands) present.add(nodeKey(d.commodity, d.region));
  for (const s of stocks) present.add(nodeKey(s.commodity, s.region));
  for (const l of links) {
    for (const p of producers) if (p.commodity === l.output && !p.secondary) present.add(nodeKey(l.input, p.region));
  }
  const ensureNode = (k: string, r: string) => {
    const key = nodeKey(k, r);
    let index = nodeIndex.get(key);
    if (index === undefined) {
      const logarithmic = isoelastic.has(key);
      index = add({
        kind: 'price',
        commodity: k,
        region: r,
        ref: r,
        lower: logarithmic ? Number.NEGATIVE_INFINITY : 0,
        upper: Number.POSITIVE_INFINITY,
        scale: priceScale.get(k) as number,
        conditionScale: 1 / (quantityScale.get(k) as number),
        ...(logarithmic ? { logarithmic } : {}),
      });
      nodeIndex.set(key, index);
      nodes.push({ index, commodity: k, region: r });
    }
    return index;
  };
  for (const k of chain) for (const r of problem.regions) if (present.has(nodeKey(k, r))) ensureNode(k, r);

  const demandByNode = new Map<number, DemandCurve[]>();
  for (const d of demands) {
    const node = ensureNode(d.commodity, d.region);
    const list = demandByNode.get(node);
    if (list) list.push(d.curve);
    else demandByNode.set(node, [d.curve]);
  }

  const supplyByNode = new Map<number, { intercept: number; slope: number }>();
  for (const s of supplies) {
    const node = ensureNode(s.commodity, s.region);
    const prior = supplyByNode.get(node);
    supplyByNode.set(node, {
      intercept: (prior?.intercept ?? 0) + s.intercept,
      slope: (prior?.slope ?? 0) + s.slope,
    });
  }

  const agents: Agent[] = [];
  for (const p of producers) {
    const node = ensureNode(p.commodity, p.region);
    const inputs = p.secondary
      ? []
      : links
          .filter((l) => l.output === p.commodity)
          .map((l) => ({ node: ensureNode(l.input, p.region), coefficient: l.coefficient }));
    // A CfD with a volume cap splits the producer: the covered tranche gets max(p, strike), the rest p.
    const covered = p.cfd ? Math.min(p.capacity, p.cfd.volume ?? p.capacity) : 0;
    const tranches: [number, number | undefined, string][] = p.cfd
      ? [
          [covered, p.cfd.strike, p.id],
          [p.capacity - covered, undefined, `${p.id}#uncovered`],
        ]
      : [[p.capacity, undefined, p.id]];
    for (const [capacity, strike, ref] of tranches) {
      if (!(capacity > 0)) continue;
      const variable = add({
        kind: 'output',
        commodity: p.commodity,
        region: p.region,
        ref,
        lower: 0,
        upper: capacity / (quantityScale.get(p.commodity) as number),
        scale: quantityScale.get(p.commodity) as number,
        conditionScale: 1 / (priceScale.get(p.commodity) as number),
      });
      agents.push({ variable, node, cost: p.cost, ...(strike !== undefined ? { strike } : {}), inputs });
    }
  }

  const stockAgents: StockAgent[] = [];
  for (const s of stocks) {
    const node = ensureNode(s.commodity, s.region);
    const q = quantityScale.get(s.commodity) as number;
    const ps = 1 / (priceScale.get(s.commodity) as number);
    if (s.buyCap && s.buyCap > 0 && s.buyPrice !== undefined) {
      const variable = add({
        kind: 'buy',
        commodity: s.commodity,
        region: s.region,
        ref: s.id,
        lower: 0,
        upper: s.buyCap / q,
        scale: q,
        conditionScale: ps,
      });
      stockAgents.push({ variable, node, price: s.buyPrice, sign: -1 });
    }
    if (s.releaseCap && s.releaseCap > 0 && s.releasePrice !== undefined) {
      const variable = add({
        kind: 'release',
        commodity: s.commodity,
        region: s.region,
        ref: s.id,
        lower: 0,
        upper: s.releaseCap / q,
        scale: q,
        conditionScale: ps,
      });
      stockAgents.push({ variable, node, price: s.releasePrice, sign: 1 });
    }
  }

  // Routes between every ordered pair of nodes of a commodity, except those an export ban closes.
  const restrictions = (problem.restrictions ?? []).filter((r) => inChain.has(r.commodity));
  const covers = (
    r: { origin: string; commodity: string; destinations: readonly string[] | '*' },
    k: string,
    from: string,
    to: string,
  ) => r.commodity === k && r.origin === from && (r.destinations === '*' || r.destinations.includes(to));
  const floors = new Map((problem.floors ?? []).map((f) => [nodeKey(f.commodity, f.region), f.price]));
  const exportTax = new Map((problem.exportTaxes ?? []).map((e) => [nodeKey(e.commodity, e.origin), e.rate]));
  const pairTerms = pairTermsOf(problem);
  const quotas: { restriction: (typeof restrictions)[number]; variable: number; routes: number[] }[] = [];
  for (const r of restrictions) {
    if (r.quota <= 0) continue;
    const variable = add({
      kind: 'rent',
      commodity: r.commodity,
      region: r.origin,
      ref: r.id,
      lower: 0,
      upper: Number.POSITIVE_INFINITY,
      scale: priceScale.get(r.commodity) as number,
      conditionScale: 1 / (quantityScale.get(r.commodity) as number),
    });
    quotas.push({ restriction: r, variable, routes: [] });
  }
  // Who trades: a node that makes nothing exports nothing, and a node that uses nothing (no demand, no downstream
  // producer, no vault) imports nothing — it could only pass the goods on, which the origin rule forbids.
  // A node that both makes and uses gets an origin limit: it may export no more than it makes.
  const makes = new Set<number>();
  const uses = new Set<number>();
  for (const a of agents) {
    makes.add(a.node);
    for (const input of a.inputs) uses.add(input.node);
  }
  for (const node of supplyByNode.keys()) makes.add(node);
  for (const node of demandByNode.keys()) uses.add(node);
  for (const a of stockAgents) (a.sign > 0 ? makes : uses).add(a.node);
  const originByNode = new Map<number, OriginLimit>();
  for (const node of nodes) {
    if (!makes.has(node.index) || !uses.has(node.index)) continue;
    const agentsHere = agents.filter((a) => a.node === node.index).map((a) => a.variable);
    const releasesHere = stockAgents.filter((a) => a.node === node.index && a.sign > 0).map((a) => a.variable);
    const variable = add({
      kind: 'origin',
      commodity: node.commodity,
      region: node.region,
      ref: node.region,
      lower: 0,
      upper: Number.POSITIVE_INFINITY,
      scale: priceScale.get(node.commodity) as number,
      conditionScale: 1 / (quantityScale.get(node.commodity) as number),
    });
    originByNode.set(node.index, {
      variable,
      node: node.index,
      agents: agentsHere,
      releases: releasesHere,
      routes: [],
    });
  }
  const bans = restrictions.filter((r) => r.quota <= 0);
  const routes: Route[] = [];
  for (const from of nodes) {
    if (!makes.has(from.index)) continue;
    const origin = originByNode.get(from.index);
    const k = from.commodity;
    const tax = exportTax.get(nodeKey(k, from.region)) ?? 0;
    const fromQuotas = quotas.filter((q) => q.restriction.commodity === k && q.restriction.origin === from.region);
    const fromBans = bans.filter((r) => r.commodity === k && r.origin === from.region);
    const termsFrom = pairTerms.get(k)?.get(from.region);
    for (const to of nodes) {
      if (k !== to.commodity || from.region === to.region || !uses.has(to.index)) continue;
      if (fromBans.some((r) => covers(r, k, from.region, to.region))) continue;
      const terms = termsFrom?.get(to.region);
      const fallback = problem.routes?.default;
      // Where the destination's price is logarithmic the arbitrage condition is written in logs (same sign, same
      // zero): a large Newton step in a log price then moves it linearly rather than exponentially.
      const logForm = Boolean(variables[to.index]?.logarithmic);
      const variable = add({
        kind: 'flow',
        commodity: k,
        region: from.region,
        ref: to.region,
        lower: 0,
        upper: Number.POSITIVE_INFINITY,
        scale: quantityScale.get(k) as number,
        conditionScale: logForm ? 1 : 1 / (priceScale.get(k) as number),
      });
      const rents = fromQuotas.filter((q) => covers(q.restriction, k, from.region, to.region));
      const floor = members.has(to.region) && !members.has(from.region) ? floors.get(nodeKey(k, to.region)) : undefined;
      for (const q of rents) q.routes.push(routes.length);
      origin?.routes.push(routes.length);
      routes.push({
        variable,
        from: from.index,
        to: to.index,
        freight: terms?.freight ?? fallback?.freight ?? 0,
        adValorem: terms?.adValorem ?? fallback?.adValorem ?? 0,
        specific: terms?.specific ?? fallback?.specific ?? 0,
        exportTax: tax,
        ...(floor !== undefined ? { floor } : {}),
        rents: routeRents(rents, origin),
        logForm,
      });
    }
  }
  const quotaModels: Quota[] = quotas.map((q) => ({
    variable: q.variable,
    quota: q.restriction.quota,
    routes: q.routes,
  }));

  const n = variables.length;
  const lower = floats(variables, (v) => v.lower);
  const upper = floats(variables, (v) => v.upper);
  const zs = floats(variables, (v) => v.scale);
  const logarithmic = flags(variables, (v) => v.logarithmic);
  const modelValue = (z: Float64Array, i: number) =>
    logarithmic[i] ? (zs[i] as number) * Math.exp(z[i] as number) : (z[i] as number) * (zs[i] as number);
  const eliminable = flags(variables, (v) => v.kind !== 'price' && v.kind !== 'rent' && v.kind !== 'origin');
  const { pattern, evaluate } = compileConditions({
    variables,
    demandByNode,
    supplyByNode,
    agents,
    stockAgents,
    routes,
    origins: [...originByNode.values()],
    quotas: quotaModels,
    priceScale,
  });
  const blockOf = new Map(chain.map((k, b) => [k, b]));
  const blocks = ints(variables, (v) => blockOf.get(v.commodity) ?? 0);
  const mcpWith = (epsilon: number): Mcp => {
    const values = new Float64Array(pattern.rows.length);
    return {
      size: n,
      lower,
      upper,
      eliminable,
      blocks,
      pattern,
      evaluateValues: (z, f, jac, skip) => evaluate(epsilon, z, f, jac, skip),
      evaluate: (z, f, jac) => {
        if (!jac) return evaluate(epsilon, z, f);
        evaluate(epsilon, z, f, values);
        for (let t = 0; t < values.length; t++)
          jac.add(pattern.rows[t] as number, pattern.cols[t] as number, values[t] as number);
      },
    };
  };

  // Start: each commodity's price where its pooled world market (no trade costs) clears, producers on or off by
  // their margin at that price, no trade, no rents. A scarce market's price can be orders of magnitude above its
  // reference, and Newton converges fast only from the right order of magnitude.
  // Under a ban, the origins still allowed into the banned destinations sell there: their producers earn the
  // banned side's price (through their origin rent where they also have a home market), and ship to it.
  const bannedOrigins = new Set(
    (problem.restrictions ?? []).filter((r) => r.quota <= 0).map((r) => `${r.commodity}|${r.origin}`),
  );
  const exporterPrice = (k: string, region: string): number | undefined => {
    const group = banned.get(k);
    if (!group || group.destinations.has(region) || bannedOrigins.has(`${k}|${region}`)) return undefined;
    return group.price;
  };
  const agentOf = new Map(agents.map((a) => [a.variable, a]));
  const capacityAt = new Map<string, number>();
  if (banned.size > 0) {
    for (const a of agents) {
      const v = variables[a.variable] as Variable;
      capacityAt.set(nodeKey(v.commodity, v.region), (capacityAt.get(nodeKey(v.commodity, v.region)) ?? 0) + v.upper);
    }
  }
  const bannedShare = new Map<string, number>();
  for (const [k, group] of banned) {
    let total = 0;
    const here = new Map<string, number>();
    for (const r of group.destinations) {
      const curves = demands.filter((d) => d.commodity === k && d.region === r).map((d) => d.curve);
      const q = totalDemandAt(curves, group.price)[0];
      here.set(r, q);
      total += q;
    }
    for (const [r, q] of here) bannedShare.set(nodeKey(k, r), total > 0 ? q / total : Number.NaN);
  }
  const start = floats(variables, (v, i) => {
    const group = banned.get(v.commodity);
    const base = pooled.get(v.commodity) ?? v.scale;
    if (v.kind === 'price') {
      const exporting = exporterPrice(v.commodity, v.region);
      const ownMarket = originByNode.has(i);
      const estimate = group?.destinations.has(v.region)
        ? group.price
        : exporting !== undefined && !ownMarket && makes.has(i)
          ? exporting
          : base;
      // The pooled model's own start trusts the quick estimate only within a factor 10 of the reference.
      const p = pooledOnly ? Math.min(v.scale * 10, Math.max(v.scale / 10, estimate)) : estimate;
      return v.logarithmic ? Math.log(Math.max(p, 1e-12 * v.scale) / v.scale) : p / v.scale;
    }
    if (v.kind === 'origin') {
      const exporting = exporterPrice(v.commodity, v.region);
      return exporting !== undefined ? Math.max(0, exporting - base) / v.scale : 0;
    }
    if (v.kind === 'output') {
      const agent = agentOf.get(i);
      let input = 0;
      for (const x of agent?.inputs ?? [])
        input += x.coefficient * (pooled.get(variables[x.node]?.commodity ?? '') ?? 0);
      const price = Math.max(exporterPrice(v.commodity, v.region) ?? base, agent?.strike ?? 0);
      return (agent?.cost ?? 0) + input < price ? v.upper : 0;
    }
    if (v.kind === 'flow') {
      // Allowed exporters ship their capacity to the banned side, in proportion to its demand there.
      if (group && exporterPrice(v.commodity, v.region) !== undefined && group.destinations.has(v.ref)) {
        const capacity = capacityAt.get(nodeKey(v.commodity, v.region)) ?? 0;
        const share = bannedShare.get(nodeKey(v.commodity, v.ref)) ?? Number.NaN;
        return Number.isNaN(share) ? 1e-3 : capacity * share;
      }
      // A little trade on every other route keeps Newton off the Fischer–Burmeister corner (0, 0), where a route
      // whose landed cost equals the destination price would otherwise start with no direction of its own.
      return TOKEN_FLOW;
    }
    return 0;
  });

  const exact = mcpWith(0);
  // The interior-point start: the pooled market solved exactly (one market per commodity, no trade costs), its
  // outputs and prices as the base, then trade routed (transportStart). Computed on first use.
  let interiorStartMemo: { start: Float64Array; iterations: number; evaluations: number } | undefined;
  const interiorStart = () => {
    if (interiorStartMemo) return interiorStartMemo;
    const base = Float64Array.from(start);
    if (!pooledTried) {
      pooledSolve = solvePooled();
      pooledTried = true;
    }
    if (pooledSolve) {
      const { prices: priceOf, outputs: outputOf } = pooledSolve;
      variables.forEach((v, i) => {
        // Markets split by a ban keep the ban-aware start.
        if (banned.has(v.commodity)) return;
        const value =
          v.kind === 'price' ? priceOf.get(v.commodity) : v.kind === 'output' ? outputOf.get(v.ref) : undefined;
        if (value === undefined || !Number.isFinite(value)) return;
        if (v.kind === 'price' && !(value > 0)) return;
        const zi = v.logarithmic ? Math.log(value / v.scale) : Math.min(v.upper, Math.max(v.lower, value / v.scale));
        if (Number.isFinite(zi)) base[i] = zi;
      });
    }
    const routed = transportStart({
      variables,
      nodes,
      demandByNode,
      supplyByNode,
      agents,
      stockAgents,
      routes,
      origins: [...originByNode.values()],
      quotas: quotaModels,
      priceScale,
      start: base,
      modelValue,
    });
    interiorStartMemo = {
      start: routed,
      iterations: pooledSolve?.iterations ?? 0,
      evaluations: pooledSolve?.evaluations ?? 0,
    };
    return interiorStartMemo;
  };
  const excludedRoutes = (z: Float64Array, keep: number): Uint8Array => {
    const f = new Float64Array(n);
    exact.evaluate(z, f);
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
    const gap = (k: number) => f[(routes[k] as Route).variable] as number;
    for (const group of [into, out]) {
      for (const list of group.values()) {
        list.sort((a, b) => gap(a) - gap(b));
        for (let t = 0; t < Math.min(keep, list.length); t++)
          excluded[(routes[list[t] as number] as Route).variable] = 0;
      }
    }
    for (const r of routes) if ((z[r.variable] as number) > TOKEN_FLOW) excluded[r.variable] = 0;
    return excluded;
  };
  return {
    excludedRoutes,
    interiorStart,
    commodities: chain,
    variables,
    nodes,
    demands: demandByNode,
    supplies: supplyByNode,
    agents,
    routes,
    quotas: quotaModels,
    origins: [...originByNode.values()],
    stocks: stockAgents,
    quantityScale,
    priceScale,
    modelValue,
    toSolver: (i: number, value: number) =>
      logarithmic[i]
        ? Math.log(Math.max(value, 1e-300) / (zs[i] as number))
        : Math.min(upper[i] as number, Math.max(lower[i] as number, value / (zs[i] as number))),
    evaluateExact: (z, f) => exact.evaluate(z, f),
    withTieBreak: (epsilon: number) => (epsilon === 0 ? exact : mcpWith(epsilon)),
    exact,
    mcp: mcpWith(TIE_BREAK),
    start,
  };
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
function transportStart(
  parts: ConditionParts & {
    readonly nodes: readonly NodeRef[];
    readonly start: Float64Array;
    readonly modelValue: (z: Float64Array, i: number) => number;
  },
): Float64Array {
  const { variables, nodes, demandByNode, agents, routes, origins, start, modelValue } = parts;
  const n = variables.length;
  const z = Float64Array.from(start);
  const price = new Float64Array(n);
  for (const node of nodes) price[node.index] = modelValue(start, node.index);
  // What each node makes and uses at the base prices and outputs (model units).
  const made = new Float64Array(n);
  const used = new Float64Array(n);
  for (const node of nodes)
    used[node.index] = totalDemand(demandByNode.get(node.index) ?? [], price[node.index] as number);
  for (const a of agents) {
    const q = modelValue(start, a.variable);
    made[a.node] = (made[a.node] as number) + q;
    for (const input of a.inputs) used[input.node] = (used[input.node] as number) + input.coefficient * q;
  }
  for (const [node, curve] of parts.supplyByNode) {
    made[node] = (made[node] as number) + Math.max(0, curve.intercept + curve.slope * (price[node] as number));
  }
  for (const s of parts.stockAgents) {
    const v = modelValue(start, s.variable);
    if (s.sign > 0) made[s.node] = (made[s.node] as number) + v;
    else used[s.node] = (used[s.node] as number) + v;
  }
  const originOf = new Map(origins.map((o) => [o.node, o.variable]));
  const byCommodity = new Map<string, NodeRef[]>();
  for (const node of nodes) {
    const list = byCommodity.get(node.commodity);
    if (list) list.push(node);
    else byCommodity.set(node.commodity, [node]);
  }
  const routesOf = new Map<string, Route[]>();
  for (const r of routes) {
    const key = variables[r.variable]?.commodity ?? '';
    const list = routesOf.get(key);
    if (list) list.push(r);
    else routesOf.set(key, [r]);
    z[r.variable] = 0;
  }
  for (const [k, list] of byCommodity) {
    const sellers: number[] = [];
    const buyers: number[] = [];
    const sellerSlot = new Map<number, number>();
    const buyerSlot = new Map<number, number>();
    for (const node of list) {
      if ((made[node.index] as number) > 0) sellerSlot.set(node.index, sellers.push(node.index) - 1);
      if ((used[node.index] as number) > 0) buyerSlot.set(node.index, buyers.push(node.index) - 1);
    }
    if (sellers.length === 0 || buyers.length === 0) continue;
    const arcs: { from: number; to: number; cost: number; route?: Route }[] = [];
    for (const i of sellers) {
      const b = buyerSlot.get(i);
      if (b !== undefined) arcs.push({ from: sellerSlot.get(i) as number, to: b, cost: 0 });
    }
    for (const r of routesOf.get(k) ?? []) {
      const from = sellerSlot.get(r.from);
      const to = buyerSlot.get(r.to);
      if (from === undefined || to === undefined) continue;
      const pFrom = price[r.from] as number;
      const dutyPaid = (pFrom * (1 + r.exportTax) + r.freight) * (1 + r.adValorem) + r.specific;
      const landed = r.floor !== undefined ? Math.max(r.floor, dutyPaid) : dutyPaid;
      arcs.push({ from, to, cost: Math.max(0, landed - pFrom), route: r });
    }
    const flow = minCostTransport(
      sellers.map((i) => made[i] as number),
      buyers.map((i) => used[i] as number),
      arcs,
    );
    // Dual: walk the arcs that carry goods (sellers as 0..S−1, buyers as S..S+B−1).
    const S = sellers.length;
    const adjacent = new Map<number, { other: number; delta: number }[]>();
    const link = (x: number, other: number, delta: number) => {
      const l = adjacent.get(x);
      if (l) l.push({ other, delta });
      else adjacent.set(x, [{ other, delta }]);
    };
    arcs.forEach((arc, a) => {
      const q = flow[a] as number;
      if (!(q > 0)) return;
      if (arc.route) z[arc.route.variable] = q / (variables[arc.route.variable] as Variable).scale;
      link(arc.from, S + arc.to, arc.cost);
      link(S + arc.to, arc.from, -arc.cost);
    });
    const market = (x: number) => (x < S ? (sellers[x] as number) : (buyers[x - S] as number));
    const seen = new Set<number>();
    for (const root of adjacent.keys()) {
      if (seen.has(root)) continue;
      const level = new Map<number, number>([[root, 0]]);
      const queue = [root];
      seen.add(root);
      while (queue.length > 0) {
        const at = queue.pop() as number;
        for (const { other, delta } of adjacent.get(at) ?? []) {
          if (seen.has(other)) continue;
          seen.add(other);
          level.set(other, (level.get(at) as number) + delta);
          queue.push(other);
        }
      }
      let shift = 0;
      for (const [x, d] of level) shift += (price[market(x)] as number) - d;
      shift /= level.size;
      // A market's price is what its buyers pay; where its sellers earn more (all exported), an origin rent.
      const buyerPrice = new Map<number, number>();
      const sellerPrice = new Map<number, number>();
      for (const [x, d] of level) (x < S ? sellerPrice : buyerPrice).set(market(x), d + shift);
      for (const [i, p] of [...sellerPrice, ...buyerPrice]) {
        const buyer = buyerPrice.get(i);
        const seller = sellerPrice.get(i);
        const v = variables[i] as Variable;
        const pi = buyer ?? p;
        if (pi > 0 && Number.isFinite(pi)) z[i] = v.logarithmic ? Math.log(pi / v.scale) : pi / v.scale;
        const o = originOf.get(i);
        if (o !== undefined && buyer !== undefined && seller !== undefined && seller > buyer) {
          z[o] = (seller - buyer) / (variables[o] as Variable).scale;
        }
      }
    }
  }
  return z;
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
  const E = supply.length;
  const I = demand.length;
  // Graph: 0 = source, 1..E sellers, E+1..E+I buyers, E+I+1 = sink; edges in pairs (forward, reverse).
  const V = E + I + 2;
  const sink = V - 1;
  const edges = 2 * (E + arcs.length + I);
  const head = new Int32Array(edges);
  const to = new Int32Array(edges);
  const cap = new Float64Array(edges);
  const cost = new Float64Array(edges);
  const next = new Int32Array(edges);
  const first = new Int32Array(V).fill(-1);
  let count = 0;
  const half = (a: number, b: number, c: number, w: number) => {
    head[count] = a;
    to[count] = b;
    cap[count] = c;
    cost[count] = w;
    next[count] = first[a] as number;
    first[a] = count++;
  };
  const addEdge = (u: number, v: number, c: number, w: number) => {
    half(u, v, c, w);
    half(v, u, 0, -w);
  };
  let total = 0;
  for (let e = 0; e < E; e++) {
    addEdge(0, 1 + e, supply[e] as number, 0);
    total += supply[e] as number;
  }
  for (const arc of arcs) addEdge(1 + arc.from, 1 + E + arc.to, Number.POSITIVE_INFINITY, arc.cost);
  for (let i = 0; i < I; i++) addEdge(1 + E + i, sink, demand[i] as number, 0);
  // Free arcs (a market supplying itself) carry what they can at once: flow on arcs of zero cost leaves no negative
  // cycle, so the shortest paths below stay exact, and most of the goods never need one.
  arcs.forEach((arc, a) => {
    if (arc.cost !== 0) return;
    const fromSource = 2 * arc.from;
    const toSink = 2 * (E + arcs.length + arc.to);
    const q = Math.min(cap[fromSource] as number, cap[toSink] as number);
    if (!(q > 0)) return;
    for (const edge of [fromSource, 2 * (E + a), toSink]) {
      cap[edge] = (cap[edge] as number) - q;
      cap[edge ^ 1] = (cap[edge ^ 1] as number) + q;
    }
  });
  const potential = new Float64Array(V);
  const dist = new Float64Array(V);
  const via = new Int32Array(V);
  const done = new Uint8Array(V);
  const tiny = 1e-12 * Math.max(total, 1e-300);
  for (let round = 0; round < 4 * V + arcs.length; round++) {
    // Dijkstra on reduced costs (dense selection: the graphs are small).
    dist.fill(Number.POSITIVE_INFINITY);
    done.fill(0);
    dist[0] = 0;
    for (;;) {
      let u = -1;
      let best = Number.POSITIVE_INFINITY;
      for (let x = 0; x < V; x++) {
        if (!done[x] && (dist[x] as number) < best) {
          best = dist[x] as number;
          u = x;
        }
      }
      if (u < 0 || u === sink) break;
      done[u] = 1;
      const pu = potential[u] as number;
      for (let e = first[u] as number; e >= 0; e = next[e] as number) {
        const v = to[e] as number;
        // A settled node keeps its label (rounding can make a reduced cost a hair negative: relabelling it could
        // close a loop in the path).
        if (done[v] || !((cap[e] as number) > tiny)) continue;
        const d = best + (cost[e] as number) + pu - (potential[v] as number);
        if (d < (dist[v] as number) - 1e-15 * Math.abs(d)) {
          dist[v] = d;
          via[v] = e;
        }
      }
    }
    const reach = dist[sink] as number;
    if (!Number.isFinite(reach)) break;
    for (let x = 0; x < V; x++) {
      if (Number.isFinite(dist[x])) potential[x] = (potential[x] as number) + Math.min(dist[x] as number, reach);
    }
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
  }
  return arcs.map((_, a) => cap[2 * (E + a) + 1] as number);
}

/** What compileConditions needs of a chain's model. */
interface ConditionParts {
  readonly variables: readonly Variable[];
  readonly demandByNode: ReadonlyMap<number, readonly DemandCurve[]>;
  readonly supplyByNode: ReadonlyMap<number, { readonly intercept: number; readonly slope: number }>;
  readonly agents: readonly Agent[];
  readonly stockAgents: readonly StockAgent[];
  readonly routes: readonly Route[];
  readonly origins: readonly OriginLimit[];
  readonly quotas: readonly Quota[];
  readonly priceScale: ReadonlyMap<string, number>;
}

/**
 * The conditions of buildChain as flat arrays, with the Jacobian's sparsity pattern fixed once: `evaluate` writes F
 * and the Jacobian's values at the pattern's positions, without allocating. Derivatives are taken in model units
 * and scaled at the end: ∂(fs_i·F_i)/∂z_j = fs_i · ∂F_i/∂x_j · dx_j/dz_j.
 *
 *   (see the module comment for the conditions; ε is the tie-breaking slope, 0 for the exact conditions)
 */
function compileConditions(parts: ConditionParts): {
  pattern: JacobianPattern;
  evaluate: (epsilon: number, z: Float64Array, f: Float64Array, jac?: Float64Array, skip?: Uint8Array) => void;
} {
  const { variables, demandByNode, supplyByNode, agents, stockAgents, routes, origins, quotas } = parts;
  const n = variables.length;
  const zs = floats(variables, (v) => v.scale);
  const fs = floats(variables, (v) => v.conditionScale);
  const logarithmic = flags(variables, (v) => v.logarithmic);
  const rows: number[] = [];
  const cols: number[] = [];
  const slot = (r: number, c: number) => {
    rows.push(r);
    cols.push(c);
    return rows.length - 1;
  };
  const originOf = new Int32Array(n).fill(-1);
  for (const o of origins) originOf[o.node] = o.variable;
  const originAt = (node: number): number => originOf[node] as number;

  // Demand: curves flattened per node.
  const demandNodes = [...demandByNode.keys()];
  const dNode = Int32Array.from(demandNodes);
  const dSlot = ints(demandNodes, (node) => slot(node, node));
  const dStart = new Int32Array(demandNodes.length + 1);
  const curveKind: number[] = [];
  const curveA: number[] = [];
  const curveB: number[] = [];
  const curveE: number[] = [];
  demandNodes.forEach((node, k) => {
    for (const c of demandByNode.get(node) ?? []) {
      curveKind.push(c.kind === 'isoelastic' ? 0 : 1);
      curveA.push(c.kind === 'isoelastic' ? c.q0 : c.intercept);
      curveB.push(c.kind === 'isoelastic' ? c.p0 : c.slope);
      curveE.push(c.kind === 'isoelastic' ? c.elasticity : 0);
    }
    dStart[k + 1] = curveKind.length;
  });
  const cKind = Uint8Array.from(curveKind);
  const cA = Float64Array.from(curveA);
  const cB = Float64Array.from(curveB);
  const cE = Float64Array.from(curveE);

  // Supply curves at a node: into its balance and, with an origin limit, its origin row.
  const supplyNodes = [...supplyByNode.keys()];
  const sNode = Int32Array.from(supplyNodes);
  const sIntercept = floats(supplyNodes, (node) => supplyByNode.get(node)?.intercept ?? 0);
  const sSlope = floats(supplyNodes, (node) => supplyByNode.get(node)?.slope ?? 0);
  const sSlotNN = ints(supplyNodes, (node) => slot(node, node));
  const sSlotNO = ints(supplyNodes, (node) => (originAt(node) >= 0 ? slot(node, originAt(node)) : -1));
  const sSlotON = ints(supplyNodes, (node) => (originAt(node) >= 0 ? slot(originAt(node), node) : -1));
  const sSlotOO = ints(supplyNodes, (node) => (originAt(node) >= 0 ? slot(originAt(node), originAt(node)) : -1));

  // Producers.
  const A = agents.length;
  const aVar = ints(agents, (a) => a.variable);
  const aNode = ints(agents, (a) => a.node);
  const aOrigin = ints(agents, (a) => originAt(a.node));
  const aCost = floats(agents, (a) => a.cost);
  const aStrike = floats(agents, (a) => a.strike ?? Number.NaN);
  const aPriceScale = floats(agents, (a) => parts.priceScale.get(variables[a.variable]?.commodity ?? '') ?? 1);
  const aSlotNQ = ints(agents, (a) => slot(a.node, a.variable));
  const aSlotQN = ints(agents, (a) => slot(a.variable, a.node));
  const aSlotQO = ints(agents, (a) => (originAt(a.node) >= 0 ? slot(a.variable, originAt(a.node)) : -1));
  const aSlotQQ = ints(agents, (a) => slot(a.variable, a.variable));
  const aInStart = new Int32Array(A + 1);
  const inNode: number[] = [];
  const inCoef: number[] = [];
  const inSlotQI: number[] = [];
  const inSlotIQ: number[] = [];
  agents.forEach((a, k) => {
    for (const input of a.inputs) {
      inNode.push(input.node);
      inCoef.push(input.coefficient);
      inSlotQI.push(slot(a.variable, input.node));
      inSlotIQ.push(slot(input.node, a.variable));
    }
    aInStart[k + 1] = inNode.length;
  });
  const iNode = Int32Array.from(inNode);
  const iCoef = Float64Array.from(inCoef);
  const iSlotQI = Int32Array.from(inSlotQI);
  const iSlotIQ = Int32Array.from(inSlotIQ);

  // Stock moves.
  const kVar = ints(stockAgents, (s) => s.variable);
  const kNode = ints(stockAgents, (s) => s.node);
  const kOrigin = ints(stockAgents, (s) => (s.sign > 0 ? originAt(s.node) : -1));
  const kPrice = floats(stockAgents, (s) => s.price);
  const kSign = floats(stockAgents, (s) => s.sign);
  const kSlotNV = ints(stockAgents, (s) => slot(s.node, s.variable));
  const kSlotVN = ints(stockAgents, (s) => slot(s.variable, s.node));
  const kSlotVO = ints(stockAgents, (s) =>
    s.sign > 0 && originAt(s.node) >= 0 ? slot(s.variable, originAt(s.node)) : -1,
  );

  // Routes.
  const R = routes.length;
  const rVar = ints(routes, (r) => r.variable);
  const rFrom = ints(routes, (r) => r.from);
  const rTo = ints(routes, (r) => r.to);
  const rBase = floats(routes, (r) => r.freight);
  const rMarkup = floats(routes, (r) => 1 + r.adValorem);
  const rSpecific = floats(routes, (r) => r.specific);
  const rTax = floats(routes, (r) => 1 + r.exportTax);
  const rFloor = floats(routes, (r) => r.floor ?? Number.NaN);
  const rLog = flags(routes, (r) => r.logForm);
  const rSlotTE = ints(routes, (r) => slot(r.to, r.variable));
  const rSlotFE = ints(routes, (r) => slot(r.from, r.variable));
  const rSlotEF = ints(routes, (r) => slot(r.variable, r.from));
  const rSlotET = ints(routes, (r) => slot(r.variable, r.to));
  const rSlotEE = ints(routes, (r) => slot(r.variable, r.variable));
  const rRentStart = new Int32Array(R + 1);
  const rentVar: number[] = [];
  const rentSlot: number[] = [];
  routes.forEach((r, k) => {
    for (const q of r.rents) {
      rentVar.push(q);
      rentSlot.push(slot(r.variable, q));
    }
    rRentStart[k + 1] = rentVar.length;
  });
  const eRentVar = Int32Array.from(rentVar);
  const eRentSlot = Int32Array.from(rentSlot);

  // Origin limits: own output and releases in, exports out (supply curves above).
  const oVar = ints(origins, (o) => o.variable);
  const oStart = new Int32Array(origins.length + 1);
  const oMember: number[] = [];
  const oSign: number[] = [];
  const oSlot: number[] = [];
  origins.forEach((o, k) => {
    for (const a of o.agents) {
      oMember.push(a);
      oSign.push(1);
      oSlot.push(slot(o.variable, a));
    }
    for (const r of o.releases) {
      oMember.push(r);
      oSign.push(1);
      oSlot.push(slot(o.variable, r));
    }
    for (const ri of o.routes) {
      const e = (routes[ri] as Route).variable;
      oMember.push(e);
      oSign.push(-1);
      oSlot.push(slot(o.variable, e));
    }
    oStart[k + 1] = oMember.length;
  });
  const oM = Int32Array.from(oMember);
  const oS = Float64Array.from(oSign);
  const oSl = Int32Array.from(oSlot);

  // Quotas.
  const qVar = ints(quotas, (q) => q.variable);
  const qQuota = floats(quotas, (q) => q.quota);
  const qStart = new Int32Array(quotas.length + 1);
  const qRoute: number[] = [];
  const qSlot: number[] = [];
  quotas.forEach((q, k) => {
    for (const ri of q.routes) {
      const e = (routes[ri] as Route).variable;
      qRoute.push(e);
      qSlot.push(slot(q.variable, e));
    }
    qStart[k + 1] = qRoute.length;
  });
  const qR = Int32Array.from(qRoute);
  const qS = Int32Array.from(qSlot);

  const pattern: JacobianPattern = { rows: Int32Array.from(rows), cols: Int32Array.from(cols) };
  const nnz = rows.length;
  const x = new Float64Array(n);
  const dxdz = new Float64Array(n);
  const scratch = new Float64Array(nnz);
  const slotScale = new Float64Array(nnz);
  for (let t = 0; t < nnz; t++) slotScale[t] = fs[pattern.rows[t] as number] as number;

  const evaluate = (epsilon: number, z: Float64Array, f: Float64Array, jacIn?: Float64Array, skip?: Uint8Array) => {
    const J = jacIn ?? scratch;
    // Jacobian entries are scaled as they are written: ∂(fs_r·F_r)/∂z_c = fs_r · ∂F_r/∂x_c · dx_c/dz_c.
    const put = (t: number, value: number) => {
      J[t] = value * (slotScale[t] as number) * (dxdz[pattern.cols[t] as number] as number);
    };
    for (let i = 0; i < n; i++) {
      const zi = z[i] as number;
      if (logarithmic[i]) {
        const v = (zs[i] as number) * Math.exp(zi);
        x[i] = v;
        dxdz[i] = v;
      } else {
        x[i] = zi * (zs[i] as number);
        dxdz[i] = zs[i] as number;
      }
    }
    f.fill(0);
    // Demand.
    for (let k = 0; k < dNode.length; k++) {
      const node = dNode[k] as number;
      const p = x[node] as number;
      let dem = 0;
      let slope = 0;
      for (let c = dStart[k] as number; c < (dStart[k + 1] as number); c++) {
        if (cKind[c] === 0) {
          const p0 = cB[c] as number;
          const pe = Math.max(p, p0 * 1e-9);
          const d = (cA[c] as number) * (pe / p0) ** (cE[c] as number);
          dem += d;
          slope += ((cE[c] as number) * d) / pe;
        } else {
          const d = (cA[c] as number) - (cB[c] as number) * p;
          if (d > 0) {
            dem += d;
            slope -= cB[c] as number;
          }
        }
      }
      f[node] = (f[node] as number) - dem;
      put(dSlot[k] as number, -slope);
    }
    // Supply curves, on what the node's producers earn (price plus origin rent).
    for (let k = 0; k < sNode.length; k++) {
      const node = sNode[k] as number;
      const o = originAt(node);
      const own = (x[node] as number) + (o >= 0 ? (x[o] as number) : 0);
      const supply = (sIntercept[k] as number) + (sSlope[k] as number) * own;
      const on = supply > 0;
      const slope = on ? (sSlope[k] as number) : 0;
      if (on) f[node] = (f[node] as number) + supply;
      put(sSlotNN[k] as number, slope);
      if (o >= 0) {
        put(sSlotNO[k] as number, slope);
        if (on) f[o] = (f[o] as number) + supply;
        put(sSlotON[k] as number, slope);
        put(sSlotOO[k] as number, slope);
      }
    }
    // Producers: output into the balance, inputs out of their region's balance; the margin condition.
    for (let k = 0; k < A; k++) {
      const q = aVar[k] as number;
      const node = aNode[k] as number;
      const o = aOrigin[k] as number;
      const output = x[q] as number;
      f[node] = (f[node] as number) + output;
      put(aSlotNQ[k] as number, 1);
      let g = aCost[k] as number;
      for (let t = aInStart[k] as number; t < (aInStart[k + 1] as number); t++) {
        const input = iNode[t] as number;
        const coefficient = iCoef[t] as number;
        g += coefficient * (x[input] as number);
        put(iSlotQI[t] as number, coefficient);
        f[input] = (f[input] as number) - coefficient * output;
        put(iSlotIQ[t] as number, -coefficient);
      }
      const p = (x[node] as number) + (o >= 0 ? (x[o] as number) : 0);
      const strike = aStrike[k] as number;
      if (strike > p) {
        g -= strike;
        put(aSlotQN[k] as number, 0);
        if (o >= 0) put(aSlotQO[k] as number, 0);
      } else {
        g -= p;
        put(aSlotQN[k] as number, -1);
        if (o >= 0) put(aSlotQO[k] as number, -1);
      }
      // Tie-breaking: unit cost rises by ε (of the price scale) per market-size of output.
      const tie = epsilon > 0 ? (epsilon * (aPriceScale[k] as number)) / (zs[q] as number) : 0;
      g += tie * output;
      put(aSlotQQ[k] as number, tie);
      f[q] = g;
    }
    // Stock moves: purchases v ⊥ p − buy price; releases v ⊥ release price − own price.
    for (let k = 0; k < kVar.length; k++) {
      const v = kVar[k] as number;
      const node = kNode[k] as number;
      const sign = kSign[k] as number;
      f[node] = (f[node] as number) + sign * (x[v] as number);
      put(kSlotNV[k] as number, sign);
      if (sign < 0) {
        f[v] = (x[node] as number) - (kPrice[k] as number);
        put(kSlotVN[k] as number, 1);
      } else {
        const o = kOrigin[k] as number;
        f[v] = (kPrice[k] as number) - (x[node] as number) - (o >= 0 ? (x[o] as number) : 0);
        put(kSlotVN[k] as number, -1);
        if (o >= 0) put(kSlotVO[k] as number, -1);
      }
    }
    // Routes: flows between balances; the arbitrage condition landed − p_to (in logs into log-priced markets).
    for (let k = 0; k < R; k++) {
      const e = rVar[k] as number;
      const from = rFrom[k] as number;
      const to = rTo[k] as number;
      const flow = x[e] as number;
      f[to] = (f[to] as number) + flow;
      f[from] = (f[from] as number) - flow;
      put(rSlotTE[k] as number, 1);
      put(rSlotFE[k] as number, -1);
      // A route left out of the working set: its flow counts in the balances, its own condition is not needed.
      if (skip?.[e]) continue;
      let rent = 0;
      for (let t = rRentStart[k] as number; t < (rRentStart[k + 1] as number); t++)
        rent += x[eRentVar[t] as number] as number;
      const markup = rMarkup[k] as number;
      const dutyPaid =
        ((x[from] as number) * (rTax[k] as number) + rent + (rBase[k] as number)) * markup + (rSpecific[k] as number);
      const floor = rFloor[k] as number;
      const floorBinds = floor > dutyPaid;
      const tieSlope = epsilon > 0 ? (epsilon * (zs[from] as number)) / (zs[e] as number) : 0;
      const landed = (floorBinds ? floor : dutyPaid) + tieSlope * flow;
      const pTo = x[to] as number;
      const log = rLog[k] === 1;
      const g = log ? 1 / Math.max(landed, Number.MIN_VALUE) : 1;
      f[e] = log ? Math.log(Math.max(landed, Number.MIN_VALUE)) - Math.log(pTo) : landed - pTo;
      const dFrom = floorBinds ? 0 : (rTax[k] as number) * markup * g;
      const dRent = floorBinds ? 0 : markup * g;
      put(rSlotEF[k] as number, dFrom);
      for (let t = rRentStart[k] as number; t < (rRentStart[k + 1] as number); t++) put(eRentSlot[t] as number, dRent);
      put(rSlotEE[k] as number, tieSlope * g);
      put(rSlotET[k] as number, log ? -1 / pTo : -1);
    }
    // Origin limits: own output and releases, less exports (the supply curves' part is added above).
    for (let k = 0; k < oVar.length; k++) {
      const o = oVar[k] as number;
      let made = 0;
      for (let t = oStart[k] as number; t < (oStart[k + 1] as number); t++) {
        made += (oS[t] as number) * (x[oM[t] as number] as number);
        put(oSl[t] as number, oS[t] as number);
      }
      f[o] = (f[o] as number) + made;
    }
    // Export quotas.
    for (let k = 0; k < qVar.length; k++) {
      let shipped = 0;
      for (let t = qStart[k] as number; t < (qStart[k + 1] as number); t++) {
        shipped += x[qR[t] as number] as number;
        put(qS[t] as number, -1);
      }
      f[qVar[k] as number] = (qQuota[k] as number) - shipped;
    }
    for (let i = 0; i < n; i++) f[i] = (f[i] as number) * (fs[i] as number);
  };
  return { pattern, evaluate };
}
