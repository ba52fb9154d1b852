/**
 * The `risks` section of a scenario: what Monte Carlo ensembles draw shocks from (MODEL.md §4, §5). Each control is
 * a hazard — a ban, a quota or an outage on a supplier's commodity — with an annual probability of onset and a
 * distribution of how long an episode lasts. Without a `risks` section (or with `defaults: true`) the hazards are
 * derived from the dated export controls in data/policy_events.csv (src/ensemble/risks.ts says how); the controls
 * listed here are added to them, and replace a derived one with the same kind, supplier, commodity and destinations.
 */
import { z } from 'zod';
import { calendarYear, commodityId, regionCode } from './fields.ts';

const code = regionCode;
const commodity = commodityId;
const year = calendarYear;
const destinations = z
  .union([z.array(code).min(1), z.literal('members'), z.literal('*')])
  .describe("Destination regions, 'members' for the zone's members at the time, or '*' for everyone");

const probability = z
  .number()
  .finite()
  .min(0, 'must be a probability between 0 and 1')
  .max(1, 'must be a probability between 0 and 1 (an annual probability of onset)')
  .describe('Annual probability that an episode starts, in a year when none is in force (0–1)');

/** How many years an episode lasts: fixed, uniform between two bounds, or geometric with a mean. */
export const DurationSchema = z
  .union([
    z.number().int().min(1).max(100).describe('Fixed number of years'),
    z
      .object({
        min: z.number().int().min(1).max(100),
        max: z.number().int().min(1).max(100),
      })
      .strict()
      .refine((d) => d.min <= d.max, {
        path: ['min'],
        error: (issue) => {
          const d = issue.input as { min: number; max: number };
          return `min ${d.min} is above max ${d.max}`;
        },
      })
      .describe('Uniform over the whole years min..max'),
    z
      .object({ mean: z.number().finite().min(1).max(100) })
      .strict()
      .describe('Geometric over 1, 2, 3, ... years with this mean: each year in force ends it with probability 1/mean'),
  ])
  .describe('Duration of an episode in years');

/** A share: a number, or a triangular distribution drawn anew for every episode. */
const shareValue = z
  .union([
    z.number().finite().min(0).max(1),
    z
      .object({
        low: z.number().finite().min(0).max(1),
        central: z.number().finite().min(0).max(1),
        high: z.number().finite().min(0).max(1),
      })
      .strict()
      .refine((v) => v.low <= v.central && v.central <= v.high, {
        error: (issue) => {
          const v = issue.input as { low: number; central: number; high: number };
          return `expected low <= central <= high, got ${v.low}, ${v.central}, ${v.high}`;
        },
      })
      .describe('Triangular distribution on [low, high] with its mode at central'),
  ])
  .describe('A share (0–1), or { low, central, high } drawn from a triangular distribution');

const window = {
  /** First year the hazard can start (default: the horizon's start). */
  from: year.optional(),
  /** Last year the hazard can start (default: the horizon's end). */
  until: year.optional(),
};

export const RiskControlSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('ban'),
        origin: code,
        commodities: z.union([z.array(commodity).min(1), z.literal('*')]),
        destinations,
        probability,
        duration: DurationSchema,
        ...window,
      })
      .strict(),
    z
      .object({
        kind: z.literal('quota'),
        origin: code,
        commodity,
        destinations,
        /** Shipments allowed to the destinations, as a share of the origin's base-year exports to them. */
        share: shareValue,
        probability,
        duration: DurationSchema,
        ...window,
      })
      .strict(),
    z
      .object({
        kind: z.literal('outage'),
        region: code,
        commodity,
        /** Share of the region's capacity lost while the episode lasts. */
        share: shareValue,
        probability,
        duration: DurationSchema,
        ...window,
      })
      .strict(),
  ])
  .describe('A hazard: a kind of control on a supplier and commodity, its annual probability and its duration');

export const RisksSchema = z
  .object({
    /** Derive hazards from data/policy_events.csv (default true); false keeps only the controls listed here. */
    defaults: z.boolean().optional(),
    /** First year of the window of observed policy events the defaults are derived from (default 2023). */
    since: year.optional(),
    controls: z.array(RiskControlSchema).optional(),
  })
  .strict()
  .describe('What Monte Carlo ensembles (lodestone ensemble) draw export controls and outages from');

export type Risks = z.infer<typeof RisksSchema>;
export type RiskControl = z.infer<typeof RiskControlSchema>;
export type Duration = z.infer<typeof DurationSchema>;
export type ShareValue = z.infer<typeof shareValue>;
