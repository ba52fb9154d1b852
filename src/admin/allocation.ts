/**
 * Sharing a collective release (or any integer total) among members by a key, without losing or inventing a unit:
 * the largest-remainder method on exact integer arithmetic. Each member gets the floor of its exact quota; the
 * units left over go one each to the largest remainders, ties broken by member code so the split is reproducible.
 */
import { type Ratio, ratioOf } from './money.ts';

export interface AllocationShare {
  readonly member: string;
  readonly amount: bigint;
  /** The member's exact share of the key, as a decimal for display. */
  readonly share: number;
}

export class AllocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AllocationError';
  }
}

/** Shares for display are exact to 1e-15 (a double's precision). */
const SHARE_DIGITS = 10n ** 15n;

function lcm(a: bigint, b: bigint): bigint {
  let x = a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return (a / x) * b;
}

/**
 * Splits `total` (an integer count of the smallest unit: cents, grams) among the members of `key` in proportion to
 * their weights. Weights are non-negative and at least one is positive; the amounts always sum to `total` exactly.
 */
export function allocateByKey(total: bigint, key: Readonly<Record<string, number>>): AllocationShare[] {
  if (total < 0n) throw new AllocationError(`the total to allocate must not be negative, got ${total}`);
  const members = Object.keys(key).sort();
  if (members.length === 0) throw new AllocationError('the key names no member');
  const ratios = new Map<string, Ratio>();
  for (const m of members) {
    const w = key[m] as number;
    if (!Number.isFinite(w) || w < 0)
      throw new AllocationError(`weight of ${m} must be a non-negative number, got ${w}`);
    ratios.set(m, ratioOf(w));
  }
  // Bring the exact weights to integers over a common denominator.
  const den = [...ratios.values()].reduce((d, r) => lcm(d, r.den), 1n);
  const weights = new Map(members.map((m) => [m, ((ratios.get(m) as Ratio).num * den) / (ratios.get(m) as Ratio).den]));
  const sum = [...weights.values()].reduce((s, w) => s + w, 0n);
  if (sum === 0n) throw new AllocationError('every weight of the key is zero');
  const floors = members.map((m) => {
    const exact = total * (weights.get(m) as bigint);
    return { member: m, amount: exact / sum, remainder: exact % sum };
  });
  let left = total - floors.reduce((s, f) => s + f.amount, 0n);
  const order = [...floors].sort((a, b) =>
    a.remainder === b.remainder ? (a.member < b.member ? -1 : 1) : a.remainder > b.remainder ? -1 : 1,
  );
  for (const f of order) {
    if (left === 0n) break;
    if (f.remainder === 0n) continue;
    f.amount += 1n;
    left -= 1n;
  }
  return floors.map((f) => ({
    member: f.member,
    amount: f.amount,
    // Through integers: weights near the largest double would overflow Number(sum) to Infinity and every share to 0.
    share: Number(((weights.get(f.member) as bigint) * SHARE_DIGITS) / sum) / Number(SHARE_DIGITS),
  }));
}
