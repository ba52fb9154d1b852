/**
 * The project register: the projects of data/projects.csv that the simulation can build, plus a user's own projects
 * from a CSV or YAML file, each with the provenance of every number (a publication, a labelled assumption with its
 * range, a model parameter, or the user's file). The register is what project finance values; the simulation reads
 * the same rows, so a project is the same project in both.
 */

import { z } from 'zod';
import { Catalog } from '../data/catalog.ts';
import { col } from '../data/columns.ts';
import { DataError, type DataIssue } from '../data/issues.ts';
import { parseRows, readCsv } from '../data/load.ts';
import {
  type AnyTable,
  BASE_YEAR,
  type ProjectRow,
  projects as projectsTable,
  type RowOrigin,
} from '../data/schema.ts';
import { describeIssue, InputError, parseDocumentText, readInputText } from '../model/document.ts';
import { modelRegion } from '../model/regions.ts';
import { MAX_FLOOR_MULTIPLE, referencePricesOf } from '../model/world.ts';
import { type Parameters, type ProjectSpec, projectPipeline } from '../simulate/inputs.ts';

/** Where one number of a project comes from. */
export interface FieldProvenance {
  /** `source`: a publication in sources.csv; `assumption`: a row of assumptions.csv; `parameter`: a row of
   * parameters.csv applied because the project states none; `user`: the user's own project file. */
  readonly kind: 'source' | 'assumption' | 'parameter' | 'user';
  /** The source, assumption or parameter id (the file name for `user`). */
  readonly id: string;
  readonly low?: number;
  readonly high?: number;
}

export const PROJECT_FIELDS = ['capacity', 'capex', 'cashCost', 'leadTime', 'life'] as const;
export type ProjectField = (typeof PROJECT_FIELDS)[number];

export interface RegisteredProject {
  readonly id: string;
  readonly name: string;
  readonly company: string;
  /** Host country as given, and the model region it trades as (EU member states fold into EU27). */
  readonly country: string;
  readonly region: string;
  readonly commodity: string;
  /** The commodity's value chain (rare-earths, lithium, ...): what a project's resilience is measured on. */
  readonly chain: string;
  readonly status: string;
  readonly startYear?: number;
  /** Nameplate capacity per year, in the commodity's unit. */
  readonly capacity: number;
  readonly unit: string;
  readonly priceUnit: string;
  /** Capital cost, USD; undefined when no figure is published or assumed (the project cannot be valued). */
  readonly capex?: number;
  /** Cash cost, in the commodity's price unit, excluding upstream inputs unless `integrated`. */
  readonly cashCost: number;
  readonly leadTime: number;
  readonly life: number;
  readonly integrated: boolean;
  /** Set when the capex pays for another, main product (gold at Stibnite): not attributable to this commodity. */
  readonly byproductOf?: string;
  readonly support?: string;
  readonly origin: 'data' | 'user';
  readonly provenance: Readonly<Record<ProjectField, FieldProvenance>>;
  /** The pipeline's view of the project (the simulation builds exactly this). */
  readonly spec: ProjectSpec;
}

export interface ProjectRegister {
  readonly projects: readonly RegisteredProject[];
  /** Projects of the data that the register leaves out, and why (no capacity, unit that does not convert, ...). */
  readonly skipped: readonly string[];
}

const STAGE_PARAMETER: Record<string, { lead: string; life: string }> = {
  mined: { lead: 'lead_time_mine', life: 'project_life_mine' },
  refined: { lead: 'lead_time_refinery', life: 'project_life_refinery' },
  component: { lead: 'lead_time_manufacturing', life: 'project_life_refinery' },
};

/** The register of a catalog: every project the simulation's pipeline can build, with provenance. */
export function projectRegister(
  catalog: Catalog,
  params: Parameters,
  baseYear: number,
  dominant: string,
  userIds: ReadonlySet<string> = new Set(),
): ProjectRegister {
  const { projects: specs, skipped } = projectPipeline(catalog, params, baseYear, dominant);
  const rows = new Map(catalog.dataset.tables.projects.map((r) => [r.id, r]));
  const out: RegisteredProject[] = [];
  for (const spec of specs) {
    const row = rows.get(spec.id) as ProjectRow;
    const info = catalog.commodities.get(spec.commodity);
    const user = userIds.has(spec.id);
    const stage =
      STAGE_PARAMETER[info?.row.stage_kind ?? 'refined'] ?? (STAGE_PARAMETER.refined as { lead: string; life: string });
    const cell = (column: string): FieldProvenance => {
      if (user) return { kind: 'user', id: row.$origin.file };
      const p = row.$provenance[column];
      const id = p?.source ?? row.source;
      const kind = catalog.provenanceKind(id);
      return {
        kind: kind === 'assumption' ? 'assumption' : 'source',
        id,
        ...(p?.low !== undefined ? { low: p.low } : {}),
        ...(p?.high !== undefined ? { high: p.high } : {}),
      };
    };
    const parameter = (id: string): FieldProvenance => {
      const p = catalog.dataset.tables.parameters.find((x) => x.id === id);
      return {
        kind: 'parameter',
        id,
        ...(p?.$provenance.value?.low !== undefined ? { low: p.$provenance.value.low } : {}),
        ...(p?.$provenance.value?.high !== undefined ? { high: p.$provenance.value.high } : {}),
      };
    };
    out.push({
      id: spec.id,
      name: spec.name,
      company: row.company ?? '',
      country: row.region,
      region: spec.region,
      commodity: spec.commodity,
      chain: info?.row.chain ?? spec.commodity.split('/')[0] ?? spec.commodity,
      status: spec.status,
      ...(spec.startYear !== undefined ? { startYear: spec.startYear } : {}),
      capacity: spec.capacity,
      unit: info?.row.unit ?? '',
      priceUnit: info?.row.price_unit ?? '',
      ...(spec.capex !== undefined ? { capex: spec.capex } : {}),
      cashCost: spec.cashCost,
      leadTime: spec.leadTime,
      life: spec.life,
      integrated: spec.integrated,
      ...(row.byproduct_of ? { byproductOf: row.byproduct_of } : {}),
      ...(row.support ? { support: row.support } : {}),
      origin: user ? 'user' : 'data',
      provenance: {
        capacity: cell('capacity'),
        capex: spec.capex !== undefined ? cell('capex_musd') : { kind: 'source', id: '' },
        cashCost: spec.cashCostAssumed ? { kind: 'assumption', id: 'A_PROJECT_CASH_COST' } : cell('cash_cost'),
        leadTime: row.lead_time_years !== undefined ? cell('lead_time_years') : parameter(stage.lead),
        life: row.life_years !== undefined ? cell('life_years') : parameter(stage.life),
      },
      spec,
    });
  }
  return { projects: out, skipped };
}

/** A catalog whose project table is the data's with `rows` added (a row with the same id replaces the data's). */
export function withProjectRows(catalog: Catalog, rows: readonly ProjectRow[]): Catalog {
  if (rows.length === 0) return catalog;
  const ids = new Set(rows.map((r) => r.id));
  const projects = [...catalog.dataset.tables.projects.filter((p) => !ids.has(p.id)), ...rows];
  return new Catalog({ ...catalog.dataset, tables: { ...catalog.dataset.tables, projects } });
}

/** A copy of a row with some cells changed, keeping where it came from (its origin and provenance). */
export function patchRow<T extends { readonly $origin: RowOrigin }>(row: T, patch: Partial<T>): T {
  const copy = { ...row, ...patch } as T;
  for (const hidden of ['$origin', '$provenance'] as const) {
    Object.defineProperty(copy, hidden, { value: (row as Record<string, unknown>)[hidden], enumerable: false });
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------------------------
// A user's own projects

/** The columns of a user's project file: those of data/projects.csv, with `source` optional. */
const USER_TABLE: AnyTable = {
  ...projectsTable,
  name: 'projects',
  columns: {
    ...projectsTable.columns,
    source: col.code('provenance of the row (optional in a user file: the file itself is the source)', 'source', false),
  },
};

const USER_STATUSES = ['construction', 'feasibility', 'pre-feasibility', 'exploration', 'suspended'] as const;

/** The longest operating life and lead time a project may state (YAML entries and CSV rows alike). */
const MAX_LIFE_YEARS = 100;
const MAX_LEAD_YEARS = 30;

const yamlProject = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a code without spaces such as MY_PROJECT'),
    name: z.string().min(1),
    company: z.string().optional(),
    region: z.string().regex(/^[A-Za-z0-9_]+$/, 'must be a region code such as USA or DEU'),
    commodity: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, "must be a commodity id such as 'ndpr/oxide'"),
    status: z.enum(USER_STATUSES).optional(),
    start_year: z.number().int().min(1990).max(2100).optional(),
    capacity: z.number().finite().positive(),
    capacity_unit: z.string().min(1),
    capex_musd: z.number().finite().positive(),
    cash_cost: z.number().finite().nonnegative().optional(),
    cash_cost_unit: z.string().optional(),
    lead_time_years: z.number().finite().min(0).max(MAX_LEAD_YEARS).optional(),
    life_years: z.number().finite().gt(0).max(MAX_LIFE_YEARS).optional(),
    integrated: z.boolean().optional(),
    support: z.string().optional(),
    note: z.string().optional(),
  })
  .strict();
const yamlList = z.array(yamlProject).min(1, 'the file has no projects');
const yamlMapping = z.object({ projects: yamlList }).strict();

/** A check on a parsed user row, located at one of its fields. */
type Locate = (index: number, field: string) => string;

/**
 * Reads a user's projects (CSV with the columns of data/projects.csv, or YAML: a list of objects with the same keys,
 * or `projects:` holding the list). Every problem is reported with file:line:column and what to fix; nothing is
 * partly read. A project with the id of one in the data replaces it.
 */
export function readProjectsFile(file: string, catalog: Catalog): ProjectRow[] {
  const text = readInputText(file);
  if (/\.ya?ml$|\.json$/i.test(file)) return readYamlProjects(text, file, catalog);
  return readCsvProjects(file, catalog);
}

function readCsvProjects(file: string, catalog: Catalog): ProjectRow[] {
  const issues: DataIssue[] = [];
  const raw = readCsv(file, USER_TABLE, issues);
  const rows = parseRows(USER_TABLE, raw, issues) as unknown as ProjectRow[];
  if (raw.length === 0 && issues.length === 0) {
    issues.push({ check: 'user-projects', severity: 'error', file, line: 1, message: 'the file has no projects' });
  }
  const locate: Locate = (i, field) => {
    const o = (rows[i] as ProjectRow).$origin;
    const column = o.columns[field];
    return `${o.file}:${o.line}${column !== undefined ? `:${column}` : ''}`;
  };
  const required = ['capacity', 'capacity_unit', 'capex_musd'] as const;
  for (const row of rows) {
    for (const field of required) {
      if (row[field] !== undefined) continue;
      const column = row.$origin.columns[field];
      issues.push({
        check: 'user-projects',
        severity: 'error',
        file: row.$origin.file,
        line: row.$origin.line,
        ...(column !== undefined ? { column } : {}),
        field,
        message: `${field} is empty: a project without it cannot be valued`,
        fix:
          field === 'capex_musd'
            ? 'give the capital cost in USD million'
            : 'give the nameplate capacity per year and its unit',
      });
    }
  }
  if (issues.some((x) => x.severity === 'error')) throw new DataError(issues);
  const checked = rows.map((row, i) => {
    validateProject(row, catalog, (field) => `${locate(i, field)}: ${field}`);
    if (!USER_STATUSES.includes(row.status as (typeof USER_STATUSES)[number])) {
      throw new InputError(
        `${locate(i, 'status')}: status: '${row.status}' is not a project to value (use ${USER_STATUSES.join(', ')}; an operating plant belongs in producers.csv)`,
      );
    }
    // Provenance: the row's own source where it names one, else the file.
    return row.source ? row : patchRow(row, { source: 'USER' });
  });
  noDuplicates(checked, (i) => `${locate(i, 'id')}: id`);
  return checked;
}

function readYamlProjects(text: string, file: string, catalog: Catalog): ProjectRow[] {
  const raw = parseDocumentText(text, file, z.unknown(), {
    expected: 'a list of projects, or a mapping with `projects:`',
  });
  const isList = Array.isArray(raw.value);
  const schema = isList ? yamlList : yamlMapping;
  const checked = schema.safeParse(raw.value);
  if (!checked.success) throw new InputError(describeIssue(checked.error, raw.locate, { schema, value: raw.value }));
  const list = Array.isArray(checked.data) ? checked.data : checked.data.projects;
  const parsed = raw;
  const prefix: (string | number)[] = isList ? [] : ['projects'];
  const where = (i: number, field: string) =>
    `${parsed.locate([...prefix, i, field])}: ${[...prefix, i, field].join('.')}`;
  const rows = list.map((p, i) => {
    const line = Number(
      parsed
        .locate([...prefix, i])
        .split(':')
        .at(-2),
    );
    const origin: RowOrigin = { file, line, columns: {} };
    const provenance = Object.fromEntries(
      ['capacity', 'capex_musd', 'cash_cost', 'lead_time_years', 'life_years', 'start_year']
        .filter((k) => (p as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, { source: 'USER', sourceColumn: 0 }]),
    );
    const row = {
      id: p.id,
      name: p.name,
      company: p.company,
      region: p.region,
      commodity: p.commodity,
      status: p.status ?? 'feasibility',
      start_year: p.start_year,
      capacity: p.capacity,
      capacity_unit: p.capacity_unit,
      capex_musd: p.capex_musd,
      cash_cost: p.cash_cost,
      cash_cost_unit: p.cash_cost_unit,
      lead_time_years: p.lead_time_years,
      life_years: p.life_years,
      integrated: p.integrated,
      byproduct_of: undefined,
      support: p.support,
      source: 'USER',
      note: p.note,
    } as unknown as ProjectRow;
    Object.defineProperty(row, '$origin', { value: origin, enumerable: false });
    Object.defineProperty(row, '$provenance', { value: provenance, enumerable: false });
    validateProject(row, catalog, (field) => where(i, field));
    return row;
  });
  noDuplicates(rows, (i) => where(i, 'id'));
  return rows;
}

/** The checks a parsed project must pass: known codes, units that convert, a cash cost with its unit. */
function validateProject(row: ProjectRow, catalog: Catalog, at: (field: string) => string): void {
  if (!catalog.regions.has(row.region)) {
    throw new InputError(`${at('region')}: unknown region '${row.region}' (not in regions.csv)`);
  }
  const info = catalog.commodities.get(row.commodity);
  if (!info) {
    throw new InputError(
      `${at('commodity')}: unknown commodity '${row.commodity}' (known: ${[...catalog.commodities.keys()].join(', ')})`,
    );
  }
  if (row.capacity_unit !== undefined && catalog.toCommodityUnit(row.commodity, row.capacity_unit) === undefined) {
    throw new InputError(
      `${at('capacity_unit')}: '${row.capacity_unit}' does not convert to ${info.row.unit}, the unit of ${row.commodity}`,
    );
  }
  if (row.capacity !== undefined && !(row.capacity > 0)) {
    throw new InputError(`${at('capacity')}: capacity must be positive, got ${row.capacity}`);
  }
  if (row.cash_cost !== undefined) {
    if (!row.cash_cost_unit) {
      throw new InputError(`${at('cash_cost_unit')}: a cash cost needs its unit, e.g. '${info.row.price_unit}'`);
    }
    if (catalog.toCommodityPriceUnit(row.commodity, row.cash_cost_unit) === undefined) {
      throw new InputError(
        `${at('cash_cost_unit')}: '${row.cash_cost_unit}' does not convert to ${info.row.price_unit}, the price unit of ${row.commodity}`,
      );
    }
  }
  if (row.life_years !== undefined && !(row.life_years > 0 && row.life_years <= MAX_LIFE_YEARS)) {
    throw new InputError(
      `${at('life_years')}: the operating life must be positive and at most ${MAX_LIFE_YEARS} years, got ${row.life_years}`,
    );
  }
  if (
    row.lead_time_years !== undefined &&
    !(Number.isInteger(row.lead_time_years) && row.lead_time_years <= MAX_LEAD_YEARS)
  ) {
    throw new InputError(
      `${at('lead_time_years')}: the lead time is a whole number of years (the model runs year by year), at most ${MAX_LEAD_YEARS}, got ${row.lead_time_years}`,
    );
  }
  if (
    row.start_year !== undefined &&
    row.start_year < BASE_YEAR &&
    !['operating', 'ramping', 'cancelled', 'suspended'].includes(row.status)
  ) {
    throw new InputError(
      `${at('start_year')}: a project at status '${row.status}' cannot have started in ${row.start_year}, before the data's base year ${BASE_YEAR}`,
    );
  }
  // Orders of magnitude beyond the market are typos, and would only surface later as an equilibrium that cannot be
  // found or a reference price built on them.
  const factor = row.capacity_unit ? catalog.toCommodityUnit(row.commodity, row.capacity_unit) : 1;
  const world = catalog.dataset.tables.producers
    .filter((p) => p.commodity === row.commodity)
    .reduce((sum, p) => sum + p.capacity, 0);
  if (row.capacity !== undefined && factor !== undefined && world > 0 && row.capacity * factor > 100 * world) {
    throw new InputError(
      `${at('capacity')}: ${row.capacity} ${row.capacity_unit ?? info.row.unit} is more than 100 times the world's capacity of ${row.commodity} in the data (${world.toPrecision(4)} ${info.row.unit})`,
    );
  }
  if (row.cash_cost !== undefined && row.cash_cost_unit) {
    const toPrice = catalog.toCommodityPriceUnit(row.commodity, row.cash_cost_unit) as number;
    const reference = referencePricesOf(catalog, BASE_YEAR).get(row.commodity);
    if (reference !== undefined && row.cash_cost * toPrice > MAX_FLOOR_MULTIPLE * reference) {
      throw new InputError(
        `${at('cash_cost')}: ${row.cash_cost} ${row.cash_cost_unit} is more than ${MAX_FLOOR_MULTIPLE.toExponential()} times ${row.commodity}'s reference price (${reference.toPrecision(5)} ${info.row.price_unit}, ${BASE_YEAR})`,
      );
    }
  }
}

/** `at(i)` is where entry i's id is: 'file:line:col: path'. */
function noDuplicates(rows: readonly ProjectRow[], at: (i: number) => string): void {
  const seen = new Map<string, number>();
  rows.forEach((r, i) => {
    const first = seen.get(r.id);
    if (first !== undefined) {
      throw new InputError(`${at(i)}: duplicate project id '${r.id}' (first at ${at(first).split(': ')[0]})`);
    }
    seen.set(r.id, i);
  });
}

/** Model region of a project's host country, for callers holding only the row. */
export function hostRegion(catalog: Catalog, row: Pick<ProjectRow, 'region'>): string {
  return modelRegion(catalog, row.region);
}
