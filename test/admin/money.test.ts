import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateByKey } from '../../src/admin/allocation.ts';
import { isIsoDate } from '../../src/admin/dates.ts';
import {
  divide,
  dollarsToCents,
  formatCents,
  formatQuantity,
  formatRatio,
  MoneyError,
  multiplyCents,
  parseDecimal,
  parseQuantity,
  type Rounding,
  ratioOf,
} from '../../src/admin/money.ts';

describe('money: integer cents with named rounding', () => {
  it('rounds each strategy as named, on both signs', () => {
    // 5/2 = 2.5, 7/2 = 3.5, 7/3 = 2.33.., 8/3 = 2.66..
    const table: [bigint, bigint, Rounding, bigint][] = [
      [5n, 2n, 'half-up', 3n],
      [-5n, 2n, 'half-up', -3n],
      [5n, 2n, 'half-even', 2n],
      [7n, 2n, 'half-even', 4n],
      [-5n, 2n, 'half-even', -2n],
      [7n, 3n, 'half-up', 2n],
      [8n, 3n, 'half-up', 3n],
      [7n, 3n, 'down', 2n],
      [-7n, 3n, 'down', -2n],
      [7n, 3n, 'up', 3n],
      [-7n, 3n, 'up', -3n],
      [-7n, 3n, 'floor', -3n],
      [-7n, 3n, 'ceiling', -2n],
      [7n, 3n, 'ceiling', 3n],
      [7n, -3n, 'floor', -3n],
      [6n, 3n, 'up', 2n],
    ];
    for (const [n, d, r, want] of table) expect(divide(n, d, r), `${n}/${d} ${r}`).toBe(want);
    expect(() => divide(1n, 0n, 'down')).toThrow(MoneyError);
  });

  it('reads decimals exactly: 0.1 is one tenth, not a binary approximation', () => {
    expect(parseDecimal('0.1')).toEqual({ num: 1n, den: 10n });
    expect(parseDecimal('-12.50')).toEqual({ num: -25n, den: 2n });
    expect(parseDecimal('1e3')).toEqual({ num: 1000n, den: 1n });
    expect(parseDecimal('2.5E-2')).toEqual({ num: 1n, den: 40n });
    expect(() => parseDecimal('1,5')).toThrow(MoneyError);
    expect(() => parseDecimal('')).toThrow(MoneyError);
    // 0.1 + 0.2 in dollars is 30 cents, exactly.
    expect(dollarsToCents(0.1, 'half-up') + dollarsToCents(0.2, 'half-up')).toBe(30n);
    expect(dollarsToCents('1234.565', 'half-up')).toBe(123457n);
    expect(dollarsToCents('1234.565', 'half-even')).toBe(123456n);
    expect(multiplyCents(1999n, parseDecimal('0.055'), 'half-up')).toBe(110n); // 109.945 -> 110
  });

  it('formats cents and quantities', () => {
    expect(formatCents(123456n)).toBe('1234.56');
    expect(formatCents(-5n)).toBe('-0.05');
    expect(formatCents(0n)).toBe('0.00');
    expect(parseQuantity('12.5')).toBe(12_500_000n);
    expect(formatQuantity(12_500_000n)).toBe('12.5');
    expect(formatQuantity(1n)).toBe('0.000001');
    expect(() => parseQuantity('0.0000001')).toThrow(/more than six decimals/);
    expect(parseQuantity('1000000000000')).toBe(10n ** 18n);
    expect(() => parseQuantity('1e308')).toThrow(
      /^'1e308' is beyond the largest quantity the ledger takes \(1e12 units\)$/,
    );
    expect(formatRatio({ num: 17n, den: 50n })).toBe('0.34');
    expect(formatRatio({ num: 3n, den: 1n })).toBe('3');
    expect(formatRatio({ num: -1n, den: 8n })).toBe('-0.125');
  });

  it('property: formatting and parsing money and quantities round-trips without drift', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (cents) => {
        expect(dollarsToCents(formatCents(cents), 'down')).toBe(cents);
        expect(parseQuantity(formatQuantity(cents))).toBe(cents);
      }),
    );
  });

  it('property: half-up rounding is within half a unit and symmetric', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 6n }),
        (n, d) => {
          const q = divide(n, d, 'half-up');
          const error = q * d - n;
          expect(2n * (error < 0n ? -error : error) <= d).toBe(true);
          expect(divide(-n, d, 'half-up')).toBe(-q);
          expect(divide(n, d, 'floor') <= divide(n, d, 'ceiling')).toBe(true);
        },
      ),
    );
  });

  it('dates: real calendar days only', () => {
    expect(isIsoDate('2026-02-28')).toBe(true);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2026-13-01')).toBe(false);
    expect(isIsoDate('2026-1-01')).toBe(false);
  });
});

describe('allocation of a collective release', () => {
  it('splits by the key with the largest remainder, ties by member code', () => {
    // 100 by 1:1:1 -> 33.33 each; one unit left goes to the first code.
    expect(allocateByKey(100n, { USA: 1, JPN: 1, EU27: 1 }).map((s) => [s.member, s.amount])).toEqual([
      ['EU27', 34n],
      ['JPN', 33n],
      ['USA', 33n],
    ]);
    // 10 by 0.5:0.3:0.2 is exact.
    expect(allocateByKey(10n, { A: 0.5, B: 0.3, C: 0.2 }).map((s) => s.amount)).toEqual([5n, 3n, 2n]);
    // 7 by 2:1 -> 4.67 and 2.33: A gets the unit left.
    expect(allocateByKey(7n, { A: 2, B: 1 }).map((s) => s.amount)).toEqual([5n, 2n]);
    // A zero weight gets nothing.
    expect(allocateByKey(5n, { A: 0, B: 3 }).map((s) => s.amount)).toEqual([0n, 5n]);
  });

  it('reports each share exactly, even for weights near the largest double', () => {
    const huge = allocateByKey(10n, { USA: 1e308, JPN: 1e308 });
    expect(huge.map((s) => [s.amount, s.share])).toEqual([
      [5n, 0.5],
      [5n, 0.5],
    ]);
    expect(allocateByKey(3n, { A: 2, B: 1 }).map((s) => s.share)).toEqual(
      [2 / 3, 1 / 3].map((x) => Math.floor(x * 1e15) / 1e15),
    );
  });

  it('refuses a key it cannot use', () => {
    expect(() => allocateByKey(5n, {})).toThrow(/no member/);
    expect(() => allocateByKey(5n, { A: 0 })).toThrow(/every weight/);
    expect(() => allocateByKey(5n, { A: -1 })).toThrow(/non-negative/);
    expect(() => allocateByKey(-5n, { A: 1 })).toThrow(/negative/);
  });

  it('tiny (subnormal) weights split exactly, as the decimals they are written as: 4e-323 : 7.4e-323 = 40 : 74', () => {
    const shares = allocateByKey(352n, { AAA: 4e-323, AAB: 7.4e-323 });
    // 352 × 40/114 = 123.51…, 352 × 74/114 = 228.49…: the larger remainder (AAA's) takes the unit left over.
    expect(shares.map((s) => s.amount)).toEqual([124n, 228n]);
  });

  it('property: the shares sum to the total exactly, each within one unit of its exact quota', () => {
    const key = fc.dictionary(
      fc.stringMatching(/^[A-Z]{3}$/),
      fc.oneof(fc.double({ min: 0, max: 1e12, noNaN: true }), fc.integer({ min: 0, max: 10 ** 9 })),
      { minKeys: 1, maxKeys: 30 },
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n }), key, (total, weights) => {
        fc.pre(Object.values(weights).some((w) => w > 0));
        const shares = allocateByKey(total, weights);
        expect(shares.reduce((s, x) => s + x.amount, 0n)).toBe(total);
        // The exact quota of each member, in integers: total × w / Σw with every weight as an exact ratio over a
        // common denominator (floats lose the quota for tiny or subnormal weights; the allocation must not).
        const ratios = Object.fromEntries(Object.entries(weights).map(([m, w]) => [m, ratioOf(w)]));
        const den = Object.values(ratios).reduce((d, r) => (d * r.den) / gcd(d, r.den), 1n);
        const scaled = Object.fromEntries(Object.entries(ratios).map(([m, r]) => [m, (r.num * den) / r.den]));
        const sum = Object.values(scaled).reduce((t, w) => t + w, 0n);
        for (const s of shares) {
          expect(s.amount >= 0n).toBe(true);
          // |amount − total·w/Σw| ≤ 1  ⇔  |amount·Σw − total·w| ≤ Σw.
          const gap = s.amount * sum - total * (scaled[s.member] as bigint);
          expect(gap <= sum && -gap <= sum).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('property: the split does not depend on the order of the key', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        fc.uniqueArray(fc.tuple(fc.stringMatching(/^[A-Z]{3}$/), fc.integer({ min: 1, max: 1000 })), {
          minLength: 1,
          maxLength: 10,
          selector: (t) => t[0],
        }),
        (total, pairs) => {
          const a = allocateByKey(total, Object.fromEntries(pairs));
          const b = allocateByKey(total, Object.fromEntries([...pairs].reverse()));
          expect(a).toEqual(b);
        },
      ),
    );
  });
});

function gcd(a: bigint, b: bigint): bigint {
  let x = a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}
