/**
 * `npm run bench:draws -- [--chain C] [--draws N] [--warm W] [--from F] [--alloc] [--json]`: where an ensemble draw's
 * work goes, in one process (no worker pool), for the work on the engine's speed (issues 3 and 5).
 *
 * The draws are those of `npm run bench`'s ensemble (zone-2026-ban-2027 over 2026–2040, seed 2026), on one value
 * chain. After `--warm` draws (the JIT, the structure cache), `--draws` more are run from draw `--from` + `--warm`,
 * and it prints:
 * - the Newton iterations per equilibrium, overall, by year and as quantiles: deterministic, so a change to the
 *   solver can be judged on them where this machine's load moves the timings by a third;
 * - wall and CPU milliseconds per steady draw (CPU counts every thread of the process: the GC's helpers too);
 * - with `--alloc`, megabytes allocated per draw (V8's sampling heap profiler): deterministic too, and what the
 *   garbage collector's share follows.
 */
import '../bin/v8-flags.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DrawEngine } from '../src/ensemble/engine.ts';
import { rareEarthSetup } from './ensemble.ts';
import { quantileOfSorted } from './harness.ts';

const { values } = parseArgs({
  options: {
    chain: { type: 'string', default: 'rare-earths' },
    draws: { type: 'string', default: '300' },
    warm: { type: 'string', default: '300' },
    from: { type: 'string', default: '0' },
    alloc: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const count = (name: 'draws' | 'warm' | 'from', least: number): number => {
  const text = values[name] as string;
  const n = Number(text);
  if (!Number.isInteger(n) || n < least) {
    console.error(`bench:draws: --${name} ${text}: expected a whole number, at least ${least}`);
    process.exit(2);
  }
  return n;
};
const draws = count('draws', 1);
const warm = count('warm', 0);
const from = count('from', 0);

const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-bench-draws-'));
let engine: DrawEngine;
try {
  engine = new DrawEngine({ ...rareEarthSetup(dir), chains: [values.chain as string] });
} catch (e) {
  rmSync(dir, { recursive: true, force: true });
  console.error(`bench:draws: ${(e as Error).message}`);
  process.exit(2);
}
engine.central();
for (let d = from; d < from + warm; d++) engine.simulateDraw(d);

const perEquilibrium: number[] = [];
const byYear = new Map<number, number[]>();
const cpu = process.cpuUsage();
const started = performance.now();
for (let d = from + warm; d < from + warm + draws; d++) {
  for (const y of engine.simulateDraw(d).scenario.years) {
    perEquilibrium.push(y.certificate.iterations);
    const list = byYear.get(y.year) ?? [];
    list.push(y.certificate.iterations);
    byYear.set(y.year, list);
  }
}
const wallMs = (performance.now() - started) / draws;
const used = process.cpuUsage(cpu);
const cpuMs = (used.user + used.system) / 1000 / draws;

let allocatedMb: number | undefined;
if (values.alloc) {
  // Sampled every 1 KB allocated (objects later collected included), over as many draws again.
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let d = from + warm; d < from + warm + draws; d++) engine.simulateDraw(d);
  const { profile } = await session.post('HeapProfiler.stopSampling');
  let bytes = 0;
  const add = (node: typeof profile.head): void => {
    bytes += node.selfSize;
    for (const child of node.children) add(child);
  };
  add(profile.head);
  session.disconnect();
  allocatedMb = bytes / draws / 1e6;
}
rmSync(dir, { recursive: true, force: true });

const sorted = [...perEquilibrium].sort((a, b) => a - b);
const quantile = (q: number) => quantileOfSorted(sorted, q);
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const report = {
  chain: values.chain,
  draws: { first: from + warm, count: draws, warm },
  newtonIterationsPerEquilibrium: mean(perEquilibrium),
  quantiles: { p50: quantile(0.5), p90: quantile(0.9), p99: quantile(0.99), max: sorted[sorted.length - 1] },
  byYear: Object.fromEntries([...byYear].map(([year, its]) => [year, { mean: mean(its), max: Math.max(...its) }])),
  msPerDraw: { wall: wallMs, cpu: cpuMs },
  ...(allocatedMb !== undefined ? { allocatedMbPerDraw: allocatedMb } : {}),
};
if (values.json) console.log(JSON.stringify(report, null, 2));
else {
  const q = report.quantiles;
  console.log(
    `${report.chain}: draws ${report.draws.first}–${report.draws.first + draws - 1} after ${warm} warm-up draws`,
  );
  console.log(
    `Newton iterations per equilibrium ${report.newtonIterationsPerEquilibrium.toFixed(2)} (P50 ${q.p50}, P90 ${q.p90}, P99 ${q.p99}, max ${q.max})`,
  );
  console.log(
    `per draw: ${wallMs.toFixed(2)} ms wall, ${cpuMs.toFixed(2)} ms CPU${allocatedMb !== undefined ? `, ${allocatedMb.toFixed(2)} MB allocated` : ''}`,
  );
  console.log('year  iterations (mean, max)');
  for (const [year, { mean: m, max }] of Object.entries(report.byYear)) {
    console.log(`${year}  ${m.toFixed(1).padStart(5)}  ${String(max).padStart(4)}`);
  }
}
