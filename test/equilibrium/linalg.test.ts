/**
 * The sparse LU with a pivot order fixed once per pattern (StaticLU) against dense LU with partial pivoting, on
 * random sparse matrices of the kind the Newton systems produce (positive diagonal, a weighted graph Laplacian plus
 * small asymmetries), and the Schur-reduced system against a dense solve of the full system.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { luFactor, luSolveFactored, StaticLU } from '../../src/equilibrium/linalg.ts';
import { SchurSystem } from '../../src/equilibrium/schur.ts';
import { prng } from '../../src/random.ts';

/** A random m×m Newton-like matrix: Laplacian of a random graph with weights spread over `spread` decades. */
function laplacianLike(m: number, density: number, spread: number, asymmetry: number, seed: number) {
  const rand = prng(seed);
  const a = new Float64Array(m * m);
  const pattern = new Uint8Array(m * m);
  for (let i = 0; i < m; i++) {
    a[i * m + i] = 10 ** (spread * (rand() - 0.5)) * 1e-3;
    pattern[i * m + i] = 1;
  }
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      if (rand() > density) continue;
      const w = 10 ** (spread * (rand() - 0.5));
      const markup = 1 + asymmetry * rand();
      // Route i → j: the Schur update of a flow, −c rᵀ / D with c = (−1, +1), r = (markup, −1).
      a[i * m + i] = (a[i * m + i] as number) + markup * w;
      a[i * m + j] = (a[i * m + j] as number) - w;
      a[j * m + i] = (a[j * m + i] as number) - markup * w;
      a[j * m + j] = (a[j * m + j] as number) + w;
      pattern[i * m + j] = 1;
      pattern[j * m + i] = 1;
    }
  }
  // Rows in their own units (tonnes, rents): scale each row and column by factors far from 1.
  for (let i = 0; i < m; i++) {
    const r = 10 ** (6 * (rand() - 0.5));
    for (let j = 0; j < m; j++) a[i * m + j] = (a[i * m + j] as number) * r;
  }
  for (let j = 0; j < m; j++) {
    const c = 10 ** (6 * (rand() - 0.5));
    for (let i = 0; i < m; i++) a[i * m + j] = (a[i * m + j] as number) * c;
  }
  return { a, pattern };
}

function residualOf(a: Float64Array, m: number, x: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < m; i++) {
    let s = 0;
    let scale = Math.abs(b[i] as number);
    for (let j = 0; j < m; j++) {
      s += (a[i * m + j] as number) * (x[j] as number);
      scale = Math.max(scale, Math.abs((a[i * m + j] as number) * (x[j] as number)));
    }
    worst = Math.max(worst, Math.abs(s - (b[i] as number)) / scale);
  }
  return worst;
}

describe('StaticLU', () => {
  it('solves random sparse Newton-like systems as dense partial pivoting does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 8 }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.integer({ min: 1, max: 1e6 }),
        (m, density, spread, asymmetry, seed) => {
          const { a, pattern } = laplacianLike(m, density, spread, asymmetry, seed);
          const rand = prng(seed + 1);
          const b = Float64Array.from({ length: m }, () => rand() - 0.5);
          const lu = new StaticLU(m, pattern);
          const factored = Float64Array.from(a);
          expect(lu.factor(factored)).toBe(true);
          const x = Float64Array.from(b);
          lu.solve(x);
          const dense = Float64Array.from(a);
          const perm = new Int32Array(m);
          expect(luFactor(dense, m, perm)).toBe(true);
          const y = Float64Array.from(b);
          luSolveFactored(dense, m, perm, y);
          // Backward error (row by row, relative to the row's terms) at the level of rounding, or no worse than the
          // dense solve's where the matrix is so ill-conditioned that partial pivoting loses digits too.
          const rx = residualOf(a, m, x, b);
          const ry = residualOf(a, m, y, b);
          expect(rx).toBeLessThan(Math.max(1e-10, 10 * ry));
          // One step of refinement never makes it worse beyond rounding.
          const refined = Float64Array.from(b);
          lu.solve(refined, true);
          expect(residualOf(a, m, refined, b)).toBeLessThan(Math.max(1e-12, 2 * rx));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reuses one symbolic analysis for any values on the pattern, and touches nothing outside it', () => {
    const m = 12;
    const { a, pattern } = laplacianLike(m, 0.3, 4, 0.1, 7);
    const lu = new StaticLU(m, pattern);
    const filled = new Set(lu.positions);
    for (let i = 0; i < m * m; i++) if (pattern[i]) expect(filled.has(i)).toBe(true);
    for (const scale of [1, 1e-6, 3e8]) {
      const work = new Float64Array(m * m).fill(Number.NaN);
      for (const p of lu.positions) work[p] = (a[p] as number) * scale;
      expect(lu.factor(work)).toBe(true);
      const b = Float64Array.from({ length: m }, (_, i) => i - 5);
      const x = Float64Array.from(b);
      lu.solve(x);
      const scaled = Float64Array.from(a, (v) => v * scale);
      expect(residualOf(scaled, m, x, b)).toBeLessThan(1e-12);
    }
  });

  it('refuses a pivot that fails the threshold test (the caller then pivots by rows)', () => {
    // [[0, 1], [1, 0]]: no diagonal pivot at all; [[1e-9, 1], [1, 1]]: a tiny one.
    const pattern = Uint8Array.from([1, 1, 1, 1]);
    const lu = new StaticLU(2, pattern);
    expect(lu.factor(Float64Array.from([0, 1, 1, 0]))).toBe(false);
    expect(lu.factor(Float64Array.from([1e-9, 1, 1, 1]))).toBe(false);
    expect(lu.factor(Float64Array.from([2, 1, 1, 2]))).toBe(true);
  });
});

describe('SchurSystem', () => {
  it('the reduced solve equals a dense solve of the whole system, by whichever factorisation it takes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.boolean(),
        (kept, eliminated, seed, degenerate) => {
          // Kept variables (prices) 0..kept−1; each eliminated one (a flow) links two kept ones.
          const rand = prng(seed);
          const n = kept + eliminated;
          const rows: number[] = [];
          const cols: number[] = [];
          const vals: number[] = [];
          const entry = (r: number, c: number, v: number) => {
            rows.push(r);
            cols.push(c);
            vals.push(v);
          };
          for (let i = 0; i < kept; i++) entry(i, i, degenerate && i === 0 ? 0 : 0.5 + rand());
          for (let e = kept; e < n; e++) {
            const from = Math.floor(rand() * kept);
            const to = Math.floor(rand() * kept);
            entry(e, e, 10 ** (4 * (rand() - 0.5)));
            entry(e, from, 1 + 0.2 * rand());
            entry(e, to, -1);
            entry(from, e, -1);
            entry(to, e, 1);
          }
          const pattern = { rows: Int32Array.from(rows), cols: Int32Array.from(cols) };
          const values = Float64Array.from(vals);
          const eliminate = new Uint8Array(n);
          for (let e = kept; e < n; e++) eliminate[e] = 1;
          const d = Float64Array.from({ length: n }, () => 0.1 + rand());
          const system = new SchurSystem(n, pattern, eliminate);
          if (!system.factor(values, d)) return;
          const rhs = Float64Array.from({ length: n }, () => rand() - 0.5);
          const out = new Float64Array(n);
          system.solve(rhs, out);
          const dense = new Float64Array(n * n);
          for (let i = 0; i < n; i++) dense[i * n + i] = d[i] as number;
          for (let t = 0; t < rows.length; t++) {
            const p = (rows[t] as number) * n + (cols[t] as number);
            dense[p] = (dense[p] as number) + (vals[t] as number);
          }
          expect(residualOf(dense, n, out, rhs)).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 300 },
    );
  });
});
