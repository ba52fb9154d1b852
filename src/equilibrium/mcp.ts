/**
 * Box-constrained mixed complementarity problems, and the engine's fallback solver for them:
 *
 *   find z with l <= z <= u such that for each i
 *     z_i = l_i  =>  F_i(z) >= 0,    z_i = u_i  =>  F_i(z) <= 0,    l_i < z_i < u_i  =>  F_i(z) = 0.
 *
 * The main solver is the interior-point method of interior.ts. This one — semismooth Newton on the
 * Fischer–Burmeister reformulation Φ(z) = 0 (Billups' form for finite boxes), globalised by an Armijo line search on
 * ψ = ½‖Φ‖² — stalls where the solution set is degenerate (routes tied to the cent, many of them: the Newton steps
 * switch between the pieces of Φ at every corner where a variable and its condition are both zero) and runs, with
 * its tiers in solve.ts, only where the interior-point method fails.
 *
 * Structure: the Jacobian is sparse (triplets). Variables flagged `eliminable` have conditions that depend on no
 * other eliminable variable (in the market model: outputs, flows and stock moves depend only on prices and rents),
 * so the Newton system is reduced to the remaining variables by a Schur complement, solved densely, and the
 * eliminated steps are recovered one by one. Ties between routes (non-unique flows) never make that reduced
 * system singular; a singular one (an undetermined price) is regularised, and if that fails the step falls back to
 * steepest descent on ψ.
 *
 * Convergence is judged on the natural residual ‖z − mid(l, u, z − F(z))‖∞, which is zero exactly at a solution
 * and which the caller scales so that 1e-8 means "1e-8 of the market's size".
 */
import { levenbergMarquardtStep, luSolve } from './linalg.ts';

/** A growable list of Jacobian entries (row, column, value); repeated positions add up. */
export class Triplets {
  rows = new Int32Array(256);
  cols = new Int32Array(256);
  vals = new Float64Array(256);
  length = 0;

  clear(): void {
    this.length = 0;
  }

  add(row: number, col: number, value: number): void {
    if (this.length === this.rows.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.rows = grow(this.rows);
      this.cols = grow(this.cols);
      this.vals = grow(this.vals);
    }
    this.rows[this.length] = row;
    this.cols[this.length] = col;
    this.vals[this.length] = value;
    this.length++;
  }
}

/** The positions of a Jacobian's structural entries (row, column); repeated positions add up. */
export interface JacobianPattern {
  readonly rows: Int32Array;
  readonly cols: Int32Array;
}

export interface Mcp {
  readonly size: number;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** 1 for variables whose condition depends on no other eliminable variable (see the header). */
  readonly eliminable?: Uint8Array;
  /** Writes F(z) into `f` and, when given, appends ∂F_i/∂z_j entries to `jac`. */
  evaluate(z: Float64Array, f: Float64Array, jac?: Triplets): void;
  /** A block per variable (a commodity of the chain): kept variables are ordered by it in reduced systems. */
  readonly blocks?: Int32Array;
  /** A fixed sparsity pattern of ∂F/∂z, for `evaluateValues`. */
  readonly pattern?: JacobianPattern;
  /**
   * Writes F(z) into `f` and, when given, the Jacobian's values at the positions of `pattern` into `jac`. Variables
   * flagged in `skip` are held where they are by the caller: their own conditions (and rows) may be left unwritten.
   * `smoothing` > 0 asks for F with its kinks (each max() in the conditions) smoothed to that width relative to their
   * level; a problem without kinks ignores it.
   */
  evaluateValues?(z: Float64Array, f: Float64Array, jac?: Float64Array, skip?: Uint8Array, smoothing?: number): void;
  /**
   * The step along `dz` from `z`, at most `step`, just past the first kink of F that the segment crosses (where a
   * max() in the conditions changes branch), or `step` if it crosses none.
   */
  kinkStep?(z: Float64Array, dz: Float64Array, step: number): number;
}

export interface McpOptions {
  /** Stop when the natural residual is at most this. */
  readonly tolerance?: number;
  /**
   * Also stop when the residual is at most this and Newton has left its quadratic phase (the last step cut the
   * residual by less than 10×): more digits would cost many iterations for nothing. Default: `tolerance`.
   */
  readonly acceptable?: number;
  readonly maxIterations?: number;
  /** Stop early when the best residual has not improved for this many iterations (default 30). */
  readonly stallIterations?: number;
  /**
   * Largest smoothing parameter μ of the Fischer–Burmeister function (default 0: none). Smoothing keeps Newton off
   * degenerate corners but slows it on well-posed markets; the caller turns it on for a second attempt.
   */
  readonly smoothing?: number;
  /** Try a Levenberg–Marquardt step when the Newton step is short (degenerate markets; dense, so costly). */
  readonly levenbergMarquardt?: boolean;
  /** Try the active-set polish at the start and when Newton struggles. */
  readonly polish?: boolean;
}

export interface McpResult {
  readonly z: Float64Array;
  readonly f: Float64Array;
  readonly converged: boolean;
  readonly iterations: number;
  /** Evaluations of F (each with or without the Jacobian). */
  readonly evaluations: number;
  /** ‖z − mid(l, u, z − F)‖∞ at the returned point. */
  readonly residual: number;
  /** Index of the largest natural residual, for error messages. */
  readonly worst: number;
}

const SQRT_HALF = Math.SQRT1_2;

/**
 * Smoothed Fischer–Burmeister φ_μ(a, b) = a + b − √(a² + b² + 2μ) and its partial derivatives. With μ > 0 it is
 * smooth and its Jacobian never degenerates at a = b = 0; μ → 0 recovers the exact complementarity function.
 */
function fb(a: number, b: number, out: Float64Array, mu: number): void {
  const r = mu > 0 ? Math.sqrt(a * a + b * b + 2 * mu) : Math.hypot(a, b);
  if (r === 0) {
    out[0] = 0;
    out[1] = 1 - SQRT_HALF;
    out[2] = 1 - SQRT_HALF;
    return;
  }
  out[0] = a + b - r;
  out[1] = 1 - a / r;
  out[2] = 1 - b / r;
}

/**
 * Φ_i with its derivatives with respect to z_i (direct) and F_i (through ∇F), written to out = [Φ, dz, dF].
 * Finite box: Billups' φ(z − l, −φ(u − z, −F)).
 */
function phi(z: number, f: number, l: number, u: number, out: Float64Array, tmp: Float64Array, mu: number): void {
  const hasL = l > Number.NEGATIVE_INFINITY;
  const hasU = u < Number.POSITIVE_INFINITY;
  if (hasL && !hasU) {
    fb(z - l, f, out, mu);
    return;
  }
  if (!hasL && hasU) {
    fb(u - z, -f, out, mu);
    out[0] = -(out[0] as number);
    return;
  }
  if (!hasL && !hasU) {
    out[0] = f;
    out[1] = 0;
    out[2] = 1;
    return;
  }
  fb(u - z, -f, tmp, mu);
  const inner = tmp[0] as number;
  const ia = tmp[1] as number;
  const ib = tmp[2] as number;
  fb(z - l, -inner, out, mu);
  const oa = out[1] as number;
  const ob = out[2] as number;
  // d/dz = oa + ob·ia ; d/dF = ob·ib.
  out[1] = oa + ob * ia;
  out[2] = ob * ib;
}

/** The Levenberg–Marquardt direction for Φ with generalised Jacobian J̃ = diag(da) + diag(db)·∇F (dense). */
function levenbergMarquardtDirection(
  n: number,
  da: Float64Array,
  db: Float64Array,
  phiV: Float64Array,
  jac: Triplets,
  lambda: number,
): Float64Array | undefined {
  const dense = new Float64Array(n * n);
  for (let i = 0; i < n; i++) dense[i * n + i] = da[i] as number;
  for (let t = 0; t < jac.length; t++) {
    const r = jac.rows[t] as number;
    const c = jac.cols[t] as number;
    dense[r * n + c] = (dense[r * n + c] as number) + (db[r] as number) * (jac.vals[t] as number);
  }
  const d = levenbergMarquardtStep(dense, phiV, n, lambda);
  return d?.every(Number.isFinite) ? d : undefined;
}

export function naturalResidual(
  z: Float64Array,
  f: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
): { max: number; index: number } {
  let max = 0;
  let index = 0;
  for (let i = 0; i < z.length; i++) {
    const zi = z[i] as number;
    const projected = Math.min(upper[i] as number, Math.max(lower[i] as number, zi - (f[i] as number)));
    const r = Math.abs(zi - projected);
    if (!(r <= max)) {
      max = r;
      index = i;
      if (Number.isNaN(r)) return { max: Number.NaN, index };
    }
  }
  return { max, index };
}

/** An eliminable variable is eliminated only if its pivot is at least this share of its row's largest entry. */
const PIVOT_RATIO = 1e-3;
const TINY_PIVOT = 1e-300;

export function solveMcp(problem: Mcp, start: Float64Array, options: McpOptions = {}): McpResult {
  const n = problem.size;
  const tol = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 200;
  const acceptable = options.acceptable ?? tol;
  const { lower, upper } = problem;
  const eliminable = problem.eliminable ?? new Uint8Array(n);
  // Which variables are eliminated is decided at each iteration: only those whose own pivot is not small next to
  // their row (an active constraint has a vanishing pivot; eliminating it would swamp the reduced system).
  const elim = new Uint8Array(n);
  const keptIndex = new Int32Array(n);
  const rowScale = new Float64Array(n);

  const z = Float64Array.from(start, (v, i) => Math.min(upper[i] as number, Math.max(lower[i] as number, v)));
  const f = new Float64Array(n);
  const jac = new Triplets();
  const phiV = new Float64Array(n);
  const da = new Float64Array(n);
  const db = new Float64Array(n);
  const diag = new Float64Array(n);
  const trialZ = new Float64Array(n);
  const trialF = new Float64Array(n);
  const dir = new Float64Array(n);
  const grad = new Float64Array(n);
  const out = new Float64Array(3);
  const tmp = new Float64Array(3);
  // Workspace reused by every Newton step (the reduced system is at most n × n).
  const keptBuf = new Int32Array(n);
  const schurBuf = new Float64Array(n * n);
  const luBuf = new Float64Array(n * n);
  const rhsBuf = new Float64Array(n);
  const solBuf = new Float64Array(n);
  const rowStartBuf = new Int32Array(n + 1);
  const colStartBuf = new Int32Array(n + 1);
  const rowFillBuf = new Int32Array(n);
  const colFillBuf = new Int32Array(n);
  const nnzBuf = {
    rowCol: new Int32Array(0),
    rowVal: new Float64Array(0),
    colRow: new Int32Array(0),
    colVal: new Float64Array(0),
  };
  let evaluations = 0;

  // Smoothing parameter, driven to zero with the residual (a smoothing Newton method in the manner of Qi, Sun and
  // Zhou): far from the solution it keeps Newton off the degenerate corners; near it, the method is plain FB Newton.
  let mu = -1;
  const merit = (zz: Float64Array, ff: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      phi(zz[i] as number, ff[i] as number, lower[i] as number, upper[i] as number, out, tmp, mu);
      s += (out[0] as number) ** 2;
    }
    return 0.5 * s;
  };

  // First the active-set polish from the start: from a good starting point (the caller's pooled-market estimate)
  // fixing the evident bounds and solving the rest by Levenberg–Marquardt often finishes outright.
  if (options.polish) {
    const first = polish(problem, z, tol);
    evaluations += first.evaluations;
    if (first.residual <= tol) {
      problem.evaluate(first.z, f);
      const { max, index } = naturalResidual(first.z, f, lower, upper);
      return {
        z: first.z,
        f,
        converged: true,
        iterations: 0,
        evaluations: evaluations + 1,
        residual: max,
        worst: index,
      };
    }
  }
  let iterations = 0;
  let residual = Number.POSITIVE_INFINITY;
  let worst = 0;
  let best = Number.POSITIVE_INFINITY;
  let sinceBest = 0;
  const stall = options.stallIterations ?? 30;
  for (; iterations <= maxIterations; iterations++) {
    jac.clear();
    problem.evaluate(z, f, jac);
    evaluations++;
    const previous = residual;
    ({ max: residual, index: worst } = naturalResidual(z, f, lower, upper));
    if (!Number.isFinite(residual) || residual <= tol || iterations === maxIterations) break;
    if (residual <= acceptable && residual > 0.1 * previous) break;
    if (residual < best * 0.99) {
      best = residual;
      sinceBest = 0;
    } else if (++sinceBest >= stall) {
      break;
    }
    let psi0 = 0;
    for (let i = 0; i < n; i++) {
      phi(z[i] as number, f[i] as number, lower[i] as number, upper[i] as number, out, tmp, 0);
      psi0 += (out[0] as number) ** 2;
    }
    mu = mu < 0 ? Math.min(options.smoothing ?? 0, 0.1 * psi0) : Math.min(mu, 0.1 * psi0);
    let psi = 0;
    for (let i = 0; i < n; i++) {
      phi(z[i] as number, f[i] as number, lower[i] as number, upper[i] as number, out, tmp, mu);
      phiV[i] = out[0] as number;
      da[i] = out[1] as number;
      db[i] = out[2] as number;
      psi += (out[0] as number) ** 2;
    }
    psi *= 0.5;
    // Regularisation λI (a proximal term, λ = min(1e-6, ‖Φ‖²)): where the solution is not isolated (ties between
    // routes make flows non-unique) plain Newton stalls; the shrinking λ keeps fast local convergence.
    const lambda = Math.min(1e-6, 2 * psi);
    for (let i = 0; i < n; i++) da[i] = (da[i] as number) + lambda;
    // J̃ = diag(da) + diag(db)·∇F. Diagonal of eliminated rows first.
    diag.set(da);
    const len = jac.length;
    const rows = jac.rows;
    const cols = jac.cols;
    const vals = jac.vals;
    for (let t = 0; t < len; t++) {
      const r = rows[t] as number;
      if (r === cols[t] && eliminable[r]) diag[r] = (diag[r] as number) + (db[r] as number) * (vals[t] as number);
    }
    rowScale.fill(0);
    for (let t = 0; t < len; t++) {
      const r = rows[t] as number;
      if (eliminable[r] && r !== cols[t]) {
        rowScale[r] = Math.max(rowScale[r] as number, Math.abs((db[r] as number) * (vals[t] as number)));
      }
    }
    let m = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(diag[i] as number);
      elim[i] = eliminable[i] && d >= PIVOT_RATIO * (rowScale[i] as number) && d > TINY_PIVOT ? 1 : 0;
      keptIndex[i] = elim[i] ? -1 : m++;
    }
    const kept = keptBuf;
    for (let i = 0; i < n; i++) if (!elim[i]) kept[keptIndex[i] as number] = i;
    const schur = schurBuf.subarray(0, m * m);
    schur.fill(0);
    const rhs = rhsBuf.subarray(0, m);
    // Reduced system S ΔK = −Φ_K + J̃_KE D⁻¹ Φ_E, with S = J̃_KK − J̃_KE D⁻¹ J̃_EK.
    // Gather, for each eliminated e, its row entries on kept columns (J̃_eK) and column entries on kept rows (J̃_Ke).
    for (let k = 0; k < m; k++) {
      const i = kept[k] as number;
      rhs[k] = -(phiV[i] as number);
      schur[k * m + k] = da[i] as number;
    }
    const rowStart = rowStartBuf;
    const colStart = colStartBuf;
    rowStart.fill(0);
    colStart.fill(0);
    for (let t = 0; t < len; t++) {
      const r = rows[t] as number;
      const c = cols[t] as number;
      if (elim[r] && !elim[c]) rowStart[r + 1] = (rowStart[r + 1] as number) + 1;
      else if (!elim[r] && elim[c]) colStart[c + 1] = (colStart[c + 1] as number) + 1;
      else if (!elim[r] && !elim[c]) {
        const kr = keptIndex[r] as number;
        const kc = keptIndex[c] as number;
        schur[kr * m + kc] = (schur[kr * m + kc] as number) + (db[r] as number) * (vals[t] as number);
      } else if (r !== c && vals[t] !== 0) {
        throw new Error(`internal: eliminated variable ${r} depends on eliminated variable ${c}`);
      }
    }
    for (let i = 0; i < n; i++) {
      rowStart[i + 1] = (rowStart[i + 1] as number) + (rowStart[i] as number);
      colStart[i + 1] = (colStart[i + 1] as number) + (colStart[i] as number);
    }
    if (nnzBuf.rowCol.length < Math.max(rowStart[n] as number, colStart[n] as number)) {
      const size = 2 * Math.max(rowStart[n] as number, colStart[n] as number);
      nnzBuf.rowCol = new Int32Array(size);
      nnzBuf.rowVal = new Float64Array(size);
      nnzBuf.colRow = new Int32Array(size);
      nnzBuf.colVal = new Float64Array(size);
    }
    const { rowCol, rowVal, colRow, colVal } = nnzBuf;
    const rowFill = rowFillBuf;
    const colFill = colFillBuf;
    rowFill.set(rowStart.subarray(0, n));
    colFill.set(colStart.subarray(0, n));
    for (let t = 0; t < len; t++) {
      const r = rows[t] as number;
      const c = cols[t] as number;
      if (elim[r] && !elim[c]) {
        const p = rowFill[r] as number;
        rowFill[r] = p + 1;
        rowCol[p] = keptIndex[c] as number;
        rowVal[p] = (db[r] as number) * (vals[t] as number);
      } else if (!elim[r] && elim[c]) {
        const p = colFill[c] as number;
        colFill[c] = p + 1;
        colRow[p] = keptIndex[r] as number;
        colVal[p] = (db[r] as number) * (vals[t] as number);
      }
    }
    for (let e = 0; e < n; e++) {
      if (!elim[e]) continue;
      const inv = 1 / (diag[e] as number);
      const pe = (phiV[e] as number) * inv;
      for (let a = colStart[e] as number; a < (colStart[e + 1] as number); a++) {
        const kr = colRow[a] as number;
        const w = (colVal[a] as number) * inv;
        rhs[kr] = (rhs[kr] as number) + (colVal[a] as number) * pe;
        for (let b = rowStart[e] as number; b < (rowStart[e + 1] as number); b++) {
          const kc = rowCol[b] as number;
          schur[kr * m + kc] = (schur[kr * m + kc] as number) - w * (rowVal[b] as number);
        }
      }
    }
    // Solve; regularise if singular.
    let solved = false;
    let reg = 0;
    const sol = solBuf.subarray(0, m);
    for (let attempt = 0; attempt < 6 && !solved; attempt++) {
      const a = luBuf.subarray(0, m * m);
      a.set(schur);
      if (reg > 0) for (let k = 0; k < m; k++) a[k * m + k] = (a[k * m + k] as number) + reg;
      sol.set(rhs);
      solved = luSolve(a, sol, m) && sol.every(Number.isFinite);
      reg = reg === 0 ? Math.max(1e-10, Math.sqrt(2 * psi)) : reg * 100;
    }
    // ∇ψ = J̃ᵀ Φ (needed for the descent test and the fallback).
    grad.fill(0);
    for (let i = 0; i < n; i++) grad[i] = (da[i] as number) * (phiV[i] as number);
    for (let t = 0; t < len; t++) {
      const r = rows[t] as number;
      grad[cols[t] as number] =
        (grad[cols[t] as number] as number) + (db[r] as number) * (vals[t] as number) * (phiV[r] as number);
    }
    let useNewton = solved;
    if (solved) {
      for (let k = 0; k < m; k++) dir[kept[k] as number] = sol[k] as number;
      for (let e = 0; e < n; e++) {
        if (!elim[e]) continue;
        let s = -(phiV[e] as number);
        for (let b = rowStart[e] as number; b < (rowStart[e + 1] as number); b++) {
          s -= (rowVal[b] as number) * (sol[rowCol[b] as number] as number);
        }
        dir[e] = s / (diag[e] as number);
      }
      let slope = 0;
      let norm2 = 0;
      for (let i = 0; i < n; i++) {
        slope += (grad[i] as number) * (dir[i] as number);
        norm2 += (dir[i] as number) ** 2;
      }
      useNewton = dir.every(Number.isFinite) && slope < -1e-14 * norm2;
    }
    if (!useNewton) for (let i = 0; i < n; i++) dir[i] = -(grad[i] as number);
    let slope = 0;
    for (let i = 0; i < n; i++) slope += (grad[i] as number) * (dir[i] as number);
    // Armijo backtracking on ψ along the projected path: iterates stay inside the box (no negative flows acting as
    // phantom supply).
    const search = (d: Float64Array, dslope: number, project: boolean): { step: number; merit: number } | undefined => {
      let step = 1;
      for (let k = 0; k < 40; k++) {
        for (let i = 0; i < n; i++) {
          const v = (z[i] as number) + step * (d[i] as number);
          trialZ[i] = project ? Math.min(upper[i] as number, Math.max(lower[i] as number, v)) : v;
        }
        problem.evaluate(trialZ, trialF);
        evaluations++;
        const trial = merit(trialZ, trialF);
        if (Number.isFinite(trial) && trial <= psi + 1e-4 * step * Math.min(dslope, 0)) return { step, merit: trial };
        step *= 0.5;
      }
      return undefined;
    };
    let accepted = search(dir, slope, true);
    // A short Newton step means the solution set is degenerate here (an undetermined price, tied routes): try a
    // Levenberg–Marquardt step (JᵀJ + λI, λ = ‖Φ‖², Yamashita–Fukushima), which converges where solutions are not
    // isolated, and keep whichever lowers ψ more.
    if ((!accepted || accepted.step < 0.25) && options.levenbergMarquardt) {
      const kept = Float64Array.from(trialZ);
      const keptMerit = accepted?.merit;
      const lm = levenbergMarquardtDirection(n, da, db, phiV, jac, Math.max(2 * psi, 1e-24));
      if (lm) {
        let lmSlope = 0;
        for (let i = 0; i < n; i++) lmSlope += (grad[i] as number) * (lm[i] as number);
        const other = search(lm, lmSlope, true);
        if (other && (keptMerit === undefined || other.merit < keptMerit)) accepted = other;
        else if (accepted) trialZ.set(kept);
      } else if (accepted) {
        trialZ.set(kept);
      }
    }
    if (!accepted) {
      for (let i = 0; i < n; i++) dir[i] = -(grad[i] as number);
      let g2 = 0;
      for (let i = 0; i < n; i++) g2 += (grad[i] as number) ** 2;
      accepted = search(dir, -g2, true);
    }
    if (!accepted) break;
    z.set(trialZ);
    // When Newton is struggling, see whether the active set is already right.
    if (options.polish && (accepted.step < 0.25 || iterations % 5 === 4)) {
      const tried = polish(problem, z, tol);
      evaluations += tried.evaluations;
      if (tried.residual <= tol) {
        z.set(tried.z);
        problem.evaluate(z, f);
        evaluations++;
        ({ max: residual, index: worst } = naturalResidual(z, f, lower, upper));
        break;
      }
    }
  }
  if (options.polish && !(residual <= tol) && Number.isFinite(residual)) {
    // Stalled near a degenerate solution (tied routes, a price pinned by a kink): fix the variables the natural
    // residual puts at a bound, and solve the remaining equations F_free = 0 by Levenberg–Marquardt.
    const polished = polish(problem, z, tol);
    evaluations += polished.evaluations;
    if (polished.residual < residual) {
      z.set(polished.z);
      problem.evaluate(z, f);
      evaluations++;
      ({ max: residual, index: worst } = naturalResidual(z, f, lower, upper));
    }
  }
  return { z, f, converged: residual <= tol, iterations, evaluations, residual, worst };
}

/** Active-set polish: bounds fixed where the natural residual says so, LM on the free equations. */
function polish(
  problem: Mcp,
  start: Float64Array,
  tol: number,
): { z: Float64Array; residual: number; evaluations: number } {
  const n = problem.size;
  const { lower, upper } = problem;
  const z = Float64Array.from(start);
  const f = new Float64Array(n);
  const jac = new Triplets();
  let evaluations = 0;
  problem.evaluate(z, f, jac);
  evaluations++;
  let best = naturalResidual(z, f, lower, upper).max;
  for (let it = 0; it < 12 && best > tol; it++) {
    // Active set from the current point.
    const freeIndex = new Int32Array(n).fill(-1);
    const free: number[] = [];
    for (let i = 0; i < n; i++) {
      const zi = z[i] as number;
      const fi = f[i] as number;
      if (zi - (lower[i] as number) <= fi) z[i] = lower[i] as number;
      else if ((upper[i] as number) - zi <= -fi) z[i] = upper[i] as number;
      else {
        freeIndex[i] = free.length;
        free.push(i);
      }
    }
    jac.clear();
    problem.evaluate(z, f, jac);
    evaluations++;
    const m = free.length;
    if (m === 0) break;
    const dense = new Float64Array(m * m);
    for (let t = 0; t < jac.length; t++) {
      const r = freeIndex[jac.rows[t] as number] as number;
      const c = freeIndex[jac.cols[t] as number] as number;
      if (r >= 0 && c >= 0) dense[r * m + c] = (dense[r * m + c] as number) + (jac.vals[t] as number);
    }
    const rhs = Float64Array.from(free, (i) => f[i] as number);
    let norm2 = 0;
    for (const v of rhs) norm2 += v * v;
    const d = levenbergMarquardtStep(dense, rhs, m, Math.max(norm2, 1e-30));
    if (!d?.every(Number.isFinite)) break;
    const trial = Float64Array.from(z);
    let improved = false;
    for (let step = 1; step > 1e-4; step *= 0.5) {
      for (let k = 0; k < m; k++) {
        const i = free[k] as number;
        trial[i] = Math.min(
          upper[i] as number,
          Math.max(lower[i] as number, (z[i] as number) + step * (d[k] as number)),
        );
      }
      problem.evaluate(trial, f);
      evaluations++;
      const r = naturalResidual(trial, f, lower, upper).max;
      if (r < best) {
        best = r;
        z.set(trial);
        improved = true;
        break;
      }
    }
    if (!improved) break;
    problem.evaluate(z, f);
    evaluations++;
  }
  problem.evaluate(z, f);
  return { z, residual: naturalResidual(z, f, lower, upper).max, evaluations: evaluations + 1 };
}
