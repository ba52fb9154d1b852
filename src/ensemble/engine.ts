/**
 * The engine of an ensemble: built once per worker from the settings (data, scenarios, chains, seed), it runs any
 * draw by its index. A draw is the scenario (and its twin) simulated on the data with every uncertain cell drawn
 * (uncertain.ts) and the shocks drawn from the hazards (risks.ts) added to the scenario's own; its result is the
 * flat vector of headline metrics (metrics.ts). Nothing depends on which draws ran before: results are identical
 * for any number of workers and any order.
 */
import { createHash } from 'node:crypto';
import { Catalog } from '../data/catalog.ts';
import { type Dataset, loadDataset } from '../data/load.ts';
import { BASE_YEAR } from '../data/schema.ts';
import { type EquilibriumSolution, solveEquilibrium } from '../equilibrium/solve.ts';
import { chainCommodities, restrictDataset, restrictScenario } from '../model/chains.ts';
import { modelRegion } from '../model/regions.ts';
import { readScenario, type Scenario, type Shock, spanning } from '../model/scenario.ts';
import { buildWorld } from '../model/world.ts';
import { Parameters } from '../simulate/inputs.ts';
import type { SimulationResult } from '../simulate/result.ts';
import { blocsOf, type SimulateOptions, simulate, validateScenario } from '../simulate/simulate.ts';
import { layoutFor, type MetricLayout, writeMetrics } from './metrics.ts';
import {
  type DerivedRisks,
  drawShocks,
  idleRisks,
  type Risk,
  restrictRisks,
  scenarioRisks,
  twinRisksNote,
  validateRisks,
} from './risks.ts';
import { drawStream } from './stream.ts';
import { drawQuantiles, perturbedCatalog, type UncertainGroup, uncertainGroups } from './uncertain.ts';

/** What defines an ensemble's draws; a resumed run must have the same. */
export interface EnsembleSetup {
  /** A scenario file (absolute path) or a built-in scenario's name. */
  readonly scenario: string;
  /** The twin run on the same draws, over the scenario's horizon. */
  readonly against?: string;
  /** Folders of CSV tables overlaying the embedded data (--data). */
  readonly data: readonly string[];
  /** Model these value chains only (commodities.csv `chain`). */
  readonly chains?: readonly string[];
  readonly seed: number;
  /** Keep the data at their central values: draw shocks only. */
  readonly centralParameters?: boolean;
}

/**
 * The setup with its chains sorted and each named once: the chains are a set (the same commodities are modelled in
 * any order), so `--chain a --chain b`, `--chain b --chain a` and `--chain a --chain a --chain b` are one run.
 */
export function normalizeSetup(setup: EnsembleSetup): EnsembleSetup {
  const { chains, ...rest } = setup;
  const set = chainSet(chains ?? []);
  return set.length > 0 ? { ...rest, chains: set } : rest;
}

/** Chains as a set: sorted, each once. */
export function chainSet(chains: readonly string[]): string[] {
  return [...new Set(chains)].sort();
}

/** The `chains` setting a fingerprint covers: the chains in a setup's order, or 'all'. */
export function chainsSetting(chains: readonly string[] | undefined): string {
  return (chains ?? []).join(',') || 'all';
}

export interface DrawOptions {
  /** Central data instead of drawn (whatever the setup says). */
  readonly central?: boolean;
  /** No drawn shocks (the scenario's own shocks stay). */
  readonly noShocks?: boolean;
}

export interface DrawOutcome {
  readonly shocks: readonly Shock[];
  /** Milliseconds in simulate() (the equilibria and the simulation's bookkeeping). */
  readonly simulateMs: number;
  /** Milliseconds preparing the draw (data copy, shocks) and reading its metrics: the ensemble's own overhead. */
  readonly overheadMs: number;
  /** The years the draw solved (of the scenario and its twin) and their Newton iterations: deterministic work. */
  readonly equilibria: number;
  readonly iterations: number;
}

/** JSON with its object keys sorted, for fingerprints. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A scenario's content without where it was read from. */
function scenarioContent(s: Scenario): unknown {
  const { files: _files, locate: _locate, layerOf: _layerOf, ...rest } = s;
  return rest;
}

/** What a central run leaves for the draws to start from: its first equilibrium, and each year's. */
interface CentralEquilibria {
  readonly start?: EquilibriumSolution;
  readonly byYear: ReadonlyMap<number, EquilibriumSolution>;
}

export class DrawEngine {
  /** The data the draws perturb (restricted to the chains, central values). */
  readonly catalog: Catalog;
  readonly scenario: Scenario;
  readonly against?: Scenario;
  readonly groups: readonly UncertainGroup[];
  readonly risks: readonly Risk[];
  readonly derived?: DerivedRisks;
  readonly layout: MetricLayout;
  private centralRuns?: { readonly scenario: SimulationResult; readonly against?: SimulationResult };
  private centralNear?: readonly CentralEquilibria[];
  /** A hash of everything that defines the draws: data, scenarios, hazards, seed, settings. */
  readonly fingerprint: string;
  /** What the fingerprint covers, readable (to say what differs when a resume is refused). */
  readonly settings: Record<string, string>;
  private flowsFrom?: Map<string, { to: string; quantity: number }[]>;
  private readonly exportsMemo = new Map<string, number>();

  /** The setup normalised (normalizeSetup): what the fingerprint covers. */
  readonly setup: EnsembleSetup;
  /** What the user should hear of the hazards: the scenario's own that can never fire (idleRisks), a twin's not drawn. */
  readonly riskNotes: readonly string[];
  /** The years the twin's dates are checked over (SimulateOptions.datesWithin). */
  private readonly againstDates?: Scenario['horizon'];

  constructor(
    given: EnsembleSetup,
    options: {
      dataset?: Dataset;
      /** The scenarios already read (then `setup.scenario` and `setup.against` only name them). */
      scenarios?: { readonly scenario: Scenario; readonly against?: Scenario };
    } = {},
  ) {
    const setup = normalizeSetup(given);
    this.setup = setup;
    const dataset = options.dataset ?? loadDataset({ overlays: setup.data });
    const full = new Catalog(dataset);
    const scenario = options.scenarios?.scenario ?? readScenario(setup.scenario);
    validateScenario(scenario, full);
    validateRisks(scenario, full);
    let against: Scenario | undefined;
    if (setup.against !== undefined) {
      const read = options.scenarios?.against ?? readScenario(setup.against);
      validateScenario(read, full);
      // The twin runs over the scenario's years, so that every year has a pair; its dates are checked over its own
      // years and those (a shock of its own before them does not occur there).
      against = { ...read, horizon: scenario.horizon };
      this.againstDates = spanning(read.horizon, scenario.horizon);
    }
    const { risks, derived } = scenarioRisks(scenario, full);
    const keep = setup.chains && setup.chains.length > 0 ? chainCommodities(dataset, setup.chains) : undefined;
    const twinNote = twinRisksNote(scenario, against);
    this.riskNotes = [...idleRisks(scenario, full, keep), ...(twinNote ? [twinNote] : [])];
    if (keep) {
      const projectCommodity = new Map(dataset.tables.projects.map((p) => [p.id, p.commodity]));
      this.catalog = new Catalog(restrictDataset(dataset, keep));
      this.scenario = restrictScenario(scenario, keep, projectCommodity);
      if (against) this.against = restrictScenario(against, keep, projectCommodity);
      this.risks = restrictRisks(risks, keep);
    } else {
      this.catalog = full;
      this.scenario = scenario;
      if (against) this.against = against;
      this.risks = risks;
    }
    if (derived) this.derived = derived;
    this.groups = uncertainGroups(this.catalog);
    this.layout = layoutFor(this.catalog.dataset.tables.commodities, this.scenario.horizon);
    this.settings = {
      scenario: sha256(canonical(scenarioContent(this.scenario))),
      against: this.against ? sha256(canonical(scenarioContent(this.against))) : 'none',
      data: sha256(canonical(this.catalog.dataset.tables)),
      seed: String(setup.seed),
      parameters: setup.centralParameters ? 'central' : 'drawn',
      chains: chainsSetting(setup.chains),
      risks: sha256(canonical(this.risks)),
      layout: sha256(canonical(this.layout)),
    };
    this.fingerprint = sha256(canonical(this.settings));
    // Quotas are shares of base-year exports: solve the base year now, not inside the first draw.
    if (this.risks.some((r) => r.kind === 'quota')) this.baseExports(this.scenario.dominantSupplier, '', '*');
  }

  /**
   * The twin's options as simulate takes them: its dates check (datesWithin), and the scenario run's bloc by year, which
   * its bloc figures count where it has no zone of its own (blocs).
   */
  private twinOptions(scenario: SimulationResult): Pick<SimulateOptions, 'datesWithin' | 'blocs'> {
    return { ...(this.againstDates ? { datesWithin: this.againstDates } : {}), blocs: blocsOf(scenario) };
  }

  /** The central runs (central data, no drawn shocks): the deterministic simulation of each scenario. */
  central(): { readonly scenario: SimulationResult; readonly against?: SimulationResult } {
    if (!this.centralRuns) {
      const near: CentralEquilibria[] = [];
      const run = (s: Scenario, twin: Pick<SimulateOptions, 'datesWithin' | 'blocs'> = {}) => {
        const byYear = new Map<number, EquilibriumSolution>();
        let start: EquilibriumSolution | undefined;
        const result = simulate(s, this.catalog, {
          onStart: (solution) => {
            start = solution;
          },
          onYear: ({ year, solution }) => byYear.set(year, solution),
          ...twin,
        });
        near.push({ ...(start ? { start } : {}), byYear });
        return result;
      };
      const scenario = run(this.scenario);
      const against = this.against ? run(this.against, this.twinOptions(scenario)) : undefined;
      this.centralRuns = { scenario, ...(against ? { against } : {}) };
      this.centralNear = near;
    }
    return this.centralRuns;
  }

  /**
   * The equilibria of each central run: a draw's runs warm-start from its first (a draw's world is the central one
   * with its data drawn), which spares each a cold solve, and a year whose warm start from last year's misses tries
   * the central run's same year before solving cold.
   */
  private near(): readonly CentralEquilibria[] {
    this.central();
    return this.centralNear as CentralEquilibria[];
  }

  /**
   * Base-year exports of a commodity from a supplier to some destinations in the central data's base-year
   * equilibrium without any policy: what a quota's share is a share of.
   */
  baseExports(origin: string, commodity: string, destinations: readonly string[] | 'members' | '*'): number {
    const key = `${origin}|${commodity}|${typeof destinations === 'string' ? destinations : destinations.join(' ')}`;
    const known = this.exportsMemo.get(key);
    if (known !== undefined) return known;
    if (!this.flowsFrom) {
      // Flows of the base year's equilibrium, by commodity and exporter.
      this.flowsFrom = new Map();
      const world = buildWorld(this.catalog, { year: BASE_YEAR });
      for (const f of solveEquilibrium(world.problem).flows) {
        const at = `${f.commodity}|${f.from}`;
        const list = this.flowsFrom.get(at) ?? [];
        list.push({ to: f.to, quantity: f.quantity });
        this.flowsFrom.set(at, list);
      }
    }
    const from = modelRegion(this.catalog, origin);
    const members = [...new Set((this.scenario.zone?.members ?? []).map((m) => modelRegion(this.catalog, m.region)))];
    const bloc =
      members.length > 0
        ? members
        : this.catalog.dataset.tables.regions.filter((r) => r.default_bloc).map((r) => r.code);
    const to =
      destinations === '*'
        ? undefined
        : new Set((destinations === 'members' ? bloc : destinations).map((d) => modelRegion(this.catalog, d)));
    let total = 0;
    for (const f of this.flowsFrom.get(`${commodity}|${from}`) ?? []) {
      if (f.to !== from && (to === undefined || to.has(f.to))) total += f.quantity;
    }
    this.exportsMemo.set(key, total);
    return total;
  }

  /** The inputs of draw `index`: its catalog and its shocks. */
  prepare(index: number, options: DrawOptions = {}): { catalog: Catalog; shocks: Shock[] } {
    const central = options.central ?? this.setup.centralParameters ?? false;
    const u = drawQuantiles(this.groups, central ? undefined : drawStream(this.setup.seed, index, 'parameters'));
    const catalog = perturbedCatalog(this.catalog, this.groups, u);
    if (options.noShocks) return { catalog, shocks: [] };
    let params: Parameters | undefined;
    const shocks = drawShocks(this.risks, this.setup.seed, index, {
      horizon: this.scenario.horizon,
      parameter: (id) => {
        params ??= new Parameters(catalog, this.scenario.parameters ?? {});
        return params.get(id);
      },
      baseExports: (o, k, d) => this.baseExports(o, k, d),
    });
    return { catalog, shocks };
  }

  /**
   * The simulations of draw `index` (the scenario's, and the twin's): what `run` reads the draw's metrics from, and
   * what a diagnosis of one draw wants whole (its years, their certificates). `prepareMs`: the time preparing it.
   * Throws the simulation's error when an equilibrium fails.
   */
  simulateDraw(
    index: number,
    options: DrawOptions = {},
  ): {
    readonly shocks: readonly Shock[];
    readonly scenario: SimulationResult;
    readonly against?: SimulationResult;
    readonly prepareMs: number;
  } {
    const t0 = performance.now();
    const { catalog, shocks } = this.prepare(index, options);
    const withShocks = (s: Scenario): Scenario =>
      shocks.length === 0 ? s : { ...s, shocks: [...(s.shocks ?? []), ...shocks] };
    const prepareMs = performance.now() - t0;
    const [near, twinNear] = this.near();
    // A draw's metrics (metrics.ts) read no welfare split.
    const from = (c: CentralEquilibria | undefined) => ({
      noWelfare: true,
      ...(c ? { ...(c.start ? { start: c.start } : {}), nearByYear: c.byYear } : {}),
    });
    const scenario = simulate(withShocks(this.scenario), catalog, from(near));
    const against = this.against
      ? simulate(withShocks(this.against), catalog, { ...from(twinNear), ...this.twinOptions(scenario) })
      : undefined;
    return { shocks, scenario, ...(against ? { against } : {}), prepareMs };
  }

  /**
   * Runs draw `index`, writing its metrics into `scenarioOut` (and `againstOut` for the twin) at `offset`.
   * Throws the simulation's error when an equilibrium fails.
   */
  run(
    index: number,
    scenarioOut: Float64Array,
    againstOut: Float64Array | undefined,
    offset: number,
    options: DrawOptions = {},
  ): DrawOutcome {
    const t0 = performance.now();
    const { shocks, scenario: result, against: twin, prepareMs } = this.simulateDraw(index, options);
    const t2 = performance.now();
    writeMetrics(this.layout, result, scenarioOut, offset);
    if (twin && againstOut) writeMetrics(this.layout, twin, againstOut, offset);
    const t3 = performance.now();
    let equilibria = 0;
    let iterations = 0;
    for (const run of twin ? [result, twin] : [result]) {
      for (const y of run.years) {
        equilibria++;
        iterations += y.certificate.iterations;
      }
    }
    return { shocks, simulateMs: t2 - t0 - prepareMs, overheadMs: prepareMs + (t3 - t2), equilibria, iterations };
  }
}
