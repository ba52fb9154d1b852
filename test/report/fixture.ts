/**
 * A small but realistic comparison, written by hand: a zone with an NdPr-oxide reference price from 2026 and a
 * gallium stockpile, against no zone; in both runs the dominant supplier bans gallium exports to members in 2027.
 * Two runs, three years, two commodities. Derived fields (consumer cost, totals, self-sufficiency, shares, days of
 * cover) are computed from the primary ones the way the simulator defines them, so the numbers hang together.
 */
import { WELFARE_PARTS } from '../../src/model/welfare.ts';
import type { CommodityYear, Comparison, CostCurve, SimulationResult, YearResult } from '../../src/simulate/result.ts';

export const YEARS = [2026, 2027, 2028] as const;
export const NDPR = 'ndpr/oxide';
export const GALLIUM = 'gallium/refined';
const MEMBERS = ['USA', 'EU27', 'JPN', 'MEX'];
/** Base-year reference prices that value lost consumption. */
const BASE_PRICE: Record<string, number> = { [NDPR]: 62_000, [GALLIUM]: 350 };

interface Primary {
  commodity: string;
  unit: string;
  priceUnit: string;
  priceInside: number;
  priceOutside: number;
  referencePrice: number | null;
  production: number;
  consumption: number;
  blocProduction: number;
  blocUse: number;
  blocConsumption: number;
  /** Imports by origin (the bloc's own production at home is added as 'bloc'). */
  imports: Record<string, number>;
  levyRevenue: number;
  cfdCost: number;
  stock: number;
  stockBought: number;
  stockReleased: number;
  consumptionLost: number;
  blocCapacity: number;
}

function commodityYear(p: Primary): CommodityYear {
  const home = p.blocProduction;
  const imports = Object.values(p.imports).reduce((s, q) => s + q, 0);
  const supplyByOrigin = [
    { region: 'bloc', quantity: home },
    ...Object.entries(p.imports)
      .sort((a, b) => b[1] - a[1])
      .map(([region, quantity]) => ({ region, quantity })),
    ...(p.stockReleased > 0 ? [{ region: 'stocks', quantity: p.stockReleased }] : []),
  ];
  const supplied = supplyByOrigin.reduce((s, o) => s + o.quantity, 0);
  return {
    commodity: p.commodity,
    unit: p.unit,
    priceUnit: p.priceUnit,
    priceInside: p.priceInside,
    priceOutside: p.priceOutside,
    referencePrice: p.referencePrice,
    production: p.production,
    consumption: p.consumption,
    blocProduction: p.blocProduction,
    blocUse: p.blocUse,
    blocConsumption: p.blocConsumption,
    selfSufficiency: home / p.blocUse,
    dominantShare: (p.imports.CHN ?? 0) / supplied,
    supplyByOrigin,
    supplyHhi: supplied > 0 ? supplyByOrigin.reduce((s, o) => s + (100 * (o.quantity / supplied)) ** 2, 0) : null,
    consumerCost: p.blocConsumption * p.priceInside,
    levyRevenue: p.levyRevenue,
    cfdCost: p.cfdCost,
    stock: p.stock,
    stockBought: p.stockBought,
    stockReleased: p.stockReleased,
    stockNetCost: (p.stockBought - p.stockReleased) * p.priceInside,
    daysOfCover: imports > 0 ? p.stock / (imports / 365) : null,
    consumptionLost: p.consumptionLost,
    blocCapacity: p.blocCapacity,
  };
}

const ndpr = (p: Partial<Primary>): Primary => ({
  commodity: NDPR,
  unit: 't NdPr-oxide',
  priceUnit: 'USD/t NdPr-oxide',
  priceInside: 62_000,
  priceOutside: 61_000,
  referencePrice: null,
  production: 98_000,
  consumption: 96_500,
  blocProduction: 8_000,
  blocUse: 27_000,
  blocConsumption: 25_500,
  imports: { CHN: 16_000, MYS: 3_000 },
  levyRevenue: 0,
  cfdCost: 0,
  stock: 0,
  stockBought: 0,
  stockReleased: 0,
  consumptionLost: 0,
  blocCapacity: 9_000,
  ...p,
});

const gallium = (p: Partial<Primary>): Primary => ({
  commodity: GALLIUM,
  unit: 'kg Ga',
  priceUnit: 'USD/kg Ga',
  priceInside: 380,
  priceOutside: 365,
  referencePrice: null,
  production: 760_000,
  consumption: 740_000,
  blocProduction: 12_000,
  blocUse: 310_000,
  blocConsumption: 305_000,
  imports: { CHN: 268_000, KOR: 30_000 },
  levyRevenue: 0,
  cfdCost: 0,
  stock: 0,
  stockBought: 0,
  stockReleased: 0,
  consumptionLost: 0,
  blocCapacity: 20_000,
  ...p,
});

function year(
  y: number,
  primaries: Primary[],
  events: string[],
  projects: YearResult['projects'] = [],
  residual = 2.4e-10,
): YearResult {
  const commodities = primaries.map(commodityYear);
  const sum = (f: (c: CommodityYear) => number) => commodities.reduce((s, c) => s + f(c), 0);
  return {
    year: y,
    bloc: ['USA', 'EU27', 'JPN', 'MEX'],
    commodities,
    totals: {
      consumerCost: sum((c) => c.consumerCost),
      levyRevenue: sum((c) => c.levyRevenue),
      cfdCost: sum((c) => c.cfdCost),
      stockNetCost: sum((c) => c.stockNetCost),
      stockValue: sum((c) => c.stock * (c.priceInside ?? 0)),
      consumptionLostValue: sum((c) => c.consumptionLost * (BASE_PRICE[c.commodity] ?? 0)),
    },
    events,
    projects,
    certificate: { maxResidual: residual, iterations: 14 + y - 2026 },
  };
}

const BAN = 'CHN bans exports of gallium/refined to members';

const costCurve: CostCurve = {
  commodity: NDPR,
  year: 2026,
  unit: 't NdPr-oxide',
  priceUnit: 'USD/t NdPr-oxide',
  steps: [
    { id: 'cn-baotou', region: 'CHN', capacity: 60_000, cost: 38_000, kind: 'producer', member: false, dominant: true },
    {
      id: 'cn-sichuan',
      region: 'CHN',
      capacity: 25_000,
      cost: 45_500,
      kind: 'producer',
      member: false,
      dominant: true,
    },
    {
      id: 'my-kuantan',
      region: 'MYS',
      capacity: 7_000,
      cost: 52_000,
      kind: 'producer',
      member: false,
      dominant: false,
    },
    {
      id: 'us-mountain-pass',
      region: 'USA',
      capacity: 6_000,
      cost: 61_000,
      kind: 'producer',
      member: true,
      dominant: false,
    },
    {
      id: 'eu-la-rochelle',
      region: 'EU27',
      capacity: 2_500,
      cost: 79_000,
      kind: 'producer',
      member: true,
      dominant: false,
    },
    {
      id: 'us-fort-worth',
      region: 'USA',
      capacity: 4_000,
      cost: 88_000,
      kind: 'project',
      member: true,
      dominant: false,
    },
    {
      id: 'br-serra-verde',
      region: 'BRA',
      capacity: 5_000,
      cost: 99_000,
      kind: 'project',
      member: false,
      dominant: false,
    },
  ],
  referencePrice: 95_000,
  blocUse: 27_400,
};

export function scenarioRun(): SimulationResult {
  return {
    scenario: {
      name: 'zone-2026-ban-2027',
      title: 'Zone from 2026, gallium ban in 2027',
      description: 'USA, EU, Japan and Mexico form the zone in 2026 with an NdPr-oxide floor and a gallium stockpile.',
    },
    members: MEMBERS,
    dominantSupplier: 'CHN',
    years: [
      year(
        2026,
        [
          ndpr({
            priceInside: 95_000,
            priceOutside: 60_500,
            referencePrice: 95_000,
            blocProduction: 9_000,
            blocUse: 27_400,
            blocConsumption: 24_100,
            imports: { CHN: 15_400, MYS: 3_000 },
            levyRevenue: 512_000_000,
            cfdCost: 61_000_000,
            consumptionLost: 1_400,
            blocCapacity: 9_500,
          }),
          gallium({ stock: 60_000, stockBought: 60_000, levyRevenue: 0 }),
        ],
        ['zone in force: USA, EU27, JPN, MEX', 'reference price for ndpr/oxide: 95,000 USD/t NdPr-oxide'],
      ),
      year(
        2027,
        [
          ndpr({
            priceInside: 104_500.25,
            priceOutside: 66_250,
            referencePrice: 95_000,
            blocProduction: 12_500,
            blocUse: 28_000,
            blocConsumption: 23_700,
            imports: { CHN: 12_000, MYS: 3_500 },
            levyRevenue: 498_400_000.5,
            cfdCost: 0,
            consumptionLost: 2_300,
            blocCapacity: 13_500,
          }),
          gallium({
            priceInside: 910,
            priceOutside: 240,
            blocConsumption: 262_000,
            blocUse: 265_000,
            imports: { CHN: 0, KOR: 213_000 },
            stock: 20_000,
            stockReleased: 40_000,
            consumptionLost: 43_000,
            blocProduction: 12_000,
          }),
        ],
        [BAN],
        [
          {
            id: 'us-fort-worth',
            commodity: NDPR,
            region: 'USA',
            event: 'backed',
            capacity: 4_000,
            incentivePrice: 88_000,
          },
        ],
      ),
      year(
        2028,
        [
          ndpr({
            priceInside: 97_100,
            priceOutside: 63_900,
            referencePrice: 95_000,
            blocProduction: 16_500,
            blocUse: 28_600,
            blocConsumption: 24_900,
            imports: { CHN: 9_100, MYS: 3_000 },
            levyRevenue: 401_000_000,
            cfdCost: 12_500_000,
            consumptionLost: 900,
            blocCapacity: 17_500,
          }),
          gallium({
            priceInside: 655,
            priceOutside: 255,
            blocConsumption: 280_000,
            blocUse: 283_000,
            blocProduction: 18_000,
            imports: { CHN: 0, KOR: 250_000 },
            stock: 35_000,
            stockBought: 15_000,
            consumptionLost: 25_000,
            blocCapacity: 26_000,
          }),
        ],
        [BAN],
        [
          {
            id: 'us-fort-worth',
            commodity: NDPR,
            region: 'USA',
            event: 'online',
            capacity: 4_000,
            incentivePrice: null,
          },
        ],
        3.1e-10,
      ),
    ],
    costCurves: [costCurve],
    notes: [
      'gallium/refined: the 2027 ban is bridged by stock releases of 40,000 kg Ga',
      'br-serra-verde has no start year: shown on the cost curve at its incentive price only',
    ],
  };
}

export function againstRun(): SimulationResult {
  return {
    scenario: {
      name: 'ban-2027',
      title: 'Gallium ban in 2027, no zone',
      description: 'No zone; the dominant supplier bans gallium exports to the four economies in 2027.',
    },
    members: MEMBERS,
    dominantSupplier: 'CHN',
    years: [
      year(2026, [ndpr({}), gallium({})], []),
      year(
        2027,
        [
          ndpr({ priceInside: 71_800, priceOutside: 70_900, blocProduction: 8_200 }),
          gallium({
            priceInside: 1_480,
            priceOutside: 230,
            blocConsumption: 215_000,
            blocUse: 218_000,
            imports: { CHN: 0, KOR: 206_000 },
            consumptionLost: 90_000,
          }),
        ],
        [BAN],
      ),
      year(
        2028,
        [
          ndpr({ priceInside: 66_400, priceOutside: 65_700, blocProduction: 8_400 }),
          gallium({
            priceInside: 1_120,
            priceOutside: 250,
            blocConsumption: 246_000,
            blocUse: 252_000,
            blocProduction: 18_000,
            imports: { CHN: 0, KOR: 234_000 },
            consumptionLost: 59_000,
          }),
        ],
        [BAN],
      ),
    ],
    costCurves: [],
    notes: [],
  };
}

export function comparison(): Comparison {
  return { scenario: scenarioRun(), against: againstRun() };
}

/** A deep copy with one value replaced: path like ['scenario', 'years', 1, 'commodities', 0, 'priceInside']. */
export function withValue(c: Comparison, at: readonly (string | number)[], value: unknown): Comparison {
  const copy = structuredClone(c) as unknown as Record<string | number, unknown>;
  let node = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[at[at.length - 1] as string | number] = value;
  return copy as unknown as Comparison;
}

/** Regions of the welfare split added by withWelfare: the members, then two non-members. */
export const WELFARE_REGIONS = [...MEMBERS, 'CHN', 'BRA'] as const;

/**
 * The comparison with a welfare split in every year of both runs (as the simulator writes it since it exists), its
 * parts made up per run, year and region but adding up as model/welfare.ts adds them: government revenue from its
 * flows, total from the parts, bloc and world as sums over the regions.
 */
export function withWelfare(c: Comparison = comparison()): Comparison {
  const copy = structuredClone(c) as {
    -readonly [K in keyof Comparison]: { -readonly [F in keyof SimulationResult]: SimulationResult[F] };
  };
  for (const [r, role] of (['scenario', 'against'] as const).entries()) {
    const run = copy[role];
    run.years = run.years.map((y, t) => {
      const byRegion = WELFARE_REGIONS.map((region, i) => {
        const member = MEMBERS.includes(region);
        const levies = member ? (1 - r) * (40e6 + 7.25e6 * i + 3.5e6 * t) : 0;
        const duties = 2.1e6 * (i + 1) + 0.4e6 * t;
        const exportTaxes = member ? 0 : 5.5e6 + 1.75e6 * t;
        const cfdPayments = member ? (1 - r) * 3.3e6 * (i % 2) : 0;
        const stockNetPurchases = member ? (1 - r) * (t === 0 ? 12.5e6 : -2.25e6) : 0;
        const governmentRevenue = levies + duties + exportTaxes - cfdPayments - stockNetPurchases;
        const consumerSurplus = 9.5e9 + 1.1e9 * i - (member ? (1 - r) * (160e6 + 21.5e6 * i * (t + 1)) : 0);
        const producerSurplus = 2.2e9 + 0.3e9 * i + (region === 'USA' ? (1 - r) * 85.75e6 * (t + 1) : 0) - 11e6 * r;
        const quotaRents = region === 'CHN' ? 70e6 + r * 15.5e6 * t : 0;
        return {
          region,
          member,
          consumerSurplus,
          producerSurplus,
          quotaRents,
          levies,
          duties,
          exportTaxes,
          cfdPayments,
          stockNetPurchases,
          governmentRevenue,
          total: consumerSurplus + producerSurplus + quotaRents + governmentRevenue,
        };
      });
      const add = (rows: typeof byRegion) => {
        return Object.fromEntries(WELFARE_PARTS.map((k) => [k, rows.reduce((s, x) => s + x[k], 0)])) as Record<
          (typeof WELFARE_PARTS)[number],
          number
        >;
      };
      return { ...y, welfare: { byRegion, bloc: add(byRegion.filter((x) => x.member)), world: add(byRegion) } };
    });
  }
  return copy;
}
