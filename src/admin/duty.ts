/**
 * The duty on an import entry (MODEL.md §7): ordinary duties from the tariff lines in force (zero between members),
 * and for a non-member origin the border levy that lifts the entry to the reference price:
 * levy = max(0, reference price × quantity − duty-paid value), duty-paid value = customs value + ordinary duties;
 * for a downstream good the reference price applies to its content of the covered commodity (kg NdPr oxide in a
 * magnet). Amounts are integer cents; each line is rounded half-up to the cent, so the lines sum to the total.
 */
import type { Catalog } from '../data/catalog.ts';
import type { TariffRow } from '../data/schema.ts';
import { modelRegion } from '../model/world.ts';
import {
  type Cents,
  formatCents,
  maxCents,
  multiplyRatios,
  parseDecimal,
  type Ratio,
  ratioOf,
  roundRatio,
  toSafeNumber,
} from './money.ts';
import type { InForce } from './schedule.ts';

export interface ImportEntry {
  /** Day of entry (YYYY-MM-DD): picks the tariff lines and the reference price in force. */
  readonly date: string;
  /** The importing member (ISO3, or EU27; an EU member state counts as EU27). */
  readonly importer: string;
  /** Country of the last substantial transformation. */
  readonly origin: string;
  readonly commodity: string;
  /** Decimal quantity in `unit` (default: the commodity's unit). */
  readonly quantity: string;
  readonly unit?: string;
  readonly customsValueCents: number;
  /** National tariff line, to pick among several lines of a commodity; omitted: the highest line applies. */
  readonly hsCode?: string;
  /** Declared content of a covered upstream commodity (e.g. NdPr oxide in magnets). */
  readonly content?: { readonly commodity: string; readonly quantity: string; readonly unit?: string };
}

export interface DutyLine {
  readonly kind: 'ordinary' | 'levy';
  readonly description: string;
  readonly amountCents: number;
  /** What the line rests on: the tariff row, or the schedule and price. */
  readonly basis: Readonly<Record<string, string | number>>;
}

export interface DutyAssessment {
  readonly importer: string;
  readonly origin: string;
  readonly originIsMember: boolean;
  readonly commodity: string;
  readonly quantity: string;
  readonly unit: string;
  readonly customsValueCents: number;
  readonly lines: readonly DutyLine[];
  readonly ordinaryDutiesCents: number;
  readonly dutyPaidValueCents: number;
  readonly levyCents: number;
  readonly amountDueCents: number;
  readonly amountDue: string;
  readonly notes: readonly string[];
  readonly rounding: 'half-up per line, to the cent';
}

export class DutyError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'DutyError';
  }
}

const digits = (hs: string) => hs.replace(/[^0-9]/g, '');

/** The entry's quantity as an exact ratio in the commodity's own unit. */
function quantityIn(
  catalog: Catalog,
  commodity: string,
  quantity: string,
  unit: string | undefined,
  field: string,
): { value: Ratio; unit: string } {
  const info = catalog.commodities.get(commodity);
  if (!info) throw new DutyError(`${field}.commodity`, `unknown commodity '${commodity}'`);
  let value: Ratio;
  try {
    value = parseDecimal(quantity);
  } catch {
    throw new DutyError(`${field}.quantity`, `'${quantity}' is not a decimal number`);
  }
  if (value.num <= 0n) throw new DutyError(`${field}.quantity`, `must be positive, got ${quantity}`);
  if (unit === undefined || unit === info.row.unit) return { value, unit: info.row.unit };
  const factor = catalog.toCommodityUnit(commodity, unit);
  if (factor === undefined)
    throw new DutyError(`${field}.unit`, `'${unit}' does not convert to ${info.row.unit} (${commodity})`);
  return { value: multiplyRatios(value, ratioOf(factor)), unit: info.row.unit };
}

/** The nearest upstream commodity with a reference price in force, and its content per unit of `commodity`. */
function coveredInput(
  catalog: Catalog,
  commodity: string,
  priced: ReadonlySet<string>,
): { commodity: string; perUnit: Ratio; source: string } | undefined {
  let frontier: { commodity: string; perUnit: Ratio; source: string }[] = [
    { commodity, perUnit: { num: 1n, den: 1n }, source: '' },
  ];
  for (let depth = 0; depth < 8 && frontier.length > 0; depth++) {
    const next: typeof frontier = [];
    for (const f of frontier) {
      for (const l of catalog.dataset.tables.stage_links) {
        if (l.output !== f.commodity) continue;
        const step = {
          commodity: l.input,
          perUnit: multiplyRatios(f.perUnit, ratioOf(l.coefficient)),
          source: f.source ? `${f.source} × ${l.source}` : l.source,
        };
        if (priced.has(l.input)) return step;
        next.push(step);
      }
    }
    frontier = next;
  }
  return undefined;
}

/** The tariff rows of (importer, commodity) in force on a date that match the declared line. */
function linesInForce(
  tariffs: readonly TariffRow[],
  catalog: Catalog,
  importer: string,
  commodity: string,
  date: string,
  hsCode: string | undefined,
) {
  const declared = hsCode ? digits(hsCode) : undefined;
  return tariffs.filter(
    (t) =>
      t.commodity === commodity &&
      modelRegion(catalog, t.importer) === importer &&
      (!t.effective_from || t.effective_from <= date) &&
      (!t.effective_to || t.effective_to >= date) &&
      (declared === undefined || (digits(t.hs_code).length > 0 && declared.startsWith(digits(t.hs_code)))),
  );
}

/** Assesses an entry against the tariff data and the prices in force on its date. Pure: no clock, no I/O. */
export function assessDuty(catalog: Catalog, entry: ImportEntry, inForce: InForce): DutyAssessment {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(entry.date)) throw new DutyError('date', `'${entry.date}' is not YYYY-MM-DD`);
  for (const field of ['importer', 'origin'] as const) {
    if (!catalog.regions.has(entry[field])) throw new DutyError(field, `unknown region '${entry[field]}'`);
  }
  const members = new Set(inForce.members.map((m) => modelRegion(catalog, m)));
  const importer = modelRegion(catalog, entry.importer);
  const origin = modelRegion(catalog, entry.origin);
  if (!members.has(importer))
    throw new DutyError('importer', `${entry.importer} is not a member of the zone on ${entry.date}`);
  if (!Number.isSafeInteger(entry.customsValueCents) || entry.customsValueCents < 0)
    throw new DutyError('customsValueCents', 'must be a non-negative whole number of cents');
  const quantity = quantityIn(catalog, entry.commodity, entry.quantity, entry.unit, 'entry');
  const customsValue: Cents = BigInt(entry.customsValueCents);
  const originIsMember = members.has(origin);
  const notes: string[] = [];
  const lines: { kind: DutyLine['kind']; description: string; amount: Cents; basis: DutyLine['basis'] }[] = [];

  if (originIsMember) {
    notes.push(`origin ${origin} is a member: no ordinary duty and no levy between members`);
  } else {
    const rows = linesInForce(
      catalog.dataset.tables.tariffs,
      catalog,
      importer,
      entry.commodity,
      entry.date,
      entry.hsCode,
    );
    if (entry.hsCode && rows.length === 0) {
      const known = linesInForce(catalog.dataset.tables.tariffs, catalog, importer, entry.commodity, entry.date, '');
      if (known.length > 0)
        throw new DutyError(
          'hsCode',
          `${entry.hsCode} is not a line of ${entry.commodity} for ${importer} (known: ${[...new Set(known.map((t) => t.hs_code))].join(', ')})`,
        );
    }
    // As in the simulator: a preferential rate for the origin replaces MFN; additional duties come on top; among
    // several matching lines of one layer the highest applies (conservative when the line is not declared).
    const preferential = rows.filter((t) => t.layer === 'preferential' && modelRegion(catalog, t.origin) === origin);
    const base = preferential.length > 0 ? preferential : rows.filter((t) => t.layer === 'mfn');
    const additional = rows.filter((t) => t.layer === 'additional' && modelRegion(catalog, t.origin) === origin);
    if (!entry.hsCode && new Set(base.map((t) => t.hs_code)).size > 1)
      notes.push(`no tariff line declared: the highest of ${base.length} lines of ${entry.commodity} applies`);
    for (const layer of [base, additional]) {
      for (const kind of ['ad_valorem', 'specific'] as const) {
        let best: { row: TariffRow; amount: Cents } | undefined;
        for (const row of layer.filter((t) => t.kind === kind)) {
          let amount: Cents;
          if (kind === 'ad_valorem') {
            amount = roundRatio(
              multiplyRatios({ num: customsValue, den: 1n }, ratioOf(row.rate), { num: 1n, den: 100n }),
              'half-up',
            );
          } else {
            const perCommodityUnit = catalog.toCommodityPriceUnit(entry.commodity, row.unit);
            if (perCommodityUnit === undefined) {
              notes.push(`tariff line ${row.hs_code}: unit '${row.unit}' does not convert; line not applied`);
              continue;
            }
            amount = roundRatio(
              multiplyRatios(ratioOf(row.rate), ratioOf(perCommodityUnit), quantity.value, { num: 100n, den: 1n }),
              'half-up',
            );
          }
          if (!best || amount > best.amount) best = { row, amount };
        }
        if (best) {
          const r = best.row;
          lines.push({
            kind: 'ordinary',
            description: `${r.layer} duty ${r.rate}${r.kind === 'ad_valorem' ? '%' : ` ${r.unit}`} (${r.importer} ${r.hs_code})`,
            amount: best.amount,
            basis: {
              layer: r.layer,
              hsCode: r.hs_code,
              rate: r.rate,
              unit: r.unit,
              origin: r.origin,
              source: r.source,
              ...(r.effective_from ? { effectiveFrom: r.effective_from } : {}),
            },
          });
        }
      }
    }
  }
  const ordinary = lines.reduce((s, l) => s + l.amount, 0n);
  const dutyPaid = customsValue + ordinary;

  if (!originIsMember) {
    const priced = new Map(inForce.prices.map((p) => [p.commodity, p]));
    const own = priced.get(entry.commodity);
    let covered: { commodity: string; quantity: Ratio; how: string } | undefined;
    if (own) covered = { commodity: entry.commodity, quantity: quantity.value, how: 'entry quantity' };
    else if (entry.content) {
      if (!priced.has(entry.content.commodity)) {
        throw new DutyError(
          'content.commodity',
          `${entry.content.commodity} has no reference price in force on ${entry.date}`,
        );
      }
      const upstream = coveredInput(catalog, entry.commodity, new Set([entry.content.commodity]));
      if (!upstream)
        throw new DutyError('content.commodity', `${entry.content.commodity} is not an input of ${entry.commodity}`);
      const declared = quantityIn(
        catalog,
        entry.content.commodity,
        entry.content.quantity,
        entry.content.unit,
        'content',
      );
      covered = { commodity: entry.content.commodity, quantity: declared.value, how: 'declared content' };
    } else {
      const upstream = coveredInput(catalog, entry.commodity, new Set(priced.keys()));
      if (upstream) {
        covered = {
          commodity: upstream.commodity,
          quantity: multiplyRatios(quantity.value, upstream.perUnit),
          how: `standard content from the data (stage_links: ${upstream.source}); declare content to use the actual`,
        };
      }
    }
    if (!covered) notes.push(`no reference price in force for ${entry.commodity} on ${entry.date}: no levy`);
    else {
      const price = priced.get(covered.commodity) as InForce['prices'][number];
      const referenceValue = roundRatio(
        multiplyRatios({ num: BigInt(price.priceCents), den: 1n }, covered.quantity),
        'half-up',
      );
      const levy = maxCents(0n, referenceValue - dutyPaid);
      const coveredQuantity = Number(covered.quantity.num) / Number(covered.quantity.den);
      lines.push({
        kind: 'levy',
        description: `border levy: reference value ${formatCents(referenceValue)} USD (${covered.commodity}, ${covered.how}) less duty-paid value ${formatCents(dutyPaid)} USD`,
        amount: levy,
        basis: {
          commodity: covered.commodity,
          coveredQuantity,
          priceCents: price.priceCents,
          priceUnit: price.priceUnit,
          scheduleVersion: price.version,
          effectiveFrom: price.effectiveFrom,
          referenceValueCents: toSafeNumber(referenceValue, 'reference value'),
          dutyPaidValueCents: toSafeNumber(dutyPaid, 'duty-paid value'),
        },
      });
    }
  }
  const levy = lines.filter((l) => l.kind === 'levy').reduce((s, l) => s + l.amount, 0n);
  const due = ordinary + levy;
  return {
    importer,
    origin,
    originIsMember,
    commodity: entry.commodity,
    quantity: entry.quantity,
    unit: entry.unit ?? quantity.unit,
    customsValueCents: entry.customsValueCents,
    lines: lines.map((l) => ({
      kind: l.kind,
      description: l.description,
      amountCents: toSafeNumber(l.amount),
      basis: l.basis,
    })),
    ordinaryDutiesCents: toSafeNumber(ordinary),
    dutyPaidValueCents: toSafeNumber(dutyPaid),
    levyCents: toSafeNumber(levy),
    amountDueCents: toSafeNumber(due),
    amountDue: `${formatCents(due)} USD`,
    notes,
    rounding: 'half-up per line, to the cent',
  };
}
