/**
 * Scratch arrays for the solvers. A typed array longer than a few elements lives in its own off-heap buffer, and
 * allocating one costs microseconds (and pressure on the collector) — as much as an iteration of Newton's method on a
 * small chain — so the solvers borrow their workspace here and give it back when done. Borrowed arrays come zeroed.
 * Nothing borrowed may escape the solver that borrowed it: results are copied into fresh arrays.
 */

const floats = new Map<number, Float64Array[]>();
const ints = new Map<number, Int32Array[]>();
const bytes = new Map<number, Uint8Array[]>();

/** Most arrays kept per length, and most lengths kept (beyond that, arrays are left to the collector). */
const KEEP = 16;
const LENGTHS = 256;

function take<T extends Float64Array | Int32Array | Uint8Array>(
  pool: Map<number, T[]>,
  n: number,
  make: (n: number) => T,
): T {
  const a = pool.get(n)?.pop();
  if (!a) return make(n);
  a.fill(0);
  return a;
}

function give<T extends Float64Array | Int32Array | Uint8Array>(pool: Map<number, T[]>, arrays: readonly T[]): void {
  for (const a of arrays) {
    let list = pool.get(a.length);
    if (!list) {
      list = [];
      pool.set(a.length, list);
      if (pool.size > LENGTHS) pool.delete(pool.keys().next().value as number);
    }
    if (list.length < KEEP) list.push(a);
  }
}

export function borrowFloats(n: number): Float64Array {
  return take(floats, n, (k) => new Float64Array(k));
}
export function borrowInts(n: number): Int32Array {
  return take(ints, n, (k) => new Int32Array(k));
}
export function borrowBytes(n: number): Uint8Array {
  return take(bytes, n, (k) => new Uint8Array(k));
}
export function returnFloats(...arrays: Float64Array[]): void {
  give(floats, arrays);
}
export function returnInts(...arrays: Int32Array[]): void {
  give(ints, arrays);
}
export function returnBytes(...arrays: Uint8Array[]): void {
  give(bytes, arrays);
}

/**
 * Several Float64Arrays of the given lengths as views of one buffer: one allocation instead of many, for arrays
 * that live and die together (a model's numbers).
 */
export function carveFloats(lengths: readonly number[]): Float64Array[] {
  let total = 0;
  for (const n of lengths) total += n;
  const all = new Float64Array(total);
  const out: Float64Array[] = [];
  let at = 0;
  for (const n of lengths) {
    out.push(all.subarray(at, at + n));
    at += n;
  }
  return out;
}

/**
 * `a` if it holds at least `n` elements, else a fresh zeroed array of its kind at least twice as long (amortised
 * growth): for scratch arrays a solver keeps between its calls, where it runs to its end before it runs again.
 */
export function atLeast<T extends Float64Array | Int32Array | Uint8Array>(a: T, n: number): T {
  if (a.length >= n) return a;
  return new (a.constructor as new (length: number) => T)(Math.max(n, 2 * a.length));
}
