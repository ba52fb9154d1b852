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
 */
import type { Mcp, Triplets } from './mcp.ts';
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
  readonly mcp: Mcp;
  /** A starting point in solver variables. */
  readonly start: Float64Array;
  /** The same problem with a stronger tie-breaking slope: the continuation path for degenerate markets. */
  readonly withTieBreak: (epsilon: number) => Mcp;
  /** F without the tie-breaking term: what the certificate is measured on. */
  readonly evaluateExact: (z: Float64Array, f: Float64Array) => void;
  /** Solver coordinate of variable i holding the model value `value` (the inverse of modelValue). */
  readonly toSolver: (i: number, value: number) => number;
  /** The model value (price, quantity) of solver variable i at solver point z. */
  readonly modelValue: (z: Float64Array, i: number) => number;
}

/** Route terms indexed by commodity, origin and destination, once per problem (a world has tens of thousands). */
const pairTermsCache = new WeakMap<object, Map<string, RouteTerms>>();
function pairTermsOf(problem: EquilibriumProblem): Map<string, RouteTerms> {
  const key = problem.routes ?? problem;
  let terms = pairTermsCache.get(key);
  if (!terms) {
    terms = new Map((problem.routes?.byPair ?? []).map((t) => [`${t.commodity}|${t.from}|${t.to}`, t] as const));
    pairTermsCache.set(key, terms);
  }
  return terms;
}

/** A variable's identity across models of the same chain (to carry a solution over as a starting point). */
export function variableKey(v: Variable): string {
  return `${v.kind}|${v.commodity}|${v.region}|${v.ref}`;
}

/** A starting point for `to` from a solved point of `from`: shared variables keep their values, new ones `to.start`. */
export function warmStart(from: ChainModel, z: Float64Array, to: ChainModel): Float64Array {
  const values = new Map(from.variables.map((v, i) => [variableKey(v), from.modelValue(z, i)]));
  return Float64Array.from(to.variables, (v, i) => {
    const value = values.get(variableKey(v));
    return value === undefined || !Number.isFinite(value) ? (to.start[i] as number) : to.toSolver(i, value);
  });
}

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
  let d = 0;
  let slope = 0;
  for (const c of curves) {
    const [q, s] = demandAt(c, p);
    d += q;
    slope += s;
  }
  return [d, slope];
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
  // Topological order: a commodity after its inputs.
  const order: string[] = [];
  const visit = (k: string) => {
    if (order.includes(k)) return;
    for (const l of links) if (l.output === k) visit(l.input);
    order.push(k);
  };
  for (const k of chain) visit(k);
  const primaryCapacity = (k: string) =>
    producers.filter((p) => p.commodity === k && !p.secondary).reduce((s, p) => s + p.capacity, 0);
  const otherCapacity = (k: string) =>
    producers.filter((p) => p.commodity === k && p.secondary).reduce((s, p) => s + p.capacity, 0) +
    supplies.filter((c) => c.commodity === k).reduce((s, c) => s + Math.max(0, c.intercept), 0);
  // How much of a commodity's primary capacity its inputs can feed (1 when inputs are ample).
  const feedable = new Map<string, number>();
  const available = new Map<string, number>();
  for (const k of order) {
    let ratio = 1;
    const primary = primaryCapacity(k);
    for (const l of links.filter((x) => x.output === k)) {
      if (primary > 0 && l.coefficient > 0)
        ratio = Math.min(ratio, (available.get(l.input) ?? 0) / (l.coefficient * primary));
    }
    feedable.set(k, Math.max(0, ratio));
    available.set(k, primary * Math.max(0, ratio) + otherCapacity(k));
  }
  const price = new Map<string, number>();
  const output = new Map<string, number>();
  const unitCost = (p: (typeof producers)[number]) =>
    p.cost +
    (p.secondary
      ? 0
      : links
          .filter((l) => l.output === p.commodity)
          .reduce((s, l) => s + l.coefficient * (price.get(l.input) ?? 0), 0));
  const solve = (k: string, derived: number) => {
    const own = producers.filter((p) => p.commodity === k);
    const curves = supplies.filter((c) => c.commodity === k);
    const finals = demands.filter((d) => d.commodity === k).map((d) => d.curve);
    const ratio = feedable.get(k) ?? 1;
    const excess = (p: number) => {
      let s = 0;
      for (const q of own) {
        if (Math.min(unitCost(q), q.cfd?.strike ?? Number.POSITIVE_INFINITY) <= p)
          s += q.secondary ? q.capacity : q.capacity * ratio;
      }
      for (const c of curves) s += Math.max(0, c.intercept + c.slope * p);
      return s - totalDemandAt(finals, p)[0] - derived;
    };
    // Search from 1e-6 to 1e8 times the reference. If the pooled market cannot clear there (the estimate holds
    // derived demand fixed, so a scarce input looks unclearable), keep the reference price for now.
    const ref = scale.get(k) ?? 1;
    let lo = ref * 1e-6;
    let hi = ref * 1e8;
    if (excess(lo) >= 0) return lo;
    if (excess(hi) < 0) return ref;
    for (let i = 0; i < 80; i++) {
      const mid = Math.sqrt(lo * hi);
      if (excess(mid) >= 0) hi = mid;
      else lo = mid;
    }
    return hi;
  };
  for (const pass of [0, 1]) {
    for (const k of order) {
      let derived = 0;
      for (const l of links.filter((x) => x.input === k)) {
        const capacity = primaryCapacity(l.output) * (feedable.get(l.output) ?? 1);
        derived += l.coefficient * (pass === 0 ? capacity : Math.min(capacity, output.get(l.output) ?? capacity));
      }
      const p = solve(k, derived);
      price.set(k, p);
      const ratio = feedable.get(k) ?? 1;
      const made = producers
        .filter((q) => q.commodity === k && unitCost(q) <= p)
        .reduce((s, q) => s + (q.secondary ? q.capacity : q.capacity * ratio), 0);
      output.set(k, made);
    }
    // A scarce input earns the downstream margin: its price rises to what the cheapest user can pay for it.
    for (const k of [...order].reverse()) {
      for (const l of links.filter((x) => x.output === k)) {
        if ((feedable.get(k) ?? 1) >= 1) continue;
        const users = producers.filter((p) => p.commodity === k && !p.secondary);
        if (users.length === 0) continue;
        const margin = (price.get(k) ?? 0) - Math.min(...users.map((p) => p.cost));
        const others = links
          .filter((x) => x.output === k && x.input !== l.input)
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
      allowed.filter((q) => q.cost <= p).reduce((s, q) => s + q.capacity, 0) - totalDemandAt(curves, p)[0];
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

export function buildChain(problem: EquilibriumProblem, chain: readonly string[]): ChainModel {
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
    const cap =
      producers.filter((p) => p.commodity === k).reduce((s, p) => s + p.capacity, 0) +
      supplies.filter((s) => s.commodity === k).reduce((s, c) => s + Math.max(0, c.intercept), 0);
    const dem = demands
      .filter((d) => d.commodity === k)
      .reduce((s, d) => s + (d.curve.kind === 'isoelastic' ? d.curve.q0 : d.curve.intercept), 0);
    quantityScale.set(k, Math.max(cap, dem, 1e-12));
    const p0 = demands.filter((d) => d.commodity === k && d.curve.kind === 'isoelastic');
    const costs = producers.filter((p) => p.commodity === k).map((p) => p.cost);
    const ref =
      p0.length > 0
        ? p0.reduce((s, d) => s + (d.curve.kind === 'isoelastic' ? d.curve.p0 : 0), 0) / p0.length
        : costs.length > 0
          ? Math.max(...costs)
          : 1;
    priceScale.set(k, ref > 0 ? ref : 1);
  }
  // Inputs are valued at upstream prices; give downstream commodities a price scale at least that large.
  for (const l of links) {
    const up = (priceScale.get(l.input) ?? 1) * l.coefficient;
    priceScale.set(l.output, Math.max(priceScale.get(l.output) ?? 1, up));
  }
  // Where the pooled world market clears far from the reference price (a scarce market can clear at thousands of
  // times it), measure prices in units of that clearing price: every price-like unknown is then O(1).
  const pooled = pooledPrices(chain, links, producers, supplies, demands, priceScale);
  // Export bans split a market in two: the banned destinations, served only by the other origins, and the rest.
  // Start each side at the price its own pooled market clears at.
  const banned = bannedGroupPrices(chain, problem.restrictions ?? [], producers, demands, pooled);
  for (const k of chain) {
    const p = Math.max(pooled.get(k) ?? 0, banned.get(k)?.price ?? 0);
    const ref = priceScale.get(k) ?? 1;
    if (Number.isFinite(p) && p > ref) priceScale.set(k, Math.min(p, ref * 1e6));
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
  const ensureNode = (k: string, r: string) => {
    const key = nodeKey(k, r);
    if (!nodeIndex.has(key)) {
      const logarithmic = isoelastic.has(key);
      const index = add({
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
    return nodeIndex.get(key) as number;
  };
  for (const k of chain) {
    for (const r of problem.regions) {
      const here =
        producers.some((p) => p.commodity === k && p.region === r) ||
        supplies.some((s) => s.commodity === k && s.region === r) ||
        demands.some((d) => d.commodity === k && d.region === r) ||
        stocks.some((s) => s.commodity === k && s.region === r) ||
        links.some(
          (l) => l.input === k && producers.some((p) => p.commodity === l.output && p.region === r && !p.secondary),
        );
      if (here) ensureNode(k, r);
    }
  }

  const demandByNode = new Map<number, DemandCurve[]>();
  for (const d of demands) {
    const node = ensureNode(d.commodity, d.region);
    demandByNode.set(node, [...(demandByNode.get(node) ?? []), d.curve]);
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
    const inputs = links
      .filter((l) => l.output === p.commodity && !p.secondary)
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
    const agentsHere = agents.filter((a) => a.node === node.index).map((a) => a.variable);
    const releasesHere = stockAgents.filter((a) => a.node === node.index && a.sign > 0).map((a) => a.variable);
    if (!makes.has(node.index) || !uses.has(node.index)) continue;
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
  const routes: Route[] = [];
  for (const from of nodes) {
    if (!makes.has(from.index)) continue;
    const origin = originByNode.get(from.index);
    for (const to of nodes) {
      if (from.commodity !== to.commodity || from.region === to.region || !uses.has(to.index)) continue;
      const k = from.commodity;
      if (restrictions.some((r) => r.quota <= 0 && covers(r, k, from.region, to.region))) continue;
      const terms = { ...problem.routes?.default, ...pairTerms.get(`${k}|${from.region}|${to.region}`) };
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
      const rents = quotas.filter((q) => covers(q.restriction, k, from.region, to.region));
      const floor = members.has(to.region) && !members.has(from.region) ? floors.get(nodeKey(k, to.region)) : undefined;
      for (const q of rents) q.routes.push(routes.length);
      origin?.routes.push(routes.length);
      routes.push({
        variable,
        from: from.index,
        to: to.index,
        freight: terms.freight ?? 0,
        adValorem: terms.adValorem ?? 0,
        specific: terms.specific ?? 0,
        exportTax: exportTax.get(nodeKey(k, from.region)) ?? 0,
        ...(floor !== undefined ? { floor } : {}),
        rents: [...rents.map((q) => q.variable), ...(origin ? [origin.variable] : [])],
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
  const lower = Float64Array.from(variables, (v) => v.lower);
  const upper = Float64Array.from(variables, (v) => v.upper);
  const zs = Float64Array.from(variables, (v) => v.scale);
  const fs = Float64Array.from(variables, (v) => v.conditionScale);
  const logarithmic = Uint8Array.from(variables, (v) => (v.logarithmic ? 1 : 0));
  const x = new Float64Array(n);
  const dxdz = new Float64Array(n);
  const modelValue = (z: Float64Array, i: number) =>
    logarithmic[i] ? (zs[i] as number) * Math.exp(z[i] as number) : (z[i] as number) * (zs[i] as number);

  // Tie-breaking: unit cost rises by ε (of the price scale) per market-size of output or flow. Where routes or
  // producers tie exactly, flows and outputs are otherwise not unique and Newton stalls on the flat directions; with
  // ε = 1e-10 the conditions of the unregularised problem still hold to 1e-10, and the certificate is measured on
  // them (evaluateExact), not on the regularised ones.
  const makeEvaluate = (epsilon: number) => (zScaled: Float64Array, f: Float64Array, jac?: Triplets) => {
    for (let i = 0; i < n; i++) {
      x[i] = modelValue(zScaled, i);
      dxdz[i] = logarithmic[i] ? (x[i] as number) : (zs[i] as number);
    }
    f.fill(0);
    // d(row)/d(col) in model units, stored scaled.
    const d = jac
      ? (row: number, col: number, v: number) => jac.add(row, col, v * (fs[row] as number) * (dxdz[col] as number))
      : undefined;
    for (const node of nodes) {
      const curves = demandByNode.get(node.index);
      if (!curves) continue;
      const [dem, slope] = totalDemandAt(curves, x[node.index] as number);
      f[node.index] = (f[node.index] as number) - dem;
      d?.(node.index, node.index, -slope);
    }
    // What a producer at a node earns: the node's price plus its origin rent (the export premium when all of its
    // own output is exported and the home market is served by imports).
    const originOf = (node: number) => originByNode.get(node)?.variable;
    const ownPrice = (node: number) => {
      const o = originOf(node);
      return (x[node] as number) + (o === undefined ? 0 : (x[o] as number));
    };
    const dOwnPrice = (row: number, node: number, v: number) => {
      d?.(row, node, v);
      const o = originOf(node);
      if (o !== undefined) d?.(row, o, v);
    };
    for (const [node, curve] of supplyByNode) {
      const supply = curve.intercept + curve.slope * ownPrice(node);
      if (supply > 0) {
        f[node] = (f[node] as number) + supply;
        dOwnPrice(node, node, curve.slope);
      }
    }
    for (const a of agents) {
      const q = x[a.variable] as number;
      const p = ownPrice(a.node);
      f[a.node] = (f[a.node] as number) + q;
      d?.(a.node, a.variable, 1);
      let g = a.cost;
      for (const input of a.inputs) {
        g += input.coefficient * (x[input.node] as number);
        d?.(a.variable, input.node, input.coefficient);
        f[input.node] = (f[input.node] as number) - input.coefficient * q;
        d?.(input.node, a.variable, -input.coefficient);
      }
      if (a.strike !== undefined && a.strike > p) {
        g -= a.strike;
      } else {
        g -= p;
        dOwnPrice(a.variable, a.node, -1);
      }
      const tie = epsilon * (zs[a.variable] as number) > 0 ? epsilon : 0;
      if (tie > 0) {
        // ε · (q / Q) · P in model units.
        const slope =
          (tie * (priceScale.get(variables[a.variable]?.commodity ?? '') as number)) / (zs[a.variable] as number);
        g += slope * q;
        d?.(a.variable, a.variable, slope);
      }
      f[a.variable] = g;
    }
    for (const s of stockAgents) {
      const v = x[s.variable] as number;
      f[s.node] = (f[s.node] as number) + s.sign * v;
      d?.(s.node, s.variable, s.sign);
      // Purchase: v in [0, cap] ⊥ p − buy price. Release: v in [0, cap] ⊥ release price − own price.
      if (s.sign < 0) {
        f[s.variable] = (x[s.node] as number) - s.price;
        d?.(s.variable, s.node, 1);
      } else {
        f[s.variable] = s.price - ownPrice(s.node);
        dOwnPrice(s.variable, s.node, -1);
      }
    }
    for (const r of routes) {
      const flow = x[r.variable] as number;
      f[r.to] = (f[r.to] as number) + flow;
      f[r.from] = (f[r.from] as number) - flow;
      d?.(r.to, r.variable, 1);
      d?.(r.from, r.variable, -1);
      let rent = 0;
      for (const q of r.rents) rent += x[q] as number;
      const markup = 1 + r.adValorem;
      const dutyPaid = ((x[r.from] as number) * (1 + r.exportTax) + rent + r.freight) * markup + r.specific;
      const floorBinds = r.floor !== undefined && r.floor > dutyPaid;
      const tieSlope = epsilon === 0 ? 0 : (epsilon * (zs[r.from] as number)) / (zs[r.variable] as number);
      const landed = (floorBinds ? (r.floor as number) : dutyPaid) + tieSlope * flow;
      const pTo = x[r.to] as number;
      // Derivatives of landed, then of the condition's form (log or linear).
      const g = r.logForm ? 1 / Math.max(landed, Number.MIN_VALUE) : 1;
      f[r.variable] = r.logForm ? Math.log(Math.max(landed, Number.MIN_VALUE)) - Math.log(pTo) : landed - pTo;
      if (!floorBinds) {
        d?.(r.variable, r.from, (1 + r.exportTax) * markup * g);
        for (const q of r.rents) d?.(r.variable, q, markup * g);
      }
      if (tieSlope > 0) d?.(r.variable, r.variable, tieSlope * g);
      d?.(r.variable, r.to, r.logForm ? -1 / pTo : -1);
    }
    for (const o of originByNode.values()) {
      let made = 0;
      for (const a of o.agents) {
        made += x[a] as number;
        d?.(o.variable, a, 1);
      }
      for (const r of o.releases) {
        made += x[r] as number;
        d?.(o.variable, r, 1);
      }
      const curve = supplyByNode.get(o.node);
      if (curve) {
        const supply = curve.intercept + curve.slope * ownPrice(o.node);
        if (supply > 0) {
          made += supply;
          dOwnPrice(o.variable, o.node, curve.slope);
        }
      }
      for (const ri of o.routes) {
        const route = routes[ri] as Route;
        made -= x[route.variable] as number;
        d?.(o.variable, route.variable, -1);
      }
      f[o.variable] = made;
    }
    for (const q of quotaModels) {
      let shipped = 0;
      for (const ri of q.routes) {
        const route = routes[ri] as Route;
        shipped += x[route.variable] as number;
        d?.(q.variable, route.variable, -1);
      }
      f[q.variable] = q.quota - shipped;
    }
    for (let i = 0; i < n; i++) f[i] = (f[i] as number) * (fs[i] as number);
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
  const indexOf = new Map(variables.map((v, i) => [v, i]));
  const start = Float64Array.from(variables, (v, i) => {
    const group = banned.get(v.commodity);
    const base = pooled.get(v.commodity) ?? v.scale;
    if (v.kind === 'price') {
      const exporting = exporterPrice(v.commodity, v.region);
      const ownMarket = originByNode.has(i);
      const p = group?.destinations.has(v.region)
        ? group.price
        : exporting !== undefined && !ownMarket && makes.has(i)
          ? exporting
          : base;
      return v.logarithmic ? Math.log(Math.max(p, 1e-12 * v.scale) / v.scale) : p / v.scale;
    }
    if (v.kind === 'origin') {
      const exporting = exporterPrice(v.commodity, v.region);
      return exporting !== undefined ? Math.max(0, exporting - base) / v.scale : 0;
    }
    if (v.kind === 'output') {
      const agent = agents.find((a) => a.variable === indexOf.get(v));
      const input =
        agent?.inputs.reduce(
          (s, x) => s + x.coefficient * (pooled.get(nodes.find((n) => n.index === x.node)?.commodity ?? '') ?? 0),
          0,
        ) ?? 0;
      const price = Math.max(exporterPrice(v.commodity, v.region) ?? base, agent?.strike ?? 0);
      return (agent?.cost ?? 0) + input < price ? v.upper : 0;
    }
    if (v.kind === 'flow') {
      // Allowed exporters ship their capacity to the banned side, in proportion to its demand there.
      if (group && exporterPrice(v.commodity, v.region) !== undefined && group.destinations.has(v.ref)) {
        const capacity = agents
          .filter((a) => variables[a.variable]?.region === v.region && variables[a.variable]?.commodity === v.commodity)
          .reduce((s, a) => s + (variables[a.variable]?.upper ?? 0), 0);
        const demandHere = (r: string) =>
          totalDemandAt(
            demands.filter((d) => d.commodity === v.commodity && d.region === r).map((d) => d.curve),
            group.price,
          )[0];
        let total = 0;
        for (const r of group.destinations) total += demandHere(r);
        return total > 0 ? (capacity * demandHere(v.ref)) / total : 1e-3;
      }
      // A little trade on every other route keeps Newton off the Fischer–Burmeister corner (0, 0), where a route
      // whose landed cost equals the destination price would otherwise start with no direction of its own.
      return 1e-3;
    }
    return 0;
  });

  return {
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
    evaluateExact: makeEvaluate(0),
    withTieBreak: (epsilon: number) => ({
      size: n,
      lower,
      upper,
      eliminable: Uint8Array.from(variables, (v) =>
        v.kind === 'price' || v.kind === 'rent' || v.kind === 'origin' ? 0 : 1,
      ),
      evaluate: makeEvaluate(epsilon),
    }),
    mcp: {
      size: n,
      lower,
      upper,
      // Outputs, flows and stock moves depend only on prices and rents: eliminate them from each Newton system.
      eliminable: Uint8Array.from(variables, (v) =>
        v.kind === 'price' || v.kind === 'rent' || v.kind === 'origin' ? 0 : 1,
      ),
      evaluate: makeEvaluate(TIE_BREAK),
    },
    start,
  };
}
