/**
 * Named consistency checks, run before any model uses the data (PyPSA's `consistency_check` is the model).
 * Each check returns located issues that say what is wrong and what to do about it.
 */
import countries from 'i18n-iso-countries';
import { Catalog } from './catalog.ts';
import type { DataIssue } from './issues.ts';
import type { Dataset, Tables } from './load.ts';
import { PARAMETER_SPECS, parameterSpec } from './parameters.ts';
import {
  type AnyRow as AnyRowType,
  type AnyTable,
  BASE_YEAR,
  type ProductionRow as ProductionRowType,
  TABLES,
  type TableName,
} from './schema.ts';
import { parsePriceUnit, parseQuantityUnit, UnitError } from './units.ts';

export interface Check {
  readonly name: string;
  readonly description: string;
  run(catalog: Catalog): DataIssue[];
}

type AnyRow = AnyRowType;

function at(row: AnyRow, field?: string): Pick<DataIssue, 'file' | 'line' | 'column' | 'field'> {
  const o = row.$origin;
  const column = field ? o.columns[field] : undefined;
  return { file: o.file, line: o.line, ...(column !== undefined ? { column } : {}), ...(field ? { field } : {}) };
}

function eachTable(tables: Tables): [TableName, AnyTable, AnyRow[]][] {
  return (Object.keys(TABLES) as TableName[]).map((n) => [n, TABLES[n] as AnyTable, tables[n] as AnyRow[]]);
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 3 });

const unknownCodes: Check = {
  name: 'unknown-code',
  description: 'every region and commodity code names a row of regions.csv or commodities.csv',
  run(cat) {
    const issues: DataIssue[] = [];
    const known = { region: cat.regions, commodity: cat.commodities } as const;
    for (const [name, def, rows] of eachTable(cat.dataset.tables)) {
      for (const [field, column] of Object.entries(def.columns)) {
        const ref = column.meta.references;
        if (ref !== 'region' && ref !== 'commodity') continue;
        for (const row of rows) {
          const cell = row[field];
          // A list column (space-separated codes) is checked code by code.
          for (const value of Array.isArray(cell) ? cell : [cell]) {
            if (typeof value !== 'string') continue;
            if (!known[ref].has(value)) {
              issues.push({
                check: ref === 'region' ? 'unknown-region' : 'unknown-commodity',
                severity: 'error',
                ...at(row, field),
                message: `unknown ${ref} '${value}' in ${name}`,
                fix:
                  ref === 'region'
                    ? 'use an ISO 3166-1 alpha-3 code listed in regions.csv (or add the region there), EU27 or ROW'
                    : 'use a commodity id listed in commodities.csv (lodestone data schema commodities)',
              });
            }
          }
        }
      }
    }
    // Codes that allow '*' (all) are declared without a reference; check them here.
    const wildcard = (row: AnyRow, field: string, values: readonly string[], kind: 'region' | 'commodity') => {
      for (const v of values) {
        if (v === '*' || known[kind].has(v)) continue;
        issues.push({
          check: kind === 'region' ? 'unknown-region' : 'unknown-commodity',
          severity: 'error',
          ...at(row, field),
          message: `unknown ${kind} '${v}'`,
          fix: `use '*' or a code from ${kind === 'region' ? 'regions.csv' : 'commodities.csv'}`,
        });
      }
    };
    const t = cat.dataset.tables;
    for (const r of t.freight) {
      wildcard(r, 'origin', [r.origin], 'region');
      wildcard(r, 'destination', [r.destination], 'region');
      wildcard(r, 'commodity', [r.commodity], 'commodity');
    }
    for (const r of t.tariffs) wildcard(r, 'origin', [r.origin], 'region');
    for (const r of t.demand_growth) wildcard(r, 'region', [r.region], 'region');
    for (const r of t.policy_events) {
      wildcard(r, 'commodities', r.commodities, 'commodity');
      wildcard(r, 'destinations', r.destinations, 'region');
    }
    for (const r of t.episodes) wildcard(r, 'destinations', r.destinations, 'region');
    for (const r of t.regions) {
      if (r.kind === 'country' && !countries.isValid(r.code)) {
        issues.push({
          check: 'unknown-region',
          severity: 'error',
          ...at(r, 'code'),
          message: `'${r.code}' is not an ISO 3166-1 alpha-3 code`,
          fix: 'use the ISO 3166-1 alpha-3 code, or kind aggregate/rest for a group of countries',
        });
      }
      if (r.part_of && cat.regions.get(r.part_of)?.kind !== 'aggregate') {
        issues.push({
          check: 'unknown-region',
          severity: 'error',
          ...at(r, 'part_of'),
          message: `part_of '${r.part_of}' is not an aggregate region`,
          fix: 'part_of must name a region of kind aggregate (e.g. EU27)',
        });
      }
    }
    return issues;
  },
};

const provenance: Check = {
  name: 'provenance',
  description:
    'every numeric input cell names a source or an assumption; an assumed value carries a low/high range containing it',
  run(cat) {
    const issues: DataIssue[] = [];
    for (const [name, def, rows] of eachTable(cat.dataset.tables)) {
      for (const row of rows) {
        for (const [field, column] of Object.entries(def.columns)) {
          if (!column.meta.provenance) continue;
          const value = row[field];
          if (typeof value !== 'number') continue;
          const p = row.$provenance[field];
          const where = { ...at(row, field), ...(p?.sourceColumn ? { column: p.sourceColumn } : {}) };
          if (!p || p.source === '') {
            issues.push({
              check: 'missing-provenance',
              severity: 'error',
              ...where,
              field,
              message: `${name}.${field} = ${fmt(value)} has no source`,
              fix: `fill 'source' (or '${field}_source') with an id from sources.csv or assumptions.csv`,
            });
            continue;
          }
          const kind = cat.provenanceKind(p.source);
          if (kind === 'unknown') {
            issues.push({
              check: 'unknown-source',
              severity: 'error',
              ...where,
              field,
              message: `${name}.${field} cites '${p.source}', which is neither in sources.csv nor in assumptions.csv`,
              fix: 'add the publication to sources.csv (title, publisher, year, url) or the assumption to assumptions.csv',
            });
            continue;
          }
          if (kind === 'assumption' && (p.low === undefined || p.high === undefined)) {
            issues.push({
              check: 'assumption-range',
              severity: 'error',
              ...at(row, field),
              message: `${name}.${field} = ${fmt(value)} is assumed (${p.source}) but has no range`,
              fix: `give ${field}_low and ${field}_high`,
            });
          }
          if ((p.low !== undefined && p.low > value) || (p.high !== undefined && p.high < value)) {
            issues.push({
              check: 'range-order',
              severity: 'error',
              ...at(row, field),
              message: `${name}.${field} = ${fmt(value)} lies outside its range [${p.low ?? ''}, ${p.high ?? ''}]`,
              fix: `make ${field}_low <= ${field} <= ${field}_high`,
            });
          }
        }
      }
    }
    return issues;
  },
};

const units: Check = {
  name: 'unit-mismatch',
  description: "every quantity and price is stated in a unit that converts to its commodity's unit",
  run(cat) {
    const issues: DataIssue[] = [];
    for (const c of cat.dataset.tables.commodities) {
      for (const [field, parse] of [
        ['unit', parseQuantityUnit],
        ['price_unit', parsePriceUnit],
      ] as const) {
        try {
          parse(c[field]);
        } catch (e) {
          if (!(e instanceof UnitError)) throw e;
          issues.push({ check: 'unit-mismatch', severity: 'error', ...at(c, field), message: e.message });
        }
      }
      const info = cat.commodities.get(c.id);
      if (info?.unit && info.priceUnit && info.priceUnit.per.basis !== info.unit.basis) {
        issues.push({
          check: 'unit-mismatch',
          severity: 'error',
          ...at(c, 'price_unit'),
          message: `price unit ${c.price_unit} is per ${info.priceUnit.per.basis} but quantities are in ${info.unit.basis}`,
          fix: 'state the price per the same basis as the quantity',
        });
      }
    }
    const t = cat.dataset.tables;
    const quantityRows: [string, AnyRow & { commodity: string; unit: string }][] = [
      ...t.production.map((r) => ['production', r] as [string, typeof r]),
      ...t.world_totals.map((r) => ['world_totals', r] as [string, typeof r]),
      ...t.reserves.map((r) => ['reserves', r] as [string, typeof r]),
    ];
    for (const [name, row] of quantityRows) {
      if (!cat.commodities.has(row.commodity)) continue;
      if (cat.toCommodityUnit(row.commodity, row.unit) === undefined) {
        const target = cat.commodities.get(row.commodity)?.row.unit;
        issues.push({
          check: 'unit-mismatch',
          severity: 'error',
          ...at(row, 'unit'),
          message: `${name}: unit '${row.unit}' does not convert to ${row.commodity}'s unit '${target}'`,
          fix: `state the quantity in ${target} (a different scale such as kt is fine; a different basis needs unit_conversions.csv)`,
        });
      }
    }
    for (const row of t.prices) {
      if (!cat.commodities.has(row.commodity)) continue;
      if (cat.toCommodityPriceUnit(row.commodity, row.unit) === undefined) {
        const target = cat.commodities.get(row.commodity)?.row.price_unit;
        issues.push({
          check: 'unit-mismatch',
          severity: 'error',
          ...at(row, 'unit'),
          message: `prices: unit '${row.unit}' does not convert to ${row.commodity}'s price unit '${target}'`,
          fix: `state the price in ${target} (USD per another scale is fine)`,
        });
      }
    }
    for (const row of t.intensities) {
      if (!cat.commodities.has(row.commodity)) continue;
      if (cat.toCommodityUnit(row.commodity, row.unit) === undefined) {
        issues.push({
          check: 'unit-mismatch',
          severity: 'error',
          ...at(row, 'unit'),
          message: `intensities: unit '${row.unit}' does not convert to ${row.commodity}'s unit '${cat.commodities.get(row.commodity)?.row.unit}'`,
          fix: `state the material in ${cat.commodities.get(row.commodity)?.row.unit} (another scale such as kg is fine)`,
        });
      }
    }
    for (const row of t.projects) {
      if (row.cash_cost !== undefined && cat.commodities.has(row.commodity)) {
        if (!row.cash_cost_unit || cat.toCommodityPriceUnit(row.commodity, row.cash_cost_unit) === undefined) {
          issues.push({
            check: 'unit-mismatch',
            severity: 'error',
            ...at(row, 'cash_cost_unit'),
            message: `projects: cash cost unit '${row.cash_cost_unit ?? ''}' does not convert to ${row.commodity}'s price unit`,
            fix: `state the cash cost in ${cat.commodities.get(row.commodity)?.row.price_unit}`,
          });
        }
      }
      if (row.capacity === undefined || !cat.commodities.has(row.commodity)) continue;
      const unit = row.capacity_unit;
      if (!unit || cat.toCommodityUnit(row.commodity, unit) === undefined) {
        // An error, as for every other quantity: a capacity the model cannot read would drop the project unseen.
        issues.push({
          check: 'unit-mismatch',
          severity: 'error',
          ...at(row, 'capacity_unit'),
          message: `projects: capacity unit '${unit ?? ''}' does not convert to ${row.commodity}'s unit`,
          fix: `state capacity in ${cat.commodities.get(row.commodity)?.row.unit} per year`,
        });
      }
    }
    return issues;
  },
};

const stageLinks: Check = {
  name: 'stage-links',
  description: 'stage links join two different known commodities and form no cycle',
  run(cat) {
    const issues: DataIssue[] = [];
    const edges = new Map<string, string[]>();
    for (const link of cat.dataset.tables.stage_links) {
      for (const field of ['output', 'input'] as const) {
        if (!cat.commodities.has(link[field])) {
          issues.push({
            check: 'stage-links',
            severity: 'error',
            ...at(link, field),
            message: `stage link ${field} '${link[field]}' is not a commodity: the link leads to nothing`,
            fix: 'use ids from commodities.csv',
          });
        }
      }
      if (link.input === link.output) {
        issues.push({
          check: 'stage-links',
          severity: 'error',
          ...at(link, 'input'),
          message: `'${link.output}' is linked to itself`,
        });
      }
      edges.set(link.output, [...(edges.get(link.output) ?? []), link.input]);
    }
    // Depth-first search for a cycle output -> input -> ... -> output.
    const state = new Map<string, 'open' | 'done'>();
    const visit = (node: string, trail: string[]): string[] | undefined => {
      if (state.get(node) === 'done') return undefined;
      if (state.get(node) === 'open') return [...trail, node];
      state.set(node, 'open');
      for (const next of edges.get(node) ?? []) {
        const cycle = visit(next, [...trail, node]);
        if (cycle) return cycle;
      }
      state.set(node, 'done');
      return undefined;
    };
    for (const node of edges.keys()) {
      const cycle = visit(node, []);
      if (cycle) {
        issues.push({
          check: 'stage-links',
          severity: 'error',
          file: 'stage_links.csv',
          message: `stage links form a cycle: ${cycle.join(' -> ')}`,
          fix: 'each commodity must be made only from commodities upstream of it',
        });
        break;
      }
    }
    return issues;
  },
};

/** Sum of country rows (converted to the world total's unit) for one commodity and year. */
function countrySum(cat: Catalog, commodity: string, year: number, unitText: string): number | undefined {
  let sum = 0;
  for (const p of cat.dataset.tables.production) {
    if (p.commodity !== commodity || p.year !== year) continue;
    const a = cat.toCommodityUnit(commodity, p.unit);
    const b = cat.toCommodityUnit(commodity, unitText);
    if (a === undefined || b === undefined) return undefined;
    sum += (p.quantity * a) / b;
  }
  return sum;
}

const worldTotals: Check = {
  name: 'world-totals',
  description:
    'country rows (with ROW) add up to the published world total within its stated tolerance, and no single ' +
    'country exceeds it',
  run(cat) {
    const issues: DataIssue[] = [];
    for (const w of cat.dataset.tables.world_totals) {
      if (!cat.commodities.has(w.commodity)) continue;
      const sum = countrySum(cat, w.commodity, w.year, w.unit);
      if (sum === undefined) continue; // the unit check reports it
      const rows = cat.dataset.tables.production.filter((p) => p.commodity === w.commodity && p.year === w.year);
      if (rows.length === 0) {
        issues.push({
          check: 'world-totals',
          severity: 'warning',
          ...at(w, 'quantity'),
          message: `no production rows for ${w.commodity} in ${w.year}`,
        });
        continue;
      }
      const gapPct = w.quantity === 0 ? (sum === 0 ? 0 : 100) : (Math.abs(sum - w.quantity) / w.quantity) * 100;
      if (gapPct > w.tolerance_pct + 1e-9) {
        issues.push({
          check: 'world-totals',
          severity: 'error',
          ...at(w, 'quantity'),
          message:
            `${w.commodity} ${w.year}: country rows sum to ${fmt(sum)} ${w.unit}, ${gapPct.toFixed(2)}% from the world ` +
            `total ${fmt(w.quantity)} (tolerance ${w.tolerance_pct}%)`,
          fix: 'correct the country rows or the ROW remainder, or state the rounding in tolerance_pct',
        });
      }
      const factorWorld = cat.toCommodityUnit(w.commodity, w.unit) ?? 1;
      for (const p of rows) {
        const q = p.quantity * (cat.toCommodityUnit(p.commodity, p.unit) ?? 1);
        const share = q / (w.quantity * factorWorld);
        if (share > 1 + w.tolerance_pct / 100) {
          issues.push({
            check: 'share-over-100',
            severity: 'error',
            ...at(p, 'quantity'),
            message: `${p.region} alone makes ${(share * 100).toFixed(1)}% of the world total of ${p.commodity} in ${p.year}`,
            fix: 'check the unit (t vs kt) and the figure',
          });
        }
      }
    }
    return issues;
  },
};

const countryCoverage: Check = {
  name: 'country-coverage',
  description: 'the listed countries make at least 95% of world output, with ROW for the rest',
  run(cat) {
    const issues: DataIssue[] = [];
    const groups = new Map<string, ProductionRowType[]>();
    for (const p of cat.dataset.tables.production) {
      const key = `${p.commodity}|${p.year}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    for (const rows of groups.values()) {
      const first = rows[0] as ProductionRowType;
      let total = 0;
      let rest = 0;
      for (const p of rows) {
        const q = p.quantity * (cat.toCommodityUnit(p.commodity, p.unit) ?? Number.NaN);
        total += q;
        if (cat.regions.get(p.region)?.kind !== 'country') rest += q;
      }
      if (total > 0 && (total - rest) / total < 0.95) {
        issues.push({
          check: 'country-coverage',
          severity: 'warning',
          ...at(first, 'region'),
          message: `${first.commodity} ${first.year}: listed countries make ${(((total - rest) / total) * 100).toFixed(1)}% of output, ROW the rest`,
          fix: 'add the countries inside ROW where a source breaks them out',
        });
      }
    }
    return issues;
  },
};

const capacityCoverage: Check = {
  name: 'capacity-coverage',
  description:
    'each producing region has producers whose capacity covers its base-year output (utilisation no higher than 100%)',
  run(cat) {
    const issues: DataIssue[] = [];
    const t = cat.dataset.tables;
    const capacity = new Map<string, number>();
    for (const p of t.producers) {
      const key = `${p.commodity}|${p.region}`;
      capacity.set(key, (capacity.get(key) ?? 0) + p.capacity);
    }
    for (const row of t.production) {
      if (row.year !== BASE_YEAR || row.quantity === 0 || !cat.commodities.has(row.commodity)) continue;
      const f = cat.toCommodityUnit(row.commodity, row.unit);
      if (f === undefined) continue;
      const output = row.quantity * f;
      const cap = capacity.get(`${row.commodity}|${row.region}`);
      if (cap === undefined) {
        issues.push({
          check: 'capacity-coverage',
          severity: 'warning',
          ...at(row, 'region'),
          message: `${row.region} produced ${fmt(output)} of ${row.commodity} in ${BASE_YEAR} but has no producer in producers.csv`,
          fix: 'add a country-level producer (capacity, utilisation, cash cost) for it',
        });
      } else if (output > cap * 1.001) {
        issues.push({
          check: 'share-over-100',
          severity: 'error',
          ...at(row, 'quantity'),
          message: `${row.region} produced ${fmt(output)} of ${row.commodity} in ${BASE_YEAR}, more than its producers' capacity ${fmt(cap)} (utilisation ${((output / cap) * 100).toFixed(0)}%)`,
          fix: 'raise the capacity in producers.csv or correct the production figure',
        });
      }
    }
    return issues;
  },
};

const chainClosure: Check = {
  name: 'chain-closure',
  description: 'every produced commodity has somewhere to go: final demand, or a downstream stage that uses it',
  run(cat) {
    const issues: DataIssue[] = [];
    const t = cat.dataset.tables;
    const used = new Set(t.stage_links.map((l) => l.input));
    const demanded = new Set(t.demand.map((d) => d.commodity));
    const produced = new Set(t.producers.map((p) => p.commodity));
    for (const c of t.commodities) {
      if (produced.has(c.id) && !used.has(c.id) && !demanded.has(c.id)) {
        issues.push({
          check: 'chain-closure',
          severity: 'warning',
          ...at(c, 'id'),
          message: `${c.id} is produced but neither demanded (demand.csv) nor used downstream (stage_links.csv)`,
          fix: 'add its final demand or the stage link that consumes it',
        });
      }
    }
    return issues;
  },
};

const dates: Check = {
  name: 'date-order',
  description: 'measures end after they start; tariff rates are in force over a non-empty interval',
  run(cat) {
    const issues: DataIssue[] = [];
    for (const e of cat.dataset.tables.policy_events) {
      const start = e.effective ?? e.announced;
      if (!start) {
        issues.push({
          check: 'date-order',
          severity: 'error',
          ...at(e, 'effective'),
          message: `event ${e.id} has neither an announcement nor an effective date`,
          fix: 'give at least the date it was announced',
        });
        continue;
      }
      // A measure suspended before its effective date never took effect: legitimate, so only the announcement bounds `ends`.
      if (e.ends && e.ends < (e.announced ?? start)) {
        issues.push({
          check: 'date-order',
          severity: 'error',
          ...at(e, 'ends'),
          message: `event ${e.id} ends (${e.ends}) before it was announced (${e.announced ?? start})`,
        });
      }
      if (e.announced && e.effective && e.announced > e.effective) {
        issues.push({
          check: 'date-order',
          severity: 'warning',
          ...at(e, 'announced'),
          message: `event ${e.id} is announced (${e.announced}) after it takes effect (${e.effective})`,
        });
      }
      const controls = ['export_licensing', 'export_ban', 'export_quota', 'export_tax'];
      if (!e.effective && controls.includes(e.kind)) {
        issues.push({
          check: 'date-order',
          severity: 'warning',
          ...at(e, 'effective'),
          message: `export control ${e.id} has no effective date, so no scenario can schedule it`,
          fix: 'add the date it took effect, if a source gives it',
        });
      }
    }
    for (const r of cat.dataset.tables.tariffs) {
      if (r.effective_from && r.effective_to && r.effective_to < r.effective_from) {
        issues.push({
          check: 'date-order',
          severity: 'error',
          ...at(r, 'effective_to'),
          message: `tariff ${r.importer} ${r.hs_code} ends (${r.effective_to}) before it starts (${r.effective_from})`,
        });
      }
    }
    return issues;
  },
};

const bloc: Check = {
  name: 'default-bloc',
  description: 'the default bloc has members, and members of an aggregate are countries',
  run(cat) {
    const members = cat.dataset.tables.regions.filter((r) => r.default_bloc);
    if (members.length === 0 && cat.dataset.tables.regions.length > 0) {
      return [
        {
          check: 'default-bloc',
          severity: 'error',
          file: 'regions.csv',
          message: 'no region has default_bloc = true',
          fix: 'mark the default members (USA, EU27, JPN, MEX) with default_bloc = true',
        },
      ];
    }
    return [];
  },
};

const sourceDates: Check = {
  name: 'source-dates',
  description: 'every source has a publication year (undated web pages are flagged)',
  run(cat) {
    return cat.dataset.tables.sources
      .filter((s) => s.year === undefined)
      .map((s) => ({
        check: 'source-dates',
        severity: 'warning' as const,
        ...at(s, 'year'),
        message: `source ${s.id} (${s.publisher}) is undated`,
        fix: 'give the year of publication, or prefer a dated source',
      }));
  },
};

/** A `range_source` cell must name a source or an assumption, like any provenance. */
function rangeSourceIssues(cat: Catalog, name: string, row: AnyRow & { range_source?: string }): DataIssue[] {
  const id = row.range_source;
  if (!id || cat.provenanceKind(id) !== 'unknown') return [];
  return [
    {
      check: 'unknown-source',
      severity: 'error',
      ...at(row, 'range_source'),
      message: `${name}.range_source cites '${id}', which is neither in sources.csv nor in assumptions.csv`,
      fix: 'add the publication to sources.csv or the assumption to assumptions.csv, or leave range_source empty',
    },
  ];
}

const STAGE_KINDS = ['mined', 'refined', 'component'] as const;

const parameterCheck: Check = {
  name: 'parameters',
  description:
    'each simulation parameter is stated in its unit, lies (with its range) within its bounds, names a known ' +
    'stage_kind and range provenance; the parameters the simulation asks for are all present',
  run(cat) {
    const issues: DataIssue[] = [];
    const rows = cat.dataset.tables.parameters;
    for (const row of rows) {
      issues.push(...rangeSourceIssues(cat, 'parameters', row));
      if (row.stage_kind !== undefined && !(STAGE_KINDS as readonly string[]).includes(row.stage_kind)) {
        issues.push({
          check: 'parameter-value',
          severity: 'error',
          ...at(row, 'stage_kind'),
          message: `parameter ${row.id}: unknown stage_kind '${row.stage_kind}'`,
          fix: `use one of ${STAGE_KINDS.join(', ')} (mine, refinery, manufacturing), or leave it empty`,
        });
      }
      const spec = parameterSpec(row.id);
      if (!spec) continue;
      if (row.unit.trim() !== spec.unit) {
        issues.push({
          check: 'parameter-value',
          severity: 'error',
          ...at(row, 'unit'),
          message: `parameter ${row.id} is stated in '${row.unit}' but the model reads it in '${spec.unit}'`,
          fix: `convert the value and its range to ${spec.unit}`,
        });
      }
      if (spec.stageKind && row.stage_kind !== spec.stageKind) {
        issues.push({
          check: 'parameter-value',
          severity: 'error',
          ...at(row, 'stage_kind'),
          message: `parameter ${row.id} applies to stage_kind '${spec.stageKind}', not '${row.stage_kind ?? ''}'`,
          fix: `set stage_kind to ${spec.stageKind}`,
        });
      }
      const p = row.$provenance.value;
      const ends: [string, number | undefined][] = [
        ['value', row.value],
        ['value_low', p?.low],
        ['value_high', p?.high],
      ];
      for (const [field, v] of ends) {
        if (v === undefined) continue;
        if (v < spec.min || (spec.max !== undefined && v > spec.max)) {
          issues.push({
            check: 'parameter-value',
            severity: 'error',
            ...at(row, field),
            message: `parameter ${row.id}: ${field} = ${fmt(v)} is outside [${spec.min}, ${spec.max ?? '∞'}] ${spec.unit}`,
            fix: `state ${row.id} in ${spec.unit}, within its bounds`,
          });
        }
      }
    }
    if (rows.length > 0) {
      const present = new Set(rows.map((r) => r.id));
      for (const id of Object.keys(PARAMETER_SPECS)) {
        if (present.has(id)) continue;
        issues.push({
          check: 'parameter-value',
          severity: 'warning',
          file: rows[0]?.$origin.file ?? 'parameters.csv',
          message: `parameter ${id} is missing; a simulation that needs it will stop`,
          fix: `add a row for ${id} (${PARAMETER_SPECS[id]?.unit})`,
        });
      }
    }
    return issues;
  },
};

const demandGrowthCheck: Check = {
  name: 'demand-growth',
  description:
    'growth periods end after they start and do not overlap for the same commodity, region and sector; ' +
    'range provenance is known; every commodity has a growth rate',
  run(cat) {
    const issues: DataIssue[] = [];
    const rows = cat.dataset.tables.demand_growth;
    const groups = new Map<string, typeof rows>();
    for (const row of rows) {
      issues.push(...rangeSourceIssues(cat, 'demand_growth', row));
      if (row.to_year < row.from_year) {
        issues.push({
          check: 'period-order',
          severity: 'error',
          ...at(row, 'to_year'),
          message: `demand growth for ${row.commodity} ends (${row.to_year}) before it starts (${row.from_year})`,
          fix: 'make to_year >= from_year',
        });
        continue;
      }
      const key = [row.commodity, row.region, row.sector.trim()].join('|');
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    for (const group of groups.values()) {
      const sorted = [...group].sort((a, b) => a.from_year - b.from_year);
      for (let i = 1; i < sorted.length; i++) {
        const prev = sorted[i - 1];
        const row = sorted[i];
        if (!prev || !row || row.from_year > prev.to_year) continue;
        issues.push({
          check: 'period-overlap',
          severity: 'error',
          ...at(row, 'from_year'),
          message:
            `demand growth for ${row.commodity} (region ${row.region}, sector ${row.sector}) from ${row.from_year} ` +
            `overlaps the period ${prev.from_year}-${prev.to_year} on line ${prev.$origin.line}`,
          fix: 'start each period the year after the previous one ends',
        });
      }
    }
    if (rows.length > 0) {
      const covered = new Set(rows.map((r) => r.commodity));
      for (const c of cat.dataset.tables.commodities) {
        if (covered.has(c.id)) continue;
        issues.push({
          check: 'growth-coverage',
          severity: 'warning',
          ...at(c, 'id'),
          message: `${c.id} has no demand growth rate; the simulation holds its demand flat`,
          fix: 'add a demand_growth row (a mined stage may carry its refined stage rate)',
        });
      }
    }
    return issues;
  },
};

const CURRENCIES = ['USD', 'CNY', 'EUR', 'JPY', 'GBP', 'AUD', 'CAD'] as const;
/** Published multiples are rounded percentages and range mid-points: allow this relative gap to the levels' ratio. */
const MULTIPLE_TOLERANCE = 0.03;
const DAY_MS = 86_400_000;
const BEFORE_GRACE_DAYS = 3;
const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

const episodeCheck: Check = {
  name: 'episodes',
  description:
    'each disruption episode row dates its before observation ahead of its after observation and the after ' +
    'observation after the measure (a before observation more than three days after the measure took effect is ' +
    'flagged), gives both prices or a multiple (and they agree), states its price unit with a currency, pairs ' +
    'cut_share with cut_basis, names a known policy event with the same actor (and flags differing dates), and agrees ' +
    "with the episode's other rows on actor, measure, dates and destinations",
  run(cat) {
    const issues: DataIssue[] = [];
    const events = new Map(cat.dataset.tables.policy_events.map((e) => [e.id, e]));
    const first = new Map<string, (typeof cat.dataset.tables.episodes)[number]>();
    for (const row of cat.dataset.tables.episodes) {
      const id = row.episode;
      const error = (check: string, field: string, message: string, fix?: string) =>
        issues.push({ check, severity: 'error', ...at(row, field), message, ...(fix ? { fix } : {}) });

      // Dates: each observation is an interval; before precedes after; after follows the measure.
      if (row.before_from > row.before_to) {
        error(
          'episode-dates',
          'before_to',
          `episode ${id}: before_to (${row.before_to}) precedes before_from (${row.before_from})`,
        );
      }
      if (row.after_from > row.after_to) {
        error(
          'episode-dates',
          'after_to',
          `episode ${id}: after_to (${row.after_to}) precedes after_from (${row.after_from})`,
        );
      }
      if (row.before_to >= row.after_from) {
        error(
          'episode-dates',
          'after_from',
          `episode ${id}: the after observation (from ${row.after_from}) does not follow the before observation (to ${row.before_to})`,
          'date the before observation ahead of the after observation',
        );
      }
      const known = row.announced ?? row.effective;
      if (row.announced && row.announced > row.effective) {
        error(
          'episode-dates',
          'announced',
          `episode ${id}: announced (${row.announced}) after it took effect (${row.effective})`,
        );
      }
      if (row.after_to < known) {
        error(
          'episode-dates',
          'after_to',
          `episode ${id}: the after observation ends (${row.after_to}) before the measure was known (${known})`,
        );
      }
      if (row.end && row.end < known) {
        error('episode-dates', 'end', `episode ${id}: the measure ends (${row.end}) before it began (${known})`);
      }
      // A weekend between the measure and the next assessment is not a missed reaction.
      if (daysBetween(row.effective, row.before_from) > BEFORE_GRACE_DAYS) {
        issues.push({
          check: 'episode-dates',
          severity: 'warning',
          ...at(row, 'before_from'),
          message:
            `episode ${id}: the before observation begins ${daysBetween(row.effective, row.before_from)} day(s) after ` +
            `the measure took effect (${row.effective}), so the multiple misses the first reaction`,
          fix: 'use an observation from before the measure, if a source gives one',
        });
      }

      // Prices: both levels, or the published multiple; when all three are given they must agree.
      const { price_before: before, price_after: after, multiple } = row;
      if ((before === undefined || after === undefined) && multiple === undefined) {
        error(
          'episode-prices',
          before === undefined ? 'price_before' : 'price_after',
          `episode ${id} (${row.market}): no price change — neither both prices nor a multiple`,
          'give price_before and price_after, or the multiple (after / before) the source states',
        );
      } else if (before !== undefined && after !== undefined) {
        if (before === 0) {
          error(
            'episode-prices',
            'price_before',
            `episode ${id} (${row.market}): price_before is 0, so no multiple exists`,
          );
        } else if (multiple !== undefined && Math.abs(after / before - multiple) > MULTIPLE_TOLERANCE * multiple) {
          error(
            'episode-prices',
            'multiple',
            `episode ${id} (${row.market}): multiple ${fmt(multiple)} disagrees with price_after / price_before = ` +
              `${fmt(after / before)}`,
            'correct one of the three, or leave the multiple empty when both levels are given',
          );
        }
      }
      const currency = row.unit.split('/')[0]?.trim() ?? '';
      if (!row.unit.includes('/') || !(CURRENCIES as readonly string[]).includes(currency)) {
        error(
          'episode-unit',
          'unit',
          `episode ${id}: price unit '${row.unit}' is not <currency>/<quantity>`,
          `state it as published with a currency code (${CURRENCIES.join(', ')}), e.g. USD/kg Ga or CNY/t Sb`,
        );
      }
      if ((row.cut_share === undefined) !== (row.cut_basis === undefined)) {
        error(
          'episode-cut',
          row.cut_basis === undefined ? 'cut_basis' : 'cut_share',
          `episode ${id}: cut_share and cut_basis go together`,
          "give both (the share, and whether it is of the actor's exports or of world supply), or neither",
        );
      }
      if (row.policy_event !== undefined) {
        const event = events.get(row.policy_event);
        if (!event) {
          error(
            'episode-event',
            'policy_event',
            `episode ${id}: policy event '${row.policy_event}' is not in policy_events.csv`,
            'use an id from policy_events.csv, or leave policy_event empty',
          );
        } else if (event.actor !== row.actor) {
          error(
            'episode-event',
            'actor',
            `episode ${id}: actor ${row.actor} differs from the actor of policy event ${event.id} (${event.actor})`,
          );
        } else {
          for (const field of ['announced', 'effective'] as const) {
            if (event[field] === undefined || event[field] === row[field]) continue;
            issues.push({
              check: 'episode-event',
              severity: 'warning',
              ...at(row, field),
              message: `episode ${id}: ${field} ${row[field] ?? '(empty)'} differs from policy event ${event.id} (${event[field]})`,
              fix: 'use the same date in both tables, or correct the one a source contradicts',
            });
          }
        }
      }

      // One episode, one measure: its rows agree on what happened and when.
      const head = first.get(id);
      if (!head) {
        first.set(id, row);
        continue;
      }
      const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
      for (const field of [
        'actor',
        'measure',
        'announced',
        'effective',
        'end',
        'destinations',
        'policy_event',
      ] as const) {
        if (same(row[field], head[field])) continue;
        error(
          'episode-consistency',
          field,
          `episode ${id}: ${field} '${String(row[field] ?? '')}' differs from '${String(head[field] ?? '')}' on line ` +
            `${head.$origin.line}`,
          'one episode is one measure: give every row the same actor, measure, dates and destinations, or split the episode',
        );
      }
    }
    return issues;
  },
};

export const CHECKS: readonly Check[] = [
  unknownCodes,
  provenance,
  units,
  stageLinks,
  worldTotals,
  countryCoverage,
  capacityCoverage,
  chainClosure,
  dates,
  bloc,
  sourceDates,
  parameterCheck,
  demandGrowthCheck,
  episodeCheck,
];

export interface CheckReport {
  readonly issues: readonly DataIssue[];
  readonly errors: number;
  readonly warnings: number;
}

/** Runs every named check on a loaded dataset; parse issues from loading come first. */
export function checkDataset(dataset: Dataset): CheckReport {
  const catalog = new Catalog(dataset);
  const issues = [...dataset.issues, ...CHECKS.flatMap((c) => c.run(catalog))];
  return {
    issues,
    errors: issues.filter((i) => i.severity === 'error').length,
    warnings: issues.filter((i) => i.severity === 'warning').length,
  };
}
