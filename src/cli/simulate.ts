/**
 * `lodestone simulate`, `lodestone compare` and `lodestone scenario`: the main job. Runs a scenario against another
 * through the horizon, prints a compact comparison per year, and writes the report (HTML, CSV, JSON) to a folder.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Catalog } from '../data/catalog.ts';
import { validateRisks } from '../ensemble/risks.ts';
import { InputError, readInputText } from '../model/document.ts';
import {
  builtInScenarios,
  readScenario,
  SCENARIO_DIR,
  type Scenario,
  scenarioJsonSchema,
  spanning,
} from '../model/scenario.ts';
import { REPORT_FILES, writeReport } from '../report/index.ts';
import { formatRange, openPricesInBrief, openPricesOf } from '../report/open-prices.ts';
import type { CommodityYear, Comparison, SimulationResult, YearResult } from '../simulate/result.ts';
import { blocsOf, type SimulateOptions, simulate, validateScenario } from '../simulate/simulate.ts';
import { loadCheckedDataset, withDataOption } from './data.ts';
import { formatNumber, formatPercent, formatPrice, renderTable } from './table.ts';

export const DEFAULT_SCENARIO = 'zone-2026-ban-2027';
export const DEFAULT_AGAINST = 'ban-2027';

interface SimulateCliOptions {
  data?: string[];
  against?: string;
  out?: string;
  report?: boolean;
  json?: boolean;
  commodity?: string[];
  openPrices?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Runs one scenario, showing progress on a terminal. */
function run(ref: string, catalog: Catalog, openPrices = false): SimulationResult {
  return runScenario(readScenario(ref), catalog, openPrices);
}

/**
 * Scenario `ref` run over the years of `first` (compare, simulate), with a note when its own horizon differs unless
 * `quiet` (the default comparison, whose twin is chosen for it).
 */
function againstOver(
  ref: string,
  first: SimulationResult,
  catalog: Catalog,
  openPrices = false,
  quiet = false,
): SimulationResult {
  const years = first.years.map((y) => y.year);
  const horizon = { start: years[0] as number, end: years.at(-1) as number };
  const against = readScenario(ref);
  const own = against.horizon;
  if (!quiet && (own.start !== horizon.start || own.end !== horizon.end)) {
    process.stderr.write(
      `lodestone: note: ${ref} runs over the years of ${first.scenario.name}, ${horizon.start}–${horizon.end} (its own: ${own.start}–${own.end})\n`,
    );
  }
  // Its dates are checked over its own years and these: a shock of its own before them does not occur here. Its
  // bloc figures count the first run's countries, where it has no zone of its own.
  return runScenario({ ...against, horizon }, catalog, openPrices, {
    datesWithin: spanning(own, horizon),
    blocs: blocsOf(first),
  });
}

function runScenario(
  scenario: Scenario,
  catalog: Catalog,
  openPrices: boolean,
  twin: Pick<SimulateOptions, 'datesWithin' | 'blocs'> = {},
): SimulationResult {
  const tty = process.stderr.isTTY;
  const started = performance.now();
  const result = simulate(scenario, catalog, {
    onProgress: ({ scenario: name, year, done, total }) => {
      if (tty) process.stderr.write(`\rsimulating ${name}: ${year} (${done}/${total})   `);
    },
    ...(openPrices ? { priceRanges: true } : {}),
    ...twin,
  });
  if (tty) {
    process.stderr.write(
      `\rsimulated ${scenario.name}: ${result.years.length} years in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
  }
  return result;
}

/** A results file from an earlier run (results.json holds a Comparison; a SimulationResult alone also works). */
function readResult(file: string, which: 'scenario' | 'against', read?: string): SimulationResult {
  // Read as any input (a folder, a binary or a Latin-1 file named as such); a byte-order mark is no part of the JSON.
  // `read`: its text, where the caller has read it already.
  const text = read ?? readInputText(file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not a readable JSON results file (${e instanceof Error ? e.message : e})`);
  }
  const v = value as Partial<Comparison> & Partial<SimulationResult>;
  const inside = v.years ? undefined : which;
  const result = v.years ? (v as SimulationResult) : v[which];
  if (!result || !Array.isArray(result.years)) {
    throw new InputError(`${file}: not a Lodestone results file (expected 'years', or 'scenario' and 'against')`);
  }
  const checked = ResultFile.safeParse(result);
  if (!checked.success) {
    const issue = checked.error.issues[0] as z.core.$ZodIssue;
    const at = [...(inside ? [inside] : []), ...issue.path.map(String)].join('.');
    throw new InputError(`${file}: ${at}: ${issue.message} (is it the results.json of a 'lodestone simulate'?)`);
  }
  return result;
}

/** What a comparison reads of a results file: every year with its numbers, so that none shows as '-' or 0 by mistake. */
const count = z.number().finite();
const countOrNull = count.nullable();
const ResultFile = z.looseObject({
  years: z
    .array(
      z.looseObject({
        year: z.number().int(),
        commodities: z.array(
          z.looseObject({
            commodity: z.string(),
            unit: z.string(),
            priceUnit: z.string(),
            priceInside: countOrNull,
            priceOutside: countOrNull,
            referencePrice: countOrNull,
            production: count,
            consumption: count,
            blocProduction: count,
            blocUse: count,
            blocConsumption: count,
            selfSufficiency: countOrNull,
            dominantShare: countOrNull,
            consumerCost: count,
            levyRevenue: count,
            cfdCost: count,
            stock: count,
            stockNetCost: count,
            daysOfCover: countOrNull,
            consumptionLost: count,
          }),
        ),
        totals: z.looseObject({
          consumerCost: count,
          levyRevenue: count,
          cfdCost: count,
          stockNetCost: count,
          stockValue: count,
          consumptionLostValue: count,
        }),
      }),
    )
    .min(1, 'no years: a run has at least one'),
});

/** Commodities worth a table: those a shock or a reference price touches, or whose bloc price moves > 5%. */
export function focusCommodities(c: Comparison, asked?: readonly string[]): string[] {
  const all = [...new Set(c.scenario.years.flatMap((y) => y.commodities.map((x) => x.commodity)))];
  if (asked && asked.length > 0) {
    for (const k of asked) {
      if (!all.includes(k)) throw new InputError(`--commodity ${k}: not in the results (known: ${all.join(', ')})`);
    }
    return [...new Set(asked)];
  }
  const moved = new Set<string>();
  c.scenario.years.forEach((y) => {
    const other = c.against.years.find((x) => x.year === y.year);
    for (const x of y.commodities) {
      const o = other?.commodities.find((z) => z.commodity === x.commodity);
      const a = x.priceInside ?? 0;
      const b = o?.priceInside ?? 0;
      if (Math.abs(a - b) > 0.05 * Math.max(Math.abs(b), 1e-12)) moved.add(x.commodity);
    }
  });
  // Biggest moves first, at most eight: the report has the rest.
  const peak = (k: string) =>
    Math.max(
      ...c.scenario.years.map((y) => {
        const a = y.commodities.find((x) => x.commodity === k)?.priceInside ?? 0;
        const b =
          c.against.years.find((x) => x.year === y.year)?.commodities.find((x) => x.commodity === k)?.priceInside ?? 0;
        return b > 0 ? Math.abs(a / b - 1) : 0;
      }),
    );
  return all
    .filter((k) => moved.has(k))
    .sort((a, b) => peak(b) - peak(a))
    .slice(0, 8);
}

const usdM = (x: number) => formatNumber(x / 1e6);
const pct = (x: number | null) => (x === null ? '-' : formatPercent(x, 0));

/**
 * The bloc's total welfare (YearResult.welfare) less its twin's, USD million: '-' where either run has none (a
 * results file from before the field, a consumer surplus that is not finite).
 */
export function welfareChange(y: YearResult, o: YearResult | undefined): string {
  const a = y.welfare?.bloc.total;
  const b = o?.welfare?.bloc.total;
  return a === undefined || a === null || b === undefined || b === null ? '-' : usdM(a - b);
}

/** The compact per-year comparison printed on the terminal. */
export function comparisonText(c: Comparison, focus: readonly string[]): string {
  const { scenario: a, against: b } = c;
  const lines: string[] = [];
  lines.push(
    `${a.scenario.name} (${a.scenario.title}) against ${b.scenario.name} (${b.scenario.title}), ` +
      `${a.years[0]?.year}–${a.years[a.years.length - 1]?.year}`,
    a.members.length > 0 ? `Zone members: ${a.members.join(', ')}; dominant supplier ${a.dominantSupplier}` : '',
    '',
    'Bloc totals, USD million (scenario | against)',
  );
  const rows = a.years.map((y) => ({ y, o: b.years.find((x) => x.year === y.year) }));
  lines.push(
    renderTable(rows, [
      { header: 'year', value: (r) => String(r.y.year) },
      { header: 'consumer cost', value: (r) => usdM(r.y.totals.consumerCost), align: 'right' },
      { header: '| against', value: (r) => (r.o ? usdM(r.o.totals.consumerCost) : '-'), align: 'right' },
      { header: 'levy revenue', value: (r) => usdM(r.y.totals.levyRevenue), align: 'right' },
      { header: 'CfD cost', value: (r) => usdM(r.y.totals.cfdCost), align: 'right' },
      { header: 'stock buys net', value: (r) => usdM(r.y.totals.stockNetCost), align: 'right' },
      { header: 'stock value', value: (r) => usdM(r.y.totals.stockValue), align: 'right' },
      { header: 'lost consumption', value: (r) => usdM(r.y.totals.consumptionLostValue), align: 'right' },
      { header: '| against', value: (r) => (r.o ? usdM(r.o.totals.consumptionLostValue) : '-'), align: 'right' },
      { header: 'welfare change', value: (r) => welfareChange(r.y, r.o), align: 'right' },
      { header: 'events', value: (r) => summarizeEvents(r.y.events) },
    ]),
  );
  for (const k of focus) {
    const pick = (r: SimulationResult, year: number): CommodityYear | undefined =>
      r.years.find((y) => y.year === year)?.commodities.find((x) => x.commodity === k);
    const first = pick(a, a.years[0]?.year ?? 0);
    lines.push(
      '',
      `${k} — prices in ${first?.priceUnit ?? ''}, quantities in ${first?.unit ?? ''} (scenario | against)`,
    );
    lines.push(
      renderTable(
        a.years.map((y) => ({ year: y.year, x: pick(a, y.year), o: pick(b, y.year) })),
        [
          { header: 'year', value: (r) => String(r.year) },
          { header: 'price in bloc', value: (r) => formatPrice(r.x?.priceInside ?? null), align: 'right' },
          { header: '| against', value: (r) => formatPrice(r.o?.priceInside ?? null), align: 'right' },
          { header: 'outside', value: (r) => formatPrice(r.x?.priceOutside ?? null), align: 'right' },
          { header: '| against', value: (r) => formatPrice(r.o?.priceOutside ?? null), align: 'right' },
          { header: 'ref. price', value: (r) => formatPrice(r.x?.referencePrice ?? null), align: 'right' },
          { header: 'self-suff.', value: (r) => pct(r.x?.selfSufficiency ?? null), align: 'right' },
          { header: '| against', value: (r) => pct(r.o?.selfSufficiency ?? null), align: 'right' },
          { header: `from ${a.dominantSupplier}`, value: (r) => pct(r.x?.dominantShare ?? null), align: 'right' },
          { header: '| against', value: (r) => pct(r.o?.dominantShare ?? null), align: 'right' },
          { header: 'stock', value: (r) => formatNumber(r.x?.stock ?? 0), align: 'right' },
          {
            header: 'days cover',
            value: (r) => (r.x?.daysOfCover == null ? '-' : formatNumber(r.x.daysOfCover)),
            align: 'right',
          },
          {
            header: 'lost',
            value: (r) => (r.x && r.x.blocConsumption + r.x.consumptionLost > 0 ? pct(lostShare(r.x)) : '-'),
            align: 'right',
          },
          {
            header: '| against',
            value: (r) => (r.o && r.o.blocConsumption + r.o.consumptionLost > 0 ? pct(lostShare(r.o)) : '-'),
            align: 'right',
          },
        ],
      ),
    );
  }
  for (const r of [a, b]) {
    const open = openPricesOf(r);
    if (open === 'not sought') continue;
    if (open === 'none') {
      lines.push('', `Open prices, ${r.scenario.name}: none that move what is traded, in any year.`);
      continue;
    }
    lines.push(
      '',
      `Open prices, ${r.scenario.name}: every price in a range satisfies all conditions, and the model does not pick one`,
    );
    lines.push(
      renderTable(r.years, [
        { header: 'year', value: (y) => String(y.year) },
        { header: 'levy revenue, USD million', value: (y) => usdM(y.totals.levyRevenue), align: 'right' },
        {
          header: 'its range',
          value: (y) => {
            const range = y.certificate.levyRevenueRange;
            return range ? formatRange(range.low, range.high, usdM) : '-';
          },
          align: 'right',
        },
        {
          header: 'open prices that move what is traded',
          value: (y) => openPricesInBrief(y.certificate.openPrices ?? []),
        },
      ]),
    );
  }
  const notes = [...new Set([...a.notes, ...b.notes])];
  if (notes.length > 0) {
    lines.push('', `Notes (${notes.length}):`, ...notes.slice(0, 6).map((n) => `  - ${n}`));
    if (notes.length > 6) lines.push(`  … and ${notes.length - 6} more in the report`);
  }
  return lines.filter((l, i) => l !== '' || lines[i - 1] !== '').join('\n');
}

function lostShare(x: CommodityYear): number {
  return x.consumptionLost / (x.blocConsumption + x.consumptionLost);
}

function summarizeEvents(events: readonly string[]): string {
  const shocks = events.filter((e) => !e.startsWith('reference price'));
  const prices = events.length - shocks.length;
  return [...shocks, ...(prices > 0 ? [`${prices} reference price(s) set`] : [])].join('; ');
}

/**
 * The years two runs' bloc figures count different countries (two zones of other members, or results files written
 * apart), in words for a note; undefined where they count the same, or a file does not say.
 */
export function blocsDiffer(c: Comparison): string | undefined {
  const name = (y: YearResult | undefined) => y?.bloc?.join(', ');
  const differ = c.scenario.years.filter((y) => {
    const o = c.against.years.find((x) => x.year === y.year);
    return y.bloc !== undefined && o?.bloc !== undefined && name(y) !== name(o);
  });
  const first = differ[0];
  if (!first) return undefined;
  const twin = c.against.years.find((x) => x.year === first.year);
  const years = differ.length === 1 ? `${first.year}` : `${differ.length} years from ${first.year}`;
  return (
    `the bloc figures count different countries in ${years} (${first.year}: ${c.scenario.scenario.name} ` +
    `${name(first)}; ${c.against.scenario.name} ${name(twin)}): the totals compare different blocs`
  );
}

function output(comparison: Comparison, opts: SimulateCliOptions): void {
  const differ = blocsDiffer(comparison);
  if (differ) process.stderr.write(`lodestone: note: ${differ}\n`);
  const focus = focusCommodities(comparison, opts.commodity);
  let written: string[] = [];
  if (opts.report !== false) {
    const dir = path.resolve(opts.out ?? 'out');
    // The report's own default focus is wider (every commodity with a reference price or a price that moves).
    written = writeReport(dir, comparison, opts.commodity?.length ? { focus } : {}).files;
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...comparison.scenario, against: comparison.against }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${comparisonText(comparison, focus)}\n`);
  if (written.length > 0) {
    process.stdout.write(`\nWrote ${written.map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
  }
}

export function registerSimulateCommands(program: Command): void {
  withDataOption(
    program
      .command('simulate')
      .description(
        `run a scenario year by year against another and write a report (default: ${DEFAULT_SCENARIO} against ${DEFAULT_AGAINST})`,
      )
      .argument('[scenario]', `a scenario file, or a built-in name (${builtInScenarios().join(', ')})`)
      .option(
        '--against <scenario>',
        'the scenario to compare with (default: ban-2027 for the default run, else baseline)',
      )
      .option('--out <dir>', 'folder for report.html, results.json and CSV files', 'out')
      .option('--no-report', 'print only; write no files')
      .option('--commodity <id>', 'commodity to tabulate (repeatable; default: the ones that move)', collect)
      .option(
        '--open-prices',
        "find each year's open prices and the levy revenue's range along them (about 0.1 s a year; see README)",
      )
      .option('--json', 'print the result as JSON: the scenario with its `years`, and `against`'),
  ).action((ref: string | undefined, opts: SimulateCliOptions) => {
    const catalog = loadCheckedDataset(opts);
    const scenarioRef = ref ?? DEFAULT_SCENARIO;
    const againstRef = opts.against ?? (ref === undefined ? DEFAULT_AGAINST : 'baseline');
    // Read both files before simulating either, so that a bad file fails at once and nothing is written.
    readScenario(scenarioRef);
    readScenario(againstRef);
    const open = opts.openPrices === true;
    const scenario = run(scenarioRef, catalog, open);
    // The comparison runs over the scenario's horizon, year for year, as an ensemble's twin does: a twin over other
    // years would leave the comparison empty where they do not overlap.
    const against = againstOver(againstRef, scenario, catalog, open, opts.against === undefined);
    const comparison: Comparison = { scenario, against };
    output(comparison, opts);
  });

  withDataOption(
    program
      .command('compare')
      .description('compare two scenarios (files or built-in names), or two results.json files of earlier runs')
      .argument('<a>', 'scenario or results file')
      .argument('<b>', 'scenario or results file to compare against')
      .option('--out <dir>', 'folder for the report', 'out')
      .option('--no-report', 'print only; write no files')
      .option('--commodity <id>', 'commodity to tabulate (repeatable)', collect)
      .option('--json', 'print JSON'),
  ).action((a: string, b: string, opts: SimulateCliOptions) => {
    // The extension in any case: RESULTS.JSON is a results file too, not a scenario missing its name.
    const isResults = (f: string) => /\.json$/i.test(f) && !f.includes(SCENARIO_DIR);
    const load = (ref: string, which: 'scenario' | 'against') => {
      // A folder is an earlier run's output (--out): its results.json.
      if (existsSync(ref) && statSync(ref).isDirectory()) {
        const file = path.join(ref, 'results.json');
        if (!existsSync(file)) {
          throw new InputError(
            `${ref}: results.json is missing from this folder: give the --out folder of an earlier 'lodestone simulate', its results.json, or a scenario`,
          );
        }
        return () => readResult(file, which);
      }
      if (isResults(ref)) {
        if (!existsSync(ref)) {
          throw new InputError(
            `${ref}: no such file: ${path.basename(ref) === 'results.json' ? 'results.json is missing' : 'give a results.json of an earlier run, or a scenario'}`,
          );
        }
        const text = readInputText(ref);
        if (/"years"/.test(text)) return () => readResult(ref, which, text);
        // A JSON scenario names itself; anything else in a .json is a results file that lost its years.
        if (!/"(name|extends)"\s*:/.test(text))
          throw new InputError(
            `${ref}: not a Lodestone results file (no 'years') nor a scenario (no 'name' or 'extends'): give the results.json of an earlier run, or a scenario`,
          );
      }
      readScenario(ref);
      return undefined;
    };
    const ra = load(a, 'scenario');
    const rb = load(b, 'scenario');
    // The report goes to --out: a results file read from that folder would be overwritten by the comparison itself.
    if (opts.report !== false) {
      const out = path.resolve(opts.out ?? 'out');
      for (const [ref, loaded] of [
        [a, ra],
        [b, rb],
      ] as const) {
        const read = path.resolve(ref);
        if (loaded && (read === out || REPORT_FILES.some((f) => read === path.join(out, f))))
          throw new InputError(
            `--out ${opts.out ?? 'out'}: writing the report there would overwrite ${ref}, an input of this comparison; name another folder (--out DIR) or pass --no-report`,
          );
      }
    }
    // Two results files are shown as they were written: an overlay would change nothing, and is refused as such.
    if (ra && rb && opts.data?.length)
      throw new InputError(
        '--data: two results files are compared as they were written, and no data is read; leave --data out, or compare scenarios',
      );
    const catalog = ra && rb ? undefined : loadCheckedDataset(opts);
    const scenarioRun = ra ? ra() : run(a, catalog as Catalog);
    // Two scenarios compare over the first one's years, as simulate --against runs its twin.
    const against = rb ? rb() : againstOver(b, scenarioRun, catalog as Catalog);
    const years = (r: SimulationResult) => r.years.map((y) => y.year);
    const [ya, yb] = [years(scenarioRun), years(against)];
    if (ya.join() !== yb.join()) {
      process.stderr.write(
        `lodestone: note: the runs cover different years (${a}: ${ya[0]}–${ya.at(-1)}, ${b}: ${yb[0]}–${yb.at(-1)}); a year one lacks shows '-'\n`,
      );
    }
    const comparison: Comparison = { scenario: scenarioRun, against };
    output(comparison, opts);
  });

  const scenario = program.command('scenario').description('scenario files: list, check, and the JSON Schema');
  scenario
    .command('list')
    .description('the built-in scenarios')
    .action(() => {
      for (const name of builtInScenarios()) {
        const s = readScenario(name);
        process.stdout.write(`${name.padEnd(20)} ${s.title}\n`);
      }
    });
  withDataOption(
    scenario
      .command('check')
      .description('validate a scenario file against the schema and the data')
      .argument('<file>', 'scenario file or built-in name'),
  ).action((file: string, opts: SimulateCliOptions) => {
    const s = readScenario(file);
    const catalog = loadCheckedDataset(opts);
    validateScenario(s, catalog);
    // The risks section is read only by 'lodestone ensemble': a file that checks valid must not fail there.
    validateRisks(s, catalog);
    process.stdout.write(
      `${s.files.map((f) => path.relative(process.cwd(), f)).join(' ← ')}: valid (${s.horizon.start}–${s.horizon.end})\n`,
    );
  });
  scenario
    .command('schema')
    .description('print the JSON Schema of scenario files (for editors)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
    });
}
