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
import { DrawEngine } from '../ensemble/engine.ts';
import { EquilibriumError } from '../equilibrium/solve.ts';
import { modelRegion } from '../model/regions.ts';
import type { Scenario, Shock } from '../model/scenario.ts';
import { buildWorld } from '../model/world.ts';
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
  cashFlows,
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
  /**
   * Value every project over Monte Carlo draws (ensemble/engine.ts: the data drawn from their ranges, export
   * controls and outages drawn from the scenario's risks) instead of the central path alone: NPVs, CfD payments
   * and security become expectations over the draws.
   */
  readonly ensemble?: AppraisalEnsemble;
  readonly onProgress?: (p: { readonly done: number; readonly total: number; readonly id: string }) => void;
}

export interface AppraisalEnsemble {
  readonly draws: number;
  readonly seed: number;
  /** Keep the data central: draw the shocks only. */
  readonly centralParameters?: boolean;
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
  /** The year from which the zone scenario itself backs the project (zone.backedProjects), or null. */
  readonly backedFrom: number | null;
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
  /** Price paths it was valued on: 1 (the central path), or the ensemble's draws that solved in all its runs. */
  readonly paths: number;
  /** Share of those paths on which its NPV under the zone (CfDs counted) is negative. */
  readonly probabilityOfLossZone: number;
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
  /** The ensemble the projects were valued over, with the draws that failed to solve (left out). */
  readonly ensemble: {
    readonly draws: number;
    readonly seed: number;
    readonly parameters: 'drawn' | 'central';
    readonly failures: readonly { readonly chain: string; readonly draw: number; readonly message: string }[];
  } | null;
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
  readonly zoneWith: readonly TracedPath[];
  readonly zoneWithout: readonly TracedPath[];
  readonly baselineWith: readonly TracedPath[];
}

/** One path of a chain: the central data, or an ensemble draw's data, and the shocks added to the scenario's. */
export interface ChainDraw {
  /** The draw's index in the ensemble; null for the central path. */
  readonly draw: number | null;
  /** The chain's data (drawn, for an ensemble draw). */
  readonly catalog: Catalog;
  readonly shocks: readonly Shock[];
}

/** A run on one path; undefined where the ensemble draw failed to solve. */
export type TracedPath = TracedRun | undefined;

/**
 * Simulations of one chain under variants of the project table, on the central path or on every draw of an
 * ensemble (the same draws for every variant, so that with and without a project differ by the project alone),
 * cached by what they differ in.
 */
export class ChainRuns {
  private readonly cache = new Map<string, readonly TracedPath[]>();
  private readonly paths = new Map<string, readonly ChainDraw[]>();
  /** Ensemble draws that failed to solve, by chain and draw. */
  readonly failures: { chain: string; draw: number; message: string }[] = [];
  constructor(
    private readonly catalog: Catalog,
    private readonly scenarios: { readonly zone: Scenario; readonly baseline: Scenario },
    private readonly ensemble?: AppraisalEnsemble,
  ) {}

  /** The paths of a chain: the central data alone, or one per ensemble draw. */
  draws(chain: string): readonly ChainDraw[] {
    let paths = this.paths.get(chain);
    if (paths) return paths;
    const e = this.ensemble;
    if (!e) {
      paths = [{ draw: null, catalog: chainCatalog(this.catalog, chain), shocks: [] }];
    } else {
      // The zone's risks drive the shocks; the baseline runs on the same draws (common random numbers).
      const engine = new DrawEngine(
        {
          scenario: this.scenarios.zone.name,
          data: [],
          chains: [chain],
          seed: e.seed,
          ...(e.centralParameters ? { centralParameters: true } : {}),
        },
        { dataset: this.catalog.dataset, scenarios: { scenario: this.scenarios.zone } },
      );
      paths = Array.from({ length: e.draws }, (_, i) => ({ draw: i, ...engine.prepare(i) }));
    }
    this.paths.set(chain, paths);
    return paths;
  }

  /**
   * Runs `which` scenario on `chain` with some projects removed and some forced online (id → year); the rest of the
   * pipeline as in the data. One run per path; an ensemble draw that fails to solve is undefined (and recorded in
   * `failures`), a failure on the central path is thrown.
   */
  run(
    which: 'zone' | 'baseline',
    chain: string,
    remove: readonly string[] = [],
    force: ReadonlyMap<string, number> = new Map(),
  ): readonly TracedPath[] {
    const key = variantKey(which, chain, remove, force);
    let runs = this.cache.get(key);
    if (runs) return runs;
    const removed = new Set(remove);
    const ks = chainCommodities(this.catalog, chain);
    runs = this.draws(chain).map((path) => {
      const rows = path.catalog.dataset.tables.projects
        .filter((r) => !removed.has(r.id))
        .map((r) => (force.has(r.id) ? forcedRow(r, force.get(r.id) as number) : r));
      const variant =
        removed.size === 0 && force.size === 0
          ? path.catalog
          : new Catalog({ ...path.catalog.dataset, tables: { ...path.catalog.dataset.tables, projects: rows } });
      const scenario = restrictScenario(withShocks(this.scenarios[which], path.shocks), ks, rows);
      if (path.draw === null) return tracedSimulate(scenario, variant);
      try {
        return tracedSimulate(scenario, variant);
      } catch (error) {
        if (!(error instanceof EquilibriumError)) throw error;
        this.failures.push({ chain, draw: path.draw, message: `${which}: ${error.message}` });
        return undefined;
      }
    });
    this.cache.set(key, runs);
    return runs;
  }

  /** Forgets the runs of pipeline variants (each chain's runs on the data's own pipeline stay). */
  releaseVariants(): void {
    for (const key of this.cache.keys()) if (!key.endsWith('|-|+')) this.cache.delete(key);
  }

  get size(): number {
    return this.cache.size;
  }
}

function variantKey(
  which: 'zone' | 'baseline',
  chain: string,
  remove: readonly string[],
  force: ReadonlyMap<string, number>,
): string {
  const forced = [...force]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([id, y]) => `${id}@${y}`)
    .join(',');
  return `${which}|${chain}|-${[...remove].sort().join(',')}|+${forced}`;
}

/** The scenario with a draw's shocks added to its own. */
function withShocks(scenario: Scenario, shocks: readonly Shock[]): Scenario {
  return shocks.length === 0 ? scenario : { ...scenario, shocks: [...(scenario.shocks ?? []), ...shocks] };
}

/** The indices of the paths on which every run solved. */
function solvedPaths(...runs: (readonly TracedPath[])[]): number[] {
  const n = runs[0]?.length ?? 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (runs.every((r) => r[i] !== undefined)) out.push(i);
  return out;
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
  const backedFrom = new Map((scenario.zone?.backedProjects ?? []).map((b) => [b.id, b.from]));
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
  const runs = new ChainRuns(catalog, { zone: scenario, baseline: against }, options.ensemble);
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
    // The paths on which all three runs solved (every path, without an ensemble).
    const used = solvedPaths(r.zoneWith, r.zoneWithout, r.baselineWith);
    if (used.length === 0) {
      notValued.push({ id: p.id, reason: 'no ensemble draw solved in all of its runs (see ensemble.failures)' });
      options.onProgress?.({ done: i + 1, total: candidates.length, id: p.id });
      runs.releaseVariants();
      return;
    }
    const pick = (list: readonly TracedPath[]) => used.map((k) => list[k] as TracedRun);
    const zoneWith = pick(r.zoneWith);
    const zoneWithout = pick(r.zoneWithout);
    const baselineWith = pick(r.baselineWith);
    const mZone = zoneWith.map((run) => projectMarket(terms, run.market));
    const mBase = baselineWith.map((run) => projectMarket(terms, run.market));
    const base = valueProject(terms, mBase, { cfd: true });
    const zoneMarket = valueProject(terms, mZone, { cfd: false });
    const zone = valueProject(terms, mZone, { cfd: true });
    // What the zone's prices transfer to it: path by path, its zone output times the zone price less the baseline's.
    const transfer =
      mZone.reduce((sum, m, k) => {
        const baseline = mBase[k] as (typeof mBase)[number];
        const flows = cashFlows(terms, m, { cfd: true });
        return (
          sum +
          presentValue(
            terms,
            flows.map((f) => f.output * (f.price - (f.year >= online ? baseline(f.year).price : f.price))),
          )
        );
      }, 0) / mZone.length;
    const bankable = zoneMarket.npv >= 0;
    // The CfD it is paid under the zone plus the grant that brings its NPV with the CfD to zero. Not max(CfD,
    // −market NPV): a CfD that keeps a plant running in years the market would shut it in also pays for the
    // market loss of those years, so the NPV with the CfD falls short of the market NPV plus the payments.
    const supportCost = bankable ? 0 : zone.cfdPayments + Math.max(0, -zone.npv);
    const ks = chainCommodities(catalog, p.chain);
    const paths = runs.draws(p.chain);
    // Each path's shock years: the scenario's shocks and the draw's.
    const shocksOf = (k: number) => shockYears(withShocks(scenario, (paths[k] as ChainDraw).shocks), ks);
    const security = securityGain(
      zoneWith.map((run, j) => ({
        ...securityPath(run.result, ks, p.commodity, referenceValue),
        shockYears: shocksOf(used[j] as number),
      })),
      zoneWithout.map((run, j) => ({
        ...securityPath(run.result, ks, p.commodity, referenceValue),
        shockYears: shocksOf(used[j] as number),
      })),
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
      backedFrom: backedFrom.get(p.id) ?? null,
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
      incentivePrice: incentivePrice(terms, mBase),
      incentivePriceZone: incentivePrice(terms, mZone),
      incentivePriceAnnuity: p.spec.incentivePrice ?? null,
      cfdPayments: zone.cfdPayments,
      paths: zone.paths,
      probabilityOfLossZone: zone.probabilityOfLoss,
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
    runs.releaseVariants();
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
    ensemble: options.ensemble
      ? {
          draws: options.ensemble.draws,
          seed: options.ensemble.seed,
          parameters: options.ensemble.centralParameters ? 'central' : 'drawn',
          failures: runs.failures,
        }
      : null,
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
  options: Pick<AppraisalOptions, 'scenario' | 'against' | 'catalog' | 'ensemble'>,
  appraisals: readonly ProjectAppraisal[],
  selected: readonly string[],
): JointSecurity {
  const { scenario, against, catalog } = options;
  const runs = new ChainRuns(catalog, { zone: scenario, baseline: against }, options.ensemble);
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
    const used = solvedPaths(withAll, withNone);
    const paths = runs.draws(chain);
    const security = (list: readonly TracedPath[], commodity: string) =>
      used.map((k) => ({
        ...securityPath((list[k] as TracedRun).result, ks, commodity, referenceValue),
        shockYears: shockYears(withShocks(scenario, (paths[k] as ChainDraw).shocks), ks),
      }));
    for (const p of here) {
      // Supply of each project's own commodity, counted once per commodity.
      if (here.findIndex((q) => q.commodity === p.commodity) !== here.indexOf(p)) continue;
      if (used.length === 0) continue;
      const gain = securityGain(security(withAll, p.commodity), security(withNone, p.commodity), years);
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
