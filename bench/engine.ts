/**
 * The engine's benchmarks (issues 3 and 4): one period's equilibrium and the multi-year simulation, in steady state
 * (after enough warm-up for the JIT, the structure cache and the workspaces: a simulation or an ensemble solves
 * thousands of times) and, in the same entry, the cold first call of the process (`first_ms`). Each solve entry also
 * gives the mean time per phase of the measured runs (SolveOptions.timings), to show where the time goes.
 */
import type { Catalog } from '../src/data/catalog.ts';
import type { EquilibriumProblem } from '../src/equilibrium/problem.ts';
import { type EquilibriumSolution, type SolveOptions, solveEquilibrium } from '../src/equilibrium/solve.ts';
import type { Scenario } from '../src/model/scenario.ts';
import { simulate } from '../src/simulate/simulate.ts';
import { type BenchResult, quantileOfSorted } from './harness.ts';

/**
 * Times `fn`: its first call, then `warmup` calls (or `warmupMs`, whichever is longer), then at least `runs` and at
 * most 4 × `runs` calls, stopping once `budgetMs` is spent.
 */
function steady(
  fn: () => void,
  options: { warmup: number; warmupMs: number; runs: number; budgetMs: number },
): { first: number; times: number[] } {
  let t0 = performance.now();
  fn();
  const first = performance.now() - t0;
  const warmStarted = performance.now();
  for (let i = 1; i < options.warmup || performance.now() - warmStarted < options.warmupMs; i++) fn();
  const times: number[] = [];
  const started = performance.now();
  while (times.length < 4 * options.runs) {
    t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
    if (times.length >= options.runs && performance.now() - started >= options.budgetMs) break;
  }
  times.sort((a, b) => a - b);
  return { first, times };
}

/**
 * One problem solved again and again (each solve cold unless `warmStart` is given: the same work every time), with
 * its size, certificate and phases.
 */
export function benchSolveSteady(
  problem: EquilibriumProblem,
  options: { warmStart?: EquilibriumSolution; runs?: number; warmupMs?: number } = {},
): BenchResult {
  const solveOptions: SolveOptions = options.warmStart ? { warmStart: options.warmStart } : {};
  const runs = options.runs ?? 50;
  let t0 = performance.now();
  let solution = solveEquilibrium(problem, solveOptions);
  const first = performance.now() - t0;
  // Untimed and timed solves alternate (both paths warm, both under the same load): the times come from the untimed
  // ones, the phases (SolveOptions.timings, a few clock reads per chain) from the timed ones.
  const samples = new Map<string, number[]>();
  const timed = (record: boolean) => {
    const timings: Record<string, number> = {};
    solveEquilibrium(problem, { ...solveOptions, timings });
    if (!record) return;
    let sum = 0;
    for (const [phase, ms] of Object.entries(timings)) {
      samples.set(phase, [...(samples.get(phase) ?? []), ms]);
      sum += ms;
    }
    samples.set('sum', [...(samples.get('sum') ?? []), sum]);
  };
  const warmStarted = performance.now();
  for (let i = 0; i < 20 || performance.now() - warmStarted < (options.warmupMs ?? 700); i++) {
    solveEquilibrium(problem, solveOptions);
    timed(false);
  }
  const times: number[] = [];
  const started = performance.now();
  while (times.length < 4 * runs) {
    t0 = performance.now();
    solution = solveEquilibrium(problem, solveOptions);
    times.push(performance.now() - t0);
    timed(true);
    if (times.length >= runs && performance.now() - started >= 1200) break;
  }
  times.sort((a, b) => a - b);
  const certificate = solution.certificate;
  const phases: Record<string, number> = {};
  for (const [phase, ms] of samples)
    phases[`phase_${phase}_ms`] = quantileOfSorted(
      ms.sort((a, b) => a - b),
      0.5,
    );
  return {
    median_ms: quantileOfSorted(times, 0.5),
    p10_ms: quantileOfSorted(times, 0.1),
    p90_ms: quantileOfSorted(times, 0.9),
    runs: times.length,
    first_ms: first,
    min_ms: times[0] as number,
    iterations: certificate.iterations,
    residual_evaluations: certificate.evaluations,
    max_residual: certificate.maxResidual,
    variables: certificate.chains.reduce((s, c) => s + c.variables, 0),
    regions: problem.regions.length,
    ...phases,
  };
}

/** The world restricted to one chain's commodities (what an ensemble over that chain solves). */
export function restrictTo(problem: EquilibriumProblem, commodities: readonly string[]): EquilibriumProblem {
  const keep = new Set(commodities);
  return {
    ...problem,
    commodities: problem.commodities.filter((k) => keep.has(k)),
    links: problem.links.filter((l) => keep.has(l.output) && keep.has(l.input)),
    producers: problem.producers.filter((p) => keep.has(p.commodity)),
    demands: problem.demands.filter((d) => keep.has(d.commodity)),
    ...(problem.routes
      ? { routes: { ...problem.routes, byPair: (problem.routes.byPair ?? []).filter((r) => keep.has(r.commodity)) } }
      : {}),
    ...(problem.restrictions ? { restrictions: problem.restrictions.filter((r) => keep.has(r.commodity)) } : {}),
    ...(problem.floors ? { floors: problem.floors.filter((f) => keep.has(f.commodity)) } : {}),
    ...(problem.stocks ? { stocks: problem.stocks.filter((s) => keep.has(s.commodity)) } : {}),
  };
}

/** Isoelastic demand scaled by `factor`: a year of growth, or an ensemble's draw. */
export function grown(problem: EquilibriumProblem, factor: number): EquilibriumProblem {
  return {
    ...problem,
    demands: problem.demands.map((d) =>
      d.curve.kind === 'isoelastic' ? { ...d, curve: { ...d.curve, q0: d.curve.q0 * factor } } : d,
    ),
  };
}

export const RARE_EARTHS = ['rare-earths/concentrate', 'ndpr/oxide', 'ndfeb/magnet'];

/**
 * The rare-earth chain alone, cold and warm-started (demand 3% above the solution it starts from), as an ensemble
 * of draws over that chain solves it (the target there: about 0.4 ms per equilibrium per worker).
 */
export function benchRareEarths(world: EquilibriumProblem): Record<string, BenchResult> {
  const chain = restrictTo(world, RARE_EARTHS);
  const next = grown(chain, 1.03);
  const base = solveEquilibrium(chain);
  return {
    'solve.rare-earths': benchSolveSteady(chain, { runs: 400 }),
    'solve.rare-earths.warm': benchSolveSteady(next, { warmStart: base, runs: 400 }),
  };
}

/** The main job: a scenario against another through the horizon, each year an equilibrium, as `simulate` runs it. */
export function benchSimulate(scenario: Scenario, against: Scenario, catalog: Catalog): BenchResult {
  let years = 0;
  let iterations = 0;
  const { first, times } = steady(
    () => {
      const a = simulate(scenario, catalog);
      const b = simulate(against, catalog);
      years = a.years.length + b.years.length;
      iterations = [...a.years, ...b.years].reduce((s, y) => s + y.certificate.iterations, 0);
    },
    { warmup: 2, warmupMs: 0, runs: 7, budgetMs: 3000 },
  );
  const median = quantileOfSorted(times, 0.5);
  return {
    median_ms: median,
    p10_ms: quantileOfSorted(times, 0.1),
    p90_ms: quantileOfSorted(times, 0.9),
    runs: times.length,
    first_ms: first,
    min_ms: times[0] as number,
    equilibria: years,
    newton_iterations: iterations,
    ms_per_equilibrium: median / years,
  };
}
