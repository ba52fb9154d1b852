/**
 * Solves one period's market equilibrium and returns it with its certificate: the largest residual of each family
 * of conditions of MODEL.md §3, relative to the market's size. A solve that cannot meet the tolerance throws an
 * EquilibriumError naming the commodity, the iteration count and the residual; it never returns NaN.
 */
import { buildChain, type ChainModel, chainsOf, totalDemandAt, type VariableKind, warmStart } from './build.ts';
import { crossover, snapToBounds, solveInterior, solveInteriorPricing } from './interior.ts';
import { type McpResult, naturalResidual, solveMcp } from './mcp.ts';
import type { EquilibriumProblem } from './problem.ts';

export interface SolveOptions {
  /** Largest scaled natural residual accepted (default 1e-8: of the market's size, or of its reference price). */
  readonly tolerance?: number;
  readonly maxIterations?: number;
  /**
   * A solution of a neighbouring problem (last year's, the same world before a policy change): each chain starts
   * from it where its variables match by identity (prices and export premia by region and commodity, outputs by
   * producer, flows by commodity and route, rents by restriction, stock moves by operation), from its own cold start
   * elsewhere. If the warm-started solve misses the tolerance, the cold sequence runs as without it: a warm start
   * can cost a few iterations, never a solve that would succeed cold.
   */
  readonly warmStart?: EquilibriumSolution;
}

export interface Certificate {
  /** Largest residual over every condition, relative to market size (quantities) or reference price (prices). */
  readonly maxResidual: number;
  readonly residuals: {
    readonly clearing: number;
    readonly producers: number;
    readonly trade: number;
    readonly quotas: number;
    /** Exports within own production (no re-export around a ban). */
    readonly origin: number;
    readonly stocks: number;
  };
  readonly iterations: number;
  readonly evaluations: number;
  readonly chains: readonly {
    readonly commodities: readonly string[];
    readonly variables: number;
    readonly iterations: number;
    readonly residual: number;
  }[];
}

export interface EquilibriumSolution {
  readonly prices: readonly {
    readonly region: string;
    readonly commodity: string;
    /** The price at which the region's market clears (what its buyers pay). */
    readonly price: number;
    /** What the region's own producers earn above `price` when all their output is exported (origin rent). */
    readonly exportPremium: number;
  }[];
  readonly consumption: readonly { readonly region: string; readonly commodity: string; readonly quantity: number }[];
  /** Output of the smooth supply curves, where the problem has any. */
  readonly curveSupply: readonly { readonly region: string; readonly commodity: string; readonly quantity: number }[];
  readonly outputs: readonly {
    readonly producer: string;
    readonly region: string;
    readonly commodity: string;
    readonly output: number;
    readonly capacity: number;
  }[];
  readonly flows: readonly {
    readonly commodity: string;
    readonly from: string;
    readonly to: string;
    readonly quantity: number;
    /** Price at which the goods land, duties and levy paid. */
    readonly landed: number;
    /** Border levy per unit (zero unless a floor binds). */
    readonly levy: number;
  }[];
  readonly rents: readonly { readonly restriction: string; readonly rent: number }[];
  readonly stocks: readonly {
    readonly id: string;
    readonly region: string;
    readonly commodity: string;
    readonly bought: number;
    readonly released: number;
  }[];
  readonly certificate: Certificate;
}

export class EquilibriumError extends Error {
  constructor(
    readonly commodity: string,
    readonly iterations: number,
    readonly residual: number,
    detail: string,
  ) {
    super(
      `no equilibrium found for ${commodity}: residual ${residual.toExponential(2)} after ${iterations} iterations (${detail})`,
    );
    this.name = 'EquilibriumError';
  }
}

export class ProblemError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'ProblemError';
  }
}

/** Route tables already checked, with the regions and commodities they were checked against. */
const validRouteTables = new WeakMap<object, string>();

/** Rejects a problem the engine cannot give a meaning to, naming where. */
export function validateProblem(problem: EquilibriumProblem): void {
  const regions = new Set(problem.regions);
  const commodities = new Set(problem.commodities);
  const region = (path: string, r: string) => {
    if (!regions.has(r)) throw new ProblemError(path, `unknown region '${r}'`);
  };
  const commodity = (path: string, k: string) => {
    if (!commodities.has(k)) throw new ProblemError(path, `unknown commodity '${k}'`);
  };
  const finite = (path: string, v: number | undefined, min = Number.NEGATIVE_INFINITY) => {
    if (v === undefined) return;
    if (!Number.isFinite(v)) throw new ProblemError(path, `must be a finite number, got ${v}`);
    if (v < min) throw new ProblemError(path, `must be at least ${min}, got ${v}`);
  };
  problem.members.forEach((m, i) => {
    region(`members[${i}]`, m);
  });
  problem.links.forEach((l, i) => {
    commodity(`links[${i}].output`, l.output);
    commodity(`links[${i}].input`, l.input);
    finite(`links[${i}].coefficient`, l.coefficient, 0);
  });
  problem.producers.forEach((p, i) => {
    region(`producers[${i}].region`, p.region);
    commodity(`producers[${i}].commodity`, p.commodity);
    finite(`producers[${i}].capacity`, p.capacity, 0);
    finite(`producers[${i}].cost`, p.cost);
    if (p.cfd) {
      finite(`producers[${i}].cfd.strike`, p.cfd.strike, 0);
      finite(`producers[${i}].cfd.volume`, p.cfd.volume, 0);
    }
  });
  problem.demands.forEach((d, i) => {
    region(`demands[${i}].region`, d.region);
    commodity(`demands[${i}].commodity`, d.commodity);
    const c = d.curve;
    if (c.kind === 'isoelastic') {
      finite(`demands[${i}].curve.q0`, c.q0, 0);
      finite(`demands[${i}].curve.p0`, c.p0, Number.MIN_VALUE);
      finite(`demands[${i}].curve.elasticity`, c.elasticity);
      if (!(c.elasticity < 0)) throw new ProblemError(`demands[${i}].curve.elasticity`, 'must be negative');
    } else {
      finite(`demands[${i}].curve.intercept`, c.intercept, 0);
      finite(`demands[${i}].curve.slope`, c.slope, Number.MIN_VALUE);
    }
  });
  (problem.restrictions ?? []).forEach((r, i) => {
    region(`restrictions[${i}].origin`, r.origin);
    commodity(`restrictions[${i}].commodity`, r.commodity);
    finite(`restrictions[${i}].quota`, r.quota, 0);
    if (r.destinations !== '*') {
      r.destinations.forEach((d, j) => {
        region(`restrictions[${i}].destinations[${j}]`, d);
      });
    }
  });
  (problem.floors ?? []).forEach((f, i) => {
    region(`floors[${i}].region`, f.region);
    commodity(`floors[${i}].commodity`, f.commodity);
    finite(`floors[${i}].price`, f.price, 0);
    if (!problem.members.includes(f.region))
      throw new ProblemError(`floors[${i}].region`, `'${f.region}' is not a member`);
  });
  (problem.exportTaxes ?? []).forEach((e, i) => {
    region(`exportTaxes[${i}].origin`, e.origin);
    commodity(`exportTaxes[${i}].commodity`, e.commodity);
    finite(`exportTaxes[${i}].rate`, e.rate, 0);
  });
  // A world has tens of thousands of route terms: check them without building a path per field, and name the
  // field only when one fails.
  const nonNegative = (v: number | undefined) => v === undefined || (Number.isFinite(v) && v >= 0);
  const byPair = problem.routes?.byPair ?? [];
  // The same route table is usually shared by many problems (years of a simulation, policies on one world):
  // checked once per table and set of regions and commodities.
  const signature = `${problem.regions.join(',')};${problem.commodities.join(',')}`;
  const checked = validRouteTables.get(byPair) === signature;
  for (let i = 0; i < (checked ? 0 : byPair.length); i++) {
    const t = byPair[i] as (typeof byPair)[number];
    if (
      commodities.has(t.commodity) &&
      regions.has(t.from) &&
      regions.has(t.to) &&
      nonNegative(t.freight) &&
      nonNegative(t.adValorem) &&
      nonNegative(t.specific)
    )
      continue;
    commodity(`routes.byPair[${i}].commodity`, t.commodity);
    region(`routes.byPair[${i}].from`, t.from);
    region(`routes.byPair[${i}].to`, t.to);
    finite(`routes.byPair[${i}].freight`, t.freight, 0);
    finite(`routes.byPair[${i}].adValorem`, t.adValorem, 0);
    finite(`routes.byPair[${i}].specific`, t.specific, 0);
  }
  if (byPair.length > 0) validRouteTables.set(byPair, signature);
  (problem.supplies ?? []).forEach((s, i) => {
    region(`supplies[${i}].region`, s.region);
    commodity(`supplies[${i}].commodity`, s.commodity);
    finite(`supplies[${i}].intercept`, s.intercept);
    finite(`supplies[${i}].slope`, s.slope, Number.MIN_VALUE);
  });
  (problem.stocks ?? []).forEach((s, i) => {
    region(`stocks[${i}].region`, s.region);
    commodity(`stocks[${i}].commodity`, s.commodity);
    finite(`stocks[${i}].buyCap`, s.buyCap, 0);
    finite(`stocks[${i}].releaseCap`, s.releaseCap, 0);
    finite(`stocks[${i}].buyPrice`, s.buyPrice, 0);
    finite(`stocks[${i}].releasePrice`, s.releasePrice, 0);
  });
}

/** The geometric mean of a solution's positive prices per commodity: the level its markets clear at. */
function priceLevels(solution: EquilibriumSolution): Map<string, number> {
  const sum = new Map<string, [number, number]>();
  for (const p of solution.prices) {
    if (!(p.price > 0) || !Number.isFinite(p.price)) continue;
    const [s, n] = sum.get(p.commodity) ?? [0, 0];
    sum.set(p.commodity, [s + Math.log(p.price), n + 1]);
  }
  return new Map([...sum].map(([k, [s, n]]) => [k, Math.exp(s / n)]));
}

/**
 * The start for a chain from a solution of a neighbouring problem (see SolveOptions.warmStart), in solver
 * coordinates: matched variables take the solution's values (clamped to their new bounds), the rest the model's
 * cold start. A flow between two nodes the solution priced but did not list was zero there.
 */
export function startFromSolution(model: ChainModel, solution: EquilibriumSolution): Float64Array {
  const key = (k: string, r: string) => `${k}|${r}`;
  const prices = new Map(solution.prices.map((p) => [key(p.commodity, p.region), p]));
  const outputs = new Map(solution.outputs.map((o) => [o.producer, o.output]));
  const flows = new Map(solution.flows.map((f) => [`${f.commodity}|${f.from}|${f.to}`, f.quantity]));
  const rents = new Map(solution.rents.map((r) => [r.restriction, r.rent]));
  const stocks = new Map(solution.stocks.map((s) => [s.id, s]));
  // A producer split by a CfD volume cap: the covered tranche (which earns at least the price) runs first.
  const covered = new Map<string, number>();
  for (const a of model.agents) {
    const v = model.variables[a.variable];
    if (v && a.strike !== undefined) covered.set(v.ref, v.upper * v.scale);
  }
  const start = Float64Array.from(model.start);
  model.variables.forEach((v, i) => {
    let value: number | undefined;
    switch (v.kind) {
      case 'price':
        value = prices.get(key(v.commodity, v.region))?.price;
        break;
      case 'origin':
        value = prices.get(key(v.commodity, v.region))?.exportPremium;
        break;
      case 'output': {
        const uncovered = v.ref.endsWith('#uncovered');
        const id = uncovered ? v.ref.slice(0, -'#uncovered'.length) : v.ref;
        const total = outputs.get(id);
        const first = covered.get(id);
        if (total !== undefined)
          value = first === undefined ? total : uncovered ? total - first : Math.min(total, first);
        break;
      }
      case 'flow': {
        value = flows.get(`${v.commodity}|${v.region}|${v.ref}`);
        if (value === undefined && prices.has(key(v.commodity, v.region)) && prices.has(key(v.commodity, v.ref)))
          value = 0;
        break;
      }
      case 'rent':
        value = rents.get(v.ref);
        break;
      case 'buy':
        value = stocks.get(v.ref)?.bought;
        break;
      case 'release':
        value = stocks.get(v.ref)?.released;
        break;
    }
    if (value === undefined || !Number.isFinite(value)) return;
    if (v.logarithmic && !(value > 0)) return;
    const z = model.toSolver(i, Math.max(0, value));
    if (Number.isFinite(z)) start[i] = z;
  });
  return start;
}

const FAMILY: Record<VariableKind, keyof Certificate['residuals']> = {
  price: 'clearing',
  output: 'producers',
  flow: 'trade',
  rent: 'quotas',
  origin: 'origin',
  buy: 'stocks',
  release: 'stocks',
};

/** Chains with at least this many routes are solved on a working set of routes, the cheapest few per market. */
const WORKING_SET_ROUTES = 1500;
const WORKING_SET_KEEP = 5;

/**
 * One chain from its cold start: the interior-point method on the exact conditions (interior.ts) from the pooled
 * market with trade routed, finished by crossover steps where the barrier stops short; then, for what it cannot do,
 * semismooth Newton on the Fischer–Burmeister function with its tiers (policy continuation for export controls, the
 * Tikhonov path, Levenberg–Marquardt steps, the active-set polish).
 */
function solveChainCold(
  problem: EquilibriumProblem,
  chain: readonly string[],
  model: ChainModel,
  tolerance: number,
  maxIterations: number,
): { result: McpResult; iterations: number; evaluations: number } {
  const interior = {
    tolerance: tolerance / 100,
    acceptable: tolerance / 10,
    maxIterations,
  };
  let spentIterations = 0;
  let spentEvaluations = 0;
  let best: McpResult | undefined;
  const record = (next: McpResult) => {
    spentIterations += next.iterations;
    spentEvaluations += next.evaluations;
    if (!best || next.residual < best.residual || !Number.isFinite(best.residual)) best = next;
  };
  const cold = model.interiorStart();
  spentIterations += cold.iterations;
  spentEvaluations += cold.evaluations;
  // Where regions are many, routes (one per pair) far outnumber the ones that can carry goods: start from the
  // cheapest few into and out of each market and add any other that turns out to earn a margin (pricing).
  record(
    model.routes.length >= WORKING_SET_ROUTES
      ? solveInteriorPricing(model.exact, cold.start, {
          ...interior,
          excluded: model.excludedRoutes(cold.start, WORKING_SET_KEEP),
        })
      : solveInterior(model.exact, cold.start, interior),
  );
  // The barrier's last digits: where it stopped short of tolerance / 100, a few active-set Newton steps.
  if (best && !(best.residual <= tolerance / 100) && best.residual <= 1e-4) {
    record(crossover(model.exact, best.z, { tolerance: tolerance / 100, maxIterations: 4 }));
  }
  let result = best as McpResult;
  const mcpOptions = {
    // Newton converges quadratically near the solution: one more step buys many digits.
    tolerance: tolerance / 100,
    acceptable: tolerance / 10,
    maxIterations,
  };
  const fallback = (next: McpResult) => {
    spentIterations += next.iterations;
    spentEvaluations += next.evaluations;
    if (next.residual < result.residual || !Number.isFinite(result.residual)) result = next;
  };
  // Semismooth Newton on the Fischer–Burmeister function, then (for export controls) policy continuation, the
  // Tikhonov path, Levenberg–Marquardt steps and the active-set polish.
  if (!(result.residual <= tolerance))
    fallback(solveMcp(model.mcp, model.start, { ...mcpOptions, stallIterations: 20 }));
  const restricted = (problem.restrictions ?? []).filter((r) => chain.includes(r.commodity));
  if (!(result.residual <= tolerance) && restricted.length > 0) {
    // Export controls move prices far from where trade without them would put them, and Newton started from
    // the unrestricted world can lose its way. Follow the policy in: solve without the controls, then tighten
    // each ban through quotas at shrinking shares of the unrestricted trade, warm-starting every solve.
    const free = buildChain(
      { ...problem, restrictions: (problem.restrictions ?? []).filter((r) => !chain.includes(r.commodity)) },
      chain,
    );
    let previous = free;
    let z = solveMcp(free.mcp, free.start, mcpOptions).z;
    const baseFlows = new Map<string, number>();
    for (const route of free.routes) {
      const v = free.variables[route.variable];
      if (v) baseFlows.set(`${v.commodity}|${v.region}|${v.ref}`, free.modelValue(z, route.variable));
    }
    const shipped = (r: (typeof restricted)[number]) => {
      let total = 0;
      for (const [key, q] of baseFlows) {
        const [k, from, to] = key.split('|') as [string, string, string];
        if (k === r.commodity && from === r.origin && (r.destinations === '*' || r.destinations.includes(to)))
          total += q;
      }
      return total;
    };
    for (const share of [0.5, 0.2, 0.05, 0.01, 0]) {
      const step =
        share === 0
          ? model
          : buildChain(
              {
                ...problem,
                restrictions: (problem.restrictions ?? []).map((r) =>
                  chain.includes(r.commodity) && r.quota < shipped(r) * share
                    ? r
                    : { ...r, quota: Math.max(r.quota, shipped(r) * share) },
                ),
              },
              chain,
            );
      const attempt = solveMcp(step.mcp, warmStart(previous, z, step), mcpOptions);
      spentIterations += attempt.iterations;
      spentEvaluations += attempt.evaluations;
      if (!Number.isFinite(attempt.residual)) break;
      previous = step;
      z = attempt.z;
      if (share === 0) fallback(attempt);
    }
  }
  if (!(result.residual <= tolerance)) {
    // Nearly tied producers or routes: solve with a strong tie-breaking slope, where outputs and flows are
    // unique, and relax it, warm-starting each solve from the last; the limit is the unregularised equilibrium.
    let z = result.z;
    for (const epsilon of [1e-4, 1e-6, 1e-8]) {
      const step = solveMcp(model.withTieBreak(epsilon), z, mcpOptions);
      spentIterations += step.iterations;
      spentEvaluations += step.evaluations;
      if (Number.isFinite(step.residual)) z = step.z;
    }
    fallback(solveMcp(model.mcp, z, mcpOptions));
  }
  if (!(result.residual <= tolerance)) {
    // Degenerate markets (a price a choke leaves undetermined): Levenberg–Marquardt steps, then the active-set polish.
    fallback(solveMcp(model.mcp, model.start, { ...mcpOptions, levenbergMarquardt: true }));
    if (!(result.residual <= tolerance)) {
      fallback(solveMcp(model.mcp, result.z, { ...mcpOptions, levenbergMarquardt: true, polish: true }));
    }
  }
  return { result, iterations: spentIterations, evaluations: spentEvaluations };
}

/** Quantities below this share of the market are reported as zero flows. */
const FLOW_EPSILON = 1e-12;

export function solveEquilibrium(problem: EquilibriumProblem, options: SolveOptions = {}): EquilibriumSolution {
  validateProblem(problem);
  const tolerance = options.tolerance ?? 1e-8;
  const prices: EquilibriumSolution['prices'][number][] = [];
  const consumption: EquilibriumSolution['consumption'][number][] = [];
  const curveSupply: EquilibriumSolution['curveSupply'][number][] = [];
  const outputs = new Map<string, EquilibriumSolution['outputs'][number]>();
  const flows: EquilibriumSolution['flows'][number][] = [];
  const rents: EquilibriumSolution['rents'][number][] = [];
  const stocks = new Map<string, { id: string; region: string; commodity: string; bought: number; released: number }>();
  const residuals = { clearing: 0, producers: 0, trade: 0, quotas: 0, origin: 0, stocks: 0 };
  const chains: Certificate['chains'][number][] = [];
  let iterations = 0;
  let evaluations = 0;

  // A warm start knows the price level of each commodity: its scales need no pooled market solved.
  const hints = options.warmStart ? priceLevels(options.warmStart) : undefined;
  for (const chain of chainsOf(problem)) {
    const model: ChainModel = buildChain(problem, chain, hints ? { priceHints: hints } : {});
    if (model.variables.length === 0) continue;
    // A warm start first (interior.ts, from the neighbouring solution); should it miss, the whole cold sequence runs
    // exactly as without it, so a warm start can cost iterations but never a solve that would succeed cold.
    let result: McpResult | undefined;
    let spentIterations = 0;
    let spentEvaluations = 0;
    if (options.warmStart) {
      const warm = solveInterior(model.exact, startFromSolution(model, options.warmStart), {
        tolerance: tolerance / 100,
        acceptable: tolerance / 10,
        maxIterations: 40,
        warm: true,
      });
      spentIterations += warm.iterations;
      spentEvaluations += warm.evaluations;
      result = warm;
      if (!(warm.residual <= tolerance / 100) && warm.residual <= 1e-4) {
        const finished = crossover(model.exact, warm.z, { tolerance: tolerance / 100, maxIterations: 4 });
        spentIterations += finished.iterations;
        spentEvaluations += finished.evaluations;
        if (finished.residual < warm.residual) result = finished;
      }
    }
    if (!(result && result.residual <= tolerance)) {
      const cold = solveChainCold(problem, chain, model, tolerance, options.maxIterations ?? 200);
      spentIterations += cold.iterations;
      spentEvaluations += cold.evaluations;
      if (!result || cold.result.residual < result.residual || !Number.isFinite(result.residual)) result = cold.result;
    }
    result = { ...(result as McpResult), iterations: spentIterations, evaluations: spentEvaluations };
    iterations += result.iterations;
    evaluations += result.evaluations;
    // The certificate comes from a fresh evaluation at the returned point, per family of conditions.
    const f = new Float64Array(model.variables.length);
    model.evaluateExact(result.z, f);
    const before = naturalResidual(result.z, f, model.mcp.lower, model.mcp.upper).max;
    // Inactive flows and idle producers exactly at zero (an interior point leaves them a hair above).
    if (before <= tolerance) snapToBounds(model.exact, result.z, f, Math.max(before, tolerance / 10));
    const { max, index } = naturalResidual(result.z, f, model.mcp.lower, model.mcp.upper);
    if (!(max <= tolerance)) {
      const v = model.variables[index];
      throw new EquilibriumError(
        v?.commodity ?? chain.join('+'),
        result.iterations,
        max,
        v ? `worst condition: ${v.kind} ${v.region}${v.kind === 'flow' ? `→${v.ref}` : ''}` : 'no variable',
      );
    }
    // A price that ran off to infinity satisfies market clearing only in the limit: demand no supply can reach.
    model.variables.forEach((v, i) => {
      const value = model.modelValue(result.z, i);
      if (Number.isFinite(value) && !(v.kind === 'price' && value > v.scale * 1e12)) return;
      const atStart = new Float64Array(model.variables.length);
      model.evaluateExact(model.start, atStart);
      throw new EquilibriumError(
        v.commodity,
        result.iterations,
        Math.abs(atStart[i] as number),
        `the ${v.kind} in ${v.region} diverges: no supply can reach this market at any price`,
      );
    });
    chains.push({
      commodities: chain,
      variables: model.variables.length,
      iterations: result.iterations,
      residual: max,
    });
    model.variables.forEach((v, i) => {
      const zi = result.z[i] as number;
      const r = Math.abs(
        zi - Math.min(model.mcp.upper[i] as number, Math.max(model.mcp.lower[i] as number, zi - (f[i] as number))),
      );
      const family = FAMILY[v.kind];
      residuals[family] = Math.max(residuals[family], r);
    });
    const value = (i: number) => model.modelValue(result.z, i);
    const premium = new Map(model.origins.map((o) => [o.node, value(o.variable)]));
    for (const node of model.nodes) {
      const p = value(node.index);
      const exportPremium = premium.get(node.index) ?? 0;
      prices.push({ region: node.region, commodity: node.commodity, price: p, exportPremium });
      const curves = model.demands.get(node.index);
      if (curves) {
        consumption.push({ region: node.region, commodity: node.commodity, quantity: totalDemandAt(curves, p)[0] });
      }
      const supply = model.supplies.get(node.index);
      if (supply) {
        curveSupply.push({
          region: node.region,
          commodity: node.commodity,
          quantity: Math.max(0, supply.intercept + supply.slope * (p + exportPremium)),
        });
      }
    }
    for (const agent of model.agents) {
      const v = model.variables[agent.variable];
      if (!v) continue;
      const id = v.ref.replace(/#uncovered$/, '');
      const prior = outputs.get(id);
      const capacity = v.upper * v.scale;
      outputs.set(id, {
        producer: id,
        region: v.region,
        commodity: v.commodity,
        output: (prior?.output ?? 0) + value(agent.variable),
        capacity: (prior?.capacity ?? 0) + capacity,
      });
    }
    for (const route of model.routes) {
      const v = model.variables[route.variable];
      if (!v) continue;
      const quantity = value(route.variable);
      if (quantity <= FLOW_EPSILON * (model.quantityScale.get(v.commodity) as number)) continue;
      let rent = 0;
      for (const q of route.rents) rent += value(q);
      const dutyPaid =
        (value(route.from) * (1 + route.exportTax) + rent + route.freight) * (1 + route.adValorem) + route.specific;
      const levy = route.floor !== undefined ? Math.max(0, route.floor - dutyPaid) : 0;
      flows.push({ commodity: v.commodity, from: v.region, to: v.ref, quantity, landed: dutyPaid + levy, levy });
    }
    for (const q of model.quotas) {
      const v = model.variables[q.variable];
      if (v) rents.push({ restriction: v.ref, rent: value(q.variable) });
    }
    for (const s of model.stocks) {
      const v = model.variables[s.variable];
      if (!v) continue;
      const entry = stocks.get(v.ref) ?? {
        id: v.ref,
        region: v.region,
        commodity: v.commodity,
        bought: 0,
        released: 0,
      };
      if (s.sign < 0) entry.bought += value(s.variable);
      else entry.released += value(s.variable);
      stocks.set(v.ref, entry);
    }
  }
  const maxResidual = Math.max(...Object.values(residuals));
  return {
    prices,
    consumption,
    curveSupply,
    outputs: [...outputs.values()],
    flows,
    rents,
    stocks: [...stocks.values()],
    certificate: { maxResidual, residuals, iterations, evaluations, chains },
  };
}
