/**
 * The parameters the multi-year simulation asks for (data/parameters.csv), with the unit each must be stated in and
 * the bounds outside which a value (or either end of its range) makes no sense. The `parameters` check holds every
 * row of the table to these; ids not listed here are allowed (a user may add their own) but are not checked.
 */
import type { STAGE_OF_KIND } from './schema.ts';

export interface ParameterSpec {
  readonly unit: string;
  readonly min: number;
  readonly max?: number;
  /** The commodities' stage_kind a stage-specific parameter applies to. */
  readonly stageKind?: keyof typeof STAGE_OF_KIND;
}

export const PARAMETER_SPECS: Readonly<Record<string, ParameterSpec>> = {
  cost_of_capital: { unit: 'fraction per year', min: 0, max: 0.5 },
  lead_time_mine: { unit: 'years', min: 0, max: 30, stageKind: 'mined' },
  lead_time_refinery: { unit: 'years', min: 0, max: 30, stageKind: 'refined' },
  lead_time_manufacturing: { unit: 'years', min: 0, max: 30, stageKind: 'component' },
  project_life_mine: { unit: 'years', min: 1, max: 100, stageKind: 'mined' },
  project_life_refinery: { unit: 'years', min: 1, max: 100, stageKind: 'refined' },
  ramp_up_years: { unit: 'years', min: 0, max: 20 },
  price_forecast_weight: { unit: 'fraction', min: 0, max: 1 },
  stock_release_trigger: { unit: 'multiple of reference price', min: 1 },
  brownfield_share: { unit: 'fraction', min: 0, max: 1 },
  demand_choke_multiple: { unit: 'multiple of reference price', min: 0 },
  vault_budget_usd: { unit: 'USD', min: 0 },
  vault_cover_days: { unit: 'days', min: 0, max: 366 },
  risk_licensing_share: { unit: 'fraction', min: 0, max: 1 },
  risk_quota_share: { unit: 'fraction', min: 0, max: 1 },
};

/**
 * The spec of a parameter the simulation asks for, or undefined for a user's own: looked up as an own key, so that an
 * id an object inherits ('constructor', 'toString') is a user's own too, not Object's.
 */
export function parameterSpec(id: string): ParameterSpec | undefined {
  return Object.hasOwn(PARAMETER_SPECS, id) ? PARAMETER_SPECS[id] : undefined;
}
