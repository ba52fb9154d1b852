/** Random streams by (seed, draw, label), and the triangular distribution the data's ranges are drawn from. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drawStream, triangular } from '../../src/ensemble/stream.ts';

const take = (s: { next(): number }, n: number) => Array.from({ length: n }, () => s.next());

describe('drawStream', () => {
  it('depends only on (seed, index, label): the same triple gives the same numbers, any other triple others', () => {
    const a = take(drawStream(42, 7, 'parameters'), 20);
    expect(take(drawStream(42, 7, 'parameters'), 20)).toEqual(a);
    // Streams of other draws are not shifted copies of this one.
    for (const other of [drawStream(42, 8, 'parameters'), drawStream(43, 7, 'parameters'), drawStream(42, 7, 'x')]) {
      const b = take(other, 20);
      expect(b).not.toEqual(a);
      expect(b.filter((x) => a.includes(x))).toEqual([]);
    }
  });

  it('gives numbers in [0, 1) with the mean and spread of a uniform', () => {
    const xs = take(drawStream(1, 0, 'uniformity'), 100_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    // Standard error of the mean: sqrt(1/12 / 1e5) ≈ 0.0009; five of them.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.0046);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
    // Ten equal bins hold about a tenth each (chi-square with 9 degrees of freedom, far below its 0.1% point 27.9).
    const bins = new Array(10).fill(0);
    for (const x of xs) bins[Math.floor(x * 10)]++;
    const chi2 = bins.reduce((s, b) => s + (b - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(27.9);
  });

  it('first numbers of consecutive draws are uncorrelated', () => {
    const xs = Array.from({ length: 20_000 }, (_, i) => drawStream(5, i, 'p').next());
    let c = 0;
    for (let i = 1; i < xs.length; i++) c += ((xs[i] as number) - 0.5) * ((xs[i - 1] as number) - 0.5);
    const r = c / (xs.length - 1) / (1 / 12);
    expect(Math.abs(r)).toBeLessThan(0.03);
  });
});

describe('triangular', () => {
  it('has exact values at its ends and its mode', () => {
    expect(triangular(1, 2, 4, 0)).toBe(1);
    expect(triangular(1, 2, 4, 1)).toBe(4);
    // F(mode) = (mode − low) / (high − low) = 1/3.
    expect(triangular(1, 2, 4, 1 / 3)).toBeCloseTo(2, 12);
    // Below the mode: low + sqrt(u (b − a)(c − a)) = 1 + sqrt(0.25 · 3 · 1) = 1 + sqrt(0.75).
    expect(triangular(1, 2, 4, 0.25)).toBeCloseTo(1 + Math.sqrt(0.75), 12);
    // Above: high − sqrt((1 − u)(b − a)(b − c)) = 4 − sqrt(0.5 · 3 · 2) = 4 − sqrt(3).
    expect(triangular(1, 2, 4, 0.5)).toBeCloseTo(4 - Math.sqrt(3), 12);
  });

  it('returns the mode for a degenerate range, and clamps a mode outside the range', () => {
    expect(triangular(3, 3, 3, 0.7)).toBe(3);
    expect(triangular(0, 5, 4, 1)).toBe(4);
  });

  it('is monotone in u and stays within [low, high]', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (low, at, width, u, v) => {
          const high = low + width;
          const mode = low + at * width;
          const [a, b] = [triangular(low, mode, high, Math.min(u, v)), triangular(low, mode, high, Math.max(u, v))];
          return a <= b + 1e-9 * width && a >= low - 1e-9 * width && b <= high + 1e-9 * width;
        },
      ),
    );
  });

  it('has the triangular distribution’s mean (low + mode + high) / 3 over a stream', () => {
    const s = drawStream(9, 0, 'triangular');
    const n = 50_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += triangular(-0.6, -0.3, -0.1, s.next());
    // Standard deviation of this triangular: sqrt((a²+b²+c²−ab−ac−bc)/18) ≈ 0.1027; standard error ≈ 0.00046.
    expect(sum / n).toBeCloseTo((-0.6 - 0.3 - 0.1) / 3, 2);
  });
});
