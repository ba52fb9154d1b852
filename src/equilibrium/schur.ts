/**
 * The Newton systems of the interior-point method, (diag(da) + diag(db)·J) Δ = rhs for a Jacobian J with a fixed
 * sparsity pattern, reduced by a Schur complement to the variables that are not eliminated. An eliminated variable
 * has a condition that depends on no other eliminated variable (in the market model: outputs, flows and stock moves
 * depend only on prices and rents), so its row is its pivot plus entries on kept columns and it is eliminated
 * exactly:
 *
 *   S = A_KK − A_KE D⁻¹ A_EK,   S Δ_K = rhs_K − A_KE D⁻¹ rhs_E,   Δ_e = (rhs_e − A_eK Δ_K) / D_e.
 *
 * The structure (which entry goes where, and the pivot order and fill of S) is worked out once per pattern; each
 * factorisation then only moves numbers. Kept variables are labelled in the pivot order of S, so that its LU runs
 * over contiguous rows and columns, and eliminated ones are grouped by their number of entries (one, two or three
 * each way: outputs, flows, flows with a rent or limit), so that their loops have a fixed width. S is small (prices, rents and origin limits) and sparse (a commodity's
 * markets, coupled by input coefficients): it is factored by sparse LU with diagonal pivots in an order fixed once
 * (StaticLU, each solve refined by one step against S), falling back to Markowitz's rule or to dense partial
 * pivoting if a pivot fails its threshold test. `solve` serves any number of right-hand sides with one
 * factorisation.
 */
import { luFactor, luSolveFactored, MarkowitzLU, minimumDegreeOrder, StaticLU } from './linalg.ts';
import type { JacobianPattern } from './mcp.ts';

/** The reduced system of each Jacobian pattern with no fixed variables: its symbolic work is done once. */
const systems = new WeakMap<JacobianPattern, SchurSystem>();

/**
 * The Schur system of a problem's pattern, shared by every solve of that pattern (its symbolic analysis is reused;
 * its numeric workspace is overwritten by each factorisation, so one solve at a time uses it). With `fixed`
 * variables (a working set) a new one is built.
 */
export function schurSystemFor(
  n: number,
  pattern: JacobianPattern,
  eliminate: Uint8Array,
  fixed?: Uint8Array,
  blocks?: Int32Array,
): SchurSystem {
  if (fixed) return new SchurSystem(n, pattern, eliminate, fixed, blocks);
  let system = systems.get(pattern);
  if (!system) {
    system = new SchurSystem(n, pattern, eliminate, undefined, blocks);
    systems.set(pattern, system);
  }
  return system;
}

/**
 * The pattern of the reduced matrix S over the m kept variables (numbered by `keptIndex`, −1 for the others): the
 * diagonal, entries between kept variables, and the updates of every elimination (kept row r, kept column c, both
 * linked to one eliminated variable).
 */
function reducedPattern(
  m: number,
  keptIndex: Int32Array,
  pattern: JacobianPattern,
  elim: Uint8Array,
  fixed: Uint8Array | undefined,
): Uint8Array {
  const { rows, cols } = pattern;
  const n = keptIndex.length;
  const shape = new Uint8Array(m * m);
  for (let k = 0; k < m; k++) shape[k * m + k] = 1;
  // Per eliminated variable: the kept rows of its column and the kept columns of its row (lists by counting).
  const intoStart = new Int32Array(n + 1);
  const outStart = new Int32Array(n + 1);
  const kind = (r: number, c: number) => {
    if (fixed?.[r] || fixed?.[c]) return 0;
    const kr = keptIndex[r] as number;
    const kc = keptIndex[c] as number;
    return kr >= 0 && kc >= 0 ? 1 : kr >= 0 && elim[c] ? 2 : kc >= 0 && elim[r] ? 3 : 0;
  };
  for (let t = 0; t < rows.length; t++) {
    const r = rows[t] as number;
    const c = cols[t] as number;
    const k = kind(r, c);
    if (k === 1) shape[(keptIndex[r] as number) * m + (keptIndex[c] as number)] = 1;
    else if (k === 2) intoStart[c + 1] = (intoStart[c + 1] as number) + 1;
    else if (k === 3) outStart[r + 1] = (outStart[r + 1] as number) + 1;
  }
  for (let i = 0; i < n; i++) {
    intoStart[i + 1] = (intoStart[i + 1] as number) + (intoStart[i] as number);
    outStart[i + 1] = (outStart[i + 1] as number) + (outStart[i] as number);
  }
  const into = new Int32Array(intoStart[n] as number);
  const outOf = new Int32Array(outStart[n] as number);
  const intoFill = intoStart.slice(0, n);
  const outFill = outStart.slice(0, n);
  for (let t = 0; t < rows.length; t++) {
    const r = rows[t] as number;
    const c = cols[t] as number;
    const k = kind(r, c);
    if (k === 2) {
      into[intoFill[c] as number] = keptIndex[r] as number;
      intoFill[c] = (intoFill[c] as number) + 1;
    } else if (k === 3) {
      outOf[outFill[r] as number] = keptIndex[c] as number;
      outFill[r] = (outFill[r] as number) + 1;
    }
  }
  for (let e = 0; e < n; e++) {
    for (let a = intoStart[e] as number; a < (intoStart[e + 1] as number); a++) {
      const base = (into[a] as number) * m;
      for (let b = outStart[e] as number; b < (outStart[e + 1] as number); b++) shape[base + (outOf[b] as number)] = 1;
    }
  }
  return shape;
}

export class SchurSystem {
  readonly n: number;
  /** Number of kept variables (the order of the dense reduced matrix). */
  readonly m: number;
  private readonly kept: Int32Array;
  private readonly elim: Uint8Array;
  private readonly eliminated: Int32Array;
  // Entries on the diagonal of eliminated rows: slot, and the row's place in `eliminated`.
  private readonly diagSlot: Int32Array;
  private readonly diagRow: Int32Array;
  /** Per place in `eliminated`, its one diagonal slot (−1 for none), if none has more than one. */
  private readonly diagOne: Int32Array | undefined;
  // Entries between kept variables: slot, row, and position in the dense matrix.
  private readonly kkSlot: Int32Array;
  private readonly kkRow: Int32Array;
  private readonly kkPos: Int32Array;
  // Eliminated rows on kept columns (CSR over eliminated rows) and kept rows on eliminated columns (CSC), both by the
  // eliminated variable's place in `eliminated`.
  private readonly rowPtr: Int32Array;
  private readonly rowCol: Int32Array;
  private readonly rowSlot: Int32Array;
  private readonly colPtr: Int32Array;
  private readonly colRow: Int32Array;
  private readonly colSlot: Int32Array;
  private readonly colRowVar: Int32Array;
  private readonly rowVal: Float64Array;
  /** The eliminated columns' entries divided by their pivots (A_KE D⁻¹). */
  private readonly colVal: Float64Array;
  private readonly pivot: Float64Array;
  private refine = true;
  private readonly invPivot: Float64Array;
  private readonly dense: Float64Array;
  private readonly perm: Int32Array;
  private readonly work: Float64Array;
  private readonly sparse = new MarkowitzLU();
  private readonly staticLU: StaticLU;
  /**
   * Ends of the groups of `eliminated` with one, two and three entries on kept rows and as many on kept columns
   * (groups[1], [2], [3]; groups[0] = 0), and of the others (groups[4]).
   */
  private readonly groups: Int32Array;
  /** How the last factorisation was done: 0 dense partial pivoting, 1 Markowitz, 2 static pattern. */
  private method = 0;

  /** `fixed` variables (held constant, Δ = 0) are left out of the system altogether. */
  constructor(n: number, pattern: JacobianPattern, eliminate: Uint8Array, fixed?: Uint8Array, blocks?: Int32Array) {
    this.n = n;
    const { rows, cols } = pattern;
    const nnz = rows.length;
    const elim = Uint8Array.from(eliminate.subarray(0, n));
    const keptIndex = new Int32Array(n).fill(-1);
    const kept: number[] = [];
    const eliminated: number[] = [];
    for (let i = 0; i < n; i++) {
      if (fixed?.[i]) elim[i] = 0;
      else if (elim[i]) eliminated.push(i);
      else kept.push(i);
    }
    // Kept variables grouped by block (a commodity's prices with its origin rents and quota rents), then relabelled
    // in the pivot order of the reduced matrix's LU (minimum degree on its pattern): the factor's loops then run over
    // contiguous rows and columns (see StaticLU).
    if (blocks) kept.sort((a, b) => (blocks[a] as number) - (blocks[b] as number) || a - b);
    kept.forEach((i, k) => {
      keptIndex[i] = k;
    });
    const blockShape = reducedPattern(kept.length, keptIndex, pattern, elim, fixed);
    const pivotOrder = minimumDegreeOrder(kept.length, blockShape);
    const relabelled = Array.from(pivotOrder, (k) => kept[k] as number);
    kept.length = 0;
    kept.push(...relabelled);
    kept.forEach((i, k) => {
      keptIndex[i] = k;
    });
    const m = kept.length;
    this.m = m;
    this.kept = Int32Array.from(kept);
    this.elim = elim;
    const diagSlot: number[] = [];
    const diagRow: number[] = [];
    const kkSlot: number[] = [];
    const kkRow: number[] = [];
    const kkPos: number[] = [];
    // Eliminated variables grouped by their number of entries on kept rows and columns, for loops of a fixed width:
    // one and one (a producer's output or a stock move on its market), two and two (a flow between two markets),
    // three and three (with an origin limit or a quota, or from a market with its own rent), then any other.
    const rowsOf = new Int32Array(n);
    const colsOf = new Int32Array(n);
    for (let t = 0; t < nnz; t++) {
      const r = rows[t] as number;
      const c = cols[t] as number;
      if (fixed?.[r] || fixed?.[c]) continue;
      if (elim[r] && !elim[c]) rowsOf[r] = (rowsOf[r] as number) + 1;
      else if (elim[c] && !elim[r]) colsOf[c] = (colsOf[c] as number) + 1;
    }
    const widthOf = (e: number) =>
      rowsOf[e] === colsOf[e] && (rowsOf[e] as number) >= 1 && (rowsOf[e] as number) <= 3 ? (rowsOf[e] as number) : 4;
    eliminated.sort((a, b) => widthOf(a) - widthOf(b) || a - b);
    const groups = new Int32Array(5);
    for (const e of eliminated) groups[widthOf(e)] = (groups[widthOf(e)] as number) + 1;
    for (let g = 1; g < 5; g++) groups[g] = (groups[g] as number) + (groups[g - 1] as number);
    this.groups = groups;
    this.eliminated = Int32Array.from(eliminated);
    const place = new Int32Array(n).fill(-1);
    eliminated.forEach((e, k) => {
      place[e] = k;
    });
    const ne = eliminated.length;
    const rowCount = new Int32Array(ne + 1);
    const colCount = new Int32Array(ne + 1);
    const out = (i: number) => fixed?.[i] === 1;
    for (let t = 0; t < nnz; t++) {
      const r = rows[t] as number;
      const c = cols[t] as number;
      if (out(r) || out(c)) continue;
      if (elim[r] && elim[c]) {
        if (r !== c) throw new Error(`internal: eliminated variable ${r} depends on eliminated variable ${c}`);
        diagSlot.push(t);
        diagRow.push(place[r] as number);
      } else if (elim[r]) rowCount[(place[r] as number) + 1] = (rowCount[(place[r] as number) + 1] as number) + 1;
      else if (elim[c]) colCount[(place[c] as number) + 1] = (colCount[(place[c] as number) + 1] as number) + 1;
      else {
        kkSlot.push(t);
        kkRow.push(r);
        kkPos.push((keptIndex[r] as number) * m + (keptIndex[c] as number));
      }
    }
    for (let k = 0; k < ne; k++) {
      rowCount[k + 1] = (rowCount[k + 1] as number) + (rowCount[k] as number);
      colCount[k + 1] = (colCount[k + 1] as number) + (colCount[k] as number);
    }
    this.rowPtr = rowCount;
    this.colPtr = colCount;
    this.rowCol = new Int32Array(rowCount[ne] as number);
    this.rowSlot = new Int32Array(rowCount[ne] as number);
    this.colRow = new Int32Array(colCount[ne] as number);
    this.colRowVar = new Int32Array(colCount[ne] as number);
    this.colSlot = new Int32Array(colCount[ne] as number);
    const rowFill = rowCount.slice(0, ne);
    const colFill = colCount.slice(0, ne);
    for (let t = 0; t < nnz; t++) {
      const r = rows[t] as number;
      const c = cols[t] as number;
      if (out(r) || out(c)) continue;
      if (elim[r] && !elim[c]) {
        const k = place[r] as number;
        const p = rowFill[k] as number;
        rowFill[k] = p + 1;
        this.rowCol[p] = keptIndex[c] as number;
        this.rowSlot[p] = t;
      } else if (!elim[r] && elim[c]) {
        const k = place[c] as number;
        const p = colFill[k] as number;
        colFill[k] = p + 1;
        this.colRow[p] = keptIndex[r] as number;
        this.colRowVar[p] = r;
        this.colSlot[p] = t;
      }
    }
    this.diagSlot = Int32Array.from(diagSlot);
    this.diagRow = Int32Array.from(diagRow);
    const one = new Int32Array(ne).fill(-1);
    let repeated = false;
    diagRow.forEach((k, a) => {
      if ((one[k] as number) >= 0) repeated = true;
      one[k] = diagSlot[a] as number;
    });
    this.diagOne = repeated ? undefined : one;
    this.kkSlot = Int32Array.from(kkSlot);
    this.kkRow = Int32Array.from(kkRow);
    this.kkPos = Int32Array.from(kkPos);
    this.rowVal = new Float64Array(this.rowCol.length);
    this.colVal = new Float64Array(this.colRow.length);
    this.pivot = new Float64Array(ne);
    this.invPivot = new Float64Array(ne);
    this.dense = new Float64Array(m * m);
    this.perm = new Int32Array(m);
    this.work = new Float64Array(m);
    const natural = Int32Array.from({ length: m }, (_, k) => k);
    // The pattern of S in the new labels: entry (s, t) is the block-ordered entry (pivotOrder[s], pivotOrder[t]).
    const shape = new Uint8Array(m * m);
    for (let a = 0; a < m; a++) {
      const row = (pivotOrder[a] as number) * m;
      for (let b = 0; b < m; b++) shape[a * m + b] = blockShape[row + (pivotOrder[b] as number)] as number;
    }
    this.staticLU = new StaticLU(m, shape, natural);
  }

  /**
   * Assembles and factors diag(da) + diag(db)·J (db = 1 when absent) from the Jacobian's values at the pattern's
   * slots, with `shift` added to the diagonal of the reduced matrix. Returns false if an eliminated pivot is zero
   * or not finite, or the reduced matrix is singular. `refinable`: false where no solve of this factorisation will
   * ask for refinement (its `refine` is then ignored), which saves keeping a copy of S.
   */
  factor(values: Float64Array, da: Float64Array, db?: Float64Array, shift = 0, refinable = true): boolean {
    const { m, dense } = this;
    this.staticLU.clear(dense);
    if (!this.assemble(values, da, db, shift)) return false;
    if (m === 0) return true;
    if (this.staticLU.factor(dense, undefined, refinable)) {
      this.method = 2;
      return true;
    }
    // A pivot failed its test: sparse elimination with pivots chosen as it goes where the reduced matrix is sparse,
    // dense partial pivoting otherwise or if no diagonal pivot is safe.
    dense.fill(0);
    this.assemble(values, da, db, shift);
    let nonzeros = 0;
    for (let i = 0; i < m * m; i++) if (dense[i] !== 0) nonzeros++;
    this.method = 0;
    if (m >= 24 && nonzeros <= 0.3 * m * m) {
      if (this.copy.length < m * m) this.copy = new Float64Array(m * m);
      const copy = this.copy;
      copy.set(dense.subarray(0, m * m));
      if (this.sparse.factor(dense, m)) {
        this.method = 1;
        return true;
      }
      dense.set(copy.subarray(0, m * m));
    }
    return luFactor(dense, m, this.perm);
  }

  /** Writes S into `dense` (cleared by the caller on the pattern) and the pivots of eliminated rows. */
  private assemble(values: Float64Array, da: Float64Array, db: Float64Array | undefined, shift: number): boolean {
    const { m, kept, eliminated, pivot, invPivot, dense, rowPtr, rowSlot, colPtr, colSlot } = this;
    const { rowVal, colVal, colRowVar, kkSlot, kkPos, kkRow, diagSlot, diagRow } = this;
    for (let k = 0; k < m; k++) dense[k * m + k] = (da[kept[k] as number] as number) + shift;
    for (let a = 0; a < kkSlot.length; a++) {
      const v = values[kkSlot[a] as number] as number;
      const pos = kkPos[a] as number;
      dense[pos] = (dense[pos] as number) + (db ? (db[kkRow[a] as number] as number) * v : v);
    }
    const ne = eliminated.length;
    const { diagOne } = this;
    if (!db && diagOne) {
      // No row scaling and at most one diagonal entry per eliminated row: pivot, its test and its inverse, and the
      // column divided by it, in one loop.
      for (let k = 0; k < ne; k++) {
        const slot = diagOne[k] as number;
        const p = (da[eliminated[k] as number] as number) + (slot >= 0 ? (values[slot] as number) : 0);
        if (p === 0 || !Number.isFinite(p)) return false;
        const inv = 1 / p;
        invPivot[k] = inv;
        const c1 = colPtr[k + 1] as number;
        for (let a = colPtr[k] as number; a < c1; a++) colVal[a] = (values[colSlot[a] as number] as number) * inv;
      }
      const entries = rowPtr[ne] as number;
      for (let b = 0; b < entries; b++) rowVal[b] = values[rowSlot[b] as number] as number;
      return this.update();
    }
    for (let k = 0; k < ne; k++) pivot[k] = da[eliminated[k] as number] as number;
    for (let a = 0; a < diagSlot.length; a++) {
      const k = diagRow[a] as number;
      const v = values[diagSlot[a] as number] as number;
      pivot[k] = (pivot[k] as number) + (db ? (db[eliminated[k] as number] as number) * v : v);
    }
    for (let k = 0; k < ne; k++) {
      const p = pivot[k] as number;
      if (p === 0 || !Number.isFinite(p)) return false;
      invPivot[k] = 1 / p;
    }
    if (db) {
      for (let k = 0; k < ne; k++) {
        const scaleRow = db[eliminated[k] as number] as number;
        const inv = invPivot[k] as number;
        for (let b = rowPtr[k] as number; b < (rowPtr[k + 1] as number); b++)
          rowVal[b] = scaleRow * (values[rowSlot[b] as number] as number);
        for (let a = colPtr[k] as number; a < (colPtr[k + 1] as number); a++)
          colVal[a] = (db[colRowVar[a] as number] as number) * (values[colSlot[a] as number] as number) * inv;
      }
    } else {
      // The interior-point method's systems have no row scaling (db): loops without it. Within a group of width W,
      // eliminated variable k has its entries at W·k + offset, the same on rows and columns.
      const entries = rowPtr[ne] as number;
      for (let b = 0; b < entries; b++) rowVal[b] = values[rowSlot[b] as number] as number;
      for (let k = 0; k < ne; k++) {
        const inv = invPivot[k] as number;
        for (let a = colPtr[k] as number; a < (colPtr[k + 1] as number); a++)
          colVal[a] = (values[colSlot[a] as number] as number) * inv;
      }
    }
    return this.update();
  }

  /** S −= (A_KE D⁻¹) A_EK, entry by entry (a zero column entry adds nothing, whatever its row holds). */
  private update(): boolean {
    const { m, eliminated, dense, rowPtr, rowCol, colPtr, colRow, rowVal, colVal, groups } = this;
    const ne = eliminated.length;
    for (let k = 0, b = 0; k < (groups[1] as number); k++, b++) {
      const w = colVal[b] as number;
      if (w === 0) continue;
      const pos = (colRow[b] as number) * m + (rowCol[b] as number);
      dense[pos] = (dense[pos] as number) - w * (rowVal[b] as number);
    }
    for (let k = groups[1] as number, b = rowPtr[k] as number; k < (groups[2] as number); k++, b += 2) {
      const r0 = rowVal[b] as number;
      const r1 = rowVal[b + 1] as number;
      const j0 = rowCol[b] as number;
      const j1 = rowCol[b + 1] as number;
      for (let a = b; a < b + 2; a++) {
        const w = colVal[a] as number;
        if (w === 0) continue;
        const base = (colRow[a] as number) * m;
        dense[base + j0] = (dense[base + j0] as number) - w * r0;
        dense[base + j1] = (dense[base + j1] as number) - w * r1;
      }
    }
    for (let k = groups[2] as number, b = rowPtr[k] as number; k < (groups[3] as number); k++, b += 3) {
      const r0 = rowVal[b] as number;
      const r1 = rowVal[b + 1] as number;
      const r2 = rowVal[b + 2] as number;
      const j0 = rowCol[b] as number;
      const j1 = rowCol[b + 1] as number;
      const j2 = rowCol[b + 2] as number;
      for (let a = b; a < b + 3; a++) {
        const w = colVal[a] as number;
        if (w === 0) continue;
        const base = (colRow[a] as number) * m;
        dense[base + j0] = (dense[base + j0] as number) - w * r0;
        dense[base + j1] = (dense[base + j1] as number) - w * r1;
        dense[base + j2] = (dense[base + j2] as number) - w * r2;
      }
    }
    for (let k = groups[3] as number; k < ne; k++) {
      const r0 = rowPtr[k] as number;
      const r1 = rowPtr[k + 1] as number;
      for (let a = colPtr[k] as number; a < (colPtr[k + 1] as number); a++) {
        const w = colVal[a] as number;
        if (w === 0) continue;
        const base = (colRow[a] as number) * m;
        for (let b = r0; b < r1; b++) {
          const pos = base + (rowCol[b] as number);
          dense[pos] = (dense[pos] as number) - w * (rowVal[b] as number);
        }
      }
    }
    return true;
  }

  private copy = new Float64Array(0);

  /**
   * Solves the factored system for `rhs` into `out` (both of length n, distinct). `refine`: one step of iterative
   * refinement on the reduced system where it was factored on the static pattern (see StaticLU.solve). (Refining on
   * the whole system instead does worse near the end of an interior-point method: its residual, summed over entries
   * many orders of magnitude apart, is mostly rounding.)
   */
  solve(rhs: Float64Array, out: Float64Array, refine = true): void {
    this.refine = refine;
    this.substitute(rhs, out);
  }

  private substitute(rhs: Float64Array, out: Float64Array): void {
    const { m, kept, eliminated, invPivot, rowPtr, rowCol, rowVal, colPtr, colRow, colVal, work, groups } = this;
    const ne = eliminated.length;
    const g1 = groups[1] as number;
    const g2 = groups[2] as number;
    const g3 = groups[3] as number;
    for (let k = 0; k < m; k++) work[k] = rhs[kept[k] as number] as number;
    // work = rhs_K − (A_KE D⁻¹) rhs_E, by groups of a fixed width (see `groups`).
    for (let k = 0; k < g1; k++) {
      const r = colRow[k] as number;
      work[r] = (work[r] as number) - (colVal[k] as number) * (rhs[eliminated[k] as number] as number);
    }
    for (let k = g1, a = colPtr[g1] as number; k < g2; k++, a += 2) {
      const re = rhs[eliminated[k] as number] as number;
      const r0 = colRow[a] as number;
      work[r0] = (work[r0] as number) - (colVal[a] as number) * re;
      const r1 = colRow[a + 1] as number;
      work[r1] = (work[r1] as number) - (colVal[a + 1] as number) * re;
    }
    for (let k = g2, a = colPtr[g2] as number; k < g3; k++, a += 3) {
      const re = rhs[eliminated[k] as number] as number;
      const r0 = colRow[a] as number;
      work[r0] = (work[r0] as number) - (colVal[a] as number) * re;
      const r1 = colRow[a + 1] as number;
      work[r1] = (work[r1] as number) - (colVal[a + 1] as number) * re;
      const r2 = colRow[a + 2] as number;
      work[r2] = (work[r2] as number) - (colVal[a + 2] as number) * re;
    }
    for (let k = g3; k < ne; k++) {
      const re = rhs[eliminated[k] as number] as number;
      if (re === 0) continue;
      const c1 = colPtr[k + 1] as number;
      for (let a = colPtr[k] as number; a < c1; a++) {
        const r = colRow[a] as number;
        work[r] = (work[r] as number) - (colVal[a] as number) * re;
      }
    }
    if (this.method === 2) this.staticLU.solve(work, this.refine);
    else if (this.method === 1) this.sparse.solve(work);
    else if (m > 0) luSolveFactored(this.dense, m, this.perm, work);
    for (let k = 0; k < m; k++) out[kept[k] as number] = work[k] as number;
    // Δ_e = (rhs_e − A_eK Δ_K) / D_e.
    for (let k = 0; k < g1; k++) {
      const e = eliminated[k] as number;
      out[e] =
        ((rhs[e] as number) - (rowVal[k] as number) * (work[rowCol[k] as number] as number)) * (invPivot[k] as number);
    }
    for (let k = g1, b = rowPtr[g1] as number; k < g2; k++, b += 2) {
      const e = eliminated[k] as number;
      out[e] =
        ((rhs[e] as number) -
          (rowVal[b] as number) * (work[rowCol[b] as number] as number) -
          (rowVal[b + 1] as number) * (work[rowCol[b + 1] as number] as number)) *
        (invPivot[k] as number);
    }
    for (let k = g2, b = rowPtr[g2] as number; k < g3; k++, b += 3) {
      const e = eliminated[k] as number;
      out[e] =
        ((rhs[e] as number) -
          (rowVal[b] as number) * (work[rowCol[b] as number] as number) -
          (rowVal[b + 1] as number) * (work[rowCol[b + 1] as number] as number) -
          (rowVal[b + 2] as number) * (work[rowCol[b + 2] as number] as number)) *
        (invPivot[k] as number);
    }
    for (let k = g3; k < ne; k++) {
      const e = eliminated[k] as number;
      let s = rhs[e] as number;
      const r1 = rowPtr[k + 1] as number;
      for (let b = rowPtr[k] as number; b < r1; b++) s -= (rowVal[b] as number) * (work[rowCol[b] as number] as number);
      out[e] = s * (invPivot[k] as number);
    }
  }

  /** Whether variable i is eliminated. */
  isEliminated(i: number): boolean {
    return this.elim[i] === 1;
  }
}
