/**
 * Reads the dataset: the embedded tables under data/, optionally overlaid by a user's folder with the same
 * schema (a row with the same key replaces the embedded one; new keys are added). Parsing never throws on bad
 * data: every problem becomes a located DataIssue, and a row with an error is left out of the tables.
 */
import { type Dirent, existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CsvError, parse } from 'csv-parse/sync';
import { didYouMean } from '../suggest.ts';
import { readTextFile } from '../text-file.ts';
import type { DataIssue } from './issues.ts';
import { type AnyTable, allowedHeaders, type CellProvenance, type RowOf, TABLES, type TableName } from './schema.ts';

/** The folder of embedded data shipped with Lodestone. */
export const EMBEDDED_DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data');

export type Tables = { [K in TableName]: RowOf<(typeof TABLES)[K]>[] };

export interface Dataset {
  readonly tables: Tables;
  /** Folders read, embedded first. */
  readonly dirs: readonly string[];
  /** Problems found while reading and parsing (the named checks add more). */
  readonly issues: readonly DataIssue[];
}

interface RawRow {
  readonly cells: Record<string, string>;
  readonly line: number;
  readonly file: string;
  readonly columns: Record<string, number>;
}

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/**
 * The line each record starts on, from the offset (in UTF-8 bytes) csv-parse reports at its end. Its own `lines` is
 * the line a record ends on, and inside a quoted cell it counts CR and LF apart: a row with a line break in a cell
 * was placed at its last line, and in a CRLF file every row after one drifted a line further down per break.
 */
function recordStartLines(text: string, ends: readonly number[]): number[] {
  const bytes = Buffer.from(text, 'utf8');
  const starts: number[] = [];
  let offset = 0;
  let line = 1;
  // One byte on, or one line break on: CRLF, LF, or a lone CR (an old Mac file's) each end one line.
  const step = () => {
    const byte = bytes[offset];
    if (byte === 0x0a || byte === 0x0d) line++;
    offset += byte === 0x0d && bytes[offset + 1] === 0x0a ? 2 : 1;
  };
  for (const end of ends) {
    // Past the blank lines skipped before the record.
    while (offset < end && (bytes[offset] === 0x0a || bytes[offset] === 0x0d)) step();
    starts.push(line);
    while (offset < end) step();
  }
  return starts;
}

/** Reads one CSV file into raw rows, reporting malformed CSV, empty files and unknown or missing columns. */
export function readCsv(file: string, def: AnyTable, issues: DataIssue[]): RawRow[] {
  const shown = displayPath(file);
  const read = readTextFile(file);
  if (!('text' in read)) {
    // A folder named like a table, a file without read permission, a binary or Latin-1 file: one issue, named.
    issues.push({
      check: 'csv-format',
      severity: 'error',
      file: shown,
      ...(read.line !== undefined ? { line: read.line, column: read.column } : {}),
      message: read.problem,
      fix: `give a UTF-8 CSV file readable by this user, with the header ${Object.keys(def.columns).join(',')}`,
    });
    return [];
  }
  const { text } = read;
  if (text.trim() === '') {
    issues.push({
      check: 'csv-format',
      severity: 'error',
      file: shown,
      line: 1,
      message: 'the file is empty',
      fix: `start it with a header row: ${Object.keys(def.columns).join(',')}`,
    });
    return [];
  }
  let records: { record: string[]; info: { bytes: number } }[];
  try {
    records = parse(text, {
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as unknown as typeof records;
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      issues.push({
        check: 'csv-format',
        severity: 'error',
        file: shown,
        ...(line !== undefined ? { line } : {}),
        message: `malformed CSV: ${error.message.replace(/^Invalid [^:]+: /, '')}`,
        fix: 'quote cells that contain commas or quotes ("..."), and double any quote inside a quoted cell',
      });
      return [];
    }
    throw error;
  }
  const startLines = recordStartLines(
    text,
    records.map((r) => r.info.bytes),
  );
  const [header, ...body] = records.map((r, i) => ({ record: r.record, line: startLines[i] as number }));
  if (!header) return [];
  const names = header.record.map((h) => h.trim());
  // A table saved with tabs or semicolons between cells reads as one column: say so once, not per missing column.
  const separator = names.length === 1 ? /\t|;/.exec(names[0] ?? '')?.[0] : undefined;
  if (separator !== undefined) {
    issues.push({
      check: 'csv-format',
      severity: 'error',
      file: shown,
      line: header.line,
      message: `the header is one cell holding ${separator === '\t' ? 'tabs' : 'semicolons'}: the file is not comma-separated`,
      fix: `save it as CSV with commas between cells: ${Object.keys(def.columns).join(',')}`,
    });
    return [];
  }
  const allowed = allowedHeaders(def);
  const columns: Record<string, number> = {};
  names.forEach((name, index) => {
    if (!allowed.has(name)) {
      issues.push({
        check: 'csv-format',
        severity: 'error',
        file: shown,
        line: header.line,
        column: index + 1,
        message: `unknown column '${name}' in table ${def.name}`,
        fix: `use the schema's column names (lodestone data schema ${def.name})`,
      });
    } else if (name in columns) {
      issues.push({
        check: 'csv-format',
        severity: 'error',
        file: shown,
        line: header.line,
        column: index + 1,
        message: `column '${name}' appears twice`,
      });
    } else {
      columns[name] = index + 1;
    }
  });
  for (const [name, column] of Object.entries(def.columns)) {
    if (column.meta.required && !(name in columns)) {
      issues.push({
        check: 'csv-format',
        severity: 'error',
        file: shown,
        line: header.line,
        message: `required column '${name}' is missing from the header`,
        fix: `add a '${name}' column (${column.meta.description})`,
      });
    }
  }
  const rows: RawRow[] = [];
  for (const { record, line } of body) {
    // A row of empty cells (',,,,' that a spreadsheet leaves below a table) is an empty line, as a blank line is.
    if (record.every((cell) => cell.trim() === '')) continue;
    if (record.length !== names.length) {
      issues.push({
        check: 'csv-format',
        severity: 'error',
        file: shown,
        line,
        message: `the row has ${record.length} cells but the header has ${names.length}`,
        fix: 'quote cells that contain commas, or add the missing cells',
      });
      continue;
    }
    const cells: Record<string, string> = {};
    for (const [name, index] of Object.entries(columns)) cells[name] = record[index - 1] ?? '';
    rows.push({ cells, line, file: shown, columns });
  }
  return rows;
}

function keyOf(def: AnyTable, cells: Record<string, string>): string {
  return def.key.map((k) => (cells[k] ?? '').trim()).join('\u0000');
}

/** Parses raw rows into typed rows; a row with any error is reported and dropped. */
export function parseRows(def: AnyTable, raw: readonly RawRow[], issues: DataIssue[]): RowOf<AnyTable>[] {
  const out: RowOf<AnyTable>[] = [];
  for (const r of raw) {
    const row: Record<string, unknown> = {};
    const provenance: Record<string, CellProvenance> = {};
    let ok = true;
    const fail = (field: string, message: string, fix?: string) => {
      ok = false;
      issues.push({
        check: 'cell-value',
        severity: 'error',
        file: r.file,
        line: r.line,
        ...(r.columns[field] !== undefined ? { column: r.columns[field] } : {}),
        field,
        message,
        ...(fix ? { fix } : {}),
      });
    };
    for (const [name, column] of Object.entries(def.columns)) {
      const parsed = column.schema.safeParse(r.cells[name] ?? '');
      if (!parsed.success) {
        fail(
          name,
          parsed.error.issues[0]?.message ?? 'is invalid',
          `correct the cell (${name}: ${column.meta.description})`,
        );
        continue;
      }
      row[name] = parsed.data;
    }
    // Provenance of numeric inputs: the column's own `_source`, or the row's `source`.
    for (const [name, column] of Object.entries(def.columns)) {
      if (!column.meta.provenance || row[name] === undefined) continue;
      const override = (r.cells[`${name}_source`] ?? '').trim();
      const sourceColumn = override ? r.columns[`${name}_source`] : r.columns.source;
      const bounds: { low?: number; high?: number } = {};
      for (const side of ['low', 'high'] as const) {
        const text = (r.cells[`${name}_${side}`] ?? '').trim();
        if (text === '') continue;
        const value = Number(text);
        if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text) || !Number.isFinite(value)) {
          fail(`${name}_${side}`, `'${text}' is not a plain number`);
          continue;
        }
        bounds[side] = value;
      }
      provenance[name] = {
        source: override || String(row.source ?? ''),
        ...bounds,
        sourceColumn: sourceColumn ?? 0,
      };
    }
    if (!ok) continue;
    Object.defineProperty(row, '$origin', {
      value: { file: r.file, line: r.line, columns: r.columns },
      enumerable: false,
    });
    Object.defineProperty(row, '$provenance', { value: provenance, enumerable: false });
    out.push(row as RowOf<AnyTable>);
  }
  return out;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * An overlay folder's CSV files must each be a table's (a file no table reads, or one named in the wrong case,
 * would otherwise be ignored in silence), and the folder must hold at least one. Other files (notes, a README)
 * and subfolders are left alone.
 */
function overlayFolderIssues(dir: string): DataIssue[] {
  const tableFiles = Object.values(TABLES).map((def) => def.file);
  // A link to a CSV elsewhere is a table of the folder too: the tables read through it.
  const isFileOrLinkToOne = (e: Dirent) => e.isFile() || (e.isSymbolicLink() && isFile(path.join(dir, e.name)));
  const entries = readdirSync(dir, { withFileTypes: true }).filter((e) => /\.csv$/i.test(e.name));
  const csvs = entries
    .filter(isFileOrLinkToOne)
    .map((e) => e.name)
    .sort();
  const issues: DataIssue[] = [];
  // A link whose file is gone, or that leads to a folder, would be read as no table at all.
  for (const e of entries) {
    if (!e.isSymbolicLink() || isFileOrLinkToOne(e)) continue;
    const target = readlinkSync(path.join(dir, e.name));
    issues.push({
      check: 'data-folder',
      severity: 'error',
      file: path.join(displayPath(dir), e.name),
      message: existsSync(path.join(dir, e.name))
        ? `is a link to ${target}, which is a folder, not a table`
        : `is a link to ${target}, which does not exist`,
      fix: 'link it to your table, or remove it',
    });
  }
  for (const name of csvs) {
    if (tableFiles.includes(name)) continue;
    issues.push({
      check: 'data-folder',
      severity: 'error',
      file: path.join(displayPath(dir), name),
      message: `'${name}' is not the file of any table, so it would be ignored${didYouMean(name, tableFiles)}`,
      fix: `rename it after its table (names are lower-case): ${tableFiles.join(', ')}`,
    });
  }
  if (csvs.length === 0) {
    issues.push({
      check: 'data-folder',
      severity: 'error',
      file: displayPath(dir),
      message: 'holds no CSV tables, so it would overlay nothing',
      fix: `put your tables in it, named as in data/ (${tableFiles.slice(0, 4).join(', ')}, ...), or drop --data`,
    });
  }
  return issues;
}

/** Loads every table from the embedded folder, overlaid in order by each folder in `overlays`. */
export function loadDataset(options: { dataDir?: string; overlays?: readonly string[] } = {}): Dataset {
  const base = options.dataDir ?? EMBEDDED_DATA_DIR;
  const overlays = options.overlays ?? [];
  const issues: DataIssue[] = [];
  for (const dir of overlays) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      issues.push({
        check: 'data-folder',
        severity: 'error',
        file: dir,
        message: existsSync(dir) ? 'is not a folder' : 'no such folder',
        fix: 'pass --data a folder holding CSV tables named as in data/ (production.csv, demand.csv, ...)',
      });
      continue;
    }
    issues.push(...overlayFolderIssues(dir));
  }
  const tables = {} as Record<TableName, RowOf<AnyTable>[]>;
  for (const [name, def] of Object.entries(TABLES) as [TableName, AnyTable][]) {
    // Rows are parsed file by file, so that an overlay's row that fails to parse is reported and leaves the row it
    // would replace in place (dropping both made errors in the embedded data's own checks, such as world totals).
    const merged = new Map<string, RowOf<AnyTable>>();
    let rowsRead = 0;
    let seen = false;
    for (const dir of [base, ...overlays]) {
      const file = path.join(dir, def.file);
      if (!existsSync(file)) continue;
      seen = true;
      const keysInFile = new Map<string, number>();
      const issuesBefore = issues.length;
      const raws = readCsv(file, def, issues);
      // An overlay's table of a header alone replaces nothing: said, not left to look as if it had.
      if (dir !== base && raws.length === 0 && issues.length === issuesBefore) {
        issues.push({
          check: 'data-folder',
          severity: 'warning',
          file: path.join(displayPath(dir), def.file),
          message: 'has a header and no rows, so it overlays nothing',
          fix: 'add the rows you meant to overlay, or remove the file',
        });
      }
      for (const raw of raws) {
        const key = keyOf(def, raw.cells);
        const earlier = keysInFile.get(key);
        if (earlier !== undefined) {
          issues.push({
            check: 'duplicate-key',
            severity: 'error',
            file: raw.file,
            line: raw.line,
            message: `duplicate row: (${def.key.join(', ')}) = (${def.key.map((k) => raw.cells[k]).join(', ')}) is already on line ${earlier}`,
            fix: 'keep one row per key',
          });
          continue;
        }
        keysInFile.set(key, raw.line);
        rowsRead++;
        const [row] = parseRows(def, [raw], issues);
        if (row) merged.set(key, row);
      }
    }
    if (!seen && def.required) {
      issues.push({
        check: 'missing-table',
        severity: 'error',
        file: path.join(displayPath(base), def.file),
        message: `table ${name} is missing`,
        fix: `create ${def.file} with columns ${Object.keys(def.columns).join(',')}`,
      });
    }
    tables[name] = [...merged.values()];
    if (seen && def.required && rowsRead === 0) {
      issues.push({
        check: 'missing-table',
        severity: 'error',
        file: path.join(displayPath(base), def.file),
        message: `table ${name} has no rows`,
      });
    }
  }
  return { tables: tables as unknown as Tables, dirs: [base, ...overlays], issues };
}
