/**
 * `lodestone ensemble`: Monte Carlo draws of a scenario (and its twin) on worker threads, stored as they complete,
 * summarised as quantiles per year, probabilities of events and expected consumption lost; written as JSON, CSV and
 * an HTML page of fan charts.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { Catalog } from '../data/catalog.ts';
import { NUMBER } from '../data/columns.ts';
import { loadDataset } from '../data/load.ts';
import { DrawEngine } from '../ensemble/engine.ts';
import { TOTAL } from '../ensemble/metrics.ts';
import {
  EnsembleInterrupted,
  type EnsembleResult,
  MAX_DRAWS,
  MAX_WORKERS,
  type Progress,
  runEnsemble,
} from '../ensemble/run.ts';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../ensemble/summary.ts';
import { InputError } from '../model/document.ts';
import { builtInScenarios, scenarioPath } from '../model/scenario.ts';
import { writeEnsembleReport } from '../report/ensemble.ts';
import { signedPoints } from '../report/format.ts';
import { loadCheckedDataset, withDataOption } from './data.ts';
import { formatNumber, formatPercent, renderTable } from './table.ts';

export const DEFAULT_ENSEMBLE_SCENARIO = 'zone-2026';
export const DEFAULT_ENSEMBLE_AGAINST = 'baseline';
const MAX_COMMODITIES_SHOWN = 6;

interface EnsembleCliOptions {
  data?: string[];
  draws: string;
  seed: string;
  workers?: string;
  against?: string;
  json?: boolean;
  out: string;
  resume?: boolean;
  overwrite?: boolean;
  chain?: string[];
  centralParameters?: boolean;
  priceAbove: string;
  priceThreshold?: string[];
  cutAbove: string;
  exhaustedBelow: string;
  progress?: boolean;
  report?: boolean;
  risks?: boolean;
  chunk?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * A number from an option, or an error naming the option and what was given (`given`: the whole value when the
 * number is part of it, as in COMMODITY=PRICE).
 */
export function numberOption(
  flag: string,
  text: string,
  check: (x: number) => boolean,
  expected: string,
  given = text,
): number {
  const x = Number(text);
  // Decimal notation only: Number() also reads '0x5', '0b11' and ' 5 ', which no one means as a number.
  if (!NUMBER.test(text) || !Number.isFinite(x) || !check(x))
    throw new InputError(`${flag} ${given}: expected ${expected}`);
  return x;
}

/** What a seed is: any whole number a double holds exactly. */
export const SEED_EXPECTED = `a whole number from 0 to ${Number.MAX_SAFE_INTEGER.toLocaleString('en-US')}`;

/** Plain decimal digits: a count or a seed as anyone types one. */
const DIGITS = /^\d+$/;

/**
 * A whole number from an option (draws, seeds, workers, chunks), or an error naming the option: plain digits only,
 * as '1e3', '2.0' or '+5' would be read as numbers yet are not how a count is written, and may not be what was meant.
 */
export function countOption(flag: string, text: string, check: (x: number) => boolean, expected: string): number {
  const x = Number(text);
  const valid = Number.isSafeInteger(x) && check(x);
  if (DIGITS.test(text) && valid) return x;
  throw new InputError(`${flag} ${text}: expected ${expected}${valid ? `, written in plain digits (${x})` : ''}`);
}

function thresholdsOf(opts: EnsembleCliOptions, catalog: Catalog): Thresholds {
  const prices: Record<string, number> = {};
  for (const t of opts.priceThreshold ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(t);
    if (!m) throw new InputError(`--price-threshold ${t}: expected COMMODITY=PRICE, e.g. ndpr/oxide=150000`);
    const k = (m[1] as string).trim();
    if (!catalog.commodities.has(k)) {
      throw new InputError(
        `--price-threshold ${t}: unknown commodity '${k}' (known: ${[...catalog.commodities.keys()].join(', ')})`,
      );
    }
    prices[k] = numberOption(
      '--price-threshold',
      m[2] as string,
      (x) => x > 0,
      `a positive price in ${catalog.commodities.get(k)?.row.price_unit}`,
      t,
    );
  }
  return {
    priceAbove: numberOption(
      '--price-above',
      opts.priceAbove,
      (x) => x > 0,
      "a positive multiple of the central run's price",
    ),
    prices,
    cutAbove: numberOption(
      '--cut-above',
      opts.cutAbove,
      (x) => x >= 0 && x < 1,
      'a share of demand from 0 to 1 (0.1 = 10%)',
    ),
    exhaustedBelow: numberOption(
      '--exhausted-below',
      opts.exhaustedBelow,
      (x) => x > 0 && x <= 1,
      'a share of peak holdings from 0 to 1',
    ),
  };
}

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The progress bar: draws done, rate, time left. On a terminal it redraws one line; elsewhere a line every few seconds. */
export function progressLine(name: string, p: Progress, width = 24): string {
  const share = p.total > 0 ? p.done / p.total : 1;
  const filled = Math.round(share * width);
  return (
    `ensemble ${name}: [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} draws ` +
    `${formatPercent(share, 0)} · ${p.rate.toFixed(p.rate >= 10 ? 0 : 1)} draws/s · ${duration(p.etaMs)} left`
  );
}

function progressReporter(name: string, forced: boolean): ((p: Progress) => void) | undefined {
  const tty = process.stderr.isTTY === true;
  if (!tty && !forced) return undefined;
  let last = 0;
  return (p) => {
    const now = performance.now();
    const final = p.done >= p.total;
    if (tty) {
      if (final || now - last > 100) {
        process.stderr.write(`\r${progressLine(name, p)}  `);
        last = now;
      }
      if (final) process.stderr.write('\n');
    } else if (final || now - last > 2000) {
      process.stderr.write(`${progressLine(name, p)}\n`);
      last = now;
    }
  };
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : formatPercent(x, 0));
const num = (x: number | null | undefined) =>
  x === null || x === undefined ? '–' : Math.abs(x) >= 100 ? formatNumber(x) : formatNumber(x, 2);

/** The terminal summary: per commodity and year, the zone price's fan, the chance of a price spike and of a cut. */
export function ensembleText(r: EnsembleResult, commodities?: readonly string[]): string {
  const { meta } = r;
  const lines: string[] = [];
  lines.push(
    `${meta.scenario.name}${meta.against ? ` against ${meta.against.name}` : ''}: ${meta.draws.stored} draws` +
      `${meta.draws.failed > 0 ? ` (${meta.draws.failed} failed, left out)` : ''}, seed ${meta.seed}, ` +
      `${meta.horizon.start}–${meta.horizon.end}, data ${meta.parameters}${meta.chains ? `, chains ${meta.chains.join(', ')}` : ''}`,
    `${meta.risks.length} hazards drawn (${meta.risks.filter((x) => x.source === 'policy-events').length} derived from policy events), ` +
      `${meta.uncertain.length} groups of uncertain data`,
  );
  const q = (run: string, k: string, metric: string, year: number) =>
    r.quantiles.find((x) => x.run === run && x.commodity === k && x.metric === metric && x.year === year);
  const ev = (run: string, event: string, k: string, year: number | 'any') =>
    r.probabilities.events.find((x) => x.run === run && x.event === event && x.commodity === k && x.year === year);
  // The commodities most at risk first (chance of a price spike or a cut in some year), at most six on screen.
  const all = meta.layout.commodities.map((c) => c.id);
  const risk = (k: string) =>
    (ev('scenario', 'priceAbove', k, 'any')?.probability ?? 0) +
    (ev('scenario', 'cutAbove', k, 'any')?.probability ?? 0);
  const ranked = all.map((k, i) => ({ k, i, r: risk(k) })).sort((a, b) => b.r - a.r || a.i - b.i);
  const ks = commodities ?? ranked.slice(0, MAX_COMMODITIES_SHOWN).map((x) => x.k);
  for (const k of ks) {
    const info = meta.layout.commodities.find((c) => c.id === k);
    const cut = meta.thresholds.cutAbove;
    lines.push(
      '',
      `${k} — zone price in ${info?.priceUnit ?? ''}: P5 / P50 / P95; P(price > threshold), P(cut > ${formatPercent(cut, 0)})` +
        (meta.against ? `; | ${meta.against.name}` : ''),
    );
    lines.push(
      renderTable(meta.layout.years, [
        { header: 'year', value: (y) => String(y) },
        { header: 'P5', value: (y) => num(q('scenario', k, 'priceInside', y)?.p5), align: 'right' },
        { header: 'P50', value: (y) => num(q('scenario', k, 'priceInside', y)?.p50), align: 'right' },
        { header: 'P95', value: (y) => num(q('scenario', k, 'priceInside', y)?.p95), align: 'right' },
        { header: 'central', value: (y) => num(q('scenario', k, 'priceInside', y)?.central), align: 'right' },
        { header: 'P(price>)', value: (y) => pct(ev('scenario', 'priceAbove', k, y)?.probability), align: 'right' },
        { header: 'P(cut>)', value: (y) => pct(ev('scenario', 'cutAbove', k, y)?.probability), align: 'right' },
        ...(meta.against
          ? [
              {
                header: '| P50',
                value: (y: number) => num(q('against', k, 'priceInside', y)?.p50),
                align: 'right' as const,
              },
              {
                header: '| P(price>)',
                value: (y: number) => pct(ev('against', 'priceAbove', k, y)?.probability),
                align: 'right' as const,
              },
              {
                header: '| P(cut>)',
                value: (y: number) => pct(ev('against', 'cutAbove', k, y)?.probability),
                align: 'right' as const,
              },
            ]
          : []),
      ]),
    );
  }
  if (ks.length < all.length) {
    lines.push('', `… and ${all.length - ks.length} more commodities in ensemble.html, the CSV files and --json`);
  }
  const loss = (run: string) =>
    r.probabilities.expectedConsumptionLost.find((x) => x.run === run && x.commodity === TOTAL && x.year === 'horizon');
  // Each figure with its Monte Carlo error: how far another set of as many draws could move it.
  const usdM = (x: { mean: number; standardError: number | null } | undefined) =>
    `USD ${formatNumber((x?.mean ?? 0) / 1e6)} million` +
    (x?.standardError != null ? ` (standard error ${formatNumber(x.standardError / 1e6)})` : '');
  lines.push(
    '',
    `Expected value of lost consumption over the horizon (base-year prices): ${usdM(loss('scenario'))}` +
      (meta.against ? `; ${meta.against.name}: ${usdM(loss('against'))}` : ''),
  );
  const withInterval = (x: { probability: number; low: number; high: number } | undefined) =>
    x ? `${pct(x.probability)} (${formatPercent(x.low, 0).slice(0, -1)}–${pct(x.high)})` : '–';
  // On the same draws a change is known better than either run's probability: the luck of the draws, which both
  // runs share, cancels.
  const change = (event: string) => {
    const c = r.probabilities.changes?.find((x) => x.event === event && x.commodity === TOTAL && x.year === 'any');
    return c ? `${signedPoints(c.change)} (${signedPoints(c.low)} to ${signedPoints(c.high)})` : '–';
  };
  const events = [
    { event: 'priceAbove', label: 'a zone price above its threshold' },
    { event: 'cutAbove', label: `bloc consumption cut by more than ${formatPercent(meta.thresholds.cutAbove, 0)}` },
    {
      event: 'stocksExhausted',
      label: `stocks below ${formatPercent(meta.thresholds.exhaustedBelow, 0)} of their peak`,
    },
  ];
  lines.push(
    '',
    `Probability that some commodity has, in some year (95% intervals${meta.against ? '; change in percentage points on the same draws' : ''}):`,
    renderTable(events, [
      { header: 'event', value: (e) => e.label },
      { header: meta.scenario.name, value: (e) => withInterval(ev('scenario', e.event, TOTAL, 'any')), align: 'right' },
      ...(meta.against
        ? [
            {
              header: meta.against.name,
              value: (e: (typeof events)[number]) => withInterval(ev('against', e.event, TOTAL, 'any')),
              align: 'right' as const,
            },
            { header: 'change', value: (e: (typeof events)[number]) => change(e.event), align: 'right' as const },
          ]
        : []),
    ]),
  );
  const s = meta.session;
  if (s.draws > 0) {
    lines.push(
      `This run: ${s.draws} draws in ${s.seconds.toFixed(1)} s on ${meta.workers} worker(s), ${s.drawsPerSecond.toFixed(1)} draws/s ` +
        `(per draw: ${s.msPerDraw.simulate.toFixed(1)} ms simulating, ${s.msPerDraw.prepare.toFixed(2)} ms preparing, ${s.msPerDraw.store.toFixed(2)} ms storing; ` +
        `${s.equilibria.perDraw.toFixed(0)} equilibria of ${s.equilibria.newtonIterations.toFixed(1)} Newton iterations each)`,
    );
  }
  return lines.join('\n');
}

function risksText(engine: DrawEngine): string {
  const lines = [`Hazards of ${engine.scenario.name} (${engine.risks.length}):`];
  lines.push(
    renderTable(engine.risks, [
      { header: 'kind', value: (r) => r.kind },
      { header: 'supplier', value: (r) => r.origin },
      { header: 'commodities', value: (r) => (r.commodities === '*' ? '*' : r.commodities.join(' ')) },
      {
        header: 'toward',
        value: (r) =>
          r.destinations === undefined
            ? '-'
            : typeof r.destinations === 'string'
              ? r.destinations
              : r.destinations.join(' '),
      },
      { header: 'p/year', value: (r) => r.probability.toFixed(3), align: 'right' },
      {
        header: 'duration',
        value: (r) =>
          r.duration.law === 'fixed'
            ? `${r.duration.years} y`
            : r.duration.law === 'uniform'
              ? `${r.duration.min}–${r.duration.max} y`
              : `geometric, mean ${r.duration.mean} y`,
      },
      {
        header: 'share',
        value: (r) =>
          r.shareParameter ??
          (r.share
            ? r.share.low === r.share.high
              ? String(r.share.central)
              : `${r.share.low}–${r.share.central}–${r.share.high}`
            : '-'),
      },
      { header: 'source', value: (r) => r.source },
    ]),
  );
  lines.push('', 'Basis:');
  for (const r of engine.risks)
    lines.push(`  - ${r.kind} ${r.origin} ${r.commodities === '*' ? '*' : r.commodities.join(' ')}: ${r.basis}`);
  return lines.join('\n');
}

/** What an interrupted run left, and how to go on. */
export function interruptedText(e: EnsembleInterrupted, file: string): string {
  if (e.stored > 0)
    return `the draws completed so far (${e.stored}) are stored in ${file}: run again with --resume to continue`;
  return e.removed
    ? `no draw had ended, so nothing was stored (the empty ${file} this run made is removed): run the same command to start again`
    : `no draw had ended: ${file} still holds none`;
}

export function registerEnsembleCommand(program: Command): void {
  withDataOption(
    program
      .command('ensemble')
      .description(
        `Monte Carlo draws of a scenario: export controls and outages drawn from its risks, data drawn from their ranges (default: ${DEFAULT_ENSEMBLE_SCENARIO} against ${DEFAULT_ENSEMBLE_AGAINST})`,
      )
      .argument('[scenario]', `a scenario file, or a built-in name (${builtInScenarios().join(', ')})`)
      .option('--draws <n>', 'number of draws', '1000')
      .option('--seed <s>', 'seed: draw i depends only on (seed, i)', '1')
      .option('--workers <w>', 'worker threads (default: the cores available)')
      .option(
        '--against <scenario>',
        `run this twin on the same draws (default: ${DEFAULT_ENSEMBLE_AGAINST} when no scenario is given)`,
      )
      .option('--out <dir>', 'folder for the store (ensemble.sqlite) and the results', 'out/ensemble')
      .option('--resume', 'continue the run stored in --out (same scenario, seed and settings); more --draws extend it')
      .option('--overwrite', 'discard a run stored in --out and start again')
      .option('--chain <chain>', 'model this value chain only (repeatable), e.g. rare-earths', collect)
      .option('--central-parameters', 'keep the data at their central values: draw shocks only')
      .option(
        '--price-above <x>',
        "event: zone price above x times the central run's price that year (no drawn shocks, central data)",
        String(DEFAULT_THRESHOLDS.priceAbove),
      )
      .option(
        '--price-threshold <k=price>',
        'event threshold for one commodity, in its price unit (repeatable)',
        collect,
      )
      .option(
        '--cut-above <share>',
        'event: bloc consumption cut by more than this share of its demand',
        String(DEFAULT_THRESHOLDS.cutAbove),
      )
      .option(
        '--exhausted-below <share>',
        'event: stocks below this share of their earlier peak',
        String(DEFAULT_THRESHOLDS.exhaustedBelow),
      )
      .option('--progress', 'show progress on stderr even when it is not a terminal')
      .option('--no-report', 'write no JSON, CSV or HTML (the store is still written)')
      .option('--risks', 'print the hazards the draws use, with their basis, and exit')
      .option('--chunk <n>', 'draws per worker task (default: about 20 tasks per worker, at most 50)')
      .option('--json', 'print { meta, quantiles, probabilities } as JSON'),
  ).action(async (ref: string | undefined, opts: EnsembleCliOptions) => {
    const catalog = loadCheckedDataset(opts);
    const scenarioRef = ref ?? DEFAULT_ENSEMBLE_SCENARIO;
    const againstRef = opts.against ?? (ref === undefined ? DEFAULT_ENSEMBLE_AGAINST : undefined);
    // The largest values are stated: a number past 2^53 is not read exactly, and '--draws 99999999999999999999:
    // expected a whole number of draws, at least 1' would not say what is wrong with it.
    const draws = countOption(
      '--draws',
      opts.draws,
      (x) => x >= 1 && x <= MAX_DRAWS,
      `a whole number of draws from 1 to ${MAX_DRAWS.toLocaleString('en-US')}`,
    );
    const seed = countOption('--seed', opts.seed, (x) => x >= 0, SEED_EXPECTED);
    const workers =
      opts.workers === undefined
        ? undefined
        : countOption(
            '--workers',
            opts.workers,
            (x) => x >= 1 && x <= MAX_WORKERS,
            `a whole number of worker threads from 1 to ${MAX_WORKERS}`,
          );
    if (workers !== undefined && Math.min(workers, draws) > availableParallelism()) {
      process.stderr.write(
        `lodestone: --workers ${workers} on ${availableParallelism()} core(s): threads beyond the cores share them and each loads the data; the draws take longer, not less\n`,
      );
    }
    const chunk =
      opts.chunk === undefined
        ? undefined
        : countOption('--chunk', opts.chunk, (x) => x >= 1, 'a whole number, at least 1');
    const thresholds = thresholdsOf(opts, catalog);
    const setup = {
      scenario: scenarioPath(scenarioRef),
      ...(againstRef !== undefined ? { against: scenarioPath(againstRef) } : {}),
      data: (opts.data ?? []).map((d) => path.resolve(d)),
      ...(opts.chain && opts.chain.length > 0 ? { chains: opts.chain } : {}),
      seed,
      ...(opts.centralParameters ? { centralParameters: true } : {}),
    };
    if (opts.risks) {
      const engine = new DrawEngine(setup, { dataset: loadDataset({ overlays: setup.data }) });
      if (opts.json)
        process.stdout.write(
          `${JSON.stringify({ risks: engine.risks, derivation: engine.derived ?? null }, null, 2)}\n`,
        );
      else process.stdout.write(`${risksText(engine)}\n`);
      for (const note of engine.riskNotes) process.stderr.write(`lodestone: note: ${note}\n`);
      return;
    }
    const name = path.basename(setup.scenario).replace(/\.(ya?ml|json)$/, '');
    const onProgress = progressReporter(name, opts.progress === true);
    // Ctrl-C stops the run through its signal, so that it closes its store (removing it if it made it and holds no
    // draw) before exiting; a second Ctrl-C, with no handler left, ends the process at once.
    const interrupt = new AbortController();
    const onInterrupt = () => interrupt.abort();
    process.once('SIGINT', onInterrupt);
    let result: EnsembleResult;
    try {
      result = await runEnsemble({
        setup,
        draws,
        ...(workers !== undefined ? { workers } : {}),
        out: opts.out,
        ...(opts.resume ? { resume: true } : {}),
        ...(opts.overwrite ? { overwrite: true } : {}),
        thresholds,
        ...(chunk !== undefined ? { chunk } : {}),
        ...(onProgress ? { onProgress } : {}),
        dataset: catalog.dataset,
        signal: interrupt.signal,
        onNote: (text) => process.stderr.write(`lodestone: note: ${text}\n`),
        // From here on the handler would only swallow Ctrl-C while the draws are summarised (nothing it could stop
        // runs between): without it, Ctrl-C ends the process at once, and every draw is stored for --resume.
        onDrawsDone: () => process.removeListener('SIGINT', onInterrupt),
      });
    } catch (e) {
      if (!(e instanceof EnsembleInterrupted)) throw e;
      process.stderr.write(`\nlodestone: interrupted; ${interruptedText(e, path.join(opts.out, 'ensemble.sqlite'))}\n`);
      process.exit(130);
    } finally {
      process.removeListener('SIGINT', onInterrupt);
    }
    let written: string[] = [];
    if (opts.report !== false) written = writeEnsembleReport(opts.out, result).files;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${ensembleText(result)}\n`);
    const files = [result.meta.store, ...written].map((f) => path.relative(process.cwd(), f) || f);
    process.stdout.write(`\nWrote ${files.join(', ')}\n`);
  });
}
