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
    if (!(pivot > tiny) || !Number.isFinite(pivot)) return false;
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

/**
 * LU factorisation with partial pivoting of the row-major n×n matrix `a`, in place; `perm[k]` is the row swapped
 * into place k. Returns false if a pivot is below 1e-14 of the largest entry (numerically singular).
 */
export function luFactor(a: Float64Array, n: number, perm: Int32Array): boolean {
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(a[i] as number));
  const tiny = scale * 1e-300;
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
    perm[k] = pivotRow;
    if (!(pivot > tiny) || !Number.isFinite(pivot)) return false;
    if (pivotRow !== k) {
      const rk = k * n;
      const rp = pivotRow * n;
      for (let j = 0; j < n; j++) {
        const t = a[rk + j] as number;
        a[rk + j] = a[rp + j] as number;
        a[rp + j] = t;
      }
    }
    const rowK = k * n;
    const akk = a[rowK + k] as number;
    for (let i = k + 1; i < n; i++) {
      const rowI = i * n;
      const f = (a[rowI + k] as number) / akk;
      a[rowI + k] = f;
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) a[rowI + j] = (a[rowI + j] as number) - f * (a[rowK + j] as number);
    }
  }
  return true;
}

/** Solves A x = b in place with the factors of luFactor. */
export function luSolveFactored(a: Float64Array, n: number, perm: Int32Array, b: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const p = perm[k] as number;
    if (p !== k) {
      const t = b[k] as number;
      b[k] = b[p] as number;
      b[p] = t;
    }
  }
  for (let i = 1; i < n; i++) {
    let s = b[i] as number;
    const row = i * n;
    for (let j = 0; j < i; j++) s -= (a[row + j] as number) * (b[j] as number);
    b[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i] as number;
    const row = i * n;
    for (let j = i + 1; j < n; j++) s -= (a[row + j] as number) * (b[j] as number);
    b[i] = s / (a[row + i] as number);
  }
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

/**
 * LU factorisation of a sparse matrix held in dense row-major storage, with diagonal pivots chosen by Markowitz's
 * rule (fewest fill-ins) under a threshold test (|a_kk| at least `threshold` of its column's largest entry). Work
 * and fill follow the sparsity, not n³. Returns false when no diagonal pivot passes the test (the caller then uses
 * partial pivoting, luFactor) or the matrix is singular.
 */
export class MarkowitzLU {
  private capacity = 0;
  private m = 0;
  private rowIdx = new Int32Array(0);
  private colIdx = new Int32Array(0);
  private present = new Uint8Array(0);
  private rowLen = new Int32Array(0);
  private colLen = new Int32Array(0);
  private cntR = new Int32Array(0);
  private cntC = new Int32Array(0);
  private done = new Uint8Array(0);
  private rejected = new Int32Array(0);
  private order = new Int32Array(0);
  private lPtr = new Int32Array(0);
  private uPtr = new Int32Array(0);
  private lIdx = new Int32Array(0);
  private uIdx = new Int32Array(0);
  private a: Float64Array = new Float64Array(0);

  private reserve(m: number): void {
    if (m <= this.capacity) return;
    this.capacity = m;
    this.rowIdx = new Int32Array(m * m);
    this.colIdx = new Int32Array(m * m);
    this.present = new Uint8Array(m * m);
    this.rowLen = new Int32Array(m);
    this.colLen = new Int32Array(m);
    this.cntR = new Int32Array(m);
    this.cntC = new Int32Array(m);
    this.done = new Uint8Array(m);
    this.rejected = new Int32Array(m).fill(-1);
    this.order = new Int32Array(m);
    this.lPtr = new Int32Array(m + 1);
    this.uPtr = new Int32Array(m + 1);
    this.lIdx = new Int32Array(m * m);
    this.uIdx = new Int32Array(m * m);
  }

  factor(a: Float64Array, m: number, threshold = 0.1): boolean {
    this.reserve(m);
    this.m = m;
    this.a = a;
    const { rowIdx, colIdx, present, rowLen, colLen, cntR, cntC, done, rejected, order, lPtr, uPtr, lIdx, uIdx } = this;
    rowLen.fill(0, 0, m);
    colLen.fill(0, 0, m);
    done.fill(0, 0, m);
    rejected.fill(-1, 0, m);
    for (let i = 0; i < m; i++) {
      const row = i * m;
      for (let j = 0; j < m; j++) {
        const nonzero = a[row + j] !== 0;
        present[row + j] = nonzero ? 1 : 0;
        if (!nonzero) continue;
        rowIdx[row + (rowLen[i] as number)] = j;
        rowLen[i] = (rowLen[i] as number) + 1;
        colIdx[j * m + (colLen[j] as number)] = i;
        colLen[j] = (colLen[j] as number) + 1;
      }
    }
    cntR.set(rowLen.subarray(0, m));
    cntC.set(colLen.subarray(0, m));
    let lTotal = 0;
    let uTotal = 0;
    for (let s = 0; s < m; s++) {
      // Markowitz: the remaining diagonal entry with the fewest (row − 1)·(column − 1) that passes the threshold.
      let k = -1;
      for (let attempt = 0; attempt < 8 && k < 0; attempt++) {
        let best = -1;
        let bestCost = Number.POSITIVE_INFINITY;
        for (let c = 0; c < m; c++) {
          if (done[c] || rejected[c] === s || a[c * m + c] === 0) continue;
          const cost = ((cntR[c] as number) - 1) * ((cntC[c] as number) - 1);
          if (cost < bestCost) {
            bestCost = cost;
            best = c;
          }
        }
        if (best < 0) return false;
        let colMax = 0;
        for (let t = 0; t < (colLen[best] as number); t++) {
          const i = colIdx[best * m + t] as number;
          if (!done[i]) colMax = Math.max(colMax, Math.abs(a[i * m + best] as number));
        }
        const pivot = Math.abs(a[best * m + best] as number);
        if (pivot >= threshold * colMax && Number.isFinite(pivot)) k = best;
        else rejected[best] = s;
      }
      if (k < 0) return false;
      const kRow = k * m;
      const pivot = a[kRow + k] as number;
      lPtr[s] = lTotal;
      for (let t = 0; t < (colLen[k] as number); t++) {
        const i = colIdx[k * m + t] as number;
        if (done[i] || i === k) continue;
        a[i * m + k] = (a[i * m + k] as number) / pivot;
        lIdx[lTotal++] = i;
      }
      uPtr[s] = uTotal;
      for (let t = 0; t < (rowLen[k] as number); t++) {
        const j = rowIdx[kRow + t] as number;
        if (done[j] || j === k) continue;
        uIdx[uTotal++] = j;
      }
      const u0 = uPtr[s] as number;
      for (let p = lPtr[s] as number; p < lTotal; p++) {
        const i = lIdx[p] as number;
        const iRow = i * m;
        const l = a[iRow + k] as number;
        for (let q = u0; q < uTotal; q++) {
          const j = uIdx[q] as number;
          const pos = iRow + j;
          a[pos] = (a[pos] as number) - l * (a[kRow + j] as number);
          if (!present[pos]) {
            present[pos] = 1;
            rowIdx[iRow + (rowLen[i] as number)] = j;
            rowLen[i] = (rowLen[i] as number) + 1;
            colIdx[j * m + (colLen[j] as number)] = i;
            colLen[j] = (colLen[j] as number) + 1;
            cntR[i] = (cntR[i] as number) + 1;
            cntC[j] = (cntC[j] as number) + 1;
          }
        }
        cntR[i] = (cntR[i] as number) - 1;
      }
      for (let q = u0; q < uTotal; q++) {
        const j = uIdx[q] as number;
        cntC[j] = (cntC[j] as number) - 1;
      }
      done[k] = 1;
      order[s] = k;
    }
    lPtr[m] = lTotal;
    uPtr[m] = uTotal;
    return true;
  }

  /** Solves A x = b in place with the last factorisation. */
  solve(b: Float64Array): void {
    const { m, a, order, lPtr, uPtr, lIdx, uIdx } = this;
    for (let s = 0; s < m; s++) {
      const k = order[s] as number;
      const bk = b[k] as number;
      if (bk === 0) continue;
      for (let p = lPtr[s] as number; p < (lPtr[s + 1] as number); p++) {
        const i = lIdx[p] as number;
        b[i] = (b[i] as number) - (a[i * m + k] as number) * bk;
      }
    }
    for (let s = m - 1; s >= 0; s--) {
      const k = order[s] as number;
      const kRow = k * m;
      let sum = b[k] as number;
      for (let q = uPtr[s] as number; q < (uPtr[s + 1] as number); q++) {
        const j = uIdx[q] as number;
        sum -= (a[kRow + j] as number) * (b[j] as number);
      }
      b[k] = sum / (a[kRow + k] as number);
    }
  }
}

/**
 * A fill-reducing pivot order for diagonal pivots: minimum degree on the symmetrised pattern (eliminate the node with
 * fewest neighbours, join its neighbours). `pattern[i·m + j]` is nonzero where the matrix may hold a nonzero entry.
 */
export function minimumDegreeOrder(m: number, pattern: Uint8Array): Int32Array {
  const adjacent = new Uint8Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i !== j && (pattern[i * m + j] || pattern[j * m + i])) adjacent[i * m + j] = 1;
    }
  }
  const degree = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    let d = 0;
    for (let j = 0; j < m; j++) d += adjacent[i * m + j] as number;
    degree[i] = d;
  }
  const done = new Uint8Array(m);
  const order = new Int32Array(m);
  const neighbours = new Int32Array(m);
  for (let s = 0; s < m; s++) {
    let k = -1;
    for (let i = 0; i < m; i++) if (!done[i] && (k < 0 || (degree[i] as number) < (degree[k] as number))) k = i;
    order[s] = k;
    done[k] = 1;
    let count = 0;
    for (let j = 0; j < m; j++) if (!done[j] && adjacent[k * m + j]) neighbours[count++] = j;
    for (let x = 0; x < count; x++) {
      const i = neighbours[x] as number;
      degree[i] = (degree[i] as number) - 1;
      for (let y = 0; y < count; y++) {
        const j = neighbours[y] as number;
        if (i !== j && !adjacent[i * m + j]) {
          adjacent[i * m + j] = 1;
          degree[i] = (degree[i] as number) + 1;
        }
      }
    }
  }
  return order;
}

/** Appends the runs of consecutive indices of an ascending list to `runs`, as start and end (exclusive) pairs. */
function pushRuns(sorted: readonly number[], runs: number[]): void {
  for (let t = 0; t < sorted.length; t++) {
    const i = sorted[t] as number;
    if (t > 0 && i === (sorted[t - 1] as number) + 1) runs[runs.length - 1] = i + 1;
    else runs.push(i, i + 1);
  }
}

/**
 * LU factorisation with diagonal pivots in an order fixed once per sparsity pattern (by default minimum degree on
 * the symmetrised pattern): the symbolic work — ordering, fill, the index lists of every elimination step — is done
 * in the constructor, and each numeric factorisation only moves numbers along them. Matrices are dense row-major m×m
 * arrays of which only the pattern and its fill are read or written.
 *
 * The index lists are runs of consecutive rows and columns. Labelled in pivot order (`order` 0, 1, 2, …: the caller
 * relabels its unknowns by `minimumDegreeOrder` first, as the Schur system does), the Newton systems' matrices —
 * dense blocks per commodity, coupled by a few inputs — have about one run per step, and the loops run over
 * contiguous memory without an index per entry. Any other order is equally correct, only slower.
 *
 * For the Newton systems of the market model this is safe: the reduced matrix is a weighted graph Laplacian (trade)
 * plus positive semidefinite terms (producers, demand, barriers) and small asymmetries (tariffs, export taxes), for
 * which diagonal pivots are stable. Each pivot is still checked (a threshold test, see `factor`), and `factor`
 * returns false where one fails, so the caller can fall back to pivoting by rows.
 */
export class StaticLU {
  readonly m: number;
  /** Pivot order: step s eliminates row and column order[s]. */
  readonly order: Int32Array;
  /** Positions (i·m + j) of the pattern and its fill, to be cleared before assembling a new matrix (`clear`). */
  readonly positions: Int32Array;
  // The same by rows, in runs.
  private readonly pPtr: Int32Array;
  private readonly pRuns: Int32Array;
  /** Multiply–adds of one numeric factorisation (for diagnostics and benchmarks). */
  readonly work: number;
  // Per step s: runs of the rows below the pivot (lRuns from lPtr[s] to lPtr[s + 1]) and of the columns right of it
  // (uRuns), in the filled pattern.
  private readonly lPtr: Int32Array;
  private readonly lRuns: Int32Array;
  private readonly uPtr: Int32Array;
  private readonly uRuns: Int32Array;
  // Per step s: runs of the columns of L in the pivot's row (forward substitution by rows).
  private readonly fPtr: Int32Array;
  private readonly fRuns: Int32Array;
  // The matrix's own entries (pattern, not fill) by rows in runs, kept for the refinement step of `solve`.
  private readonly ePtr: Int32Array;
  private readonly eRuns: Int32Array;
  private readonly entries: Float64Array;
  private readonly rhs: Float64Array;
  private readonly correction: Float64Array;
  private a: Float64Array = new Float64Array(0);
  private refinable = false;

  /**
   * `pattern[i·m + j]` is nonzero where the matrix may hold a nonzero entry; the diagonal is always included.
   * `order`: the pivot order (default: minimumDegreeOrder of the pattern).
   */
  constructor(m: number, pattern: Uint8Array, order?: Int32Array) {
    this.m = m;
    this.order = order ?? minimumDegreeOrder(m, pattern);
    const step = new Int32Array(m);
    for (let s = 0; s < m; s++) step[this.order[s] as number] = s;
    // Symbolic factorisation in that order (unsymmetric pattern: fill where row i meets column j through pivot k).
    const filled = new Uint8Array(m * m);
    for (let i = 0; i < m * m; i++) filled[i] = pattern[i] ? 1 : 0;
    for (let i = 0; i < m; i++) filled[i * m + i] = 1;
    const done = new Uint8Array(m);
    const lPtr = new Int32Array(m + 1);
    const uPtr = new Int32Array(m + 1);
    const lRuns: number[] = [];
    const uRuns: number[] = [];
    let work = 0;
    for (let s = 0; s < m; s++) {
      const k = this.order[s] as number;
      done[k] = 1;
      const rowsBelow: number[] = [];
      const colsRight: number[] = [];
      for (let i = 0; i < m; i++) if (!done[i] && filled[i * m + k]) rowsBelow.push(i);
      for (let j = 0; j < m; j++) if (!done[j] && filled[k * m + j]) colsRight.push(j);
      for (const i of rowsBelow) for (const j of colsRight) filled[i * m + j] = 1;
      work += rowsBelow.length * colsRight.length;
      pushRuns(rowsBelow, lRuns);
      pushRuns(colsRight, uRuns);
      lPtr[s + 1] = lRuns.length;
      uPtr[s + 1] = uRuns.length;
    }
    this.work = work;
    // L by rows: in row k, the columns pivoted before k.
    const fPtr = new Int32Array(m + 1);
    const fRuns: number[] = [];
    for (let s = 0; s < m; s++) {
      const k = this.order[s] as number;
      const cols: number[] = [];
      for (let j = 0; j < m; j++) if (filled[k * m + j] && (step[j] as number) < s) cols.push(j);
      pushRuns(cols, fRuns);
      fPtr[s + 1] = fRuns.length;
    }
    const positions: number[] = [];
    for (let i = 0; i < m * m; i++) if (filled[i]) positions.push(i);
    this.positions = Int32Array.from(positions);
    const pPtr = new Int32Array(m + 1);
    const pRuns: number[] = [];
    for (let i = 0; i < m; i++) {
      const cols: number[] = [];
      for (let j = 0; j < m; j++) if (filled[i * m + j]) cols.push(j);
      pushRuns(cols, pRuns);
      pPtr[i + 1] = pRuns.length;
    }
    this.pPtr = pPtr;
    this.pRuns = Int32Array.from(pRuns);
    const ePtr = new Int32Array(m + 1);
    const eRuns: number[] = [];
    let entries = 0;
    for (let i = 0; i < m; i++) {
      const cols: number[] = [];
      for (let j = 0; j < m; j++) if (pattern[i * m + j] || i === j) cols.push(j);
      entries += cols.length;
      pushRuns(cols, eRuns);
      ePtr[i + 1] = eRuns.length;
    }
    this.entries = new Float64Array(entries);
    this.rhs = new Float64Array(m);
    this.correction = new Float64Array(m);
    this.lPtr = lPtr;
    this.uPtr = uPtr;
    this.lRuns = Int32Array.from(lRuns);
    this.uRuns = Int32Array.from(uRuns);
    this.fPtr = fPtr;
    this.fRuns = Int32Array.from(fRuns);
    this.ePtr = ePtr;
    this.eRuns = Int32Array.from(eRuns);
  }

  /** Zeroes the pattern and its fill in `a` (`positions`), before a new matrix is assembled there. */
  clear(a: Float64Array): void {
    const { m, pPtr, pRuns } = this;
    for (let i = 0; i < m; i++) {
      const row = i * m;
      for (let r = pPtr[i] as number; r < (pPtr[i + 1] as number); r += 2) {
        const end = row + (pRuns[r + 1] as number);
        for (let at = row + (pRuns[r] as number); at < end; at++) a[at] = 0;
      }
    }
  }

  /**
   * Factors `a` in place (only the pattern's positions are used). Returns false if a pivot is zero or not finite,
   * or fails the threshold test against a row i it eliminates from: |a_ik · a_ki| <= |a_kk · a_ii| / threshold, so
   * that the update of a_ii is at most 1 / threshold of it. The test is unchanged by any scaling of rows and columns
   * (the market model's rows and columns are each in their own units: tonnes, prices, rents). `a` is then partly
   * overwritten. `refinable`: keep a copy of A for the refinement step of `solve` (without it, `solve` does not
   * refine).
   */
  factor(a: Float64Array, threshold = 0.01, refinable = true): boolean {
    const { m, order, lPtr, lRuns, uPtr, uRuns, ePtr, eRuns, entries } = this;
    this.a = a;
    this.refinable = refinable;
    let p = 0;
    for (let i = 0; refinable && i < m; i++) {
      const row = i * m;
      for (let r = ePtr[i] as number; r < (ePtr[i + 1] as number); r += 2) {
        const end = row + (eRuns[r + 1] as number);
        for (let at = row + (eRuns[r] as number); at < end; at++) entries[p++] = a[at] as number;
      }
    }
    for (let s = 0; s < m; s++) {
      const k = order[s] as number;
      const kRow = k * m;
      const pivot = a[kRow + k] as number;
      if (pivot === 0 || !Number.isFinite(pivot)) return false;
      const bound = Math.abs(pivot) / threshold;
      const l0 = lPtr[s] as number;
      const l1 = lPtr[s + 1] as number;
      for (let r = l0; r < l1; r += 2) {
        const end = lRuns[r + 1] as number;
        for (let i = lRuns[r] as number; i < end; i++) {
          if (
            !(Math.abs((a[i * m + k] as number) * (a[kRow + i] as number)) <= bound * Math.abs(a[i * m + i] as number))
          )
            return false;
        }
      }
      const inv = 1 / pivot;
      const u0 = uPtr[s] as number;
      const u1 = uPtr[s + 1] as number;
      for (let r = l0; r < l1; r += 2) {
        const end = lRuns[r + 1] as number;
        let i = lRuns[r] as number;
        // Two rows at a time (each entry of the pivot row read once for both), then the last one if odd. A row
        // whose multiplier is 0 is left as it is (as the one-row loop leaves it).
        for (; i + 1 < end; i += 2) {
          const iRow = i * m;
          const l = (a[iRow + k] as number) * inv;
          const l2 = (a[iRow + m + k] as number) * inv;
          a[iRow + k] = l;
          a[iRow + m + k] = l2;
          if (l === 0 || l2 === 0) {
            const one = l === 0 ? l2 : l;
            if (one === 0) continue;
            const shift = (l === 0 ? iRow + m : iRow) - kRow;
            for (let q = u0; q < u1; q += 2) {
              const stop = kRow + (uRuns[q + 1] as number);
              for (let at = kRow + (uRuns[q] as number); at < stop; at++) {
                a[at + shift] = (a[at + shift] as number) - one * (a[at] as number);
              }
            }
            continue;
          }
          const shift = iRow - kRow;
          const shift2 = shift + m;
          for (let q = u0; q < u1; q += 2) {
            const stop = kRow + (uRuns[q + 1] as number);
            for (let at = kRow + (uRuns[q] as number); at < stop; at++) {
              const pivotRow = a[at] as number;
              a[at + shift] = (a[at + shift] as number) - l * pivotRow;
              a[at + shift2] = (a[at + shift2] as number) - l2 * pivotRow;
            }
          }
        }
        if (i < end) {
          const iRow = i * m;
          const l = (a[iRow + k] as number) * inv;
          a[iRow + k] = l;
          if (l === 0) continue;
          const shift = iRow - kRow;
          for (let q = u0; q < u1; q += 2) {
            const stop = kRow + (uRuns[q + 1] as number);
            for (let at = kRow + (uRuns[q] as number); at < stop; at++) {
              a[at + shift] = (a[at + shift] as number) - l * (a[at] as number);
            }
          }
        }
      }
    }
    return true;
  }

  /**
   * Solves A x = b in place with the last factorisation; with `refine`, one step of iterative refinement against A
   * (r = b − A x, x += A⁻¹ r): the Newton systems of an interior-point method near its end span many orders of
   * magnitude, and diagonal pivots then leave digits that one step recovers. (Only after a `refinable` factorisation.)
   */
  solve(b: Float64Array, refine = false): void {
    if (!refine || !this.refinable) {
      this.substitute(b);
      return;
    }
    const { m, ePtr, eRuns, entries, rhs, correction } = this;
    for (let i = 0; i < m; i++) rhs[i] = b[i] as number;
    this.substitute(b);
    let p = 0;
    for (let i = 0; i < m; i++) {
      let sum = rhs[i] as number;
      for (let r = ePtr[i] as number; r < (ePtr[i + 1] as number); r += 2) {
        const end = eRuns[r + 1] as number;
        for (let j = eRuns[r] as number; j < end; j++) sum -= (entries[p++] as number) * (b[j] as number);
      }
      correction[i] = sum;
    }
    this.substitute(correction);
    for (let i = 0; i < m; i++) b[i] = (b[i] as number) + (correction[i] as number);
  }

  private substitute(b: Float64Array): void {
    const { m, a, order, fPtr, fRuns, uPtr, uRuns } = this;
    for (let s = 0; s < m; s++) {
      const k = order[s] as number;
      const kRow = k * m;
      let sum = b[k] as number;
      for (let r = fPtr[s] as number; r < (fPtr[s + 1] as number); r += 2) {
        const end = fRuns[r + 1] as number;
        for (let j = fRuns[r] as number; j < end; j++) sum -= (a[kRow + j] as number) * (b[j] as number);
      }
      b[k] = sum;
    }
    for (let s = m - 1; s >= 0; s--) {
      const k = order[s] as number;
      const kRow = k * m;
      let sum = b[k] as number;
      for (let r = uPtr[s] as number; r < (uPtr[s + 1] as number); r += 2) {
        const end = uRuns[r + 1] as number;
        for (let j = uRuns[r] as number; j < end; j++) sum -= (a[kRow + j] as number) * (b[j] as number);
      }
      b[k] = sum / (a[kRow + k] as number);
    }
  }
}
