/** A small benchmark harness: warm up, time repeated runs, report the median and spread. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface BenchResult {
  readonly median_ms: number;
  readonly p10_ms: number;
  readonly p90_ms: number;
  readonly runs: number;
  readonly [extra: string]: number | string;
}

/** The value at quantile `q` of an ascending list (the lower of two at a boundary; NaN for an empty list). */
export function quantileOfSorted(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export function measure(
  fn: () => void,
  options: { warmup?: number; runs?: number; budgetMs?: number } = {},
): BenchResult {
  const warmup = options.warmup ?? 3;
  const budget = options.budgetMs ?? 2_000;
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  const started = performance.now();
  while (times.length < (options.runs ?? 200) && (times.length < 5 || performance.now() - started < budget)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => quantileOfSorted(times, q);
  return { median_ms: at(0.5), p10_ms: at(0.1), p90_ms: at(0.9), runs: times.length };
}

/**
 * Prints the results and writes them to `file`. A run of some benchmarks only (`merge`) updates their entries and
 * keeps the others' last figures.
 */
export function report(results: Record<string, BenchResult>, file: string, merge = false): void {
  for (const [name, r] of Object.entries(results)) {
    const extras = Object.entries(r)
      .filter(([k]) => !['median_ms', 'p10_ms', 'p90_ms', 'runs'].includes(k))
      .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`)
      .join(' ');
    console.log(
      `${name.padEnd(32)} median ${r.median_ms.toFixed(3).padStart(9)} ms  (p10 ${r.p10_ms.toFixed(3)}, p90 ${r.p90_ms.toFixed(3)}, ${r.runs} runs) ${extras}`,
    );
  }
  const previous =
    merge && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, BenchResult>) : {};
  writeFileSync(file, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
  console.log(`written to ${file}`);
}
