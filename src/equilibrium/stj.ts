/**
 * The independent formulation of MODEL.md §3 check (b): the Samuelson–Takayama–Judge spatial equilibrium as a
 * surplus-maximising program, solved by HiGHS (WebAssembly). It shares no code with the MCP engine beyond the
 * problem types and the input validation.
 *
 *   maximise   Σ consumer benefit − Σ cost_j·q_j − Σ curve cost − Σ route_cost·x
 *   subject to at every node n = (r, k):
 *              demand + Σ a·q_downstream + exports − production − imports <= 0      (dual: the price p[r,k])
 *              exports − own production <= 0       (no re-export; dual: the origin rent, the engine's export premium)
 *              0 <= q_j <= K_j,  x >= 0,  D >= 0,  S >= 0
 *
 * Consumer benefit: linear demand D = a − b·p has inverse demand (a − D)/b, whose integral a/b·D − D²/(2b) makes the
 * program a convex QP. A linear supply curve S = α + β·p costs ∫ (S − α)/β dS = S²/(2β) − α/β·S. Several supply
 * curves at one node are added into one (intercepts and slopes summed), as the engine does; several demand curves
 * at one node are separate consumers, each with its own max(0, ·), as in the engine.
 *
 * Isoelastic demand D = q0·(p/p0)^ε (capped at its choke price, where it has one) is cut into price-quantity steps: between breakpoint prices π_{t−1} > π_t the
 * consumer buys the D(π_t) − D(π_{t−1}) units at the geometric mean √(π_{t−1}·π_t); the first D(π_0) units are
 * valued at π_0 and nothing is bought beyond D(π_m). That is an LP (or part of the QP). The first grid has `steps`
 * steps, geometric in price between P(0.01·q0) = p0·0.01^(1/ε) and 0.01·p0. The grid is then adapted: where the
 * solution lies beyond the grid the range is widened 1000-fold on that side; otherwise the step holding the
 * solution and its two neighbours are replaced by `steps` finer steps, and the program is solved again, until the
 * relative price step at every solution is below `resolution` or `refinements` passes are spent. At the end each
 * stepped consumer is exactly a consumer whose inverse demand differs from the true one by a factor within
 * exp(±h), h the log price step around its solution (reported as `discretisation`): the approximation error.
 *
 * Scope (anything else throws an Error naming the feature): producers with capacity and constant cost (secondary
 * producers allowed, CfDs not), linear supply curves, linear and isoelastic demand, stage links, routes with freight
 * and specific tariffs (route cost = freight + specific), export bans (the banned routes are omitted). Not supported:
 * ad valorem tariffs, export taxes, export quotas other than bans, floors, stockpiles.
 *
 * Solving: HiGHS (simplex for an LP, its active-set method for a QP). Every answer is checked on the KKT conditions of
 * the scaled program (stationarity with the row duals, complementarity of each row) and accepted at 1e-9 (at worst
 * 1e-7); the QP solver needs fallbacks (a tighter or looser primal tolerance, a scaled objective, proximal-point
 * iterations with its regularisation) and an answer that meets none of them throws, naming the residual. A market
 * that no supply reaches (price rising beyond every step) throws too: it has no equilibrium.
 *
 * Prices: the balance dual at a node where the commodity is used (demand or a downstream producer). Where it is only
 * made, the balance and the origin rule coincide (nothing is imported to a node that uses nothing), so their duals
 * are not separately determined; the price reported there is their sum, what the node's producers earn, which is
 * what the engine (without an origin rule at such a node) calls the price.
 */
import highsLoader from 'highs';
import type { DemandCurve, EquilibriumProblem } from './problem.ts';
import { validateProblem } from './solve.ts';

export interface SurplusOptions {
  /** Steps per isoelastic curve in the first grid and in each refinement (default 50). */
  readonly steps?: number;
  /** Largest number of refinement passes of the isoelastic grids (default 8). */
  readonly refinements?: number;
  /** Stop refining once every stepped consumer's log price step is below this (default 1e-6). */
  readonly resolution?: number;
  /**
   * Ad valorem tariffs and export taxes, which make a route's cost depend on the origin's price, are rejected by
   * default (the program has no such costs). With 'fixed-point' they are priced at the origin's price of the last
   * pass (what its producers earn, balance and origin duals together) and the program is solved again until those
   * costs stop moving (by 1e-10 of the price scale, at most 50 passes): at the fixed point every route satisfies the
   * engine's arbitrage condition landed = ((p + μ)·(1 + ex) + freight)·(1 + av) + specific.
   */
  readonly tariffs?: 'reject' | 'fixed-point';
}

export interface SurplusSolution {
  readonly prices: readonly {
    readonly region: string;
    readonly commodity: string;
    /** The market price: the dual of the node's balance (see the module comment for nodes that only make). */
    readonly price: number;
    /** The dual of the node's origin rule (exports within own production): what exporters earn above `price`. */
    readonly exportPremium: number;
  }[];
  readonly outputs: readonly {
    readonly producer: string;
    readonly region: string;
    readonly commodity: string;
    readonly output: number;
  }[];
  readonly consumption: readonly { readonly region: string; readonly commodity: string; readonly quantity: number }[];
  readonly curveSupply: readonly { readonly region: string; readonly commodity: string; readonly quantity: number }[];
  readonly flows: readonly {
    readonly commodity: string;
    readonly from: string;
    readonly to: string;
    readonly quantity: number;
    /** Freight plus specific tariff per unit. */
    readonly unitCost: number;
  }[];
  /** Σ flow × route cost. */
  readonly totalTradeCost: number;
  /** The maximised total surplus (consumer benefit − production, curve and route costs). */
  readonly objective: number;
  /** 'qp' when any linear demand or supply curve is present, else 'lp'. */
  readonly kind: 'lp' | 'qp';
  /**
   * How far HiGHS's answer (of the last pass) misses the program's optimality conditions, scaled: at most 1e-9 where
   * an attempt met that, else up to the 1e-7 accepted at worst. Its prices (duals) are as precise as this allows.
   */
  readonly optimality: number;
  /** Largest log price step of the stepped isoelastic demand around its solution (0 without isoelastic demand). */
  readonly discretisation: number;
  /** Number of HiGHS solves (1 unless isoelastic grids were refined). */
  readonly passes: number;
  /** Wall time in milliseconds: building the programs and solving them, all passes. */
  readonly solveTime: number;
}

type Highs = Awaited<ReturnType<typeof highsLoader>>;
let highsInstance: Promise<Highs> | undefined;
const loadHighs = (): Promise<Highs> => {
  highsInstance ??= highsLoader();
  return highsInstance;
};

interface Node {
  readonly index: number;
  readonly region: string;
  readonly commodity: string;
  makes: boolean;
  uses: boolean;
}

/** A column of the scaled program: objective c·v + ½·h·v², bounds [0, upper]. */
interface Column {
  readonly cost: number;
  readonly hessian: number;
  readonly upper: number;
}

/** An isoelastic consumer's grid of breakpoint prices, descending. */
interface Grid {
  readonly demand: number;
  readonly node: number;
  readonly curve: Extract<DemandCurve, { kind: 'isoelastic' }>;
  breakpoints: number[];
}

const unsupported = (feature: string): never => {
  throw new Error(`solveSurplus: ${feature} is not supported by the surplus formulation`);
};

function checkScope(problem: EquilibriumProblem, tariffs: 'reject' | 'fixed-point'): void {
  for (const p of problem.producers) if (p.cfd) unsupported(`a CfD (producer '${p.id}')`);
  const terms = [problem.routes?.default, ...(problem.routes?.byPair ?? [])];
  if (tariffs === 'reject') {
    for (const t of terms) if (t?.adValorem) unsupported('an ad valorem tariff');
    for (const e of problem.exportTaxes ?? [])
      if (e.rate > 0) unsupported(`an export tax (${e.origin}, ${e.commodity})`);
  }
  for (const r of problem.restrictions ?? [])
    if (r.quota > 0) unsupported(`an export quota other than a ban ('${r.id}')`);
  if ((problem.floors ?? []).length > 0) unsupported('a floor price');
  if ((problem.stocks ?? []).length > 0) unsupported('a stockpile operation');
}

const fmt = (v: number): string => {
  if (!Number.isFinite(v)) throw new Error(`solveSurplus: non-finite coefficient ${v}`);
  return String(Math.abs(v));
};

export async function solveSurplus(
  problem: EquilibriumProblem,
  options: SurplusOptions = {},
): Promise<SurplusSolution> {
  validateProblem(problem);
  const tariffs = options.tariffs ?? 'reject';
  checkScope(problem, tariffs);
  const steps = Math.max(2, Math.floor(options.steps ?? 50));
  const maxRefinements = options.refinements ?? 8;
  const resolution = options.resolution ?? 1e-6;
  const highs = await loadHighs();
  const started = performance.now();

  const producers = problem.producers.filter((p) => p.capacity > 0);
  const supplies = problem.supplies ?? [];

  // Nodes: every region where a commodity is made, demanded, or used as an input by a downstream producer.
  const nodes: Node[] = [];
  const nodeAt = new Map<string, Node>();
  const key = (k: string, r: string) => `${k}|${r}`;
  const ensure = (k: string, r: string): Node => {
    let n = nodeAt.get(key(k, r));
    if (!n) {
      n = { index: nodes.length, region: r, commodity: k, makes: false, uses: false };
      nodes.push(n);
      nodeAt.set(key(k, r), n);
    }
    return n;
  };
  const inputsOf = (p: (typeof producers)[number]) =>
    p.secondary ? [] : problem.links.filter((l) => l.output === p.commodity);
  for (const k of problem.commodities) {
    for (const r of problem.regions) {
      const made =
        producers.some((p) => p.commodity === k && p.region === r) ||
        supplies.some((s) => s.commodity === k && s.region === r);
      const demanded = problem.demands.some((d) => d.commodity === k && d.region === r);
      const input = producers.some((p) => p.region === r && inputsOf(p).some((l) => l.input === k));
      if (made || demanded || input) {
        const n = ensure(k, r);
        n.makes = made;
        n.uses = demanded || input;
      }
    }
  }
  const node = (k: string, r: string) => nodeAt.get(key(k, r)) as Node;

  // Scales: quantities by each commodity's market size, prices by a reference price, money by the largest product.
  const quantityScale = new Map<string, number>();
  const priceScale = new Map<string, number>();
  for (const k of problem.commodities) {
    const capacity =
      producers.filter((p) => p.commodity === k).reduce((s, p) => s + p.capacity, 0) +
      supplies.filter((s) => s.commodity === k).reduce((s, c) => s + Math.max(0, c.intercept), 0);
    const demand = problem.demands
      .filter((d) => d.commodity === k)
      .reduce((s, d) => s + (d.curve.kind === 'isoelastic' ? d.curve.q0 : d.curve.intercept), 0);
    quantityScale.set(k, Math.max(capacity, demand, 1e-9));
    const refs = problem.demands
      .filter((d) => d.commodity === k)
      .map((d) => (d.curve.kind === 'isoelastic' ? d.curve.p0 : d.curve.intercept / d.curve.slope));
    const costs = producers.filter((p) => p.commodity === k).map((p) => Math.abs(p.cost));
    const ref = Math.max(0, ...costs, ...refs);
    priceScale.set(k, ref > 0 ? ref : 1);
  }
  const Q = (k: string) => quantityScale.get(k) as number;
  const money = Math.max(...problem.commodities.map((k) => Q(k) * (priceScale.get(k) as number)), 1e-12);

  // Supply curves at a node add up, as in the engine.
  const curveAt = new Map<number, { intercept: number; slope: number }>();
  for (const s of supplies) {
    const n = node(s.commodity, s.region).index;
    const prior = curveAt.get(n);
    curveAt.set(n, { intercept: (prior?.intercept ?? 0) + s.intercept, slope: (prior?.slope ?? 0) + s.slope });
  }

  // Routes: every ordered pair of nodes of a commodity in different regions, unless a ban closes it.
  const pairTerms = new Map(
    (problem.routes?.byPair ?? []).map((t) => [`${t.commodity}|${t.from}|${t.to}`, t] as const),
  );
  const banned = (k: string, from: string, to: string) =>
    (problem.restrictions ?? []).some(
      (r) =>
        r.quota <= 0 &&
        r.commodity === k &&
        r.origin === from &&
        (r.destinations === '*' || r.destinations.includes(to)),
    );
  const exportTax = new Map((problem.exportTaxes ?? []).map((e) => [key(e.commodity, e.origin), e.rate] as const));
  const routes: {
    commodity: string;
    from: Node;
    to: Node;
    unitCost: number;
    freight: number;
    specific: number;
    adValorem: number;
    exportTax: number;
  }[] = [];
  for (const from of nodes) {
    for (const to of nodes) {
      if (from.commodity !== to.commodity || from.region === to.region) continue;
      if (banned(from.commodity, from.region, to.region)) continue;
      const terms = { ...problem.routes?.default, ...pairTerms.get(`${from.commodity}|${from.region}|${to.region}`) };
      const freight = terms.freight ?? 0;
      const specific = terms.specific ?? 0;
      routes.push({
        commodity: from.commodity,
        from,
        to,
        unitCost: freight + specific,
        freight,
        specific,
        adValorem: terms.adValorem ?? 0,
        exportTax: exportTax.get(key(from.commodity, from.region)) ?? 0,
      });
    }
  }
  // Route costs that depend on the origin's price ('fixed-point'): landed − (p + μ) with landed =
  // (p·(1 + ex) + μ + freight)·(1 + av) + specific, at the last pass's balance price p and origin rent μ (at first
  // each commodity's price scale and no rent).
  const valued = routes.some((r) => r.adValorem !== 0 || r.exportTax !== 0);
  const originPrice = nodes.map((n) => priceScale.get(n.commodity) as number);
  const originPremium = nodes.map(() => 0);
  const routeCost = (r: (typeof routes)[number]) => {
    const p = originPrice[r.from.index] as number;
    const mu = originPremium[r.from.index] as number;
    const landed = (p * (1 + r.exportTax) + mu + r.freight) * (1 + r.adValorem) + r.specific;
    return landed - p - mu;
  };
  for (const r of routes) r.unitCost = routeCost(r);
  let fixedPointPasses = 0;
  let refinements = 0;

  // Isoelastic grids.
  const grids: Grid[] = [];
  problem.demands.forEach((d, i) => {
    if (d.curve.kind !== 'isoelastic' || d.curve.q0 <= 0) return;
    const c = d.curve;
    // A choked curve values its first D(choke) units at the choke and nothing above it: the grid's top is the choke.
    const high = Math.min(c.p0 * 0.01 ** (1 / c.elasticity), c.choke ?? Number.POSITIVE_INFINITY);
    const low = Math.min(c.p0 * 0.01, high / 10);
    grids.push({
      demand: i,
      node: node(d.commodity, d.region).index,
      curve: c,
      breakpoints: geometric(high, low, steps),
    });
  });
  const isoDemand = (c: Grid['curve'], p: number) => c.q0 * (p / c.p0) ** c.elasticity;

  let passes = 0;
  for (;;) {
    passes++;
    // ---- Build the scaled program. Rows: balance of node n is row n, origin rule of node n is row nodes.length + n.
    const columns: Column[] = [];
    const entries: Map<number, number>[] = Array.from({ length: 2 * nodes.length }, () => new Map());
    const put = (row: number, col: number, v: number) => {
      const m = entries[row] as Map<number, number>;
      m.set(col, (m.get(col) ?? 0) + v);
    };
    const addColumn = (c: Column) => columns.push(c) - 1;
    const balance = (n: Node) => n.index;
    const origin = (n: Node) => nodes.length + n.index;

    const producerCols = producers.map((p) => {
      const n = node(p.commodity, p.region);
      const q = Q(p.commodity);
      const col = addColumn({ cost: (p.cost * q) / money, hessian: 0, upper: p.capacity / q });
      put(balance(n), col, -1);
      put(origin(n), col, -1);
      for (const l of inputsOf(p)) put(balance(node(l.input, p.region)), col, (l.coefficient * q) / Q(l.input));
      return col;
    });
    const curveCols = new Map<number, number>();
    for (const [index, c] of curveAt) {
      const n = nodes[index] as Node;
      const q = Q(n.commodity);
      const col = addColumn({
        cost: (-(c.intercept / c.slope) * q) / money,
        hessian: (q * q) / (c.slope * money),
        upper: Number.POSITIVE_INFINITY,
      });
      put(balance(n), col, -1);
      put(origin(n), col, -1);
      curveCols.set(index, col);
    }
    const demandCols = new Map<number, number[]>();
    /** Unit of each demand's columns: the commodity's market size, or a linear curve's own intercept. */
    const demandUnit = new Map<number, number>();
    problem.demands.forEach((d, i) => {
      const n = node(d.commodity, d.region);
      if (d.curve.kind !== 'linear' || d.curve.intercept <= 0) return;
      // Measured in units of its own intercept (0 <= D/a <= 1), so that a small curve (one hinge of a piecewise-
      // linear demand) does not give the Hessian a huge entry 1/b.
      const { intercept: a, slope: b } = d.curve;
      const col = addColumn({ cost: (-(a / b) * a) / money, hessian: (a * a) / (b * money), upper: 1 });
      put(balance(n), col, a / Q(d.commodity));
      demandCols.set(i, [col]);
      demandUnit.set(i, a);
    });
    for (const g of grids) {
      const n = nodes[g.node] as Node;
      const q = Q(n.commodity);
      const cols: number[] = [];
      const pi = g.breakpoints;
      let prior = 0;
      pi.forEach((p, t) => {
        const quantity = isoDemand(g.curve, p);
        const width = quantity - prior;
        const value = t === 0 ? p : Math.sqrt((pi[t - 1] as number) * p);
        prior = quantity;
        if (!(width > 0)) return;
        const col = addColumn({ cost: (-value * q) / money, hessian: 0, upper: width / q });
        put(balance(n), col, 1);
        cols.push(col);
      });
      demandCols.set(g.demand, cols);
    }
    const flowCols = routes.map((r) => {
      const col = addColumn({
        cost: (r.unitCost * Q(r.commodity)) / money,
        hessian: 0,
        upper: Number.POSITIVE_INFINITY,
      });
      put(balance(r.from), col, 1);
      put(origin(r.from), col, 1);
      put(balance(r.to), col, -1);
      return col;
    });

    // ---- Write it in CPLEX LP format and solve.
    const name = (i: number) => `v${i}`;
    const terms = (pairs: Iterable<[number, number]>) => {
      const out: string[] = [];
      for (const [col, v] of pairs) if (v !== 0) out.push(`${v < 0 ? '-' : '+'} ${fmt(v)} ${name(col)}`);
      return out;
    };
    const wrap = (parts: string[]) => {
      const lines: string[] = [];
      for (let i = 0; i < parts.length; i += 8) lines.push(`  ${parts.slice(i, i + 8).join(' ')}`);
      return lines.join('\n');
    };
    const rows: string[] = [];
    const rowIndex: number[] = [];
    entries.forEach((m, row) => {
      const t = terms(m);
      if (t.length === 0) return;
      rowIndex[row] = rows.length;
      rows.push(` r${row}:\n${wrap(t)}\n  <= 0`);
    });
    const bounds = columns.map((c, i) =>
      Number.isFinite(c.upper) ? ` 0 <= ${name(i)} <= ${fmt(c.upper)}` : ` ${name(i)} >= 0`,
    );
    const constraints = `Subject To\n${rows.join('\n')}\nBounds\n${bounds.join('\n')}\nEnd\n`;
    // The objective may be multiplied by `factor` (the duals are divided by it): HiGHS's QP solver can misjudge a
    // Hessian with only small entries as non-convex.
    let factor = 1;
    const quadratic = (f: number) =>
      columns.flatMap((c, i) => (c.hessian > 0 ? [`+ ${fmt(c.hessian * f)} ${name(i)} ^ 2`] : []));
    const hasQuadratic = columns.some((c) => c.hessian > 0);
    const program = (costs: readonly number[]) => {
      const linear = terms(costs.map((c, i) => [i, c * factor] as [number, number]));
      const objective = linear.length > 0 ? linear : [`+ 0 ${name(0)}`];
      if (hasQuadratic) objective.push('+ [', ...quadratic(factor).map((q, i) => (i === 0 ? q.slice(2) : q)), '] / 2');
      return `Minimize\n obj:\n${wrap(objective)}\n${constraints}`;
    };
    const solve = (costs: readonly number[], regularisation: number, primalTolerance: number) => {
      try {
        return highs.solve(program(costs), {
          output_flag: false,
          primal_feasibility_tolerance: primalTolerance,
          dual_feasibility_tolerance: 1e-10,
          qp_regularization_value: regularisation,
          // Without regularisation the active-set method can cycle: bound it, then fall back.
          qp_iteration_limit: 20_000,
          time_limit: 10,
        } as Parameters<Highs['solve']>[1]);
      } catch (e) {
        return { Status: `error: ${(e as Error).message}` } as const;
      }
    };
    const costs = columns.map((c) => c.cost);
    // A primal tolerance of 1e-10 can make the QP solver fail on the tiny bounds of fine demand steps: then 1e-8.
    type Solved = { readonly Columns: Record<string, { Primal: number }>; readonly Rows: readonly unknown[] };
    // Every candidate answer is checked on the KKT conditions of the (unregularised, scaled) program before it is
    // accepted: the QP solver can report 'Optimal' at a point that is off by more than its tolerances.
    const kktResidual = (r: Solved): number => {
      const v = columns.map((_, i) => r.Columns[name(i)]?.Primal ?? 0);
      const lambda: number[] = [];
      entries.forEach((_, row) => {
        const i = rowIndex[row];
        lambda[row] = i === undefined ? 0 : -((r.Rows[i] as { Dual?: number } | undefined)?.Dual ?? 0) / factor;
      });
      const gradient = columns.map((c, i) => c.cost + c.hessian * (v[i] as number));
      let worst = 0;
      entries.forEach((m, row) => {
        const l = lambda[row] as number;
        let activity = 0;
        for (const [col, a] of m) {
          gradient[col] = (gradient[col] as number) + a * l;
          activity += a * (v[col] as number);
        }
        // Row: activity <= 0, λ >= 0, λ·activity = 0 (natural residual of the pair).
        worst = Math.max(worst, Math.abs(Math.min(-activity, l)));
      });
      columns.forEach((c, i) => {
        const x = v[i] as number;
        worst = Math.max(worst, Math.abs(x - Math.min(c.upper, Math.max(0, x - (gradient[i] as number)))));
      });
      return worst;
    };
    const tolerance = 1e-9;
    let best: { result: Solved; residual: number; factor: number } | undefined;
    const accept = (r: ReturnType<typeof solve>): boolean => {
      if (r.Status !== 'Optimal' || !('Columns' in r)) return false;
      const solved = r as unknown as Solved;
      const residual = kktResidual(solved);
      if (!best || residual < best.residual) best = { result: solved, residual, factor };
      return residual <= tolerance;
    };
    const attempt = (): boolean => {
      for (const f of hasQuadratic ? [1, 100, 1e4] : [1]) {
        factor = f;
        if (accept(solve(costs, 0, 1e-10)) || accept(solve(costs, 0, 1e-8))) return true;
      }
      if (!hasQuadratic) return false;
      // The active-set QP solver may refuse a Hessian that is singular on the free directions (the LP parts) and
      // need its regularisation ε·I, which alone would move the solution by about ε of the market. Proximal point
      // iterations remove that bias: solving with costs c − ε·v_k converges to the unregularised optimum, at whose
      // fixed point the KKT conditions (and so the duals) are exactly those of the original program.
      factor = 1;
      for (const primalTolerance of [1e-10, 1e-8]) {
        for (const epsilon of [1e-9, 1e-7]) {
          let previous: number[] | undefined;
          for (let iteration = 0; iteration < 30; iteration++) {
            const shifted = previous ? costs.map((c, i) => c - epsilon * (previous?.[i] ?? 0)) : costs;
            const r = solve(shifted, epsilon, primalTolerance);
            if (r.Status !== 'Optimal' || !('Columns' in r)) break;
            if (accept(r)) return true;
            const solution = r.Columns;
            const next = columns.map((_, i) => solution[name(i)]?.Primal ?? 0);
            const change = previous ? Math.max(...next.map((x, i) => Math.abs(x - (previous?.[i] ?? 0)))) : 1;
            previous = next;
            if (change < 1e-13) break;
          }
        }
      }
      return false;
    };
    const ok = attempt();
    if (!best) throw new Error(`solveSurplus: HiGHS found no optimal solution (pass ${passes})`);
    // Accept a point that misses the conditions by at most 1e-7 of the scaled program (about 1e-7 of the market)
    // when no attempt does better than that; beyond, fail loudly rather than return a wrong answer.
    if (!ok && best.residual > 1e-7) {
      throw new Error(
        `solveSurplus: HiGHS's best answer misses the optimality conditions by ${best.residual.toExponential(2)} (pass ${passes})`,
      );
    }
    factor = best.factor;
    const optimality = best.residual;
    const result = best.result;
    const solved = result;
    const value = (col: number) => {
      const c = solved.Columns[name(col)];
      return c ? c.Primal : 0;
    };
    const dual = (row: number) => {
      const i = rowIndex[row];
      if (i === undefined) return 0;
      const r = solved.Rows[i] as { Dual?: number } | undefined;
      return -(r?.Dual ?? 0) / factor;
    };

    // Node prices in model units.
    const balancePrice = (n: Node) => (dual(balance(n)) * money) / Q(n.commodity);
    const originRent = (n: Node) => (dual(origin(n)) * money) / Q(n.commodity);

    // ---- Adapt the isoelastic grids; stop when fine enough.
    let discretisation = 0;
    let changed = false;
    if (refinements < maxRefinements) {
      for (const g of grids) {
        const n = nodes[g.node] as Node;
        const p = balancePrice(n);
        const pi = g.breakpoints;
        const first = pi[0] as number;
        const last = pi[pi.length - 1] as number;
        const bought = (demandCols.get(g.demand) ?? []).reduce((s, c) => s + value(c), 0) * Q(n.commodity);
        const choked = g.curve.choke !== undefined && first >= g.curve.choke;
        if (p > first && !choked) {
          g.breakpoints = [...geometric(first * 1000, first, steps).slice(0, -1), ...pi];
          changed = true;
        } else if (bought >= isoDemand(g.curve, last) * (1 - 1e-9)) {
          g.breakpoints = [...pi.slice(0, -1), ...geometric(last, last / 1000, steps)];
          changed = true;
        } else {
          const t = stepOf(pi, p);
          const h = Math.log((pi[t - 1] as number) / (pi[t] as number));
          if (h > resolution) {
            const hi = pi[Math.max(0, t - 2)] as number;
            const lo = pi[Math.min(pi.length - 1, t + 1)] as number;
            g.breakpoints = [...pi.filter((x) => x > hi), ...geometric(hi, lo, steps), ...pi.filter((x) => x < lo)];
            changed = true;
          }
        }
      }
    }
    if (changed) refinements++;
    if (valued && fixedPointPasses < 50) {
      // Price the ad valorem and export-tax parts of each route at this pass's prices; solve again while they move.
      nodes.forEach((n, i) => {
        originPrice[i] = balancePrice(n);
        originPremium[i] = n.makes ? originRent(n) : 0;
      });
      let moved = 0;
      for (const r of routes) {
        const next = routeCost(r);
        moved = Math.max(moved, Math.abs(next - r.unitCost) / (priceScale.get(r.commodity) as number));
        r.unitCost = next;
      }
      fixedPointPasses++;
      if (moved > 1e-10) changed = true;
    }
    if (changed) continue;
    for (const g of grids) {
      // Still above the top of a grid widened up to 1000^refinements: demand that no supply reaches (the true price
      // is unbounded, so there is no equilibrium; the stepped program's finite price would be an artefact).
      const n = nodes[g.node] as Node;
      const choked = g.curve.choke !== undefined && (g.breakpoints[0] as number) >= g.curve.choke;
      if (!choked && balancePrice(n) >= (g.breakpoints[0] as number) * (1 - 1e-9)) {
        throw new Error(
          `solveSurplus: no equilibrium: the price of ${n.commodity} in ${n.region} rises beyond every step of its isoelastic demand (no supply reaches it)`,
        );
      }
    }
    for (const g of grids) {
      const pi = g.breakpoints;
      const t = stepOf(pi, balancePrice(nodes[g.node] as Node));
      const h = Math.log((pi[Math.max(0, t - 2)] as number) / (pi[Math.min(pi.length - 1, t + 1)] as number)) / 2;
      discretisation = Math.max(discretisation, h);
    }

    // ---- Report in model units.
    const prices = nodes.map((n) => {
      const p = balancePrice(n);
      const mu = n.makes ? originRent(n) : 0;
      return n.uses
        ? { region: n.region, commodity: n.commodity, price: p, exportPremium: mu }
        : { region: n.region, commodity: n.commodity, price: p + mu, exportPremium: 0 };
    });
    const outputs = producers.map((p, j) => ({
      producer: p.id,
      region: p.region,
      commodity: p.commodity,
      output: value(producerCols[j] as number) * Q(p.commodity),
    }));
    const consumptionAt = new Map<number, number>();
    problem.demands.forEach((d, i) => {
      const n = node(d.commodity, d.region).index;
      const q = (demandCols.get(i) ?? []).reduce((s, c) => s + value(c), 0) * (demandUnit.get(i) ?? Q(d.commodity));
      consumptionAt.set(n, (consumptionAt.get(n) ?? 0) + q);
    });
    const consumption = [...consumptionAt].map(([n, quantity]) => {
      const nd = nodes[n] as Node;
      return { region: nd.region, commodity: nd.commodity, quantity };
    });
    const curveSupply = [...curveCols].map(([n, col]) => {
      const nd = nodes[n] as Node;
      return { region: nd.region, commodity: nd.commodity, quantity: value(col) * Q(nd.commodity) };
    });
    const flows = routes.flatMap((r, i) => {
      const quantity = value(flowCols[i] as number) * Q(r.commodity);
      return quantity > 1e-12 * Q(r.commodity)
        ? [{ commodity: r.commodity, from: r.from.region, to: r.to.region, quantity, unitCost: r.unitCost }]
        : [];
    });
    const totalTradeCost = flows.reduce((s, f) => s + f.quantity * f.unitCost, 0);
    const anyQuadratic = hasQuadratic;
    return {
      prices,
      outputs,
      consumption,
      curveSupply,
      flows,
      totalTradeCost,
      objective: -columns.reduce((s, c, i) => s + c.cost * value(i) + 0.5 * c.hessian * value(i) ** 2, 0) * money,
      kind: anyQuadratic ? 'qp' : 'lp',
      optimality,
      discretisation,
      passes,
      solveTime: performance.now() - started,
    };
  }
}

/** n steps geometric in price from hi down to lo: n + 1 breakpoints, descending. */
function geometric(hi: number, lo: number, n: number): number[] {
  const r = Math.log(lo / hi) / n;
  return Array.from({ length: n + 1 }, (_, i) => (i === 0 ? hi : i === n ? lo : hi * Math.exp(r * i)));
}

/** Index t >= 1 of the step [π_t, π_{t−1}] holding price p (clamped to the grid). */
function stepOf(pi: readonly number[], p: number): number {
  for (let t = 1; t < pi.length; t++) if (p >= (pi[t] as number)) return t;
  return pi.length - 1;
}
