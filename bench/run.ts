/** `npm run bench`: every benchmark, printed and written to bench/results.json. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog } from '../src/data/catalog.ts';
import { checkDataset } from '../src/data/checks.ts';
import { loadDataset } from '../src/data/load.ts';
import { summarize } from '../src/data/summary.ts';
import { type BenchResult, measure, report } from './harness.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const results: Record<string, BenchResult> = {};

const dataset = loadDataset();
const rows = Object.values(dataset.tables).reduce((n, t) => n + t.length, 0);
results['data.load'] = { ...measure(() => loadDataset(), { runs: 50 }), rows };
results['data.check'] = { ...measure(() => checkDataset(dataset), { runs: 50 }), rows };
results['data.summary'] = measure(() => summarize(new Catalog(dataset)), { runs: 50 });

report(results, path.join(here, 'results.json'));
