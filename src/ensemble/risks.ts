/**
 * The hazards an ensemble draws shocks from: the scenario's `risks` section (src/model/risks.ts) on top of defaults
 * derived from the dated export controls in data/policy_events.csv.
 *
 * Derivation of the defaults (every number comes from the table; the result is labelled an assumption):
 * - Controls are the events of kind export_ban (→ a ban), export_licensing (→ a quota at the share of base-year
 *   exports that parameter risk_licensing_share gives) and export_quota (→ a quota at risk_quota_share). Technology
 *   bans, end-user bans (dual-use items denied to military end users: the commodity's trade stays open), suspensions,
 *   tariffs, floors, stockpiles and investments are not supply controls of a commodity and are left out.
 * - The observed window runs from 1 January of `since` (default 2023, the first year of the export controls the
 *   table records for the dominant supplier) to the latest date announced or in force in the table.
 * - An event's onset is its effective date, else its announcement; an event that ends on or before its onset (suspended
 *   before it took effect) never cut supply and is left out. Events of one actor, kind, commodity and destinations
 *   that follow on from each other (an extension starting when the previous one ends) form one episode.
 * - Onset rate per (actor, kind, commodity, destinations) = episodes starting in the window ÷ window length (years);
 *   the annual probability of onset is 1 − exp(−rate) (Poisson arrivals).
 * - Duration, pooled over all of the actor's controls in the window (too few per commodity to fit one): the
 *   exponential maximum-likelihood mean with censoring, total years in force ÷ episodes that ended (controls still in
 *   force count their years so far); an episode then lasts a geometric number of whole years with that mean (at
 *   least one year, the model's step).
 */
import type { Catalog } from '../data/catalog.ts';
import type { PolicyEventRow } from '../data/schema.ts';
import { InputError } from '../model/document.ts';
import { modelRegion } from '../model/regions.ts';
import type { Duration, RiskControl, ShareValue } from '../model/risks.ts';
import type { Scenario, Shock } from '../model/scenario.ts';
import { ownDestination } from '../model/world.ts';
import { drawStream, type Stream, triangular } from './stream.ts';

export const DEFAULT_RISK_SINCE = 2023;
const YEAR_MS = 365.25 * 86_400_000;

export type DurationLaw =
  | { readonly law: 'fixed'; readonly years: number }
  | { readonly law: 'uniform'; readonly min: number; readonly max: number }
  | { readonly law: 'geometric'; readonly mean: number };

/** A hazard ready to draw from. */
export interface Risk {
  /** Stable label: the name of the risk's random stream, so adding a risk does not move another's draws. */
  readonly id: string;
  readonly kind: 'ban' | 'quota' | 'outage';
  /** The supplier (ban, quota) or the region whose capacity fails (outage). */
  readonly origin: string;
  readonly commodities: readonly string[] | '*';
  readonly destinations?: readonly string[] | 'members' | '*';
  readonly probability: number;
  readonly duration: DurationLaw;
  /** Quota: share of base-year exports let through; outage: share of capacity lost. */
  readonly share?: { readonly low: number; readonly central: number; readonly high: number };
  /** The share is the draw's value of this parameter (data/parameters.csv), drawn with the other data. */
  readonly shareParameter?: string;
  readonly from?: number;
  readonly until?: number;
  readonly source: 'scenario' | 'policy-events';
  /** How the numbers were obtained, in words. */
  readonly basis: string;
  /** Policy events it was derived from. */
  readonly events?: readonly string[];
}

const KIND_OF_EVENT: Partial<Record<PolicyEventRow['kind'], { kind: 'ban' | 'quota'; shareParameter?: string }>> = {
  export_ban: { kind: 'ban' },
  export_licensing: { kind: 'quota', shareParameter: 'risk_licensing_share' },
  export_quota: { kind: 'quota', shareParameter: 'risk_quota_share' },
};

function years(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / YEAR_MS;
}

function destinationsKey(d: readonly string[] | 'members' | '*' | undefined): string {
  return d === undefined ? '' : typeof d === 'string' ? d : [...d].sort().join(' ');
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

interface Episode {
  readonly onset: string;
  end?: string;
  readonly ids: string[];
}

/** Merges an actor's events of one kind, commodity set and destinations into episodes (extensions join). */
function episodes(events: readonly { row: PolicyEventRow; onset: string }[]): Episode[] {
  const out: Episode[] = [];
  for (const e of [...events].sort((a, b) => (a.onset < b.onset ? -1 : a.onset > b.onset ? 1 : 0))) {
    const last = out[out.length - 1];
    if (last?.end !== undefined && e.onset <= last.end) {
      last.ids.push(e.row.id);
      if (e.row.ends === undefined) delete last.end;
      else if (e.row.ends > last.end) last.end = e.row.ends;
      continue;
    }
    out.push({ onset: e.onset, ...(e.row.ends !== undefined ? { end: e.row.ends } : {}), ids: [e.row.id] });
  }
  return out;
}

export interface DerivedRisks {
  readonly risks: Risk[];
  readonly window: { readonly from: string; readonly to: string; readonly years: number };
  /** Per actor: the pooled duration estimate. */
  readonly durations: Record<string, { years: number; ended: number; mean: number; basis: string }>;
}

/** The latest date announced or in force in data/policy_events.csv: where the observed window ends. */
function latestEventDate(catalog: Catalog): string | undefined {
  return catalog.dataset.tables.policy_events
    .flatMap((e) => [e.announced, e.effective])
    .filter((d): d is string => d !== undefined)
    .sort()
    .at(-1);
}

/** Hazards derived from data/policy_events.csv (see the module comment for the method). */
export function defaultRisks(catalog: Catalog, since = DEFAULT_RISK_SINCE): DerivedRisks {
  const all = catalog.dataset.tables.policy_events;
  const from = `${since}-01-01`;
  const latest = latestEventDate(catalog);
  const to = latest !== undefined && latest >= from ? latest : from;
  const windowYears = Math.max(years(from, to), 1 / 365.25);
  const commodities = [...catalog.commodities.keys()];
  const controls = all.flatMap((row) => {
    const mapped = KIND_OF_EVENT[row.kind];
    const onset = row.effective ?? row.announced;
    if (!mapped || onset === undefined || onset < from || onset > to) return [];
    // Suspended before it took effect (China's Nos. 57, 58 and 61 of October 2025): it never cut supply, so it is
    // neither an onset nor an ended episode of no years in force, which would shorten every duration it is pooled with.
    if (row.ends !== undefined && row.ends <= onset) return [];
    if (!catalog.regions.has(row.actor)) return [];
    return [{ row, onset, mapped }];
  });

  // Durations, pooled per actor over its controls (whole events: one control on three commodities is one episode).
  const durations: DerivedRisks['durations'] = {};
  const byActor = new Map<string, typeof controls>();
  for (const c of controls) byActor.set(c.row.actor, [...(byActor.get(c.row.actor) ?? []), c]);
  for (const [actor, list] of byActor) {
    const groups = new Map<string, typeof list>();
    for (const c of list) {
      const key = `${c.row.kind}|${[...c.row.commodities].sort().join(' ')}|${destinationsKey(c.row.destinations)}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    let exposure = 0;
    let ended = 0;
    let count = 0;
    for (const g of groups.values()) {
      for (const ep of episodes(g)) {
        count++;
        const end = ep.end !== undefined && ep.end <= to ? ep.end : to;
        exposure += Math.max(0, years(ep.onset, end));
        if (ep.end !== undefined && ep.end <= to) ended++;
      }
    }
    const mle = ended > 0 ? exposure / ended : exposure;
    const mean = Math.max(1, mle);
    durations[actor] = {
      years: round(exposure, 3),
      ended,
      mean: round(mean, 3),
      basis:
        ended > 0
          ? `${actor}: ${count} control episode(s) ${from}..${to}, ${round(exposure, 2)} years in force, ${ended} ended: mean ${round(mle, 2)} years (exponential MLE with censoring)${mle < 1 ? ', at least one model year' : ''}`
          : `${actor}: ${count} control episode(s) ${from}..${to}, none ended: mean taken as the ${round(exposure, 2)} years observed in force (a lower bound)${mle < 1 ? ', at least one model year' : ''}`,
    };
  }

  // Onsets per actor, kind, commodity and destinations.
  const byKey = new Map<
    string,
    {
      actor: string;
      kind: 'ban' | 'quota';
      shareParameter?: string;
      commodity: string;
      destinations: string[] | '*';
      events: typeof controls;
    }
  >();
  for (const c of controls) {
    const ks = c.row.commodities.includes('*') ? commodities : c.row.commodities.filter((k) => commodities.includes(k));
    const destinations: string[] | '*' = c.row.destinations.includes('*') ? '*' : [...c.row.destinations].sort();
    for (const k of ks) {
      const key = `${c.mapped.kind}|${c.row.actor}|${k}|${destinationsKey(destinations)}|${c.mapped.shareParameter ?? ''}`;
      const entry = byKey.get(key) ?? {
        actor: c.row.actor,
        kind: c.mapped.kind,
        ...(c.mapped.shareParameter ? { shareParameter: c.mapped.shareParameter } : {}),
        commodity: k,
        destinations,
        events: [],
      };
      entry.events.push(c);
      byKey.set(key, entry);
    }
  }
  const risks: Risk[] = [];
  for (const e of byKey.values()) {
    const eps = episodes(e.events);
    const rate = eps.length / windowYears;
    const probability = 1 - Math.exp(-rate);
    const d = durations[e.actor] as DerivedRisks['durations'][string];
    const kindWord = e.kind === 'ban' ? 'ban' : `quota at ${e.shareParameter} of base-year exports`;
    const ids = e.events.map((x) => x.row.id);
    risks.push({
      id: `policy-events|${e.kind}|${e.actor}|${e.commodity}|${destinationsKey(e.destinations)}|${e.shareParameter ?? ''}`,
      kind: e.kind,
      origin: e.actor,
      commodities: [e.commodity],
      destinations: e.destinations,
      probability: round(probability, 6),
      duration: { law: 'geometric', mean: d.mean },
      ...(e.shareParameter ? { shareParameter: e.shareParameter } : {}),
      source: 'policy-events',
      basis:
        `assumption: ${eps.length} episode(s) of ${e.actor} ${e.events[0]?.row.kind} on ${e.commodity} toward ` +
        `${e.destinations === '*' ? 'everyone' : e.destinations.join(', ')} in ${from}..${to} (${round(windowYears, 2)} years; ` +
        `${ids.join(', ')}): rate ${round(rate, 3)}/year, annual probability 1 − exp(−rate) = ${round(probability, 3)}; ` +
        `modelled as a ${kindWord}; duration geometric, mean ${d.mean} years (${d.basis})`,
      events: ids,
    });
  }
  risks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { risks, window: { from, to, years: round(windowYears, 4) }, durations };
}

function durationLaw(d: Duration): DurationLaw {
  if (typeof d === 'number') return { law: 'fixed', years: d };
  if ('mean' in d) return { law: 'geometric', mean: d.mean };
  return { law: 'uniform', min: d.min, max: d.max };
}

function shareRange(s: ShareValue): { low: number; central: number; high: number } {
  return typeof s === 'number' ? { low: s, central: s, high: s } : s;
}

function controlCommodities(c: RiskControl): readonly string[] | '*' {
  return c.kind === 'ban' ? c.commodities : [c.commodity];
}

/** Validates the scenario's risks against the data: codes, commodities, windows (ranges: the schema's); errors point into the file. */
export function validateRisks(scenario: Scenario, catalog: Catalog): void {
  const { locate } = scenario;
  const fail = (at: (string | number)[], message: string): never => {
    throw new InputError(`${locate(at)}: ${at.join('.')}: ${message}`);
  };
  const section = scenario.risks;
  if (section?.since !== undefined && section.defaults !== false) {
    // A window that starts after the last event holds none: no default hazard would be derived, without a word.
    const latest = latestEventDate(catalog);
    if (latest === undefined || latest < `${section.since}-01-01`) {
      fail(
        ['risks', 'since'],
        `${section.since} is after the latest policy event on record (${latest ?? 'none in data/policy_events.csv'}): the default hazards are derived from the events observed from since on, and there would be none (for hazards from a later year only, list them under controls with 'from' and set defaults: false)`,
      );
    }
  }
  (section?.controls ?? []).forEach((c, i) => {
    const at = (...p: (string | number)[]) => ['risks', 'controls', i, ...p];
    const region = (code: string, p: (string | number)[]) => {
      if (!catalog.regions.has(code)) fail(p, `unknown region '${code}' (not in data/regions.csv)`);
    };
    const commodity = (k: string, p: (string | number)[]) => {
      if (!catalog.commodities.has(k)) {
        fail(p, `unknown commodity '${k}' (known: ${[...catalog.commodities.keys()].join(', ')})`);
      }
    };
    if (c.kind === 'outage') {
      region(c.region, at('region'));
      commodity(c.commodity, at('commodity'));
    } else {
      region(c.origin, at('origin'));
      if (c.kind === 'quota') commodity(c.commodity, at('commodity'));
      else if (c.commodities !== '*') for (const [j, k] of c.commodities.entries()) commodity(k, at('commodities', j));
      if (Array.isArray(c.destinations)) {
        for (const [j, d] of c.destinations.entries()) {
          region(d, at('destinations', j));
          const own = ownDestination(catalog, c.origin, d);
          if (own !== undefined) fail(at('destinations', j), own);
        }
      }
    }
    if (c.from !== undefined && c.until !== undefined && c.until < c.from) {
      fail(at('until'), `${c.until} is before from ${c.from}`);
    }
  });
}

/**
 * A twin (--against) with a risks section of its own that differs from the scenario's: in words, at its place. The
 * twin runs on the scenario's draws (the same shocks in both runs: a paired comparison), so its own hazards are never
 * drawn, which the user should hear rather than assume they were.
 */
export function twinRisksNote(scenario: Scenario, twin: Scenario | undefined): string | undefined {
  if (!twin?.risks || JSON.stringify(twin.risks) === JSON.stringify(scenario.risks)) return undefined;
  return (
    `${twin.locate(['risks'], { key: true })}: risks: not drawn: the twin runs on ${scenario.name}'s draws (the same ` +
    'shocks in both runs, a paired comparison), so its own risks section is left out'
  );
}

/**
 * The scenario's own controls that can never fire, in words, for the user to hear of (they are drawn all the same, and
 * change nothing): a window outside the horizon; an outage where the data have no producer or project of the good;
 * with `keep` (the commodities of --chain), a control none of whose commodities is modelled.
 */
export function idleRisks(scenario: Scenario, catalog: Catalog, keep?: ReadonlySet<string>): string[] {
  const { start, end } = scenario.horizon;
  const t = catalog.dataset.tables;
  const notes: string[] = [];
  (scenario.risks?.controls ?? []).forEach((c, i) => {
    const at = `${scenario.locate(['risks', 'controls', i])}: risks.controls.${i}`;
    if ((c.from ?? start) > end || (c.until ?? end) < start) {
      const window = [c.from !== undefined ? `from ${c.from}` : '', c.until !== undefined ? `until ${c.until}` : '']
        .filter((w) => w !== '')
        .join(', ');
      notes.push(`${at}: never in force: its window (${window}) lies outside the horizon ${start}–${end}`);
      return;
    }
    const commodities = controlCommodities(c);
    if (keep && commodities !== '*' && !commodities.some((k) => keep.has(k))) {
      notes.push(`${at}: left out: ${commodities.join(', ')} is not in the chains modelled (--chain)`);
      return;
    }
    if (c.kind === 'outage') {
      const region = modelRegion(catalog, c.region);
      const here = (x: { region: string; commodity: string }) =>
        x.commodity === c.commodity && modelRegion(catalog, x.region) === region;
      if (!t.producers.some(here) && !t.projects.some(here)) {
        notes.push(
          `${at}: can never fire: the data have no producer or project of ${c.commodity} in ${c.region} whose capacity an outage could cut`,
        );
      }
    }
  });
  return notes;
}

/**
 * The hazards of a scenario: the defaults derived from the policy events (unless `risks.defaults` is false), with
 * the scenario's own controls added; a control of the same kind, supplier, commodity and destinations as a default
 * replaces it.
 */
export function scenarioRisks(scenario: Scenario, catalog: Catalog): { risks: Risk[]; derived?: DerivedRisks } {
  const section = scenario.risks;
  const own: Risk[] = [];
  const seen = new Map<string, number>();
  (section?.controls ?? []).forEach((c, i) => {
    const origin = c.kind === 'outage' ? c.region : c.origin;
    const destinations = c.kind === 'outage' ? undefined : c.destinations;
    const commodities = controlCommodities(c);
    const label = `scenario|${c.kind}|${origin}|${commodities === '*' ? '*' : commodities.join(' ')}|${destinationsKey(destinations)}`;
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    own.push({
      id: n === 1 ? label : `${label}|#${n}`,
      kind: c.kind,
      origin,
      commodities,
      ...(destinations !== undefined ? { destinations } : {}),
      probability: c.probability,
      duration: durationLaw(c.duration),
      ...(c.kind !== 'ban' ? { share: shareRange(c.share) } : {}),
      ...(c.from !== undefined ? { from: c.from } : {}),
      ...(c.until !== undefined ? { until: c.until } : {}),
      source: 'scenario',
      basis: `${scenario.locate(['risks', 'controls', i])}: the scenario's risks.controls.${i}`,
    });
  });
  if (section?.defaults === false) return { risks: own };
  const derived = defaultRisks(catalog, section?.since ?? DEFAULT_RISK_SINCE);
  const replaced = new Set<string>();
  for (const r of own) {
    if (r.kind === 'outage') continue;
    const ks = r.commodities === '*' ? [...catalog.commodities.keys()] : r.commodities;
    for (const k of ks)
      replaced.add(`${r.kind}|${modelRegion(catalog, r.origin)}|${k}|${destinationsKey(r.destinations)}`);
  }
  const kept = derived.risks.filter(
    (d) =>
      !replaced.has(
        `${d.kind}|${modelRegion(catalog, d.origin)}|${(d.commodities as string[])[0]}|${destinationsKey(d.destinations)}`,
      ),
  );
  return { risks: [...kept, ...own], derived };
}

/** Keeps the hazards on some commodities only (a model of some chains). */
export function restrictRisks(risks: readonly Risk[], keep: ReadonlySet<string>): Risk[] {
  return risks.flatMap((r) => {
    if (r.commodities === '*') return [r];
    const ks = r.commodities.filter((k) => keep.has(k));
    return ks.length === 0 ? [] : [{ ...r, commodities: ks }];
  });
}

function drawDuration(d: DurationLaw, s: Stream): number {
  if (d.law === 'fixed') return d.years;
  if (d.law === 'uniform') return d.min + Math.floor(s.next() * (d.max - d.min + 1));
  // Geometric on 1, 2, ...: ends after each year with probability 1/mean (inverse transform, capped at 100 years).
  const q = 1 / d.mean;
  if (q >= 1) return 1;
  const u = s.next();
  return Math.min(100, 1 + Math.floor(Math.log1p(-u) / Math.log1p(-q)));
}

export interface ShockContext {
  readonly horizon: { readonly start: number; readonly end: number };
  /** The draw's value of a data parameter (for shares the data give). */
  readonly parameter: (id: string) => number;
  /** Base-year exports of a commodity from a supplier to some destinations, in the commodity's unit. */
  readonly baseExports: (
    origin: string,
    commodity: string,
    destinations: readonly string[] | 'members' | '*',
  ) => number;
}

/**
 * The shocks of one draw: for every hazard, each year of its window, an episode starts with its annual
 * probability unless one is in force; it lasts a drawn number of years. Each hazard has its own stream of the draw.
 */
export function drawShocks(risks: readonly Risk[], seed: number, index: number, ctx: ShockContext): Shock[] {
  const shocks: Shock[] = [];
  for (const r of risks) {
    const s = drawStream(seed, index, r.id);
    const first = Math.max(ctx.horizon.start, r.from ?? ctx.horizon.start);
    const last = Math.min(ctx.horizon.end, r.until ?? ctx.horizon.end);
    let freeFrom = first;
    for (let year = first; year <= last; year++) {
      const u = s.next();
      if (year < freeFrom || !(u < r.probability)) continue;
      const duration = drawDuration(r.duration, s);
      freeFrom = year + duration;
      const share = r.shareParameter
        ? ctx.parameter(r.shareParameter)
        : r.share
          ? triangular(r.share.low, r.share.central, r.share.high, s.next())
          : 1;
      if (r.kind === 'ban') {
        shocks.push({
          kind: 'ban',
          origin: r.origin,
          commodities: r.commodities === '*' ? '*' : [...r.commodities],
          destinations:
            r.destinations === undefined
              ? '*'
              : typeof r.destinations === 'string'
                ? r.destinations
                : [...r.destinations],
          start: year,
          duration,
        });
      } else if (r.kind === 'quota') {
        const destinations = r.destinations ?? '*';
        for (const k of r.commodities === '*' ? [] : r.commodities) {
          shocks.push({
            kind: 'quota',
            origin: r.origin,
            commodity: k,
            destinations: typeof destinations === 'string' ? destinations : [...destinations],
            quota: share * ctx.baseExports(r.origin, k, destinations),
            start: year,
            duration,
          });
        }
      } else {
        for (const k of r.commodities === '*' ? [] : r.commodities) {
          shocks.push({ kind: 'outage', region: r.origin, commodity: k, share, start: year, duration });
        }
      }
    }
  }
  return shocks;
}
