/**
 * Prices an equilibrium leaves open. MODEL.md §3 need not pin every price. An exporter whose producers run at
 * capacity, with no buyers of its own, that sells only into members whose floor binds, is paid any price up to the one
 * at which its goods land at the floor: the variable levy (floor − duty-paid value) takes up the difference. Linked
 * markets can float together the same way (a mine's country and the refiner it supplies, several outsiders that
 * trade with each other). The conditions hold over the whole range, so which point a solver returns depends on where
 * it started: a warm start from last year and a cold solve of the same year can differ by tens of percent there, and
 * so does the levy on the goods those prices value. Such a price is a range, not a result.
 *
 * The directions along which the solution can move are the null space of the Jacobian of the conditions that hold
 * with equality (the variables inside their bounds; those at a bound stay there), found by Gaussian elimination with
 * complete pivoting. Each direction that moves a price is followed both ways, in model units (so that a price
 * difference a route fixes stays fixed), for as long as every condition's natural residual stays within the
 * certificate's tolerance. A price's range is the union over the directions that move it.
 *
 * Each price is also followed alone: at a kink of the conditions (a levy just reaching zero) the Jacobian sees one
 * side only. Russia's gallium in the zone-2026 run is such a case: open from 350 USD/kg, where the levy takes the
 * rest of the floor, to about 700, where it takes nothing; a solution at the no-levy end sees only the side below.
 *
 * The ranges are inner bounds: moves that take a variable off its bound (a route that opens as another closes), or
 * several directions at once, are not explored. In that run, gallium in China, Korea and the rest of the world moves
 * by 0.5–1% between a warm and a cold solve, together, and is not found. An empty list does not prove a solution
 * unique; a listed range is certain.
 */
import { type ChainModel, levyRevenueAt, routeLevy } from './build.ts';
import { naturalResidual } from './mcp.ts';
import { PRICE } from './structure.ts';

export interface PriceRange {
  readonly region: string;
  readonly commodity: string;
  /** The price the solve returned. */
  readonly price: number;
  /** The lowest and highest prices at which every condition still holds (found along a direction of the solution). */
  readonly low: number;
  /** null: nothing stops the price rising (within a million times the price). */
  readonly high: number | null;
  /**
   * What the region's producers earn (price plus export premium, MODEL.md's origin rent): a price can be open where
   * nobody buys, the premium taking up its moves, with the exporters' earnings fixed; or open with them (the levy
   * taking up the moves of an exporter's price at a floor). The same as the price where there is no premium.
   */
  readonly earned: number;
  readonly earnedLow: number;
  readonly earnedHigh: number | null;
  /**
   * What changes hands at the price: whether anyone buys there (final demand, imports, inputs of producers, vault
   * purchases), sells from there (output, exports, releases), and whether its exports pay a levy (which its price
   * sets). A price with none of these is the price of a market without trade: nothing the model reports moves with it.
   */
  readonly bought: boolean;
  readonly sold: boolean;
  readonly levied: boolean;
}

/** The open prices of a chain, and the range of levy revenue their directions reach. */
export interface OpenPrices {
  /** False where the chain was too large to analyse: no prices listed, and its levy revenue as a point. */
  readonly analysed: boolean;
  readonly prices: PriceRange[];
  /** Levy revenue (MODEL.md §6: levy × quantity over the routes) at the solution and at the ends of its directions. */
  readonly levyRevenue: { readonly value: number; readonly low: number; readonly high: number };
}

/** Relative pivot below which a column counts as dependent. */
const PIVOT = 1e-10;
/** A range narrower than this share of the price is not reported: a flat direction must move a price to matter. */
const WIDTH = 1e-3;
/** Search up to this many times the value of the price the direction moves most; beyond, the range is unbounded. */
const CEILING = 1e6;
/** Bisection steps at each end. */
const BISECTIONS = 40;
/**
 * Chains with more variables inside their bounds than this are not analysed by default: the elimination is dense,
 * O(m³) (about 0.5 s at 600 on this machine, 3.6 s at 1,200).
 */
export const OPEN_PRICES_MAX_FREE = 800;

/** A variable inside its bounds by more than this (solver units) is free to move along a direction. */
const INSIDE = 1e-9;

/**
 * The open prices of one chain's solution, `z` in solver coordinates and `base` the same in model values, at the
 * certificate's `tolerance`; none where the chain has more than `maxFree` variables inside their bounds.
 */
export function openPriceRanges(
  model: ChainModel,
  z: Float64Array,
  base: Float64Array,
  tolerance: number,
  maxFree = OPEN_PRICES_MAX_FREE,
): OpenPrices {
  const n = z.length;
  const { lower, upper, pattern, evaluateValues } = model.exact;
  const revenue = levyRevenueAt(model, base);
  const free: number[] = [];
  for (let i = 0; i < n; i++) {
    const zi = z[i] as number;
    if (zi - (lower[i] as number) > INSIDE && (upper[i] as number) - zi > INSIDE) free.push(i);
  }
  const m = free.length;
  if (!pattern || !evaluateValues || m > maxFree) {
    return { analysed: false, prices: [], levyRevenue: { value: revenue, low: revenue, high: revenue } };
  }
  const position = new Int32Array(n).fill(-1);
  free.forEach((i, k) => {
    position[i] = k;
  });
  // The Jacobian of the free variables' conditions in the free variables, dense.
  const f = new Float64Array(n);
  const jac = new Float64Array(pattern.rows.length);
  evaluateValues.call(model.exact, z, f, jac);
  const a = new Float64Array(m * m);
  for (let e = 0; e < pattern.rows.length; e++) {
    const r = position[pattern.rows[e] as number] as number;
    const c = position[pattern.cols[e] as number] as number;
    if (r >= 0 && c >= 0) a[r * m + c] = (a[r * m + c] as number) + (jac[e] as number);
  }
  const directions = nullSpace(a, m).map((v) => {
    const full = new Float64Array(n);
    v.forEach((x, k) => {
      full[free[k] as number] = x;
    });
    return full;
  });
  const { kindCode } = model.structure;
  // Each price alone too: at a kink of the conditions (a levy just reaching zero) the Jacobian sees one side only,
  // and a price the other side leaves open is not in its null space.
  for (const node of model.nodes) {
    if (kindCode[node.index] !== PRICE) continue;
    const alone = new Float64Array(n);
    alone[node.index] = 1;
    directions.push(alone);
  }

  const nodeOf = new Map(model.nodes.map((node) => [node.index, node]));
  const { originOfNode } = model.structure;
  const premiumOf = (values: Float64Array, i: number) => {
    const o = originOfNode[i] as number;
    return o >= 0 ? (values[o] as number) : 0;
  };
  type Range = { low: number; high: number | null };
  const union = (a: Range | undefined, b: Range): Range =>
    a ? { low: Math.min(a.low, b.low), high: a.high === null || b.high === null ? null : Math.max(a.high, b.high) } : b;
  const ranges = new Map<number, { price: Range; earned: Range }>();
  let revenueLow = revenue;
  let revenueHigh = revenue;
  const atStep = new Float64Array(n);
  const probe = new Float64Array(n);
  for (const v of directions) {
    // The direction in model units: d(value)/d(solver) × v (a logarithmic price moves by p × v).
    const dm = new Float64Array(n);
    let largestShare = 0;
    for (let i = 0; i < n; i++) {
      const vi = v[i] as number;
      if (vi === 0) continue;
      dm[i] = derivative(model, z, i) * vi;
      if (kindCode[i] === PRICE && nodeOf.has(i)) {
        const p = Math.abs(base[i] as number);
        if (p > 0) largestShare = Math.max(largestShare, Math.abs(dm[i] as number) / p);
      }
    }
    if (!(largestShare > 0)) continue; // Moves flows only (tied routes): no price is open.
    // Scaled so that a step of 1 moves the most-moved price by its whole value.
    const scale = 1 / largestShare;
    const holds = (t: number): boolean => {
      for (let i = 0; i < n; i++) {
        const d = dm[i] as number;
        probe[i] = d === 0 ? (z[i] as number) : model.toSolver(i, (base[i] as number) + t * scale * d);
      }
      model.evaluateExact(probe, f);
      for (let i = 0; i < n; i++) {
        // A move that leaves a bound's range is no move (the bound clips it): the direction ends there.
        const d = dm[i] as number;
        if (d === 0) continue;
        const target = (base[i] as number) + t * scale * d;
        if (
          kindCode[i] !== PRICE &&
          Math.abs(model.modelValue(probe, i) - target) > 1e-12 * Math.max(1, Math.abs(target))
        )
          return false;
        if (kindCode[i] === PRICE && target < 0) return false;
      }
      return naturalResidual(probe, f, lower, upper).max <= tolerance;
    };
    const reach = (sign: number): number | null => {
      let held = 0;
      let step = WIDTH / 4;
      for (;;) {
        const next = held + step;
        if (!holds(sign * next)) {
          if (held === 0) return 0; // Pinned this way: no range worth the bisection.
          let lo = held;
          let hi = next;
          for (let k = 0; k < BISECTIONS; k++) {
            const mid = 0.5 * (lo + hi);
            if (holds(sign * mid)) lo = mid;
            else hi = mid;
          }
          return lo;
        }
        held = next;
        step *= 2;
        if (held > CEILING) return null;
      }
    };
    const up = reach(1);
    const down = reach(-1);
    if ((up ?? Number.POSITIVE_INFINITY) + (down ?? Number.POSITIVE_INFINITY) < WIDTH) continue;
    // The levy revenue at each end the direction reaches (an end without limit is not evaluated).
    for (const t of [up, down === null ? null : -down]) {
      if (t === null) continue;
      for (let i = 0; i < n; i++) atStep[i] = (base[i] as number) + t * scale * (dm[i] as number);
      const r = levyRevenueAt(model, atStep);
      revenueLow = Math.min(revenueLow, r);
      revenueHigh = Math.max(revenueHigh, r);
    }
    for (let i = 0; i < n; i++) {
      const d = dm[i] as number;
      if (d === 0 || kindCode[i] !== PRICE || !nodeOf.has(i)) continue;
      const p = base[i] as number;
      const price = along(p, d * scale, up, down);
      if (price.high !== null && price.high - price.low < WIDTH * p) continue;
      const earned = along(p + premiumOf(base, i), (d + premiumOf(dm, i)) * scale, up, down);
      const known = ranges.get(i);
      ranges.set(i, { price: union(known?.price, price), earned: union(known?.earned, earned) });
    }
  }
  const trade = ranges.size > 0 ? tradeAtNodes(model, base) : undefined;
  const result: PriceRange[] = [];
  for (const [i, r] of ranges) {
    const node = nodeOf.get(i);
    if (!node || !trade) continue;
    const p = base[i] as number;
    result.push({
      region: node.region,
      commodity: node.commodity,
      price: p,
      low: r.price.low,
      high: r.price.high,
      earned: p + premiumOf(base, i),
      earnedLow: r.earned.low,
      earnedHigh: r.earned.high,
      bought: trade.bought[i] === 1,
      sold: trade.sold[i] === 1,
      levied: trade.levied[i] === 1,
    });
  }
  return { analysed: true, prices: result, levyRevenue: { value: revenue, low: revenueLow, high: revenueHigh } };
}

/** Per price node (variable index): 1 where something is bought, sold, or exported under a levy, at `values`. */
function tradeAtNodes(
  model: ChainModel,
  values: Float64Array,
): { bought: Uint8Array; sold: Uint8Array; levied: Uint8Array } {
  const n = values.length;
  const bought = new Uint8Array(n);
  const sold = new Uint8Array(n);
  const levied = new Uint8Array(n);
  const { commodityIndex } = model.structure;
  // A quantity above this share of its market's size is trade (an interior point leaves idle ones a hair above 0).
  const some = (variable: number) =>
    (values[variable] as number) > 1e-12 * (model.quantityScale[commodityIndex[variable] as number] as number);
  for (const node of model.nodes) {
    if (model.demandAt(node.index, values[node.index] as number) > 0) bought[node.index] = 1;
  }
  for (const agent of model.agents) {
    if (!some(agent.variable)) continue;
    sold[agent.node] = 1;
    for (const input of agent.inputs) bought[input.node] = 1;
  }
  model.routes.forEach((route, k) => {
    if (!some(route.variable)) return;
    bought[route.to] = 1;
    sold[route.from] = 1;
    if (routeLevy(model, values, k).levy > 0) levied[route.from] = 1;
  });
  for (const stock of model.stocks) {
    if (some(stock.variable)) (stock.sign < 0 ? bought : sold)[stock.node] = 1;
  }
  return { bought, sold, levied };
}

/**
 * The range of a value `x` that moves by `slope` per unit step along a direction followed `up` steps one way and
 * `down` the other (null: without end); never below 0.
 */
function along(x: number, slope: number, up: number | null, down: number | null): { low: number; high: number | null } {
  if (Math.abs(slope) <= 1e-12 * Math.abs(x)) return { low: x, high: x };
  const atUp = up === null ? null : x + up * slope;
  const atDown = down === null ? null : x - down * slope;
  const high = slope > 0 ? atUp : atDown;
  const low = slope > 0 ? atDown : atUp;
  return { low: low === null ? 0 : Math.max(0, low), high };
}

/** d(model value)/d(solver coordinate) of variable i at z. */
function derivative(model: ChainModel, z: Float64Array, i: number): number {
  return model.structure.logarithmic[i] ? model.modelValue(z, i) : (model.scale[i] as number);
}

/**
 * A basis of the null space of the m × m matrix `a` (row-major; overwritten), by Gaussian elimination with complete
 * pivoting: a column whose best pivot is below PIVOT × the largest entry is dependent, and each gives one vector.
 */
export function nullSpace(a: Float64Array, m: number): Float64Array[] {
  const rowOf = Int32Array.from({ length: m }, (_, k) => k);
  const colOf = Int32Array.from({ length: m }, (_, k) => k);
  let scale = 0;
  for (let k = 0; k < m * m; k++) scale = Math.max(scale, Math.abs(a[k] as number));
  if (scale === 0) return Array.from({ length: m }, (_, k) => unitVector(m, k));
  const threshold = PIVOT * scale;
  let rank = 0;
  for (; rank < m; rank++) {
    // The largest entry of the remaining block.
    let best = 0;
    let br = -1;
    let bc = -1;
    for (let r = rank; r < m; r++) {
      const row = (rowOf[r] as number) * m;
      for (let c = rank; c < m; c++) {
        const x = Math.abs(a[row + (colOf[c] as number)] as number);
        if (x > best) {
          best = x;
          br = r;
          bc = c;
        }
      }
    }
    if (best <= threshold) break;
    [rowOf[rank], rowOf[br]] = [rowOf[br] as number, rowOf[rank] as number];
    [colOf[rank], colOf[bc]] = [colOf[bc] as number, colOf[rank] as number];
    const prow = (rowOf[rank] as number) * m;
    const pivot = a[prow + (colOf[rank] as number)] as number;
    for (let r = rank + 1; r < m; r++) {
      const row = (rowOf[r] as number) * m;
      const factor = (a[row + (colOf[rank] as number)] as number) / pivot;
      if (factor === 0) continue;
      for (let c = rank; c < m; c++) {
        const col = colOf[c] as number;
        a[row + col] = (a[row + col] as number) - factor * (a[prow + col] as number);
      }
    }
  }
  // For each dependent column: x = 1 there, the pivot columns by back-substitution, the other dependent ones 0.
  const basis: Float64Array[] = [];
  for (let k = rank; k < m; k++) {
    const x = new Float64Array(m);
    x[colOf[k] as number] = 1;
    for (let r = rank - 1; r >= 0; r--) {
      const row = (rowOf[r] as number) * m;
      let s = 0;
      for (let c = r + 1; c < m; c++) {
        const col = colOf[c] as number;
        s += (a[row + col] as number) * (x[col] as number);
      }
      x[colOf[r] as number] = s === 0 ? 0 : -s / (a[row + (colOf[r] as number)] as number);
    }
    basis.push(x);
  }
  return basis;
}

function unitVector(m: number, k: number): Float64Array {
  const x = new Float64Array(m);
  x[k] = 1;
  return x;
}
