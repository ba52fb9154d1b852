/**
 * A solver for box-constrained mixed complementarity problems:
 *
 *   find z with l <= z <= u such that for each i
 *     z_i = l_i  =>  F_i(z) >= 0,    z_i = u_i  =>  F_i(z) <= 0,    l_i < z_i < u_i  =>  F_i(z) = 0.
 *
 * Method: semismooth Newton on the Fischer–Burmeister reformulation Φ(z) = 0 (Billups' form for finite boxes),
 * globalised by an Armijo line search on ψ = ½‖Φ‖². When the Newton system is singular or its step is not a
 * descent direction (non-unique flows make the Jacobian singular), the step is a Levenberg–Marquardt step with
 * λ = ‖Φ‖², which keeps local quadratic convergence where the solution set is not isolated.
 *
 * Convergence is judged on the natural residual ‖z − mid(l, u, z − F(z))‖∞, which is zero exactly at a solution
 * and which the caller scales so that 1e-8 means "1e-8 of the market's size".
 */
import { levenbergMarquardtStep, luSolve } from './linalg.ts';

export interface Mcp {
  readonly size: number;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Writes F(z) into `f` and, when given, the Jacobian (row-major size×size, zeroed by the caller) into `jac`. */
  evaluate(z: Float64Array, f: Float64Array, jac?: Float64Array): void;
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
function fb(a: number, b: number): [number, number, number] {
  const r = Math.hypot(a, b);
  if (r === 0) return [0, 1 - SQRT_HALF, 1 - SQRT_HALF];
  return [a + b - r, 1 - a / r, 1 - b / r];
}

/**
 * Φ_i and its derivatives with respect to z_i (direct) and F_i (chain through ∇F).
 * Finite box: Billups' φ(z − l, −φ(u − z, −F)).
 */
function phi(z: number, f: number, l: number, u: number): [value: number, dz: number, df: number] {
  const hasL = l > -Infinity;
  const hasU = u < Infinity;
  if (hasL && !hasU) {
    const [v, da, db] = fb(z - l, f);
    return [v, da, db];
  }
  if (!hasL && hasU) {
    const [v, da, db] = fb(u - z, -f);
    return [-v, da, db];
  }
  if (!hasL && !hasU) return [f, 0, 1];
  const [inner, ia, ib] = fb(u - z, -f);
  const [v, oa, ob] = fb(z - l, -inner);
  // d/dz: oa·1 + ob·(−d inner/dz) = oa + ob·ia ; d/dF: ob·(−d inner/dF) = ob·ib.
  return [v, oa + ob * ia, ob * ib];
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

export function solveMcp(problem: Mcp, start: Float64Array, options: McpOptions = {}): McpResult {
  const n = problem.size;
  const tol = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 200;
  const { lower, upper } = problem;
  const z = Float64Array.from(start, (v, i) => Math.min(upper[i] as number, Math.max(lower[i] as number, v)));
  const f = new Float64Array(n);
  const jac = new Float64Array(n * n);
  const phiV = new Float64Array(n);
  const trialZ = new Float64Array(n);
  const trialF = new Float64Array(n);
  let evaluations = 0;

  const merit = (zz: Float64Array, ff: Float64Array, out?: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const [v] = phi(zz[i] as number, ff[i] as number, lower[i] as number, upper[i] as number);
      if (out) out[i] = v;
      s += v * v;
    }
    return 0.5 * s;
  };

  let iterations = 0;
  let residual = Number.POSITIVE_INFINITY;
  let worst = 0;
  for (; iterations <= maxIterations; iterations++) {
    jac.fill(0);
    problem.evaluate(z, f, jac);
    evaluations++;
    ({ max: residual, index: worst } = naturalResidual(z, f, lower, upper));
    if (!Number.isFinite(residual) || residual <= tol || iterations === maxIterations) break;
    const psi = merit(z, f, phiV);
    // Generalised Jacobian of Φ: row i = dz_i e_i + df_i ∇F_i.
    for (let i = 0; i < n; i++) {
      const [, dz, df] = phi(z[i] as number, f[i] as number, lower[i] as number, upper[i] as number);
      const row = i * n;
      for (let j = 0; j < n; j++) jac[row + j] = df * (jac[row + j] as number);
      jac[row + i] = (jac[row + i] as number) + dz;
    }
    // ∇ψ = Jᵀ Φ.
    const grad = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const pi = phiV[i] as number;
      if (pi === 0) continue;
      const row = i * n;
      for (let j = 0; j < n; j++) grad[j] = (grad[j] as number) + (jac[row + j] as number) * pi;
    }
    let direction: Float64Array | undefined;
    const newton = Float64Array.from(phiV, (v) => -v);
    if (luSolve(Float64Array.from(jac), newton, n) && newton.every(Number.isFinite)) {
      let slope = 0;
      let norm2 = 0;
      for (let i = 0; i < n; i++) {
        slope += (grad[i] as number) * (newton[i] as number);
        norm2 += (newton[i] as number) ** 2;
      }
      if (slope <= -1e-12 * norm2 ** 1.05) direction = newton;
    }
    if (!direction) direction = levenbergMarquardtStep(jac, phiV, n, Math.max(2 * psi, 1e-20));
    if (!direction) direction = Float64Array.from(grad, (g) => -g);
    let slope = 0;
    for (let i = 0; i < n; i++) slope += (grad[i] as number) * (direction[i] as number);
    // Armijo backtracking on ψ.
    let step = 1;
    let accepted = false;
    for (let k = 0; k < 40; k++) {
      for (let i = 0; i < n; i++) trialZ[i] = (z[i] as number) + step * (direction[i] as number);
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
