/**
 * The duty on an import entry (MODEL.md §7): ordinary duties from the tariff lines in force (zero between members),
 * and for a non-member origin the border levy that lifts the entry to the reference price:
 * levy = max(0, reference price × quantity − duty-paid value), duty-paid value = customs value + ordinary duties;
 * for a downstream good the reference price applies to its content of the covered commodity (kg NdPr oxide in a
 * magnet). Amounts are integer cents; each line is rounded half-up to the cent, so the lines sum to the total.
 */

import countries from 'i18n-iso-countries';
import type { Catalog } from '../data/catalog.ts';
import type { StageLinkRow, TariffRow } from '../data/schema.ts';
import { nearestPricedInput } from '../model/content.ts';
import { modelRegion } from '../model/regions.ts';
import { candidateLines, tariffLineCode, tariffLinesOverlap, tariffRowsInForce } from '../model/tariff-lines.ts';
import { isIsoDate } from './dates.ts';
import {
  type Cents,
  formatCents,
  formatRatio,
  MAX_QUANTITY,
  MoneyError,
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
  readonly date: string;
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

/** A quantity as an exact ratio in the commodity's own unit; `prefix` names the fields in errors ('' or 'content.'). */
function quantityIn(
  catalog: Catalog,
  commodity: string,
  quantity: string,
  unit: string | undefined,
  prefix: string,
): { value: Ratio; unit: string } {
  const info = catalog.commodities.get(commodity);
  if (!info) throw new DutyError(`${prefix}commodity`, `unknown commodity '${commodity}'`);
  let value: Ratio;
  try {
    value = parseDecimal(quantity);
  } catch {
    throw new DutyError(`${prefix}quantity`, `'${quantity}' is not a decimal number`);
  }
  if (value.num <= 0n) throw new DutyError(`${prefix}quantity`, `must be positive, got ${quantity}`);
  if (value.num > MAX_QUANTITY * value.den)
    throw new DutyError(
      `${prefix}quantity`,
      `'${quantity}' is beyond the largest quantity an entry takes (1e12 units)`,
    );
  if (unit === undefined || unit === info.row.unit) return { value, unit: info.row.unit };
  const factor = catalog.toCommodityUnit(commodity, unit);
  if (factor === undefined)
    throw new DutyError(`${prefix}unit`, `'${unit}' does not convert to ${info.row.unit} (${commodity})`);
  return { value: multiplyRatios(value, ratioOf(factor)), unit: info.row.unit };
}

/** The nearest upstream commodity with a reference price in force, and its content per unit of `commodity`. */
function coveredInput(
  catalog: Catalog,
  commodity: string,
  priced: ReadonlySet<string>,
  coefficientOf: (link: StageLinkRow) => number = (l) => l.coefficient,
): { commodity: string; perUnit: Ratio; source: string } | undefined {
  const found = nearestPricedInput(catalog.dataset.tables.stage_links, commodity, priced);
  if (!found) return undefined;
  return {
    commodity: found.commodity,
    perUnit: found.path.reduce<Ratio>((r, l) => multiplyRatios(r, ratioOf(coefficientOf(l))), { num: 1n, den: 1n }),
    source: found.path.map((l) => l.source).join(' × '),
  };
}

interface Component {
  readonly row: TariffRow;
  readonly amount: Cents;
}

/** One tariff line the goods may fall under, with the duties it carries for this origin. */
interface AssessedLine {
  readonly code: string | undefined;
  readonly label: string;
  readonly components: Component[];
  readonly total: Cents;
  readonly noBaseRate: boolean;
}

/**
 * The ordinary duties on a non-member entry. Per tariff line: the preferential rate for the origin replaces MFN;
 * additional duties on the origin (Section 301, anti-dumping) come on top. A declared line picks the lines it
 * overlaps; among several candidate lines the one with the highest total applies (conservative when the line is not
 * declared precisely), as in the simulator.
 */
function ordinaryDuties(
  catalog: Catalog,
  entry: ImportEntry,
  importer: string,
  origin: string,
  quantity: Ratio,
  customsValue: Cents,
  notes: string[],
): AssessedLine | undefined {
  const all = tariffRowsInForce(catalog, importer, entry.commodity, entry.date);
  const declared = entry.hsCode === undefined ? undefined : tariffLineCode(entry.hsCode);
  if (entry.hsCode !== undefined && declared === undefined)
    throw new DutyError('hsCode', `'${entry.hsCode}' is not a tariff line code (at least four digits)`);
  const rows = all.filter((t) => tariffLinesOverlap(tariffLineCode(t.hs_code), declared));
  if (declared !== undefined && rows.length === 0 && all.length > 0) {
    const known = [...new Set(all.map((t) => t.hs_code))].join(', ');
    throw new DutyError(
      'hsCode',
      `${entry.hsCode} is not a line of ${entry.commodity} for ${importer} (known: ${known})`,
    );
  }
  const amountOf = (row: TariffRow): Cents | undefined => {
    if (row.kind === 'ad_valorem') {
      return roundRatio(
        multiplyRatios({ num: customsValue, den: 1n }, ratioOf(row.rate), { num: 1n, den: 100n }),
        'half-up',
      );
    }
    const perCommodityUnit = catalog.toCommodityPriceUnit(entry.commodity, row.unit);
    if (perCommodityUnit === undefined) {
      notes.push(`tariff line ${row.hs_code}: unit '${row.unit}' does not convert; line not applied`);
      return undefined;
    }
    return roundRatio(
      multiplyRatios(ratioOf(row.rate), ratioOf(perCommodityUnit), quantity, { num: 100n, den: 1n }),
      'half-up',
    );
  };
  const components = (rs: readonly TariffRow[]): Component[] =>
    rs.flatMap((row) => {
      const amount = amountOf(row);
      return amount === undefined ? [] : [{ row, amount }];
    });

  const candidates: AssessedLine[] = candidateLines(catalog, rows, origin).map((line) => {
    const cs = components(line.rows);
    return { ...line, components: cs, total: cs.reduce((t, c) => t + c.amount, 0n) };
  });
  if (candidates.length === 0) {
    notes.push(`no tariff line of ${entry.commodity} for ${importer} in force on ${entry.date}: no ordinary duty`);
    return undefined;
  }
  // Highest total first; ties by code, so the choice does not depend on the order of the data.
  candidates.sort((a, b) => (a.total === b.total ? (a.label < b.label ? -1 : 1) : a.total > b.total ? -1 : 1));
  const chosen = candidates[0] as AssessedLine;
  if (candidates.length > 1) {
    notes.push(
      `${candidates.length} tariff lines of ${entry.commodity} match${declared ? ` ${entry.hsCode}` : ' (no line declared)'}: ` +
        `the highest, ${chosen.label}, applies; declare the 8- or 10-digit line to use your own`,
    );
  }
  if (chosen.noBaseRate) notes.push(`the data has no MFN rate for line ${chosen.label}: taken as 0`);
  return chosen;
}

/** True for a code an origin may name: a region of the data or any ISO 3166-1 alpha-3 country. */
function knownOrigin(catalog: Catalog, code: string): boolean {
  const region = catalog.regions.get(code);
  if (region) return region.kind !== 'rest';
  return /^[A-Z]{3}$/.test(code) && countries.isValid(code);
}

/** Assesses an entry against the tariff data and the prices in force on its date. Pure: no clock, no I/O. */
export function assessDuty(catalog: Catalog, entry: ImportEntry, inForce: InForce): DutyAssessment {
  try {
    return assess(catalog, entry, inForce);
  } catch (e) {
    if (e instanceof MoneyError)
      throw new DutyError('quantity', `the amounts exceed what the ledger holds (${e.message}); split the entry`);
    throw e;
  }
}

function assess(catalog: Catalog, entry: ImportEntry, inForce: InForce): DutyAssessment {
  if (!isIsoDate(entry.date)) throw new DutyError('date', `'${entry.date}' is not a date (YYYY-MM-DD)`);
  if (!catalog.regions.has(entry.importer)) throw new DutyError('importer', `unknown region '${entry.importer}'`);
  if (!knownOrigin(catalog, entry.origin))
    throw new DutyError('origin', `'${entry.origin}' is not an ISO 3166-1 alpha-3 country code`);
  const members = new Set(inForce.members.map((m) => modelRegion(catalog, m)));
  const importer = modelRegion(catalog, entry.importer);
  // A country outside the data is outside the zone (the model's rest of the world).
  const origin = catalog.regions.has(entry.origin) ? modelRegion(catalog, entry.origin) : entry.origin;
  if (!members.has(importer))
    throw new DutyError('importer', `${entry.importer} is not a member of the zone on ${entry.date}`);
  if (!Number.isSafeInteger(entry.customsValueCents) || entry.customsValueCents < 0)
    throw new DutyError('customsValueCents', 'must be a non-negative whole number of cents');
  const quantity = quantityIn(catalog, entry.commodity, entry.quantity, entry.unit, '');
  const customsValue: Cents = BigInt(entry.customsValueCents);
  const originIsMember = members.has(origin);
  const notes: string[] = [];
  const lines: { kind: DutyLine['kind']; description: string; amount: Cents; basis: DutyLine['basis'] }[] = [];

  if (originIsMember) {
    notes.push(`origin ${origin} is a member: no ordinary duty and no levy between members`);
  } else {
    const chosen = ordinaryDuties(catalog, entry, importer, origin, quantity.value, customsValue, notes);
    for (const { row: r, amount } of chosen?.components ?? []) {
      lines.push({
        kind: 'ordinary',
        description: `${r.layer} duty ${r.rate}${r.kind === 'ad_valorem' ? '%' : ` ${r.unit}`} (${r.importer} ${r.hs_code})`,
        amount,
        basis: {
          layer: r.layer,
          hsCode: r.hs_code,
          kind: r.kind,
          rate: r.rate,
          unit: r.unit,
          origin: r.origin,
          source: r.source,
          ...(r.effective_from ? { effectiveFrom: r.effective_from } : {}),
          ...(r.effective_to ? { effectiveTo: r.effective_to } : {}),
        },
      });
    }
  }
  const ordinary = lines.reduce((s, l) => s + l.amount, 0n);
  const dutyPaid = customsValue + ordinary;

  if (!originIsMember) {
    const priced = new Map(inForce.prices.map((p) => [p.commodity, p]));
    const own = priced.get(entry.commodity);
    let covered: { commodity: string; quantity: Ratio; how: string } | undefined;
    if (own && entry.content)
      throw new DutyError(
        'content',
        `${entry.commodity} has a reference price of its own in force on ${entry.date}: the levy is on the entry's quantity, not on a content; leave content out`,
      );
    if (own) covered = { commodity: entry.commodity, quantity: quantity.value, how: 'entry quantity' };
    else if (entry.content) {
      if (!catalog.commodities.has(entry.content.commodity))
        throw new DutyError('content.commodity', `unknown commodity '${entry.content.commodity}'`);
      if (!coveredInput(catalog, entry.commodity, new Set([entry.content.commodity])))
        throw new DutyError('content.commodity', `${entry.content.commodity} is not an input of ${entry.commodity}`);
      // The levy is on the nearest priced input, as for the standard content: declaring another (an unpriced one, or
      // one further up the chain) would choose the levy.
      const pricedInput = coveredInput(catalog, entry.commodity, new Set(priced.keys()));
      if (pricedInput && pricedInput.commodity !== entry.content.commodity) {
        const why = priced.has(entry.content.commodity)
          ? `the levy on ${entry.commodity} is on ${pricedInput.commodity}, its nearest input with a reference price in force on ${entry.date}`
          : `${entry.content.commodity} has no reference price in force on ${entry.date}; the levy is on ${pricedInput.commodity}, the nearest input of ${entry.commodity} with one`;
        throw new DutyError(
          'content.commodity',
          `${why}: declare the content of ${pricedInput.commodity}, or leave content out for the standard content`,
        );
      }
      if (!priced.has(entry.content.commodity)) {
        notes.push(`${entry.content.commodity} has no reference price in force on ${entry.date}: no levy`);
      } else {
        const declared = quantityIn(
          catalog,
          entry.content.commodity,
          entry.content.quantity,
          entry.content.unit,
          'content.',
        );
        /** The content the goods hold at one end of the stage links' ranges (their central value where none). */
        const contained = new Set([entry.content.commodity]);
        const contentAt = (end: 'low' | 'high') => {
          const link = coveredInput(
            catalog,
            entry.commodity,
            contained,
            (l) => l.$provenance.coefficient?.[end] ?? l.coefficient,
          ) as NonNullable<ReturnType<typeof coveredInput>>;
          return { ...link, total: multiplyRatios(quantity.value, link.perUnit) };
        };
        // A part is not more than what making the whole takes: the links' highest coefficients (the data's range).
        const ceiling = contentAt('high');
        const most = ceiling.total;
        if (declared.value.num * most.den > most.num * declared.value.den)
          throw new DutyError(
            'content.quantity',
            `${formatRatio(declared.value)} ${declared.unit} of ${entry.content.commodity} in ${formatRatio(quantity.value)} ${quantity.unit} of ${entry.commodity} is more than making them takes: at most ${formatRatio(ceiling.perUnit)} per ${quantity.unit} (stage_links: ${ceiling.source}, the top of its range)`,
          );
        // Below the bottom of the range is possible (a magnet lean in NdPr) but is for the secretariat to verify.
        const floor = contentAt('low');
        const least = floor.total;
        if (declared.value.num * least.den < least.num * declared.value.den)
          notes.push(
            `declared content ${formatRatio(declared.value)} ${declared.unit} is below the least the data gives for ${formatRatio(quantity.value)} ${quantity.unit} of ${entry.commodity} (${formatRatio(floor.perUnit)} per ${quantity.unit}, stage_links: ${floor.source}, the bottom of its range): the levy is on the declared figure, which the secretariat may verify`,
          );
        covered = { commodity: entry.content.commodity, quantity: declared.value, how: 'declared content' };
      }
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
    if (!covered && !entry.content)
      notes.push(`no reference price in force for ${entry.commodity} or its inputs on ${entry.date}: no levy`);
    if (covered) {
      const price = priced.get(covered.commodity) as InForce['prices'][number];
      const referenceValue = roundRatio(
        multiplyRatios({ num: BigInt(price.priceCents), den: 1n }, covered.quantity),
        'half-up',
      );
      const levy = maxCents(0n, referenceValue - dutyPaid);
      lines.push({
        kind: 'levy',
        description:
          `border levy: reference value ${formatCents(referenceValue)} USD (${covered.commodity}, ${covered.how}) ` +
          `less duty-paid value ${formatCents(dutyPaid)} USD`,
        amount: levy,
        basis: {
          commodity: covered.commodity,
          coveredQuantity: formatRatio(covered.quantity),
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
    date: entry.date,
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
