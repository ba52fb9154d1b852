/**
 * The welfare split (MODEL.md §6) on markets worked by hand: a specific and an ad valorem tariff (the Harberger
 * triangle), a floor with its levy, an export tax, an export quota's rent, a CfD and a stockpile; the consumer
 * surplus of each kind of demand curve; and, on a market with stages, freight and a tariff, the world's total against
 * the surplus-maximising program of Samuelson–Takayama–Judge (stj.ts), which shares no code with it.
 */
import { describe, expect, it } from 'vitest';
import type { DemandCurve, EquilibriumProblem } from '../../src/equilibrium/problem.ts';
import { solveEquilibrium } from '../../src/equilibrium/solve.ts';
import { solveSurplus } from '../../src/equilibrium/stj.ts';
import { curveSurplus, type PeriodWelfare, periodWelfare, WELFARE_PARTS } from '../../src/model/welfare.ts';

const K = 'widget/metal';
const CLOSE = 6;

/**
 * A makes all it wants at 10 (capacity 1000) and demands 50 − p; B makes 20 at 5 and demands 100 − p; freight 1.
 * Free trade: p_A = 10, p_B = 11, B imports 89 − 20 = 69.
 */
function market(extra: Partial<EquilibriumProblem> = {}, freight = 1): EquilibriumProblem {
  return {
    regions: ['A', 'B'],
    commodities: [K],
    members: [],
    links: [],
    producers: [
      { id: 'a', region: 'A', commodity: K, capacity: 1000, cost: 10 },
      { id: 'b', region: 'B', commodity: K, capacity: 20, cost: 5 },
    ],
    demands: [
      { region: 'A', commodity: K, curve: { kind: 'linear', intercept: 50, slope: 1 } },
      { region: 'B', commodity: K, curve: { kind: 'linear', intercept: 100, slope: 1 } },
    ],
    routes: { default: { freight } },
    ...extra,
  };
}

function welfareOf(problem: EquilibriumProblem, bloc: readonly string[] = []) {
  const solution = solveEquilibrium(problem);
  return { solution, welfare: periodWelfare(problem, solution, bloc) };
}

const row = (w: PeriodWelfare, region: string) => {
  const r = w.byRegion.find((x) => x.region === region);
  if (!r) throw new Error(`no row for ${region}`);
  return r;
};
const imports = (s: ReturnType<typeof solveEquilibrium>) =>
  s.flows.filter((f) => f.from === 'A' && f.to === 'B').reduce((t, f) => t + f.quantity, 0);
/** ∫_lo^hi (100 − s) ds: B's buyers' loss when their price rises from lo to hi. */
const bLoss = (lo: number, hi: number) => 100 * (hi - lo) - (hi * hi - lo * lo) / 2;

const free = welfareOf(market());

describe('free trade', () => {
  it('consumer and producer surplus are the triangles and rectangles by hand; no government revenue', () => {
    const { welfare: w } = free;
    // A: p = 10, CS = ½·40²; its producer sells at its cost. B: p = 11, CS = ½·89², PS = (11 − 5)·20.
    expect(row(w, 'A').consumerSurplus).toBeCloseTo(800, CLOSE);
    expect(row(w, 'A').producerSurplus).toBeCloseTo(0, CLOSE);
    expect(row(w, 'B').consumerSurplus).toBeCloseTo(89 ** 2 / 2, CLOSE);
    expect(row(w, 'B').producerSurplus).toBeCloseTo(120, CLOSE);
    for (const r of w.byRegion) expect(r.governmentRevenue).toBeCloseTo(0, CLOSE);
    expect(w.world.total).toBeCloseTo(800 + 89 ** 2 / 2 + 120, CLOSE);
  });
});

describe('an import tariff: the Harberger triangle', () => {
  it('a specific tariff t: revenue t × imports, and the loss ½·t·Δimports', () => {
    const t = 4;
    const { solution, welfare: w } = welfareOf(
      market({ routes: { default: { freight: 1 }, byPair: [{ commodity: K, from: 'A', to: 'B', specific: t }] } }),
    );
    // p_B = 15: B imports 85 − 20 = 65, 4 fewer.
    const m = imports(solution);
    expect(m).toBeCloseTo(65, CLOSE);
    const dm = imports(free.solution) - m;
    expect(row(w, 'B').duties).toBeCloseTo(t * 65, CLOSE);
    expect(row(w, 'B').governmentRevenue).toBeCloseTo(t * m, CLOSE);
    expect(row(w, 'A').governmentRevenue).toBeCloseTo(0, CLOSE);
    // Consumers lose ∫_11^15 D, producers gain the rise on their 20 t.
    const dCs = (row(w, 'B').consumerSurplus as number) - (row(free.welfare, 'B').consumerSurplus as number);
    expect(dCs).toBeCloseTo(-bLoss(11, 15), CLOSE);
    const dPs = row(w, 'B').producerSurplus - row(free.welfare, 'B').producerSurplus;
    expect(dPs).toBeCloseTo(20 * t, CLOSE);
    expect((w.world.total as number) - (free.welfare.world.total as number)).toBeCloseTo(-0.5 * t * dm, CLOSE);
    expect(0.5 * t * dm).toBeCloseTo(8, CLOSE);
  });

  it('an ad valorem tariff is levied on the CIF value (freight included)', () => {
    const { solution, welfare: w } = welfareOf(market({ routes: { default: { freight: 1, adValorem: 0.25 } } }));
    // Duty-paid 1.25 × (10 + 1) = 13.75: the duty per unit is 2.75, imports 86.25 − 20.
    const m = imports(solution);
    expect(m).toBeCloseTo(66.25, CLOSE);
    expect(row(w, 'B').duties).toBeCloseTo(2.75 * m, CLOSE);
    const dm = imports(free.solution) - m;
    expect((w.world.total as number) - (free.welfare.world.total as number)).toBeCloseTo(-0.5 * 2.75 * dm, CLOSE);
  });
});

describe('a floor with its levy', () => {
  it('the levy (floor − duty-paid value) × imports is the importing member’s revenue; the loss is the triangle', () => {
    const { solution, welfare: w } = welfareOf(
      market({ members: ['B'], floors: [{ region: 'B', commodity: K, price: 14 }] }),
      ['B'],
    );
    // Duty-paid 11, levy 3: p_B = 14, imports 86 − 20 = 66.
    const m = imports(solution);
    expect(m).toBeCloseTo(66, CLOSE);
    expect(row(w, 'B').levies).toBeCloseTo(3 * 66, CLOSE);
    expect(row(w, 'B').duties).toBeCloseTo(0, CLOSE);
    expect(row(w, 'A').governmentRevenue).toBeCloseTo(0, CLOSE);
    expect(w.bloc.governmentRevenue).toBeCloseTo(3 * 66, CLOSE);
    expect(w.bloc.total).toBeCloseTo(row(w, 'B').total as number, CLOSE);
    const dCs = (row(w, 'B').consumerSurplus as number) - (row(free.welfare, 'B').consumerSurplus as number);
    expect(dCs).toBeCloseTo(-bLoss(11, 14), CLOSE);
    expect((w.world.total as number) - (free.welfare.world.total as number)).toBeCloseTo(-0.5 * 3 * 3, CLOSE);
  });
});

describe('an export tax', () => {
  it('rate × the exporter’s price × exports goes to the exporter’s treasury; the importer pays it', () => {
    const { solution, welfare: w } = welfareOf(market({ exportTaxes: [{ origin: 'A', commodity: K, rate: 0.4 }] }));
    // CIF 10·1.4 + 1 = 15: as the specific tariff of 4, but the 4 per unit goes to A.
    const m = imports(solution);
    expect(m).toBeCloseTo(65, CLOSE);
    expect(row(w, 'A').exportTaxes).toBeCloseTo(4 * 65, CLOSE);
    expect(row(w, 'A').governmentRevenue).toBeCloseTo(4 * 65, CLOSE);
    expect(row(w, 'B').governmentRevenue).toBeCloseTo(0, CLOSE);
    const dB = (row(w, 'B').total as number) - (row(free.welfare, 'B').total as number);
    expect(dB).toBeCloseTo(-bLoss(11, 15) + 20 * 4, CLOSE);
    expect((w.world.total as number) - (free.welfare.world.total as number)).toBeCloseTo(-8, CLOSE);
  });
});

describe('an export quota', () => {
  it('its rent λ × the quota goes to the exporting region, apart from its producers', () => {
    const { solution, welfare: w } = welfareOf(
      market({ restrictions: [{ id: 'q', origin: 'A', commodity: K, destinations: ['B'], quota: 50 }] }),
    );
    // B's price clears 100 − p − 20 = 50: p_B = 30, λ = 30 − 11 = 19.
    expect(solution.rents.find((r) => r.restriction === 'q')?.rent).toBeCloseTo(19, CLOSE);
    expect(row(w, 'A').quotaRents).toBeCloseTo(19 * 50, CLOSE);
    expect(row(w, 'A').producerSurplus).toBeCloseTo(0, CLOSE);
    expect(row(w, 'B').quotaRents).toBeCloseTo(0, CLOSE);
    // The 19 units lost between p_B 11 and 30, each worth its price less 11: ½·19·19.
    expect((w.world.total as number) - (free.welfare.world.total as number)).toBeCloseTo(-0.5 * 19 * 19, CLOSE);
  });
});

describe('a CfD and a stockpile', () => {
  it("a CfD's top-up is its producers' surplus and their treasury's outlay: a transfer when output is fixed", () => {
    const cfd = market();
    const problem = {
      ...cfd,
      producers: cfd.producers.map((p) => (p.id === 'b' ? { ...p, cfd: { strike: 12 } } : p)),
    };
    const { welfare: w } = welfareOf(problem);
    expect(row(w, 'B').cfdPayments).toBeCloseTo((12 - 11) * 20, CLOSE);
    expect(row(w, 'B').producerSurplus).toBeCloseTo(120 + 20, CLOSE);
    expect(row(w, 'B').governmentRevenue).toBeCloseTo(-20, CLOSE);
    expect(w.world.total).toBeCloseTo(free.welfare.world.total as number, CLOSE);
  });

  it("a stockpile's purchases at the market price are its member's outlay", () => {
    const { welfare: w } = welfareOf(
      market({ stocks: [{ id: 'vault', region: 'B', commodity: K, buyCap: 10, buyPrice: 20 }] }),
    );
    // A's supply is flat: B's price stays 11 and the vault buys its 10.
    expect(row(w, 'B').stockNetPurchases).toBeCloseTo(110, CLOSE);
    expect(row(w, 'B').governmentRevenue).toBeCloseTo(-110, CLOSE);
    expect((w.world.total as number) - (free.welfare.world.total as number)).toBeCloseTo(-110, CLOSE);
  });
});

describe('a region that exports all it makes (an export premium)', () => {
  it('its producers and its stock releases earn the price abroad, and the transfers still cancel', () => {
    // A makes 10 at 1 and holds 4 in stock (released at 3 or more); its buyers import from C at 5. B buys only from A
    // (C's freight to B is 100): 30 − p_B = 14 gives p_B = 16, so A's producers and vault earn 16, an export
    // premium of 11 over A's price 5.
    const problem: EquilibriumProblem = {
      regions: ['A', 'B', 'C'],
      commodities: [K],
      members: [],
      links: [],
      producers: [
        { id: 'a', region: 'A', commodity: K, capacity: 10, cost: 1 },
        { id: 'c', region: 'C', commodity: K, capacity: 1000, cost: 5 },
      ],
      demands: [
        { region: 'A', commodity: K, curve: { kind: 'linear', intercept: 20, slope: 1 } },
        { region: 'B', commodity: K, curve: { kind: 'linear', intercept: 30, slope: 1 } },
      ],
      routes: { byPair: [{ commodity: K, from: 'C', to: 'B', freight: 100 }] },
      stocks: [{ id: 'vault', region: 'A', commodity: K, releaseCap: 4, releasePrice: 3 }],
    };
    const { solution, welfare: w } = welfareOf(problem);
    // Released stock and output at a corner leave the solver's 1e-8 of the market: 1e-5 here.
    const NEAR = 4;
    const a = solution.prices.find((p) => p.region === 'A');
    expect(a?.price).toBeCloseTo(5, NEAR);
    expect(a?.exportPremium).toBeCloseTo(11, NEAR);
    expect(row(w, 'A').producerSurplus).toBeCloseTo((16 - 1) * 10, NEAR);
    expect(row(w, 'A').stockNetPurchases).toBeCloseTo(-4 * 16, NEAR);
    // Consumers' value less costs (the released stock cost nothing this year): A's 15 at 5 from C, B's 14 at 16.
    const value = 15 ** 2 / 2 + 15 * 5 + 14 ** 2 / 2 + 14 * 16;
    expect(w.world.total).toBeCloseTo(value - 10 * 1 - 15 * 5, NEAR);
  });
});

describe('consumer surplus of one curve', () => {
  const iso = (elasticity: number, choke?: number): DemandCurve => ({
    kind: 'isoelastic',
    q0: 10,
    p0: 2,
    elasticity,
    ...(choke !== undefined ? { choke } : {}),
  });

  it('isoelastic with a choke: ∫_p^choke D; none at or above the choke', () => {
    // ∫_2^20 10·(s/2)^−½ ds = 10·√2·2·(√20 − √2).
    expect(curveSurplus(iso(-0.5, 20), 2)).toBeCloseTo(20 * Math.sqrt(2) * (Math.sqrt(20) - Math.sqrt(2)), 9);
    // Elasticity −1: q0·p0·ln(P/p).
    expect(curveSurplus(iso(-1, 20), 4)).toBeCloseTo(20 * Math.log(5), 9);
    expect(curveSurplus(iso(-0.5, 20), 20)).toBe(0);
    expect(curveSurplus(iso(-0.5, 20), 25)).toBe(0);
  });

  it('isoelastic without a choke: finite only for elasticity below −1', () => {
    // ∫_2^∞ 10·(s/2)^−2 ds = 20.
    expect(curveSurplus(iso(-2), 2)).toBeCloseTo(20, 9);
    expect(curveSurplus(iso(-0.5), 2)).toBeUndefined();
    expect(curveSurplus(iso(-1), 2)).toBeUndefined();
  });

  it('linear: the triangle up to intercept/slope', () => {
    expect(curveSurplus({ kind: 'linear', intercept: 100, slope: 2 }, 10)).toBeCloseTo(0.5 * 80 * 40, 9);
    expect(curveSurplus({ kind: 'linear', intercept: 100, slope: 2 }, 60)).toBe(0);
  });

  it('a region whose surplus is not finite reports null for it and its total, and says why', () => {
    const problem = market({
      demands: [{ region: 'B', commodity: K, curve: { kind: 'isoelastic', q0: 50, p0: 11, elasticity: -0.5 } }],
    });
    const { welfare: w } = welfareOf(problem);
    expect(row(w, 'B').consumerSurplus).toBeNull();
    expect(row(w, 'B').total).toBeNull();
    expect(w.world.total).toBeNull();
    expect(row(w, 'A').total).not.toBeNull();
    expect(w.notes.join(' ')).toMatch(/widget\/metal in B is not finite.*elasticity -0\.5/);
  });
});

describe('components and totals', () => {
  it('each row, the bloc and the world: total = consumer + producer surplus + quota rents + government revenue', () => {
    const { welfare: w } = welfareOf(
      market({
        members: ['B'],
        floors: [{ region: 'B', commodity: K, price: 14 }],
        exportTaxes: [{ origin: 'A', commodity: K, rate: 0.05 }],
        routes: { default: { freight: 1, adValorem: 0.02, specific: 0.5 } },
      }),
      ['B'],
    );
    for (const r of [...w.byRegion, w.bloc, w.world]) {
      expect(r.governmentRevenue).toBeCloseTo(
        r.levies + r.duties + r.exportTaxes - r.cfdPayments - r.stockNetPurchases,
        9,
      );
      expect(r.total).toBeCloseTo(
        (r.consumerSurplus as number) + r.producerSurplus + r.quotaRents + r.governmentRevenue,
        9,
      );
    }
    for (const part of WELFARE_PARTS) {
      const sum = w.byRegion.reduce((t, r) => t + (r[part] as number), 0);
      expect(w.world[part], part).toBeCloseTo(sum, 9);
    }
    expect(w.bloc).toEqual(Object.fromEntries(Object.entries(row(w, 'B')).filter(([k]) => k !== 'region')));
  });
});

describe("the world's total against the surplus-maximising program", () => {
  it('equals its objective plus the specific tariffs it counts as route costs', async () => {
    // Two stages (ore into metal, 1.5 t a t), three regions, freight, a specific duty, a recycler, linear demand.
    const ORE = 'widget/ore';
    const problem: EquilibriumProblem = {
      regions: ['A', 'B', 'C'],
      commodities: [ORE, K],
      members: [],
      links: [{ output: K, input: ORE, coefficient: 1.5 }],
      producers: [
        { id: 'mineA', region: 'A', commodity: ORE, capacity: 60, cost: 4 },
        { id: 'mineC', region: 'C', commodity: ORE, capacity: 80, cost: 7 },
        { id: 'plantB', region: 'B', commodity: K, capacity: 50, cost: 6 },
        { id: 'plantC', region: 'C', commodity: K, capacity: 40, cost: 9 },
        { id: 'scrapA', region: 'A', commodity: K, capacity: 8, cost: 20, secondary: true },
      ],
      demands: [
        { region: 'A', commodity: K, curve: { kind: 'linear', intercept: 60, slope: 1 } },
        { region: 'B', commodity: K, curve: { kind: 'linear', intercept: 90, slope: 2 } },
        { region: 'C', commodity: K, curve: { kind: 'linear', intercept: 40, slope: 0.5 } },
      ],
      routes: {
        default: { freight: 1.5 },
        byPair: [
          { commodity: K, from: 'B', to: 'A', freight: 2, specific: 3 },
          // Freight from the default, a duty of its own.
          { commodity: K, from: 'C', to: 'A', specific: 1 },
          { commodity: ORE, from: 'A', to: 'B', freight: 0.5 },
        ],
      },
    };
    const solution = solveEquilibrium(problem);
    const w = periodWelfare(problem, solution, []);
    const stj = await solveSurplus(problem);
    // The program counts the duties as route costs: its flows priced at them.
    const duty: Record<string, number> = { [`${K}|B|A`]: 3, [`${K}|C|A`]: 1 };
    const specific = stj.flows.reduce((t, f) => t + (duty[`${f.commodity}|${f.from}|${f.to}`] ?? 0) * f.quantity, 0);
    expect(w.world.duties).toBeGreaterThan(0);
    expect(w.world.total as number).toBeCloseTo(stj.objective + specific, 4);
  });
});
