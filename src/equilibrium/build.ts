/**
 * Turns one chain of an EquilibriumProblem (commodities joined by input coefficients) into a box MCP
 * (MODEL.md §3), with every variable and condition scaled so that 1 means "the size of this market":
 * quantities by the commodity's market size, prices by its reference price.
 *
 *   price p[r,k]     >= 0             ⊥  supply + imports − exports − demand − derived − stock change >= 0
 *   output q[j]      in [0, K_j]      ⊥  cost_j + Σ_m a[k,m]·p[r,m] − max(p, strike) (box)
 *   flow x[r,s,k]    >= 0             ⊥  landed[r,s] − p[s] >= 0
 *   rent lam[ρ]      >= 0             ⊥  quota_ρ − Σ_{routes of ρ} x >= 0
 *   vault buy b      in [0, buy cap]  ⊥  p − buy price (box)
 *   vault release v  in [0, rel cap]  ⊥  release price − p (box)
 *
 * landed = max(floor_s, duty_paid) on a non-member → member route with a floor, else duty_paid, where
 * duty_paid = (p[r]·(1 + ex[r]) + Σ lam + freight)·(1 + av) + specific.
 */
import type { Mcp, Triplets } from './mcp.ts';
import type { DemandCurve, EquilibriumProblem } from './problem.ts';

export type VariableKind = 'price' | 'output' | 'flow' | 'rent' | 'buy' | 'release';

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
}

interface Quota {
  readonly variable: number;
  readonly quota: number;
  readonly routes: readonly number[];
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
  readonly demands: ReadonlyMap<number, DemandCurve>;
  readonly supplies: ReadonlyMap<number, { readonly intercept: number; readonly slope: number }>;
  readonly agents: readonly Agent[];
  readonly routes: readonly Route[];
  readonly quotas: readonly Quota[];
  readonly stocks: readonly StockAgent[];
  /** Market size and reference price per commodity, the scales of quantities and prices. */
  readonly quantityScale: ReadonlyMap<string, number>;
  readonly priceScale: ReadonlyMap<string, number>;
  readonly mcp: Mcp;
  /** A starting point in scaled variables. */
  readonly start: Float64Array;
}

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

  const variables: Variable[] = [];
  const add = (v: Variable) => variables.push(v) - 1;

  // Nodes: every region where a commodity is produced, demanded, stocked, or used as an input.
  const nodeKey = (k: string, r: string) => `${k}|${r}`;
  const nodeIndex = new Map<string, number>();
  const nodes: NodeRef[] = [];
  const ensureNode = (k: string, r: string) => {
    const key = nodeKey(k, r);
    if (!nodeIndex.has(key)) {
      const index = add({
        kind: 'price',
        commodity: k,
        region: r,
        ref: r,
        lower: 0,
        upper: Number.POSITIVE_INFINITY,
        scale: priceScale.get(k) as number,
        conditionScale: 1 / (quantityScale.get(k) as number),
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
        links.some((l) => l.input === k && producers.some((p) => p.commodity === l.output && p.region === r));
      if (here) ensureNode(k, r);
    }
  }

  const demandByNode = new Map<number, DemandCurve>();
  for (const d of demands) {
    const node = ensureNode(d.commodity, d.region);
    const prior = demandByNode.get(node);
    if (prior) throw new Error(`two demand curves for ${d.commodity} in ${d.region}: merge them before solving`);
    demandByNode.set(node, d.curve);
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
  const pairTerms = new Map(
    (problem.routes?.byPair ?? []).map((t) => [`${t.commodity}|${t.from}|${t.to}`, t] as const),
  );
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
  const routes: Route[] = [];
  for (const from of nodes) {
    for (const to of nodes) {
      if (from.commodity !== to.commodity || from.region === to.region) continue;
      const k = from.commodity;
      if (restrictions.some((r) => r.quota <= 0 && covers(r, k, from.region, to.region))) continue;
      const terms = { ...problem.routes?.default, ...pairTerms.get(`${k}|${from.region}|${to.region}`) };
      const variable = add({
        kind: 'flow',
        commodity: k,
        region: from.region,
        ref: to.region,
        lower: 0,
        upper: Number.POSITIVE_INFINITY,
        scale: quantityScale.get(k) as number,
        conditionScale: 1 / (priceScale.get(k) as number),
      });
      const rents = quotas.filter((q) => covers(q.restriction, k, from.region, to.region));
      const floor = members.has(to.region) && !members.has(from.region) ? floors.get(nodeKey(k, to.region)) : undefined;
      for (const q of rents) q.routes.push(routes.length);
      routes.push({
        variable,
        from: from.index,
        to: to.index,
        freight: terms.freight ?? 0,
        adValorem: terms.adValorem ?? 0,
        specific: terms.specific ?? 0,
        exportTax: exportTax.get(nodeKey(k, from.region)) ?? 0,
        ...(floor !== undefined ? { floor } : {}),
        rents: rents.map((q) => q.variable),
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
  const x = new Float64Array(n);

  const evaluate = (zScaled: Float64Array, f: Float64Array, jac?: Triplets) => {
    for (let i = 0; i < n; i++) x[i] = (zScaled[i] as number) * (zs[i] as number);
    f.fill(0);
    // d(row)/d(col) in model units, stored scaled.
    const d = jac
      ? (row: number, col: number, v: number) => jac.add(row, col, v * (fs[row] as number) * (zs[col] as number))
      : undefined;
    for (const node of nodes) {
      const curve = demandByNode.get(node.index);
      if (!curve) continue;
      const [dem, slope] = demandAt(curve, x[node.index] as number);
      f[node.index] = (f[node.index] as number) - dem;
      d?.(node.index, node.index, -slope);
    }
    for (const [node, curve] of supplyByNode) {
      const supply = curve.intercept + curve.slope * (x[node] as number);
      if (supply > 0) {
        f[node] = (f[node] as number) + supply;
        d?.(node, node, curve.slope);
      }
    }
    for (const a of agents) {
      const q = x[a.variable] as number;
      const p = x[a.node] as number;
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
        d?.(a.variable, a.node, -1);
      }
      f[a.variable] = g;
    }
    for (const s of stockAgents) {
      const v = x[s.variable] as number;
      f[s.node] = (f[s.node] as number) + s.sign * v;
      d?.(s.node, s.variable, s.sign);
      const p = x[s.node] as number;
      // Purchase: v in [0, cap] ⊥ p − buy price. Release: v in [0, cap] ⊥ release price − p.
      f[s.variable] = s.sign < 0 ? p - s.price : s.price - p;
      d?.(s.variable, s.node, s.sign < 0 ? 1 : -1);
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
      if (r.floor !== undefined && r.floor > dutyPaid) {
        f[r.variable] = r.floor - (x[r.to] as number);
      } else {
        f[r.variable] = dutyPaid - (x[r.to] as number);
        d?.(r.variable, r.from, (1 + r.exportTax) * markup);
        for (const q of r.rents) d?.(r.variable, q, markup);
      }
      d?.(r.variable, r.to, -1);
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

  // Start: prices at their scale, producers half-way, no trade, no rents, no stock moves.
  const start = Float64Array.from(variables, (v) =>
    v.kind === 'price' ? 1 : v.kind === 'output' ? v.upper / 2 : v.kind === 'flow' ? 0.01 : 0,
  );

  return {
    commodities: chain,
    variables,
    nodes,
    demands: demandByNode,
    supplies: supplyByNode,
    agents,
    routes,
    quotas: quotaModels,
    stocks: stockAgents,
    quantityScale,
    priceScale,
    mcp: {
      size: n,
      lower,
      upper,
      // Outputs, flows and stock moves depend only on prices and rents: eliminate them from each Newton system.
      eliminable: Uint8Array.from(variables, (v) => (v.kind === 'price' || v.kind === 'rent' ? 0 : 1)),
      evaluate,
    },
    start,
  };
}
