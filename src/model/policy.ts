/**
 * A one-period policy: who is in the zone, the reference prices (floors) it defends, the dominant supplier's
 * export controls, CfDs and stockpile operations. Scenarios (many periods, dated overlays) build on this.
 * Validated with zod; every error names the path inside the document.
 */
import { z } from 'zod';

const code = z.string().regex(/^[A-Za-z0-9_*.-]+$/, 'must be a code such as USA, EU27 or ROW');
const commodity = z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, "must be a commodity id such as 'ndpr/oxide'");
const money = z.number().finite().nonnegative();
/** A floor or a strike: zero would be no instrument at all, and is more likely a slip than a choice. */
const price = z
  .number()
  .finite()
  .positive({
    error: (issue) => `${issue.input} is ${Number(issue.input) < 0 ? 'negative' : 'zero'}: a price must be above zero`,
  });
const quantity = z.number().finite().nonnegative();

export const PolicySchema = z
  .object({
    name: z.string().optional(),
    /**
     * The supplier whose hold the zone is built against (default CHN, as in a scenario): it cannot be a member, no
     * CfD pays its producers, and the statistics' share "from" it is measured against it.
     */
    dominantSupplier: code.optional(),
    /** Zone members (ISO3 or EU27). Absent: no zone. `default` stands for the data's default bloc. */
    members: z
      .union([
        z
          .array(code)
          .min(
            1,
            "must name at least one member (leave 'members' out for no zone, or for the default bloc with floors)",
          )
          .superRefine((list, ctx) => {
            list.forEach((m, i) => {
              if (list.indexOf(m) < i) {
                ctx.addIssue({
                  code: 'custom',
                  path: [i],
                  message: `${m} is listed twice (also at members.${list.indexOf(m)})`,
                });
              }
            });
          }),
        z.literal('default'),
      ])
      .optional(),
    /** Reference prices by commodity, in the commodity's price unit; they bind at the border of every member. */
    floors: z.record(commodity, price).optional(),
    /** Preferential trade: zero tariffs between members (default true when there is a zone). */
    preferential: z.boolean().optional(),
    bans: z
      .array(
        z.strictObject({
          origin: code,
          commodities: z.union([z.array(commodity).min(1), z.literal('*')]),
          /** Destinations: region codes, 'members' for the zone, or '*' for everyone. */
          destinations: z.union([z.array(code).min(1), z.literal('members'), z.literal('*')]),
        }),
      )
      .optional(),
    quotas: z
      .array(
        z.strictObject({
          origin: code,
          commodity,
          destinations: z.union([z.array(code).min(1), z.literal('members'), z.literal('*')]),
          quota: quantity,
        }),
      )
      .optional(),
    exportTaxes: z
      .array(z.strictObject({ origin: code, commodity, rate: z.number().finite().min(0).max(10) }))
      .optional(),
    cfds: z
      .array(
        z.strictObject({
          commodity,
          /** Producers in these regions are covered (default: every member). */
          regions: z.array(code).optional(),
          strike: price,
          volume: quantity.optional(),
        }),
      )
      .optional(),
    stockpiles: z
      .array(
        z
          .strictObject({
            region: code,
            commodity,
            buyCap: quantity.optional(),
            buyPrice: money.optional(),
            releaseCap: quantity.optional(),
            releasePrice: money.optional(),
          })
          .superRefine((op, ctx) => {
            // A cap without its price (or a price without its cap) is an operation that never runs: a slip.
            for (const [cap, at] of [
              ['buyCap', 'buyPrice'],
              ['releaseCap', 'releasePrice'],
            ] as const) {
              if ((op[cap] ?? 0) > 0 && op[at] === undefined)
                ctx.addIssue({ code: 'custom', path: [at], message: `${cap} needs ${at}: the price at which it runs` });
              if (op[at] !== undefined && op[cap] === undefined)
                ctx.addIssue({ code: 'custom', path: [cap], message: `${at} needs ${cap}: how much it may move` });
            }
            if (op.buyCap === undefined && op.releaseCap === undefined)
              ctx.addIssue({
                code: 'custom',
                path: [],
                message: 'needs buyCap and buyPrice, releaseCap and releasePrice, or both',
              });
            if (op.buyPrice !== undefined && op.releasePrice !== undefined && op.buyPrice >= op.releasePrice) {
              ctx.addIssue({
                code: 'custom',
                path: ['buyPrice'],
                message: `${op.buyPrice} is not below releasePrice ${op.releasePrice}: the stockpile would buy and release at once`,
              });
            }
          }),
      )
      .optional(),
  })
  .strict();

export type Policy = z.infer<typeof PolicySchema>;

export const NO_ZONE: Policy = {};
