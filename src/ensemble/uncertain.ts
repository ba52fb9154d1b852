/**
 * Uncertain inputs: every numeric cell the model reads that carries a low/high range in the data is drawn, for each
 * ensemble draw, from the triangular distribution on [low, high] with its mode at the central value.
 *
 * Cells that cite the same assumption (one statement in assumptions.csv, e.g. "the magnet demand elasticity is −0.3,
 * range −0.6 to −0.1", cited by every region's row) share one uniform number per draw: the assumption is one
 * uncertain fact, so its cells move together (comonotone). A cell whose range comes from a publication is its own
 * group. Where a producer's capacity was derived from its output and an assumed utilisation (both cite the same
 * assumption, capacity = output ÷ utilisation), the capacity available to the model (capacity × utilisation) is the
 * observed output whatever the utilisation, so neither is drawn.
 */
import { Catalog } from '../data/catalog.ts';
import type { Dataset, Tables } from '../data/load.ts';
import { type AnyRow, TABLES, type TableName } from '../data/schema.ts';
import { type Stream, triangular } from './stream.ts';

/**
 * The tables and columns the simulation reads whose ranges are drawn. Values only, never a column that says which row
 * applies where (freight's origin, destination, commodity and basis; any table's keys): a draw's catalog shares those
 * with the catalog it was drawn from (Catalog.drawnFrom), and what depends on them alone is worked out once.
 */
export const DRAWN_COLUMNS = {
  demand: ['quantity', 'elasticity'],
  producers: ['capacity', 'utilisation', 'cash_cost'],
  stage_links: ['coefficient'],
  freight: ['value'],
  demand_growth: ['rate'],
  parameters: ['value'],
} as const satisfies Partial<Record<TableName, readonly string[]>>;

type DrawnTable = keyof typeof DRAWN_COLUMNS;

export interface UncertainCell {
  readonly table: DrawnTable;
  readonly row: number;
  readonly column: string;
  readonly central: number;
  readonly low: number;
  readonly high: number;
}

/** Cells drawn with one uniform number. */
export interface UncertainGroup {
  /** `table.column|provenance id` for a shared assumption, `table.column|row key` for a sourced range. */
  readonly key: string;
  readonly table: DrawnTable;
  readonly column: string;
  /** The provenance id of the range (assumption or source). */
  readonly provenance: string;
  readonly kind: 'assumption' | 'source';
  readonly cells: readonly UncertainCell[];
}

/** What a report says about a group: where the range comes from and how wide it is. */
export interface UncertainSummary {
  readonly key: string;
  readonly table: string;
  readonly column: string;
  readonly provenance: string;
  readonly kind: 'assumption' | 'source';
  readonly cells: number;
  /** Smallest low and largest high over the group's cells (their units are the column's). */
  readonly low: number;
  readonly high: number;
  readonly distribution: 'triangular(low, central, high)';
}

function rowKey(table: DrawnTable, row: AnyRow): string {
  return TABLES[table].key.map((k) => String(row[k] ?? '')).join('/');
}

/** The range of a cell and whose it is: the range's own source column (range_source) where the table has one. */
function rangeOf(row: AnyRow, column: string): { low: number; high: number; provenance: string } | undefined {
  const p = row.$provenance[column];
  if (!p || p.low === undefined || p.high === undefined) return undefined;
  const rangeSource = typeof row.range_source === 'string' && row.range_source !== '' ? row.range_source : undefined;
  return { low: p.low, high: p.high, provenance: rangeSource ?? p.source };
}

/** Every group of uncertain cells in the data, sorted by key (the order in which a draw consumes its stream). */
export function uncertainGroups(catalog: Catalog): UncertainGroup[] {
  const groups = new Map<string, { group: Omit<UncertainGroup, 'cells'>; cells: UncertainCell[] }>();
  for (const [table, columns] of Object.entries(DRAWN_COLUMNS) as [DrawnTable, readonly string[]][]) {
    const rows = catalog.dataset.tables[table] as unknown as readonly AnyRow[];
    rows.forEach((row, index) => {
      for (const column of columns) {
        const central = row[column];
        if (typeof central !== 'number') continue;
        const range = rangeOf(row, column);
        if (!range) continue;
        if (table === 'producers' && (column === 'capacity' || column === 'utilisation')) {
          // capacity = output ÷ utilisation from one assumption: the available capacity is the output, not uncertain.
          const other = row.$provenance[column === 'capacity' ? 'utilisation' : 'capacity'];
          if (other && other.source === row.$provenance[column]?.source) continue;
        }
        const kind = catalog.assumptions.has(range.provenance) ? 'assumption' : 'source';
        const key =
          kind === 'assumption' ? `${table}.${column}|${range.provenance}` : `${table}.${column}|${rowKey(table, row)}`;
        let entry = groups.get(key);
        if (!entry) {
          entry = { group: { key, table, column, provenance: range.provenance, kind }, cells: [] };
          groups.set(key, entry);
        }
        entry.cells.push({ table, row: index, column, central, low: range.low, high: range.high });
      }
    });
  }
  return [...groups.values()]
    .map(({ group, cells }) => ({ ...group, cells }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function summarizeGroups(groups: readonly UncertainGroup[]): UncertainSummary[] {
  return groups.map((g) => ({
    key: g.key,
    table: g.table,
    column: g.column,
    provenance: g.provenance,
    kind: g.kind,
    cells: g.cells.length,
    low: Math.min(...g.cells.map((c) => c.low)),
    high: Math.max(...g.cells.map((c) => c.high)),
    distribution: 'triangular(low, central, high)',
  }));
}

/** One uniform number per group, in group order, from the draw's parameter stream; undefined: central values. */
export function drawQuantiles(groups: readonly UncertainGroup[], stream: Stream | undefined): Float64Array {
  const u = new Float64Array(groups.length);
  for (let i = 0; i < groups.length; i++) u[i] = stream ? stream.next() : Number.NaN;
  return u;
}

/** A copy of a row with some cells replaced; keeps the row's origin and provenance (for messages). */
function withCells(row: AnyRow, cells: ReadonlyMap<string, number>): AnyRow {
  const copy: Record<string, unknown> = { ...row };
  for (const [column, value] of cells) copy[column] = value;
  Object.defineProperty(copy, '$origin', { value: row.$origin, enumerable: false });
  Object.defineProperty(copy, '$provenance', { value: row.$provenance, enumerable: false });
  return copy as AnyRow;
}

/**
 * The catalog of one draw: the data with each uncertain cell at its drawn value (NaN quantiles: at its central
 * value, through the same copying, so a central draw exercises the same path). Only the tables and rows that change
 * are copied; the rest are shared with the base catalog.
 */
export function perturbedCatalog(base: Catalog, groups: readonly UncertainGroup[], u: Float64Array): Catalog {
  const changes = new Map<DrawnTable, Map<number, Map<string, number>>>();
  groups.forEach((g, i) => {
    const q = u[i] as number;
    for (const c of g.cells) {
      const value = Number.isNaN(q) ? c.central : triangular(c.low, c.central, c.high, q);
      let byRow = changes.get(c.table);
      if (!byRow) {
        byRow = new Map();
        changes.set(c.table, byRow);
      }
      let cells = byRow.get(c.row);
      if (!cells) {
        cells = new Map();
        byRow.set(c.row, cells);
      }
      cells.set(c.column, value);
    }
  });
  const tables: Record<string, unknown> = { ...base.dataset.tables };
  for (const [table, byRow] of changes) {
    const rows = (base.dataset.tables[table] as unknown as readonly AnyRow[]).slice();
    for (const [index, cells] of byRow) rows[index] = withCells(rows[index] as AnyRow, cells);
    tables[table] = rows;
  }
  const dataset: Dataset = { ...base.dataset, tables: tables as unknown as Tables };
  return new Catalog(dataset, { drawnFrom: base });
}
