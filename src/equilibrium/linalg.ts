/** Dense linear algebra for the Newton steps: LU with partial pivoting, and Cholesky for the regularised step. */

/** Solves A x = b in place (A row-major n×n is overwritten by its LU factors). Returns false if A is singular. */
export function luSolve(a: Float64Array, b: Float64Array, n: number): boolean {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(a[i] as number));
  const tiny = Math.max(scale, 1) * 1e-14;
  for (let k = 0; k < n; k++) {
    let pivotRow = k;
    let pivot = Math.abs(a[k * n + k] as number);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k] as number);
      if (v > pivot) {
        pivot = v;
        pivotRow = i;
      }
    }
    if (!(pivot > tiny)) return false;
    if (pivotRow !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j] as number;
        a[k * n + j] = a[pivotRow * n + j] as number;
        a[pivotRow * n + j] = t;
      }
      const tb = b[k] as number;
      b[k] = b[pivotRow] as number;
      b[pivotRow] = tb;
      const tp = perm[k] as number;
      perm[k] = perm[pivotRow] as number;
      perm[pivotRow] = tp;
    }
    const akk = a[k * n + k] as number;
    for (let i = k + 1; i < n; i++) {
      const f = (a[i * n + k] as number) / akk;
      if (f === 0) continue;
      a[i * n + k] = f;
      const rowI = i * n;
      const rowK = k * n;
      for (let j = k + 1; j < n; j++) a[rowI + j] = (a[rowI + j] as number) - f * (a[rowK + j] as number);
      b[i] = (b[i] as number) - f * (b[k] as number);
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i] as number;
    for (let j = i + 1; j < n; j++) s -= (a[i * n + j] as number) * (b[j] as number);
    b[i] = s / (a[i * n + i] as number);
  }
  return true;
}

/** Solves (JᵀJ + λI) d = -Jᵀr by Cholesky; returns d, or undefined if the factorisation fails. */
export function levenbergMarquardtStep(
  jac: Float64Array,
  residual: Float64Array,
  n: number,
  lambda: number,
): Float64Array | undefined {
  const m = new Float64Array(n * n);
  const g = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const row = k * n;
    const rk = residual[k] as number;
    for (let i = 0; i < n; i++) {
      const jki = jac[row + i] as number;
      if (jki === 0) continue;
      g[i] = (g[i] as number) - jki * rk;
      for (let j = i; j < n; j++) m[i * n + j] = (m[i * n + j] as number) + jki * (jac[row + j] as number);
    }
  }
  for (let i = 0; i < n; i++) {
    m[i * n + i] = (m[i * n + i] as number) + lambda;
    for (let j = 0; j < i; j++) m[i * n + j] = m[j * n + i] as number;
  }
  // Cholesky, lower triangle in place.
  for (let j = 0; j < n; j++) {
    let d = m[j * n + j] as number;
    for (let k = 0; k < j; k++) d -= (m[j * n + k] as number) ** 2;
    if (!(d > 0)) return undefined;
    const ljj = Math.sqrt(d);
    m[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = m[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (m[i * n + k] as number) * (m[j * n + k] as number);
      m[i * n + j] = s / ljj;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = g[i] as number;
    for (let k = 0; k < i; k++) s -= (m[i * n + k] as number) * (g[k] as number);
    g[i] = s / (m[i * n + i] as number);
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = g[i] as number;
    for (let k = i + 1; k < n; k++) s -= (m[k * n + i] as number) * (g[k] as number);
    g[i] = s / (m[i * n + i] as number);
  }
  return g;
}
