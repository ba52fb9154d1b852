/**
 * Which tariff rows make up the duty on one good from one origin (MODEL.md §3.3, §7), for both the customs duty on an
 * import entry (admin/duty.ts, in cents) and the routes of the equilibrium (world.ts, per unit): per tariff line, the
 * preferential rate for the origin replaces MFN and the additional duties on the origin (Section 301, IEEPA,
 * anti-dumping) come on top, all of them — a line's duties add up. A commodity spans several lines; each caller
 * takes the line with the highest duty, as customs would when the line is not declared.
 */
import type { Catalog } from '../data/catalog.ts';
import type { TariffRow } from '../data/schema.ts';
import { modelRegion } from './regions.ts';

/**
 * The HS digits a tariff row's code column names ('8505.11.00.70' → '8505110070'), or undefined when it names no code
 * (a legal annex, "codes not transcribed"): such a row covers every line of its commodity.
 */
export function tariffLineCode(hs: string): string | undefined {
  const m = /^\s*(\d[\d.\s]*)/.exec(hs);
  const code = m ? (m[1] as string).replace(/\D/g, '') : '';
  return code.length >= 4 ? code : undefined;
}

/** Two lines overlap when one code is a subheading of the other (or either covers the whole commodity). */
export function tariffLinesOverlap(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a.startsWith(b) || b.startsWith(a);
}

/** A tariff row in force on `date` (YYYY-MM-DD): from its effective date to its end date, both included. */
export function tariffInForce(row: TariffRow, date: string): boolean {
  return (!row.effective_from || row.effective_from <= date) && (!row.effective_to || row.effective_to >= date);
}

/** The tariff rows of one commodity into one importer (a model region: an EU member state's are EU27's) in force on a date. */
export function tariffRowsInForce(catalog: Catalog, importer: string, commodity: string, date: string): TariffRow[] {
  return catalog.dataset.tables.tariffs.filter(
    (t) => t.commodity === commodity && modelRegion(catalog, t.importer) === importer && tariffInForce(t, date),
  );
}

/** One tariff line the goods may fall under, with the rows whose duties they pay on it. */
export interface CandidateLine {
  readonly code: string | undefined;
  /** The line as the data writes it. */
  readonly label: string;
  readonly rows: readonly TariffRow[];
  /** No MFN rate in the data for this line (a product mapped to the commodity by its own line): taken as 0. */
  readonly noBaseRate: boolean;
}

/**
 * The candidate lines of `rows` (one commodity into one importer, in force) for goods from `origin` (a model region):
 * per MFN line, its preferential rate for the origin if any, else its MFN rate, plus every additional duty on the
 * origin that overlaps it; then lines that carry only additional duties. Empty where no row applies.
 */
export function candidateLines(catalog: Catalog, rows: readonly TariffRow[], origin: string): CandidateLine[] {
  const forOrigin = (t: TariffRow) => t.origin === '*' || modelRegion(catalog, t.origin) === origin;
  const mfn = rows.filter((t) => t.layer === 'mfn');
  const preferential = rows.filter((t) => t.layer === 'preferential' && forOrigin(t));
  const additional = rows.filter((t) => t.layer === 'additional' && forOrigin(t));
  const lines: CandidateLine[] = [];
  const baseCodes = [...new Set(mfn.map((t) => tariffLineCode(t.hs_code) ?? ''))].sort();
  for (const key of baseCodes) {
    const code = key === '' ? undefined : key;
    const own = mfn.filter((t) => (tariffLineCode(t.hs_code) ?? '') === key);
    const pref = preferential.filter((t) => tariffLinesOverlap(tariffLineCode(t.hs_code), code));
    const extra = additional.filter((t) => tariffLinesOverlap(tariffLineCode(t.hs_code), code));
    lines.push({
      code,
      label: (own[0] as TariffRow).hs_code,
      rows: [...(pref.length > 0 ? pref : own), ...extra],
      noBaseRate: false,
    });
  }
  // Additional duties on lines the data gives no MFN rate for (a product mapped to the commodity by its own line).
  const orphans = additional.filter((t) => {
    const c = tariffLineCode(t.hs_code);
    return c !== undefined && !baseCodes.some((k) => tariffLinesOverlap(c, k === '' ? undefined : k));
  });
  for (const key of [...new Set(orphans.map((t) => tariffLineCode(t.hs_code) as string))].sort()) {
    const own = orphans.filter((t) => tariffLineCode(t.hs_code) === key);
    const wide = additional.filter((t) => tariffLineCode(t.hs_code) === undefined);
    lines.push({ code: key, label: (own[0] as TariffRow).hs_code, rows: [...own, ...wide], noBaseRate: true });
  }
  if (lines.length === 0 && additional.length > 0)
    lines.push({ code: undefined, label: 'all lines', rows: additional, noBaseRate: true });
  return lines;
}
