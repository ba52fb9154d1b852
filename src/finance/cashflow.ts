/**
 * Discounted cash flow arithmetic: net present value, internal rate of return and break-even prices. Pure functions
 * over plain arrays; flow t falls at the end of year t counted from the valuation date (flow 0 is undiscounted).
 *
 * The IRR is the part with traps: a flow that never changes sign has no IRR, and a flow that changes sign more than
 * once may have several. `internalRate` finds every rate in (−99%, 10 000%) at which the NPV crosses zero and says
 * which case it met, rather than returning whatever root a Newton iteration happens to reach.
 */

/** Net present value at `rate` of flows[t] falling at the end of year t (t = 0 undiscounted). */
export function npv(rate: number, flows: readonly number[]): number {
  if (!(rate > -1)) throw new RangeError(`discount rate must be above -100%, got ${rate}`);
  const d = 1 / (1 + rate);
  // Horner's rule in the discount factor: fewer roundings than summing powers.
  let value = 0;
  for (let t = flows.length - 1; t >= 0; t--) value = value * d + (flows[t] as number);
  return value;
}

/** The outcome of looking for an internal rate of return; `rate` exists only when exactly one was found. */
export type InternalRate =
  | { readonly kind: 'unique'; readonly rate: number }
  | { readonly kind: 'none'; readonly reason: string }
  | { readonly kind: 'multiple'; readonly rates: readonly number[] };

/** Sign changes in the sequence, zeros skipped: by Descartes' rule, an upper bound on the number of IRRs. */
export function signChanges(flows: readonly number[]): number {
  let changes = 0;
  let last = 0;
  for (const f of flows) {
    if (f === 0) continue;
    if (last !== 0 && Math.sign(f) !== last) changes++;
    last = Math.sign(f);
  }
  return changes;
}

/** Share of the largest cash flow below which a flow counts as zero (internalRate). */
const NEGLIGIBLE_FLOW = 1e-9;
const LOWEST_RATE = -0.99;
const HIGHEST_RATE = 100;

/**
 * Every internal rate of return in (−99%, 10 000%). The NPV is scanned on a grid in log(1 + r) fine enough to
 * separate roots of cash flows a project register produces, and each bracketed root is refined by bisection to
 * 1e-12; a root where the NPV touches zero without crossing (a double root) is found as a dip of |NPV| to zero
 * between grid points. A flow with no sign change has no IRR (all costs, all gains, or all zero); with one sign change Descartes'
 * rule guarantees at most one root; with more there may be several, each reported.
 */
export function internalRate(given: readonly number[]): InternalRate {
  // A flow a billionth of the largest is rounding left by sums of prices and quantities (0.0000001 USD beside
  // millions spent), not a receipt: counted, it would turn a project that never pays back into one with an IRR.
  const largest = given.reduce((m, f) => Math.max(m, Math.abs(f)), 0);
  const flows = given.map((f) => (Math.abs(f) <= NEGLIGIBLE_FLOW * largest ? 0 : f));
  const changes = signChanges(flows);
  if (changes === 0) {
    const total = flows.reduce((s, f) => s + f, 0);
    return {
      kind: 'none',
      reason:
        total > 0
          ? 'the cash flows never turn negative: no investment to earn a return on'
          : total < 0
            ? 'the cash flows never turn positive: the investment is never paid back'
            : 'every cash flow is zero',
    };
  }
  const f = (x: number) => npv(Math.expm1(x), flows);
  const lo = Math.log1p(LOWEST_RATE);
  const hi = Math.log1p(HIGHEST_RATE);
  const steps = 4000;
  const roots: number[] = [];
  // How large the discounted flows are at a rate: what a residual of the NPV is measured against.
  const magnitudes = flows.map((c) => Math.abs(c));
  const size = (x: number) => npv(Math.expm1(x), magnitudes);
  const xs = Array.from({ length: steps + 1 }, (_, i) => lo + ((hi - lo) * i) / steps);
  const fs = xs.map(f);
  for (let i = 1; i <= steps; i++) {
    const xPrev = xs[i - 1] as number;
    const fPrev = fs[i - 1] as number;
    const x = xs[i] as number;
    const fx = fs[i] as number;
    const fNext = fs[i + 1];
    if (fPrev === 0) {
      roots.push(Math.expm1(xPrev));
    } else if (fx !== 0 && Math.sign(fx) !== Math.sign(fPrev)) {
      roots.push(Math.expm1(bisect(f, xPrev, x, fPrev)));
    } else if (
      // A root where the NPV only touches zero (a double root) shows as a deep dip of |NPV| between grid points.
      fNext !== undefined &&
      fx !== 0 &&
      Math.sign(fNext) === Math.sign(fx) &&
      Math.abs(fx) < Math.abs(fPrev) &&
      Math.abs(fx) <= Math.abs(fNext) &&
      Math.abs(fx) <= 1e-4 * size(x)
    ) {
      const at = touch((y) => Math.abs(f(y)), xPrev, xs[i + 1] as number);
      if (Math.abs(f(at)) <= 1e-10 * size(at)) roots.push(Math.expm1(at));
    }
  }
  if (roots.length === 0) {
    return {
      kind: 'none',
      reason:
        changes === 1
          ? 'the NPV keeps one sign at every rate from -99% to 10,000%'
          : 'the cash flows change sign more than once and the NPV never reaches zero',
    };
  }
  if (roots.length === 1) return { kind: 'unique', rate: roots[0] as number };
  return { kind: 'multiple', rates: roots };
}

/** Golden-section search for the minimum of a unimodal function on [a, b]. */
function touch(g: (x: number) => number, a: number, b: number): number {
  const phi = (Math.sqrt(5) - 1) / 2;
  let lo = a;
  let hi = b;
  for (let i = 0; i < 200 && hi - lo > 1e-13; i++) {
    const c = hi - phi * (hi - lo);
    const d = lo + phi * (hi - lo);
    if (g(c) < g(d)) hi = d;
    else lo = c;
  }
  return (lo + hi) / 2;
}

function bisect(f: (x: number) => number, a: number, b: number, fa: number): number {
  let lo = a;
  let hi = b;
  let flo = fa;
  for (let i = 0; i < 200 && hi - lo > 1e-13; i++) {
    const mid = (lo + hi) / 2;
    const fm = f(mid);
    if (fm === 0) return mid;
    if (Math.sign(fm) === Math.sign(flo)) {
      lo = mid;
      flo = fm;
    } else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The rate a caller can print: the unique IRR, else null. */
export function rateOrNull(r: InternalRate): number | null {
  return r.kind === 'unique' ? r.rate : null;
}

/** A rate as a percentage to one decimal; a root a rounding below zero is 0.0%, not -0.0%. */
export function percent(rate: number): string {
  const text = (rate * 100).toFixed(1);
  return `${/^-0\.0$/.test(text) ? '0.0' : text}%`;
}

/** Words for an IRR outcome, for tables and JSON notes. */
export function describeRate(r: InternalRate): string {
  if (r.kind === 'unique') return percent(r.rate);
  if (r.kind === 'multiple') return `several: ${r.rates.map(percent).join(', ')} (sign changes more than once)`;
  return `none (${r.reason})`;
}

/**
 * The lowest x in [lo, hi] at which an increasing function reaches zero (bisection to a relative 1e-12), or null
 * when it is still negative at `hi`. Used for break-even prices: a project's NPV rises with the price it sells at.
 */
export function lowestRoot(f: (x: number) => number, lo: number, hi: number): number | null {
  if (f(lo) >= 0) return lo;
  let b = hi;
  while (f(b) < 0) {
    if (b > hi * 1e6) return null;
    b *= 4;
  }
  let a = lo;
  for (let i = 0; i < 300 && b - a > 1e-12 * Math.abs(b); i++) {
    const mid = (a + b) / 2;
    if (f(mid) >= 0) b = mid;
    else a = mid;
  }
  return b;
}
