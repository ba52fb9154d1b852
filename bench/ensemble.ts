/**
 * Ensemble benchmarks (called from bench/run.ts):
 * - ensemble.overhead: the ensemble's own work per draw, without the simulation: preparing a draw (drawn data,
 *   drawn shocks), reading its metrics, and storing it (batched SQLite inserts), in-process.
 * - ensemble.workers-1 / ensemble.workers-2: draws per second of the rare-earth chain over 15 years on one and two
 *   worker threads, alternated and repeated (medians), and the parallel efficiency rate(2) / (2 × rate(1)).
 * - ensemble.rare-earths-10k: 10,000 draws × 15 years of the rare-earth chain on two workers, wall time. The whole
 *   run takes minutes, more than `npm run bench` may (two minutes): by default 500 draws run and the 10,000 are
 *   projected as their time plus the 9,500 left at the rate of their second half (`projected`; the workers are still
 *   warming up there, so the projection leans high); LODESTONE_BENCH_DRAWS=N runs N draws (10000: all, measured).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { DrawEngine, type EnsembleSetup } from '../src/ensemble/engine.ts';
import { writeMetrics } from '../src/ensemble/metrics.ts';
import { runEnsemble } from '../src/ensemble/run.ts';
import { EnsembleStore } from '../src/ensemble/store.ts';
import { SCENARIO_DIR } from '../src/model/scenario.ts';
import { type BenchResult, quantileOfSorted } from './harness.ts';

/** The rare-earth chain (concentrate, NdPr oxide, NdFeB magnet) under the zone with the 2027 ban, 2026–2040. */
export function rareEarthSetup(dir: string): EnsembleSetup {
  const file = path.join(dir, 'zone-2026-ban-2027-15y.yaml');
  writeFileSync(
    file,
    `name: zone-2026-ban-2027-15y\nextends: ${path.join(SCENARIO_DIR, 'zone-2026-ban-2027.yaml')}\nhorizon: { start: 2026, end: 2040 }\n`,
  );
  return { scenario: file, data: [], chains: ['rare-earths'], seed: 2026 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
}

function overhead(setup: EnsembleSetup): BenchResult {
  const engine = new DrawEngine(setup);
  const size = engine.layout.size;
  const result = engine.central().scenario;
  const times = (n: number, f: (i: number) => void) => {
    f(0);
    const t: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      f(i);
      t.push(performance.now() - t0);
    }
    return t;
  };
  // Preparing a draw: its data (uncertain cells drawn) and its shocks (hazards drawn).
  const prepare = times(400, (i) => engine.prepare(i));
  // Reading a simulation's metrics into the draw's vector.
  const out = new Float64Array(size);
  const metrics = times(400, () => writeMetrics(engine.layout, result, out));
  // Storing: 50-draw batches, one transaction each, as the main thread does.
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-bench-store-'));
  const store = EnsembleStore.open(dir);
  const vector = new Float64Array(size).fill(1.5);
  const n = 5000;
  const t0 = performance.now();
  for (let b = 0; b < n; b += 50) {
    store.add(
      Array.from({ length: 50 }, (_, i) => ({
        draw: b + i,
        scenario: vector,
        shocks: '[]',
        simulateMs: 0,
        overheadMs: 0,
      })),
    );
  }
  const storeMs = (performance.now() - t0) / n;
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const p = median(prepare);
  const m = median(metrics);
  const sorted = [...prepare].sort((a, b) => a - b);
  return {
    median_ms: p + m + storeMs,
    p10_ms: quantileOfSorted(sorted, 0.1) + m + storeMs,
    p90_ms: quantileOfSorted(sorted, 0.9) + m + storeMs,
    runs: prepare.length,
    prepare_ms: p,
    metrics_ms: m,
    store_ms: storeMs,
    values_per_draw: size,
  };
}

interface Rate {
  /** Draws per second of wall time, start-up of the pool included. */
  readonly perSecond: number;
  /**
   * Draws per second over the second half of the run: the workers started, their code compiled and optimised — the
   * rate a long run keeps.
   */
  readonly steadyPerSecond: number;
  /** CPU milliseconds (all threads of the process) per draw: robust to other processes' load. */
  readonly cpuMsPerDraw: number;
  readonly meta: Awaited<ReturnType<typeof runEnsemble>>['meta'];
}

async function rate(setup: EnsembleSetup, draws: number, workers: number): Promise<Rate> {
  const out = mkdtempSync(path.join(tmpdir(), 'lodestone-bench-ensemble-'));
  try {
    const cpu = process.cpuUsage();
    // When half the draws are stored: the second half's rate is the steady one.
    let half: { session: number; elapsedMs: number } | undefined;
    let last = { session: 0, elapsedMs: 0 };
    const r = await runEnsemble({
      setup,
      draws,
      workers,
      out,
      onProgress: (p) => {
        if (!half && p.session >= draws / 2) half = { session: p.session, elapsedMs: p.elapsedMs };
        last = { session: p.session, elapsedMs: p.elapsedMs };
      },
    });
    const used = process.cpuUsage(cpu);
    const h = half ?? { session: 0, elapsedMs: 0 };
    return {
      perSecond: r.meta.session.drawsPerSecond,
      steadyPerSecond:
        last.elapsedMs > h.elapsedMs
          ? ((last.session - h.session) / (last.elapsedMs - h.elapsedMs)) * 1000
          : Number.NaN,
      cpuMsPerDraw: (used.user + used.system) / 1000 / draws,
      meta: r.meta,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export async function ensembleBenchmarks(want: (name: string) => boolean): Promise<Record<string, BenchResult>> {
  const results: Record<string, BenchResult> = {};
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-bench-scenarios-'));
  const setup = rareEarthSetup(dir);
  if (want('ensemble.overhead')) results['ensemble.overhead'] = overhead(setup);

  if (want('ensemble.workers')) {
    // One and two workers back to back (alternated when LODESTONE_BENCH_RATE_REPEATS asks for more than one pair, so
    // that both see the same background load; medians over the repeats).
    const draws = Number(process.env.LODESTONE_BENCH_RATE_DRAWS ?? 100);
    const runs1: Rate[] = [];
    const runs2: Rate[] = [];
    const load = [loadavg()[0] as number];
    const repeats = Number(process.env.LODESTONE_BENCH_RATE_REPEATS ?? 1);
    for (let i = 0; i < repeats; i++) {
      runs1.push(await rate(setup, draws, 1));
      runs2.push(await rate(setup, draws, 2));
      load.push(loadavg()[0] as number);
    }
    const rateOf = (runs: Rate[]) => median(runs.map((r) => r.perSecond));
    const cpuOf = (runs: Rate[]) => median(runs.map((r) => r.cpuMsPerDraw));
    const workerCpuOf = (runs: Rate[]) => median(runs.map((r) => r.meta.session.workerCpuMsPerDraw ?? Number.NaN));
    const entry = (runs: Rate[]): BenchResult => {
      const rates = runs.map((r) => r.perSecond);
      const session = (f: (s: Rate['meta']['session']) => number) => median(runs.map((r) => f(r.meta.session)));
      return {
        median_ms: 1000 / rateOf(runs),
        p10_ms: 1000 / Math.max(...rates),
        p90_ms: 1000 / Math.min(...rates),
        runs: runs.length,
        draws_per_second: rateOf(runs),
        steady_draws_per_second: median(runs.map((r) => r.steadyPerSecond)),
        draws,
        cpu_ms_per_draw: cpuOf(runs),
        worker_cpu_ms_per_draw: workerCpuOf(runs),
        simulate_ms_per_draw: session((s) => s.msPerDraw.simulate),
        prepare_ms_per_draw: session((s) => s.msPerDraw.prepare),
        store_ms_per_draw: session((s) => s.msPerDraw.store),
        worker_utilisation: session((s) => s.workerUtilisation),
        equilibria_per_draw: session((s) => s.equilibria.perDraw),
        newton_iterations_per_equilibrium: session((s) => s.equilibria.newtonIterations),
      };
    };
    results['ensemble.workers-1'] = entry(runs1);
    // Efficiency three ways: wall clock (what a user sees; noisy on a shared machine); CPU time of the whole process
    // per draw, one worker over two (what parallelism costs in work, start-up of each worker and the main thread
    // included); CPU time of the worker threads per draw, one over two (contention between the workers alone).
    results['ensemble.workers-2'] = {
      ...entry(runs2),
      efficiency: rateOf(runs2) / (2 * rateOf(runs1)),
      steady_efficiency:
        median(runs2.map((r) => r.steadyPerSecond)) / (2 * median(runs1.map((r) => r.steadyPerSecond))),
      cpu_efficiency: cpuOf(runs1) / cpuOf(runs2),
      worker_cpu_efficiency: workerCpuOf(runs1) / workerCpuOf(runs2),
      load_average_1min: median(load),
    };
  }

  if (want('ensemble.rare-earths-10k')) {
    const draws = Number(process.env.LODESTONE_BENCH_DRAWS ?? 500);
    const r = await rate(setup, draws, 2);
    const ms = r.meta.session.seconds * 1000;
    // All 10,000: their wall time. Fewer: the run's own time — start-up and warm-up included, which a run of 10,000
    // has once — and the draws left at the rate of its second half, which a longer run only improves on. (Projected
    // from the rate alone, a short run's warm-up would count 10,000 / draws times over.)
    const perSecond = draws < 10_000 ? r.steadyPerSecond : draws / r.meta.session.seconds;
    const tenThousandMs = draws < 10_000 ? ms + ((10_000 - draws) / perSecond) * 1000 : ms * (10_000 / draws);
    results['ensemble.rare-earths-10k'] = {
      median_ms: tenThousandMs,
      p10_ms: tenThousandMs,
      p90_ms: tenThousandMs,
      runs: 1,
      draws,
      projected:
        draws === 10_000 ? 'no' : draws < 10_000 ? 'yes, run time plus the rest at its second half rate' : 'scaled',
      measured_seconds: r.meta.session.seconds,
      years: 15,
      draws_per_second: perSecond,
      cpu_ms_per_draw: r.cpuMsPerDraw,
      simulate_ms_per_draw: r.meta.session.msPerDraw.simulate,
      prepare_ms_per_draw: r.meta.session.msPerDraw.prepare,
      store_ms_per_draw: r.meta.session.msPerDraw.store,
      worker_utilisation: r.meta.session.workerUtilisation,
      worker_cpu_ms_per_draw: r.meta.session.workerCpuMsPerDraw ?? Number.NaN,
      equilibria_per_draw: r.meta.session.equilibria.perDraw,
      newton_iterations_per_equilibrium: r.meta.session.equilibria.newtonIterations,
      failed: r.meta.draws.failed,
      target_seconds: 30,
      load_average_1min: loadavg()[0] as number,
    };
  }
  rmSync(dir, { recursive: true, force: true });
  return results;
}
