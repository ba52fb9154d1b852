/**
 * Running an ensemble: the draws not yet stored are cut into contiguous chunks and run on a pool of worker threads
 * (piscina, one engine per worker); each finished chunk is written to the store in one transaction as it arrives;
 * when all are in, the distributions are computed from the store. `resume` continues a stored run with the same
 * settings (refusing a mismatch), redoing nothing that is stored.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Piscina } from 'piscina';
import type { Dataset } from '../data/load.ts';
import { ensureFolder } from '../folders.ts';
import { InputError } from '../model/document.ts';
import { chainSet, chainsSetting, DrawEngine, type EnsembleSetup, normalizeSetup } from './engine.ts';
import { lockStore } from './lock.ts';
import { type MetricLayout, writeMetrics } from './metrics.ts';
import type { DerivedRisks, Risk } from './risks.ts';
import { EnsembleStore, STORE_VERSION, storeError } from './store.ts';
import {
  DEFAULT_THRESHOLDS,
  type EventChangeRow,
  type EventRow,
  type ExpectedLossRow,
  type QuantileRow,
  summarize,
  type Thresholds,
} from './summary.ts';
import { summarizeGroups, type UncertainSummary } from './uncertain.ts';
import type { ChunkResult, ChunkTask, WorkerData } from './worker.ts';

export const MAX_DRAWS = 10_000_000;
export const MAX_WORKERS = 256;

export interface Progress {
  /** Draws stored (this session and before). */
  readonly done: number;
  readonly total: number;
  /** Draws completed in this session. */
  readonly session: number;
  readonly elapsedMs: number;
  /** Draws per second in this session. */
  readonly rate: number;
  /** Estimated milliseconds left. */
  readonly etaMs: number;
}

export interface EnsembleRunOptions {
  readonly setup: EnsembleSetup;
  readonly draws: number;
  /** Worker threads (default: the machine's available parallelism). */
  readonly workers?: number;
  /** Output folder; the store is ensemble.sqlite in it. */
  readonly out: string;
  readonly resume?: boolean;
  /** Discard a stored run in the folder and start again. */
  readonly overwrite?: boolean;
  readonly thresholds?: Thresholds;
  /** Draws per task (default: about 20 tasks per worker, at most 50 draws each). */
  readonly chunk?: number;
  readonly onProgress?: (p: Progress) => void;
  /** The data, when already loaded (else read from setup.data). */
  readonly dataset?: Dataset;
  /** Stops the run (Ctrl-C): it ends with an EnsembleInterrupted, keeping the draws stored so far. */
  readonly signal?: AbortSignal;
  /** Told, before the draws start, what the user should know of the setup: the scenario's risks that never fire. */
  readonly onNote?: (text: string) => void;
  /**
   * Called once every draw is stored, before they are summarised: the signal stops nothing from then on (the summary
   * runs on this thread without a break), and every draw is there for --resume to summarise again.
   */
  readonly onDrawsDone?: () => void;
}

/** A run stopped by its signal, and what it left: the draws stored, and whether its store was removed. */
export class EnsembleInterrupted extends Error {
  /** Draws stored when the run stopped (completed, or failed and recorded), this run's and earlier ones. */
  stored = 0;
  /** The store was made by this run and held no draw, so it was removed (as after a failure). */
  removed = false;

  constructor(readonly file: string) {
    super(`${file}: the ensemble was interrupted`);
    this.name = 'EnsembleInterrupted';
  }
}

export interface EnsembleMeta {
  readonly scenario: { readonly name: string; readonly title: string; readonly description: string };
  readonly against: { readonly name: string; readonly title: string; readonly description: string } | null;
  readonly horizon: { readonly start: number; readonly end: number };
  readonly seed: number;
  readonly draws: { readonly requested: number; readonly stored: number; readonly failed: number };
  /** The first failed draws and why (an equilibrium that could not be certified): they are left out. */
  readonly failures: readonly { readonly draw: number; readonly message: string }[];
  readonly workers: number;
  readonly chains: readonly string[] | null;
  readonly parameters: 'drawn' | 'central';
  readonly thresholds: Thresholds;
  readonly quantiles: readonly number[];
  readonly risks: readonly Risk[];
  readonly riskDerivation: Omit<DerivedRisks, 'risks'> | null;
  readonly uncertain: readonly UncertainSummary[];
  readonly store: string;
  readonly resumed: boolean;
  /** This session: draws run, wall time, rate. */
  readonly session: {
    readonly draws: number;
    readonly seconds: number;
    readonly drawsPerSecond: number;
    /** Wall time per draw split: in simulate() (equilibria and bookkeeping), the draw's own preparation (data copy, shocks, metrics), and the main thread's storing. */
    readonly msPerDraw: { readonly simulate: number; readonly prepare: number; readonly store: number };
    /** Share of the workers' wall time spent running tasks (the rest: start-up, messages, waiting). */
    readonly workerUtilisation: number;
    /** CPU milliseconds per draw of the worker threads running draws (Linux; null elsewhere): load-independent. */
    readonly workerCpuMsPerDraw: number | null;
    /**
     * The equilibria (years, of the scenario and its twin) solved per draw and the Newton iterations each took on
     * average: the work behind the rate, the same on any machine and load.
     */
    readonly equilibria: { readonly perDraw: number; readonly newtonIterations: number };
  };
  readonly layout: MetricLayout;
  readonly fingerprint: string;
}

export interface EnsembleResult {
  readonly meta: EnsembleMeta;
  readonly quantiles: readonly QuantileRow[];
  readonly probabilities: {
    readonly events: readonly EventRow[];
    /** With a twin (`--against`): each event's change in probability on the same draws; absent without. */
    readonly changes?: readonly EventChangeRow[];
    readonly expectedConsumptionLost: readonly ExpectedLossRow[];
  };
}

const WORKER_FILE = fileURLToPath(new URL('./worker.mjs', import.meta.url));

/**
 * Each worker's young generation, where V8 allocates first. V8 splits it in three: two semi-spaces, here of 32 MB
 * each against its default of 16 MB on this machine, and as much for large new objects. A draw allocates about 4 MB
 * and keeps its years' results until it ends, so a young collection every four draws or so copies a draw's worth of
 * live objects; with twice the room there are half as many. Measured on rare-earth draws in one process (500 draws,
 * three alternated runs against the default): the young collections' pauses 912/933/922 ms → 590/721/584 ms in all,
 * wall time per draw 31.9/38.3/28.8 → 30.3/33.2/26.8 ms; through the pool on two workers, 1,500 draws in 43.3/44.3 s
 * → 40.2/42.7 s (alternated). At most 48 MB more memory per worker than V8's default; results are the same, as the
 * heap's size changes nothing that is computed.
 */
const WORKER_YOUNG_GENERATION_MB = 96;

/**
 * V8's settings for the pool's isolates. Flags are process-wide and a worker's isolate reads them when it starts, so
 * they are set before the pool is; they change when and where code is optimised, never what it computes.
 *
 * - A patient optimiser. V8 optimises a function once it has run an interrupt budget of bytecode (67,584 by default).
 *   A worker's isolate starts cold, and at that budget the engine's large functions (the interior point, the
 *   simulation) are optimised on thin type feedback, then deoptimised and recompiled several times, at 300–700 ms of
 *   compiler time each, during the worker's first draws. A budget of 1,000,000 lets the feedback settle first: on two
 *   workers × 200 rare-earth draws, process CPU per draw 125 → 93 ms and draws per second 15.7 → 21.0, the steady
 *   rate unchanged.
 * - No compiler thread beside a worker when the workers take every core. V8 optimises on a background thread of its
 *   own, which is free work while a core is idle but takes time from the other worker when none is: on two cores,
 *   two workers × 300 rare-earth draws ran at 28.4 and 23.3 draws/s with it, 31.8 and 29.8 without (alternated;
 *   second halves 40.9 / 34.7 against 46.8 / 43.3); over 1,500 draws, 41.5 / 39.7 against 43.1 / 40.1 (the gain is
 *   in the warm-up). With a core to spare (one worker on two cores) it stays on:
 *   there it is worth 8–12% (25.3 / 23.5 draws/s with, 22.4 / 20.8 without). Two whole processes with no V8 helper
 *   threads at all reach 0.91 of one alone in steady state on this machine; with them, 0.82.
 * - The garbage collector's threads stay as they are: `--single-threaded-gc` set here, after start-up, crashes V8 once
 *   a worker's isolate collects (`Check failed: concurrent_marking_handle_`, three runs of three on Node 20.20). It
 *   is a start-up flag only.
 */
function tuneOptimiser(workers: number): void {
  if (!interruptBudgetSet) {
    setFlagsFromString('--interrupt-budget=1000000');
    interruptBudgetSet = true;
  }
  const background = workers < availableParallelism();
  if (background !== backgroundCompiler) {
    setFlagsFromString(background ? '--concurrent-recompilation' : '--no-concurrent-recompilation');
    backgroundCompiler = background;
  }
}
let interruptBudgetSet = false;
/** V8's default: optimise on a background thread. */
let backgroundCompiler = true;

/** Checks the numbers a user gives; errors name the option. */
export function checkRunNumbers(o: { draws: number; workers?: number; seed: number; chunk?: number }): void {
  if (!Number.isInteger(o.draws) || o.draws < 1 || o.draws > MAX_DRAWS) {
    throw new InputError(`--draws ${o.draws}: expected a whole number of draws from 1 to ${MAX_DRAWS}`);
  }
  if (o.workers !== undefined && (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > MAX_WORKERS)) {
    throw new InputError(`--workers ${o.workers}: expected a whole number of worker threads from 1 to ${MAX_WORKERS}`);
  }
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) {
    throw new InputError(`--seed ${o.seed}: expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`);
  }
  if (o.chunk !== undefined && (!Number.isInteger(o.chunk) || o.chunk < 1)) {
    throw new InputError(`--chunk ${o.chunk}: expected a whole number of draws per task, at least 1`);
  }
}

/** Contiguous runs of draws not yet done, cut into chunks, one at a time (as the pool takes them). */
function* chunksOf(done: Uint8Array, size: number): Generator<Omit<ChunkTask, 'fingerprint'>> {
  let i = 0;
  while (i < done.length) {
    if (done[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < done.length && !done[j] && j - i < size) j++;
    yield { start: i, count: j - i };
    i = j;
  }
}

/**
 * Tasks handed to the pool per worker at once; each one that ends makes room for the next. Handed over all at once,
 * 200,000 tasks (2,000,000 draws in chunks of 10) took 343 MB of the main thread's heap before the first draw was
 * stored. A few per worker keep every worker busy while the main thread does its central run.
 */
const TASKS_PER_WORKER = 4;

/** Refuses --resume with --overwrite, and --resume with no store (before anything is made). */
function checkStoreOptions(options: EnsembleRunOptions): void {
  if (options.resume && options.overwrite) {
    throw new InputError('--resume and --overwrite: choose one (continue the stored run, or discard it)');
  }
  if (options.resume && !EnsembleStore.exists(options.out)) {
    throw new InputError(
      `${EnsembleStore.path(options.out)}: no stored ensemble to resume (run without --resume to start one)`,
    );
  }
}

/**
 * With the store locked: refuses a store with draws that is there without --resume or --overwrite. Returns whether
 * the store there is to be discarded: with --overwrite, or when it holds no draw (left by a run killed before its
 * first draw ended): with nothing in it to lose, a plain run starts afresh. No other run can be writing it: this one
 * holds its lock.
 */
function checkStoreChoice(options: EnsembleRunOptions): boolean {
  if (!EnsembleStore.exists(options.out)) return false;
  if (options.overwrite) return true;
  if (options.resume) return false;
  const file = EnsembleStore.path(options.out);
  const info = EnsembleStore.inspect(file);
  info.close();
  if (info.draws === 0 && info.failures === 0) return true;
  throw new InputError(
    `${file}: an ensemble is already stored here (${info.draws} draws${info.failures > 0 ? `, ${info.failures} failed` : ''}): pass --resume to continue it, --overwrite to start again, or choose another --out`,
  );
}

/**
 * Opens the output folder's store for this run, once checkStoreChoice has allowed it: new, resumed (same settings
 * only) or discarded and made anew.
 */
function openStore(
  engine: DrawEngine,
  options: EnsembleRunOptions,
  discard: boolean,
): { store: EnsembleStore; created: boolean } {
  const file = EnsembleStore.path(options.out);
  if (discard) EnsembleStore.remove(options.out);
  const store = EnsembleStore.open(options.out);
  const version = store.getMeta('version');
  if (version === undefined) {
    store.setMeta({
      version: STORE_VERSION,
      fingerprint: engine.fingerprint,
      settings: JSON.stringify(engine.settings),
      setup: JSON.stringify(engine.setup),
      layout: JSON.stringify(engine.layout),
    });
    return { store, created: true };
  }
  if (version !== STORE_VERSION) {
    store.close();
    throw new InputError(
      `${file}: made by another version of the ensemble store (${version}, this is ${STORE_VERSION}); use --overwrite`,
    );
  }
  const stored = JSON.parse(store.getMeta('settings') ?? '{}') as Record<string, string>;
  const differ = [...new Set([...Object.keys(stored), ...Object.keys(engine.settings)])].filter(
    (k) => !sameSetting(k, stored[k], engine.settings[k]),
  );
  if (store.getMeta('fingerprint') !== engine.fingerprint && differ.length > 0) {
    const words: Record<string, string> = {
      scenario: 'the scenario (its file or what it extends changed)',
      against: 'the --against scenario',
      data: 'the data (--data overlays or the embedded tables)',
      seed: '--seed',
      parameters: '--central-parameters',
      chains: '--chain',
      risks: 'the hazards drawn from (risks section or policy events)',
      layout: 'the metrics (years or commodities)',
    };
    // The scenarios, the data, the hazards and the metrics are compared as restricted to the chains modelled: where
    // --chain changed they differ with it, and --chain is the one to name.
    const all = Object.keys(words).filter((k) => differ.includes(k));
    const followChains = new Set(['scenario', 'against', 'data', 'risks', 'layout']);
    const named = all.includes('chains') ? all.filter((k) => !followChains.has(k)) : all;
    // The twin by name: whether the stored run had one is not plain from the command (the CLI's default run has
    // baseline as its twin, a scenario named alone has none).
    const storedSetup = JSON.parse(store.getMeta('setup') ?? '{}') as Partial<EnsembleSetup>;
    const twin = (s: string | undefined) =>
      s === undefined ? 'none' : path.basename(s).replace(/\.(ya?ml|json)$/, '');
    const twins = { stored: twin(storedSetup.against), now: twin(engine.setup.against) };
    const detail = named
      .map((k) =>
        k === 'against' && twins.stored !== twins.now
          ? `${words[k]}: stored ${twins.stored}, now ${twins.now}`
          : k === 'seed' || k === 'parameters' || k === 'chains'
            ? `${words[k]}: stored ${stored[k]}, now ${engine.settings[k]}` +
              (k === 'chains'
                ? ' (the scenario, the data and the hazards are compared on the chains modelled, so whether they changed as well cannot be told)'
                : '')
            : (words[k] as string),
      )
      .join('; ');
    store.close();
    throw new InputError(
      `${file}: cannot resume: the stored run has other settings (${detail || 'fingerprint'}); resume with the same scenario, seed and settings, or use --overwrite or another --out`,
    );
  }
  return { store, created: false };
}

/**
 * Whether a store's setting `key` is this run's. Stores made before the chains were normalised kept them in the
 * order given (and fingerprinted them so): read as a set, they are the same chains.
 */
function sameSetting(key: string, stored: string | undefined, now: string | undefined): boolean {
  if (key !== 'chains' || stored === undefined || now === undefined) return stored === now;
  return chainsSetting(chainSet(stored.split(','))) === chainsSetting(chainSet(now.split(',')));
}

/** Runs (or resumes) an ensemble and returns its distributions. */
export async function runEnsemble(options: EnsembleRunOptions): Promise<EnsembleResult> {
  checkRunNumbers({
    draws: options.draws,
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    seed: options.setup.seed,
    ...(options.chunk ? { chunk: options.chunk } : {}),
  });
  // No more threads than draws: each thread loads the data and does the central runs before its first task.
  const workers = Math.min(options.workers ?? Math.max(1, availableParallelism()), options.draws);
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  checkStoreOptions(options);
  // Held until the run has closed (or removed) its store, whichever way it ends.
  ensureFolder(options.out, 'the ensemble store');
  const file = EnsembleStore.path(options.out);
  const release = lockStore(file);
  try {
    const discard = checkStoreChoice(options);
    return await runLocked(options, workers, thresholds, discard);
  } catch (e) {
    throw storeError(file, e);
  } finally {
    release();
  }
}

/** runEnsemble once the store is locked for this run. */
async function runLocked(
  options: EnsembleRunOptions,
  workers: number,
  thresholds: Thresholds,
  discard: boolean,
): Promise<EnsembleResult> {
  // The pool starts first: its threads load the code and the data and build their engines (central runs included)
  // while this thread reads the scenario, opens the store and does its own central run. The session's time runs from
  // here.
  const started = performance.now();
  tuneOptimiser(workers);
  const setup = normalizeSetup(options.setup);
  const data: WorkerData = { setup };
  const pool = new Piscina<ChunkTask, ChunkResult>({
    filename: WORKER_FILE,
    workerData: data,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 60_000,
    concurrentTasksPerWorker: 1,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  let destroyed: Promise<void> | undefined;
  const stop = () => {
    destroyed ??= pool.destroy();
    return destroyed;
  };
  let engine: DrawEngine;
  let store: EnsembleStore;
  let created: boolean;
  try {
    engine = new DrawEngine(setup, options.dataset ? { dataset: options.dataset } : {});
    for (const note of engine.riskNotes) options.onNote?.(note);
    // A threshold on a commodity the chains do not model has no event to apply to.
    const modelled = new Set(engine.layout.commodities.map((c) => c.id));
    for (const [k, price] of Object.entries(thresholds.prices)) {
      if (!modelled.has(k)) {
        options.onNote?.(
          `--price-threshold ${k}=${price}: ${k} is not in the chains modelled (--chain ${(setup.chains ?? []).join(' --chain ')}): no event uses it`,
        );
      }
    }
    ({ store, created } = openStore(engine, options, discard));
  } catch (e) {
    await stop();
    throw e;
  }
  let completed = false;
  let interruption: EnsembleInterrupted | undefined;
  try {
    const N = options.draws;
    // Resumed with fewer --draws than the store holds: the summary reads the first N, which the user should hear of
    // (meta.draws says N requested and N stored, with no word of the rest).
    const beyond = store.beyond(N);
    if (beyond.count > 0) {
      options.onNote?.(
        `${store.file} holds ${beyond.count} more draw${beyond.count === 1 ? '' : 's'} than --draws ${N}: this summary reads draws 0 to ${N - 1}; the store keeps the others (--draws ${beyond.end} reads all)`,
      );
    }
    const done = store.done(N);
    const before = done.reduce((a, b) => a + b, 0);
    const todo = N - before;
    const chunk = options.chunk ?? Math.max(1, Math.min(50, Math.ceil(todo / (workers * 20))));
    const tasks = chunksOf(done, chunk);
    let session = 0;
    let storeMs = 0;
    let busyMs = 0;
    let cpuMs = 0;
    let simulateMs = 0;
    let prepareMs = 0;
    let solved = 0;
    let equilibria = 0;
    let iterations = 0;
    const report = () => {
      const elapsedMs = performance.now() - started;
      const rate = elapsedMs > 0 ? (session / elapsedMs) * 1000 : 0;
      options.onProgress?.({
        done: before + session,
        total: N,
        session,
        elapsedMs,
        rate,
        etaMs: rate > 0 ? ((todo - session) / rate) * 1000 : Number.NaN,
      });
    };
    report();
    // The central runs (what the report compares the draws with) are done on this thread while the workers draw.
    let central: ReturnType<DrawEngine['central']> | undefined;
    if (todo > 0) {
      const { fingerprint } = engine;
      const size = engine.layout.size;
      let failure: unknown;
      const store1 = (r: ChunkResult) => {
        const t0 = performance.now();
        const rows = [];
        for (let i = 0; i < r.count; i++) {
          if (!r.ok[i]) continue;
          rows.push({
            draw: r.start + i,
            scenario: r.scenario.subarray(i * size, (i + 1) * size),
            ...(r.against ? { against: r.against.subarray(i * size, (i + 1) * size) } : {}),
            shocks: r.shocks[i] as string,
            simulateMs: r.simulateMs[i] as number,
            overheadMs: r.overheadMs[i] as number,
          });
          simulateMs += r.simulateMs[i] as number;
          prepareMs += r.overheadMs[i] as number;
        }
        store.add(rows, r.failures);
        session += r.count;
        solved += rows.length;
        equilibria += r.equilibria;
        iterations += r.iterations;
        busyMs += r.busyMs;
        cpuMs += r.cpuMs;
        storeMs += performance.now() - t0;
        report();
      };
      const fail = (e: unknown) => {
        if (failure === undefined) {
          failure = e;
          // Stop handing out work: what is stored stays, --resume picks up the rest.
          void stop();
        }
      };
      const interrupt = () => {
        interruption ??= new EnsembleInterrupted(store.file);
        fail(interruption);
      };
      if (options.signal?.aborted) interrupt();
      else options.signal?.addEventListener('abort', interrupt, { once: true });
      let running = 0;
      let drained: () => void = () => {};
      const finished = new Promise<void>((resolve) => {
        drained = resolve;
      });
      const launch = (): void => {
        while (failure === undefined && running < workers * TASKS_PER_WORKER) {
          const next = tasks.next();
          if (next.done) break;
          running++;
          pool
            .run({ ...next.value, fingerprint })
            .then(store1)
            .catch(fail)
            .finally(() => {
              running--;
              launch();
            });
        }
        if (running === 0) drained();
      };
      launch();
      try {
        central = engine.central();
      } catch (e) {
        // Every draw starts from the central runs and would fail the same way.
        fail(e);
      }
      await finished;
      options.signal?.removeEventListener('abort', interrupt);
      if (failure !== undefined) throw failure;
    }
    options.onDrawsDone?.();
    await stop();
    const seconds = (performance.now() - started) / 1000;
    central ??= engine.central();
    const centralScenario = new Float64Array(engine.layout.size);
    writeMetrics(engine.layout, central.scenario, centralScenario);
    let centralAgainst: Float64Array | undefined;
    if (central.against) {
      centralAgainst = new Float64Array(engine.layout.size);
      writeMetrics(engine.layout, central.against, centralAgainst);
    }
    const distributions = summarize({
      store,
      limit: N,
      layout: engine.layout,
      hasAgainst: engine.against !== undefined,
      central: { scenario: centralScenario, ...(centralAgainst ? { against: centralAgainst } : {}) },
      thresholds,
    });
    const counts = store.count(N);
    const s = engine.scenario;
    const a = engine.against;
    const meta: EnsembleMeta = {
      scenario: { name: s.name, title: s.title, description: s.description },
      against: a ? { name: a.name, title: a.title, description: a.description } : null,
      horizon: s.horizon,
      seed: options.setup.seed,
      draws: { requested: N, stored: counts.draws, failed: counts.failures },
      failures: store.failures(N).slice(0, 20),
      workers,
      chains: setup.chains ? [...setup.chains] : null,
      parameters: options.setup.centralParameters ? 'central' : 'drawn',
      thresholds,
      quantiles: [0.05, 0.25, 0.5, 0.75, 0.95],
      risks: engine.risks,
      riskDerivation: engine.derived ? { window: engine.derived.window, durations: engine.derived.durations } : null,
      uncertain: options.setup.centralParameters ? [] : summarizeGroups(engine.groups),
      store: store.file,
      resumed: before > 0,
      session: {
        draws: session,
        seconds,
        drawsPerSecond: seconds > 0 ? session / seconds : 0,
        msPerDraw: {
          simulate: session > 0 ? simulateMs / session : 0,
          prepare: session > 0 ? prepareMs / session : 0,
          store: session > 0 ? storeMs / session : 0,
        },
        workerUtilisation: seconds > 0 ? busyMs / (seconds * 1000 * workers) : 0,
        workerCpuMsPerDraw: session > 0 && Number.isFinite(cpuMs) ? cpuMs / session : null,
        equilibria: {
          perDraw: solved > 0 ? equilibria / solved : 0,
          newtonIterations: equilibria > 0 ? iterations / equilibria : 0,
        },
      },
      layout: engine.layout,
      fingerprint: engine.fingerprint,
    };
    completed = true;
    return {
      meta,
      quantiles: distributions.quantiles,
      probabilities: {
        events: distributions.events,
        ...(engine.against !== undefined ? { changes: distributions.eventChanges } : {}),
        expectedConsumptionLost: distributions.expectedConsumptionLost,
      },
    };
  } finally {
    await stop();
    // A store this run made and that holds nothing (the run failed or was interrupted before any draw ended) would
    // only stand in the way of running the same command again.
    const { draws, failures } = store.count(options.draws);
    const empty = !completed && created && draws === 0 && failures === 0;
    store.close();
    if (empty) EnsembleStore.remove(options.out);
    if (interruption) {
      interruption.stored = draws + failures;
      interruption.removed = empty;
    }
  }
}
