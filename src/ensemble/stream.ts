/**
 * Random streams for ensemble draws. A draw's numbers depend only on (seed, draw index) and the stream's label:
 * the 128-bit state of a xoroshiro128+ generator (pure-rand) is the first 16 bytes of SHA-256 over the three,
 * never a position in a shared sequence. So draw 7 gets the same numbers whichever worker runs it, in whatever
 * order, and one risk's numbers do not move when another risk is added.
 */
import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

/** A source of uniform numbers in [0, 1). */
export interface Stream {
  next(): number;
}

const DOMAIN = 'lodestone-ensemble/1';

/** The stream labelled `label` of draw `index` under `seed`. */
export function drawStream(seed: number, index: number, label: string): Stream {
  const digest = createHash('sha256').update(`${DOMAIN}\u0000${seed}\u0000${index}\u0000${label}`).digest();
  const state: number[] = [digest.readInt32BE(0), digest.readInt32BE(4), digest.readInt32BE(8), digest.readInt32BE(12)];
  // xoroshiro128+ must not start from the all-zero state (probability 2^-128, but cheap to rule out).
  if (!state.some((x) => x !== 0)) state[3] = 1;
  const rng = xoroshiro128plusFromState(state);
  return { next: () => uniformFloat64(rng) };
}

/**
 * The inverse distribution function of the triangular distribution on [low, high] with its mode at `mode`:
 * a uniform u in [0, 1) becomes a draw. Degenerate ranges return the mode.
 */
export function triangular(low: number, mode: number, high: number, u: number): number {
  if (!(high > low)) return mode;
  const m = Math.min(high, Math.max(low, mode));
  const split = (m - low) / (high - low);
  return u < split
    ? low + Math.sqrt(u * (high - low) * (m - low))
    : high - Math.sqrt((1 - u) * (high - low) * (high - m));
}
