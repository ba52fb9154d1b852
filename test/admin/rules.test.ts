/** Reference prices from the embedded cost curves, schedules in force on a date, and the vault's ledger rules. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRole } from '../../src/admin/access.ts';
import { datasetSupplyCurve } from '../../src/admin/curve.ts';
import {
  adjustReferencePrice,
  costPlusPrice,
  incentiveMarginalPrice,
  ReferencePriceError,
  type SupplyStep,
} from '../../src/admin/reference-price.ts';
import {
  defaultMembers,
  inForceOn,
  publishPrices,
  type Schedule,
  ScheduleError,
  type ScheduleRequest,
} from '../../src/admin/schedule.ts';
import {
  applyTransaction,
  compliance,
  consumptionKey,
  type Holding,
  holdingChanges,
  netImports,
  useKey,
  VaultError,
  type VaultTransaction,
} from '../../src/admin/vault.ts';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';

const catalog = new Catalog(loadDataset());
const BLOC = ['USA', 'EU27', 'JPN', 'MEX'];

/** Publishes requests one after the other, as the service does. */
function publishAll(requests: ScheduleRequest[]): Schedule[] {
  const out: Schedule[] = [];
  for (const [i, r] of requests.entries()) {
    const p = publishPrices(catalog, r, out);
    out.push({
      version: i + 1,
      effectiveFrom: r.effectiveFrom,
      publishedAt: '2026-01-01T00:00:00.000Z',
      publishedBy: 'test',
      reference: r.reference,
      ...(p.members ? { members: p.members } : {}),
      prices: p.prices,
    });
  }
  return out;
}

const step = (id: string, capacity: number, cost: number): SupplyStep => ({
  id,
  region: 'USA',
  capacity,
  cost,
  kind: 'producer',
});

describe('reference-price rules', () => {
  it('incentive-marginal: the cost of the step that first covers the requirement', () => {
    const curve = [step('c', 10, 30), step('a', 10, 10), step('b', 10, 20)];
    expect(incentiveMarginalPrice(curve, 15).price).toBe(20);
    expect(incentiveMarginalPrice(curve, 20).marginal?.id).toBe('b');
    expect(incentiveMarginalPrice(curve, 0).price).toBe(10);
    const short = incentiveMarginalPrice(curve, 31);
    expect(short.price).toBe(30);
    expect(short.shortfall).toMatch(/falls short/);
    expect(() => incentiveMarginalPrice([], 1)).toThrow(ReferencePriceError);
    expect(() => incentiveMarginalPrice(curve, Number.NaN)).toThrow(ReferencePriceError);
  });

  it('cost-plus: the capacity-weighted mean cost, marked up', () => {
    // (10 x 10 + 30 x 20) / 40 = 17.5; x 1.2 = 21
    expect(costPlusPrice([step('a', 10, 10), step('b', 30, 20)], 0.2).price).toBeCloseTo(21, 12);
    expect(() => costPlusPrice([step('a', 10, 10)], -1)).toThrow(/margin/);
    expect(() => costPlusPrice([step('a', 10, 10)], -0.9)).toThrow(/between 0 and 5/);
    expect(() => costPlusPrice([step('a', 10, 10)], 6)).toThrow(/margin/);
    expect(() => costPlusPrice([step('a', 0, 10)], 0.1)).toThrow(/no producer/);
  });

  it('smoothing, then the change cap, then the bounds, each recorded', () => {
    expect(adjustReferencePrice(150, 100, { smoothing: 0.5 })).toEqual({
      price: 125,
      applied: ['smoothed with weight 0.5 on the price in force (100)'],
    });
    const capped = adjustReferencePrice(150, 100, { smoothing: 0.5, maxChange: 0.1 });
    expect(capped.price).toBeCloseTo(110, 12);
    expect(capped.applied).toHaveLength(2);
    expect(adjustReferencePrice(50, 100, { maxChange: 0.2, floor: 90 }).price).toBe(90);
    expect(adjustReferencePrice(500, undefined, { maxChange: 0.2, ceiling: 300 }).price).toBe(300);
    expect(adjustReferencePrice(150, undefined, { smoothing: 0.5 }).applied).toEqual([]);
    expect(() => adjustReferencePrice(1, 1, { smoothing: 1 })).toThrow(/smoothing/);
    expect(() => adjustReferencePrice(1, 1, { floor: 2, ceiling: 1 })).toThrow(/floor/);
  });

  it('property: an adjusted price stays within its bounds and within the cap of the price in force', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (computed, previous, smoothing, maxChange) => {
          const { price } = adjustReferencePrice(computed, previous, { smoothing, maxChange });
          expect(price).toBeGreaterThanOrEqual(previous * (1 - maxChange) * (1 - 1e-12));
          expect(price).toBeLessThanOrEqual(previous * (1 + maxChange) * (1 + 1e-12));
        },
      ),
    );
  });
});

describe('reference prices from the embedded cost curves', () => {
  it('NdPr oxide, members: MP Materials at cash cost plus REO input, the projects at their incentive prices', () => {
    const curve = datasetSupplyCurve(catalog, 'ndpr/oxide', { members: BLOC, supply: 'members' });
    const mp = curve.steps.find((s) => s.id === 'NDPR_USA_MP') as SupplyStep;
    // 2,900 t x 0.45 utilisation; 40,000 USD/t cash cost + 4.65 t REO x 4,717 USD/t (MP's 2024 realised price).
    expect(mp.capacity).toBeCloseTo(1305, 9);
    expect(mp.cost).toBeCloseTo(40_000 + 4.65 * 4717, 6);
    expect(curve.steps.map((s) => s.id).sort()).toEqual(['NDPR_USA_MP', 'PRJ_EF_WHITEMESA_P2', 'PRJ_LYNAS_SEADRIFT']);
    // Seadrift: 1,250 t, capex USD 85m (A_CAPEX_SEPARATION) recovered at 8% over 25 years: 85e6 x 0.0936788 / 1,250
    // = 6,370.16 USD/t on top of its cash cost and REO input.
    const seadrift = curve.steps.find((s) => s.id === 'PRJ_LYNAS_SEADRIFT') as SupplyStep;
    const crf = 0.08 / (1 - 1.08 ** -25);
    expect(seadrift.capacity).toBe(1250);
    expect(seadrift.cost - (85e6 * crf) / 1250).toBeGreaterThan(4.65 * 4717);
  });

  it('publishes incentive-marginal and cost-plus prices with their inputs, rounded half-up to the cent', () => {
    const [s] = publishAll([
      {
        effectiveFrom: '2026-01-01',
        reference: 'Council decision 2026/1',
        prices: [
          { commodity: 'ndpr/oxide', method: { rule: 'incentive-marginal', target: 0.4 } },
          { commodity: 'gallium/refined', method: { rule: 'cost-plus', margin: 0.2 } },
          { commodity: 'cobalt/refined', method: { rule: 'incentive-marginal', target: 0.1 } },
        ],
      },
    ]);
    const [ndpr, gallium, cobalt] = (s as Schedule).prices;
    // Bloc use of NdPr oxide: what the members use of it in the base-year market they observe, as the simulator
    // reads it (no member buys oxide as such: Japan's magnet makers' input), 5,026.6 t; 40% = 2,010.6 t, which White
    // Mesa (6,000 t, the cheapest step, at its incentive price) covers: it is the marginal unit.
    const blocUse = ndpr?.explanation.curve?.blocUse as number;
    expect(blocUse).toBeCloseTo(5_026.6, 1);
    expect(ndpr?.explanation.curve?.required).toBeCloseTo(0.4 * blocUse, 9);
    expect(ndpr?.explanation.curve?.marginal?.id).toBe('PRJ_EF_WHITEMESA_P2');
    const whiteMesa = ndpr?.explanation.curve?.steps.find((x) => x.id === 'PRJ_EF_WHITEMESA_P2');
    expect(ndpr?.priceCents).toBe(Math.round((whiteMesa?.cost ?? Number.NaN) * 100));
    expect(ndpr?.priceUnit).toBe('USD/t NdPr-oxide');
    // Gallium: the one member refinery (Japan, 350 USD/kg) x 1.2 = 420 USD/kg.
    expect(gallium?.priceCents).toBe(42_000);
    expect(gallium?.explanation.computed).toBeCloseTo(420, 9);
    // Cobalt: Finland and Japan both at 22,408.20 USD/t (cash cost + 1.08 t mined Co).
    expect(cobalt?.priceCents).toBe(2_240_820);
    // The price is reproducible from the explanation alone.
    const steps = ndpr?.explanation.curve?.steps ?? [];
    expect(incentiveMarginalPrice(steps, ndpr?.explanation.curve?.required ?? 0).price).toBe(
      ndpr?.explanation.computed,
    );
  });

  it('market economies: no producer in, or owned from, China or another non-market economy (Commerce NME list)', () => {
    const ids = (k: string) =>
      datasetSupplyCurve(catalog, k, { members: BLOC, supply: 'market-economies' }).steps.map((s) => s.id);
    // Russia's gallium refinery, Russia's and Vietnam's tungsten mines, Vietnam's magnet plants, Chinese-owned
    // nickel refining in Indonesia: none is a market economy's cost.
    expect(ids('gallium/refined')).not.toContain('GA_REFINED_RUS');
    expect(ids('gallium/refined')).toContain('GA_REFINED_KOR');
    expect(ids('tungsten/mine')).not.toContain('W_MINE_RUS');
    expect(ids('tungsten/mine')).not.toContain('W_MINE_VNM');
    expect(ids('tungsten/mine')).toContain('W_MINE_PRT');
    expect(ids('ndfeb/magnet')).not.toContain('MAG_VNM');
    expect(ids('nickel/refined')).not.toContain('nickel-refined-idn-chinese');
    expect(ids('nickel/refined')).toContain('nickel-refined-idn');
    // Gallium at 20% of bloc use (0.2 x 59,695.6 = 11,939 kg): Japan's and Korea's 3,000 kg each fall short, so
    // Alcoa's Wagerup project is the marginal unit: 350 USD/kg (the market economies' mean cash cost, assumed) +
    // 400 MUSD x 0.0936788 (8% over 25 years) / 100,000 kg = 724.72 USD/kg. Counting Russia's 6,000 kg, the price
    // was 350 USD/kg.
    const [s] = publishAll([
      {
        effectiveFrom: '2026-01-01',
        reference: 'r',
        prices: [
          {
            commodity: 'gallium/refined',
            method: { rule: 'incentive-marginal', target: 0.2, supply: 'market-economies' },
          },
        ],
      },
    ]);
    const crf = 0.08 / (1 - 1.08 ** -25);
    expect(s?.prices[0]?.explanation.curve?.marginal?.id).toBe('PRJ_ALCOA_WAGERUP_GA');
    expect(s?.prices[0]?.priceCents).toBe(Math.round((350 + (400e6 * crf) / 100_000) * 100));
  });

  it("market economies are the data's: regions.csv's non_market_economy, which an overlay can change", () => {
    const dataset = catalog.dataset;
    const marked = new Catalog({
      ...dataset,
      tables: {
        ...dataset.tables,
        regions: dataset.tables.regions.map((r) =>
          r.code === 'KOR'
            ? { ...r, non_market_economy: true }
            : r.code === 'VNM'
              ? { ...r, non_market_economy: false }
              : r,
        ),
      },
    });
    const ids = (c: Catalog, k: string) =>
      datasetSupplyCurve(c, k, { members: BLOC, supply: 'market-economies' }).steps.map((s) => s.id);
    expect(ids(catalog, 'gallium/refined')).toContain('GA_REFINED_KOR');
    expect(ids(marked, 'gallium/refined')).not.toContain('GA_REFINED_KOR');
    expect(ids(catalog, 'ndfeb/magnet')).not.toContain('MAG_VNM');
    expect(ids(marked, 'ndfeb/magnet')).toContain('MAG_VNM');
  });

  it("members' own curve: a member's plant owned from China is no member's market-economy cost", () => {
    // Indonesia joins: its Chinese-owned nickel refining (1,493,200 t x 0.75) is off the curve, its own
    // (497,733 t x 0.75) on it.
    const curve = datasetSupplyCurve(catalog, 'nickel/refined', { members: [...BLOC, 'IDN'], supply: 'members' });
    const ids = curve.steps.map((s) => s.id);
    expect(ids).toContain('nickel-refined-idn');
    expect(ids).not.toContain('nickel-refined-idn-chinese');
    const [s] = publishAll([
      {
        effectiveFrom: '2026-01-01',
        reference: 'r',
        members: [...BLOC, 'IDN'],
        prices: [{ commodity: 'nickel/refined', method: { rule: 'cost-plus', margin: 0.1 } }],
      },
    ]);
    // 435,299.75 t on the curve (1,555,199.75 t with the Chinese-owned refining: 11,365.46 USD/t published).
    expect(s?.prices[0]?.explanation.curve?.capacityAtPrice).toBeCloseTo(435_299.75, 6);
  });

  it('cost-plus marks up the producers, not projects yet to be built (their incentive price is no cost of production)', () => {
    // NdPr oxide in 2026: the one member producer is MP (1,305 t at 40,000 + 4.65 x 4,717 = 61,934.05 USD/t); White
    // Mesa's and Seadrift's 7,250 t are projects. 1.1 x 61,934.05 = 68,127.455 USD/t. Averaged with the projects'
    // incentive prices it was 64,507.75 USD/t; and lithium chemicals, which no member makes in 2026, were priced
    // at 12,928.05 USD/t on projects alone.
    const [s] = publishAll([
      {
        effectiveFrom: '2026-01-01',
        reference: 'r',
        prices: [{ commodity: 'ndpr/oxide', method: { rule: 'cost-plus', margin: 0.1 } }],
      },
    ]);
    expect(s?.prices[0]?.explanation.computed).toBeCloseTo(1.1 * (40_000 + 4.65 * 4717), 6);
    expect(s?.prices[0]?.explanation.curve?.capacityAtPrice).toBeCloseTo(1305, 9);
    expect(s?.prices[0]?.priceCents).toBe(6_812_746);
    expect(() =>
      publishAll([
        {
          effectiveFrom: '2026-01-01',
          reference: 'r',
          prices: [{ commodity: 'lithium/chemicals', method: { rule: 'cost-plus', margin: 0.1 } }],
        },
      ]),
    ).toThrow(/lithium\/chemicals: no producer to mark up/);
    // By 2028 Thacker (2027) and Lionheart (2028) are built: they are producers, at their cash costs.
    const [later] = publishAll([
      {
        effectiveFrom: '2028-01-01',
        reference: 'r',
        prices: [{ commodity: 'lithium/chemicals', method: { rule: 'cost-plus', margin: 0.1 } }],
      },
    ]);
    expect(later?.prices[0]?.explanation.curve?.capacityAtPrice).toBeCloseTo(40_000 + 21_130, 6);
  });

  it('a target the members cannot reach publishes the top of the curve, with the shortfall', () => {
    // Graphite anode: 60% of the members' 312,573 t is 187,543 t; their whole curve holds 65,579 t (Talga's Vittangi,
    // built by 2026, 19,500 t; Japan's 64,236 t x 0.7, natural and synthetic routes, and the US's 11,250 t x 0.099),
    // whose top step is Japan's synthetic route at 6,000 USD/t, which buys no natural graphite (the natural routes:
    // 2,247 USD/t + 2.5 t natural graphite x 1,070 USD/t = 4,922 USD/t).
    const [s] = publishAll([
      {
        effectiveFrom: '2026-01-01',
        reference: 'r',
        prices: [{ commodity: 'graphite/anode', method: { rule: 'incentive-marginal', target: 0.6 } }],
      },
    ]);
    expect(s?.prices[0]?.explanation.curve?.shortfall).toMatch(/falls short/);
    expect(s?.prices[0]?.explanation.curve?.capacityAtPrice).toBeCloseTo(19_500 + 64_236 * 0.7 + 11_250 * 0.099, 6);
    expect(s?.prices[0]?.priceCents).toBe(600_000);
  });

  it('a rule with nothing to read is an error on the line (no member makes germanium)', () => {
    expect(() =>
      publishAll([
        {
          effectiveFrom: '2026-01-01',
          reference: 'r',
          prices: [{ commodity: 'germanium/refined', method: { rule: 'cost-plus', margin: 0.1 } }],
        },
      ]),
    ).toThrow(/^prices.0: germanium\/refined: no producer to mark up/);
  });
});

describe('schedules: what was in force on a date, and why', () => {
  const schedules = publishAll([
    {
      effectiveFrom: '2026-01-01',
      reference: 'Decision 1',
      prices: [
        { commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 110_000 } },
        { commodity: 'gallium/refined', method: { rule: 'fixed', price: 800 } },
      ],
    },
    {
      effectiveFrom: '2026-07-01',
      reference: 'Decision 2 (review)',
      prices: [{ commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 130_000 }, adjustment: { smoothing: 0.5 } }],
    },
    // Published later, effective earlier: an amendment between the two.
    {
      effectiveFrom: '2026-04-01',
      reference: 'Decision 3 (amendment)',
      prices: [{ commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 100_000 } }],
    },
    { effectiveFrom: '2027-01-01', reference: 'Accession of Korea', members: [...BLOC, 'KOR'], prices: [] },
  ]);

  it('reads the overlays in order of effective date', () => {
    const members = defaultMembers(catalog);
    expect(inForceOn(schedules, '2025-12-31', members).prices).toEqual([]);
    const jan = inForceOn(schedules, '2026-01-01', members);
    expect(jan.prices.map((p) => [p.commodity, p.priceCents, p.version])).toEqual([
      ['gallium/refined', 80_000, 1],
      ['ndpr/oxide', 11_000_000, 1],
    ]);
    expect(inForceOn(schedules, '2026-05-01', members).prices[1]?.version).toBe(3);
    const aug = inForceOn(schedules, '2026-08-01', members);
    expect(aug.prices[1]).toMatchObject({ version: 2, reference: 'Decision 2 (review)', effectiveFrom: '2026-07-01' });
    expect(aug.prices[0]?.version).toBe(1);
    expect(aug.members).toEqual(members);
    const korea = inForceOn(schedules, '2027-06-01', members);
    expect(korea.members).toContain('KOR');
    expect(korea.membersFrom).toEqual({ version: 4, effectiveFrom: '2027-01-01' });
  });

  it('explains a smoothed price by the price in force on its effective date', () => {
    // Decision 2 was published when decision 1 (110,000) was in force on 2026-07-01: (110,000 + 130,000) / 2.
    const v2 = schedules[1]?.prices[0];
    expect(v2?.priceCents).toBe(12_000_000);
    expect(v2?.explanation.previous).toEqual({ version: 1, priceCents: 11_000_000 });
    expect(v2?.explanation.applied[0]).toMatch(/smoothed with weight 0.5/);
  });

  it('refuses a malformed request, naming the field', () => {
    const bad: [ScheduleRequest, RegExp][] = [
      [{ effectiveFrom: '2026-02-30', reference: 'r', prices: [] }, /^effectiveFrom:/],
      [{ effectiveFrom: '2026-02-01', reference: ' ', prices: [] }, /^reference:/],
      [{ effectiveFrom: '2026-02-01', reference: 'r', members: ['XXX'], prices: [] }, /^members.0: unknown region/],
      [
        { effectiveFrom: '2026-02-01', reference: 'r', members: ['ROW'], prices: [] },
        /^members.0: ROW is the rest of the world/,
      ],
      [
        { effectiveFrom: '2026-02-01', reference: 'r', members: ['USA', 'CHN'], prices: [] },
        /^members.1: CHN is the dominant supplier.*cannot be a member/,
      ],
      [
        {
          effectiveFrom: '2026-02-01',
          reference: 'r',
          prices: [{ commodity: 'gallium/refined', method: { rule: 'fixed', price: 999_999_999_999 } }],
        },
        /^prices.0: gallium\/refined: 1\.00e\+12 USD\/kg Ga is .* times gallium\/refined's reference price/,
      ],
      [
        {
          effectiveFrom: '2026-02-01',
          reference: 'r',
          prices: [{ commodity: 'gallium/refined', method: { rule: 'fixed', price: 0.001 } }],
        },
        /^prices.0: gallium\/refined: the price comes out at 0\.001, which rounds to 0 cents/,
      ],
      [
        {
          effectiveFrom: '2026-02-01',
          reference: 'r',
          prices: [{ commodity: 'nope/x', method: { rule: 'fixed', price: 1 } }],
        },
        /^prices.0.commodity: unknown commodity/,
      ],
      [
        {
          effectiveFrom: '2026-02-01',
          reference: 'r',
          prices: [
            { commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 1 } },
            { commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 2 } },
          ],
        },
        /^prices.1.commodity: ndpr\/oxide is listed twice/,
      ],
      [
        {
          effectiveFrom: '2026-02-01',
          reference: 'r',
          prices: [{ commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 0 } }],
        },
        /^prices.0: .*positive/,
      ],
      [
        {
          effectiveFrom: '2026-02-01',
          reference: 'r',
          prices: [{ commodity: 'ndpr/oxide', method: { rule: 'incentive-marginal', target: 1.5 } }],
        },
        /^prices.0: .*target/,
      ],
    ];
    for (const [request, message] of bad) {
      expect(() => publishPrices(catalog, request, []), JSON.stringify(request)).toThrow(ScheduleError);
      expect(() => publishPrices(catalog, request, [])).toThrow(message);
    }
  });
});

describe('vault ledger rules', () => {
  const purchase = (member: string, quantity: bigint, site = 'S1'): VaultTransaction => ({
    kind: 'purchase',
    member,
    commodity: 'gallium/refined',
    site,
    quantity,
    valueCents: 0n,
  });

  it('purchases, releases and transfers move holdings; nothing goes below zero', () => {
    let h: Holding[] = [];
    h = applyTransaction(h, purchase('USA', 10n));
    h = applyTransaction(h, {
      kind: 'transfer',
      member: 'USA',
      commodity: 'gallium/refined',
      site: 'S1',
      quantity: 4n,
      toMember: 'JPN',
      toSite: 'T1',
    });
    h = applyTransaction(h, { ...purchase('JPN', 1n, 'T1'), kind: 'release', valueCents: 0n });
    expect(h.map((x) => [x.member, x.site, x.quantity])).toEqual([
      ['USA', 'S1', 6n],
      ['JPN', 'T1', 3n],
    ]);
    expect(() => applyTransaction(h, { ...purchase('USA', 7n), kind: 'release', valueCents: 0n })).toThrow(VaultError);
    expect(() => holdingChanges(purchase('USA', 0n))).toThrow(/quantity: must be positive/);
    expect(() =>
      holdingChanges({
        kind: 'transfer',
        member: 'USA',
        commodity: 'gallium/refined',
        site: 'S1',
        quantity: 1n,
        toMember: 'USA',
        toSite: 'S1',
      }),
    ).toThrow(/toSite/);
  });

  it('property: transactions conserve the total except for purchases and releases', () => {
    const tx = fc.record({
      kind: fc.constantFrom('purchase', 'release', 'transfer'),
      member: fc.constantFrom('USA', 'JPN', 'EU27'),
      to: fc.constantFrom('USA', 'JPN', 'EU27'),
      site: fc.constantFrom('A', 'B'),
      quantity: fc.bigInt({ min: 1n, max: 1000n }),
    });
    fc.assert(
      fc.property(fc.array(tx, { maxLength: 40 }), (txs) => {
        let h: Holding[] = [];
        let expected = 0n;
        for (const t of txs) {
          const v: VaultTransaction =
            t.kind === 'transfer'
              ? { ...t, kind: 'transfer', commodity: 'k', toMember: t.to, toSite: t.site === 'A' ? 'B' : 'A' }
              : { ...t, kind: t.kind as 'purchase' | 'release', commodity: 'k', valueCents: 0n };
          try {
            h = applyTransaction(h, v);
            if (t.kind === 'purchase') expected += t.quantity;
            if (t.kind === 'release') expected -= t.quantity;
          } catch (e) {
            expect(e).toBeInstanceOf(VaultError);
          }
          expect(h.every((x) => x.quantity >= 0n)).toBe(true);
          expect(h.reduce((s, x) => s + x.quantity, 0n)).toBe(expected);
        }
      }),
    );
  });

  it('compliance with an obligation in days of net imports, rounded up to the millionth', () => {
    // 365 t/yr of net imports, 60 days: 60 t required.
    const c = compliance('USA', 'k', 59_000_000n, 365, 60);
    expect(c.required).toBe(60_000_000n);
    expect(c.shortfall).toBe(1_000_000n);
    expect(c.compliant).toBe(false);
    expect(c.daysOfCover).toBeCloseTo(59, 12);
    // 1 t/yr x 1 day / 365 = 0.00273972602.. t -> 2,740 millionths (rounded up)
    expect(compliance('USA', 'k', 0n, 1, 1).required).toBe(2740n);
    expect(compliance('USA', 'k', 0n, 0, 90)).toMatchObject({ compliant: true, daysOfCover: null });
  });

  it('net imports, the consumption key and the use key from the data (EU member states as EU27)', () => {
    // Gallium 2024: USA uses 19,000 kg and makes none.
    expect(netImports(catalog, 'USA', 'gallium/refined', 2024)).toBe(19_000);
    // Japan uses 30,000 kg and refines 3,000 kg.
    expect(netImports(catalog, 'JPN', 'gallium/refined', 2024)).toBe(27_000);
    expect(consumptionKey(catalog, BLOC, 'gallium/refined', 2024)).toEqual({
      USA: 19_000,
      EU27: 12_000,
      JPN: 30_000,
      MEX: 200,
    });
    // NdPr oxide, which no member buys as such: its use is in the magnets they buy, 0.34 t oxide a tonne.
    const oxide = useKey(catalog, BLOC, 'ndpr/oxide', 2024);
    const magnets = useKey(catalog, BLOC, 'ndfeb/magnet', 2024);
    for (const m of BLOC) expect(oxide[m]).toBeCloseTo(0.34 * (magnets[m] as number), 6);
    expect(Object.values(oxide).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});

describe('roles', () => {
  it('a member key speaks for a country or aggregate of the data, never for the dominant supplier', () => {
    expect(parseRole('member:USA', catalog)).toEqual({ kind: 'member', region: 'USA' });
    expect(parseRole('member:KOR', catalog)).toEqual({ kind: 'member', region: 'KOR' });
    expect(() => parseRole('member:CHN', catalog)).toThrow(
      /role 'member:CHN': CHN is the dominant supplier, whose hold the zone is built against; it cannot be a member/,
    );
    expect(() => parseRole('member:XYZ', catalog)).toThrow(/not a country or aggregate of the data/);
  });
});
