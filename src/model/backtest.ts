/**
 * The model against history: each past disruption in data/episodes.csv that states how much it cut (or that is a
 * ban) is replayed on the base-year world as an export restriction, and the equilibrium's price multiples (shocked
 * over unshocked) on each side of the restriction are set beside the multiples observed in the markets of the time.
 *
 * What this can and cannot say: the replay uses today's world (the base year's capacities, demand and costs), one
 * year's equilibrium (no inventories drawn down, no leakage around the measure), and the cut as the sources state it;
 * the observations are spot prices weeks to months after the measure. Directions should agree; magnitudes are a
 * calibration check to read with those differences in mind, not a fit.
 */
import type { Catalog } from '../data/catalog.ts';
import { type EpisodeObservation, episodeObservations } from '../data/episodes.ts';
import { type EquilibriumSolution, solveEquilibrium } from '../equilibrium/solve.ts';
import { didYouMean } from '../suggest.ts';
import type { Policy } from './policy.ts';
import { modelRegion } from './regions.ts';
import { buildWorld, type World } from './world.ts';

export interface ObservedRange {
  readonly min: number;
  readonly max: number;
  /** Geometric mean of the observed multiples. */
  readonly central: number;
  readonly count: number;
  readonly markets: readonly string[];
}

export interface BacktestRow {
  readonly episode: string;
  readonly commodity: string;
  readonly actor: string;
  readonly measure: string;
  readonly effective: string;
  /**
   * Scored in the summary: the episode took effect within SCORED_YEARS of the base year. An older episode is
   * replayed and shown, but the base-year world (capacities, who makes and ships what) is not the world it hit.
   */
  readonly scored: boolean;
  /** The restriction as replayed: share of the actor's base-year exports to the destinations removed. */
  readonly cut: number;
  readonly destinations: readonly string[] | '*';
  /** Modelled price multiples: use-weighted over the restricted destinations, and over the spared side. */
  readonly modelled: { readonly inside: number; readonly outside: number };
  readonly observed: { readonly inside?: ObservedRange; readonly outside?: ObservedRange };
  /** log10(modelled / observed central), per side where observed. */
  readonly logError: { readonly inside?: number; readonly outside?: number };
  /** The modelled and observed multiples lie on the same side of 1 (a rise, or a fall), per side where observed. */
  readonly directionAgrees: { readonly inside?: boolean; readonly outside?: boolean };
}

export interface SkippedEpisode {
  readonly episode: string;
  readonly commodities: readonly string[];
  readonly reason: string;
}

export interface Backtest {
  readonly year: number;
  readonly rows: readonly BacktestRow[];
  readonly skipped: readonly SkippedEpisode[];
  readonly summary: {
    /** Sides (inside/outside) compared, over the scored rows. */
    readonly comparisons: number;
    readonly directionAgreement: number;
    /** Median |log10(modelled / observed)| over the comparisons. */
    readonly medianAbsLogError: number;
  };
}

/** How far back an episode may lie and still be scored against a replay on the base-year world. */
export const SCORED_YEARS = 10;

interface Replay {
  readonly episode: string;
  readonly actor: string;
  readonly measure: string;
  readonly effective: string;
  readonly destinations: readonly string[] | '*';
  readonly cuts: ReadonlyMap<string, { share: number; basis: 'actor_exports' | 'world_supply' }>;
  readonly observations: readonly EpisodeObservation[];
}

/** Groups the observations by episode and decides how each episode is replayed, or why it cannot be. */
function replays(catalog: Catalog, observations: readonly EpisodeObservation[]) {
  const byEpisode = new Map<string, EpisodeObservation[]>();
  for (const o of observations) byEpisode.set(o.episode, [...(byEpisode.get(o.episode) ?? []), o]);
  const out: Replay[] = [];
  const skipped: SkippedEpisode[] = [];
  for (const [episode, obs] of byEpisode) {
    const first = obs[0] as EpisodeObservation;
    const commodities = [...new Set(obs.map((o) => o.commodity))];
    const cuts = new Map<string, { share: number; basis: 'actor_exports' | 'world_supply' }>();
    for (const o of obs) {
      // A ban states its own cut: everything the actor shipped to the destinations.
      const cut = o.cut ?? (o.measure === 'ban' ? ({ share: 1, basis: 'actor_exports' } as const) : undefined);
      if (cut) for (const k of o.restricted) if (!cuts.has(k)) cuts.set(k, cut);
    }
    if (cuts.size === 0) {
      skipped.push({ episode, commodities, reason: 'the sources give no share of exports or supply cut' });
      continue;
    }
    if (!catalog.regions.has(first.actor)) {
      skipped.push({ episode, commodities, reason: `actor '${first.actor}' is not a region of the data` });
      continue;
    }
    const destinations =
      first.destinations.length === 0 || first.destinations.includes('*')
        ? ('*' as const)
        : [...new Set(first.destinations.map((d) => modelRegion(catalog, d)))];
    out.push({
      episode,
      actor: modelRegion(catalog, first.actor),
      measure: first.measure,
      effective: first.effective,
      destinations,
      cuts,
      observations: obs,
    });
  }
  return { out, skipped };
}

function exportsOf(solution: EquilibriumSolution, actor: string, k: string, to: readonly string[] | '*'): number {
  let total = 0;
  for (const f of solution.flows) {
    if (f.commodity !== k || f.from !== actor || f.to === actor) continue;
    if (to === '*' || to.includes(f.to)) total += f.quantity;
  }
  return total;
}

/** Final consumption plus inputs used by downstream producers, per region, of commodity k. */
function useByRegion(world: World, solution: EquilibriumSolution, k: string): Map<string, number> {
  const use = new Map<string, number>();
  for (const c of solution.consumption) if (c.commodity === k) use.set(c.region, (use.get(c.region) ?? 0) + c.quantity);
  for (const link of world.problem.links) {
    if (link.input !== k) continue;
    for (const o of solution.outputs) {
      if (o.commodity === link.output) use.set(o.region, (use.get(o.region) ?? 0) + link.coefficient * o.output);
    }
  }
  return use;
}

/** Use-weighted mean price of k over the regions `inSide` selects, weighted by base-year use (a fixed basket). */
function meanPrice(
  solution: EquilibriumSolution,
  weights: ReadonlyMap<string, number>,
  k: string,
  inSide: (region: string) => boolean,
): number {
  let q = 0;
  let v = 0;
  for (const p of solution.prices) {
    if (p.commodity !== k || !inSide(p.region)) continue;
    const w = weights.get(p.region) ?? 0;
    q += w;
    v += w * p.price;
  }
  return q > 0 ? v / q : Number.NaN;
}

/** A rise, a fall, or no move (within 1%). */
function direction(multiple: number): -1 | 0 | 1 {
  return multiple > 1.01 ? 1 : multiple < 0.99 ? -1 : 0;
}

function observedRange(obs: readonly EpisodeObservation[]): ObservedRange | undefined {
  if (obs.length === 0) return undefined;
  const m = obs.map((o) => o.multiple);
  return {
    min: Math.min(...m),
    max: Math.max(...m),
    central: Math.exp(m.reduce((s, x) => s + Math.log(x), 0) / m.length),
    count: m.length,
    markets: [...new Set(obs.map((o) => o.market))],
  };
}

/** Replays every episode the data can replay on the base-year world and scores the model against what was seen. */
export function runBacktest(catalog: Catalog, options: { episode?: string; year?: number } = {}): Backtest {
  let observations = episodeObservations(catalog.dataset);
  if (options.episode !== undefined) {
    const known = [...new Set(observations.map((o) => o.episode))];
    if (!known.includes(options.episode)) {
      throw new RangeError(
        `unknown episode '${options.episode}'${didYouMean(options.episode, known)} (episodes: ${known.join(', ')})`,
      );
    }
    observations = observations.filter((o) => o.episode === options.episode);
  }
  const base = buildWorld(catalog, options.year !== undefined ? { year: options.year } : {});
  const baseSolution = solveEquilibrium(base.problem);
  const { out, skipped } = replays(catalog, observations);
  const rows: BacktestRow[] = [];
  for (const r of out) {
    const quotas: NonNullable<Policy['quotas']> = [];
    for (const [k, cut] of r.cuts) {
      if (!base.problem.commodities.includes(k)) continue;
      const exported = exportsOf(baseSolution, r.actor, k, r.destinations);
      const removed =
        cut.basis === 'actor_exports'
          ? cut.share * exported
          : cut.share * baseSolution.outputs.filter((o) => o.commodity === k).reduce((s, o) => s + o.output, 0);
      quotas.push({
        origin: r.actor,
        commodity: k,
        destinations: r.destinations === '*' ? '*' : [...r.destinations],
        quota: Math.max(0, exported - removed),
      });
    }
    const shocked = buildWorld(catalog, { year: base.year, policy: { quotas } });
    const solution = solveEquilibrium(shocked.problem, { warmStart: baseSolution });
    const restricted = (region: string) =>
      region !== r.actor && (r.destinations === '*' || r.destinations.includes(region));
    for (const k of new Set(r.observations.map((o) => o.commodity))) {
      const weights = useByRegion(base, baseSolution, k);
      const multiple = (inSide: (region: string) => boolean) =>
        meanPrice(solution, weights, k, inSide) / meanPrice(baseSolution, weights, k, inSide);
      const modelled = { inside: multiple(restricted), outside: multiple((x) => !restricted(x)) };
      const obs = r.observations.filter((o) => o.commodity === k);
      const inside = observedRange(obs.filter((o) => o.insideRestriction));
      const outside = observedRange(obs.filter((o) => !o.insideRestriction));
      const logError = (m: number, o?: ObservedRange) => (o ? Math.log10(m / o.central) : undefined);
      const agrees = (m: number, o?: ObservedRange) => (o ? direction(m) === direction(o.central) : undefined);
      rows.push({
        episode: r.episode,
        commodity: k,
        actor: r.actor,
        measure: r.measure,
        effective: r.effective,
        scored: Number(r.effective.slice(0, 4)) >= base.year - SCORED_YEARS,
        cut: r.cuts.get(k)?.share ?? Math.max(...[...r.cuts.values()].map((c) => c.share)),
        destinations: r.destinations,
        modelled,
        observed: { ...(inside ? { inside } : {}), ...(outside ? { outside } : {}) },
        logError: {
          ...(inside ? { inside: logError(modelled.inside, inside) } : {}),
          ...(outside ? { outside: logError(modelled.outside, outside) } : {}),
        },
        directionAgrees: {
          ...(inside ? { inside: agrees(modelled.inside, inside) } : {}),
          ...(outside ? { outside: agrees(modelled.outside, outside) } : {}),
        },
      });
    }
  }
  const scored = rows.filter((r) => r.scored);
  const errors = scored.flatMap((r) => [r.logError.inside, r.logError.outside].filter((x) => x !== undefined));
  const agreements = scored.flatMap((r) =>
    [r.directionAgrees.inside, r.directionAgrees.outside].filter((x) => x !== undefined),
  );
  const sorted = errors.map(Math.abs).sort((a, b) => a - b);
  const median =
    sorted.length === 0
      ? Number.NaN
      : sorted.length % 2 === 1
        ? (sorted[(sorted.length - 1) / 2] as number)
        : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
  return {
    year: base.year,
    rows,
    skipped,
    summary: {
      comparisons: errors.length,
      directionAgreement: agreements.length > 0 ? agreements.filter(Boolean).length / agreements.length : Number.NaN,
      medianAbsLogError: median,
    },
  };
}
