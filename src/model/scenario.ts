/**
 * Scenario files (YAML or JSON): a baseline plus dated overlays, in the manner of OpenFisca's reforms. A scenario may
 * `extend` another; its sections overlay the base's (objects merge key by key, lists replace). Everything dated
 * carries the year it takes effect, so "what was in force in year Y" is a question the file answers.
 *
 * Validated with zod; errors name the file, line, column and the path inside the document. The JSON Schema for
 * editors is generated from the same definition (`lodestone scenario schema`).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MAX_COST_PLUS_MARGIN } from '../admin/reference-price.ts';
import { BASE_YEAR } from '../data/schema.ts';
import { closest } from '../suggest.ts';
import { describeIssue, InputError, type Locate, type RawDocument, readRawDocument } from './document.ts';
import { calendarYear, commodityId, regionCode } from './fields.ts';
import { RisksSchema } from './risks.ts';
import { DEFAULT_DOMINANT_SUPPLIER } from './world.ts';

const code = regionCode;
const commodity = commodityId;
const year = calendarYear;
const share = z.number().finite().min(0).max(1);
const usd = z.number().finite().nonnegative().describe('US dollars');
const quantity = z.number().finite().nonnegative();
/** A price: a number in the commodity's price unit, or a string with its unit, e.g. "110 USD/kg". */
const price = z
  .union([
    z
      .number()
      .finite()
      .positive({
        error: (issue) =>
          `${issue.input} is ${Number(issue.input) < 0 ? 'negative' : 'zero'}: a price must be above zero`,
      }),
    z
      .string()
      .refine((s) => !/^\s*-/.test(s), { error: (issue) => `'${issue.input}' is negative: a price must be above zero` })
      .refine((s) => !(Number.parseFloat(s) === 0), {
        error: (issue) => `'${issue.input}' is zero: a price must be above zero`,
      })
      // '1e309 USD/kg' reads as an infinite price, which the engine refuses years into a run with no place named.
      .refine((s) => !(Number.parseFloat(s) === Number.POSITIVE_INFINITY), {
        error: (issue) => `'${issue.input}' is too large to be a number (beyond 1.8e308): give a finite price`,
      })
      .regex(/^\s*\d+(\.\d+)?(e\d+)?\s+USD\/\S+.*$/, "must be a number, or a price with its unit such as '110 USD/kg'"),
  ])
  .describe("Price in the commodity's price unit, or a string with its unit such as '110 USD/kg'");
/** A yearly growth rate of demand: -0.05 is 5% less each year. */
const growthRate = z
  .number({ error: 'expected a growth rate per year, a number such as 0.03' })
  .finite()
  .min(-0.5, 'a yearly growth rate must be at least -0.5 (-50% a year)')
  .max(1, 'a yearly growth rate must be at most 1 (+100% a year)');
const destinations = z
  .union([z.array(code).min(1), z.literal('members'), z.literal('*')])
  .describe("Destination regions, 'members' for the zone's members at the time, or '*' for everyone");

/**
 * How a review carries the rule's new price into the one in force (admin/reference-price.ts adjustReferencePrice, as
 * the secretariat's schedules do — MODEL.md §7: smoothed, reviewed on a schedule).
 */
const reviewAdjustment = {
  smoothing: z
    .number()
    .finite()
    .min(0)
    .lt(1)
    .optional()
    .describe('Weight on the price in force at a review: new = w × in force + (1 − w) × computed (default 0)'),
  maxChange: z
    .number()
    .finite()
    .min(0)
    .optional()
    .describe('Largest change at a review, as a share of the price in force (0.2: ±20%; default: none)'),
};

const referencePrice = z
  .discriminatedUnion('rule', [
    z
      .object({
        rule: z.literal('fixed'),
        price,
        from: year.optional(),
      })
      .strict(),
    z
      .object({
        rule: z.literal('cost-plus'),
        /** Mark-up over the capacity-weighted cash cost of members' producers. */
        margin: z.number().finite().min(0).max(MAX_COST_PLUS_MARGIN),
        from: year.optional(),
        review: z.number().int().min(1).max(20).optional().describe('Years between reviews (default: never)'),
        ...reviewAdjustment,
      })
      .strict(),
    z
      .object({
        rule: z.literal('incentive-marginal'),
        /** The bloc's own supply the price must make bankable, as a share of bloc use. */
        target: z.number().finite().gt(0).max(1),
        /** Whose supply counts toward the target: members only, or every producer outside the dominant supplier and the other non-market economies (model/regions.ts). */
        supply: z.enum(['members', 'market-economies']).optional(),
        from: year.optional(),
        review: z.number().int().min(1).max(20).optional(),
        ...reviewAdjustment,
      })
      .strict(),
  ])
  .describe(
    'A reference price (floor) for one commodity: fixed, cost-plus, or the incentive price of the marginal project',
  );

const stockpile = z
  .object({
    /** The member holding the stock, or 'zone' for a joint stockpile held in every member from one budget. */
    member: z.union([z.literal('zone'), code]),
    commodities: z.array(commodity).min(1),
    /** Holdings target in days of the member's net imports (of the previous year), as in the IEA oil-stock system. */
    obligationDays: z.number().finite().nonnegative().max(3650),
    /** Total spending allowed over the horizon, USD. */
    budget: usd,
    /** Largest holdings per commodity, over every member holding it, in the commodity's unit (default: no limit). */
    capacity: z.record(commodity, quantity).optional(),
    /**
     * How a joint stockpile's budget is shared among members: in proportion to what each must buy to meet its
     * obligation ('net-imports', the default), to members' spending on the commodities ('consumption'), or by agreed
     * shares per member.
     */
    sharingKey: z
      .union([z.literal('net-imports'), z.literal('consumption'), z.record(code, z.number().finite().nonnegative())])
      .optional(),
    /** Share of the gap to the target that may be bought in one year (default 0.5). */
    fillRate: share.optional(),
    /**
     * Buy in a year when last year's price was at or below this multiple of the reference price (default 1): the
     * purchases are a yearly plan, bought at the year's price unless it reaches the ceiling the releases defend.
     */
    buyBelow: z.number().finite().positive().max(10).optional(),
    /** Release when the price reaches this multiple of the pre-shock price (default: parameter stock_release_trigger): the stock defends a ceiling. */
    releaseAbove: z.number().finite().min(1).max(100).optional(),
    /** Largest share of holdings released in one year (default 0.5). */
    releaseShare: share.optional(),
    from: year.optional(),
  })
  .strict();

const shock = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('ban'),
      origin: code,
      commodities: z.union([z.array(commodity).min(1), z.literal('*')]),
      destinations,
      start: year,
      duration: z.number().int().min(1).max(100).describe('Years'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('quota'),
      origin: code,
      commodity,
      destinations,
      /** Largest total shipments per year to the destinations, in the commodity's unit. */
      quota: quantity,
      start: year,
      duration: z.number().int().min(1).max(100),
    })
    .strict(),
  z
    .object({
      kind: z.literal('outage'),
      region: code,
      commodity,
      /** Share of the region's capacity lost. */
      share,
      start: year,
      duration: z.number().int().min(1).max(100),
    })
    .strict(),
]);

export const ScenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, 'must be a lower-case name such as zone-2026'),
    title: z.string().optional(),
    description: z.string().optional(),
    /** Name of a scenario in scenarios/, or a path relative to this file. */
    extends: z.string().optional(),
    horizon: z
      .object({ start: year, end: year, step: z.literal(1).optional().describe('Years per step (yearly only)') })
      .strict()
      .optional(),
    dominantSupplier: code.optional(),
    zone: z
      .object({
        members: z.array(z.object({ region: code, from: year, until: year.optional() }).strict()).min(1),
        /** Zero tariffs among members (default true). */
        preferential: z.boolean().optional(),
        referencePrices: z.record(commodity, referencePrice).optional(),
        /** How the reference price is defended at the border: a variable levy on non-member imports, or not at all. */
        levy: z.enum(['variable', 'none']).optional(),
        cfds: z
          .array(
            z
              .object({
                commodity,
                strike: price,
                /** Covered output per year, in the commodity's unit (default: all of it). */
                volume: quantity.optional(),
                /** Total payments allowed over the horizon, USD; the contract stops when it is spent. */
                budget: usd.optional(),
                regions: z.array(code).optional().describe('Producers covered (default: every member)'),
                from: year.optional(),
                until: year.optional(),
              })
              .strict(),
          )
          .optional(),
        stockpiles: z.array(stockpile).optional(),
        /** Projects (ids in data/projects.csv) the zone finances: construction starts regardless of price. */
        backedProjects: z.array(z.object({ id: z.string().min(1), from: year }).strict()).optional(),
      })
      .strict()
      .optional(),
    tariffs: z
      .array(
        z
          .object({
            importer: code,
            origin: code.optional(),
            commodity,
            adValorem: z.number().finite().min(0).max(10).optional().describe('Fraction of CIF value'),
            specific: price.optional(),
            from: year,
            until: year.optional(),
          })
          .strict(),
      )
      .optional(),
    exportTaxes: z
      .array(
        z
          .object({
            origin: code,
            commodity,
            rate: z.number().finite().min(0).max(10),
            from: year,
            until: year.optional(),
          })
          .strict(),
      )
      .optional(),
    shocks: z.array(shock).optional(),
    /** Hazards that Monte Carlo ensembles draw shocks from (src/model/risks.ts). */
    risks: RisksSchema.optional(),
    /**
     * Demand growth per year by commodity ('*' for all), replacing the data's rates: a rate, or rates by end-use
     * sector (as in data/demand.csv; '*' for the other sectors).
     */
    demandGrowth: z
      .record(
        z.string(),
        z.union([growthRate, z.record(z.string(), growthRate)], {
          error: "expected a growth rate per year such as 0.03, or rates by end-use sector such as { '*': 0.03 }",
        }),
      )
      .optional(),
    /** Model parameters (data/parameters.csv ids) replaced for this scenario. */
    parameters: z.record(z.string(), z.number().finite()).optional(),
  })
  .strict();

export type ScenarioFile = z.infer<typeof ScenarioSchema>;
export type Shock = z.infer<typeof shock>;
export type ReferencePriceRule = z.infer<typeof referencePrice>;
export type StockpilePolicy = z.infer<typeof stockpile>;
export type PriceValue = z.infer<typeof price>;

/** A scenario with its `extends` chain resolved and the defaults filled in. */
export interface Scenario extends Omit<ScenarioFile, 'extends' | 'horizon'> {
  readonly horizon: { readonly start: number; readonly end: number };
  readonly title: string;
  readonly description: string;
  readonly dominantSupplier: string;
  /** The files it was read from, base first. */
  readonly files: readonly string[];
  /** Where each path of the document came from (file:line:col), for errors found later. */
  readonly locate: Locate;
  /**
   * Which of `files` sets a path (or its deepest ancestor that is set): its index, base first; -1 where no file
   * does (a default). An error between two values points at the later layer's, the override that caused it.
   */
  readonly layerOf: (path: readonly (string | number)[]) => number;
}

/**
 * The years two horizons cover together, earlier start to later end: where a twin run over its pair's years has its
 * dates checked (SimulateOptions.datesWithin).
 */
export function spanning(a: Scenario['horizon'], b: Scenario['horizon']): Scenario['horizon'] {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

export const SCENARIO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scenarios');
export const DEFAULT_HORIZON = { start: 2025, end: 2040 } as const;

/** The built-in scenarios' names, from scenarios/. */
export function builtInScenarios(): string[] {
  return ['baseline', 'zone-2026', 'zone-2026-ban-2027', 'ban-2027'].filter((n) =>
    existsSync(path.join(SCENARIO_DIR, `${n}.yaml`)),
  );
}

/** Resolves a scenario argument: a file path, or the name of a built-in scenario. */
export function scenarioPath(ref: string, relativeTo = process.cwd()): string {
  const asPath = path.resolve(relativeTo, ref);
  if (existsSync(asPath) && !ref.match(/^[a-z0-9-]+$/)) return asPath;
  for (const ext of ['.yaml', '.yml', '.json']) {
    const builtIn = path.join(SCENARIO_DIR, `${ref}${ext}`);
    if (existsSync(builtIn)) return builtIn;
  }
  if (existsSync(asPath)) return asPath;
  const builtIn = builtInScenarios();
  const near = closest(ref, builtIn);
  throw new InputError(
    `${ref}: no such scenario file, and not a built-in scenario (built-in: ${builtIn.join(', ')})` +
      (near ? `; did you mean '${near}'?` : ''),
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Overlay: objects merge key by key, anything else (lists included) replaces. An object that names its variant
 * (a reference-price `rule`, a shock `kind`) is one value: it replaces the base's whole, so that a cost-plus rule
 * over an incentive-marginal one does not inherit its target.
 */
function overlay(base: unknown, top: unknown): unknown {
  if (!isObject(base) || !isObject(top) || 'rule' in top || 'kind' in top) return top === undefined ? base : top;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(top)) out[k] = overlay(base[k], v);
  return out;
}

/**
 * Reads a scenario file and the chain of scenarios it extends. The layers are merged first and validated as one
 * document (an overlay need only say what it changes); an error points into the layer that set the offending value.
 */
export function readScenario(ref: string): Scenario {
  const seen: string[] = [];
  const layers: RawDocument[] = [];
  let file = scenarioPath(ref);
  for (;;) {
    const child = layers[0];
    if (child && seen.includes(file)) {
      // Said at the `extends` that closes the loop, with the loop itself.
      const loop = [...seen.slice(seen.indexOf(file)), file];
      const named = `'${(child.value as Record<string, unknown>).extends}'`;
      throw new InputError(
        `${child.locate(['extends'])}: extends: ${named} ${
          loop.length === 2 ? 'is this file itself' : `closes a loop (${loop.join(' → ')})`
        }: the scenario extends itself`,
      );
    }
    seen.push(file);
    const doc = readRawDocument(file);
    if (!isObject(doc.value))
      throw new InputError(`${doc.locate([])}: (document): expected a mapping of scenario keys`);
    layers.unshift(doc);
    const parent = doc.value.extends;
    if (parent === undefined) break;
    if (typeof parent !== 'string' || parent.trim() === '')
      throw new InputError(`${doc.locate(['extends'])}: extends: expected a scenario name or path`);
    try {
      file = scenarioPath(parent, path.dirname(file));
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      throw new InputError(`${doc.locate(['extends'])}: extends: ${e.message}`);
    }
    if (statSync(file).isDirectory()) {
      throw new InputError(`${doc.locate(['extends'])}: extends: '${parent}' is a folder, not a scenario file`);
    }
  }
  let merged: Record<string, unknown> = {};
  for (const layer of layers) merged = overlay(merged, layer.value) as Record<string, unknown>;
  const top = layers[layers.length - 1] as RawDocument;
  const layerOf = (p: readonly (string | number)[]) => {
    for (let n = p.length; n >= 1; n--) {
      for (let i = layers.length - 1; i >= 0; i--) if ((layers[i] as RawDocument).has(p.slice(0, n))) return i;
    }
    return -1;
  };
  // A scenario's name, title and description are its own (never inherited: a base's would describe another
  // scenario, 'Baseline — no zone' over a zone's results): whatever is wrong with them is in the top file.
  const own = ['name', 'title', 'description'];
  const locate: Locate = (p, options) =>
    (own.includes(String(p[0])) ? top : (layers[layerOf(p)] ?? top)).locate(p, options);
  const topValue = top.value as Record<string, unknown>;
  const document = { ...merged, name: topValue.name, title: topValue.title, description: topValue.description };
  const parsed = ScenarioSchema.safeParse(document);
  if (!parsed.success) {
    throw new InputError(describeIssue(parsed.error, locate, { schema: ScenarioSchema, value: document }));
  }
  const value = parsed.data;
  const horizon = value.horizon ?? DEFAULT_HORIZON;
  if (horizon.end < horizon.start) {
    throw new InputError(
      `${locate(['horizon', 'end'])}: horizon.end ${horizon.end} is before horizon.start ${horizon.start}`,
    );
  }
  // Every simulated year grows from the data's base-year world: an earlier year would be that world relabelled.
  if (horizon.start < BASE_YEAR) {
    throw new InputError(
      `${locate(['horizon', 'start'])}: horizon.start ${horizon.start} is before the data's base year ${BASE_YEAR}: ` +
        `a simulation starts from the ${BASE_YEAR} world, so start the horizon in ${BASE_YEAR} or later ` +
        `(to check the model against past disruptions, see 'lodestone backtest')`,
    );
  }
  return {
    ...value,
    horizon: { start: horizon.start, end: horizon.end },
    title: value.title ?? value.name,
    description: value.description ?? '',
    dominantSupplier: value.dominantSupplier ?? DEFAULT_DOMINANT_SUPPLIER,
    files: layers.map((l) => l.file),
    locate,
    layerOf,
  };
}

/** The JSON Schema of scenario files, for editors (draft 2020-12). */
export function scenarioJsonSchema(): unknown {
  return {
    $id: 'https://lodestone.dev/schema/scenario.json',
    title: 'Lodestone scenario',
    ...z.toJSONSchema(ScenarioSchema, { io: 'input' }),
  };
}
