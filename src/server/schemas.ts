/**
 * The HTTP API's request and response shapes, as zod schemas: Fastify validates requests with them and the OpenAPI
 * document at /openapi.json is generated from the same objects, so the two cannot disagree.
 */
import { z } from 'zod';
import { isIsoDate } from '../admin/dates.ts';
import { formatRatio, parseDecimal } from '../admin/money.ts';
import { MAX_COST_PLUS_MARGIN } from '../admin/reference-price.ts';
import { PRINTABLE } from '../printable.ts';

const DECIMAL = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;

export const RegionCode = z
  .string()
  .regex(/^[A-Z][A-Z0-9]{2,4}$/, 'a region code: ISO 3166-1 alpha-3 (USA, DEU) or EU27')
  .describe('ISO 3166-1 alpha-3 country code, or EU27');
export const CommodityId = z
  .string()
  .max(64)
  .regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, "a commodity id such as 'ndpr/oxide'")
  .describe("mineral/stage, e.g. 'ndpr/oxide' (see `lodestone data schema commodities`)");
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date written YYYY-MM-DD')
  .refine(isIsoDate, 'not a calendar date')
  .describe('a calendar date, YYYY-MM-DD');
export const RecordId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'letters, digits and . _ : / - (starting with a letter or digit)');
/** A decimal quantity: a JSON string ("12.5", exact) or a number; read exactly, never as a binary float. */
export const Decimal = z
  .union([z.string().max(40).regex(DECIMAL, 'a decimal number such as 12.5'), z.number().finite()])
  .describe('a decimal number; a string keeps it exact ("12.5")');

/**
 * A Decimal as the rules read it: its plain decimal text, the same for every way of writing one number ("2", "2.0",
 * 2, "2e0"), so that a replayed request is recognised whichever way its quantity was written. A JSON number goes
 * through its shortest decimal form; an exponent beyond ±50 is left as written, for the rules to refuse.
 */
export function decimalText(value: string | number): string {
  const text = typeof value === 'number' ? String(value) : value;
  const exponent = /e([+-]?\d+)$/i.exec(text)?.[1];
  if (exponent !== undefined && Math.abs(Number(exponent)) > 50) return text;
  try {
    return formatRatio(parseDecimal(text));
  } catch {
    return text;
  }
}
const Cents = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const Unit = z.string().min(1).max(32).describe("a unit such as 'kg NdFeB' or 't LCE'");

export const ErrorResponse = z
  .object({
    statusCode: z.number().int(),
    error: z.string(),
    message: z.string(),
    field: z.string().optional().describe('the request field at fault, as a path (body.quantity)'),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error' });

/**
 * A storage site's id: printable characters, without blanks at either end (' S1' would open a second holding
 * beside 'S1'), so that one site has one spelling.
 */
const SiteId = z.string().min(1).max(64).regex(PRINTABLE, 'a site id: printable characters, no blank at either end');

// ---- schedules ----------------------------------------------------------------------------------------------------

const Supply = z.enum(['members', 'market-economies']).describe('whose producers form the cost curve');
export const PriceMethod = z.discriminatedUnion('rule', [
  z.strictObject({
    rule: z.literal('fixed'),
    // 1e12 USD a unit is far above any price of these goods, and 1e14 cents stays exact as a JSON number.
    price: z.number().positive().max(1e12).describe('USD per price unit, at most 1e12'),
  }),
  z.strictObject({
    rule: z.literal('cost-plus'),
    margin: z
      .number()
      .min(0)
      .max(MAX_COST_PLUS_MARGIN)
      .describe('mark-up on the capacity-weighted mean cost (0.15 = 15%)'),
    supply: Supply.optional(),
  }),
  z.strictObject({
    rule: z.literal('incentive-marginal'),
    target: z.number().gt(0).lte(1).describe('share of bloc use the curve must cover'),
    supply: Supply.optional(),
  }),
]);
export const PriceRequest = z.strictObject({
  commodity: CommodityId,
  method: PriceMethod,
  adjustment: z
    .strictObject({
      smoothing: z.number().min(0).lt(1).optional(),
      maxChange: z.number().min(0).max(10).optional(),
      floor: z.number().positive().finite().optional(),
      ceiling: z.number().positive().finite().optional(),
    })
    .optional(),
});
export const ScheduleRequest = z
  .strictObject({
    effectiveFrom: IsoDate,
    reference: z.string().trim().min(1).max(500).describe('the decision or legal act that adopts the schedule'),
    members: z.array(RegionCode).min(1).max(100).optional().describe('the zone from this date (default: unchanged)'),
    prices: z.array(PriceRequest).max(100),
  })
  .meta({ id: 'ScheduleRequest' });

const Step = z.object({
  id: z.string(),
  region: z.string(),
  capacity: z.number(),
  cost: z.number(),
  kind: z.enum(['producer', 'project']),
});
export const PublishedPrice = z.object({
  commodity: z.string(),
  priceCents: z.number().int().describe('cents per price unit'),
  priceUnit: z.string(),
  method: PriceMethod,
  adjustment: PriceRequest.shape.adjustment,
  explanation: z.object({
    computed: z.number(),
    curve: z
      .object({
        supply: Supply,
        year: z.number(),
        steps: z.array(Step).readonly(),
        blocUse: z.number().optional(),
        required: z.number().optional(),
        marginal: Step.optional(),
        capacityAtPrice: z.number(),
        shortfall: z.string().optional(),
      })
      .optional(),
    previous: z.object({ version: z.number(), priceCents: z.number() }).optional(),
    applied: z.array(z.string()).readonly(),
    rounding: z.literal('half-up'),
  }),
});
export const Schedule = z
  .object({
    version: z.number().int(),
    effectiveFrom: z.string(),
    publishedAt: z.string(),
    publishedBy: z.string(),
    reference: z.string(),
    members: z.array(z.string()).readonly().optional(),
    prices: z.array(PublishedPrice).readonly(),
  })
  .meta({ id: 'Schedule' });
export const InForce = z
  .object({
    date: z.string(),
    members: z.array(z.string()).readonly(),
    membersFrom: z.object({ version: z.number(), effectiveFrom: z.string() }).optional(),
    prices: z
      .array(PublishedPrice.extend({ version: z.number().int(), effectiveFrom: z.string(), reference: z.string() }))
      .readonly(),
  })
  .meta({ id: 'InForce' });

// ---- entries ------------------------------------------------------------------------------------------------------

export const EntryRequest = z
  .strictObject({
    id: RecordId.describe('your id for the entry: submitting it again returns the same answer'),
    date: IsoDate.describe('day of entry: picks the tariff lines and reference prices in force'),
    importer: RegionCode.describe('the importing member (an EU member state imports as EU27)'),
    origin: RegionCode.describe('country of the last substantial transformation'),
    commodity: CommodityId,
    quantity: Decimal,
    unit: Unit.optional().describe("the quantity's unit (default: the commodity's)"),
    customsValueCents: Cents.describe('customs value in US cents'),
    hsCode: z.string().max(32).optional().describe('the national tariff line; omitted: the highest line applies'),
    content: z
      .strictObject({ commodity: CommodityId, quantity: Decimal, unit: Unit.optional() })
      .optional()
      .describe('declared content of a covered upstream commodity (kg NdPr oxide in magnets)'),
  })
  .meta({ id: 'EntryRequest' });

export const DutyAssessment = z
  .object({
    date: z.string(),
    importer: z.string(),
    origin: z.string(),
    originIsMember: z.boolean(),
    commodity: z.string(),
    quantity: z.string(),
    unit: z.string(),
    customsValueCents: z.number().int(),
    lines: z
      .array(
        z.object({
          kind: z.enum(['ordinary', 'levy']),
          description: z.string(),
          amountCents: z.number().int(),
          basis: z.record(z.string(), z.union([z.string(), z.number()])),
        }),
      )
      .readonly(),
    ordinaryDutiesCents: z.number().int(),
    dutyPaidValueCents: z.number().int(),
    levyCents: z.number().int(),
    amountDueCents: z.number().int(),
    amountDue: z.string(),
    notes: z.array(z.string()).readonly(),
    rounding: z.string(),
  })
  .meta({ id: 'DutyAssessment' });

/** An entry as recorded (quantities as decimal strings). */
const RecordedEntry = z.object({
  id: z.string(),
  date: z.string(),
  importer: z.string(),
  origin: z.string(),
  commodity: z.string(),
  quantity: z.string(),
  unit: z.string().optional(),
  customsValueCents: z.number().int(),
  hsCode: z.string().optional(),
  content: z.object({ commodity: z.string(), quantity: z.string(), unit: z.string().optional() }).optional(),
});

export const StoredEntry = z
  .object({
    id: z.string(),
    submittedBy: z.string(),
    createdAt: z.string(),
    entry: RecordedEntry,
    assessment: DutyAssessment,
  })
  .meta({ id: 'Entry' });

// ---- vault --------------------------------------------------------------------------------------------------------

export const VaultTransactionRequest = z
  .strictObject({
    id: RecordId.describe('your id for the transaction: submitting it again returns the same answer'),
    kind: z.enum(['purchase', 'release', 'transfer']),
    date: IsoDate,
    member: RegionCode.describe('the holder (an EU member state holds as EU27)'),
    commodity: CommodityId,
    site: SiteId.describe('storage site id'),
    quantity: Decimal.describe("in the commodity's unit, at most six decimals"),
    valueCents: Cents.optional().describe('purchase cost or release proceeds, in US cents'),
    toMember: RegionCode.optional().describe('transfer: the receiving member (default: the same)'),
    toSite: SiteId.optional().describe('transfer: the receiving site (default: the same)'),
    note: z.string().max(500).optional(),
  })
  .meta({ id: 'VaultTransactionRequest' });

const Holding = z.object({
  member: z.string(),
  commodity: z.string(),
  site: z.string(),
  quantity: z.string(),
  unit: z.string(),
});
export const VaultTransactionResponse = z.object({
  created: z.boolean(),
  transaction: z.object({
    seq: z.number().int(),
    id: z.string(),
    recordedBy: z.string(),
    recordedAt: z.string(),
    request: z.object({
      id: z.string(),
      kind: z.enum(['purchase', 'release', 'transfer']),
      date: z.string(),
      member: z.string(),
      commodity: z.string(),
      site: z.string(),
      quantity: z.string(),
      valueCents: z.number().int().optional(),
      toMember: z.string().optional(),
      toSite: z.string().optional(),
      note: z.string().optional(),
    }),
  }),
  holdings: z.array(Holding).describe('the holdings the transaction changed, after it'),
});
const ComplianceRow = z.object({
  member: z.string(),
  commodity: z.string(),
  holdings: z.string(),
  unit: z.string(),
  year: z.number(),
  netImportsPerYear: z.number(),
  obligationDays: z.number(),
  required: z.string(),
  daysOfCover: z.number().nullable().describe('to 15 significant digits'),
  shortfall: z.string(),
  compliant: z.boolean(),
});
/**
 * A number in a query string, in plain digits ('60', '12.5'), read as a number: not '0x10', '1e2', ' 7' or '' (an
 * empty parameter), all of which Number() reads.
 */
const queryNumber = (decimals: boolean) =>
  z
    .string()
    .regex(
      decimals ? /^\d{1,9}(\.\d{1,9})?$/ : /^\d{1,15}$/,
      decimals ? 'a number in digits, such as 60 or 12.5' : 'a whole number in digits, such as 60',
    )
    .transform(Number);

export const HoldingsQuery = z.strictObject({
  commodity: CommodityId.optional(),
  obligationDays: queryNumber(true)
    .pipe(z.number().positive().max(3650))
    .optional()
    .describe('add compliance with an obligation of this many days of net imports'),
});
export const HoldingsResponse = z
  .object({
    holdings: z.array(Holding).describe('secretariat: every holding; a member: its own'),
    others: z
      .array(z.object({ commodity: z.string(), quantity: z.string(), unit: z.string(), members: z.number().int() }))
      .optional()
      .describe("a member's view: the other members' holdings in aggregate, per commodity"),
    compliance: z.array(ComplianceRow).optional(),
  })
  .meta({ id: 'Holdings' });

// ---- releases, audit ----------------------------------------------------------------------------------------------

export const AllocationRequest = z
  .strictObject({
    commodity: CommodityId,
    quantity: Decimal.describe('the collective release to share, in the commodity unit'),
    date: IsoDate.optional().describe('the members in force on this date share it (default: today)'),
    key: z
      .record(RegionCode, z.number().nonnegative().finite())
      .optional()
      .describe(
        'weights by member; default: share of bloc consumption in the data year (for a stage no member consumes as such, what their consumption of downstream goods embodies)',
      ),
  })
  .meta({ id: 'AllocationRequest' });
export const Allocation = z
  .object({
    commodity: z.string(),
    unit: z.string(),
    quantity: z.string(),
    date: z.string(),
    key: z.object({
      basis: z.string(),
      weights: z
        .record(z.string(), z.number())
        .describe('by member, to 15 significant digits (the shares are computed from the weights unrounded)'),
    }),
    held: z
      .string()
      .optional()
      .describe(
        'what the members hold of the commodity in the vault now (all sites), in the commodity unit (secretariat)',
      ),
    shares: z
      .array(
        z.object({
          member: z.string(),
          quantity: z.string(),
          share: z.number(),
          held: z
            .string()
            .optional()
            .describe('what the member holds of it in the vault now (a member key: its own only)'),
        }),
      )
      .readonly(),
    notes: z
      .array(z.string())
      .readonly()
      .describe(
        'a release above what the vault holds, or shares above what members hold (a member key: its own share only)',
      ),
  })
  .meta({ id: 'Allocation' });

export const AuditQuery = z.strictObject({
  after: queryNumber(false).optional().describe('records after this sequence number'),
  limit: queryNumber(false).pipe(z.number().int().min(1).max(1000)).optional(),
  subject: z.string().max(200).optional(),
});
export const AuditResponse = z.object({
  records: z.array(
    z.object({
      seq: z.number().int(),
      at: z
        .string()
        .describe('when the log took the record, under the lock that numbers it: never before the record before it'),
      actor: z.string(),
      action: z.string(),
      subject: z
        .string()
        .describe(
          "what the record is about: 'schedule:N', 'entry:ID@IMPORTER', 'vault:ID@HOLDER' (before ids were each member's own: 'entry:ID', 'vault:ID'), a key's id",
        ),
      before: z.unknown(),
      after: z.unknown(),
    }),
  ),
});
