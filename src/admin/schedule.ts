/**
 * Published reference-price schedules, OpenFisca-style: each schedule is a dated, versioned overlay that sets the
 * prices of the commodities it names from its effective date, and keeps the method and the inputs that produced
 * each price. "What was in force on date D, and why" is answered by reading the overlays in order.
 */
import type { Catalog } from '../data/catalog.ts';
import { BASE_YEAR } from '../data/schema.ts';
import { EquilibriumError } from '../equilibrium/solve.ts';
import { modelRegion } from '../model/regions.ts';
import { AS_MEMBER, floorTooHigh, refusedOwnPlace } from '../model/world.ts';
import { type CurveSupply, datasetSupplyCurve, observedBlocUse } from './curve.ts';
import { addDays, isIsoDate } from './dates.ts';
import { type Cents, dollarsToCents, toSafeNumber } from './money.ts';
import {
  adjustReferencePrice,
  costPlusPrice,
  incentiveMarginalPrice,
  type ReferencePriceAdjustment,
  ReferencePriceError,
  type SupplyStep,
} from './reference-price.ts';

/** How a price is set: stated by the secretariat, or computed from the dataset's cost curve by a rule. */
export type PriceMethod =
  | { readonly rule: 'fixed'; readonly price: number }
  | { readonly rule: 'cost-plus'; readonly margin: number; readonly supply?: CurveSupply }
  | { readonly rule: 'incentive-marginal'; readonly target: number; readonly supply?: CurveSupply };

export interface PriceRequest {
  readonly commodity: string;
  readonly method: PriceMethod;
  readonly adjustment?: ReferencePriceAdjustment;
}

export interface ScheduleRequest {
  /** First day the schedule's prices apply (YYYY-MM-DD). */
  readonly effectiveFrom: string;
  /** The decision or legal act that adopts it. */
  readonly reference: string;
  /** The zone's members from this date; omitted: unchanged (initially the data's default bloc). */
  readonly members?: readonly string[];
  readonly prices: readonly PriceRequest[];
}

/** Why a price is what it is: the rule's inputs and each step from the computed to the published value. */
export interface PriceExplanation {
  /** The rule's result before adjustment, in USD per the price unit. */
  readonly computed: number;
  readonly curve?: {
    readonly supply: CurveSupply;
    readonly year: number;
    readonly steps: readonly SupplyStep[];
    readonly blocUse?: number;
    readonly required?: number;
    readonly marginal?: SupplyStep;
    readonly capacityAtPrice: number;
    readonly shortfall?: string;
  };
  readonly previous?: { readonly version: number; readonly priceCents: number };
  readonly applied: readonly string[];
  /** The named rounding from USD to cents. */
  readonly rounding: 'half-up';
}

export interface PublishedPrice {
  readonly commodity: string;
  /** Cents per the commodity's price unit. */
  readonly priceCents: number;
  readonly priceUnit: string;
  readonly method: PriceMethod;
  readonly adjustment?: ReferencePriceAdjustment;
  readonly explanation: PriceExplanation;
}

export interface Schedule {
  readonly version: number;
  readonly effectiveFrom: string;
  readonly publishedAt: string;
  readonly publishedBy: string;
  readonly reference: string;
  readonly members?: readonly string[];
  readonly prices: readonly PublishedPrice[];
}

/** A price in force on a date, with the schedule that set it. */
export interface PriceInForce extends PublishedPrice {
  readonly version: number;
  readonly effectiveFrom: string;
  readonly reference: string;
}

export interface InForce {
  readonly date: string;
  readonly members: readonly string[];
  readonly membersFrom?: { readonly version: number; readonly effectiveFrom: string };
  readonly prices: readonly PriceInForce[];
}

export class ScheduleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ScheduleError';
  }
}

/** Schedules in the order they apply: by effective date, then by version (a later version amends an earlier one). */
function applicationOrder(schedules: readonly Schedule[]): Schedule[] {
  return [...schedules].sort((a, b) =>
    a.effectiveFrom === b.effectiveFrom ? a.version - b.version : a.effectiveFrom < b.effectiveFrom ? -1 : 1,
  );
}

export function defaultMembers(catalog: Catalog): string[] {
  return catalog.dataset.tables.regions.filter((r) => r.default_bloc).map((r) => r.code);
}

/** The members and prices in force on `date` (YYYY-MM-DD): every schedule effective on or before it, overlaid. */
export function inForceOn(schedules: readonly Schedule[], date: string, fallbackMembers: readonly string[]): InForce {
  const prices = new Map<string, PriceInForce>();
  let members = fallbackMembers;
  let membersFrom: InForce['membersFrom'];
  for (const s of applicationOrder(schedules)) {
    if (s.effectiveFrom > date) break;
    if (s.members) {
      members = s.members;
      membersFrom = { version: s.version, effectiveFrom: s.effectiveFrom };
    }
    for (const p of s.prices) {
      prices.set(p.commodity, { ...p, version: s.version, effectiveFrom: s.effectiveFrom, reference: s.reference });
    }
  }
  return {
    date,
    members,
    ...(membersFrom ? { membersFrom } : {}),
    prices: [...prices.values()].sort((a, b) => (a.commodity < b.commodity ? -1 : 1)),
  };
}

/**
 * Turns a secretariat's request into the prices it publishes: each rule evaluated on the dataset's cost curve for
 * the members in force, adjusted against the price in force on the effective date, rounded to the cent.
 */
export function publishPrices(
  catalog: Catalog,
  request: ScheduleRequest,
  existing: readonly Schedule[],
): { members: readonly string[] | undefined; prices: PublishedPrice[] } {
  if (!isIsoDate(request.effectiveFrom))
    throw new ScheduleError('effectiveFrom', `'${request.effectiveFrom}' is not a date (YYYY-MM-DD)`);
  if (request.reference.trim() === '') throw new ScheduleError('reference', 'name the decision that adopts it');
  const before = inForceOn(existing, request.effectiveFrom, defaultMembers(catalog));
  // Smoothing and maxChange work from the price in force the day before: a schedule amending another of the same date
  // replaces it (that price was never in force), so it must not be capped against it, nor step again from it.
  const dayBefore = inForceOn(existing, addDays(request.effectiveFrom, -1), defaultMembers(catalog));
  request.members?.forEach((m, i) => {
    const region = catalog.regions.get(m);
    if (!region) throw new ScheduleError(`members.${i}`, `unknown region '${m}'`);
    const refused = refusedOwnPlace(catalog, m, AS_MEMBER);
    if (refused !== undefined) throw new ScheduleError(`members.${i}`, refused);
  });
  if (request.prices.length === 0 && request.members === undefined)
    throw new ScheduleError('prices', 'a schedule sets at least one price, or the members');
  if (request.members?.length === 0) throw new ScheduleError('members', 'a zone needs at least one member');
  const members = [...new Set((request.members ?? before.members).map((m) => modelRegion(catalog, m)))];
  const seen = new Set<string>();
  const prices = request.prices.map((line, i): PublishedPrice => {
    const field = `prices.${i}`;
    const info = catalog.commodities.get(line.commodity);
    if (!info) throw new ScheduleError(`${field}.commodity`, `unknown commodity '${line.commodity}'`);
    if (seen.has(line.commodity)) throw new ScheduleError(`${field}.commodity`, `${line.commodity} is listed twice`);
    seen.add(line.commodity);
    const previous = dayBefore.prices.find((p) => p.commodity === line.commodity);
    let computed: number;
    let curve: PriceExplanation['curve'];
    try {
      const m = line.method;
      if (m.rule === 'fixed' && !(Number.isFinite(m.price) && m.price > 0))
        throw new ReferencePriceError(`a fixed price must be positive, got ${m.price}`);
      if (m.rule === 'incentive-marginal' && !(m.target > 0 && m.target <= 1))
        throw new ReferencePriceError(`the target share of bloc use must be in (0, 1], got ${m.target}`);
      if (line.method.rule === 'fixed') computed = line.method.price;
      else {
        const supply = line.method.supply ?? 'members';
        const data = datasetSupplyCurve(catalog, line.commodity, {
          members,
          supply,
          year: BASE_YEAR,
          asOf: Number(request.effectiveFrom.slice(0, 4)),
        });
        if (line.method.rule === 'cost-plus') {
          const d = costPlusPrice(data.steps, line.method.margin);
          computed = d.price;
          curve = { supply, year: data.year, steps: data.steps, capacityAtPrice: d.capacityAtPrice };
        } else {
          let blocUse: number;
          try {
            blocUse = observedBlocUse(catalog, line.commodity, members);
          } catch (e) {
            // The base-year market these members would observe did not solve: a request the rule cannot price.
            if (e instanceof EquilibriumError)
              throw new ReferencePriceError(`the bloc use of these members cannot be read: ${e.message}`);
            throw e;
          }
          const required = line.method.target * blocUse;
          const d = incentiveMarginalPrice(data.steps, required);
          computed = d.price;
          curve = {
            supply,
            year: data.year,
            steps: data.steps,
            blocUse,
            required,
            capacityAtPrice: d.capacityAtPrice,
            ...(d.marginal ? { marginal: d.marginal } : {}),
            ...(d.shortfall ? { shortfall: d.shortfall } : {}),
          };
        }
      }
      const previousPrice = previous ? previous.priceCents / 100 : undefined;
      const adjusted = adjustReferencePrice(computed, previousPrice, line.adjustment ?? {});
      const cents: Cents = dollarsToCents(adjusted.price, 'half-up');
      if (cents <= 0n)
        throw new ReferencePriceError(
          `the price comes out at ${adjusted.price}, which rounds to ${cents} cents: a reference price is at least one cent`,
        );
      // As for a floor in a scenario or a policy: far above the market, a price only shuts non-members' goods out.
      const high = floorTooHigh(catalog, BASE_YEAR, line.commodity, adjusted.price);
      if (high !== undefined) throw new ReferencePriceError(high);
      return {
        commodity: line.commodity,
        priceCents: toSafeNumber(cents, 'price'),
        priceUnit: info.row.price_unit,
        method: line.method,
        ...(line.adjustment ? { adjustment: line.adjustment } : {}),
        explanation: {
          computed,
          ...(curve ? { curve } : {}),
          ...(previous ? { previous: { version: previous.version, priceCents: previous.priceCents } } : {}),
          applied: adjusted.applied,
          rounding: 'half-up',
        },
      };
    } catch (e) {
      if (e instanceof ReferencePriceError) throw new ScheduleError(field, `${line.commodity}: ${e.message}`);
      throw e;
    }
  });
  return { members: request.members ? members : undefined, prices };
}
