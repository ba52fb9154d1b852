/**
 * An infeasible primal–dual interior-point method for the box MCP of mcp.ts, with Mehrotra's predictor–corrector.
 *
 * Each finite bound gets a slack and a multiplier: s = z − l with w >= 0, t = u − z with v >= 0, and the method
 * follows the central path
 *
 *   F(z) − w + v = 0,   s·w = μ,   t·v = μ,   μ → 0.
 *
 * Eliminating w and v leaves (∇F + D) Δz = g with D = w/s + v/t > 0 on every bounded variable. Every output, flow
 * and stock move therefore has a positive pivot however degenerate the market — routes tied to the cent, a marginal
 * producer exactly at its cost, flows that are not unique — and the Schur reduction to prices and rents (schur.ts)
 * never breaks down. Where the solution set is not a point the iterates go to its centre instead of wandering along
 * its flat directions, which is what stalls Newton's method on the Fischer–Burmeister function in such markets.
 *
 * Globalisation: fraction-to-the-boundary steps (iterates stay strictly inside the box), then backtracking while the
 * nonlinear part of F (log prices, isoelastic demand, kinks at floors and strikes) makes the residual ‖F − w + v‖
 * grow beyond what the linear model allows, unless the conditions themselves came much closer to holding.
 * Convergence is judged, like the other solvers', on the natural residual ‖z − mid(l, u, z − F(z))‖∞ of the
 * conditions themselves, not on μ.
 *
 * Also here: solveInteriorPricing (the same on a working set of routes, adding those that turn out to pay: for
 * markets with many regions) and crossover (active-set Newton steps that finish where the barrier stops short).
 */
import { type Mcp, type McpResult, naturalResidual } from './mcp.ts';
import { schurSystemFor } from './schur.ts';
import { borrowFloats, carveFloats, returnFloats } from './workspace.ts';

/** How far infeasibility / μ may grow beyond its starting value before the centring target is raised. */
const BALANCE = 1e6;

/**
 * The most centrality a warm start gets (InteriorOptions.warm: mu0 = 0.01·r0²). It was the cold start's 1e-4, which
 * started a warm start more than a tenth of its market away (r0 > 0.1: a year whose capacity, demand or shocks moved
 * far) as tight as a near one, and its first steps were cut short at the bounds. With this cap and SHORT_AFFINE_STEP,
 * ensemble draws take fewer Newton iterations (150 draws × 15 years of each chain, draws 0–149 / 2000–2149): antimony
 * 10% / 9%, cobalt 9% / 13%, graphite 6% / 10%, rare earths 5% / 10%, tungsten 2% / 1%, lithium 0.3% / 4%, nickel the
 * same.
 */
const WARM_MU0_CAP = 1e-2;

/**
 * Mehrotra's corrector adds the second-order term Δz·Δw of the full affine step. Where fraction to the boundary lets
 * less than this share α of that step be taken, the term describes a point the iterate cannot come near; and where
 * the affine direction overshoots by a factor of thousands (imports into the members tied at a floor with every
 * producer at capacity: a nearly flat direction) the term swamps the corrector, each next step is cut to nothing and
 * the method jams. Below it the term is that of the step that can be taken, (αΔz)(αΔw): the kind of safeguard
 * Salahi, Peng and Terlaky (SIAM J. Optim. 18(4), 2007) and Salahi and Terlaky ("Mehrotra-type predictor-corrector
 * algorithms revisited", AdvOL report 2007/1, McMaster) give Mehrotra's method, the latter by cutting the predictor's
 * step that the corrector uses. On the 17 problems of
 * test/fixtures/equilibrium, each solved cold: every one certifies (2 did not), in 1,100 Newton iterations in all
 * (3,207), and the plain interior point jams on 4 chains (7). Cold solves of the default world, the zone with a ban
 * and the 10-, 30- and 100-region markets: 94, 118, 17, 14 and 29 iterations (94, 119, 17, 14 and 26).
 */
const SHORT_AFFINE_STEP = 0.1;

/** How close to a bound a warm start's variable must be to count as at it (InteriorOptions.warm). */
const WARM_PUSH = 1e-6;

/** μ below which the Newton systems' solves take a step of iterative refinement. */
const REFINE_BELOW = 1e-6;

export interface InteriorOptions {
  /** Stop when the natural residual is at most this (default 1e-10). */
  readonly tolerance?: number;
  /** Also stop at this residual once progress slows below 10× per iteration (default: `tolerance`). */
  readonly acceptable?: number;
  readonly maxIterations?: number;
  /**
   * The start's centrality: every bound starts with slack × multiplier at least `mu0` (default 1e-4), each variable
   * at least `push` from a lone bound (default 1e-2) and `margin` of a box's width from either end (default 0.01).
   * A warm start from a neighbouring solution wants all three small.
   */
  readonly mu0?: number;
  readonly push?: number;
  readonly margin?: number;
  /**
   * A warm start: mu0 and margin from the natural residual r0 at the start (mu0 = 0.01·r0² within 1e-8 and
   * WARM_MU0_CAP; margin = r0 within 1e-3 and the cold 0.01), so that a start close to the solution begins close to
   * the end of the path; push 1e-6, so that only a variable the neighbouring solution left at its bound counts as at
   * it. A small positive value there (a thin flow, a producer just in the money) is a fact about the market. An
   * earlier rule moved every variable within 0.1·r0 of a bound: against it, ensemble draws (80 × 15 years of each
   * chain, draws 0–79 and 2000–2079) take 8% fewer iterations on rare earths and graphite, 13–18% on nickel, 15–16%
   * on tungsten, 1–10% on five other chains, and within 1% either way on cobalt.
   */
  readonly warm?: boolean;
  /**
   * Variables held at their start value, their conditions ignored (routes left out of a working set, see
   * solveInteriorPricing). They take no part in the iterations nor in the residual.
   */
  readonly fixed?: Uint8Array;
  /**
   * Give up after `iterations` iterations if the natural residual is not yet below `ratio` of its value at the
   * first one: for a warm start, which is worth its iterations only where it starts close to the solution (a
   * neighbouring problem that a new ban or a choke that starts to bind moved far has the cold start to fall back on).
   */
  readonly giveUp?: { readonly iterations: number; readonly ratio: number };
  /**
   * Stop when the natural residual has not halved in this many iterations (a jam: see `proximal`), leaving the rest
   * to the caller's next method. Default: never.
   */
  readonly jamIterations?: number;
  /**
   * Proximal regularisation: ρ = `proximal` × μ added to every diagonal of the Newton system, as if each iteration
   * also asked each variable to stay where it is. Where the conditions leave a variable undetermined (a price
   * between a capacity and a ban, with no final demand to pin it) the plain Newton direction moves it without
   * limit along the flat direction and the fraction-to-boundary rule cuts every step to nothing; the proximal term
   * keeps the step finite there. It vanishes with μ, so the limit is an exact solution. Default 0 (none).
   */
  readonly proximal?: number;
  /**
   * Smoothing of the kinks of F (a floor that starts or stops binding, a CfD strike): with κ = `smoothing`, each
   * iteration evaluates F with its kinks smoothed to a width κ × μ of their level (Mcp.evaluateValues' `smoothing`),
   * never widened, so that the path meets no corner and the smoothing vanishes with μ. The result's residual is that
   * of the exact F. Default 0.
   */
  readonly smoothing?: number;
  /** Called after every iteration (diagnostics). */
  readonly trace?: (info: {
    iteration: number;
    residual: number;
    mu: number;
    infeasibility: number;
    sigma: number;
    step: number;
    evaluations: number;
  }) => void;
}

/** The arrays of one interior-point solve of a given size: views of an InteriorBuffers' buffers. */
interface InteriorWorkspace {
  readonly floats: Float64Array[];
  readonly jacs: Float64Array[];
  readonly flags: Uint8Array[];
  readonly lists: Int32Array[];
}

/**
 * Buffers for interior-point solves of up to `size` variables and `entries` Jacobian entries, with the views cut from
 * them for the sizes they have served. Kept by capacity, not by size: an ensemble's markets change shape from year to
 * year (a ban, an outage, a project coming online), and a pool kept by exact size missed on 18% of solves there,
 * each miss allocating and zeroing 27 arrays.
 */
interface InteriorBuffers {
  readonly size: number;
  readonly entries: number;
  readonly floats: Float64Array;
  readonly jacs: Float64Array;
  readonly bytes: Uint8Array;
  readonly ints: Int32Array;
  readonly views: Map<number, InteriorWorkspace>;
}

/** Buffers free for the next solve (a solve nested in another borrows its own), at most SPARE_BUFFERS. */
const spareBuffers: InteriorBuffers[] = [];
const SPARE_BUFFERS = 4;
/** Most sizes whose views one InteriorBuffers keeps. */
const VIEWS_KEPT = 32;

function makeBuffers(n: number, nnz: number): InteriorBuffers {
  // Room to grow by a quarter: the next year's market of the same chain is often a little larger.
  const size = Math.ceil(1.25 * n);
  const entries = Math.ceil(1.25 * nnz);
  return {
    size,
    entries,
    floats: new Float64Array(18 * size),
    jacs: new Float64Array(2 * entries),
    bytes: new Uint8Array(2 * size),
    ints: new Int32Array(5 * size),
    views: new Map(),
  };
}

function borrowInteriorWorkspace(n: number, nnz: number): { buffers: InteriorBuffers; work: InteriorWorkspace } {
  // The smallest spare that fits, else new buffers.
  let pick = -1;
  for (let k = 0; k < spareBuffers.length; k++) {
    const b = spareBuffers[k] as InteriorBuffers;
    if (b.size >= n && b.entries >= nnz && (pick < 0 || b.size < (spareBuffers[pick] as InteriorBuffers).size))
      pick = k;
  }
  const buffers = pick >= 0 ? (spareBuffers.splice(pick, 1)[0] as InteriorBuffers) : makeBuffers(n, nnz);
  const key = n * 0x100000 + nnz;
  let work = buffers.views.get(key);
  if (!work) {
    const { size, entries } = buffers;
    work = {
      floats: Array.from({ length: 18 }, (_, k) => buffers.floats.subarray(k * size, k * size + n)),
      jacs: [buffers.jacs.subarray(0, nnz), buffers.jacs.subarray(entries, entries + nnz)],
      flags: [buffers.bytes.subarray(0, n), buffers.bytes.subarray(size, size + n)],
      lists: Array.from({ length: 5 }, (_, k) => buffers.ints.subarray(k * size, k * size + n)),
    };
    if (buffers.views.size >= VIEWS_KEPT) buffers.views.delete(buffers.views.keys().next().value as number);
    buffers.views.set(key, work);
  }
  // Every array is written before it is read, except the steps Δz, Δw, Δv (floats 13 to 15): the first iteration
  // takes a step of 0 along them, and Δz stays 0 at fixed variables, which the Newton systems leave out.
  for (let k = 13; k <= 15; k++) (work.floats[k] as Float64Array).fill(0);
  return { buffers, work };
}

function returnInteriorBuffers(buffers: InteriorBuffers): void {
  if (spareBuffers.length < SPARE_BUFFERS) spareBuffers.push(buffers);
  else {
    // Keep the largest: it fits the most solves.
    let smallest = 0;
    for (let k = 1; k < spareBuffers.length; k++)
      if ((spareBuffers[k] as InteriorBuffers).size < (spareBuffers[smallest] as InteriorBuffers).size) smallest = k;
    if ((spareBuffers[smallest] as InteriorBuffers).size < buffers.size) spareBuffers[smallest] = buffers;
  }
}

export function solveInterior(problem: Mcp, start: Float64Array, options: InteriorOptions = {}): McpResult {
  const n = problem.size;
  const nnz = problem.pattern?.rows.length ?? 0;
  // Workspace borrowed for the solve (workspace.ts); the result is copied out of it.
  const { buffers, work } = borrowInteriorWorkspace(n, nnz);
  try {
    const result = interior(problem, start, options, work.floats, work.jacs, work.flags, work.lists);
    if (!((options.smoothing ?? 0) > 0)) return result;
    // The residual of the exact conditions at the point found.
    problem.evaluate(result.z, result.f);
    const { max, index } = naturalResidual(result.z, result.f, problem.lower, problem.upper);
    return { ...result, residual: max, worst: index, converged: max <= (options.tolerance ?? 1e-10) };
  } finally {
    returnInteriorBuffers(buffers);
  }
}

function interior(
  problem: Mcp,
  start: Float64Array,
  options: InteriorOptions,
  floats: Float64Array[],
  jacs: Float64Array[],
  flags: Uint8Array[],
  lists: Int32Array[],
): McpResult {
  const [freeSpace, loList, boxList, upList, freeList] = lists as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  const n = problem.size;
  const { pattern, evaluateValues } = problem;
  if (!pattern || !evaluateValues) throw new Error('solveInterior needs a problem with a fixed Jacobian pattern');
  const fixed = options.fixed;
  // The kinks' smoothing (options.smoothing): κ, and the width every evaluation uses, which follows μ down.
  const kappa = options.smoothing ?? 0;
  let smoothing = kappa * (options.mu0 ?? 1e-4);
  const evaluate = (zz: Float64Array, ff: Float64Array, jj?: Float64Array) =>
    evaluateValues.call(problem, zz, ff, jj, fixed, smoothing);
  const tol = options.tolerance ?? 1e-10;
  const acceptable = Math.max(tol, options.acceptable ?? tol);
  const maxIterations = options.maxIterations ?? 100;
  const proximal = options.proximal ?? 0;
  const { lower, upper } = problem;
  const [hasL, hasU] = flags as [Uint8Array, Uint8Array];
  let nf = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    if (fixed?.[i]) continue;
    freeSpace[nf++] = i;
    hasL[i] = (lower[i] as number) > Number.NEGATIVE_INFINITY ? 1 : 0;
    hasU[i] = (upper[i] as number) < Number.POSITIVE_INFINITY ? 1 : 0;
    pairs += (hasL[i] as number) + (hasU[i] as number);
  }
  const free = freeSpace;
  const system = schurSystemFor(n, pattern, problem.eliminable ?? new Uint8Array(n), fixed, problem.blocks);

  let [z, f, trialZ, trialF] = floats as [Float64Array, Float64Array, Float64Array, Float64Array];
  let [jac, trialJac] = jacs as [Float64Array, Float64Array];
  // Slacks to the bounds, kept apart from z: near an upper bound u − z would lose its digits to cancellation.
  // isl, isu: 1 / sl, 1 / su, once per iteration (multiplications in the passes instead of divisions).
  const [, , , , sl, su, w, v, d, rhs, dzAff, dwAff, dvAff, dz, dw, dv, isl, isu] = floats as Float64Array[] as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  const [best, bestF] = carveFloats([n, n]) as [Float64Array, Float64Array];
  let bestResidual = Number.POSITIVE_INFINITY;
  let bestWorst = 0;
  let evaluations = 0;

  let worstOf = 0;
  const residualOf = (zz: Float64Array, ff: Float64Array): number => {
    let max = 0;
    let worst = 0;
    for (let q = 0; q < nf; q++) {
      const i = free[q] as number;
      const zi = zz[i] as number;
      const r = Math.abs(zi - Math.min(upper[i] as number, Math.max(lower[i] as number, zi - (ff[i] as number))));
      if (!(r <= max)) {
        max = r;
        worst = i;
        if (Number.isNaN(r)) break;
      }
    }
    worstOf = worst;
    return max;
  };

  // Start: a centred point near `start`. Where the start leaves a variable at a bound its condition decides how
  // far in it goes: a condition pushing it onto the bound (an idle route, a producer out of the money) puts it at
  // slack mu0 / F with multiplier F, so that slack × multiplier = mu0 and F − w + v = 0 already; one pulling it in
  // puts it max(push, √mu0) inside (a share `margin` of a box). Multipliers of variables well inside come from F,
  // at least mu0 / slack.
  z.set(start);
  for (let q = 0; q < nf; q++) {
    const i = free[q] as number;
    const x = start[i] as number;
    z[i] = Number.isFinite(x) ? Math.min(upper[i] as number, Math.max(lower[i] as number, x)) : 0;
  }
  evaluate(z, f);
  evaluations++;
  const r0 = residualOf(z, f);
  // The start already solves the conditions (a warm start from an unchanged market).
  if (r0 <= acceptable) {
    best.set(z);
    bestF.set(f);
    return { z: best, f: bestF, converged: r0 <= tol, iterations: 0, evaluations, residual: r0, worst: worstOf };
  }
  const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
  const mu0 = options.mu0 ?? (options.warm ? clamp(0.01 * r0 * r0, 1e-8, WARM_MU0_CAP) : 1e-4);
  const push = options.push ?? (options.warm ? WARM_PUSH : 1e-2);
  const margin = options.margin ?? (options.warm ? clamp(r0, 1e-3, 1e-2) : 0.01);
  const root = Math.sqrt(mu0);
  for (let q = 0; q < nf; q++) {
    const i = free[q] as number;
    const l = lower[i] as number;
    const u = upper[i] as number;
    const fi = Number.isFinite(f[i]) ? (f[i] as number) : 0;
    const x = z[i] as number;
    if (hasL[i] && hasU[i]) {
      const width = u - l;
      const near = margin * width;
      const inside = Math.min(Math.max(near, root), 0.5 * width);
      if (x - l <= u - x) {
        const s = x - l >= near ? x - l : fi > 0 ? Math.min(inside, Math.max(mu0 / fi, 1e-6 * near)) : inside;
        sl[i] = s;
        su[i] = width - s;
      } else {
        const t = u - x >= near ? u - x : fi < 0 ? Math.min(inside, Math.max(mu0 / -fi, 1e-6 * near)) : inside;
        su[i] = t;
        sl[i] = width - t;
      }
    } else if (hasL[i]) {
      sl[i] = x - l < push ? (fi > root ? mu0 / fi : Math.max(push, root)) : x - l;
    } else if (hasU[i]) {
      su[i] = u - x < push ? (-fi > root ? mu0 / -fi : Math.max(push, root)) : u - x;
    }
    z[i] =
      hasL[i] && (!hasU[i] || (sl[i] as number) <= (su[i] as number))
        ? l + (sl[i] as number)
        : hasU[i]
          ? u - (su[i] as number)
          : x;
  }
  evaluate(z, f, jac);
  evaluations++;
  for (let q = 0; q < nf; q++) {
    const i = free[q] as number;
    const fi = Number.isFinite(f[i]) ? (f[i] as number) : 0;
    const s = sl[i] as number;
    const t = su[i] as number;
    if (hasL[i] && hasU[i]) {
      // w − v = F exactly, each product at least about mu0.
      const c = mu0 / Math.max(s, t);
      w[i] = Math.max(fi, mu0 / s - c, 0) + c;
      v[i] = (w[i] as number) - fi;
      if ((v[i] as number) < c) {
        v[i] = Math.max(-fi, mu0 / t - c, 0) + c;
        w[i] = (v[i] as number) + fi;
      }
    } else if (hasL[i]) w[i] = Math.max(fi, mu0 / s);
    else if (hasU[i]) v[i] = Math.max(-fi, mu0 / t);
  }

  // Variables by the bounds they have: a lower bound only (flows, rents, origin limits, prices that can reach 0),
  // both (outputs, stock moves), an upper bound only, none (logarithmic prices). Each pass runs over the four lists
  // apart, without a branch per variable.
  let nLo = 0;
  let nBox = 0;
  let nUp = 0;
  let nFree = 0;
  for (let q = 0; q < nf; q++) {
    const i = free[q] as number;
    if (hasL[i] && hasU[i]) boxList[nBox++] = i;
    else if (hasL[i]) loList[nLo++] = i;
    else if (hasU[i]) upList[nUp++] = i;
    else freeList[nFree++] = i;
  }

  /** Largest |F − w + v| over the free variables, multipliers moved by `step` along (dw, dv). */
  const infeasibility = (ff: Float64Array, step: number) => {
    let m = 0;
    for (let q = 0; q < nFree; q++) {
      const r = Math.abs(ff[freeList[q] as number] as number);
      if (!(r <= m)) m = r;
    }
    for (let q = 0; q < nLo; q++) {
      const i = loList[q] as number;
      const r = Math.abs((ff[i] as number) - ((w[i] as number) + step * (dw[i] as number)));
      if (!(r <= m)) m = r;
    }
    for (let q = 0; q < nBox; q++) {
      const i = boxList[q] as number;
      const wi = (w[i] as number) + step * (dw[i] as number);
      const vi = (v[i] as number) + step * (dv[i] as number);
      const r = Math.abs((ff[i] as number) - wi + vi);
      if (!(r <= m)) m = r;
    }
    for (let q = 0; q < nUp; q++) {
      const i = upList[q] as number;
      const r = Math.abs((ff[i] as number) + ((v[i] as number) + step * (dv[i] as number)));
      if (!(r <= m)) m = r;
    }
    return m;
  };

  let iterations = 0;
  let previous = Number.POSITIVE_INFINITY;
  let balance = 1;
  let stalled = 0;
  const giveUp = options.giveUp;
  let first = Number.POSITIVE_INFINITY;
  const jamIterations = options.jamIterations ?? Number.POSITIVE_INFINITY;
  let anchor = Number.POSITIVE_INFINITY;
  let anchored = 0;
  // The step the last iteration accepted, which the next one's first pass takes on slacks and multipliers (0 at the
  // start: a step of 0 leaves them exactly as they are).
  let moved = 0;
  for (; iterations <= maxIterations; iterations++) {
    // One pass: the last step on slacks and multipliers, the natural residual, μ and the barrier's diagonal, the
    // infeasibility ‖F − w + v‖, and the predictor's right-hand side −F.
    let residual = 0;
    let worst = 0;
    let mu = 0;
    let infeasible = 0;
    for (let q = 0; q < nFree; q++) {
      const i = freeList[q] as number;
      const zi = z[i] as number;
      const fi = f[i] as number;
      const r = Math.abs(zi - (zi - fi));
      if (!(r <= residual) && !Number.isNaN(residual)) {
        residual = r;
        worst = i;
      }
      d[i] = 0;
      const a = Math.abs(fi);
      if (!(a <= infeasible)) infeasible = a;
      rhs[i] = -fi;
    }
    for (let q = 0; q < nLo; q++) {
      const i = loList[q] as number;
      const zi = z[i] as number;
      const fi = f[i] as number;
      const r = Math.abs(zi - Math.max(lower[i] as number, zi - fi));
      if (!(r <= residual) && !Number.isNaN(residual)) {
        residual = r;
        worst = i;
      }
      const si = (sl[i] as number) + moved * (dz[i] as number);
      const wi = (w[i] as number) + moved * (dw[i] as number);
      sl[i] = si;
      w[i] = wi;
      const inv = 1 / si;
      isl[i] = inv;
      mu += si * wi;
      d[i] = wi * inv;
      const a = Math.abs(fi - wi);
      if (!(a <= infeasible)) infeasible = a;
      rhs[i] = -fi;
    }
    for (let q = 0; q < nBox; q++) {
      const i = boxList[q] as number;
      const zi = z[i] as number;
      const fi = f[i] as number;
      const r = Math.abs(zi - Math.min(upper[i] as number, Math.max(lower[i] as number, zi - fi)));
      if (!(r <= residual) && !Number.isNaN(residual)) {
        residual = r;
        worst = i;
      }
      const di = moved * (dz[i] as number);
      const si = (sl[i] as number) + di;
      const ti = (su[i] as number) - di;
      const wi = (w[i] as number) + moved * (dw[i] as number);
      const vi = (v[i] as number) + moved * (dv[i] as number);
      sl[i] = si;
      su[i] = ti;
      w[i] = wi;
      v[i] = vi;
      const invS = 1 / si;
      const invT = 1 / ti;
      isl[i] = invS;
      isu[i] = invT;
      mu += si * wi + ti * vi;
      d[i] = wi * invS + vi * invT;
      const a = Math.abs(fi - wi + vi);
      if (!(a <= infeasible)) infeasible = a;
      rhs[i] = -fi;
    }
    for (let q = 0; q < nUp; q++) {
      const i = upList[q] as number;
      const zi = z[i] as number;
      const fi = f[i] as number;
      const r = Math.abs(zi - Math.min(upper[i] as number, zi - fi));
      if (!(r <= residual) && !Number.isNaN(residual)) {
        residual = r;
        worst = i;
      }
      const ti = (su[i] as number) - moved * (dz[i] as number);
      const vi = (v[i] as number) + moved * (dv[i] as number);
      su[i] = ti;
      v[i] = vi;
      const inv = 1 / ti;
      isu[i] = inv;
      mu += ti * vi;
      d[i] = vi * inv;
      const a = Math.abs(fi + vi);
      if (!(a <= infeasible)) infeasible = a;
      rhs[i] = -fi;
    }
    if (residual < bestResidual) {
      bestResidual = residual;
      bestWorst = worst;
      best.set(z);
      bestF.set(f);
    }
    if (!Number.isFinite(residual) || residual <= tol || iterations === maxIterations) break;
    if (iterations === 0) first = residual;
    else if (giveUp && iterations === giveUp.iterations && residual > giveUp.ratio * first) break;
    if (residual <= 0.5 * anchor) {
      anchor = residual;
      anchored = iterations;
    } else if (iterations - anchored >= jamIterations) break;
    if (residual <= acceptable && residual > 0.1 * previous) break;
    previous = residual;
    mu = pairs > 0 ? mu / pairs : 0;
    // (∇F + D) Δz = g. A free variable whose condition is flat (an undetermined price) has no D: a tiny shift then
    // keeps the reduced matrix regular.
    // Once complementarity is small the system spans many orders of magnitude and its solves are refined
    // (schur.ts); before, the directions need no such precision.
    const refine = mu < REFINE_BELOW;
    if (proximal > 0) {
      const rho = proximal * mu;
      for (let q = 0; q < nf; q++) {
        const i = free[q] as number;
        d[i] = (d[i] as number) + rho;
      }
    }
    if (!system.factor(jac, d, undefined, 0, refine) && !system.factor(jac, d, undefined, 1e-12, refine)) break;
    // Predictor (affine scaling, target μ = 0): g = −F.
    system.solve(rhs, dzAff, refine);
    // The largest affine step: each ratio test as a sign (s + a·Δ < 0, which for s > 0 implies Δ < 0: one branch,
    // rarely taken, instead of one on the sign of Δ), divided only where it shortens the step.
    let aAff = 1;
    for (let q = 0; q < nLo; q++) {
      const i = loList[q] as number;
      const di = dzAff[i] as number;
      const wi = w[i] as number;
      const si = sl[i] as number;
      const dwi = -wi - wi * (isl[i] as number) * di;
      dwAff[i] = dwi;
      if (si + aAff * di < 0) aAff = -si / di;
      if (wi + aAff * dwi < 0) aAff = -wi / dwi;
    }
    for (let q = 0; q < nBox; q++) {
      const i = boxList[q] as number;
      const di = dzAff[i] as number;
      const wi = w[i] as number;
      const si = sl[i] as number;
      const dwi = -wi - wi * (isl[i] as number) * di;
      dwAff[i] = dwi;
      if (si + aAff * di < 0) aAff = -si / di;
      if (wi + aAff * dwi < 0) aAff = -wi / dwi;
      const vi = v[i] as number;
      const ti = su[i] as number;
      const dvi = -vi + vi * (isu[i] as number) * di;
      dvAff[i] = dvi;
      if (ti - aAff * di < 0) aAff = ti / di;
      if (vi + aAff * dvi < 0) aAff = -vi / dvi;
    }
    for (let q = 0; q < nUp; q++) {
      const i = upList[q] as number;
      const di = dzAff[i] as number;
      const vi = v[i] as number;
      const ti = su[i] as number;
      const dvi = -vi + vi * (isu[i] as number) * di;
      dvAff[i] = dvi;
      if (ti - aAff * di < 0) aAff = ti / di;
      if (vi + aAff * dvi < 0) aAff = -vi / dvi;
    }
    let muAff = 0;
    for (let q = 0; q < nLo; q++) {
      const i = loList[q] as number;
      muAff += ((sl[i] as number) + aAff * (dzAff[i] as number)) * ((w[i] as number) + aAff * (dwAff[i] as number));
    }
    for (let q = 0; q < nBox; q++) {
      const i = boxList[q] as number;
      const di = aAff * (dzAff[i] as number);
      muAff += ((sl[i] as number) + di) * ((w[i] as number) + aAff * (dwAff[i] as number));
      muAff += ((su[i] as number) - di) * ((v[i] as number) + aAff * (dvAff[i] as number));
    }
    for (let q = 0; q < nUp; q++) {
      const i = upList[q] as number;
      muAff += ((su[i] as number) - aAff * (dzAff[i] as number)) * ((v[i] as number) + aAff * (dvAff[i] as number));
    }
    muAff = pairs > 0 ? muAff / pairs : 0;
    // The second-order term of a short affine step is that of the step that can be taken (SHORT_AFFINE_STEP): Δw and
    // Δv scaled by α², so that each product Δz·Δw below is (αΔz)(αΔw).
    if (aAff < SHORT_AFFINE_STEP) {
      const scale = aAff * aAff;
      for (let i = 0; i < n; i++) {
        dwAff[i] = (dwAff[i] as number) * scale;
        dvAff[i] = (dvAff[i] as number) * scale;
      }
    }
    const sigma = mu > 0 ? Math.min(1, Math.max(0, muAff / mu) ** 3) : 0;
    // Keep complementarity from vanishing while the conditions are still violated (infeasibility / μ bounded by a
    // multiple of its starting value): otherwise every pair pins its variable to a bound before the conditions hold
    // and the steps shrink to nothing.
    if (iterations === 0) balance = Math.max(1, infeasible / Math.max(mu, Number.MIN_VALUE));
    const target = Math.max(sigma * mu, infeasible / (BALANCE * balance));
    // Corrector: g = −(F − w + v) + (σμ − s·w − Δs·Δw)/s − (σμ − t·v − Δt·Δv)/t, with Δs = Δz, Δt = −Δz.
    for (let q = 0; q < nFree; q++) {
      const i = freeList[q] as number;
      rhs[i] = -(f[i] as number);
    }
    for (let q = 0; q < nLo; q++) {
      const i = loList[q] as number;
      const s = sl[i] as number;
      const wi = w[i] as number;
      rhs[i] =
        -((f[i] as number) - wi) + (target - s * wi - (dzAff[i] as number) * (dwAff[i] as number)) * (isl[i] as number);
    }
    for (let q = 0; q < nBox; q++) {
      const i = boxList[q] as number;
      const s = sl[i] as number;
      const t = su[i] as number;
      const wi = w[i] as number;
      const vi = v[i] as number;
      const da = dzAff[i] as number;
      rhs[i] =
        -((f[i] as number) - wi + vi) +
        (target - s * wi - da * (dwAff[i] as number)) * (isl[i] as number) -
        (target - t * vi + da * (dvAff[i] as number)) * (isu[i] as number);
    }
    for (let q = 0; q < nUp; q++) {
      const i = upList[q] as number;
      const t = su[i] as number;
      const vi = v[i] as number;
      rhs[i] =
        -((f[i] as number) + vi) - (target - t * vi + (dzAff[i] as number) * (dvAff[i] as number)) * (isu[i] as number);
    }
    system.solve(rhs, dz, refine);
    // The multipliers' steps, and the largest step in (0, 1] keeping every slack and multiplier at least (1 − τ)
    // of its value.
    const tau = Math.max(0.9, 1 - mu);
    let step = 1;
    for (let q = 0; q < nLo; q++) {
      const i = loList[q] as number;
      const di = dz[i] as number;
      const s = sl[i] as number;
      const wi = w[i] as number;
      const dwi = (target - s * wi - (dzAff[i] as number) * (dwAff[i] as number) - wi * di) * (isl[i] as number);
      dw[i] = dwi;
      if (tau * s + step * di < 0) step = (-tau * s) / di;
      if (tau * wi + step * dwi < 0) step = (-tau * wi) / dwi;
    }
    for (let q = 0; q < nBox; q++) {
      const i = boxList[q] as number;
      const di = dz[i] as number;
      const da = dzAff[i] as number;
      const s = sl[i] as number;
      const wi = w[i] as number;
      const dwi = (target - s * wi - da * (dwAff[i] as number) - wi * di) * (isl[i] as number);
      dw[i] = dwi;
      if (tau * s + step * di < 0) step = (-tau * s) / di;
      if (tau * wi + step * dwi < 0) step = (-tau * wi) / dwi;
      const t = su[i] as number;
      const vi = v[i] as number;
      const dvi = (target - t * vi + da * (dvAff[i] as number) + vi * di) * (isu[i] as number);
      dv[i] = dvi;
      if (tau * t - step * di < 0) step = (tau * t) / di;
      if (tau * vi + step * dvi < 0) step = (-tau * vi) / dvi;
    }
    for (let q = 0; q < nUp; q++) {
      const i = upList[q] as number;
      const di = dz[i] as number;
      const t = su[i] as number;
      const vi = v[i] as number;
      const dvi = (target - t * vi + (dzAff[i] as number) * (dvAff[i] as number) + vi * di) * (isu[i] as number);
      dv[i] = dvi;
      if (tau * t - step * di < 0) step = (tau * t) / di;
      if (tau * vi + step * dvi < 0) step = (-tau * vi) / dvi;
    }
    // The kinks' smoothing follows μ down: the trial points (and so the next iteration) are evaluated with it.
    if (kappa * mu < smoothing) smoothing = kappa * mu;
    // Backtrack while the nonlinear F makes the residual ‖F − w + v‖ worse than the linear model allows — unless
    // the conditions themselves came much closer to holding (the model misjudged F, as when a price moves by a large
    // factor), judged by the natural residual. Near the end (the crossover finishes from there) a step the
    // conditions reject after a few halvings is not worth thirty evaluations.
    let accepted = false;
    const backtracks = residual <= 1e-6 ? 4 : 30;
    // A step the conditions reject may have crossed a kink (a floor, a strike) that the Jacobian, taken on one side,
    // did not see: the first retry goes just past the first kink instead of halving, so that the next iteration's
    // Jacobian is taken on the far side.
    let kinkTried = !problem.kinkStep || options.warm === true || kappa > 0;
    for (let k = 0; k < backtracks && step > 0; k++) {
      for (let q = 0; q < nFree; q++) {
        const i = freeList[q] as number;
        trialZ[i] = (z[i] as number) + step * (dz[i] as number);
      }
      for (let q = 0; q < nLo; q++) {
        const i = loList[q] as number;
        trialZ[i] = (lower[i] as number) + (sl[i] as number) + step * (dz[i] as number);
      }
      for (let q = 0; q < nBox; q++) {
        const i = boxList[q] as number;
        const di = step * (dz[i] as number);
        trialZ[i] =
          (sl[i] as number) <= (su[i] as number)
            ? (lower[i] as number) + (sl[i] as number) + di
            : (upper[i] as number) - ((su[i] as number) - di);
      }
      for (let q = 0; q < nUp; q++) {
        const i = upList[q] as number;
        trialZ[i] = (upper[i] as number) - ((su[i] as number) - step * (dz[i] as number));
      }
      if (fixed) for (let i = 0; i < n; i++) if (fixed[i]) trialZ[i] = z[i] as number;
      evaluate(trialZ, trialF, trialJac);
      evaluations++;
      const r = infeasibility(trialF, step);
      let progress = Number.isFinite(r) && r <= (1 - 0.01 * step) * infeasible + 10 * mu;
      if (!progress && Number.isFinite(r) && r <= 10 * infeasible) {
        progress = residualOf(trialZ, trialF) <= 0.9 * residual;
      }
      if (progress) {
        accepted = true;
        break;
      }
      if (!kinkTried) {
        kinkTried = true;
        const kink = (problem.kinkStep as NonNullable<Mcp['kinkStep']>)(z, dz, step);
        if (kink < step) {
          step = kink;
          continue;
        }
      }
      step *= 0.5;
    }
    options.trace?.({ iteration: iterations, residual, mu, infeasibility: infeasible, sigma, step, evaluations });
    if (!accepted) break;
    // Steps that no longer move (complementarity gone before the conditions hold): stop and leave the last digits
    // to the crossover.
    stalled = step < 1e-4 ? stalled + 1 : 0;
    if (stalled >= 3 && residual <= 1e-4) break;
    [z, trialZ] = [trialZ, z];
    [f, trialF] = [trialF, f];
    [jac, trialJac] = [trialJac, jac];
    moved = step;
  }
  return {
    z: best,
    f: bestF,
    converged: bestResidual <= tol,
    iterations,
    evaluations,
    residual: bestResidual,
    worst: bestWorst,
  };
}

/**
 * Moves every variable that the conditions put at a bound exactly onto it (an interior point leaves inactive
 * flows at a tiny positive value), and returns the natural residual there; `z` and `f` are updated only if that
 * residual is at most `accept`.
 */
export function snapToBounds(problem: Mcp, z: Float64Array, f: Float64Array, accept: number): boolean {
  const n = problem.size;
  const { lower, upper } = problem;
  const snapped = borrowFloats(n);
  snapped.set(z);
  let moved = false;
  for (let i = 0; i < n; i++) {
    const zi = z[i] as number;
    const fi = f[i] as number;
    const l = lower[i] as number;
    const u = upper[i] as number;
    if (zi !== l && zi - l <= fi) {
      snapped[i] = l;
      moved = true;
    } else if (zi !== u && u - zi <= -fi) {
      snapped[i] = u;
      moved = true;
    }
  }
  if (!moved) {
    returnFloats(snapped);
    return true;
  }
  const g = borrowFloats(n);
  problem.evaluate(snapped, g);
  const ok = naturalResidual(snapped, g, lower, upper).max <= accept;
  if (ok) {
    z.set(snapped);
    f.set(g);
  }
  returnFloats(snapped, g);
  return ok;
}

export interface PricingOptions extends InteriorOptions {
  /** Variables left out at first (held at their start value, which must be their lower bound). */
  readonly excluded: Uint8Array;
  /** Most rounds of adding variables before falling back to all of them (default 8). */
  readonly rounds?: number;
}

/**
 * The interior-point method on a working set, with pricing (column generation): the variables in `excluded` — in
 * the market model, routes that the starting prices make dearest — are held at their lower bound, the rest is solved,
 * and every excluded variable whose condition is then violated (a route that would now earn a margin) joins the
 * working set for another, warm-started, solve. At the end the natural residual over all variables is at most the
 * tolerance: an excluded variable at its lower bound with F >= 0 is exactly where the conditions want it.
 * A market with a route for every pair of regions solves a system the size of its active routes, not of all pairs.
 */
export function solveInteriorPricing(problem: Mcp, start: Float64Array, options: PricingOptions): McpResult {
  const n = problem.size;
  const tol = options.tolerance ?? 1e-10;
  const fixed = Uint8Array.from(options.excluded);
  const { lower, upper } = problem;
  let z: Float64Array = Float64Array.from(start);
  for (let i = 0; i < n; i++) if (fixed[i]) z[i] = lower[i] as number;
  let iterations = 0;
  let evaluations = 0;
  const f = new Float64Array(n);
  const rounds = options.rounds ?? 8;
  for (let round = 0; ; round++) {
    const all = round >= rounds;
    const warm = round > 0 ? { warm: true } : {};
    const result = solveInterior(problem, z, { ...options, ...warm, ...(all ? {} : { fixed }) });
    iterations += result.iterations;
    evaluations += result.evaluations;
    if (all) return { ...result, iterations, evaluations };
    z = result.z;
    problem.evaluate(z, f);
    evaluations++;
    if (!(result.residual <= Math.max(tol, options.acceptable ?? tol))) {
      // Stopped short on the working set: its residual says nothing of the variables held out, so the result's is
      // that of every condition.
      const { max, index } = naturalResidual(z, f, lower, upper);
      return { z, f, converged: max <= tol, iterations, evaluations, residual: max, worst: index };
    }
    let added = 0;
    for (let i = 0; i < n; i++) {
      if (fixed[i] && (f[i] as number) < -tol) {
        fixed[i] = 0;
        added++;
      }
    }
    if (added === 0) {
      const { max, index } = naturalResidual(z, f, lower, upper);
      return { z, f, converged: max <= tol, iterations, evaluations, residual: max, worst: index };
    }
  }
}

/**
 * Crossover: Newton's method on the natural residual z − mid(l, u, z − F(z)) (a primal–dual active-set method),
 * to finish from an interior point whose active set is right but whose last digits the barrier cannot deliver
 * (complementarity gone to zero before the conditions hold, tiny steps). At each step the variables the residual puts
 * at a bound are held there and the others solve their conditions linearised, eliminable ones with a small proximal
 * term so that tied routes (flows not unique) leave the system regular. Stops as soon as a step fails to reduce the
 * residual and returns the best point.
 */
export function crossover(
  problem: Mcp,
  start: Float64Array,
  options: { tolerance?: number; maxIterations?: number; proximal?: number; fixed?: Uint8Array } = {},
): McpResult {
  const n = problem.size;
  const { pattern, evaluateValues } = problem;
  if (!pattern || !evaluateValues) throw new Error('crossover needs a problem with a fixed Jacobian pattern');
  const fixed = options.fixed;
  const tol = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 4;
  const proximal = options.proximal ?? 1e-6;
  const bound = 1e-7;
  const { lower, upper } = problem;
  const eliminable = problem.eliminable ?? new Uint8Array(n);
  const system = schurSystemFor(n, pattern, eliminable, fixed, problem.blocks);
  const nnz = pattern.rows.length;
  const borrowed = [borrowFloats(n), borrowFloats(n), borrowFloats(n), borrowFloats(n)];
  const borrowedJac = [borrowFloats(nnz), borrowFloats(nnz)];
  let [z, f] = carveFloats([n, n]) as [Float64Array, Float64Array];
  for (let i = 0; i < n; i++) z[i] = Math.min(upper[i] as number, Math.max(lower[i] as number, start[i] as number));
  let [jac, trialJac] = borrowedJac as [Float64Array, Float64Array];
  let [trialZ, trialF] = carveFloats([n, n]) as [Float64Array, Float64Array];
  const [da, db, rhs, dz] = borrowed as [Float64Array, Float64Array, Float64Array, Float64Array];
  const evaluate = (zz: Float64Array, ff: Float64Array, jj: Float64Array) => {
    evaluateValues.call(problem, zz, ff, jj, fixed);
    if (fixed) for (let i = 0; i < n; i++) if (fixed[i]) ff[i] = 0;
  };
  evaluate(z, f, jac);
  let evaluations = 1;
  let { max: residual, index: worst } = naturalResidual(z, f, lower, upper);
  let iterations = 0;
  for (; iterations < maxIterations && residual > tol; iterations++) {
    for (let i = 0; i < n; i++) {
      if (fixed?.[i]) continue;
      const zi = z[i] as number;
      const fi = f[i] as number;
      const l = lower[i] as number;
      const u = upper[i] as number;
      // At a bound only where the condition clearly pushes it there: a degenerate pair (variable and condition
      // both about zero — a marginal producer at capacity, a tied route) is left free and its condition imposed.
      const atLower = zi - l <= fi && fi > bound;
      const atUpper = u - zi <= -fi && -fi > bound;
      if (atLower || atUpper) {
        da[i] = 1;
        db[i] = 0;
        rhs[i] = (atLower ? l : u) - zi;
      } else {
        da[i] = eliminable[i] ? proximal : 0;
        db[i] = 1;
        rhs[i] = -fi;
      }
    }
    if (!system.factor(jac, da, db) && !system.factor(jac, da, db, 1e-6)) break;
    system.solve(rhs, dz);
    for (let i = 0; i < n; i++) {
      trialZ[i] = Math.min(upper[i] as number, Math.max(lower[i] as number, (z[i] as number) + (dz[i] as number)));
    }
    for (let i = 0; i < n; i++) if (fixed?.[i]) trialZ[i] = z[i] as number;
    evaluate(trialZ, trialF, trialJac);
    evaluations++;
    const next = naturalResidual(trialZ, trialF, lower, upper);
    if (!(next.max < residual)) break;
    [z, trialZ] = [trialZ, z];
    [f, trialF] = [trialF, f];
    [jac, trialJac] = [trialJac, jac];
    residual = next.max;
    worst = next.index;
  }
  returnFloats(...borrowed, ...borrowedJac);
  return { z, f, converged: residual <= tol, iterations, evaluations, residual, worst };
}
