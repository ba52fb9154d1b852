/**
 * The multi-year simulation (MODEL.md §4): yearly steps through the horizon, each an equilibrium from the engine.
 * Between steps: demand grows, announced projects come online and ramp up, projects whose incentive price is below
 * the price they expect (the floor where one protects them) start construction, backed projects start regardless,
 * stockpiles buy and release, shocks switch on and off. Deterministic: the same scenario gives the same result.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  adjustReferencePrice,
  costPlusPrice,
  EMPTY_SUPPLY_CURVE,
  incentiveMarginalPrice,
  NO_PRODUCER_TO_MARK_UP,
  ReferencePriceError,
  type SupplyStep,
} from '../admin/reference-price.ts';
import type { Catalog } from '../data/catalog.ts';
import { BASE_YEAR } from '../data/schema.ts';
import type { EquilibriumProblem, Producer, StockOperation } from '../equilibrium/problem.ts';
import { EquilibriumError, type EquilibriumSolution, marketPrices, solveEquilibrium } from '../equilibrium/solve.ts';
import { remembered } from '../memo.ts';
import { InputError } from '../model/document.ts';
import { baseYearMarket } from '../model/observed.ts';
import type { Policy } from '../model/policy.ts';
import { inMarketEconomy, inMembersMarket, modelRegion, nonMarketEconomies } from '../model/regions.ts';
import type { PriceValue, ReferencePriceRule, Scenario } from '../model/scenario.ts';
import {
  cfdPayment,
  earnedPricesIn,
  marketPricesIn,
  type PeriodLists,
  periodLists,
  periodStatistics,
} from '../model/statistics.ts';
import { periodWelfare } from '../model/welfare.ts';
import {
  AS_CFD_PRODUCER,
  AS_MEMBER,
  buildWorld,
  coveringCfd,
  floorTooHigh,
  ModelInputError,
  ownDestination,
  referencePricesOf,
  refusedOwnPlace,
  tariffsInForceKey,
  type World,
} from '../model/world.ts';
import { significant } from '../significant.ts';
import { didYouMean } from '../suggest.ts';
import { announcedOnline, DemandGrowth, Parameters, type ProjectSpec, projectPipeline, worldUse } from './inputs.ts';
import type { CommodityYear, CostCurve, CostStep, SimulationResult, YearResult, YearWelfare } from './result.ts';

export interface SimulateOptions {
  /** Called after each year is solved. */
  readonly onProgress?: (p: { scenario: string; year: number; done: number; total: number }) => void;
  /**
   * Called after each year is solved with the year's equilibrium and the policy in force: what per-region
   * analyses (project finance: the price a project sees in its region, the CfD covering it) read, which the
   * yearly results aggregate away.
   */
  readonly onYear?: (trace: YearTrace) => void;
  /**
   * An equilibrium near this run's first one (the same world on central data, say): its first solve warm-starts
   * from it instead of from nothing. Where the warm start misses, the cold solve runs as without it.
   */
  readonly start?: EquilibriumSolution;
  /**
   * Equilibria near this run's, by year (the same scenario on central data): a year whose warm start from last
   * year's misses (a ban that began, a drawn shock) tries that year's before solving cold.
   */
  readonly nearByYear?: ReadonlyMap<number, EquilibriumSolution>;
  /** Called with the run's first equilibrium (the base-year market observed before a zone, else the first year's). */
  readonly onStart?: (solution: EquilibriumSolution) => void;
  /**
   * Find each year's open prices and the levy revenue's range along them (SolveOptions.priceRanges, about 100 ms a
   * year on the whole dataset), into YearResult.certificate. The solutions are the same with or without.
   */
  readonly priceRanges?: boolean;
  /**
   * Leave out each year's welfare split (YearResult.welfare): an ensemble's draws read none of it, and on the
   * rare-earth chain it was 7% of a draw's time.
   */
  readonly noWelfare?: boolean;
  /**
   * The years the scenario's dates (shocks, rules, backed projects, dated tariffs) must fall in, where they are not
   * its horizon: a twin run over its pair's years is checked over those and its own, so that a shock it has before
   * them (ban-2027's, under a scenario from 2030) is one that does not occur there, not an error in a file the user
   * did not write.
   */
  readonly datesWithin?: Scenario['horizon'];
  /**
   * A twin's bloc by year: the regions its pair's bloc figures are over (YearResult.bloc). In a year without a zone
   * of its own, the twin's are over these too, not the default bloc, so that the two runs count the same countries.
   */
  readonly blocs?: ReadonlyMap<number, readonly string[]>;
}

/** One solved year as the engine saw it: the policy in force and the equilibrium. */
export interface YearTrace {
  readonly year: number;
  readonly policy: Policy;
  /** The scenario's place of each CfD in the policy (policy.cfds[j] is zone.cfds[cfdIndex[j]]). */
  readonly cfdIndex: readonly number[];
  /** The year's market as the engine solved it. */
  readonly problem: EquilibriumProblem;
  readonly solution: EquilibriumSolution;
}

export class SimulationError extends Error {
  constructor(
    readonly scenario: string,
    readonly year: number,
    cause: Error,
  ) {
    super(`${scenario}, year ${year}: ${cause.message}`, { cause });
    this.name = 'SimulationError';
  }
}

/**
 * One member's holdings of one commodity under one stockpile. They stay the member's: one that leaves the zone keeps
 * them (neither bought up nor released, and out of the bloc's figures) and brings them back if it rejoins.
 */
interface StockState {
  readonly member: string;
  readonly commodity: string;
  holdings: number;
}

/** A stock operation of the year's problem: which stockpile's, whose and of what, and the holding it moves. */
interface StockOperationIndex {
  readonly policy: number;
  readonly member: string;
  readonly commodity: string;
  readonly id: string;
  readonly state: StockState;
}

interface ProjectState {
  readonly spec: ProjectSpec;
  /** First year of output. */
  online?: number;
  decided?: number;
  backed?: boolean;
}

/** Validates a scenario against the data: codes, commodities, projects, dates inside the horizon. */
/** A price in a scenario (a number in the commodity's price unit, or "110 USD/kg") in the commodity's price unit. */
export function resolvePrice(catalog: Catalog, k: string, value: PriceValue): number | undefined {
  if (typeof value === 'number') return value;
  const m = /^\s*([\d.e]+)\s+(USD\/\S+)(.*)$/.exec(value);
  const info = catalog.commodities.get(k);
  if (!m || !info) return undefined;
  let unit = `${m[2]}${m[3] ?? ''}`.trim();
  // "USD/kg" means per kg of the commodity's own basis.
  if (!/\s/.test(unit) && info.unit) unit = `${unit} ${info.unit.basis}`;
  const factor = catalog.toCommodityPriceUnit(k, unit);
  return factor === undefined ? undefined : Number(m[1]) * factor;
}

/** Checks a scenario against the data, naming file:line:column of what is wrong; returns its model parameters. */
export function validateScenario(scenario: Scenario, catalog: Catalog): Parameters {
  return checkedScenario(scenario, catalog).params;
}

/** validateScenario, with the project pipeline its rules' check read: simulate's own (one per run, not two). */
function checkedScenario(
  scenario: Scenario,
  catalog: Catalog,
  datesWithin: Scenario['horizon'] = scenario.horizon,
): { params: Parameters; pipeline: ReturnType<typeof projectPipeline> } {
  const { locate } = scenario;
  const { start, end } = datesWithin;
  const region = (code: string, at: (string | number)[]) => {
    if (!catalog.regions.has(code)) throw new InputError(`${locate(at)}: ${at.join('.')}: unknown region '${code}'`);
  };
  const commodity = (id: string, at: (string | number)[]) => {
    if (!catalog.commodities.has(id)) {
      throw new InputError(
        `${locate(at)}: ${at.join('.')}: unknown commodity '${id}' (known: ${[...catalog.commodities.keys()].join(', ')})`,
      );
    }
  };
  // Whichever was set later (a user's horizon over a built-in scenario's dates, or a date over the horizon) is the
  // override that caused the conflict: the error points there.
  const horizonLeavesOut = (y: number, at: (string | number)[]) => {
    const bound = ['horizon', y < start ? 'start' : 'end'];
    if (scenario.layerOf(bound) <= scenario.layerOf(at)) return;
    throw new InputError(
      `${locate(bound)}: ${bound.join('.')}: the horizon ${start}–${end} leaves out ${at.join('.')} ${y} ` +
        `(set at ${locate(at)}): make the horizon include ${y}, or override ${at.join('.')}`,
    );
  };
  const inHorizon = (y: number | undefined, at: (string | number)[]) => {
    if (y === undefined || (y >= start && y <= end)) return;
    horizonLeavesOut(y, at);
    throw new InputError(`${locate(at)}: ${at.join('.')}: ${y} is outside the horizon ${start}–${end}`);
  };
  // A dated measure may have begun before the horizon (in force at its start); one that ends before it begins, or is
  // never in force within the horizon, is a slip. (A CfD without 'from' runs from the horizon's start.)
  const inForceWithin = (from: number | undefined, until: number | undefined, at: (string | number)[]) => {
    if (from !== undefined && until !== undefined && until < from)
      throw new InputError(
        `${locate([...at, 'until'])}: ${[...at, 'until'].join('.')}: ${until} is before from ${from}`,
      );
    if ((from !== undefined && from > end) || (until !== undefined && until < start)) {
      const which = from !== undefined && from > end ? 'from' : 'until';
      horizonLeavesOut((which === 'from' ? from : until) as number, [...at, which]);
      throw new InputError(
        `${locate([...at, which])}: ${[...at, which].join('.')}: ${which === 'from' ? from : until} leaves it never in force within the horizon ${start}–${end}`,
      );
    }
  };
  region(scenario.dominantSupplier, ['dominantSupplier']);
  const zone = scenario.zone;
  zone?.members.forEach((m, i) => {
    region(m.region, ['zone', 'members', i, 'region']);
    const refused = refusedOwnPlace(catalog, m.region, AS_MEMBER, scenario.dominantSupplier, scenario.dominantSupplier);
    if (refused !== undefined)
      throw new InputError(`${locate(['zone', 'members', i, 'region'])}: zone.members.${i}.region: ${refused}`);
    if (m.until !== undefined && m.until < m.from) {
      throw new InputError(`${locate(['zone', 'members', i, 'until'])}: zone.members.${i}: leaves before it joins`);
    }
    // A member listed twice over overlapping years (or a member state beside EU27, which speaks for it) would be
    // one member with two entry dates; a member that leaves and rejoins gives periods that do not overlap.
    const until = m.until ?? Number.POSITIVE_INFINITY;
    zone.members.slice(0, i).forEach((other, j) => {
      if (modelRegion(catalog, other.region) !== modelRegion(catalog, m.region)) return;
      if (other.from > until || (other.until ?? Number.POSITIVE_INFINITY) < m.from) return;
      const same =
        other.region === m.region
          ? `${m.region} is`
          : `${m.region} counts as ${modelRegion(catalog, m.region)}, which is`;
      throw new InputError(
        `${locate(['zone', 'members', i])}: zone.members.${i}: ${same} already a member from ${other.from} ` +
          `(zone.members.${j}) — list each member once, or give the two entries years that do not overlap ('until')`,
      );
    });
  });
  const price = (k: string, value: PriceValue, at: (string | number)[]) => {
    if (resolvePrice(catalog, k, value) === undefined) {
      throw new InputError(
        `${locate(at)}: ${at.join('.')}: '${value}' does not convert to ${catalog.commodities.get(k)?.row.price_unit}, the price unit of ${k}`,
      );
    }
  };
  for (const [k, rule] of Object.entries(zone?.referencePrices ?? {})) {
    commodity(k, ['zone', 'referencePrices', k]);
    if (rule.rule === 'fixed') {
      const at = ['zone', 'referencePrices', k, 'price'];
      price(k, rule.price, at);
      const high = floorTooHigh(catalog, start, k, resolvePrice(catalog, k, rule.price) as number);
      if (high !== undefined) throw new InputError(`${locate(at)}: ${at.join('.')}: ${high}`);
    }
    inHorizon(rule.from, ['zone', 'referencePrices', k, 'from']);
  }
  zone?.cfds?.forEach((c, i) => {
    commodity(c.commodity, ['zone', 'cfds', i, 'commodity']);
    price(c.commodity, c.strike, ['zone', 'cfds', i, 'strike']);
    for (const [j, r] of (c.regions ?? []).entries()) {
      const at = ['zone', 'cfds', i, 'regions', j];
      region(r, at);
      const refused = refusedOwnPlace(
        catalog,
        r,
        AS_CFD_PRODUCER,
        scenario.dominantSupplier,
        scenario.dominantSupplier,
      );
      if (refused !== undefined) throw new InputError(`${locate(at)}: ${at.join('.')}: ${refused}`);
    }
  });
  zone?.stockpiles?.forEach((s, i) => {
    const key = s.sharingKey;
    if (key !== undefined && typeof key === 'object') {
      for (const r of Object.keys(key)) {
        if (!zone.members.some((m) => modelRegion(catalog, m.region) === modelRegion(catalog, r))) {
          throw new InputError(
            `${locate(['zone', 'stockpiles', i, 'sharingKey', r])}: zone.stockpiles.${i}.sharingKey.${r}: '${r}' is not a zone member`,
          );
        }
      }
    }
    for (const k of Object.keys(s.capacity ?? {})) {
      if (!s.commodities.includes(k)) {
        throw new InputError(
          `${locate(['zone', 'stockpiles', i, 'capacity', k])}: zone.stockpiles.${i}.capacity.${k}: not one of the stockpile's commodities`,
        );
      }
    }
    if (s.member === 'zone') {
      for (const [j, k] of s.commodities.entries()) commodity(k, ['zone', 'stockpiles', i, 'commodities', j]);
      return;
    }
    region(s.member, ['zone', 'stockpiles', i, 'member']);
    if (!zone.members.some((m) => modelRegion(catalog, m.region) === modelRegion(catalog, s.member))) {
      throw new InputError(
        `${locate(['zone', 'stockpiles', i, 'member'])}: zone.stockpiles.${i}.member: '${s.member}' is not a zone member`,
      );
    }
    for (const [j, k] of s.commodities.entries()) commodity(k, ['zone', 'stockpiles', i, 'commodities', j]);
  });
  const projectIds = new Set(catalog.dataset.tables.projects.map((p) => p.id));
  zone?.backedProjects?.forEach((b, i) => {
    if (!projectIds.has(b.id)) {
      throw new InputError(
        `${locate(['zone', 'backedProjects', i, 'id'])}: zone.backedProjects.${i}.id: unknown project '${b.id}' (not in data/projects.csv)`,
      );
    }
    inHorizon(b.from, ['zone', 'backedProjects', i, 'from']);
  });
  // A CfD pays, and a stockpile buys or releases, only in a year the zone has members: one in force in no such year
  // would do nothing at all.
  const withZone = (from: number | undefined, until: number | undefined, at: (string | number)[], does: string) => {
    inForceWithin(from, until, at);
    const first = Math.max(start, from ?? start);
    const last = Math.min(end, until ?? end);
    for (let y = first; y <= last; y++) if (zone?.members.some((m) => active(m.from, m.until, y))) return;
    const which = from !== undefined ? 'from' : 'until';
    throw new InputError(
      `${locate([...at, which])}: ${at.join('.')}: in force ${first}–${last}, when the zone has no member: it ${does} only while the zone exists`,
    );
  };
  for (const [i, c] of (zone?.cfds ?? []).entries()) withZone(c.from, c.until, ['zone', 'cfds', i], 'pays');
  for (const [i, sp] of (zone?.stockpiles ?? []).entries())
    withZone(sp.from, undefined, ['zone', 'stockpiles', i], 'buys and releases');
  scenario.shocks?.forEach((s, i) => {
    const at = (k: string) => ['shocks', i, k];
    if (s.kind === 'outage') {
      region(s.region, at('region'));
      commodity(s.commodity, at('commodity'));
    } else {
      region(s.origin, at('origin'));
      if (s.kind === 'quota') commodity(s.commodity, at('commodity'));
      else if (s.commodities !== '*')
        for (const [j, k] of s.commodities.entries()) commodity(k, ['shocks', i, 'commodities', j]);
      if (Array.isArray(s.destinations)) {
        for (const [j, d] of s.destinations.entries()) {
          const dest = ['shocks', i, 'destinations', j];
          region(d, dest);
          const own = ownDestination(catalog, s.origin, d);
          if (own !== undefined) throw new InputError(`${locate(dest)}: ${dest.join('.')}: ${own}`);
        }
      }
    }
    inHorizon(s.start, at('start'));
  });
  scenario.tariffs?.forEach((t, i) => {
    region(t.importer, ['tariffs', i, 'importer']);
    if (t.origin) region(t.origin, ['tariffs', i, 'origin']);
    commodity(t.commodity, ['tariffs', i, 'commodity']);
    if (t.specific !== undefined) price(t.commodity, t.specific, ['tariffs', i, 'specific']);
    inForceWithin(t.from, t.until, ['tariffs', i]);
  });
  scenario.exportTaxes?.forEach((e, i) => {
    region(e.origin, ['exportTaxes', i, 'origin']);
    commodity(e.commodity, ['exportTaxes', i, 'commodity']);
    inForceWithin(e.from, e.until, ['exportTaxes', i]);
  });
  for (const [k, rates] of Object.entries(scenario.demandGrowth ?? {})) {
    if (k !== '*') commodity(k, ['demandGrowth', k]);
    if (typeof rates === 'number') continue;
    // A rate for a sector no demand curve has would never be used: a misspelt sector, most likely.
    const sectors = [
      ...new Set(catalog.dataset.tables.demand.filter((d) => k === '*' || d.commodity === k).map((d) => d.sector)),
    ].sort();
    for (const sector of Object.keys(rates)) {
      if (sector === '*' || sectors.includes(sector)) continue;
      const known =
        sectors.length > 0
          ? `its sectors: ${sectors.join(', ')}, or '*'`
          : `the data have no final demand for ${k}: only other stages use it, and their rates grow that use`;
      throw new InputError(
        `${locate(['demandGrowth', k, sector])}: demandGrowth.${k}.${sector}: no demand for ${k === '*' ? 'any commodity' : k} in a sector '${sector}'${didYouMean(sector, sectors)} (${known})`,
      );
    }
  }
  // The parameters are read here, so that 'scenario check' refuses what simulate would; simulate uses them.
  let params: Parameters;
  try {
    params = new Parameters(
      catalog,
      scenario.parameters ?? {},
      (id) => `${locate(['parameters', id])}: parameters.${id}`,
    );
  } catch (e) {
    if (e instanceof ModelInputError) throw new InputError(e.message);
    throw e;
  }
  const pipeline = projectPipeline(catalog, params, BASE_YEAR, scenario.dominantSupplier);
  checkRuleSupply(scenario, catalog, pipeline.projects);
  return { params, pipeline };
}

/**
 * Refuses up front — so that 'scenario check' does, and a run does not stop in the year a rule is reviewed — a
 * reference-price rule that finds nothing to price in a year it is set: the members' cost curve of a commodity no
 * member makes, say. The years and members are those simulate sets the rule in, and the producers and projects
 * those its cost curve reads; a project counts from the first year simulate can have built it (an incentive-marginal
 * curve has it at its incentive price before), so the check never refuses what simulate would accept.
 */
function checkRuleSupply(scenario: Scenario, catalog: Catalog, projects: readonly ProjectSpec[]): void {
  const rules = Object.entries(scenario.zone?.referencePrices ?? {}).filter(([, rule]) => rule.rule !== 'fixed');
  if (rules.length === 0) return;
  const dominant = scenario.dominantSupplier;
  // A project is on the curve at its incentive price before it is built and at its cash cost after: one without an
  // incentive price counts only once built (under construction by then, or backed by the zone).
  const backedFrom = new Map<string, number>();
  for (const b of scenario.zone?.backedProjects ?? []) {
    backedFrom.set(b.id, Math.min(b.from, backedFrom.get(b.id) ?? Number.POSITIVE_INFINITY));
  }
  // The first year simulate can have a project built: an announced one at its announced year (backing does not bring
  // it forward); another from the year it is backed, or from the first year if it may be bankable, over its lead
  // time and not before its announced start.
  const earliestOnline = (p: ProjectSpec) => {
    const announced = announcedOnline(p);
    if (announced !== undefined) return announced;
    const builtFrom = (year: number) => Math.max(year + Math.max(1, p.leadTime), p.startYear ?? 0);
    const backed = backedFrom.get(p.id);
    return Math.min(
      backed !== undefined ? builtFrom(Math.max(backed, scenario.horizon.start)) : Number.POSITIVE_INFINITY,
      p.incentivePrice !== undefined ? builtFrom(scenario.horizon.start) : Number.POSITIVE_INFINITY,
    );
  };
  // Cost-plus marks up producers only: a project counts once it may be built. The incentive-marginal curve has a
  // step for a project with an incentive price before it is built.
  const mayPrice = (p: ProjectSpec, year: number, rule: ReferencePriceRule) =>
    earliestOnline(p) <= year || (p.incentivePrice !== undefined && rule.rule !== 'cost-plus');
  for (const [k, rule] of rules) {
    const review = rule.rule === 'fixed' ? undefined : rule.review;
    let set: number | undefined;
    for (let year = Math.max(scenario.horizon.start, ruleStart(scenario, rule)); year <= scenario.horizon.end; year++) {
      const members = zoneMembersIn(scenario, catalog, year);
      if (members.length === 0 || (set !== undefined && (review === undefined || year - set < review))) continue;
      set = year;
      const counts = countsToward(ruleSupply(rule), members, dominant, nonMarketEconomies(catalog));
      const priced =
        curveProducers(catalog, k).some(
          (p) => p.capacity * (p.utilisation ?? 1) > 0 && counts(modelRegion(catalog, p.region), p.owner),
        ) || projects.some((p) => p.commodity === k && counts(p.region) && mayPrice(p, year, rule));
      if (!priced) {
        const reason = rule.rule === 'cost-plus' ? NO_PRODUCER_TO_MARK_UP : EMPTY_SUPPLY_CURVE;
        throw unpricedRule(scenario, k, rule, year, members, reason);
      }
    }
  }
}

const active = (from: number | undefined, until: number | undefined, year: number) =>
  (from === undefined || year >= from) && (until === undefined || year <= until);

/** The zone's members in a year: model regions (EU member states fold into EU27), each once, sorted. */
function zoneMembersIn(scenario: Scenario, catalog: Catalog, year: number): string[] {
  const members = (scenario.zone?.members ?? []).filter((m) => active(m.from, m.until, year));
  return [...new Set(members.map((m) => modelRegion(catalog, m.region)))].sort();
}

/** The first year a reference price is set: the rule's own 'from', else the year the zone forms. */
function ruleStart(scenario: Scenario, rule: ReferencePriceRule): number {
  return rule.from ?? Math.min(...(scenario.zone?.members ?? []).map((m) => m.from));
}

/** Whose supply a rule reads of the cost curve: the members' own, or the market economies' (outside the dominant supplier and the other non-market economies). */
function ruleSupply(rule: ReferencePriceRule): 'members' | 'market-economies' {
  return rule.rule === 'incentive-marginal' ? (rule.supply ?? 'members') : 'members';
}

/** Whether a producer (its model region and owner) or a project counts toward a rule's supply. */
function countsToward(
  who: 'members' | 'market-economies',
  members: readonly string[],
  dominant: string,
  nonMarket: ReadonlySet<string>,
): (region: string, owner?: string) => boolean {
  const memberSet = new Set(members);
  return (r, owner) =>
    who === 'members'
      ? inMembersMarket(r, owner, memberSet, dominant, nonMarket)
      : inMarketEconomy(r, owner, dominant, nonMarket);
}

/** The data's producers of k that a rule's cost curve can read: those with a cash cost. */
function curveProducers(catalog: Catalog, k: string): Catalog['dataset']['tables']['producers'] {
  return catalog.dataset.tables.producers.filter((p) => p.commodity === k && p.cash_cost !== undefined);
}

/**
 * A reference price its rule cannot set (`reason`: what the rule found wanting), with the year and whose supply was
 * counted: a zone whose first members make none of the commodity (one that does joins later) is the usual way here,
 * and the rule's line alone does not say so.
 */
function unpricedRule(
  scenario: Scenario,
  k: string,
  rule: ReferencePriceRule,
  year: number,
  members: readonly string[],
  reason: string,
): InputError {
  const at = ['zone', 'referencePrices', k];
  const base = `${scenario.locate(at)}: ${at.join('.')}: ${reason} for ${k} (rule ${rule.rule})`;
  if (rule.rule === 'fixed') return new InputError(base);
  // The ways out are for a curve with nothing on it; any other refusal of the rule is said as it is.
  if (reason !== NO_PRODUCER_TO_MARK_UP && reason !== EMPTY_SUPPLY_CURVE) return new InputError(`${base} (in ${year})`);
  const who =
    ruleSupply(rule) === 'members'
      ? `counting the members' producers: ${members.join(', ')}`
      : `counting every producer outside ${scenario.dominantSupplier} and the other non-market economies`;
  const instead = ruleSupply(rule) === 'members' ? ', or incentive-marginal with supply: market-economies' : '';
  return new InputError(
    `${base} (in ${year}, ${who}); give the rule a 'from' year by which a member makes ${k}, or use rule fixed${instead}`,
  );
}

/** A run's bloc by year, for its twin (SimulateOptions.blocs). */
export function blocsOf(result: SimulationResult): ReadonlyMap<number, readonly string[]> {
  return new Map(result.years.map((y) => [y.year, y.bloc]));
}

export function simulate(scenario: Scenario, catalog: Catalog, options: SimulateOptions = {}): SimulationResult {
  const { params, pipeline: checkedPipeline } = checkedScenario(scenario, catalog, options.datesWithin);
  const { locate, dominantSupplier: dominant } = scenario;
  const growth = new DemandGrowth(catalog, scenario.demandGrowth ?? {});
  const baseYear = BASE_YEAR;
  const notes: string[] = [];
  const region = (code: string) => modelRegion(catalog, code);
  const defaultBloc = catalog.dataset.tables.regions.filter((r) => r.default_bloc).map((r) => r.code);
  const { projects: pipeline, skipped } = checkedPipeline;
  // A horizon past the growth rates the data give: those years' demand is held flat, which the results should say.
  const flatAfter = new Map<number, string[]>();
  for (const k of new Set(catalog.dataset.tables.demand.map((d) => d.commodity))) {
    const last = growth.lastRatedYear(k);
    if (last !== undefined && last < scenario.horizon.end) flatAfter.set(last, [...(flatAfter.get(last) ?? []), k]);
  }
  for (const [last, ks] of flatAfter) {
    notes.push(
      `demand growth: data/demand_growth.csv gives ${ks.join(', ')} no rate ${Number.isFinite(last) ? `after ${last}: from ${last + 1}` : 'in any year: throughout'} ` +
        "their demand is held flat (rate 0); the scenario's demandGrowth can set one",
    );
  }
  for (const s of skipped) notes.push(`project left out: ${s}`);
  // A member that joins after the horizon is never one in this run, though the scenario lists it.
  (scenario.zone?.members ?? []).forEach((m, i) => {
    if (m.from > scenario.horizon.end) {
      notes.push(
        `zone.members.${i}: ${m.region} joins in ${m.from}, after the horizon (${scenario.horizon.start}–${scenario.horizon.end}): it is not a member in any year of this run`,
      );
    }
  });
  const assumedCost = pipeline.filter((p) => p.cashCostAssumed).map((p) => p.id);
  if (assumedCost.length > 0) {
    notes.push(
      `projects without a published cash cost take the capacity-weighted cash cost of producers outside ${dominant} (assumption A_PROJECT_CASH_COST): ${assumedCost.join(', ')}`,
    );
  }
  const rampYears = Math.max(1, params.get('ramp_up_years'));
  // Demand curves' choke (a multiple of the reference price; 0 where the data has none): a scenario may override it.
  const demandChoke = params.has('demand_choke_multiple') ? params.get('demand_choke_multiple') : 0;
  const forecastWeight = params.get('price_forecast_weight');

  // A price the scenario writes is read every year it is in force (a CfD's strike): its unit is parsed once.
  const resolvedPrices = new Map<string, Map<PriceValue, number>>();
  const priceOf = (k: string, value: PriceValue, at: (string | number)[]): number => {
    const known = resolvedPrices.get(k)?.get(value);
    if (known !== undefined) return known;
    const p = resolvePrice(catalog, k, value);
    if (p === undefined)
      throw new InputError(`${locate(at)}: ${at.join('.')}: '${value}' does not convert to the price unit of ${k}`);
    remembered(resolvedPrices, k, () => new Map()).set(value, p);
    return p;
  };

  const projects: ProjectState[] = pipeline.map((spec) => {
    const state: ProjectState = { spec };
    const online = announcedOnline(spec);
    if (online !== undefined) state.online = online;
    return state;
  });
  for (const b of scenario.zone?.backedProjects ?? []) {
    const state = projects.find((p) => p.spec.id === b.id);
    if (!state) {
      notes.push(`backed project ${b.id} cannot be modelled (no capacity or cost in the data)`);
      continue;
    }
    state.backed = true;
  }

  const membersIn = (year: number) => zoneMembersIn(scenario, catalog, year);
  /** The most recent equilibrium: last year's at the start of a year, this year's once it is solved. */
  let latest: EquilibriumSolution | undefined;
  const worldCache = new Map<string, World>();
  /** The latest equilibrium under each set of export restrictions in force (regimeOf). */
  const regimes = new Map<string, EquilibriumSolution>();
  const baseReference = referencePricesOf(catalog, baseYear);
  /** Every holding, in the order they were first stocked (the bloc's stock sums them in it). */
  const stocks: StockState[] = [];
  /** The holdings by stockpile (its index in the scenario), member and commodity. */
  const holdingsBy = new Map<number, Map<string, Map<string, StockState>>>();
  const holdingOf = (i: number, member: string, k: string): StockState => {
    const ofMember = remembered(
      remembered(holdingsBy, i, () => new Map()),
      member,
      () => new Map<string, StockState>(),
    );
    let state = ofMember.get(k);
    if (!state) {
      state = { member, commodity: k, holdings: 0 };
      ofMember.set(k, state);
      stocks.push(state);
    }
    return state;
  };
  /**
   * The price of a stockpiled commodity in a region in the last year no shock cut that region's supply of it (by
   * commodity, then region): releases defend a ceiling above it. Recorded once each year is solved, so that a shock
   * year reads the last calm year's own price, not the one before it.
   */
  const calmPrices = new Map<string, Map<string, number>>();
  const calmPricesOf = (k: string) => remembered(calmPrices, k, () => new Map<string, number>());
  const stockpiled = new Set((scenario.zone?.stockpiles ?? []).flatMap((sp) => sp.commodities));
  const cfdSpent = new Map<number, number>();
  const stockSpent = new Map<number, number>();
  /** By `stockpile index|commodity`: what it bought over the run, and the years last year's price kept it from buying. */
  const stockBought = new Map<string, number>();
  const pricedOut = new Map<string, { years: number[]; member: string; threshold: number }>();
  /** The price each project's market expects, by commodity then region (keys built per project cost more). */
  const forecast = new Map<string, Map<string, number>>();
  const referencePrices = new Map<string, { price: number; set: number }>();
  const years: YearResult[] = [];
  const costCurves: CostCurve[] = [];
  let previous: { solution: EquilibriumSolution; world: World; stats: ReturnType<typeof periodStatistics> } | undefined;
  /**
   * What the rules see of "last year" (bloc use for a reference price, net imports for a stock obligation, the calm
   * price a release defends): the previous year's equilibrium, or in the horizon's first year the base year's market
   * as the data has it (no instruments), with that year's members as the bloc — a zone that starts in the first year
   * is priced and stocked on what it observed before it began, not on nothing.
   */
  let beforeStart: typeof previous;
  const observed = (members: readonly string[]): NonNullable<typeof previous> => {
    if (previous) return previous;
    if (!beforeStart) {
      // The service's incentive-marginal rule reads the same market (admin/curve.ts): one source of truth.
      beforeStart = baseYearMarket(catalog, {
        members,
        dominantSupplier: scenario.dominantSupplier,
        demandChoke,
        ...(options.start ? { warmStart: options.start } : {}),
      });
      options.onStart?.(beforeStart.solution);
    }
    return beforeStart;
  };
  const total = scenario.horizon.end - scenario.horizon.start + 1;
  // A year's stock obligations and its days of cover read the same net imports (last year's, of this year's
  // members): worked out once.
  let netImportsMemo: { solution: EquilibriumSolution; members: readonly string[]; net: NetImports } | undefined;
  const netImportsOf = (solution: EquilibriumSolution, members: readonly string[]): NetImports => {
    const memo = netImportsMemo;
    if (memo?.solution === solution && sameList(memo.members, members)) return memo.net;
    const net = netImportsByMember(solution, members);
    netImportsMemo = { solution, members, net };
    return net;
  };

  const useIn = worldUse(catalog, growth, baseYear);
  const worldDemandFactor = (k: string, year: number) => {
    const base = useIn(k, baseYear);
    return base > 0 ? useIn(k, year) / base : growth.factor(k, '*', baseYear, year);
  };

  const shocksIn = (year: number) =>
    (scenario.shocks ?? []).filter((s) => year >= s.start && year < s.start + s.duration);

  /**
   * What a unit of k costs in inputs from the stages upstream (cash costs exclude them): at last year's price of the
   * input in the producer's region, else at its base-year reference price.
   */
  // Last year's price by commodity and region.
  const latestPrice = (k: string, r: string): number | undefined => (latest ? marketPriceOf(latest, k, r) : undefined);
  const inputCost = (k: string, r: string, secondary: boolean | undefined): number => {
    if (secondary) return 0;
    let cost = 0;
    for (const l of catalog.dataset.tables.stage_links) {
      if (l.output !== k) continue;
      const last = latestPrice(l.input, r);
      cost += l.coefficient * (last ?? previous?.world.referencePrice.get(l.input) ?? baseReference.get(l.input) ?? 0);
    }
    return cost;
  };

  /** Producers and projects on the curve for the reference-price rules, at full unit cost (inputs included). */
  /**
   * Every producer and project of k at full unit cost in `year` (cash cost, or the incentive price of a project not
   * yet built, plus inputs at last year's prices): the steps a rule's supply curve and the report's cost curve take.
   */
  const costSteps = (k: string, year: number) => {
    const steps: {
      id: string;
      region: string;
      capacity: number;
      cost: number;
      built: boolean;
      project: boolean;
      owner?: string;
    }[] = [];
    for (const p of curveProducers(catalog, k)) {
      const r = region(p.region);
      steps.push({
        id: p.id,
        region: r,
        capacity: p.capacity * (p.utilisation ?? 1),
        cost: (p.cash_cost as number) + inputCost(k, r, p.secondary),
        built: true,
        project: false,
        ...(p.owner !== undefined ? { owner: p.owner } : {}),
      });
    }
    for (const pr of projects) {
      if (pr.spec.commodity !== k) continue;
      const built = pr.online !== undefined && pr.online <= year;
      const own = built ? pr.spec.cashCost : pr.spec.incentivePrice;
      if (own === undefined) continue;
      steps.push({
        id: pr.spec.id,
        region: pr.spec.region,
        capacity: pr.spec.capacity,
        cost: own + inputCost(k, pr.spec.region, pr.spec.integrated),
        built,
        project: true,
      });
    }
    return steps;
  };

  const supplyCurve = (k: string, members: readonly string[], who: 'members' | 'market-economies', year: number) => {
    const inSet = countsToward(who, members, dominant, nonMarketEconomies(catalog));
    return costSteps(k, year)
      .filter((s) => inSet(s.region, s.owner))
      .map(
        (s): SupplyStep => ({
          id: s.id,
          region: s.region,
          capacity: s.capacity,
          cost: s.cost,
          kind: s.built ? 'producer' : 'project',
        }),
      );
  };

  /**
   * The cost curve of k for the report, as the rule that sets its reference price sees it: every producer and
   * project at full unit cost, inputs at last year's prices (the prices the rule read), and the bloc use it read.
   */
  const reportCurve = (k: string, year: number, members: readonly string[], price: number, use: number): CostCurve => {
    const info = catalog.commodities.get(k);
    const memberSet = new Set(members);
    const steps = costSteps(k, year).map(
      (s): CostStep => ({
        id: s.id,
        region: s.region,
        capacity: s.capacity,
        cost: s.cost,
        kind: s.project ? 'project' : 'producer',
        member: memberSet.has(s.region),
        dominant: !s.project && (s.region === dominant || s.owner === dominant),
      }),
    );
    steps.sort((a, b) => a.cost - b.cost || (a.id < b.id ? -1 : 1));
    return {
      commodity: k,
      year,
      unit: info?.row.unit ?? '',
      priceUnit: info?.row.price_unit ?? '',
      steps,
      referencePrice: price,
      blocUse: use,
    };
  };

  for (let year = scenario.horizon.start; year <= scenario.horizon.end; year++) {
    try {
      const members = membersIn(year);
      const zone = members.length > 0;
      const bloc = zone ? members : defaultBloc.map(region);
      const shocks = shocksIn(year);
      const events: string[] = [];
      const yearProjects: YearResult['projects'][number][] = [];
      // Who joins and who leaves, against last year's members (none before the horizon): the table's only word on it.
      const before = year > scenario.horizon.start ? membersIn(year - 1) : [];
      const joins = members.filter((m) => !before.includes(m));
      const leaves = before.filter((m) => !members.includes(m));
      if (joins.length > 0 || leaves.length > 0) {
        events.push(
          `members: ${[...(joins.length > 0 ? [`${joins.join(', ')} join${joins.length === 1 ? 's' : ''}`] : []), ...(leaves.length > 0 ? [`${leaves.join(', ')} leave${leaves.length === 1 ? 's' : ''}`] : [])].join(', ')}`,
        );
      }

      // Reference prices in force: set when a rule starts, recomputed at each review.
      const floors: Record<string, number> = {};
      if (zone) {
        for (const [k, rule] of Object.entries(scenario.zone?.referencePrices ?? {})) {
          if (year < ruleStart(scenario, rule)) continue;
          const current = referencePrices.get(k);
          const review = rule.rule === 'fixed' ? undefined : rule.review;
          const due = !current || (review !== undefined && year - current.set >= review);
          if (due) {
            const at = ['zone', 'referencePrices', k];
            let price: number;
            try {
              if (rule.rule === 'fixed') price = priceOf(k, rule.price, [...at, 'price']);
              else if (rule.rule === 'cost-plus')
                price = costPlusPrice(supplyCurve(k, members, ruleSupply(rule), year), rule.margin).price;
              else {
                const use = observed(members).stats.commodities.find((c) => c.commodity === k)?.blocUse ?? 0;
                const decision = incentiveMarginalPrice(
                  supplyCurve(k, members, ruleSupply(rule), year),
                  rule.target * use,
                );
                if (decision.shortfall)
                  notes.push(`${year} ${k}: reference price at the top of the curve: ${decision.shortfall}`);
                price = decision.price;
              }
            } catch (e) {
              if (e instanceof ReferencePriceError) throw unpricedRule(scenario, k, rule, year, members, e.message);
              throw e;
            }
            // A review (not the rule's first price) is smoothed toward, and its change capped from, the price in force.
            if (current && rule.rule !== 'fixed' && (rule.smoothing !== undefined || rule.maxChange !== undefined)) {
              const adjusted = adjustReferencePrice(price, current.price, {
                ...(rule.smoothing !== undefined ? { smoothing: rule.smoothing } : {}),
                ...(rule.maxChange !== undefined ? { maxChange: rule.maxChange } : {}),
              });
              // Smoothing a price toward the same one in force moves nothing: the note is for a review it moved.
              if (adjusted.applied.length > 0 && Math.abs(adjusted.price - price) > 1e-9 * Math.abs(price)) {
                const how = [
                  ...(adjusted.applied.some((a) => a.startsWith('smoothed'))
                    ? [`smoothed (weight ${rule.smoothing})`]
                    : []),
                  ...(adjusted.applied.some((a) => a.startsWith('change capped'))
                    ? [`its change capped at ±${significant((rule.maxChange ?? 0) * 100)}%`]
                    : []),
                ];
                notes.push(
                  `${year} ${k}: reference price ${significant(adjusted.price)}, the rule's ${significant(price)} ${how.join(' then ')} from the ${significant(current.price)} in force`,
                );
              }
              price = adjusted.price;
            }
            referencePrices.set(k, { price, set: year });
            // The curve as the rule saw it, the first time it sets a price (before this year's market moves it).
            if (!costCurves.some((c) => c.commodity === k)) {
              // The bloc use the rule read (last year's); a fixed price reads none, and takes this year's below when
              // no earlier year has been observed.
              const seen = previous ?? beforeStart;
              const use = seen?.stats.commodities.find((c) => c.commodity === k)?.blocUse;
              costCurves.push(reportCurve(k, year, bloc, price, use ?? Number.NaN));
            }
            events.push(
              `reference price ${k}: ${significant(price)} ${catalog.commodities.get(k)?.row.price_unit ?? ''}`,
            );
          }
          floors[k] = (referencePrices.get(k) as { price: number }).price;
        }
      }

      // The year's policy: zone, floors (if defended by a levy), export controls in force, CfDs within budget.
      const bans: NonNullable<Policy['bans']> = [];
      const quotas: NonNullable<Policy['quotas']> = [];
      // 'members' are the others: a member's control on its exports to the zone does not cover its own market.
      const destinationsOf = (d: string[] | 'members' | '*', origin: string) =>
        d === 'members'
          ? (zone ? members : bloc).filter((m) => modelRegion(catalog, m) !== modelRegion(catalog, origin))
          : d;
      for (const s of shocks) {
        if (s.kind !== 'outage' && destinationsOf(s.destinations, s.origin).length === 0) {
          events.push(`${s.kind}: ${s.origin} → members: no other member to cover`);
          continue;
        }
        if (s.kind === 'ban') {
          bans.push({
            origin: s.origin,
            commodities: s.commodities,
            destinations: destinationsOf(s.destinations, s.origin),
          });
          events.push(
            `ban: ${s.origin} → ${s.destinations === '*' ? 'everyone' : s.destinations === 'members' ? 'members' : s.destinations.join(', ')} on ${s.commodities === '*' ? 'everything' : s.commodities.join(', ')}`,
          );
        } else if (s.kind === 'quota') {
          quotas.push({
            origin: s.origin,
            commodity: s.commodity,
            destinations: destinationsOf(s.destinations, s.origin),
            quota: s.quota,
          });
          events.push(`quota: ${s.origin} ${s.commodity} ≤ ${s.quota}`);
        } else events.push(`outage: ${s.region} ${s.commodity} −${(s.share * 100).toFixed(0)}%`);
      }
      const cfds: NonNullable<Policy['cfds']> = [];
      /** The scenario's index of each CfD in force (cfds[j] is zone.cfds[cfdIndex[j]]). */
      const cfdIndex: number[] = [];
      (scenario.zone?.cfds ?? []).forEach((c, i) => {
        if (!zone || !active(c.from, c.until, year)) return;
        if (c.budget !== undefined && (cfdSpent.get(i) ?? 0) >= c.budget) {
          // Named by its place in the scenario: several CfDs may cover one good, one after the other.
          events.push(`CfD ${c.commodity} (zone.cfds.${i}): budget spent`);
          return;
        }
        cfdIndex.push(i);
        cfds.push({
          commodity: c.commodity,
          strike: priceOf(c.commodity, c.strike, ['zone', 'cfds', i, 'strike']),
          ...(c.volume !== undefined ? { volume: c.volume } : {}),
          regions: c.regions ?? members,
        });
      });
      // Which CfD covers a producer, by model region (an EU member state's projects are EU27's), for the projects
      // below and the CfDs' ledgers.
      const cfdCover = cfds.map((c) => ({ commodity: c.commodity, regions: new Set((c.regions ?? []).map(region)) }));
      const policy: Policy = {
        dominantSupplier: scenario.dominantSupplier,
        ...(zone ? { members, preferential: scenario.zone?.preferential ?? true } : {}),
        ...(zone && (scenario.zone?.levy ?? 'variable') === 'variable' && Object.keys(floors).length > 0
          ? { floors }
          : {}),
        ...(bans.length > 0 ? { bans } : {}),
        ...(quotas.length > 0 ? { quotas } : {}),
        ...(cfds.length > 0 ? { cfds } : {}),
        ...(scenario.exportTaxes
          ? {
              exportTaxes: scenario.exportTaxes
                .filter((e) => active(e.from, e.until, year))
                .map(({ origin, commodity, rate }) => ({ origin, commodity, rate })),
            }
          : {}),
      };
      // The base year's world under this year's policy and the tariffs in force this year (a duty that starts or
      // ends within the horizon: Section 301 on magnets from 2026).
      const key = `${tariffsInForceKey(catalog, year)}|${JSON.stringify(policy)}`;
      let world = worldCache.get(key);
      if (!world) {
        world = buildWorld(catalog, { year: baseYear, tariffYear: year, policy, demandChoke });
        worldCache.set(key, world);
      }
      const base = world.problem;
      // The regions this year's bloc figures are over: the members; without a zone, the pair's bloc or the default.
      const measured = zone ? world.bloc : [...new Set((options.blocs?.get(year) ?? world.bloc).map(region))];
      const memberSet = new Set(measured);

      // Producers this year: outages, then projects online (ramping up), with the CfD where one covers them.
      // The share of capacity left by the year's outages, per region and commodity (1 where none hits).
      const outages = new Map<string, number>();
      for (const s of shocks) {
        if (s.kind !== 'outage') continue;
        const at = `${region(s.region)}|${s.commodity}`;
        outages.set(at, (outages.get(at) ?? 1) * (1 - s.share));
      }
      const outage = (r: string, k: string) => (outages.size === 0 ? 1 : (outages.get(`${r}|${k}`) ?? 1));
      // Existing producers expand (brownfield) in step with world demand for their commodity, by the share the
      // parameter brownfield_share gives: without it, fixed base-year capacity against growing demand would send
      // every price up without bound, which no baseline projection shows.
      const brownfield = new Map<string, number>();
      const expansion = (k: string) => {
        let f = brownfield.get(k);
        if (f === undefined) {
          f = 1 + params.get('brownfield_share') * (worldDemandFactor(k, year) - 1);
          brownfield.set(k, f);
        }
        return f;
      };
      const producers: Producer[] = base.producers.map((p) => {
        const f = outage(p.region, p.commodity) * expansion(p.commodity);
        return f === 1 ? p : { ...p, capacity: p.capacity * f };
      });
      for (const pr of projects) {
        if (pr.online === undefined || pr.online > year) continue;
        const { spec } = pr;
        const ramp = Math.min(1, (year - pr.online + 1) / rampYears);
        if (pr.online === year) {
          yearProjects.push({
            id: spec.id,
            commodity: spec.commodity,
            region: spec.region,
            event: 'online',
            capacity: spec.capacity,
            incentivePrice: spec.incentivePrice ?? null,
          });
        }
        const cfd = cfds[coveringCfd(cfdCover, spec.commodity, spec.region)];
        producers.push({
          id: spec.id,
          region: spec.region,
          commodity: spec.commodity,
          capacity: spec.capacity * ramp * outage(spec.region, spec.commodity),
          cost: spec.cashCost,
          // An integrated project mines its own feed: like a secondary producer, it buys no upstream input.
          ...(spec.integrated ? { secondary: true } : {}),
          ...(cfd ? { cfd: { strike: cfd.strike, ...(cfd.volume !== undefined ? { volume: cfd.volume } : {}) } } : {}),
        });
      }
      const regionsSet = new Set(base.regions);
      for (const p of producers) regionsSet.add(p.region);

      // Demand grows from the base year.
      const demands = base.demands.map((d, i) => {
        if (d.curve.kind !== 'isoelastic') return d;
        const f = growth.factor(d.commodity, d.region, baseYear, year, world.demandSectors[i]);
        return f === 1 ? d : { ...d, curve: { ...d.curve, q0: d.curve.q0 * f } };
      });

      // Stockpiles: buy toward the obligation while calm, when last year's price was at or below the buy threshold
      // (a plan bought at this year's price, up to the release ceiling); release to defend a
      // ceiling above the pre-shock price while a shock lasts.
      const stockOps: StockOperation[] = [];
      const stockIndex: StockOperationIndex[] = [];
      // Commodities a stockpile in force covers for some member this year: their days of cover count, at 0 too.
      const covered = new Set<string>();
      // Last year's net imports of each member, read once a year and only where a stockpile asks for them.
      let lastNetImports: NetImports | undefined;
      (scenario.zone?.stockpiles ?? []).forEach((sp, i) => {
        if (!zone || !active(sp.from, undefined, year)) return;
        // A joint stockpile ('zone') holds stock in every member against its own net imports, from one budget.
        const holders = sp.member === 'zone' ? members : [region(sp.member)].filter((m) => members.includes(m));
        const budgetLeft = Math.max(0, sp.budget - (stockSpent.get(i) ?? 0));
        const gaps = holders.flatMap((member) =>
          sp.commodities.map((k) => {
            const state = holdingOf(i, member, k);
            lastNetImports ??= netImportsOf(observed(members).solution, members);
            const netImports = Math.max(0, lastNetImports.get(k)?.get(member) ?? 0);
            const target = (sp.obligationDays / 365) * netImports;
            const refPrice = floors[k] ?? world.referencePrice.get(k) ?? 0;
            const buyPrice = (sp.buyBelow ?? 1) * refPrice;
            return { member, k, state, target, gap: Math.max(0, target - state.holdings), buyPrice };
          }),
        );
        for (const g of gaps) covered.add(g.k);
        // Storage capacity per commodity, over every member's holdings: the gaps shrink in proportion to fit.
        for (const [k, cap] of Object.entries(sp.capacity ?? {})) {
          const ofK = gaps.filter((g) => g.k === k);
          const held = ofK.reduce((t, g) => t + g.state.holdings, 0);
          const wanted = ofK.reduce((t, g) => t + g.gap, 0);
          const room = Math.max(0, cap - held);
          if (wanted > room) for (const g of ofK) g.gap *= room / wanted;
        }
        // Where each holding stands this year: released into a shock, bought on a calm cheap year, or left.
        const plans = gaps.map((g) => {
          const { member } = g;
          const disrupted = shocks.some((s) => shockHits(s, g.k, member, members, region));
          const lastPrice = marketPriceOf(observed(members).solution, g.k, member);
          const calmPricesOfK = calmPricesOf(g.k);
          // The market observed before the horizon had no shock: the calm price of a first year that has one.
          if (!previous && lastPrice !== undefined && !calmPricesOfK.has(member)) calmPricesOfK.set(member, lastPrice);
          // Purchases are a yearly acquisition plan, decided on last year's price (at or below the buy threshold,
          // and no shock on): the agency buys the planned quantity unless the price reaches the ceiling its releases
          // defend. Releases respond to the price: up to a share of holdings whenever the price reaches the ceiling.
          const cheap = lastPrice !== undefined && lastPrice <= g.buyPrice * (1 + 1e-9);
          // The ceiling sits above both the pre-shock price and the reference price (a floor lifts the calm price).
          const calm = Math.max(
            calmPricesOfK.get(member) ?? lastPrice ?? 0,
            floors[g.k] ?? 0,
            world.referencePrice.get(g.k) ?? 0,
          );
          const releasePrice = (sp.releaseAbove ?? params.get('stock_release_trigger')) * calm;
          // The vault bids up to just under the ceiling and pays the year's price, which its own buying may lift to
          // that bid: the plan is valued at the bid, so that what it buys times what it pays stays within its share
          // of the budget left. (Valued at the buy threshold, 150 M USD bought 232,885 kg of gallium at 1,083 USD/kg.)
          const bid = releasePrice / 1.01;
          const buys = !disrupted && cheap && g.buyPrice > 0 && bid > 0 && g.gap > 0;
          // The gap's fields by name: spreading it into the plan was a slow path, 2% of a draw.
          const { k, state, target, gap, buyPrice } = g;
          return { member, k, state, target, gap, buyPrice, disrupted, cheap, releasePrice, bid, buys };
        });
        // The budget left is shared among this year's purchases only: a commodity priced above its threshold, or
        // under a shock, leaves its share to the others rather than to next year.
        // What each member has to buy this year, valued at its buy threshold.
        const toBuy = new Map<string, number>();
        for (const g of plans) if (g.buys) toBuy.set(g.member, (toBuy.get(g.member) ?? 0) + g.gap * g.buyPrice);
        const gapValueOf = (member: string) => toBuy.get(member) ?? 0;
        // Among members, by the key (MODEL.md §7): by default in proportion to what each needs to buy (its net
        // imports), else by members' final spending on the stockpiled commodities last year, or by agreed shares;
        // within a member, by what each commodity needs.
        const key = sp.sharingKey ?? 'net-imports';
        const weights = new Map<string, number>();
        for (const m of holders) {
          if (!(gapValueOf(m) > 0)) continue;
          if (key === 'net-imports') weights.set(m, gapValueOf(m));
          else if (key === 'consumption') {
            let spend = 0;
            const last = observed(members).solution;
            for (const x of last.consumption) {
              if (x.region !== m || !sp.commodities.includes(x.commodity)) continue;
              const p = marketPriceOf(last, x.commodity, m) ?? 0;
              spend += x.quantity * p;
            }
            weights.set(m, spend);
          } else {
            // A member state's weight is its member's (DEU's is EU27's, which holds for it).
            let w = 0;
            for (const [r, x] of Object.entries(key)) if (modelRegion(catalog, r) === m) w += x;
            weights.set(m, w);
          }
        }
        const weightSum = [...weights.values()].reduce((t, w) => t + w, 0);
        const memberBudget = (m: string) => (weightSum > 0 ? (budgetLeft * (weights.get(m) ?? 0)) / weightSum : 0);
        for (const g of plans) {
          const { member } = g;
          const memberGapValue = gapValueOf(member);
          const budgetShare =
            g.buys && memberGapValue > 0 ? (memberBudget(member) * g.gap * g.buyPrice) / memberGapValue : 0;
          const buyCap = g.buys ? Math.min(g.gap * (sp.fillRate ?? 0.5), budgetShare / g.bid) : 0;
          const releaseCap = g.disrupted ? g.state.holdings * (sp.releaseShare ?? 0.5) : 0;
          if (!g.disrupted && !g.cheap && g.gap > 0) {
            const seen = pricedOut.get(`${i}|${g.k}`) ?? { years: [], member, threshold: g.buyPrice };
            if (seen.years.at(-1) !== year) seen.years.push(year);
            pricedOut.set(`${i}|${g.k}`, seen);
          }
          if (buyCap <= 0 && releaseCap <= 0) continue;
          const id = `stock-${i}-${member}-${g.k}`;
          stockOps.push({
            id,
            region: member,
            commodity: g.k,
            ...(buyCap > 0 ? { buyCap, buyPrice: g.bid } : {}),
            ...(releaseCap > 0 ? { releaseCap, releasePrice: g.releasePrice } : {}),
          });
          stockIndex.push({ policy: i, member, commodity: g.k, id, state: g.state });
        }
      });

      // Scenario tariffs on top of those in force.
      let routes = base.routes;
      const tariffs = (scenario.tariffs ?? []).filter((t) => active(t.from, t.until, year));
      if (tariffs.length > 0) {
        const byPair = [...(routes?.byPair ?? [])].map((r) => ({ ...r }));
        tariffs.forEach((t, ti) => {
          const to = region(t.importer);
          // An importer with no market in the data (ZAF for every good) takes no imports to tax: a route into it
          // would name a region the year's problem does not have.
          if (!regionsSet.has(to)) return;
          const specific = t.specific !== undefined ? priceOf(t.commodity, t.specific, ['tariffs', ti, 'specific']) : 0;
          for (const from of regionsSet) {
            if (from === to || (t.origin !== undefined && region(t.origin) !== from)) continue;
            let row = byPair.find((r) => r.commodity === t.commodity && r.from === from && r.to === to);
            if (!row) {
              row = { commodity: t.commodity, from, to };
              byPair.push(row);
            }
            Object.assign(row, {
              adValorem: (row.adValorem ?? 0) + (t.adValorem ?? 0),
              specific: (row.specific ?? 0) + specific,
            });
          }
        });
        routes = { ...routes, byPair };
      }

      const problem: EquilibriumProblem = {
        ...base,
        regions: [...regionsSet].sort(),
        producers,
        demands,
        ...(routes ? { routes } : {}),
        stocks: stockOps,
      };
      const yearWorld: World = { ...world, problem, bloc: measured };
      let solution: EquilibriumSolution;
      try {
        // Warm from last year's equilibrium, or in the first year from the base-year market observed before the
        // zone began (when it was solved): prices and flows near this year's. Where the export controls in force
        // changed since last year, first from the latest year under the same controls (a quota that returns after a
        // year without: measured over 200 rare-earth draws × 15 years, returning years took 15.1 iterations warm
        // from it against 18.5 from last year); last, the same year of a run on central data (nearByYear).
        const near = (previous ?? beforeStart)?.solution ?? options.start;
        const regime = regimeOf(problem);
        const sameRegime = regimes.get(regime);
        const alternate = options.nearByYear?.get(year);
        const starts = [...new Set([sameRegime, near, alternate])].filter((x) => x !== undefined);
        solution = solveEquilibrium(problem, {
          ...(starts.length > 0
            ? { warmStart: starts[0] as EquilibriumSolution, fallbackStarts: starts.slice(1) }
            : {}),
          ...(options.priceRanges ? { priceRanges: true } : {}),
        });
        regimes.set(regime, solution);
        if (!previous && !beforeStart) options.onStart?.(solution);
      } catch (e) {
        // Keep the instance that failed, for a bug report: LODESTONE_DUMP_DIR=dir writes it as JSON.
        const dir = process.env.LODESTONE_DUMP_DIR;
        if (dir && e instanceof EquilibriumError) {
          writeFileSync(path.join(dir, `${scenario.name}-${year}.json`), JSON.stringify(problem));
        }
        throw e;
      }
      const lists = periodLists(problem, solution);
      const stats = periodStatistics(yearWorld, solution, { dominantSupplier: dominant, lists });
      latest = solution;
      options.onYear?.({ year, policy, cfdIndex, problem, solution });

      // Ledgers: stocks, CfD budgets.
      const stockById = new Map(stockIndex.map((x) => [x.id, x]));
      for (const s of solution.stocks) {
        const idx = stockById.get(s.id);
        if (!idx) continue;
        const { state } = idx;
        state.holdings = Math.max(0, state.holdings + s.bought - s.released);
        const p = marketPricesIn(lists, idx.commodity).get(idx.member) ?? 0;
        stockSpent.set(idx.policy, (stockSpent.get(idx.policy) ?? 0) + s.bought * p);
        const boughtKey = `${idx.policy}|${idx.commodity}`;
        stockBought.set(boughtKey, (stockBought.get(boughtKey) ?? 0) + s.bought);
      }
      // Every region's, member or not yet: one that joins reads its own last calm year. (Before the zone, a control
      // on 'members' falls on the default bloc, as destinationsOf has it.)
      for (const k of stockpiled) {
        const calmPricesOfK = calmPricesOf(k);
        for (const p of lists.prices.get(k) ?? []) {
          if (!shocks.some((s) => shockHits(s, k, p.region, zone ? members : bloc, region)))
            calmPricesOfK.set(p.region, p.price);
        }
      }
      // What producers earn by commodity and region (a CfD's payments, the projects' expectations).
      const earnedIn = (k: string) => earnedPricesIn(lists, k);
      // Each CfD is charged with what it pays its own producers: those of its good in its regions that no CfD before it
      // in force covers (the world gives a producer the first one's strike). Two CfDs on one good — in two regions, or
      // one taking over when the other's budget is spent — are charged apart.
      if (cfds.length > 0) {
        const outputOf = new Map(solution.outputs.map((o) => [o.producer, o.output]));
        for (const p of problem.producers) {
          if (!p.cfd) continue;
          const j = coveringCfd(cfdCover, p.commodity, p.region);
          if (j < 0) continue;
          const i = cfdIndex[j] as number;
          const paid = cfdPayment(p.cfd, outputOf.get(p.id) ?? 0, earnedIn(p.commodity).get(p.region) ?? 0);
          cfdSpent.set(i, (cfdSpent.get(i) ?? 0) + paid);
        }
      }

      // Investment: projects whose incentive price is below the price they expect start construction.
      for (const pr of projects) {
        const { spec } = pr;
        const observed = earnedIn(spec.commodity).get(spec.region) ?? average(lists.prices.get(spec.commodity) ?? []);
        const forecastIn = remembered(forecast, spec.commodity, () => new Map<string, number>());
        const lastForecast = forecastIn.get(spec.region);
        const expected =
          lastForecast !== undefined ? forecastWeight * observed + (1 - forecastWeight) * lastForecast : observed;
        forecastIn.set(spec.region, expected);
        if (pr.online !== undefined || pr.decided !== undefined) continue;
        const backedNow =
          pr.backed && (scenario.zone?.backedProjects ?? []).some((b) => b.id === spec.id && b.from <= year);
        const protectedPrice = memberSet.has(spec.region) && zone ? (floors[spec.commodity] ?? 0) : 0;
        // Bankable: the incentive price plus the inputs it must buy is below the price it expects to sell at.
        const bankable =
          spec.incentivePrice !== undefined &&
          spec.incentivePrice + inputCost(spec.commodity, spec.region, spec.integrated) <=
            Math.max(expected, protectedPrice);
        if (!backedNow && !bankable) continue;
        pr.decided = year;
        pr.online = Math.max(year + Math.max(1, spec.leadTime), spec.startYear ?? 0);
        yearProjects.push({
          id: spec.id,
          commodity: spec.commodity,
          region: spec.region,
          event: backedNow ? 'backed' : 'construction',
          capacity: spec.capacity,
          incentivePrice: spec.incentivePrice ?? null,
        });
      }

      // Days of cover read last year's net imports, as the IEA's obligations do and the stockpile's obligation above
      // did (in the first year, the market observed before the horizon; this year's where none was observed, when no
      // stockpile was in force to hold anything).
      const coverBase = membersNetImports(netImportsOf((previous ?? beforeStart)?.solution ?? solution, measured));
      const commodities = stats.commodities.map((c) =>
        commodityYear(c, {
          catalog,
          problem,
          solution,
          members: memberSet,
          holders: new Set(zone ? members : []),
          covered,
          coverBase,
          dominant,
          floors,
          stocks,
          stockIndex,
          growth,
          baseYear,
          year,
          world,
          lists,
        }),
      );
      const totals = {
        consumerCost: sum(commodities, (c) => c.consumerCost),
        levyRevenue: sum(commodities, (c) => c.levyRevenue),
        cfdCost: sum(commodities, (c) => c.cfdCost),
        stockNetCost: sum(commodities, (c) => c.stockNetCost),
        stockValue: sum(commodities, (c) => c.stock * (c.priceInside ?? 0)),
        consumptionLostValue: sum(commodities, (c) => c.consumptionLost * (world.referencePrice.get(c.commodity) ?? 0)),
      };
      years.push({
        year,
        bloc: measured,
        commodities,
        totals,
        ...(options.noWelfare ? {} : { welfare: yearWelfare(problem, solution, measured, lists) }),
        events,
        projects: yearProjects,
        certificate: yearCertificate(solution.certificate),
      });

      for (let i = 0; i < costCurves.length; i++) {
        const c = costCurves[i] as CostCurve;
        if (c.year === year && Number.isNaN(c.blocUse))
          costCurves[i] = { ...c, blocUse: stats.commodities.find((x) => x.commodity === c.commodity)?.blocUse ?? 0 };
      }
      previous = { solution, world: yearWorld, stats };
      options.onProgress?.({ scenario: scenario.name, year, done: years.length, total });
    } catch (e) {
      if (
        e instanceof EquilibriumError ||
        (e instanceof Error && e.name !== 'InputError' && e.name !== 'ModelInputError')
      ) {
        throw new SimulationError(scenario.name, year, e as Error);
      }
      throw e;
    }
  }
  // A stockpile that never bought a commodity because the price stayed above its threshold did nothing for it: say so,
  // lest its empty row read as a stock that was drawn down.
  for (const [key, { years: priced, member, threshold }] of pricedOut) {
    if ((stockBought.get(key) ?? 0) > 0) continue;
    const [i, k] = key.split('|') as [string, string];
    const sp = scenario.zone?.stockpiles?.[Number(i)];
    const unit = catalog.commodities.get(k)?.row.price_unit ?? '';
    notes.push(
      `zone.stockpiles.${i} bought no ${k}: ${sp?.member === 'zone' ? "the members' price" : `${member}'s price`} the year before was above its buy threshold ` +
        `(buyBelow ${sp?.buyBelow ?? 1} × the reference price: ${significant(threshold)} ${unit}) in ${priced.length === 1 ? priced[0] : `${priced.length} years, ${priced[0]}–${priced.at(-1)}`}; raise buyBelow to buy`,
    );
  }
  return {
    scenario: { name: scenario.name, title: scenario.title, description: scenario.description },
    members: [...new Set((scenario.zone?.members ?? []).map((m) => region(m.region)))],
    dominantSupplier: dominant,
    years,
    costCurves,
    notes: [...new Set(notes)],
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  return xs.reduce((s, x) => s + f(x), 0);
}

/** The mean of a commodity's prices over its markets (0 without any). */
function average(prices: readonly EquilibriumSolution['prices'][number][]): number {
  return prices.length > 0 ? prices.reduce((s, p) => s + p.price, 0) / prices.length : 0;
}

/** Does a shock cut this member's supply of k? */
function shockHits(
  s: NonNullable<Scenario['shocks']>[number],
  k: string,
  member: string,
  members: readonly string[],
  region: (c: string) => string,
): boolean {
  if (s.kind === 'outage') return s.commodity === k;
  const covers = s.kind === 'quota' ? s.commodity === k : s.commodities === '*' || s.commodities.includes(k);
  if (!covers) return false;
  if (s.destinations === '*') return true;
  if (s.destinations === 'members') return members.includes(member);
  return s.destinations.map(region).includes(member);
}

/** Net imports by commodity, then member (netImportsByMember). */
type NetImports = ReadonlyMap<string, ReadonlyMap<string, number>>;

/**
 * Each member's net imports for its own use, by commodity then member: imports less exports, less what went into its
 * stocks that year and plus what came out of them; below 0 for a net exporter. Counting the stockpile's own purchases
 * made each year's obligation grow with the last year's buying (a 365-day obligation on refined nickel stopped at 538
 * days), and a release year's lower imports made it shrink.
 */
function netImportsByMember(solution: EquilibriumSolution, members: readonly string[]): NetImports {
  const set = new Set(members);
  const net = new Map<string, Map<string, number>>();
  const add = (member: string, k: string, q: number) => {
    let byMember = net.get(k);
    if (!byMember) {
      byMember = new Map();
      net.set(k, byMember);
    }
    byMember.set(member, (byMember.get(member) ?? 0) + q);
  };
  for (const f of solution.flows) {
    if (set.has(f.to)) add(f.to, f.commodity, f.quantity);
    if (set.has(f.from)) add(f.from, f.commodity, -f.quantity);
  }
  for (const s of solution.stocks) if (set.has(s.region)) add(s.region, s.commodity, s.released - s.bought);
  return net;
}

/**
 * By commodity, what a stock obligation in days asks the members to cover: their net imports (netImportsByMember),
 * each member's none below 0, as the IEA counts net-importing members' (a net exporter's are none, not a deduction
 * from the others').
 */
function membersNetImports(net: NetImports): Map<string, number> {
  const byCommodity = new Map<string, number>();
  for (const [k, byMember] of net) {
    let total = 0;
    for (const q of byMember.values()) total += Math.max(0, q);
    byCommodity.set(k, total);
  }
  return byCommodity;
}

interface CommodityContext {
  readonly catalog: Catalog;
  readonly problem: EquilibriumProblem;
  readonly solution: EquilibriumSolution;
  readonly members: ReadonlySet<string>;
  /** The zone's members this year (none without a zone): the bloc's stock is their holdings, not a former member's. */
  readonly holders: ReadonlySet<string>;
  /** Commodities a stockpile in force covers for some member this year. */
  readonly covered: ReadonlySet<string>;
  /** By commodity, the members' net imports last year, as a stock obligation reads them (membersNetImports). */
  readonly coverBase: ReadonlyMap<string, number>;
  readonly dominant: string;
  readonly floors: Readonly<Record<string, number>>;
  readonly stocks: readonly StockState[];
  readonly stockIndex: readonly StockOperationIndex[];
  readonly growth: DemandGrowth;
  readonly baseYear: number;
  readonly year: number;
  readonly world: World;
  /** The year's solution and problem split by commodity, as the year's statistics read them. */
  readonly lists: PeriodLists;
}

/** Days of a year's net imports the stock covers; none without net imports. */
function daysOfCover(stock: number, netImports: number): number | null {
  return netImports > 0 ? stock / (netImports / 365) : null;
}

/** The HHI of supply by origin, on 0–10,000 as `data summary` states it; none without supply. */
function supplyHhi(supply: readonly { readonly quantity: number }[]): number | null {
  let total = 0;
  for (const o of supply) total += o.quantity;
  if (!(total > 0)) return null;
  let hhi = 0;
  for (const o of supply) hhi += (100 * (o.quantity / total)) ** 2;
  return hhi;
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function commodityYear(
  c: ReturnType<typeof periodStatistics>['commodities'][number],
  ctx: CommodityContext,
): CommodityYear {
  const k = c.commodity;
  const info = ctx.catalog.commodities.get(k);
  const { solution, members } = ctx;
  const of = ctx.lists;
  const price = marketPricesIn(of, k);
  let bought = 0;
  let released = 0;
  let netCost = 0;
  for (const s of solution.stocks) {
    if (s.commodity !== k || !members.has(s.region)) continue;
    bought += s.bought;
    released += s.released;
    netCost += (s.bought - s.released) * (price.get(s.region) ?? 0);
  }
  let stock = 0;
  for (const state of ctx.stocks) {
    if (state.commodity === k && ctx.holders.has(state.member)) stock += state.holdings;
  }
  // Lost consumption: members' demand at the base-year reference price, grown, less what they consume.
  let reference = 0;
  let blocConsumption = 0;
  for (const d of of.demands.get(k) ?? []) {
    if (!members.has(d.region) || d.curve.kind !== 'isoelastic') continue;
    reference += d.curve.q0;
  }
  const consumed = of.consumption.get(k) ?? [];
  for (const x of consumed) if (members.has(x.region)) blocConsumption += x.quantity;
  let blocCapacity = 0;
  for (const p of of.producers.get(k) ?? []) if (members.has(p.region)) blocCapacity += p.capacity;
  return {
    commodity: k,
    unit: info?.row.unit ?? '',
    priceUnit: info?.row.price_unit ?? '',
    priceInside: finiteOrNull(c.priceInside),
    priceOutside: finiteOrNull(c.priceOutside),
    referencePrice: ctx.floors[k] ?? null,
    production: c.production,
    consumption: c.consumption,
    blocProduction: c.blocProduction,
    blocUse: c.blocUse,
    blocConsumption,
    selfSufficiency: finiteOrNull(c.selfSufficiency),
    dominantShare: finiteOrNull(c.dominantShare),
    supplyByOrigin: c.supplyByOrigin,
    supplyHhi: supplyHhi(c.supplyByOrigin),
    consumerCost: c.consumerSpending === 0 ? 0 : sumMembers(consumed, members, price),
    levyRevenue: c.levyRevenue,
    cfdCost: c.cfdCost,
    stock,
    stockBought: bought,
    stockReleased: released,
    stockNetCost: netCost,
    stockpiled: ctx.covered.has(k),
    daysOfCover: daysOfCover(stock, ctx.coverBase.get(k) ?? 0),
    consumptionLost: Math.max(0, reference - blocConsumption),
    blocCapacity,
  };
}

/** Members' final consumers' spending on a commodity, from its consumption by region. */
function sumMembers(
  consumption: readonly EquilibriumSolution['consumption'][number][],
  members: ReadonlySet<string>,
  price: ReadonlyMap<string, number>,
): number {
  let s = 0;
  for (const x of consumption) if (members.has(x.region)) s += x.quantity * (price.get(x.region) ?? 0);
  return s;
}

/** The market price of k in region r in a solution (a node's price: one per commodity and region), if it has one. */
function marketPriceOf(solution: EquilibriumSolution, k: string, r: string): number | undefined {
  return marketPrices(solution).get(k)?.get(r);
}

/**
 * The export restrictions in force, as a key: a year whose restrictions differ from last year's (a quota or ban that
 * began or ended) warm-starts first from the latest year under the same ones, whose markets look most like its own.
 */
function regimeOf(problem: EquilibriumProblem): string {
  return (problem.restrictions ?? [])
    .map(
      (r) =>
        `${r.origin}|${r.commodity}|${r.destinations === '*' ? '*' : r.destinations.join(',')}|${r.quota === 0 ? 'ban' : 'quota'}`,
    )
    .sort()
    .join(';');
}

/** The year's welfare split over its bloc, each region marked as in it or not. */
function yearWelfare(
  problem: EquilibriumProblem,
  solution: EquilibriumSolution,
  bloc: readonly string[],
  lists: PeriodLists,
): YearWelfare {
  const w = periodWelfare(problem, solution, bloc, lists);
  const members = new Set(bloc);
  return {
    byRegion: w.byRegion.map(({ region, ...parts }) => ({ region, member: members.has(region), ...parts })),
    bloc: w.bloc,
    world: w.world,
    ...(w.notes.length > 0 ? { notes: w.notes } : {}),
  };
}

/** What a year's result keeps of its equilibrium's certificate (the open prices only where they were sought). */
function yearCertificate(c: EquilibriumSolution['certificate']): YearResult['certificate'] {
  const { maxResidual, iterations, openPrices, levyRevenueRange, openPricesUnanalysed } = c;
  return {
    maxResidual,
    iterations,
    ...(openPrices ? { openPrices } : {}),
    ...(levyRevenueRange ? { levyRevenueRange } : {}),
    ...(openPricesUnanalysed ? { openPricesUnanalysed } : {}),
  };
}
