/**
 * A solver for box-constrained mixed complementarity problems:
 *
 *   find z with l <= z <= u such that for each i
 *     z_i = l_i  =>  F_i(z) >= 0,    z_i = u_i  =>  F_i(z) <= 0,    l_i < z_i < u_i  =>  F_i(z) = 0.
 *
 * Method: semismooth Newton on the Fischer–Burmeister reformulation Φ(z) = 0 (Billups' form for finite boxes),
 * globalised by an Armijo line search on ψ = ½‖Φ‖².
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
import { luSolve } from './linalg.ts';

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

export interface Mcp {
  readonly size: number;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** 1 for variables whose condition depends on no other eliminable variable (see the header). */
  readonly eliminable?: Uint8Array;
  /** Writes F(z) into `f` and, when given, appends ∂F_i/∂z_j entries to `jac`. */
  evaluate(z: Float64Array, f: Float64Array, jac?: Triplets): void;
}

export interface McpOptions {
  readonly tolerance?: number;
  readonly maxIterations?: number;
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

/** Fischer–Burmeister φ(a, b) = a + b − √(a² + b²) and its partial derivatives. */
function fb(a: number, b: number, out: Float64Array): void {
  const r = Math.hypot(a, b);
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
function phi(z: number, f: number, l: number, u: number, out: Float64Array, tmp: Float64Array): void {
  const hasL = l > Number.NEGATIVE_INFINITY;
  const hasU = u < Number.POSITIVE_INFINITY;
  if (hasL && !hasU) {
    fb(z - l, f, out);
    return;
  }
  if (!hasL && hasU) {
    fb(u - z, -f, out);
    out[0] = -(out[0] as number);
    return;
  }
  if (!hasL && !hasU) {
    out[0] = f;
    out[1] = 0;
    out[2] = 1;
    return;
  }
  fb(u - z, -f, tmp);
  const inner = tmp[0] as number;
  const ia = tmp[1] as number;
  const ib = tmp[2] as number;
  fb(z - l, -inner, out);
  const oa = out[1] as number;
  const ob = out[2] as number;
  // d/dz = oa + ob·ia ; d/dF = ob·ib.
  out[1] = oa + ob * ia;
  out[2] = ob * ib;
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
  let evaluations = 0;

  const merit = (zz: Float64Array, ff: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      phi(zz[i] as number, ff[i] as number, lower[i] as number, upper[i] as number, out, tmp);
      s += (out[0] as number) ** 2;
    }
    return 0.5 * s;
  };

  let iterations = 0;
  let residual = Number.POSITIVE_INFINITY;
  let worst = 0;
  for (; iterations <= maxIterations; iterations++) {
    jac.clear();
    problem.evaluate(z, f, jac);
    evaluations++;
    ({ max: residual, index: worst } = naturalResidual(z, f, lower, upper));
    if (!Number.isFinite(residual) || residual <= tol || iterations === maxIterations) break;
    let psi = 0;
    for (let i = 0; i < n; i++) {
      phi(z[i] as number, f[i] as number, lower[i] as number, upper[i] as number, out, tmp);
      phiV[i] = out[0] as number;
      da[i] = out[1] as number;
      db[i] = out[2] as number;
      psi += (out[0] as number) ** 2;
    }
    psi *= 0.5;
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
    const kept = new Int32Array(m);
    for (let i = 0; i < n; i++) if (!elim[i]) kept[keptIndex[i] as number] = i;
    const schur = new Float64Array(m * m);
    const rhs = new Float64Array(m);
    // Reduced system S ΔK = −Φ_K + J̃_KE D⁻¹ Φ_E, with S = J̃_KK − J̃_KE D⁻¹ J̃_EK.
    // Gather, for each eliminated e, its row entries on kept columns (J̃_eK) and column entries on kept rows (J̃_Ke).
    for (let k = 0; k < m; k++) {
      const i = kept[k] as number;
      rhs[k] = -(phiV[i] as number);
      schur[k * m + k] = da[i] as number;
    }
    const rowStart = new Int32Array(n + 1);
    const colStart = new Int32Array(n + 1);
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
    const rowCol = new Int32Array(rowStart[n] as number);
    const rowVal = new Float64Array(rowStart[n] as number);
    const colRow = new Int32Array(colStart[n] as number);
    const colVal = new Float64Array(colStart[n] as number);
    const rowFill = rowStart.slice(0, n);
    const colFill = colStart.slice(0, n);
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
    const sol = new Float64Array(m);
    for (let attempt = 0; attempt < 6 && !solved; attempt++) {
      const a = Float64Array.from(schur);
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
    // Armijo backtracking on ψ.
    let step = 1;
    let accepted = false;
    for (let k = 0; k < 50; k++) {
      for (let i = 0; i < n; i++) trialZ[i] = (z[i] as number) + step * (dir[i] as number);
      problem.evaluate(trialZ, trialF);
      evaluations++;
      const trial = merit(trialZ, trialF);
      if (Number.isFinite(trial) && trial <= psi + 1e-4 * step * Math.min(slope, 0)) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    z.set(trialZ);
  }
  return { z, f, converged: residual <= tol, iterations, evaluations, residual, worst };
}
