/**
 * The secretariat's reference-price rules (MODEL.md §7), shared by the simulator and the administration service:
 * one source of truth. A rule reads a cost curve — producers at their cash cost, projects not yet built at their
 * incentive price — and returns the price with the inputs that set it, so that a published price can be explained.
 */
import { significant } from '../significant.ts';

/** One step of a supply curve: a producer or a project, what it can make per year and at what unit cost. */
export interface SupplyStep {
  readonly id: string;
  readonly region: string;
  readonly capacity: number;
  readonly cost: number;
  readonly kind: 'producer' | 'project';
}

export interface ReferencePriceDecision {
  readonly price: number;
  /** The step that sets the price (the marginal producer or project), if a curve rule set it. */
  readonly marginal?: SupplyStep;
  /** Capacity on the curve at or below the price. */
  readonly capacityAtPrice: number;
  /** Capacity the rule asked for (incentive-marginal), if any. */
  readonly required?: number;
  /** Set when the rule could not be met as asked (a target the curve cannot reach). */
  readonly shortfall?: string;
}

export class ReferencePriceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferencePriceError';
  }
}

/** Steps sorted by cost (ties by id, so that the curve is the same however the data is ordered). */
export function sortedCurve(steps: readonly SupplyStep[]): SupplyStep[] {
  return steps
    .filter((s) => s.capacity > 0)
    .sort((a, b) => a.cost - b.cost || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** What each rule says when it has nothing to price (simulate's scenario check says the same before a run). */
export const EMPTY_SUPPLY_CURVE = 'no producer or project on the supply curve';
export const NO_PRODUCER_TO_MARK_UP = 'no producer to mark up';

/**
 * Incentive-marginal rule: the cost of the step at which the curve first covers `required` units (the marginal
 * project the bloc needs to reach its target share). A curve that cannot reach it returns its highest step with a
 * shortfall note; an empty curve is an error (there is nothing a price could make bankable).
 */
export function incentiveMarginalPrice(steps: readonly SupplyStep[], required: number): ReferencePriceDecision {
  if (!(Number.isFinite(required) && required >= 0))
    throw new ReferencePriceError(`the capacity required must be a non-negative number, got ${required}`);
  const curve = sortedCurve(steps);
  if (curve.length === 0) throw new ReferencePriceError(EMPTY_SUPPLY_CURVE);
  let cumulative = 0;
  for (const step of curve) {
    cumulative += step.capacity;
    if (cumulative >= required) return { price: step.cost, marginal: step, capacityAtPrice: cumulative, required };
  }
  const last = curve[curve.length - 1] as SupplyStep;
  return {
    price: last.cost,
    marginal: last,
    capacityAtPrice: cumulative,
    required,
    shortfall: `the whole curve (${significant(cumulative)}) falls short of the target (${significant(required)}), in the commodity's unit per year`,
  };
}

/**
 * Cost-plus rule: (1 + margin) × the capacity-weighted mean cost of the producers on the curve (the producers the
 * floor protects, projects built by then among them). A project not yet built has no cost of production to mark up:
 * its incentive price is what the incentive-marginal rule reads.
 */
/**
 * The largest cost-plus mark-up (500%): a floor six times producers' mean cost is a typo, not a policy. A mark-down
 * (margin below 0) is no cost-plus rule either: a floor under producers' own costs protects none of them.
 */
export const MAX_COST_PLUS_MARGIN = 5;

export function costPlusPrice(steps: readonly SupplyStep[], margin: number): ReferencePriceDecision {
  if (!(Number.isFinite(margin) && margin >= 0 && margin <= MAX_COST_PLUS_MARGIN))
    throw new ReferencePriceError(
      `the margin must be between 0 and ${MAX_COST_PLUS_MARGIN} (0.15 = 15%), got ${margin}`,
    );
  const curve = sortedCurve(steps.filter((x) => x.kind === 'producer'));
  const capacity = curve.reduce((s, x) => s + x.capacity, 0);
  if (capacity <= 0) throw new ReferencePriceError(NO_PRODUCER_TO_MARK_UP);
  const mean = curve.reduce((s, x) => s + x.capacity * x.cost, 0) / capacity;
  return { price: (1 + margin) * mean, capacityAtPrice: capacity };
}

/** Capital recovery factor: the annual payment per unit of capital at rate r over n years. */
export function capitalRecoveryFactor(rate: number, years: number): number {
  if (!(years > 0)) throw new RangeError(`project life must be positive, got ${years}`);
  return rate === 0 ? 1 / years : rate / (1 - (1 + rate) ** -years);
}

/** Incentive price: cash cost plus the capital recovered per unit of output at the cost of capital over the life. */
export function incentivePrice(p: {
  readonly cashCost: number;
  readonly capex: number;
  readonly capacity: number;
  readonly life: number;
  readonly costOfCapital: number;
}): number {
  if (!(p.capacity > 0)) throw new RangeError(`capacity must be positive, got ${p.capacity}`);
  return p.cashCost + (capitalRecoveryFactor(p.costOfCapital, p.life) * p.capex) / p.capacity;
}

/**
 * How a computed reference price is carried into the published one: smoothed toward the price in force, its change
 * capped, and kept within bounds — the secretariat's guard against a jumpy curve. All optional; prices in the
 * commodity's price unit.
 */
export interface ReferencePriceAdjustment {
  /** Weight on the price in force: published = w × previous + (1 − w) × computed (0 = no smoothing). */
  readonly smoothing?: number;
  /** Largest relative change from the price in force per review (0.2 = ±20%). */
  readonly maxChange?: number;
  /** Lowest and highest price the rule may publish. */
  readonly floor?: number;
  readonly ceiling?: number;
}

export interface AdjustedReferencePrice {
  readonly price: number;
  /** Each adjustment that changed the price, in the order applied, for the published explanation. */
  readonly applied: readonly string[];
}

/** Applies smoothing, then the change cap, then the bounds, and says which of them moved the price. */
export function adjustReferencePrice(
  computed: number,
  previous: number | undefined,
  adjustment: ReferencePriceAdjustment,
): AdjustedReferencePrice {
  const { smoothing = 0, maxChange, floor, ceiling } = adjustment;
  if (!(smoothing >= 0 && smoothing < 1))
    throw new ReferencePriceError(`smoothing must be in [0, 1), got ${smoothing}`);
  if (maxChange !== undefined && !(maxChange >= 0))
    throw new ReferencePriceError(`maxChange must be non-negative, got ${maxChange}`);
  if (floor !== undefined && ceiling !== undefined && floor > ceiling)
    throw new ReferencePriceError(`floor ${floor} is above ceiling ${ceiling}`);
  const applied: string[] = [];
  let price = computed;
  if (previous !== undefined && smoothing > 0) {
    price = smoothing * previous + (1 - smoothing) * price;
    applied.push(`smoothed with weight ${smoothing} on the price in force (${previous})`);
  }
  if (previous !== undefined && maxChange !== undefined) {
    const low = previous * (1 - maxChange);
    const high = previous * (1 + maxChange);
    if (price < low || price > high) {
      price = Math.min(high, Math.max(low, price));
      applied.push(`change capped at ±${maxChange * 100}% of the price in force (${previous})`);
    }
  }
  if (floor !== undefined && price < floor) {
    price = floor;
    applied.push(`raised to the floor ${floor}`);
  }
  if (ceiling !== undefined && price > ceiling) {
    price = ceiling;
    applied.push(`lowered to the ceiling ${ceiling}`);
  }
  return { price, applied };
}
