/**
 * What a project adds to the bloc's security of supply, from simulations with and without it (MODEL.md §6):
 *
 * - **resilience**: the fall in the bloc's consumption lost on the project's value chain, valued at base-year
 *   reference prices and summed over the years (all years, and the years a shock touches the chain) — lost
 *   consumption is the bloc's demand at the base-year reference price, grown, less what it consumes, so it counts
 *   what a ban cuts and what a higher price deters;
 * - **self-sufficiency**: the change in the bloc's self-sufficiency in the project's commodity (bloc production
 *   used in the bloc over bloc use) in the last simulated year, and the bloc production it adds over the years.
 *
 * Both take lists of paths (one per Monte Carlo draw; a single deterministic run is a list of one) and report
 * expectations: the mean with the project less the mean without it.
 */
import type { SimulationResult } from '../simulate/result.ts';

export interface SecurityYear {
  readonly year: number;
  /** Consumption lost on the chain, valued at base-year reference prices, USD. */
  readonly lostValue: number;
  /** The project commodity's bloc self-sufficiency (0–1), null when the bloc does not use it. */
  readonly selfSufficiency: number | null;
  /** Bloc production of the project's commodity, commodity unit. */
  readonly blocProduction: number;
}

/** One path of the quantities security is measured on. */
export interface SecurityPath {
  readonly years: readonly SecurityYear[];
  /** The years a shock touches the chain on this path (an ensemble draw's own); else the ones securityGain is given. */
  readonly shockYears?: ReadonlySet<number>;
}

/** The security path of a simulation result for a chain's commodities and one commodity of it. */
export function securityPath(
  result: SimulationResult,
  chain: ReadonlySet<string>,
  commodity: string,
  referencePrice: (commodity: string) => number,
): SecurityPath {
  return {
    years: result.years.map((y) => {
      let lostValue = 0;
      for (const c of y.commodities)
        if (chain.has(c.commodity)) lostValue += c.consumptionLost * referencePrice(c.commodity);
      const own = y.commodities.find((c) => c.commodity === commodity);
      return {
        year: y.year,
        lostValue,
        selfSufficiency: own?.selfSufficiency ?? null,
        blocProduction: own?.blocProduction ?? 0,
      };
    }),
  };
}

export interface SecurityGain {
  /** Fall in the value of consumption lost, summed over every year, USD. */
  readonly consumptionLostAvoided: number;
  /** The same over the years a shock touches the chain only, USD. */
  readonly consumptionLostAvoidedInShocks: number;
  /** Self-sufficiency in the project's commodity in the last year, without and with the project. */
  readonly selfSufficiency: {
    readonly year: number;
    readonly without: number | null;
    readonly with: number | null;
    /** with − without (fraction points), null when either is undefined. */
    readonly gain: number | null;
  } | null;
  /** Bloc production of the commodity added, summed over the years, commodity unit. */
  readonly blocProductionAdded: number;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;
}

function meanOrNull(xs: readonly (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : mean(v);
}

/**
 * a − b, or 0 when the two differ by no more than the engine's tolerance: each year is an equilibrium certified
 * to 1e-8 of its market's size, so a smaller difference between two runs is the solver's, not the project's.
 */
export function beyondTolerance(a: number, b: number): number {
  return Math.abs(a - b) <= 1e-8 * Math.max(Math.abs(a), Math.abs(b)) ? 0 : a - b;
}

/** Expected security gain: paths with the project against paths without it (same years in both). */
export function securityGain(
  withProject: readonly SecurityPath[],
  withoutProject: readonly SecurityPath[],
  shockYears: ReadonlySet<number>,
): SecurityGain {
  if (withProject.length === 0 || withoutProject.length === 0)
    throw new RangeError('securityGain needs paths on both sides');
  const total = (paths: readonly SecurityPath[], inShocks = false) =>
    mean(
      paths.map((p) => {
        const only = inShocks ? (p.shockYears ?? shockYears) : undefined;
        return p.years.reduce((s, y) => s + (only && !only.has(y.year) ? 0 : y.lostValue), 0);
      }),
    );
  const produced = (paths: readonly SecurityPath[]) =>
    mean(paths.map((p) => p.years.reduce((s, y) => s + y.blocProduction, 0)));
  const lastOf = (paths: readonly SecurityPath[]) => paths.map((p) => p.years[p.years.length - 1]);
  const lastWith = lastOf(withProject);
  const lastWithout = lastOf(withoutProject);
  const year = lastWith[0]?.year;
  const sWith = meanOrNull(lastWith.map((y) => y?.selfSufficiency ?? null));
  const sWithout = meanOrNull(lastWithout.map((y) => y?.selfSufficiency ?? null));
  const gain = sWith !== null && sWithout !== null ? beyondTolerance(sWith, sWithout) : null;
  return {
    consumptionLostAvoided: beyondTolerance(total(withoutProject), total(withProject)),
    consumptionLostAvoidedInShocks: beyondTolerance(total(withoutProject, true), total(withProject, true)),
    selfSufficiency: year === undefined ? null : { year, without: sWithout, with: sWith, gain },
    blocProductionAdded: beyondTolerance(produced(withProject), produced(withoutProject)),
  };
}
