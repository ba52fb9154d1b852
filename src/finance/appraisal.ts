/**
 * Appraising the register under a scenario (the zone) against another (the baseline): for each project its NPV, IRR
 * and incentive price on both price paths, the support it would cost, and what it adds to the bloc's security of
 * supply. Each project is simulated on its own value chain three times — the zone with it, the zone without it, the
 * baseline with it — so that the prices it is valued at include its own effect on its market.
 *
 * Timing. A project under construction (or ramping) comes online at its announced start year. Any other project is
 * appraised as decided in the analysis year (the zone's first year, else the horizon's first) and online after its
 * lead time, not before its announced start year. "Without" removes it from the pipeline altogether; "with" makes
 * it come online at that year whatever the price, as a backed project does.
 */
import { Catalog } from '../data/catalog.ts';
import { BASE_YEAR, type ProjectRow } from '../data/schema.ts';
import type { Scenario } from '../model/scenario.ts';
import { buildWorld, modelRegion } from '../model/world.ts';
import { Parameters } from '../simulate/inputs.ts';
import { validateScenario } from '../simulate/simulate.ts';
import { describeRate, rateOrNull } from './cashflow.ts';
import { type FieldProvenance, patchRow, projectRegister, type RegisteredProject } from './register.ts';
import { type SecurityGain, securityGain, securityPath } from './security.ts';
import {
  chainCatalog,
  chainCommodities,
  restrictScenario,
  shockYears,
  type TracedRun,
  tracedSimulate,
} from './trace.ts';
import {
  type CashFlowYear,
  decisionYear,
  incentivePrice,
  type ProjectTerms,
  presentValue,
  projectMarket,
  valueProject,
} from './valuation.ts';

/** Statuses whose financing is decided: the project comes online in every run, backed or not. */
export const COMMITTED = new Set(['construction', 'ramping']);

export interface AppraisalOptions {
  readonly scenario: Scenario;
  /** The run whose prices are the baseline path (usually `baseline`). */
  readonly against: Scenario;
  /** The data, with any user projects already added (withProjectRows). */
  readonly catalog: Catalog;
  /** Ids of the user's own projects (their provenance is the user's file). */
  readonly userIds?: ReadonlySet<string>;
  /** Appraise only these projects (default: all that can be valued). */
  readonly only?: readonly string[];
  /** Keep each project's year-by-year cash flows in the result. */
  readonly cashFlows?: boolean;
  readonly onProgress?: (p: { readonly done: number; readonly total: number; readonly id: string }) => void;
}

export interface ProjectAppraisal {
  readonly id: string;
  readonly name: string;
  readonly company: string;
  readonly country: string;
  readonly region: string;
  /** The host is a zone member in the analysis year. */
  readonly member: boolean;
  readonly commodity: string;
  readonly chain: string;
  readonly status: string;
  readonly origin: 'data' | 'user';
  /** Financing decided (under construction or ramping): online in every run, backed or not. */
  readonly committed: boolean;
  readonly capacity: number;
  readonly unit: string;
  readonly priceUnit: string;
  /** USD. */
  readonly capex: number;
  readonly cashCost: number;
  readonly leadTime: number;
  readonly life: number;
  readonly integrated: boolean;
  readonly decisionYear: number;
  readonly onlineYear: number;
  readonly provenance: Readonly<Record<string, FieldProvenance>>;
  /** NPV on the baseline path, USD at the decision year, CfDs of that run counted. */
  readonly npvBaseline: number;
  /** NPV on the zone path with the zone's CfDs, USD at the decision year. */
  readonly npvZone: number;
  /** NPV on the zone path at market prices only (the floor included, no CfD). */
  readonly npvZoneMarket: number;
  readonly irrBaseline: number | null;
  readonly irrZone: number | null;
  /** The IRRs in words: the rate, 'none (why)' or 'several: ...'. */
  readonly irrBaselineNote: string;
  readonly irrZoneNote: string;
  /** Constant price at which the NPV is zero, inputs at baseline prices, commodity price unit. */
  readonly incentivePrice: number | null;
  /** The same with inputs at the zone's prices (a floor on an input raises it). */
  readonly incentivePriceZone: number | null;
  /** The simulation's entry test: cash cost + capital recovery factor × capex / capacity, before inputs. */
  readonly incentivePriceAnnuity: number | null;
  /** Expected present value of the CfD payments on its output under the zone, USD. */
  readonly cfdPayments: number;
  /** Present value of its zone output × (zone price − baseline price): what the zone's prices transfer to it, USD. */
  readonly floorTransfer: number;
  /** Bankable at baseline prices (NPV ≥ 0). */
  readonly bankableBaseline: boolean;
  /** Bankable at the zone's market prices without any support (NPV ≥ 0 with no CfD): then it costs no support. */
  readonly bankableWithoutSupport: boolean;
  /** Fiscal cost of making it bankable under the zone: CfD payments plus any remaining viability gap, USD; 0 when
   * bankable without support. */
  readonly supportCost: number;
  /** Present value of its capex at the decision year, USD. */
  readonly capitalCost: number;
  readonly security: SecurityGain;
  /** Bloc production of its commodity added over the years, valued at the base-year reference price, USD. */
  readonly supplyValueAdded: number;
  /** Consumption lost avoided per dollar of support (null when it needs none). */
  readonly securityPerSupportDollar: number | null;
  readonly cashFlows?: { readonly baseline: readonly CashFlowYear[]; readonly zone: readonly CashFlowYear[] };
}

export interface ProjectAppraisals {
  readonly scenario: { readonly name: string; readonly title: string };
  readonly against: { readonly name: string; readonly title: string };
  readonly analysisYear: number;
  readonly costOfCapital: number;
  readonly horizon: { readonly start: number; readonly end: number };
  readonly projects: readonly ProjectAppraisal[];
  /** Register projects that cannot be valued, and why. */
  readonly notValued: readonly { readonly id: string; readonly reason: string }[];
  readonly notes: readonly string[];
}

/** The first year of the zone (its earliest member), else of the horizon: when backing decisions are taken. */
export function analysisYear(scenario: Scenario): number {
  const first = Math.min(...(scenario.zone?.members ?? []).map((m) => m.from));
  return Number.isFinite(first) ? Math.max(first, scenario.horizon.start) : scenario.horizon.start;
}

/** When a project comes online in the appraisal (see the module comment). */
export function appraisalOnlineYear(p: RegisteredProject, year: number): number {
  if (COMMITTED.has(p.status) && p.startYear !== undefined) return Math.max(p.startYear, BASE_YEAR + 1);
  return Math.max(year + Math.max(0, Math.round(p.leadTime)), p.startYear ?? 0, BASE_YEAR + 1);
}

/** The pipeline row that makes the simulation bring a project online at `online` whatever the price. */
export function forcedRow(row: ProjectRow, online: number): ProjectRow {
  return patchRow(row, { status: 'construction', start_year: online } as Partial<ProjectRow>);
}

interface Runs {
  readonly zoneWith: TracedRun;
  readonly zoneWithout: TracedRun;
  readonly baselineWith: TracedRun;
}

/** Simulations of one chain under variants of the project table, cached by what they differ in. */
export class ChainRuns {
  private readonly cache = new Map<string, TracedRun>();
  constructor(
    private readonly catalog: Catalog,
    private readonly scenarios: { readonly zone: Scenario; readonly baseline: Scenario },
  ) {}

  /**
   * Runs `which` scenario on `chain` with some projects removed and some forced online (id → year); the rest of the
   * pipeline as in the data.
   */
  run(
    which: 'zone' | 'baseline',
    chain: string,
    remove: readonly string[] = [],
    force: ReadonlyMap<string, number> = new Map(),
  ): TracedRun {
    const key = `${which}|${chain}|-${[...remove].sort().join(',')}|+${[...force]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([id, y]) => `${id}@${y}`)
      .join(',')}`;
    let run = this.cache.get(key);
    if (run) return run;
    const base = chainCatalog(this.catalog, chain);
    const removed = new Set(remove);
    const rows = base.dataset.tables.projects
      .filter((r) => !removed.has(r.id))
      .map((r) => (force.has(r.id) ? forcedRow(r, force.get(r.id) as number) : r));
    const variant =
      removed.size === 0 && force.size === 0
        ? base
        : new Catalog({ ...base.dataset, tables: { ...base.dataset.tables, projects: rows } });
    const scenario = restrictScenario(
      this.scenarios[which],
      chainCommodities(this.catalog, chain),
      new Set(rows.map((r) => r.id)),
    );
    run = tracedSimulate(scenario, variant);
    this.cache.set(key, run);
    return run;
  }

  get size(): number {
    return this.cache.size;
  }
}

/** Appraises the register's projects (those with a capital cost) under a scenario against another. */
export function appraiseProjects(options: AppraisalOptions): ProjectAppraisals {
  const { scenario, against, catalog } = options;
  validateScenario(scenario, catalog);
  validateScenario(against, catalog);
  const params = new Parameters(
    catalog,
    scenario.parameters ?? {},
    (id) => `${scenario.locate(['parameters', id])}: parameters.${id}`,
  );
  const costOfCapital = params.get('cost_of_capital');
  const rampYears = Math.max(1, params.get('ramp_up_years'));
  const register = projectRegister(catalog, params, BASE_YEAR, scenario.dominantSupplier, options.userIds);
  const year = analysisYear(scenario);
  const members = new Set(
    (scenario.zone?.members ?? [])
      .filter((m) => m.from <= year && (m.until === undefined || m.until >= year))
      .map((m) => modelRegion(catalog, m.region)),
  );
  const notValued: { id: string; reason: string }[] = register.skipped.map((s) => {
    const [id, ...rest] = s.split(': ');
    return { id: id as string, reason: rest.join(': ') };
  });
  const wanted = options.only ? new Set(options.only) : undefined;
  if (wanted) {
    const known = new Set(catalog.dataset.tables.projects.map((p) => p.id));
    for (const id of wanted) if (!known.has(id)) throw new RangeError(`unknown project '${id}'`);
  }
  const candidates = register.projects.filter((p) => {
    if (wanted && !wanted.has(p.id)) return false;
    if (p.byproductOf) {
      notValued.push({
        id: p.id,
        reason: `a by-product of ${p.byproductOf}: its capex is not attributable to ${p.commodity}`,
      });
      return false;
    }
    if (p.capex === undefined) {
      notValued.push({ id: p.id, reason: 'no published or assumed capital cost' });
      return false;
    }
    return true;
  });
  const runs = new ChainRuns(catalog, { zone: scenario, baseline: against });
  const reference = buildWorld(catalog, { year: BASE_YEAR }).referencePrice;
  const referenceValue = (k: string) => reference.get(k) ?? 0;
  const links = catalog.dataset.tables.stage_links;
  const out: ProjectAppraisal[] = [];
  candidates.forEach((p, i) => {
    const online = appraisalOnlineYear(p, year);
    const committed = COMMITTED.has(p.status) && p.startYear !== undefined;
    const force = committed ? new Map<string, number>() : new Map([[p.id, online]]);
    const r: Runs = {
      zoneWith: runs.run('zone', p.chain, [], force),
      zoneWithout: runs.run('zone', p.chain, [p.id]),
      baselineWith: runs.run('baseline', p.chain, [], force),
    };
    const terms: ProjectTerms = {
      id: p.id,
      commodity: p.commodity,
      region: p.region,
      capacity: p.capacity,
      capex: p.capex as number,
      cashCost: p.cashCost,
      leadTime: p.leadTime,
      life: p.life,
      onlineYear: online,
      rampYears,
      costOfCapital,
      inputs: p.integrated
        ? []
        : links
            .filter((l) => l.output === p.commodity)
            .map((l) => ({ commodity: l.input, coefficient: l.coefficient })),
    };
    const mZone = projectMarket(terms, r.zoneWith.market);
    const mBase = projectMarket(terms, r.baselineWith.market);
    const base = valueProject(terms, [mBase], { cfd: true });
    const zoneMarket = valueProject(terms, [mZone], { cfd: false });
    const zone = valueProject(terms, [mZone], { cfd: true });
    const transfer = presentValue(
      terms,
      zone.cashFlows.map((f) => f.output * (f.price - (f.year >= online ? mBase(f.year).price : f.price))),
    );
    const bankable = zoneMarket.npv >= 0;
    const supportCost = bankable ? 0 : Math.max(zone.cfdPayments, -zoneMarket.npv);
    const ks = chainCommodities(catalog, p.chain);
    const security = securityGain(
      [securityPath(r.zoneWith.result, ks, p.commodity, referenceValue)],
      [securityPath(r.zoneWithout.result, ks, p.commodity, referenceValue)],
      shockYears(scenario, ks),
    );
    out.push({
      id: p.id,
      name: p.name,
      company: p.company,
      country: p.country,
      region: p.region,
      member: members.has(p.region),
      commodity: p.commodity,
      chain: p.chain,
      status: p.status,
      origin: p.origin,
      committed,
      capacity: p.capacity,
      unit: p.unit,
      priceUnit: p.priceUnit,
      capex: p.capex as number,
      cashCost: p.cashCost,
      leadTime: p.leadTime,
      life: p.life,
      integrated: p.integrated,
      decisionYear: decisionYear(terms),
      onlineYear: online,
      provenance: p.provenance,
      npvBaseline: base.npv,
      npvZone: zone.npv,
      npvZoneMarket: zoneMarket.npv,
      irrBaseline: rateOrNull(base.irr),
      irrZone: rateOrNull(zone.irr),
      irrBaselineNote: describeRate(base.irr),
      irrZoneNote: describeRate(zone.irr),
      incentivePrice: incentivePrice(terms, [mBase]),
      incentivePriceZone: incentivePrice(terms, [mZone]),
      incentivePriceAnnuity: p.spec.incentivePrice ?? null,
      cfdPayments: zone.cfdPayments,
      floorTransfer: transfer,
      bankableBaseline: base.npv >= 0,
      bankableWithoutSupport: bankable,
      supportCost,
      capitalCost: presentValue(
        terms,
        zone.cashFlows.map((f) => f.capex),
      ),
      security,
      supplyValueAdded: security.blocProductionAdded * referenceValue(p.commodity),
      securityPerSupportDollar: supportCost > 0 ? security.consumptionLostAvoided / supportCost : null,
      ...(options.cashFlows ? { cashFlows: { baseline: base.cashFlows, zone: zone.cashFlows } } : {}),
    });
    options.onProgress?.({ done: i + 1, total: candidates.length, id: p.id });
  });
  const notes: string[] = [];
  const assumedCost = out.filter((p) => p.provenance.cashCost?.id === 'A_PROJECT_CASH_COST').map((p) => p.id);
  if (assumedCost.length > 0) {
    notes.push(
      `cash cost taken from the existing producers outside ${scenario.dominantSupplier} (assumption A_PROJECT_CASH_COST): ${assumedCost.join(', ')}`,
    );
  }
  return {
    scenario: { name: scenario.name, title: scenario.title },
    against: { name: against.name, title: against.title },
    analysisYear: year,
    costOfCapital,
    horizon: scenario.horizon,
    projects: out,
    notValued,
    notes,
  };
}

export interface JointSecurity {
  /** The selected projects together: the zone with all of them against the zone with none, summed over chains. */
  readonly consumptionLostAvoided: number;
  readonly consumptionLostAvoidedInShocks: number;
  readonly supplyValueAdded: number;
  /** The same measures summed project by project (what the MILP adds up). */
  readonly sumOfParts: {
    readonly consumptionLostAvoided: number;
    readonly consumptionLostAvoidedInShocks: number;
    readonly supplyValueAdded: number;
  };
}

/**
 * The security of a set of projects built together, from one pair of simulations per chain (all of them with, none
 * of them): the check on the MILP's additive objective, which counts each project against the scenario without it
 * alone and so misses how projects on one chain substitute for (or complement) each other.
 */
export function jointSecurity(
  options: Pick<AppraisalOptions, 'scenario' | 'against' | 'catalog'>,
  appraisals: readonly ProjectAppraisal[],
  selected: readonly string[],
): JointSecurity {
  const { scenario, against, catalog } = options;
  const runs = new ChainRuns(catalog, { zone: scenario, baseline: against });
  const reference = buildWorld(catalog, { year: BASE_YEAR }).referencePrice;
  const referenceValue = (k: string) => reference.get(k) ?? 0;
  const chosen = appraisals.filter((p) => selected.includes(p.id));
  const out = { consumptionLostAvoided: 0, consumptionLostAvoidedInShocks: 0, supplyValueAdded: 0 };
  for (const chain of new Set(chosen.map((p) => p.chain))) {
    const here = chosen.filter((p) => p.chain === chain);
    const force = new Map(here.filter((p) => !p.committed).map((p) => [p.id, p.onlineYear]));
    const withAll = runs.run('zone', chain, [], force);
    const withNone = runs.run(
      'zone',
      chain,
      here.map((p) => p.id),
    );
    const ks = chainCommodities(catalog, chain);
    const years = shockYears(scenario, ks);
    for (const p of here) {
      // Supply of each project's own commodity, counted once per commodity.
      if (here.findIndex((q) => q.commodity === p.commodity) !== here.indexOf(p)) continue;
      const gain = securityGain(
        [securityPath(withAll.result, ks, p.commodity, referenceValue)],
        [securityPath(withNone.result, ks, p.commodity, referenceValue)],
        years,
      );
      out.supplyValueAdded += gain.blocProductionAdded * referenceValue(p.commodity);
      if (p === here[0]) {
        out.consumptionLostAvoided += gain.consumptionLostAvoided;
        out.consumptionLostAvoidedInShocks += gain.consumptionLostAvoidedInShocks;
      }
    }
  }
  const sum = (f: (p: ProjectAppraisal) => number) => chosen.reduce((s, p) => s + f(p), 0);
  return {
    ...out,
    sumOfParts: {
      consumptionLostAvoided: sum((p) => p.security.consumptionLostAvoided),
      consumptionLostAvoidedInShocks: sum((p) => p.security.consumptionLostAvoidedInShocks),
      supplyValueAdded: sum((p) => p.supplyValueAdded),
    },
  };
}
