/**
 * Project-finance benchmarks: the IRR scan, one valuation, the portfolio MILP against brute force, and appraising the
 * whole register (chain-restricted runs against a whole-world run, the speed-up that restriction buys).
 */
import type { Catalog } from '../src/data/catalog.ts';
import { appraiseProjects, ChainRuns } from '../src/finance/appraisal.ts';
import { internalRate } from '../src/finance/cashflow.ts';
import { planPortfolio } from '../src/finance/plan.ts';
import { bruteForcePortfolio, type PortfolioCandidate, solvePortfolio } from '../src/finance/portfolio.ts';
import { incentivePrice, type ProjectTerms, valueProject } from '../src/finance/valuation.ts';
import { readScenario } from '../src/model/scenario.ts';
import { prng } from '../src/random.ts';
import { simulate } from '../src/simulate/simulate.ts';
import { type BenchResult, measure, quantileOfSorted } from './harness.ts';

async function timeAsync(fn: () => Promise<unknown>, runs: number): Promise<BenchResult> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => quantileOfSorted(times, q);
  return { median_ms: at(0.5), p10_ms: at(0.1), p90_ms: at(0.9), runs };
}

function candidates(n: number, seed: number): PortfolioCandidate[] {
  const r = prng(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    cost: 1e7 + r() * 1e9,
    security: 1e6 + r() * 2e9,
    region: ['USA', 'EU27', 'JPN', 'AUS'][Math.floor(r() * 4)] as string,
    mineral: ['lithium', 'rare-earths', 'gallium'][Math.floor(r() * 3)] as string,
  }));
}

export async function benchProjects(
  catalog: Catalog,
  results: Record<string, BenchResult>,
  want: (name: string) => boolean,
): Promise<void> {
  if (want('finance.irr')) {
    // A 45-year project: three years of capex, then 42 of earnings; the full root scan with bisection.
    const flows = Array.from({ length: 45 }, (_, t) => (t < 3 ? -100 : 18 + Math.sin(t)));
    results['finance.irr'] = { ...measure(() => internalRate(flows), { runs: 200 }), flows: flows.length };
  }
  if (want('finance.value-project')) {
    const terms: ProjectTerms = {
      id: 'P',
      commodity: 'k',
      region: 'USA',
      capacity: 20_000,
      capex: 6e8,
      cashCost: 6000,
      leadTime: 3,
      life: 30,
      onlineYear: 2029,
      rampYears: 2,
      costOfCapital: 0.08,
      inputs: [],
    };
    const market = (year: number) => ({ price: 11_000 + 100 * Math.sin(year), inputCost: 0, strike: null });
    results['finance.value-project'] = measure(
      () => {
        valueProject(terms, [market], { cfd: true });
        incentivePrice(terms, [market]);
      },
      { runs: 200 },
    );
  }
  for (const n of [12, 16, 20]) {
    const name = `finance.milp-${n}`;
    if (!want(name)) continue;
    const cands = candidates(n, 11 + n);
    const limits = { budget: 4e9, regions: { USA: 1.5e9 }, minerals: { lithium: 1e9 } };
    const milp = await timeAsync(() => solvePortfolio(cands, limits), 10);
    const brute = measure(() => bruteForcePortfolio(cands, limits), { runs: 5, warmup: 1, budgetMs: 20_000 });
    const a = await solvePortfolio(cands, limits);
    const b = bruteForcePortfolio(cands, limits);
    results[name] = {
      ...milp,
      candidates: n,
      brute_force_ms: brute.median_ms,
      brute_over_milp: brute.median_ms / milp.median_ms,
      objective_gap: Math.abs((a?.objective ?? 0) - b.objective) / b.objective,
    };
  }
  if (want('finance.milp-60')) {
    const cands = candidates(60, 71);
    results['finance.milp-60'] = {
      ...(await timeAsync(() => solvePortfolio(cands, { budget: 1e10, regions: { USA: 3e9 } }), 5)),
      candidates: 60,
    };
  }
  if (want('finance.appraise')) {
    // Every valued project of the register under the zone of 2026 with a four-year ban from 2029 (late enough for
    // new projects to matter), against the baseline, 2025–2040.
    const zone = readScenario('zone-2026');
    const scenario = {
      ...zone,
      name: 'zone-2026-ban-2029',
      shocks: [
        {
          kind: 'ban' as const,
          origin: 'CHN',
          commodities: ['gallium/refined', 'germanium/refined', 'antimony/refined', 'ndfeb/magnet', 'ndpr/oxide'],
          destinations: 'members' as const,
          start: 2029,
          duration: 4,
        },
      ],
    };
    const against = { ...readScenario('baseline'), horizon: scenario.horizon };
    let projects = 0;
    const r = measure(
      () => {
        projects = appraiseProjects({ scenario, against, catalog }).projects.length;
      },
      { runs: 3, warmup: 1, budgetMs: 120_000 },
    );
    // What restricting a run to one chain buys: one rare-earths chain run against one whole-world run.
    const chain = measure(
      () => new ChainRuns(catalog, { zone: scenario, baseline: against }).run('zone', 'rare-earths'),
      {
        runs: 5,
        warmup: 1,
        budgetMs: 30_000,
      },
    );
    const whole = measure(() => simulate(scenario, catalog), { runs: 3, warmup: 1, budgetMs: 30_000 });
    const appraisals = appraiseProjects({ scenario, against, catalog });
    const plan = await timeAsync(() => planPortfolio(appraisals.projects, { budget: 3e9 }), 5);
    results['finance.appraise'] = {
      ...r,
      projects,
      ms_per_project: r.median_ms / Math.max(1, projects),
      rare_earths_chain_run_ms: chain.median_ms,
      whole_world_run_ms: whole.median_ms,
      whole_over_chain: whole.median_ms / chain.median_ms,
    };
    const chosen = await planPortfolio(appraisals.projects, { budget: 3e9 });
    results['finance.portfolio-plan'] = {
      ...plan,
      projects: appraisals.projects.length,
      candidates: chosen.decisions.filter((d) =>
        ['selected', 'budget', 'limit', 'dominated', 'over-budget', 'over-limit'].includes(d.reason),
      ).length,
      selected: chosen.selected.length,
    };
  }
}
