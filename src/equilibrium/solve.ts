/**
 * Solves one period's market equilibrium and returns it with its certificate: the largest residual of each family
 * of conditions of MODEL.md §3, relative to the market's size. A solve that cannot meet the tolerance throws an
 * EquilibriumError naming the commodity, the iteration count and the residual; it never returns NaN.
 */
import { remembered } from '../memo.ts';
import {
  bindChain,
  buildChain,
  type ChainModel,
  chainsOf,
  curveDemand,
  routeLevy,
  type VariableInfo,
  type VariableKind,
  warmStart,
} from './build.ts';
import { crossover, type InteriorOptions, snapToBounds, solveInterior, solveInteriorPricing } from './interior.ts';
import { type McpResult, naturalResidual, solveMcp } from './mcp.ts';
import type { EquilibriumProblem, StockOperation } from './problem.ts';
import { openPriceRanges, type PriceRange } from './ranges.ts';
import { unreachableDemand } from './reach.ts';
import {
  type ChainInputs,
  type ChainStructure,
  chainInputsOf,
  matchOf,
  nodeKey,
  ORIGIN,
  PRICE,
  pricedNodesOf,
  RENT,
  variableIndex,
} from './structure.ts';
import { borrowFloats, returnFloats } from './workspace.ts';

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
  /**
   * Further warm starts, tried in turn by a chain whose warm start from `warmStart` missed, before its cold sequence
   * (the same year of a run on central data, where last year's solution is far: a ban that began, a shock).
   */
  readonly fallbackStarts?: readonly EquilibriumSolution[];
  /**
   * Where the time goes: milliseconds are added, per phase, to the entries of this object — 'validate', 'model'
   * (the chain's structure and numbers), 'pooled' (the pooled market behind a cold start's scales), 'start'
   * (routing its trade), 'interior' (the interior-point iterations, warm or cold), 'finish' (crossover and the
   * fallback tiers), 'certificate' (the certificate and the published solution) and 'ranges' (priceRanges).
   */
  readonly timings?: Record<string, number>;
  /**
   * Also find the prices the conditions leave open (ranges.ts) and list them in `certificate.openPrices`: a few
   * hundred evaluations of the conditions per chain, for a single solve, not for every year of an ensemble.
   * `maxFree` moves the size limit of a chain analysed (variables inside their bounds; OPEN_PRICES_MAX_FREE).
   */
  readonly priceRanges?: boolean | { readonly maxFree?: number };
}

/** Adds the time since `since` to `timings[phase]` and returns now (no clock is read without timings). */
function lap(timings: Record<string, number> | undefined, phase: string, since: number): number {
  if (!timings) return 0;
  const now = performance.now();
  timings[phase] = (timings[phase] ?? 0) + now - since;
  return now;
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
  /**
   * Prices that every condition allows over a range, the other variables held (when SolveOptions.priceRanges asks):
   * where they are, the price returned is one point of the range, and so is the levy on the goods they price.
   */
  readonly openPrices?: readonly PriceRange[];
  /**
   * Levy revenue (levy × quantity over all routes) at the solution, and the lowest and highest that the open prices'
   * directions reach: where they differ, the split of the floor's rent between the levy and exporters is open too.
   */
  readonly levyRevenueRange?: { readonly value: number; readonly low: number; readonly high: number };
  /** Chains too large for that analysis (ranges.ts), whose open prices are not listed. */
  readonly openPricesUnanalysed?: readonly string[];
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
  /**
   * Demand left unserved at a curve's choke price (see DemandCurve): what buyers would take at that price but go
   * without. `consumption` is net of it.
   */
  readonly rationed: readonly { readonly region: string; readonly commodity: string; readonly quantity: number }[];
  readonly certificate: Certificate;
}

/** The certificate's default tolerance: every condition within 1e-8 of the market's size (SolveOptions.tolerance). */
export const DEFAULT_TOLERANCE = 1e-8;

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

/** Route tables already checked, with the region and commodity lists they were checked against (copies). */
const validRouteTables = new WeakMap<object, { regions: readonly string[]; commodities: readonly string[] }>();

const sameList = (a: readonly string[], b: readonly string[]) => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/**
 * The checks of validateProblem. Each names its field by list, index and field (`producers`, 3, '.region'), and the
 * path is built only when the check fails: a world has hundreds of fields, all of them valid on every solve.
 */
function checkRegion(regions: ReadonlySet<string>, r: string, list: string, i: number, field: string): void {
  if (!regions.has(r)) throw new ProblemError(`${list}[${i}]${field}`, `unknown region '${r}'`);
}
function checkCommodity(commodities: ReadonlySet<string>, k: string, list: string, i: number, field: string): void {
  if (!commodities.has(k)) throw new ProblemError(`${list}[${i}]${field}`, `unknown commodity '${k}'`);
}
function checkFinite(
  v: number | undefined,
  list: string,
  i: number,
  field: string,
  min = Number.NEGATIVE_INFINITY,
): void {
  if (v === undefined || (Number.isFinite(v) && v >= min)) return;
  if (!Number.isFinite(v)) throw new ProblemError(`${list}[${i}]${field}`, `must be a finite number, got ${v}`);
  throw new ProblemError(`${list}[${i}]${field}`, `must be at least ${min}, got ${v}`);
}

/** Rejects a problem the engine cannot give a meaning to, naming where. */
export function validateProblem(problem: EquilibriumProblem): void {
  const regions = new Set(problem.regions);
  const commodities = new Set(problem.commodities);
  const { members, links, producers, demands } = problem;
  for (let i = 0; i < members.length; i++) checkRegion(regions, members[i] as string, 'members', i, '');
  for (let i = 0; i < links.length; i++) {
    const l = links[i] as (typeof links)[number];
    checkCommodity(commodities, l.output, 'links', i, '.output');
    checkCommodity(commodities, l.input, 'links', i, '.input');
    checkFinite(l.coefficient, 'links', i, '.coefficient', 0);
  }
  for (let i = 0; i < producers.length; i++) {
    const p = producers[i] as (typeof producers)[number];
    checkRegion(regions, p.region, 'producers', i, '.region');
    checkCommodity(commodities, p.commodity, 'producers', i, '.commodity');
    checkFinite(p.capacity, 'producers', i, '.capacity', 0);
    checkFinite(p.cost, 'producers', i, '.cost');
    if (p.cfd) {
      checkFinite(p.cfd.strike, 'producers', i, '.cfd.strike', 0);
      checkFinite(p.cfd.volume, 'producers', i, '.cfd.volume', 0);
    }
  }
  for (let i = 0; i < demands.length; i++) {
    const d = demands[i] as (typeof demands)[number];
    checkRegion(regions, d.region, 'demands', i, '.region');
    checkCommodity(commodities, d.commodity, 'demands', i, '.commodity');
    const c = d.curve;
    if (c.kind === 'isoelastic') {
      checkFinite(c.q0, 'demands', i, '.curve.q0', 0);
      checkFinite(c.p0, 'demands', i, '.curve.p0', Number.MIN_VALUE);
      checkFinite(c.elasticity, 'demands', i, '.curve.elasticity');
      if (!(c.elasticity < 0)) throw new ProblemError(`demands[${i}].curve.elasticity`, 'must be negative');
      if (c.choke !== undefined) checkFinite(c.choke, 'demands', i, '.curve.choke', Number.MIN_VALUE);
    } else {
      checkFinite(c.intercept, 'demands', i, '.curve.intercept', 0);
      checkFinite(c.slope, 'demands', i, '.curve.slope', Number.MIN_VALUE);
    }
  }
  const restrictions = problem.restrictions ?? [];
  for (let i = 0; i < restrictions.length; i++) {
    const r = restrictions[i] as (typeof restrictions)[number];
    checkRegion(regions, r.origin, 'restrictions', i, '.origin');
    checkCommodity(commodities, r.commodity, 'restrictions', i, '.commodity');
    checkFinite(r.quota, 'restrictions', i, '.quota', 0);
    if (r.destinations !== '*') {
      for (let j = 0; j < r.destinations.length; j++) {
        checkRegion(regions, r.destinations[j] as string, 'restrictions', i, `.destinations[${j}]`);
      }
    }
  }
  const floors = problem.floors ?? [];
  for (let i = 0; i < floors.length; i++) {
    const f = floors[i] as (typeof floors)[number];
    checkRegion(regions, f.region, 'floors', i, '.region');
    checkCommodity(commodities, f.commodity, 'floors', i, '.commodity');
    checkFinite(f.price, 'floors', i, '.price', 0);
    if (!members.includes(f.region)) throw new ProblemError(`floors[${i}].region`, `'${f.region}' is not a member`);
  }
  const exportTaxes = problem.exportTaxes ?? [];
  for (let i = 0; i < exportTaxes.length; i++) {
    const e = exportTaxes[i] as (typeof exportTaxes)[number];
    checkRegion(regions, e.origin, 'exportTaxes', i, '.origin');
    checkCommodity(commodities, e.commodity, 'exportTaxes', i, '.commodity');
    checkFinite(e.rate, 'exportTaxes', i, '.rate', 0);
  }
  // A world has tens of thousands of route terms: check them without building a path per field, and name the
  // field only when one fails.
  const nonNegative = (v: number | undefined) => v === undefined || (Number.isFinite(v) && v >= 0);
  const byPair = problem.routes?.byPair ?? [];
  // The same route table is usually shared by many problems (years of a simulation, policies on one world):
  // checked once per table and list of regions and commodities.
  const seen = validRouteTables.get(byPair);
  const checked =
    seen !== undefined && sameList(seen.regions, problem.regions) && sameList(seen.commodities, problem.commodities);
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
    checkCommodity(commodities, t.commodity, 'routes.byPair', i, '.commodity');
    checkRegion(regions, t.from, 'routes.byPair', i, '.from');
    checkRegion(regions, t.to, 'routes.byPair', i, '.to');
    checkFinite(t.freight, 'routes.byPair', i, '.freight', 0);
    checkFinite(t.adValorem, 'routes.byPair', i, '.adValorem', 0);
    checkFinite(t.specific, 'routes.byPair', i, '.specific', 0);
  }
  if (byPair.length > 0 && !checked) {
    validRouteTables.set(byPair, { regions: [...problem.regions], commodities: [...problem.commodities] });
  }
  const supplies = problem.supplies ?? [];
  for (let i = 0; i < supplies.length; i++) {
    const s = supplies[i] as (typeof supplies)[number];
    checkRegion(regions, s.region, 'supplies', i, '.region');
    checkCommodity(commodities, s.commodity, 'supplies', i, '.commodity');
    checkFinite(s.intercept, 'supplies', i, '.intercept');
    checkFinite(s.slope, 'supplies', i, '.slope', Number.MIN_VALUE);
  }
  const stocks = problem.stocks ?? [];
  for (let i = 0; i < stocks.length; i++) {
    const s = stocks[i] as (typeof stocks)[number];
    checkRegion(regions, s.region, 'stocks', i, '.region');
    checkCommodity(commodities, s.commodity, 'stocks', i, '.commodity');
    checkFinite(s.buyCap, 'stocks', i, '.buyCap', 0);
    checkFinite(s.releaseCap, 'stocks', i, '.releaseCap', 0);
    checkFinite(s.buyPrice, 'stocks', i, '.buyPrice', 0);
    checkFinite(s.releasePrice, 'stocks', i, '.releasePrice', 0);
  }
}

/**
 * What a solve knows of each chain it solved beyond the published solution: the structure of its model and the
 * model values of every variable, so that a warm start from it on a model of the same structure copies them by
 * position, and on another structure matches them by identity (variableKey) at once.
 */
interface ChainState {
  readonly structure: ChainStructure;
  readonly values: Float64Array;
}
const chainStates = new WeakMap<object, Map<string, ChainState>>();

/** The geometric mean of a solution's positive prices per commodity: the level its markets clear at. */
const levelsCache = new WeakMap<EquilibriumSolution, Map<string, number>>();
function priceLevels(solution: EquilibriumSolution): Map<string, number> {
  const cached = levelsCache.get(solution);
  if (cached) return cached;
  // One running sum per commodity, updated in place (a pair per price, destructured, was 2% of a draw's allocation).
  const sum = new Map<string, { logs: number; count: number }>();
  for (const p of solution.prices) {
    if (!(p.price > 0) || !Number.isFinite(p.price)) continue;
    const s = sum.get(p.commodity);
    if (s) {
      s.logs += Math.log(p.price);
      s.count++;
    } else sum.set(p.commodity, { logs: Math.log(p.price), count: 1 });
  }
  const levels = new Map<string, number>();
  for (const [k, { logs, count }] of sum) levels.set(k, Math.exp(logs / count));
  levelsCache.set(solution, levels);
  return levels;
}

/** A published solution's values by variable identity (for a solution that comes without its chain states). */
const publishedCache = new WeakMap<EquilibriumSolution, Map<string, number>>();
function publishedValues(solution: EquilibriumSolution): Map<string, number> {
  const cached = publishedCache.get(solution);
  if (cached) return cached;
  const values = new Map<string, number>();
  for (const p of solution.prices) {
    values.set(`price|${p.commodity}|${p.region}|${p.region}`, p.price);
    values.set(`origin|${p.commodity}|${p.region}|${p.region}`, p.exportPremium);
  }
  for (const o of solution.outputs) values.set(`output|${o.commodity}|${o.region}|${o.producer}`, o.output);
  for (const f of solution.flows) values.set(`flow|${f.commodity}|${f.from}|${f.to}`, f.quantity);
  for (const r of solution.rents) values.set(`rent|${r.restriction}`, r.rent);
  for (const s of solution.stocks) {
    values.set(`buy|${s.id}`, s.bought);
    values.set(`release|${s.id}`, s.released);
  }
  publishedCache.set(solution, values);
  return values;
}

/**
 * The start for a chain from a solution of a neighbouring problem (see SolveOptions.warmStart), in solver
 * coordinates: matched variables take the solution's values (clamped to their new bounds), the rest the model's
 * cold start. A flow between two nodes the solution priced but did not carry was zero there.
 */
export function startFromSolution(model: ChainModel, solution: EquilibriumSolution): Float64Array {
  const start = Float64Array.from(model.start);
  const { variables, structure } = model;
  const take = (i: number, value: number | undefined) => {
    if (value === undefined || !Number.isFinite(value)) return;
    if ((variables[i] as VariableInfo).logarithmic && !(value > 0)) return;
    const z = model.toSolver(i, Math.max(0, value));
    if (Number.isFinite(z)) start[i] = z;
  };
  const state = chainStates.get(solution)?.get(structure.chainKey);
  if (state) {
    if (state.structure === structure) {
      for (let i = 0; i < variables.length; i++) take(i, state.values[i]);
      return withinQuotas(model, start);
    }
    const match = matchOf(state.structure, structure);
    const priced = pricedNodesOf(state.structure);
    const before = variableIndex(state.structure);
    const fresh = newlyBanned(model, (key) => before.has(key));
    for (let i = 0; i < variables.length; i++) {
      const j = match[i] as number;
      const v = variables[i] as VariableInfo;
      if (fresh.has(v.commodity) && model.banStart[i]) continue;
      if (j >= 0) take(i, state.values[j]);
      else if (
        v.kind === 'flow' &&
        priced.has(nodeKey(v.commodity, v.region)) &&
        priced.has(nodeKey(v.commodity, v.ref))
      )
        take(i, 0);
    }
    return withinQuotas(model, start);
  }
  // A solution from elsewhere: by its published fields.
  const values = publishedValues(solution);
  // A producer split by a CfD volume cap: the covered tranche (which earns at least the price) runs first.
  const covered = new Map<string, number>();
  for (const a of model.agents) {
    if (a.tranche === 1) covered.set(a.id, (model.upper[a.variable] as number) * (model.scale[a.variable] as number));
  }
  const fresh = newlyBanned(model, (key) => (values.get(key) ?? 0) > 0);
  for (let i = 0; i < variables.length; i++) {
    const v = variables[i] as VariableInfo;
    if (fresh.has(v.commodity) && model.banStart[i]) continue;
    switch (v.kind) {
      case 'output': {
        const uncovered = v.ref.endsWith('#uncovered');
        const id = uncovered ? v.ref.slice(0, -'#uncovered'.length) : v.ref;
        const total = values.get(`output|${v.commodity}|${v.region}|${id}`);
        const first = covered.get(id);
        if (total !== undefined)
          take(i, first === undefined ? total : uncovered ? total - first : Math.min(total, first));
        break;
      }
      case 'flow': {
        const value = values.get(`flow|${v.commodity}|${v.region}|${v.ref}`);
        const bothPriced =
          values.has(`price|${v.commodity}|${v.region}|${v.region}`) &&
          values.has(`price|${v.commodity}|${v.ref}|${v.ref}`);
        take(i, value ?? (bothPriced ? 0 : undefined));
        break;
      }
      case 'rent':
      case 'buy':
      case 'release':
        take(i, values.get(`${v.kind}|${v.ref}`));
        break;
      default:
        take(i, values.get(`${v.kind}|${v.commodity}|${v.region}|${v.ref}`));
    }
  }
  return withinQuotas(model, start);
}

/**
 * The commodities of the model with an export ban that the neighbouring solution did not have: a banned route (which
 * the model leaves out) that the solution had (`carried` says so of a flow's key). Their markets split since, and the
 * cold start's ban-aware values (ChainModel.banStart) are a better start for the split than the solution's.
 */
function newlyBanned(model: ChainModel, carried: (flowKey: string) => boolean): Set<string> {
  const fresh = new Set<string>();
  const { restrictions, regions } = model.inputs;
  for (const r of restrictions) {
    if (r.quota > 0 || fresh.has(r.commodity)) continue;
    for (const to of r.destinations === '*' ? regions : r.destinations) {
      if (to !== r.origin && carried(`flow|${r.commodity}|${r.origin}|${to}`)) {
        fresh.add(r.commodity);
        break;
      }
    }
  }
  return fresh;
}

/**
 * A warm start's flows cut down to the problem's export quotas: the routes of a quota that the neighbouring solution
 * overships (a ban or a quota imposed since) carry their flows scaled to it, those of a ban none. Left at last year's
 * values, a newly banned route would start the interior-point method far outside its quota — a violation it then
 * removes by steps of a few thousandths, as its iterates cling to the bounds that the warm start's small barrier
 * puts them near.
 */
function withinQuotas(model: ChainModel, start: Float64Array): Float64Array {
  const { quotas, data, scale } = model;
  for (let k = 0; k < quotas.length; k++) {
    const q = quotas[k] as (typeof quotas)[number];
    let shipped = 0;
    for (const r of q.routes) {
      const e = (model.routes[r] as (typeof model.routes)[number]).variable;
      shipped += (start[e] as number) * (scale[e] as number);
    }
    const quota = data.qQuota[k] as number;
    if (!(shipped > quota)) continue;
    const factor = quota / shipped;
    for (const r of q.routes) {
      const e = (model.routes[r] as (typeof model.routes)[number]).variable;
      start[e] = (start[e] as number) * factor;
    }
  }
  return start;
}

/** The kinds in the order of their codes (structure.ts). */
const KINDS: readonly VariableKind[] = ['price', 'output', 'flow', 'rent', 'origin', 'buy', 'release'];

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
 * The interior point's settings when it runs again after a jam, in turn: proximal regularisation ρ = k × μ
 * (InteriorOptions.proximal), then kinks smoothed to κ × μ (InteriorOptions.smoothing), then both.
 */
const RESCUES: readonly InteriorOptions[] = [
  { proximal: 1000 },
  { proximal: 100 },
  { smoothing: 10 },
  { proximal: 1000, smoothing: 10 },
];
/** Iterations without halving the residual after which the cold interior point counts as jammed. */
const JAM_ITERATIONS = 25;

/** The result with the lower residual, the iterations and evaluations of both. */
function betterOf(a: McpResult, b: McpResult): McpResult {
  const better = b.residual < a.residual ? b : a;
  return { ...better, iterations: a.iterations + b.iterations, evaluations: a.evaluations + b.evaluations };
}

/**
 * The barrier's last digits: where an interior-point result stopped short of `target` (but within 1e-4), a few
 * active-set Newton steps (crossover); the better of the two, with the work of both.
 */
function finishedByCrossover(model: ChainModel, r: McpResult, target: number): McpResult {
  return !(r.residual <= target) && r.residual <= 1e-4
    ? betterOf(r, crossover(model.exact, r.z, { tolerance: target, maxIterations: 4 }))
    : r;
}

/**
 * One chain from its cold start: the interior-point method on the exact conditions (interior.ts) from the pooled
 * market with trade routed, finished by crossover steps where the barrier stops short; where it falls short (most
 * often a jam), again with a proximal term (a price the conditions leave undetermined), strong then weaker, and with
 * the conditions' kinks smoothed (floors that start or stop binding); then, for what it cannot do, semismooth Newton
 * on the Fischer–Burmeister function with its tiers (policy continuation for export controls, the Tikhonov path,
 * Levenberg–Marquardt steps, the active-set polish).
 */
function solveChainCold(
  problem: EquilibriumProblem,
  chain: readonly string[],
  model: ChainModel,
  tolerance: number,
  maxIterations: number,
  timings?: Record<string, number>,
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
  let clock = timings ? performance.now() : 0;
  const finished = (r: McpResult): McpResult => finishedByCrossover(model, r, tolerance / 100);
  // Where regions are many, routes (one per pair) far outnumber the ones that can carry goods: start from the
  // cheapest few into and out of each market and add any other that turns out to earn a margin (pricing).
  record(
    finished(
      model.routes.length >= WORKING_SET_ROUTES
        ? solveInteriorPricing(model.exact, cold.start, {
            ...interior,
            excluded: model.excludedRoutes(cold.start, WORKING_SET_KEEP),
          })
        : solveInterior(model.exact, cold.start, { ...interior, jamIterations: JAM_ITERATIONS }),
    ),
  );
  // The barrier fell short (most often a jam): again from the start, with the proximal term that keeps a flat
  // direction (an undetermined price) finite, strong then weaker; then with the kinks smoothed (a floor that starts
  // or stops binding).
  // Where each attempt stopped: the Newton tiers below that start from a point take the best, then (should all fail)
  // the others.
  const points: Float64Array[] = best ? [best.z] : [];
  for (const rescue of RESCUES) {
    if (!best || best.residual <= tolerance) break;
    const again = finished(solveInterior(model.exact, cold.start, { ...interior, ...rescue }));
    record(again);
    points.push(again.z);
  }
  clock = lap(timings, 'interior', clock);
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
  // Nearly tied producers or routes: solve with a strong tie-breaking slope, where outputs and flows are unique, and
  // relax it, warm-starting each solve from the last; the limit is the unregularised equilibrium.
  const tiePath = (from: Float64Array) => {
    let z = from;
    for (const epsilon of [1e-4, 1e-6, 1e-8]) {
      const step = solveMcp(model.withTieBreak(epsilon), z, mcpOptions);
      spentIterations += step.iterations;
      spentEvaluations += step.evaluations;
      if (Number.isFinite(step.residual)) z = step.z;
    }
    fallback(solveMcp(model.mcp, z, mcpOptions));
  };
  // Degenerate markets (a price a choke leaves undetermined): Levenberg–Marquardt steps with the active-set polish.
  const polished = (from: Float64Array) =>
    fallback(solveMcp(model.mcp, from, { ...mcpOptions, levenbergMarquardt: true, polish: true }));
  const first = result.z;
  if (!(result.residual <= tolerance)) tiePath(first);
  if (!(result.residual <= tolerance)) {
    fallback(solveMcp(model.mcp, model.start, { ...mcpOptions, levenbergMarquardt: true }));
    if (!(result.residual <= tolerance)) polished(result.z);
  }
  // Last, the same from where the other interior-point attempts stopped.
  for (const z of points) {
    if (result.residual <= tolerance) break;
    if (z === first) continue;
    tiePath(z);
    if (!(result.residual <= tolerance)) polished(z);
  }
  lap(timings, 'finish', clock);
  return { result, iterations: spentIterations, evaluations: spentEvaluations };
}

/**
 * A warm start that has not halved its residual in this many iterations is far from its solution (a ban that split
 * a market since, a choke that began to bind): the cold start, built for such markets, takes over.
 */
const WARM_GIVE_UP = { iterations: 10, ratio: 0.5 };
/**
 * A warm start that then goes this many iterations without halving its residual has jammed: the next start (or the
 * cold sequence) takes over instead of spending the rest of its 40. Over rare-earth draws × 15 years, 8% of first
 * warm starts missed and a third of those ran all 40 iterations; with this, iterations per year 16.02 → 15.56
 * (draws 0–199) and 15.91 → 15.33 (draws 400–599); 6 or 8 iterations cut short starts that would have succeeded.
 */
const WARM_JAM_ITERATIONS = 13;

/**
 * How far each commodity's price scale in `model` stands above the prices it measures at `z`: the scale over the
 * larger of the commodity's reference price and the highest price the point gives it (a market's, or what its
 * producers earn with their export premium), where that ratio exceeds 1; else 1. A scale set far too high (a pooled
 * market that misjudged a scarce one: 1e6 times its reference where the choke holds prices at 1.5 times) measures
 * every price-like condition in its own large units, and a point that misses them by a share of the price itself
 * looks certified.
 */
export function scaleExcess(model: ChainModel, z: Float64Array): Float64Array {
  const { priceScale, referencePrice, structure } = model;
  const level = Float64Array.from(referencePrice);
  for (const node of model.nodes) {
    const k = structure.commodityIndex[node.index] as number;
    const o = structure.originOfNode[node.index] as number;
    const earned = model.modelValue(z, node.index) + (o >= 0 ? model.modelValue(z, o) : 0);
    if (earned > (level[k] as number)) level[k] = earned;
  }
  return level.map((l, k) => Math.max(1, (priceScale[k] as number) / l));
}

/**
 * The natural residual of the conditions at `z` (values `f`), with each commodity's prices measured against the
 * scale `excess` (scaleExcess) divides its model's by: price-like variables (prices, rents, origin limits) weigh
 * `excess` times more, the conditions of quantities (margins in price units) as much. Conditions written in
 * logarithms, and logarithmic prices (free), do not depend on the scale. `familyMax`, if given, takes the largest
 * per kind of variable (KINDS).
 */
export function scaledResidual(
  model: ChainModel,
  z: Float64Array,
  f: Float64Array,
  excess: Float64Array,
  familyMax?: number[],
): { max: number; index: number } {
  const { lower, upper, structure } = model;
  const { kindCode, commodityIndex, logarithmic } = structure;
  const logCondition = logConditionsOf(structure);
  let max = 0;
  let index = 0;
  for (let i = 0; i < z.length; i++) {
    const c = excess[commodityIndex[i] as number] as number;
    const code = kindCode[i] as number;
    let zi = z[i] as number;
    let fi = f[i] as number;
    let lo = lower[i] as number;
    let up = upper[i] as number;
    if (c !== 1) {
      if (code === PRICE || code === RENT || code === ORIGIN) {
        if (!logarithmic[i]) {
          zi *= c;
          lo *= c;
          up *= c;
        }
      } else if (!logCondition[i]) fi *= c;
    }
    const r = Math.abs(zi - Math.min(up, Math.max(lo, zi - fi)));
    if (!(r <= max)) {
      max = r;
      index = i;
    }
    if (familyMax && r > (familyMax[code] as number)) familyMax[code] = r;
  }
  return { max, index };
}

/**
 * Per variable, 1 where its condition is written in logarithms (a route's, compiled.rLog): those do not depend on the
 * scale. Once per structure (a set of them, built at every certificate with a rescaled commodity, was 1% of a
 * rare-earth draw's allocation).
 */
const logConditions = new WeakMap<ChainStructure, Uint8Array>();
function logConditionsOf(structure: ChainStructure): Uint8Array {
  return remembered(logConditions, structure, () => {
    const { rLog, rVar } = structure.compiled;
    const flags = new Uint8Array(structure.variables.length);
    for (let r = 0; r < rLog.length; r++) if (rLog[r]) flags[rVar[r] as number] = 1;
    return flags;
  });
}

/** The price scales of `model` brought down by `excess` (scaleExcess): the price levels of the point it measured. */
function priceLevelsAt(model: ChainModel, excess: Float64Array): Map<string, number> {
  return new Map(model.commodities.map((k, i) => [k, (model.priceScale[i] as number) / (excess[i] as number)]));
}

/** The model values (prices, quantities) of a point of `model`. */
function valuesOf(model: ChainModel, z: Float64Array): Float64Array {
  return Float64Array.from(z, (_, i) => model.modelValue(z, i));
}

/** A result carried over to another model of the same chain (other scales): its point and residual there. */
function carried(model: ChainModel, result: McpResult, values: Float64Array): McpResult {
  const z = Float64Array.from(values, (value, i) => model.toSolver(i, value));
  const f = new Float64Array(z.length);
  model.evaluateExact(z, f);
  const { max, index } = naturalResidual(z, f, model.lower, model.upper);
  return { ...result, z, f, residual: max, worst: index, converged: false };
}

/** Quantities below this share of the market are reported as zero flows. */
const FLOW_EPSILON = 1e-12;
/**
 * A route whose landed cost is above its destination's price by more than this share of that price (or of the
 * commodity's price scale, where the price is far below it) carries nothing.
 */
const UNPROFITABLE = 1e-6;

/** Ids of the operations that ration a choked demand curve, by the curve's index in `problem.demands`. */
const CHOKE_PREFIX = 'choke|';

/**
 * The local releases that ration each choked demand curve at its choke price: up to D(choke), at the choke price,
 * never exported (see solveEquilibrium).
 */
export function rationingReleases(problem: EquilibriumProblem): StockOperation[] {
  const rationing: StockOperation[] = [];
  const { demands } = problem;
  for (let i = 0; i < demands.length; i++) {
    const d = demands[i] as (typeof demands)[number];
    const c = d.curve;
    if (c.kind !== 'isoelastic' || c.choke === undefined) continue;
    const releaseCap = curveDemand(c, c.choke);
    if (releaseCap > 0) {
      rationing.push({
        id: chokeId(i),
        region: d.region,
        commodity: d.commodity,
        releaseCap,
        releasePrice: c.choke,
        local: true,
      });
    }
  }
  return rationing;
}

/** A solution's market prices by commodity, then region: made once per solution, however many lookups. */
const PRICE_INDEX = new WeakMap<object, Map<string, Map<string, number>>>();

/** The market prices of a solution by commodity, then region (a node's price: one per commodity and region). */
export function marketPrices(solution: Pick<EquilibriumSolution, 'prices'>): Map<string, Map<string, number>> {
  return remembered(PRICE_INDEX, solution, () => {
    const prices = new Map<string, Map<string, number>>();
    for (const p of solution.prices) remembered(prices, p.commodity, () => new Map()).set(p.region, p.price);
    return prices;
  });
}

/** The choked isoelastic curve a rationing release serves (its id names the curve's place in `problem.demands`). */
function rationedCurve(problem: EquilibriumProblem, id: string) {
  const c = (problem.demands[Number(id.slice(CHOKE_PREFIX.length))] as EquilibriumProblem['demands'][number]).curve;
  return c.kind === 'isoelastic' && c.choke !== undefined ? { curve: c, choke: c.choke } : undefined;
}

/**
 * What a rationing's buyers can go without at the solution's price: D(choke) at or below the choke, D(price) above
 * it (they buy nothing there), with D(choke); undefined for a release that rations no choked curve.
 */
function rationable(
  problem: EquilibriumProblem,
  op: StockOperation,
  prices: Map<string, Map<string, number>>,
): { asked: number; atChoke: number } | undefined {
  const r = rationedCurve(problem, op.id);
  if (!r) return undefined;
  const price = prices.get(op.commodity)?.get(op.region) ?? r.choke;
  return { asked: curveDemand(r.curve, Math.max(price, r.choke)), atChoke: curveDemand(r.curve, r.choke) };
}

/**
 * The rationing releases with each cap set to what its buyers can go without at the solution's price (rationable),
 * if any moved by more than RATIONING_SLACK; else `rationing` itself (consistent).
 */
function rationingWithinDemand(
  problem: EquilibriumProblem,
  rationing: readonly StockOperation[],
  solution: Omit<EquilibriumSolution, 'rationed'>,
): StockOperation[] {
  const prices = marketPrices(solution);
  let changed = false;
  const next = rationing.map((op) => {
    const r = rationable(problem, op, prices);
    if (!r || Math.abs((op.releaseCap as number) - r.asked) <= RATIONING_SLACK * r.atChoke) return op;
    changed = true;
    return { ...op, releaseCap: r.asked };
  });
  return changed ? next : (rationing as StockOperation[]);
}

/** The rationing that serves most beyond its buyers' demand, relative to D(choke) (for the error). */
function worstRationingExcess(
  problem: EquilibriumProblem,
  rationing: readonly StockOperation[],
  solution: Omit<EquilibriumSolution, 'rationed'>,
): { region: string; commodity: string; excess: number } {
  const prices = marketPrices(solution);
  let worst = { region: '', commodity: '', excess: 0 };
  for (const op of rationing) {
    const r = rationable(problem, op, prices);
    if (!r) continue;
    const released = solution.stocks.find((s) => s.id === op.id)?.released ?? 0;
    const excess = (released - r.asked) / r.atChoke;
    if (excess > worst.excess) worst = { region: op.region, commodity: op.commodity, excess };
  }
  return worst;
}

/** The id of the rationing of demand curve i (the same string every solve: the structure cache compares it). */
const chokeIds: string[] = [];
function chokeId(i: number): string {
  let id = chokeIds[i];
  if (id === undefined) {
    id = `${CHOKE_PREFIX}${i}`;
    if (i < 1 << 16) chokeIds[i] = id;
  }
  return id;
}

/**
 * How many times a solve is repeated with the rationing of curves priced above their choke cut to what they ask
 * (solveEquilibrium); each repeat warm-starts from the last and moves prices only up.
 */
const RATIONING_ROUNDS = 40;
/** Relative excess of a rationing over what its buyers ask, below which it counts as consistent. */
const RATIONING_SLACK = 1e-9;

/**
 * Solves one period. A demand curve with a choke price is rationed at it: the unserved part is, for the market's
 * clearing, exactly a release of up to D(choke) at the choke price (MODEL.md §3.5's stock release, local to the node:
 * it is not production, so nothing rationed can be exported), solved and certified as one; the solution then reports
 * it as `rationed` and consumption net of it.
 *
 * Where other buyers at the node (a refiner, a vault) bid its price above the choke, the curve's own buyers go
 * without entirely, and they ask only D(price) < D(choke) there: a release of D(choke) would hand the difference to
 * those other buyers, made from nothing. So the release is then capped at what the curve asks at the price found, and
 * the period solved again from there, until every rationing is within RATIONING_SLACK of its buyers' demand. A node
 * whose buyers are all rationed and nothing else bids keeps its price at the choke, where its release is inside its
 * cap: those rounds never start, and a market no price of which reaches a choke is solved once.
 */
export function solveEquilibrium(problem: EquilibriumProblem, options: SolveOptions = {}): EquilibriumSolution {
  const { timings } = options;
  const clock = timings ? performance.now() : 0;
  validateProblem(problem);
  const unreachable = unreachableDemand(problem);
  if (unreachable) {
    const { commodity, region, bannedOrigins } = unreachable;
    const origins =
      bannedOrigins.length === 0
        ? 'nothing anywhere can make it'
        : `nothing makes it there, and ${bannedOrigins.join(', ')}, which can, ${bannedOrigins.length === 1 ? 'is' : 'are'} banned from shipping it there`;
    // The residual: the whole of that demand goes unserved, at any finite price.
    throw new EquilibriumError(
      commodity,
      0,
      1,
      `the demand for ${commodity} in ${region} has no supply it can reach: ${origins}; with no choke price, its price has no bound`,
    );
  }
  lap(timings, 'validate', clock);
  let rationing = rationingReleases(problem);
  if (rationing.length === 0) return { ...solveMarkets(problem, options), rationed: [] };
  const own = problem.stocks ?? [];
  let inner = solveMarkets({ ...problem, stocks: [...own, ...rationing] }, options);
  let iterations = inner.certificate.iterations;
  let evaluations = inner.certificate.evaluations;
  /** Whether some rationing was capped below D(choke): a price above a choke, that the rounds below settled. */
  let capped = false;
  for (let round = 0; ; round++) {
    const within = rationingWithinDemand(problem, rationing, inner);
    if (within === rationing) break;
    if (round === RATIONING_ROUNDS) {
      const worst = worstRationingExcess(problem, rationing, inner);
      throw new EquilibriumError(
        worst.commodity,
        iterations,
        worst.excess,
        `the rationing of the demand for ${worst.commodity} in ${worst.region}, priced above its choke, still serves ${worst.excess.toExponential(2)} of its demand more than its buyers ask after ${RATIONING_ROUNDS} solves`,
      );
    }
    rationing = within;
    capped = true;
    inner = solveMarkets(
      { ...problem, stocks: [...own, ...rationing] },
      { ...options, warmStart: { ...inner, rationed: [] }, fallbackStarts: [] },
    );
    iterations += inner.certificate.iterations;
    evaluations += inner.certificate.evaluations;
  }
  if (iterations !== inner.certificate.iterations) {
    inner = { ...inner, certificate: { ...inner.certificate, iterations, evaluations } };
  }
  // Where the price is above a curve's choke its buyers go without all they would take at the choke, D(choke); the
  // release met only D(price) of it, what the curve asks at that price.
  const pricesAt = capped ? marketPrices(inner) : undefined;
  const aboveChoke = (id: string, commodity: string, region: string): number => {
    const r = pricesAt && rationedCurve(problem, id);
    const price = pricesAt?.get(commodity)?.get(region) ?? 0;
    if (!r || !(price > r.choke)) return 0;
    return curveDemand(r.curve, r.choke) - curveDemand(r.curve, price);
  };
  // What went unserved per node (by commodity, then region), in the order the nodes first appear.
  const unserved: { region: string; commodity: string; quantity: number }[] = [];
  const atNode = new Map<string, Map<string, (typeof unserved)[number]>>();
  let cuts = false;
  for (const s of inner.stocks) {
    if (!s.id.startsWith(CHOKE_PREFIX)) continue;
    let byRegion = atNode.get(s.commodity);
    if (!byRegion) {
      byRegion = new Map();
      atNode.set(s.commodity, byRegion);
    }
    let entry = byRegion.get(s.region);
    if (!entry) {
      entry = { region: s.region, commodity: s.commodity, quantity: 0 };
      byRegion.set(s.region, entry);
      unserved.push(entry);
    }
    entry.quantity += s.released + aboveChoke(s.id, s.commodity, s.region);
    if (entry.quantity > 0) cuts = true;
  }
  const solution: EquilibriumSolution = {
    ...inner,
    consumption: cuts
      ? inner.consumption.map((c) => {
          const cut = atNode.get(c.commodity)?.get(c.region)?.quantity ?? 0;
          return cut > 0 ? { ...c, quantity: Math.max(0, c.quantity - cut) } : c;
        })
      : inner.consumption,
    stocks: inner.stocks.filter((s) => !s.id.startsWith(CHOKE_PREFIX)),
    rationed: cuts ? unserved.filter((r) => r.quantity > 0) : [],
  };
  // A warm start from this solution reuses the chains' states of the solve behind it.
  const states = chainStates.get(inner);
  if (states) chainStates.set(solution, states);
  return solution;
}

function solveMarkets(problem: EquilibriumProblem, options: SolveOptions): Omit<EquilibriumSolution, 'rationed'> {
  const { timings } = options;
  let clock = timings ? performance.now() : 0;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const prices: EquilibriumSolution['prices'][number][] = [];
  const consumption: EquilibriumSolution['consumption'][number][] = [];
  const curveSupply: EquilibriumSolution['curveSupply'][number][] = [];
  const outputs = new Map<string, EquilibriumSolution['outputs'][number]>();
  const flows: EquilibriumSolution['flows'][number][] = [];
  const rents: EquilibriumSolution['rents'][number][] = [];
  const stocks = new Map<string, { id: string; region: string; commodity: string; bought: number; released: number }>();
  const residuals = { clearing: 0, producers: 0, trade: 0, quotas: 0, origin: 0, stocks: 0 };
  const chains: Certificate['chains'][number][] = [];
  const openPrices: PriceRange[] = [];
  const unanalysed: string[] = [];
  const openLevy = { value: 0, low: 0, high: 0 };
  const states = new Map<string, ChainState>();
  let iterations = 0;
  let evaluations = 0;

  // A warm start knows the price level of each commodity: its scales need no pooled market solved.
  const hints = options.warmStart ? priceLevels(options.warmStart) : undefined;
  const warmStarts = options.warmStart ? [options.warmStart, ...(options.fallbackStarts ?? [])] : [];
  const chainList = chainsOf(problem);
  const inputsOf = chainInputsOf(problem, chainList);
  for (let c = 0; c < chainList.length; c++) {
    const chain = chainList[c] as string[];
    const pooledBefore = timings?.pooled ?? 0;
    let model: ChainModel = bindChain(inputsOf[c] as ChainInputs, {
      ...(hints ? { priceHints: hints } : {}),
      timings,
    });
    clock = lap(timings, 'model', clock);
    if (timings) timings.model = (timings.model ?? 0) - ((timings.pooled ?? 0) - pooledBefore);
    if (model.variables.length === 0) continue;
    // A warm start first (interior.ts, from the neighbouring solution); should it miss, the whole cold sequence runs
    // exactly as without it, so a warm start can cost iterations but never a solve that would succeed cold.
    let result: McpResult | undefined;
    let spentIterations = 0;
    let spentEvaluations = 0;
    /** Keeps the lower residual of the best point so far and `next` (any finite one over none or NaN). */
    const keepBetter = (next: McpResult) => {
      if (!result || next.residual < result.residual || !Number.isFinite(result.residual)) result = next;
    };
    /** The chain bound again with other price scales (none: the pooled market's); the best point so far is kept. */
    const rescale = (priceHints: Map<string, number> | undefined) => {
      const values = result ? valuesOf(model, result.z) : undefined;
      model.release();
      model = bindChain(inputsOf[c] as ChainInputs, { ...(priceHints ? { priceHints } : {}), timings });
      clock = lap(timings, 'model', clock);
      if (result && values) result = carried(model, result, values);
    };
    for (let k = 0; k < warmStarts.length; k++) {
      const near = warmStarts[k] as EquilibriumSolution;
      // A fallback start on a model scaled by its own price levels: the first start's may be far off (which is why
      // it missed).
      if (k > 0) rescale(priceLevels(near));
      const warm = solveInterior(model.exact, startFromSolution(model, near), {
        tolerance: tolerance / 100,
        acceptable: tolerance / 10,
        maxIterations: 40,
        warm: true,
        giveUp: WARM_GIVE_UP,
        jamIterations: WARM_JAM_ITERATIONS,
      });
      clock = lap(timings, 'interior', clock);
      const finished = finishedByCrossover(model, warm, tolerance / 100);
      spentIterations += finished.iterations;
      spentEvaluations += finished.evaluations;
      keepBetter(finished);
      clock = lap(timings, 'finish', clock);
      if ((result as McpResult).residual <= tolerance) break;
    }
    if (!(result && result.residual <= tolerance)) {
      const maxIterations = options.maxIterations ?? 200;
      if (hints) {
        // The cold sequence on the model a cold solve builds: its scales and start from the pooled market, not from
        // the neighbouring solution's price levels (with those, a market that moved far — a ban, a choke that began
        // to bind — can fail where the cold solve succeeds). The warm point is kept, in the new scales, should the
        // cold sequence do worse.
        rescale(undefined);
      }
      const cold = solveChainCold(problem, chain, model, tolerance, maxIterations, timings);
      clock = timings ? performance.now() : 0;
      spentIterations += cold.iterations;
      spentEvaluations += cold.evaluations;
      keepBetter(cold.result);
      if (hints && !((result as McpResult).residual <= tolerance)) {
        // Last, the same sequence on the model scaled by the neighbouring solution's price levels: where the pooled
        // market misjudges the scale (prices pinned by a floor or a ban far from where trade without them would
        // clear), that one can succeed where the pooled scales fail. Its iterations count too.
        rescale(hints);
        const hinted = solveChainCold(problem, chain, model, tolerance, maxIterations, timings);
        clock = timings ? performance.now() : 0;
        spentIterations += hinted.iterations;
        spentEvaluations += hinted.evaluations;
        keepBetter(hinted.result);
      }
    }
    // A point certified in the model's units that misses the conditions on the scale of its own prices (the model's
    // price scale stands far above them: scaleExcess) is solved again on a model scaled by those prices, from that
    // point, cold should that miss.
    const reached = result as McpResult;
    if (reached.residual <= tolerance) {
      const excess = scaleExcess(model, reached.z);
      const f = excess.some((c) => c > 1) ? borrowFloats(model.variables.length) : undefined;
      if (f) model.evaluateExact(reached.z, f);
      const missed = f !== undefined && !(scaledResidual(model, reached.z, f, excess).max <= tolerance);
      if (f) returnFloats(f);
      if (missed) {
        rescale(priceLevelsAt(model, excess));
        const again = finishedByCrossover(
          model,
          solveInterior(model.exact, (result as McpResult).z, {
            tolerance: tolerance / 100,
            acceptable: tolerance / 10,
            maxIterations: 40,
            warm: true,
          }),
          tolerance / 100,
        );
        spentIterations += again.iterations;
        spentEvaluations += again.evaluations;
        keepBetter(again);
        if (!((result as McpResult).residual <= tolerance)) {
          const cold = solveChainCold(problem, chain, model, tolerance, options.maxIterations ?? 200, timings);
          spentIterations += cold.iterations;
          spentEvaluations += cold.evaluations;
          keepBetter(cold.result);
        }
        clock = timings ? performance.now() : 0;
      }
    }
    result = { ...(result as McpResult), iterations: spentIterations, evaluations: spentEvaluations };
    iterations += result.iterations;
    evaluations += result.evaluations;
    // The certificate comes from a fresh evaluation at the returned point, per family of conditions.
    const n = model.variables.length;
    const { lower, upper } = model.exact;
    const f = borrowFloats(n);
    model.evaluateExact(result.z, f);
    const before = naturalResidual(result.z, f, lower, upper).max;
    // Inactive flows and idle producers exactly at zero (an interior point leaves them a hair above).
    if (before <= tolerance) snapToBounds(model.exact, result.z, f, Math.max(before, tolerance / 10));
    // Measured with prices against the level the point gives them where the model's scale stands above it.
    const excess = scaleExcess(model, result.z);
    const familyMax = [0, 0, 0, 0, 0, 0, 0];
    const { max, index } = scaledResidual(model, result.z, f, excess, familyMax);
    if (!(max <= tolerance)) {
      const v = model.variables[index];
      throw new EquilibriumError(
        v?.commodity ?? chain.join('+'),
        result.iterations,
        max,
        v ? `worst condition: ${v.kind} ${v.region}${v.kind === 'flow' ? `→${v.ref}` : ''}` : 'no variable',
      );
    }
    const z = result.z;
    const values = new Float64Array(n);
    const { kindCode } = model.structure;
    for (let i = 0; i < n; i++) {
      const value = model.modelValue(z, i);
      values[i] = value;
      // A price that ran off to infinity satisfies market clearing only in the limit: demand no supply can reach.
      if (Number.isFinite(value) && !(kindCode[i] === PRICE && value > (model.scale[i] as number) * 1e12)) continue;
      const v = model.variables[i] as VariableInfo;
      const atStart = new Float64Array(n);
      model.evaluateExact(model.start, atStart);
      throw new EquilibriumError(
        v.commodity,
        result.iterations,
        Math.abs(atStart[i] as number),
        `the ${v.kind} in ${v.region} diverges: no supply can reach this market at any price`,
      );
    }
    chains.push({ commodities: chain, variables: n, iterations: result.iterations, residual: max });
    if (options.priceRanges) {
      clock = lap(timings, 'certificate', clock);
      const maxFree = typeof options.priceRanges === 'object' ? options.priceRanges.maxFree : undefined;
      const open = openPriceRanges(model, z, values, tolerance, maxFree);
      openPrices.push(...open.prices);
      openLevy.value += open.levyRevenue.value;
      openLevy.low += open.levyRevenue.low;
      openLevy.high += open.levyRevenue.high;
      if (!open.analysed) unanalysed.push(chain.join('+'));
      clock = lap(timings, 'ranges', clock);
    }
    states.set(model.structure.chainKey, { structure: model.structure, values });
    returnFloats(f);
    KINDS.forEach((kind, code) => {
      const family = FAMILY[kind];
      if ((familyMax[code] as number) > residuals[family]) residuals[family] = familyMax[code] as number;
    });
    const { structure } = model;
    for (const node of model.nodes) {
      const p = values[node.index] as number;
      const o = structure.originOfNode[node.index] as number;
      const exportPremium = o >= 0 ? (values[o] as number) : 0;
      prices.push({ region: node.region, commodity: node.commodity, price: p, exportPremium });
      if (structure.demandsAt.has(node.index)) {
        consumption.push({ region: node.region, commodity: node.commodity, quantity: model.demandAt(node.index, p) });
      }
      if (structure.suppliesAt.has(node.index)) {
        curveSupply.push({
          region: node.region,
          commodity: node.commodity,
          quantity: model.curveSupplyAt(node.index, p + exportPremium),
        });
      }
    }
    for (const agent of model.agents) {
      const v = model.variables[agent.variable] as VariableInfo;
      const prior = outputs.get(agent.id);
      const capacity = (upper[agent.variable] as number) * (model.scale[agent.variable] as number);
      outputs.set(agent.id, {
        producer: agent.id,
        region: v.region,
        commodity: v.commodity,
        output: (prior?.output ?? 0) + (values[agent.variable] as number),
        capacity: (prior?.capacity ?? 0) + capacity,
      });
    }
    model.routes.forEach((route, k) => {
      const e = route.variable;
      const v = model.variables[e] as VariableInfo;
      const quantity = values[e] as number;
      const size = model.quantityScale[structure.commodityIndex[e] as number] as number;
      if (quantity <= FLOW_EPSILON * size) return;
      const { dutyPaid, levy } = routeLevy(model, values, k);
      // A route whose goods land dearer than the destination's price carries nothing: what an interior point leaves
      // on it (below the certificate's tolerance of the market, where snapping to bounds could not be taken whole)
      // is not a flow. Left in, a floor 10,000 times the market showed 1e-5 t landing at 900 times the price.
      const destination = values[route.to] as number;
      const priceScale = model.priceScale[structure.commodityIndex[e] as number] as number;
      if (dutyPaid + levy - destination > UNPROFITABLE * Math.max(destination, priceScale)) return;
      flows.push({ commodity: v.commodity, from: v.region, to: v.ref, quantity, landed: dutyPaid + levy, levy });
    });
    for (const q of model.quotas) {
      rents.push({
        restriction: (model.variables[q.variable] as VariableInfo).ref,
        rent: values[q.variable] as number,
      });
    }
    for (const s of model.stocks) {
      const v = model.variables[s.variable] as VariableInfo;
      const entry = stocks.get(v.ref) ?? {
        id: v.ref,
        region: v.region,
        commodity: v.commodity,
        bought: 0,
        released: 0,
      };
      if (s.sign < 0) entry.bought += values[s.variable] as number;
      else entry.released += values[s.variable] as number;
      stocks.set(v.ref, entry);
    }
    model.release();
    clock = lap(timings, 'certificate', clock);
  }
  const maxResidual = Math.max(...Object.values(residuals));
  const solution: Omit<EquilibriumSolution, 'rationed'> = {
    prices,
    consumption,
    curveSupply,
    outputs: [...outputs.values()],
    flows,
    rents,
    stocks: [...stocks.values()],
    certificate: {
      maxResidual,
      residuals,
      iterations,
      evaluations,
      chains,
      ...(options.priceRanges ? { openPrices, levyRevenueRange: openLevy } : {}),
      ...(unanalysed.length > 0 ? { openPricesUnanalysed: unanalysed } : {}),
    },
  };
  chainStates.set(solution, states);
  return solution;
}
