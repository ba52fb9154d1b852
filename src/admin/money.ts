/**
 * Money and exact quantities for the secretariat's ledger. Amounts are integer minor units (USD cents) held as
 * bigint; every division names its rounding, so that a duty computed twice, or by two members, is the same cent.
 * Rates, prices and quantities read from text or data are exact decimal fractions (`Ratio`), never binary floats.
 */

/** An amount in US cents. */
export type Cents = bigint;

/** An exact fraction num / den (den > 0). */
export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

/**
 * How a fraction of a minor unit is resolved: `half-up` (ties away from zero, the customs convention), `half-even`
 * (banker's rounding), `down` (toward zero), `up` (away from zero), `floor`, `ceiling`.
 */
export type Rounding = 'half-up' | 'half-even' | 'down' | 'up' | 'floor' | 'ceiling';

export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Parses a decimal number ("12.5", "-0.034", "1e3") into an exact ratio. */
export function parseDecimal(text: string): Ratio {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new MoneyError(`'${text}' is not a decimal number`);
  const [, sign, whole, fraction = '', exponentText] = m;
  const exponent = Number(exponentText ?? 0) - fraction.length;
  // Every finite double is within ±400 decimal places; beyond that the text is not a number we deal in.
  if (Math.abs(exponent) > 400) throw new MoneyError(`'${text}' is out of range`);
  let num = BigInt(`${whole}${fraction}`);
  if (sign === '-') num = -num;
  return exponent >= 0
    ? { num: num * 10n ** BigInt(exponent), den: 1n }
    : reduce({ num, den: 10n ** BigInt(-exponent) });
}

/** The exact value of a finite JS number, read through its shortest decimal representation (0.1 is 1/10). */
export function ratioOf(value: number): Ratio {
  if (!Number.isFinite(value)) throw new MoneyError(`${value} is not a finite number`);
  return parseDecimal(String(value));
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function reduce(r: Ratio): Ratio {
  if (r.den === 0n) throw new MoneyError('division by zero');
  const sign = r.den < 0n ? -1n : 1n;
  const g = gcd(r.num, r.den) || 1n;
  return { num: (sign * r.num) / g, den: (sign * r.den) / g };
}

export function multiplyRatios(...factors: readonly Ratio[]): Ratio {
  return reduce(factors.reduce((p, f) => ({ num: p.num * f.num, den: p.den * f.den }), { num: 1n, den: 1n }));
}

/** num / den as an integer, with the given rounding. */
export function divide(num: bigint, den: bigint, rounding: Rounding): bigint {
  if (den === 0n) throw new MoneyError('division by zero');
  if (den < 0n) return divide(-num, -den, rounding);
  const q = num / den; // truncates toward zero
  const r = num % den;
  if (r === 0n) return q;
  const negative = num < 0n;
  const awayFromZero = negative ? q - 1n : q + 1n;
  const twice = (r < 0n ? -r : r) * 2n;
  switch (rounding) {
    case 'down':
      return q;
    case 'up':
      return awayFromZero;
    case 'floor':
      return negative ? q - 1n : q;
    case 'ceiling':
      return negative ? q : q + 1n;
    case 'half-up':
      return twice >= den ? awayFromZero : q;
    case 'half-even':
      if (twice > den) return awayFromZero;
      if (twice < den) return q;
      return q % 2n === 0n ? q : awayFromZero;
  }
}

/**
 * A number computed in binary from decimal data, as shown: to the 15 significant digits a double holds faithfully
 * (any decimal of 15 digits or fewer comes back from a double as written). The digits past them are the noise of the
 * arithmetic (6800.000000000001 for a sum of the data's 6800), not information. For display only: the rules compute
 * on the numbers as they are.
 */
export function shownNumber(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(15)) : x;
}

/** A ratio as the shortest exact decimal text when it has one ("0.34"), else to 12 significant digits. */
export function formatRatio(r: Ratio): string {
  const { num, den } = reduce(r);
  let d = den;
  let twos = 0;
  let fives = 0;
  while (d % 2n === 0n) {
    d /= 2n;
    twos++;
  }
  while (d % 5n === 0n) {
    d /= 5n;
    fives++;
  }
  if (d !== 1n) return String(Number(num) / Number(den));
  const places = Math.max(twos, fives);
  const scaled = (num * 10n ** BigInt(places)) / den;
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places);
  const fraction = digits.slice(digits.length - places).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A ratio rounded to an integer. */
export function roundRatio(r: Ratio, rounding: Rounding): bigint {
  return divide(r.num, r.den, rounding);
}

/** cents × factor, rounded to the cent. */
export function multiplyCents(amount: Cents, factor: Ratio, rounding: Rounding): Cents {
  return divide(amount * factor.num, factor.den, rounding);
}

/** Dollars (a decimal number or text) to cents, rounded to the cent. */
export function dollarsToCents(dollars: number | string, rounding: Rounding): Cents {
  const r = typeof dollars === 'number' ? ratioOf(dollars) : parseDecimal(dollars);
  return divide(r.num * 100n, r.den, rounding);
}

/** "1234.56" for 123456n, "-0.05" for -5n. */
export function formatCents(amount: Cents): string {
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  return `${negative ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** A bigint as a JS number, refusing one that would lose precision (amounts leave the ledger only as safe integers). */
export function toSafeNumber(value: bigint, what = 'amount'): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new MoneyError(`${what} ${value} exceeds the safe integer range`);
  }
  return Number(value);
}

export function maxCents(a: Cents, b: Cents): Cents {
  return a > b ? a : b;
}

export function sumCents(amounts: Iterable<Cents>): Cents {
  let total = 0n;
  for (const a of amounts) total += a;
  return total;
}

/** Quantities in the ledger are integer millionths of the commodity's unit (a micro-tonne is a gram). */
export const QUANTITY_SCALE = 1_000_000n;

/** A decimal quantity ("12.5") to integer millionths; more than six decimals is an error, not a silent rounding. */
/**
 * The largest quantity the ledger takes: a thousand billion units (t or kg) is far beyond any year's world output of
 * any commodity here; a larger one is a typo, and would otherwise come back in messages hundreds of digits long.
 */
export const MAX_QUANTITY = 10n ** 12n;

export function parseQuantity(text: string): bigint {
  const r = parseDecimal(text);
  const scaled = r.num * QUANTITY_SCALE;
  if (scaled % r.den !== 0n) throw new MoneyError(`'${text}' has more than six decimals`);
  const micro = scaled / r.den;
  if (micro > MAX_QUANTITY * QUANTITY_SCALE || micro < -MAX_QUANTITY * QUANTITY_SCALE)
    throw new MoneyError(`'${text}' is beyond the largest quantity the ledger takes (1e12 units)`);
  return micro;
}

/** Integer millionths back to the shortest decimal text ("12.5"). */
export function formatQuantity(micro: bigint): string {
  const negative = micro < 0n;
  const abs = negative ? -micro : micro;
  const fraction = (abs % QUANTITY_SCALE).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${abs / QUANTITY_SCALE}${fraction ? `.${fraction}` : ''}`;
}
