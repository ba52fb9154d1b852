/** `npm run bench`: every benchmark, printed and written to bench/results.json. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog } from '../src/data/catalog.ts';
import { checkDataset } from '../src/data/checks.ts';
import { loadDataset } from '../src/data/load.ts';
import { summarize } from '../src/data/summary.ts';
import { solveEquilibrium } from '../src/equilibrium/solve.ts';
import { buildWorld } from '../src/model/world.ts';
import { type BenchResult, measure, report } from './harness.ts';
import { syntheticMarket } from './synthetic.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const results: Record<string, BenchResult> = {};
const only = process.argv[2];
const want = (name: string) => !only || name.startsWith(only);

const dataset = loadDataset();
const catalog = new Catalog(dataset);
const rows = Object.values(dataset.tables).reduce((n, t) => n + t.length, 0);
if (want('data')) {
  results['data.load'] = { ...measure(() => loadDataset(), { runs: 30 }), rows };
  results['data.check'] = { ...measure(() => checkDataset(dataset), { runs: 30 }), rows };
  results['data.summary'] = measure(() => summarize(catalog), { runs: 30 });
}

/** Times a solve and records its size and certificate. */
function benchSolve(name: string, problem: Parameters<typeof solveEquilibrium>[0], runs = 10): void {
  if (!want(name)) return;
  const first = solveEquilibrium(problem);
  const r = measure(() => solveEquilibrium(problem), { runs, warmup: 1, budgetMs: 20_000 });
  results[name] = {
    ...r,
    iterations: first.certificate.iterations,
    residual_evaluations: first.certificate.evaluations,
    max_residual: first.certificate.maxResidual,
    variables: first.certificate.chains.reduce((s, c) => s + c.variables, 0),
    regions: problem.regions.length,
  };
}

const world = buildWorld(catalog);
if (want('model.build-world')) results['model.build-world'] = measure(() => buildWorld(catalog), { runs: 10 });
benchSolve('solve.default-world', world.problem);
const zone = buildWorld(catalog, {
  policy: {
    members: 'default',
    floors: { 'ndpr/oxide': 110_000 },
    bans: [
      {
        origin: 'CHN',
        commodities: ['gallium/refined', 'germanium/refined', 'antimony/refined', 'ndfeb/magnet'],
        destinations: 'members',
      },
    ],
  },
});
benchSolve('solve.zone-with-ban', zone.problem);
for (const n of [10, 30, 100]) benchSolve(`solve.synthetic-${n}`, syntheticMarket(n, 7), n >= 100 ? 3 : 10);

report(results, path.join(here, 'results.json'));
