/** `lodestone data ...`: look at the dataset, where its numbers come from, and whether it holds together. */
import type { Command } from 'commander';
import { Catalog } from '../data/catalog.ts';
import { CHECKS, checkDataset } from '../data/checks.ts';
import { episodeObservations } from '../data/episodes.ts';
import { DataError, formatIssue } from '../data/issues.ts';
import { type Dataset, loadDataset } from '../data/load.ts';
import { type AnyRow, type AnyTable, TABLES, type TableName } from '../data/schema.ts';
import { summarize } from '../data/summary.ts';
import { InputError } from '../model/document.ts';
import { didYouMean } from '../suggest.ts';
import { formatNumber, formatPercent, formatPrice, renderTable } from './table.ts';

interface DataOptions {
  data?: string[];
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function withDataOption(cmd: Command): Command {
  return cmd.option(
    '--data <dir>',
    'a folder of your own CSV tables (same schema) overlaying the embedded data; may be repeated',
    collect,
  );
}

/** The note that the data has warnings, held until the command has succeeded (see flushDataNote). */
let dataNote: string | undefined;

/**
 * Loads the data and runs every check; refuses (DataError) when any check fails. Warnings are noted, and the note
 * is printed once the command has done its work (flushDataNote): never before, or instead of, the real error.
 */
export function loadCheckedDataset(opts: DataOptions): Catalog {
  const dataset = loadDataset({ overlays: opts.data ?? [] });
  const report = checkDataset(dataset);
  if (report.errors > 0) throw new DataError(report.issues);
  dataNote =
    report.warnings > 0
      ? `lodestone: the data passed every check with ${report.warnings} warning(s); see 'lodestone data check'\n`
      : undefined;
  return new Catalog(dataset);
}

/** Prints the data's warning note, if a command loaded data with warnings, once; `discard` drops it (on failure). */
export function flushDataNote(discard = false): void {
  if (dataNote !== undefined && !discard) process.stderr.write(dataNote);
  dataNote = undefined;
}

function sourceUsage(dataset: Dataset): Map<string, Map<string, number>> {
  const usage = new Map<string, Map<string, number>>();
  for (const [name, def] of Object.entries(TABLES) as [TableName, AnyTable][]) {
    const rows = dataset.tables[name] as AnyRow[];
    for (const row of rows) {
      for (const [field, column] of Object.entries(def.columns)) {
        if (!column.meta.provenance || typeof row[field] !== 'number') continue;
        const id = row.$provenance[field]?.source;
        if (!id) continue;
        const byTable = usage.get(id) ?? new Map<string, number>();
        byTable.set(name, (byTable.get(name) ?? 0) + 1);
        usage.set(id, byTable);
      }
    }
  }
  return usage;
}

export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('inspect the embedded dataset, its sources and its consistency');

  withDataOption(
    data
      .command('summary')
      .description('per mineral and stage: world total, top producer, HHI, bloc share, sourced vs assumed values')
      .option('--year <year>', 'one year only (default: every year in the data)', (v) => {
        if (!/^\d{4}$/.test(v)) throw new Error(`--year expects a four-digit year, got '${v}'`);
        return Number(v);
      })
      .option('--json', 'print JSON instead of a table'),
  ).action((opts: DataOptions & { year?: number }) => {
    const catalog = loadCheckedDataset(opts);
    const rows = summarize(catalog, opts.year !== undefined ? { year: opts.year } : {});
    if (opts.year !== undefined && rows.length === 0) {
      const years = [...new Set(catalog.dataset.tables.production.map((p) => p.year))].sort().join(', ');
      throw new Error(`no production data for ${opts.year}; the data covers ${years}`);
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${renderTable(rows, [
        { header: 'mineral', value: (r) => r.mineral },
        { header: 'stage', value: (r) => r.stage },
        { header: 'year', value: (r) => String(r.year) },
        {
          header: 'world total',
          value: (r) => `${formatNumber(r.worldTotal)}${r.worldTotalBasis === 'published' ? '' : '*'}`,
          align: 'right',
        },
        { header: 'unit', value: (r) => r.unit },
        { header: 'top', value: (r) => r.top?.region ?? '-' },
        { header: 'share', value: (r) => (r.top ? formatPercent(r.top.share) : '-'), align: 'right' },
        { header: 'HHI', value: (r) => (r.hhi === null ? '-' : formatNumber(r.hhi)), align: 'right' },
        { header: 'bloc', value: (r) => formatPercent(r.blocShare), align: 'right' },
        { header: 'sourced', value: (r) => String(r.sourced), align: 'right' },
        { header: 'assumed', value: (r) => String(r.assumed), align: 'right' },
      ])}\n\n` +
        'world total: the published figure; * where none is published, the sum of the listed rows (coverage may be partial).\n' +
        'shares, HHI and bloc share are of the sum of the listed rows, ROW included; ROW, many countries, adds no HHI term.\n' +
        `bloc: ${catalog.dataset.tables.regions
          .filter((r) => r.default_bloc)
          .map((r) => r.code)
          .join(', ')}.\n`,
    );
  });

  withDataOption(
    data
      .command('sources')
      .description('the sources behind the numbers and what each covers')
      .option('--json', 'print JSON'),
  ).action((opts: DataOptions) => {
    const catalog = loadCheckedDataset(opts);
    const usage = sourceUsage(catalog.dataset);
    const rows = catalog.dataset.tables.sources.map((s) => ({
      id: s.id,
      kind: 'source' as const,
      title: s.title,
      publisher: s.publisher,
      year: s.year,
      url: s.url,
      covers: s.covers ?? '',
      cells: Object.fromEntries(usage.get(s.id) ?? []),
    }));
    const assumptions = catalog.dataset.tables.assumptions.map((a) => ({
      id: a.id,
      kind: 'assumption' as const,
      statement: a.statement,
      basis: a.basis,
      cells: Object.fromEntries(usage.get(a.id) ?? []),
    }));
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ sources: rows, assumptions }, null, 2)}\n`);
      return;
    }
    const cellsText = (cells: Record<string, number>) =>
      Object.entries(cells)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ') || 'not cited';
    const lines: string[] = [`${rows.length} sources`, ''];
    for (const s of rows) {
      lines.push(`${s.id}  ${s.title} — ${s.publisher}, ${s.year}`);
      lines.push(`    ${s.url}`);
      if (s.covers) lines.push(`    covers: ${s.covers}`);
      lines.push(`    cited by: ${cellsText(s.cells)}`);
    }
    lines.push('', `${assumptions.length} assumptions`, '');
    for (const a of assumptions) {
      lines.push(`${a.id}  ${a.statement}`);
      lines.push(`    basis: ${a.basis}`);
      lines.push(`    cited by: ${cellsText(a.cells)}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  });

  withDataOption(
    data
      .command('check')
      .description('run every named consistency check; exit 1 when any fails')
      .option('--json', 'print the issues as JSON')
      .option('--list', 'list the checks and what each verifies'),
  ).action((opts: DataOptions & { list?: boolean }) => {
    if (opts.list) {
      const checks = [
        {
          name: 'csv-format',
          description:
            'every file parses as CSV with the schema columns (malformed, empty, unknown or missing columns)',
        },
        {
          name: 'cell-value',
          description: 'every cell has the declared type and bounds (numbers, negatives, years, dates, enums)',
        },
        { name: 'duplicate-key', description: 'no two rows share a key' },
        ...CHECKS.map((c) => ({ name: c.name, description: c.description })),
      ];
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(checks, null, 2)}\n`
          : `${checks.map((c) => `${c.name}: ${c.description}`).join('\n')}\n`,
      );
      return;
    }
    const dataset = loadDataset({ overlays: opts.data ?? [] });
    const report = checkDataset(dataset);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const issue of report.issues) process.stdout.write(`${formatIssue(issue)}\n`);
      const counted = Object.values(dataset.tables).reduce((n, rows) => n + rows.length, 0);
      process.stdout.write(
        `${report.errors === 0 ? 'ok' : 'FAILED'}: ${report.errors} error(s), ${report.warnings} warning(s) in ` +
          `${counted} rows of ${Object.keys(TABLES).length} tables (${dataset.dirs.join(' + ')})\n`,
      );
    }
    if (report.errors > 0) process.exitCode = 1;
  });

  withDataOption(
    data
      .command('episodes')
      .description(
        'past supply disruptions: the price multiple (after / before) per market, inside and outside the restriction',
      )
      .option('--commodity <id>', 'one commodity only')
      .option('--episode <id>', 'one episode only')
      .option('--json', 'print JSON'),
  ).action((opts: DataOptions & { commodity?: string; episode?: string }) => {
    const catalog = loadCheckedDataset(opts);
    const all = episodeObservations(catalog.dataset);
    let rows = all;
    if (opts.commodity !== undefined) {
      if (!catalog.commodities.has(opts.commodity)) {
        throw new InputError(
          `--commodity ${opts.commodity}: unknown commodity (known: ${[...catalog.commodities.keys()].join(', ')})`,
        );
      }
      rows = rows.filter((r) => r.commodity === opts.commodity);
    }
    if (opts.episode !== undefined) {
      const known = [...new Set(all.map((r) => r.episode))];
      if (!known.includes(opts.episode))
        throw new InputError(
          `--episode ${opts.episode}: no such episode${didYouMean(opts.episode, known)} (the episodes: ${known.join(', ')})`,
        );
      const on = [...new Set(rows.map((r) => r.episode))];
      rows = rows.filter((r) => r.episode === opts.episode);
      if (rows.length === 0)
        throw new InputError(
          `--episode ${opts.episode}: it observed no ${opts.commodity} market (the episodes on ${opts.commodity}: ${on.join(', ') || 'none'})`,
        );
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    if (rows.length === 0) {
      // A commodity no episode observed: said in words, not a table's header over no rows.
      const observed = [...new Set(all.map((r) => r.commodity))].sort().join(', ');
      process.stdout.write(`No episode observed a ${opts.commodity} market; the episodes observe ${observed}.\n`);
      return;
    }
    process.stdout.write(
      `${renderTable(rows, [
        { header: 'episode', value: (r) => r.episode },
        { header: 'commodity', value: (r) => r.commodity },
        { header: 'market', value: (r) => r.market },
        { header: 'side', value: (r) => (r.insideRestriction ? 'inside' : 'outside') },
        { header: 'before', value: (r) => `${formatPrice(r.priceBefore)} (${r.before.to})`, align: 'right' },
        { header: 'after', value: (r) => `${formatPrice(r.priceAfter)} (${r.after.to})`, align: 'right' },
        { header: 'unit', value: (r) => r.unit },
        {
          header: 'multiple',
          value: (r) => `${r.multiple.toFixed(2)}${r.multipleFrom === 'published' ? '*' : ''}`,
          align: 'right',
        },
        { header: 'after is', value: (r) => r.after.statistic },
      ])}\n\n` +
        "side: inside = the market was on the restricted side of the measure; outside = the actor's own market or a spared destination.\n" +
        'multiple: after / before; * where the source states only the change.\n',
    );
  });

  data
    .command('schema')
    .argument('[table]', 'one table (default: all)')
    .description('the tables and their columns: type, unit and meaning')
    .option('--json', 'print JSON')
    .action((name: string | undefined, opts: { json?: boolean }) => {
      const entries = Object.entries(TABLES) as [TableName, AnyTable][];
      const chosen = name ? entries.filter(([n]) => n === name) : entries;
      if (chosen.length === 0) {
        throw new Error(`unknown table '${name}'; the tables are ${entries.map(([n]) => n).join(', ')}`);
      }
      const doc = chosen.map(([table, def]) => ({
        table,
        file: def.file,
        description: def.description,
        key: def.key,
        columns: Object.entries(def.columns).map(([column, c]) => ({ column, ...c.meta })),
      }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${renderSchemaMarkdown(doc)}\n`);
    });
}

export function renderSchemaMarkdown(
  doc: {
    table: string;
    file: string;
    description: string;
    key: readonly string[];
    columns: ({ column: string } & AnyTable['columns'][string]['meta'])[];
  }[],
): string {
  const out: string[] = [];
  for (const t of doc) {
    out.push(`## ${t.table} (\`data/${t.file}\`)`, '', t.description, '', `Key: ${t.key.join(', ')}.`, '');
    out.push('| column | type | unit | required | meaning |', '| --- | --- | --- | --- | --- |');
    for (const c of t.columns) {
      const type = c.values
        ? `${c.kind}: ${c.values.join(' / ')}`
        : c.references
          ? `${c.kind} → ${c.references}`
          : c.kind;
      const meaning = c.provenance
        ? `${c.description}. Sourced input: may carry \`${c.column}_source\`, \`${c.column}_low\`, \`${c.column}_high\``
        : c.description;
      out.push(`| ${c.column} | ${type} | ${c.unit ?? ''} | ${c.required ? 'yes' : ''} | ${meaning} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
