/**
 * The report's one view of a Comparison: both runs aligned by year and commodity, the focus list, and the headline
 * statistics every part of the report (HTML, tables, charts) reads. Plain functions of the results, no formatting.
 */
import type { CommodityYear, Comparison, SimulationResult, YearResult } from '../simulate/result.ts';

/** Which run of the comparison: the scenario studied or the one it is compared against. */
export type Role = 'scenario' | 'against';
export const ROLES: readonly Role[] = ['scenario', 'against'];

/** Thrown for a report that cannot be made from what it was given (an unknown focus commodity, no years). */
export class ReportError extends Error {
  override name = 'ReportError';
}

/** A value and the year it occurs. */
export interface AtYear {
  readonly value: number;
  readonly year: number;
}

export interface Pair<T> {
  readonly scenario: T;
  readonly against: T;
}

export interface ReportView {
  readonly comparison: Comparison;
  /** Every year of either run, ascending. */
  readonly years: readonly number[];
  /** Every commodity of either run, in the order the scenario lists them. */
  readonly commodities: readonly string[];
  /** The commodities the report charts first. */
  readonly focus: readonly string[];
  run(role: Role): SimulationResult;
  year(role: Role, year: number): YearResult | undefined;
  cell(role: Role, year: number, commodity: string): CommodityYear | undefined;
  units(commodity: string): { readonly unit: string; readonly priceUnit: string };
}

/** Relative move of the bloc price between the runs above which a commodity is in the default focus. */
export const FOCUS_PRICE_MOVE = 0.05;

function allCommodities(comparison: Comparison): string[] {
  const seen = new Set<string>();
  for (const run of [comparison.scenario, comparison.against]) {
    for (const y of run.years) for (const c of y.commodities) seen.add(c.commodity);
  }
  return [...seen];
}

/**
 * The default focus: commodities with a reference price in either run, or whose price inside the zone differs
 * between the runs by more than 5% in some year. In the scenario's order.
 */
export function defaultFocus(comparison: Comparison): string[] {
  const index = (run: SimulationResult) =>
    new Map(run.years.map((y) => [y.year, new Map(y.commodities.map((c) => [c.commodity, c]))]));
  const s = index(comparison.scenario);
  const a = index(comparison.against);
  const focus = new Set<string>();
  for (const k of allCommodities(comparison)) {
    for (const [year, cells] of s) {
      const x = cells.get(k);
      const y = a.get(year)?.get(k);
      if (x?.referencePrice != null || y?.referencePrice != null) focus.add(k);
      const p = x?.priceInside;
      const q = y?.priceInside;
      if (p != null && q != null && Math.abs(p - q) > FOCUS_PRICE_MOVE * Math.abs(q)) focus.add(k);
    }
    for (const cells of a.values()) if (cells.get(k)?.referencePrice != null) focus.add(k);
  }
  return allCommodities(comparison).filter((k) => focus.has(k));
}

export function reportView(comparison: Comparison, focus?: readonly string[]): ReportView {
  const commodities = allCommodities(comparison);
  if (comparison.scenario.years.length === 0 && comparison.against.years.length === 0) {
    throw new ReportError('the comparison has no years: nothing to report');
  }
  if (focus) {
    const unknown = focus.filter((k) => !commodities.includes(k));
    if (unknown.length > 0) {
      throw new ReportError(
        `focus commodit${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((k) => `'${k}'`).join(', ')} not in the results ` +
          `(known: ${commodities.join(', ')})`,
      );
    }
  }
  const years = [...new Set([...comparison.scenario.years, ...comparison.against.years].map((y) => y.year))].sort(
    (p, q) => p - q,
  );
  const byYear = {
    scenario: new Map(comparison.scenario.years.map((y) => [y.year, y])),
    against: new Map(comparison.against.years.map((y) => [y.year, y])),
  };
  const cells = {
    scenario: new Map<string, CommodityYear>(),
    against: new Map<string, CommodityYear>(),
  };
  const units = new Map<string, { unit: string; priceUnit: string }>();
  for (const role of ROLES) {
    for (const y of comparison[role].years) {
      for (const c of y.commodities) {
        cells[role].set(`${y.year}|${c.commodity}`, c);
        if (!units.has(c.commodity)) units.set(c.commodity, { unit: c.unit, priceUnit: c.priceUnit });
      }
    }
  }
  return {
    comparison,
    years,
    commodities,
    focus: focus ? [...new Set(focus)] : defaultFocus(comparison),
    run: (role) => comparison[role],
    year: (role, year) => byYear[role].get(year),
    cell: (role, year, k) => cells[role].get(`${year}|${k}`),
    units: (k) => units.get(k) ?? { unit: '', priceUnit: '' },
  };
}

/** One number per year of the view (null where the run has no value). */
export function series(
  view: ReportView,
  role: Role,
  commodity: string,
  pick: (c: CommodityYear) => number | null,
): (number | null)[] {
  return view.years.map((year) => {
    const c = view.cell(role, year, commodity);
    return c ? pick(c) : null;
  });
}

/** The largest (or smallest) value of a series and its first year; null when every value is null. */
export function extreme(view: ReportView, values: readonly (number | null)[], which: 'max' | 'min'): AtYear | null {
  let best: AtYear | null = null;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) continue;
    if (best === null || (which === 'max' ? value > best.value : value < best.value)) {
      best = { value, year: view.years[i] ?? 0 };
    }
  }
  return best;
}

export function total(values: readonly (number | null)[]): number {
  let s = 0;
  for (const v of values) if (v !== null) s += v;
  return s;
}

/** What the summary says about one commodity. */
export interface CommoditySummary {
  readonly commodity: string;
  readonly unit: string;
  readonly priceUnit: string;
  readonly focus: boolean;
  /** The first reference price in force in the scenario (else in the run compared against). */
  readonly referencePrice: AtYear | null;
  /** Where that run's reference price changes over the years: its lowest and highest, and how many times it changes. */
  readonly referenceRange: { readonly low: number; readonly high: number; readonly changes: number } | null;
  readonly peakInside: Pair<AtYear | null>;
  readonly peakOutside: Pair<AtYear | null>;
  /**
   * The lowest days of cover over the years a stockpile of the run covers the commodity (null if none ever does),
   * 0 where it holds nothing, over the years the bloc imports (days of cover is null otherwise).
   */
  readonly minDaysOfCover: Pair<AtYear | null>;
  /** Whether either run stockpiles the commodity in some year. */
  readonly hasStocks: boolean;
  /** Whether each run stockpiles the commodity in some year (it may hold nothing: its cover is then 0 days). */
  readonly stockpiled: Pair<boolean>;
  /** Whether each run holds stock in some year (its cover may still be null: no net imports to cover). */
  readonly holdsStock: Pair<boolean>;
  /** Summed over the years, in the commodity's unit. */
  readonly consumptionLost: Pair<number>;
  readonly consumerCost: Pair<number>;
  readonly levyRevenue: Pair<number>;
  readonly cfdCost: Pair<number>;
  readonly stockNetCost: Pair<number>;
  /** The dominant supplier's share of bloc supply in the last year. */
  readonly dominantShareLast: Pair<number | null>;
  readonly selfSufficiencyLast: Pair<number | null>;
}

function pair<T>(f: (role: Role) => T): Pair<T> {
  return { scenario: f('scenario'), against: f('against') };
}

/** The range of a reference price that changes over the years (a rule reviewed yearly), or null if it never does. */
/** Reference prices this close (relative) are one price: a review that recomputes it carries rounding, not news. */
const SAME_PRICE = 1e-9;

function referenceRange(values: readonly (number | null)[]): CommoditySummary['referenceRange'] {
  const set = values.filter((v): v is number => v !== null);
  let changes = 0;
  for (let i = 1; i < set.length; i++) {
    const [a, b] = [set[i - 1] as number, set[i] as number];
    if (Math.abs(a - b) > SAME_PRICE * Math.max(Math.abs(a), Math.abs(b))) changes++;
  }
  return changes === 0 ? null : { low: Math.min(...set), high: Math.max(...set), changes };
}

export function commoditySummary(view: ReportView, k: string): CommoditySummary {
  const s = (role: Role, pick: (c: CommodityYear) => number | null) => series(view, role, k, pick);
  const last = view.years[view.years.length - 1] ?? 0;
  const firstReference = (role: Role) => {
    const values = s(role, (c) => c.referencePrice);
    const i = values.findIndex((v) => v !== null);
    return i < 0 ? null : { value: values[i] as number, year: view.years[i] as number };
  };
  const holdsStock = pair((r) => s(r, (c) => c.stock).some((v) => v !== null && v > 0));
  // The years a stockpile covers k, as the result says; in results written before it said so, from the first year
  // the run holds stock (before a stockpile exists its cover is trivially zero).
  const inForce = (r: Role): boolean[] => {
    const flags = view.years.map((y) => view.cell(r, y, k)?.stockpiled);
    if (flags.some((f) => f !== undefined)) return flags.map((f) => f === true);
    const first = s(r, (c) => c.stock).findIndex((v) => v !== null && v > 0);
    return view.years.map((_, i) => first >= 0 && i >= first);
  };
  const years = pair(inForce);
  const stockpiled = pair((r) => years[r].some((f) => f));
  return {
    commodity: k,
    ...view.units(k),
    focus: view.focus.includes(k),
    referencePrice: firstReference('scenario') ?? firstReference('against'),
    referenceRange: referenceRange(s(firstReference('scenario') ? 'scenario' : 'against', (c) => c.referencePrice)),
    peakInside: pair((r) =>
      extreme(
        view,
        s(r, (c) => c.priceInside),
        'max',
      ),
    ),
    peakOutside: pair((r) =>
      extreme(
        view,
        s(r, (c) => c.priceOutside),
        'max',
      ),
    ),
    // A stockpile that holds nothing covers 0 days: the most alarming figure, not a blank.
    minDaysOfCover: pair((r) =>
      stockpiled[r]
        ? extreme(
            view,
            s(r, (c) => c.daysOfCover).map((v, i) => (years[r][i] ? v : null)),
            'min',
          )
        : null,
    ),
    hasStocks: stockpiled.scenario || stockpiled.against,
    stockpiled,
    holdsStock,
    consumptionLost: pair((r) => total(s(r, (c) => c.consumptionLost))),
    consumerCost: pair((r) => total(s(r, (c) => c.consumerCost))),
    levyRevenue: pair((r) => total(s(r, (c) => c.levyRevenue))),
    cfdCost: pair((r) => total(s(r, (c) => c.cfdCost))),
    stockNetCost: pair((r) => total(s(r, (c) => c.stockNetCost))),
    dominantShareLast: pair((r) => view.cell(r, last, k)?.dominantShare ?? null),
    selfSufficiencyLast: pair((r) => view.cell(r, last, k)?.selfSufficiency ?? null),
  };
}

/** The bloc-wide headline numbers over the whole horizon. */
export interface Headlines {
  readonly firstYear: number;
  readonly lastYear: number;
  readonly consumerCost: Pair<number>;
  readonly levyRevenue: Pair<number>;
  readonly cfdCost: Pair<number>;
  readonly stockNetCost: Pair<number>;
  readonly consumptionLostValue: Pair<number>;
  /** The lowest days of cover of any commodity the bloc stockpiles, with that commodity. */
  readonly minDaysOfCover: Pair<(AtYear & { readonly commodity: string }) | null>;
  /** The commodity, of all of them, whose peak price inside rises most against the other run. */
  readonly largestPriceRise: {
    readonly commodity: string;
    readonly priceUnit: string;
    readonly peak: Pair<AtYear>;
  } | null;
  /** The largest certificate residual of any year. */
  readonly maxResidual: Pair<number | null>;
}

export function headlines(view: ReportView, summaries: readonly CommoditySummary[]): Headlines {
  const totals = (role: Role, pick: (t: YearResult['totals']) => number) =>
    total(view.years.map((y) => (view.year(role, y) ? pick((view.year(role, y) as YearResult).totals) : null)));
  const minCover = (role: Role) => {
    let best: (AtYear & { commodity: string }) | null = null;
    for (const c of summaries) {
      const m = c.minDaysOfCover[role];
      if (!c.hasStocks || m === null) continue;
      if (best === null || m.value < best.value) best = { ...m, commodity: c.commodity };
    }
    return best;
  };
  let largest: Headlines['largestPriceRise'] = null;
  let largestRise = Number.NEGATIVE_INFINITY;
  // Of every commodity, as the summary's note says (not only those tabulated): the focus is what the page shows.
  for (const c of summaries) {
    const { scenario, against } = c.peakInside;
    if (scenario === null || against === null || against.value <= 0) continue;
    const rise = scenario.value / against.value - 1;
    if (rise > largestRise) {
      largestRise = rise;
      largest = { commodity: c.commodity, priceUnit: c.priceUnit, peak: { scenario, against } };
    }
  }
  const residual = (role: Role) => {
    const values = view.comparison[role].years.map((y) => y.certificate.maxResidual);
    return values.length > 0 ? Math.max(...values) : null;
  };
  return {
    firstYear: view.years[0] ?? 0,
    lastYear: view.years[view.years.length - 1] ?? 0,
    consumerCost: pair((r) => totals(r, (t) => t.consumerCost)),
    levyRevenue: pair((r) => totals(r, (t) => t.levyRevenue)),
    cfdCost: pair((r) => totals(r, (t) => t.cfdCost)),
    stockNetCost: pair((r) => totals(r, (t) => t.stockNetCost)),
    consumptionLostValue: pair((r) => totals(r, (t) => t.consumptionLostValue)),
    minDaysOfCover: pair(minCover),
    largestPriceRise: largest,
    maxResidual: pair(residual),
  };
}

/**
 * A run's name as the report labels it: the scenario's name, with '(against)' on the second run when both have the
 * same (a scenario compared with itself), so that legends and tables tell the two apart.
 */
export function runName(view: ReportView, role: Role): string {
  const name = view.run(role).scenario.name;
  const other = view.run(role === 'scenario' ? 'against' : 'scenario').scenario.name;
  return role === 'against' && name === other ? `${name} (against)` : name;
}

/** The welfare components the report compares between the runs (model/welfare.ts's WelfareParts). */
export const WELFARE_PARTS = [
  'consumerSurplus',
  'producerSurplus',
  'governmentRevenue',
  'quotaRents',
  'total',
] as const;
export type WelfarePart = (typeof WELFARE_PARTS)[number];
export type WelfareChange = Readonly<Record<WelfarePart, number | null>>;

/** The welfare change of one group of regions (a member, the bloc, the world), scenario less the other run. */
export interface WelfareRowChange {
  readonly label: string;
  /** Per year of WelfareView.years. */
  readonly byYear: readonly WelfareChange[];
  /** Summed over those years; a part is null if it is null in either run in some year (a consumer surplus). */
  readonly sum: WelfareChange;
}

/**
 * The welfare split as the report reads it: changes of the scenario against the other run (only changes mean
 * anything for consumer surplus, whose level depends on the choke price), over the years both runs carry `welfare`.
 * The bloc is one group of regions in both runs and every year: the scenario's members (those marked member in some
 * year of its welfare split; without any, the other run's), so that a zone against no zone compares the same regions.
 */
export interface WelfareView {
  readonly years: readonly number[];
  /** Years of the view without a welfare split in one run or both (results written before it existed). */
  readonly missingYears: readonly number[];
  readonly members: readonly string[];
  readonly regions: readonly WelfareRowChange[];
  readonly bloc: WelfareRowChange;
  /**
   * Outside the bloc (only where there is one): the dominant supplier's row (where the split has it and it is no
   * member), then every other non-member together (label 'others': the world less the bloc and the dominant supplier).
   */
  readonly outside: readonly WelfareRowChange[];
  readonly world: WelfareRowChange;
}

/** What the report can say of the welfare split: a view of it, which runs lack it, or nothing (neither has it). */
export type WelfareStatus =
  | { readonly kind: 'view'; readonly view: WelfareView }
  | { readonly kind: 'missing'; readonly roles: readonly Role[] }
  | { readonly kind: 'none' };

type Parts = Readonly<Record<WelfarePart, number | null>>;

/** A change with each part of WELFARE_PARTS worked out by `part`, in their order. */
const byPart = (part: (k: WelfarePart) => number | null): WelfareChange =>
  Object.fromEntries(WELFARE_PARTS.map((k) => [k, part(k)])) as WelfareChange;

function minus(s: Parts, a: Parts): WelfareChange {
  return byPart((k) => {
    const x = s[k];
    const y = a[k];
    return x === null || x === undefined || y === null || y === undefined ? null : x - y;
  });
}

function addParts(rows: readonly Parts[]): WelfareChange {
  return byPart((k) => {
    let s = 0;
    for (const r of rows) {
      const v = r[k];
      if (v === null || v === undefined) return null;
      s += v;
    }
    return s;
  });
}

const ZERO: WelfareChange = byPart(() => 0);

export function welfareStatus(view: ReportView): WelfareStatus {
  const has = (role: Role) => view.run(role).years.some((y) => y.welfare !== undefined && y.welfare !== null);
  const lacking = ROLES.filter((r) => !has(r));
  if (lacking.length === ROLES.length) return { kind: 'none' };
  if (lacking.length > 0) return { kind: 'missing', roles: lacking };
  const years = view.years.filter((y) => view.year('scenario', y)?.welfare && view.year('against', y)?.welfare);
  if (years.length === 0) return { kind: 'missing', roles: [] };
  const membersOf = (role: Role) => {
    const seen = new Set<string>();
    for (const y of view.run(role).years) for (const r of y.welfare?.byRegion ?? []) if (r.member) seen.add(r.region);
    return [...seen];
  };
  const members = membersOf('scenario').length > 0 ? membersOf('scenario') : membersOf('against');
  const welfareOf = (role: Role, year: number) => view.year(role, year)?.welfare;
  const regionParts = (role: Role, year: number, region: string): Parts =>
    welfareOf(role, year)?.byRegion.find((r) => r.region === region) ?? ZERO;
  const row = (label: string, change: (year: number) => WelfareChange): WelfareRowChange => {
    const byYear = years.map(change);
    return { label, byYear, sum: addParts(byYear) };
  };
  const regions = members.map((m) => row(m, (y) => minus(regionParts('scenario', y, m), regionParts('against', y, m))));
  const group = (role: Role, year: number) => addParts(members.map((m) => regionParts(role, year, m)));
  const worldOf = (role: Role, year: number): Parts => welfareOf(role, year)?.world ?? ZERO;
  const dominant = view.run('scenario').dominantSupplier;
  const dominantRow =
    members.length > 0 &&
    !members.includes(dominant) &&
    years.some((y) => ROLES.some((role) => welfareOf(role, y)?.byRegion.some((r) => r.region === dominant)))
      ? row(dominant, (y) => minus(regionParts('scenario', y, dominant), regionParts('against', y, dominant)))
      : undefined;
  // The world less the bloc, less the dominant supplier where it has its own row.
  const others = (role: Role, year: number): Parts =>
    minus(minus(worldOf(role, year), group(role, year)), dominantRow ? regionParts(role, year, dominant) : ZERO);
  const outside =
    members.length > 0
      ? [
          ...(dominantRow ? [dominantRow] : []),
          row('others', (y) => minus(others('scenario', y), others('against', y))),
        ]
      : [];
  return {
    kind: 'view',
    view: {
      years,
      missingYears: view.years.filter((y) => !years.includes(y)),
      members,
      regions,
      bloc: row('bloc', (y) => minus(group('scenario', y), group('against', y))),
      outside,
      world: row('world', (y) => minus(worldOf('scenario', y), worldOf('against', y))),
    },
  };
}
