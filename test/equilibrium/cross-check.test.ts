/**
 * MODEL.md §3 check (b): the engine (MCP, solveEquilibrium) against the independent Samuelson–Takayama–Judge
 * surplus program solved by HiGHS (solveSurplus), on seeded random instances: 2–6 regions, 1–2 commodities
 * (sometimes linked by a stage link), producers with random capacity and cost, random freight and specific tariffs,
 * sometimes an export ban.
 *
 * Linear-demand instances (even seeds) are convex QPs: the two formulations must agree to 1e-6 of the market's size
 * (prices relative to the commodity's price scale, quantities to its market size, trade cost to their product).
 *
 * Isoelastic instances (odd seeds) are checked twice:
 *  1. Exactly, on the same curve: each isoelastic demand is replaced by its piecewise-linear interpolant in price
 *     (40 geometric breakpoints), which the engine can express as a sum of linear curves (hinges max(0, a − b·p),
 *     one per kink: a convex decreasing demand is exactly such a sum) and solveSurplus solves as a QP with one
 *     consumer per hinge. Same tolerance as the linear instances.
 *  2. Against the true curve: the engine on the isoelastic demand, solveSurplus on its stepped LP. At the stepped
 *     solution each consumer is exactly a consumer whose inverse demand differs from the true one by a factor within
 *     exp(±h), h = `discretisation` (the log price step around the solution). Such a shift moves an equilibrium
 *     price by at most the same factor when passed through one market (supply slopes up, demand down), and by at most
 *     1/a times as much upstream through a stage link of coefficient a (the upstream price absorbs the downstream
 *     margin). Quantities move by at most |ε| times the price change at a consumer, and through capacity-bounded
 *     producers by a share of the market. So: prices within (2·h/min(1, a) + 1e-6) relative, quantities within
 *     (2·h·max|ε|/min(1, a) + 1e-6) of the market size, with a factor 2 of margin for the two-sided rounding.
 *     These instances use producers only (no supply curves) so that the stepped program is a pure LP: the HiGHS
 *     active-set QP solver is fragile on hundreds of tiny demand steps mixed with quadratic terms.
 *
 * Flows are compared where they are unique: with continuous random costs the transport pattern is generically
 * unique, but routes can tie; flows are asserted on two-region instances and reported elsewhere, and the total
 * trade cost is asserted everywhere.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Demand, EquilibriumProblem, Producer, SupplyCurve } from '../../src/equilibrium/problem.ts';
import { type EquilibriumSolution, solveEquilibrium } from '../../src/equilibrium/solve.ts';
import { type SurplusSolution, solveSurplus } from '../../src/equilibrium/stj.ts';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Instance {
  readonly seed: number;
  readonly kind: 'linear' | 'isoelastic';
  readonly problem: EquilibriumProblem;
  /** Smallest stage-link coefficient (1 without links). */
  readonly coefficient: number;
  readonly maxElasticity: number;
}

function generate(seed: number): Instance {
  const rand = mulberry32(seed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * rand();
  const kind = seed % 2 === 0 ? 'linear' : 'isoelastic';
  const nRegions = 2 + Math.floor(rand() * 5);
  const regions = Array.from({ length: nRegions }, (_, i) => `R${i}`);
  const two = rand() < 0.5;
  const linked = two && rand() < 0.6;
  const commodities = two ? ['ore', 'metal'] : ['ore'];
  const coefficient = linked ? u(0.8, 2.5) : 1;
  const links = linked ? [{ output: 'metal', input: 'ore', coefficient }] : [];
  // Reference prices: ore ~ 20; metal ~ processing cost + coefficient × ore price.
  const refPrice = (k: string) => (k === 'ore' ? 20 : linked ? 20 + coefficient * 20 : 40);
  const producers: Producer[] = [];
  const supplies: SupplyCurve[] = [];
  const demands: Demand[] = [];
  let maxElasticity = 0;
  for (const k of commodities) {
    const ref = refPrice(k);
    const costBase = k === 'metal' && linked ? 20 : ref;
    for (const r of regions) {
      const n = Math.floor(rand() * 3);
      for (let i = 0; i < n; i++) {
        producers.push({
          id: `${k}-${r}-${i}`,
          region: r,
          commodity: k,
          capacity: u(10, 80),
          cost: costBase * u(0.25, 1.1),
          ...(k === 'metal' && linked && rand() < 0.15 ? { secondary: true } : {}),
        });
      }
      // Upstream ore in a linked chain is mostly used by the metal producers; some regions also buy it directly.
      const demandProbability = k === 'ore' && linked ? 0.4 : 0.8;
      if (rand() < demandProbability) {
        if (kind === 'linear') {
          const intercept = u(40, 160);
          demands.push({
            region: r,
            commodity: k,
            curve: { kind: 'linear', intercept, slope: intercept / (ref * u(2.5, 6)) },
          });
        } else {
          const elasticity = -u(0.2, 1.2);
          maxElasticity = Math.max(maxElasticity, -elasticity);
          demands.push({ region: r, commodity: k, curve: { kind: 'isoelastic', q0: u(20, 100), p0: ref * u(0.7, 1.4), elasticity } });
        }
      }
    }
    if (!producers.some((p) => p.commodity === k)) {
      producers.push({ id: `${k}-R0-x`, region: 'R0', commodity: k, capacity: u(40, 120), cost: costBase * u(0.3, 0.9) });
    }
    if (!demands.some((d) => d.commodity === k) && !(k === 'ore' && linked)) {
      const region = regions[nRegions - 1] as string;
      demands.push(
        kind === 'linear'
          ? { region, commodity: k, curve: { kind: 'linear', intercept: 100, slope: 100 / (3 * ref) } }
          : { region, commodity: k, curve: { kind: 'isoelastic', q0: 60, p0: ref, elasticity: -0.5 } },
      );
      maxElasticity = Math.max(maxElasticity, kind === 'linear' ? 0 : 0.5);
    }
    if (kind === 'linear' && rand() < 0.35) {
      supplies.push({ region: regions[Math.floor(rand() * nRegions)] as string, commodity: k, intercept: u(-10, 20), slope: u(0.2, 2) });
    }
  }
  const byPair: { commodity: string; from: string; to: string; freight: number; specific?: number }[] = [];
  for (const k of commodities) {
    for (const from of regions) {
      for (const to of regions) {
        if (from === to || rand() < 0.3) continue;
        byPair.push({ commodity: k, from, to, freight: u(0.5, 8), ...(rand() < 0.4 ? { specific: u(0, 6) } : {}) });
      }
    }
  }
  const restrictions: EquilibriumProblem['restrictions'] & object = [];
  if (rand() < 0.35) {
    const origin = regions[Math.floor(rand() * nRegions)] as string;
    const commodity = commodities[Math.floor(rand() * commodities.length)] as string;
    const destinations = rand() < 0.3 ? '*' : regions.filter((r) => r !== origin && rand() < 0.5);
    if (destinations === '*' || destinations.length > 0) {
      restrictions.push({ id: `ban-${origin}`, origin, commodity, destinations, quota: 0 });
    }
  }
  return {
    seed,
    kind,
    coefficient: Math.min(1, coefficient),
    maxElasticity,
    problem: {
      regions,
      commodities,
      members: [],
      links,
      producers,
      supplies,
      demands,
      routes: { default: { freight: u(1, 5) }, byPair },
      restrictions,
    },
  };
}

/** The isoelastic demands replaced by their piecewise-linear interpolants, written as sums of hinges. */
function hinged(problem: EquilibriumProblem, breakpoints = 40): EquilibriumProblem {
  const demands = problem.demands.flatMap((d): Demand[] => {
    if (d.curve.kind !== 'isoelastic') return [d];
    const { q0, p0, elasticity } = d.curve;
    const D = (p: number) => q0 * (p / p0) ** elasticity;
    const hi = p0 * 20;
    const lo = p0 / 20;
    const pi = Array.from({ length: breakpoints + 1 }, (_, i) => hi * (lo / hi) ** (i / breakpoints));
    const slopes = pi.slice(1).map((p, j) => (D(p) - D(pi[j] as number)) / ((pi[j] as number) - p));
    const s1 = slopes[0] as number;
    const top = hi + D(hi) / s1;
    const curves: Demand[] = [{ region: d.region, commodity: d.commodity, curve: { kind: 'linear', intercept: s1 * top, slope: s1 } }];
    for (let j = 1; j < slopes.length; j++) {
      const b = (slopes[j] as number) - (slopes[j - 1] as number);
      const kink = pi[j] as number;
      if (b > 0) curves.push({ region: d.region, commodity: d.commodity, curve: { kind: 'linear', intercept: b * kink, slope: b } });
    }
    return curves;
  });
  return { ...problem, demands };
}

interface Gaps {
  price: number;
  premium: number;
  output: number;
  consumption: number;
  curve: number;
  tradeCost: number;
  flow: number;
}
const zero = (): Gaps => ({ price: 0, premium: 0, output: 0, consumption: 0, curve: 0, tradeCost: 0, flow: 0 });
const stats = {
  linear: zero(),
  hinged: zero(),
  stepped: zero(),
  steppedTolerance: { price: 0, quantity: 0 },
  discretisation: 0,
  instances: { linear: 0, isoelastic: 0 },
  flowsCompared: 0,
  flowsDiffering: [] as number[],
  time: { engine: 0, highs: 0, engineMax: 0, highsMax: 0 },
};

function scales(problem: EquilibriumProblem, engine: EquilibriumSolution) {
  const quantity = new Map<string, number>();
  const price = new Map<string, number>();
  for (const k of problem.commodities) {
    const capacity = problem.producers.filter((p) => p.commodity === k).reduce((s, p) => s + p.capacity, 0);
    const demand = problem.demands
      .filter((d) => d.commodity === k)
      .reduce((s, d) => s + (d.curve.kind === 'linear' ? d.curve.intercept : d.curve.q0), 0);
    quantity.set(k, Math.max(1, capacity, demand));
    price.set(k, Math.max(1, ...engine.prices.filter((p) => p.commodity === k).map((p) => Math.abs(p.price))));
  }
  return { quantity, price };
}

/** Largest gaps between the two solutions, each relative to its scale. */
function compare(problem: EquilibriumProblem, e: EquilibriumSolution, s: SurplusSolution, withFlows: boolean): Gaps {
  const { quantity, price } = scales(problem, e);
  const Q = (k: string) => quantity.get(k) as number;
  const P = (k: string) => price.get(k) as number;
  const g = zero();
  const at = <T extends { region: string; commodity: string }>(xs: readonly T[], r: string, k: string) =>
    xs.find((x) => x.region === r && x.commodity === k);
  expect(s.prices.length).toBe(e.prices.length);
  for (const p of e.prices) {
    const q = at(s.prices, p.region, p.commodity);
    expect(q, `price node ${p.region}/${p.commodity}`).toBeDefined();
    g.price = Math.max(g.price, Math.abs(p.price - (q?.price ?? Number.NaN)) / P(p.commodity));
    g.premium = Math.max(g.premium, Math.abs(p.exportPremium - (q?.exportPremium ?? Number.NaN)) / P(p.commodity));
  }
  for (const o of e.outputs) {
    const q = s.outputs.find((x) => x.producer === o.producer)?.output ?? Number.NaN;
    g.output = Math.max(g.output, Math.abs(o.output - q) / Q(o.commodity));
  }
  for (const c of e.consumption) {
    g.consumption = Math.max(g.consumption, Math.abs(c.quantity - (at(s.consumption, c.region, c.commodity)?.quantity ?? Number.NaN)) / Q(c.commodity));
  }
  for (const c of e.curveSupply) {
    g.curve = Math.max(g.curve, Math.abs(c.quantity - (at(s.curveSupply, c.region, c.commodity)?.quantity ?? Number.NaN)) / Q(c.commodity));
  }
  const engineTradeCost = e.flows.reduce((sum, f) => {
    const t = problem.routes?.byPair?.find((x) => x.commodity === f.commodity && x.from === f.from && x.to === f.to);
    const cost = (t ?? problem.routes?.default)?.freight ?? 0;
    return sum + f.quantity * (cost + (t?.specific ?? 0));
  }, 0);
  const money = Math.max(...problem.commodities.map((k) => P(k) * Q(k)));
  g.tradeCost = Math.abs(engineTradeCost - s.totalTradeCost) / money;
  if (withFlows) {
    const keys = new Set([...e.flows, ...s.flows].map((f) => `${f.commodity}|${f.from}|${f.to}`));
    for (const key of keys) {
      const [k, from, to] = key.split('|') as [string, string, string];
      const find = (fs: readonly { commodity: string; from: string; to: string; quantity: number }[]) =>
        fs.find((f) => f.commodity === k && f.from === from && f.to === to)?.quantity ?? 0;
      g.flow = Math.max(g.flow, Math.abs(find(e.flows) - find(s.flows)) / Q(k));
    }
  }
  return g;
}

const merge = (into: Gaps, g: Gaps) => {
  for (const key of Object.keys(into) as (keyof Gaps)[]) into[key] = Math.max(into[key], g[key]);
};

const TOLERANCE = 1e-6;
const SEEDS = Array.from({ length: 60 }, (_, i) => 20260 + i);

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

function expectWithin(g: Gaps, price: number, quantity: number, flows: boolean, label: string) {
  expect(g.price, `${label}: price`).toBeLessThanOrEqual(price);
  expect(g.premium, `${label}: export premium`).toBeLessThanOrEqual(price);
  expect(g.output, `${label}: outputs`).toBeLessThanOrEqual(quantity);
  expect(g.consumption, `${label}: consumption`).toBeLessThanOrEqual(quantity);
  expect(g.curve, `${label}: curve supply`).toBeLessThanOrEqual(quantity);
  expect(g.tradeCost, `${label}: total trade cost`).toBeLessThanOrEqual(Math.max(price, quantity));
  if (flows) expect(g.flow, `${label}: flows`).toBeLessThanOrEqual(quantity);
}

describe('engine vs Samuelson–Takayama–Judge surplus program (HiGHS)', () => {
  for (const seed of SEEDS) {
    const instance = generate(seed);
    const { problem, kind } = instance;
    const label = `seed ${seed}: ${kind}, ${problem.regions.length} regions, ${problem.commodities.join('+')}${problem.links.length ? ' (linked)' : ''}${problem.restrictions?.length ? ', ban' : ''}`;
    it(label, async () => {
      stats.instances[kind]++;
      const twoRegions = problem.regions.length === 2;
      if (kind === 'linear') {
        const [engine, te] = timed(() => solveEquilibrium(problem));
        const surplus = await solveSurplus(problem);
        stats.time.engine += te;
        stats.time.highs += surplus.solveTime;
        stats.time.engineMax = Math.max(stats.time.engineMax, te);
        stats.time.highsMax = Math.max(stats.time.highsMax, surplus.solveTime);
        const g = compare(problem, engine, surplus, true);
        merge(stats.linear, g);
        stats.flowsCompared++;
        if (g.flow > TOLERANCE) stats.flowsDiffering.push(seed);
        expectWithin(g, TOLERANCE, TOLERANCE, twoRegions, label);
        return;
      }
      // 1. The same piecewise-linear curve in both: exact agreement.
      const same = hinged(problem);
      const [engineHinged, te] = timed(() => solveEquilibrium(same));
      const surplusHinged = await solveSurplus(same);
      stats.time.engine += te;
      stats.time.highs += surplusHinged.solveTime;
      stats.time.engineMax = Math.max(stats.time.engineMax, te);
      stats.time.highsMax = Math.max(stats.time.highsMax, surplusHinged.solveTime);
      const gh = compare(same, engineHinged, surplusHinged, true);
      merge(stats.hinged, gh);
      stats.flowsCompared++;
      if (gh.flow > TOLERANCE) stats.flowsDiffering.push(seed);
      expectWithin(gh, TOLERANCE, TOLERANCE, twoRegions, `${label} (hinged)`);
      // 2. The true curve in the engine, the stepped LP in HiGHS: within the discretisation error.
      const [engine, te2] = timed(() => solveEquilibrium(problem));
      const stepped = await solveSurplus(problem);
      stats.time.engine += te2;
      stats.time.highs += stepped.solveTime;
      expect(stepped.kind).toBe('lp');
      const h = stepped.discretisation;
      stats.discretisation = Math.max(stats.discretisation, h);
      const priceTolerance = (2 * 2 * h) / instance.coefficient + TOLERANCE;
      const quantityTolerance = (2 * 2 * h * Math.max(1, instance.maxElasticity)) / instance.coefficient + TOLERANCE;
      stats.steppedTolerance.price = Math.max(stats.steppedTolerance.price, priceTolerance);
      stats.steppedTolerance.quantity = Math.max(stats.steppedTolerance.quantity, quantityTolerance);
      const gs = compare(problem, engine, stepped, false);
      merge(stats.stepped, gs);
      expectWithin(gs, priceTolerance, quantityTolerance, false, `${label} (stepped)`);
    });
  }

  it('rejects what the surplus program cannot express, naming it', async () => {
    const base = generate(SEEDS[0] as number).problem;
    await expect(solveSurplus({ ...base, routes: { default: { freight: 1, adValorem: 0.1 } } })).rejects.toThrow(/ad valorem/);
    await expect(
      solveSurplus({ ...base, restrictions: [{ id: 'q', origin: 'R0', commodity: 'ore', destinations: '*', quota: 5 }] }),
    ).rejects.toThrow(/quota/);
    await expect(solveSurplus({ ...base, exportTaxes: [{ origin: 'R0', commodity: 'ore', rate: 0.1 }] })).rejects.toThrow(/export tax/);
  });

  afterAll(() => {
    const f = (x: number) => x.toExponential(1);
    const line = (name: string, g: Gaps) =>
      `  ${name}: price ${f(g.price)}, premium ${f(g.premium)}, outputs ${f(g.output)}, consumption ${f(g.consumption)}, curves ${f(g.curve)}, trade cost ${f(g.tradeCost)}, flows ${f(g.flow)}`;
    console.log(
      [
        `cross-check: ${stats.instances.linear} linear (QP) and ${stats.instances.isoelastic} isoelastic instances (hinged QP + stepped LP); largest relative gaps:`,
        line('linear ', stats.linear),
        line('hinged ', stats.hinged),
        line('stepped', stats.stepped),
        `  stepped: largest discretisation h ${f(stats.discretisation)}, tolerances up to price ${f(stats.steppedTolerance.price)}, quantity ${f(stats.steppedTolerance.quantity)}`,
        `  flows differ beyond 1e-6 in ${stats.flowsDiffering.length} of ${stats.flowsCompared} instances${stats.flowsDiffering.length ? ` (seeds ${stats.flowsDiffering.join(', ')})` : ''}`,
        `  time: engine ${stats.time.engine.toFixed(0)} ms total (max ${stats.time.engineMax.toFixed(1)}), HiGHS ${stats.time.highs.toFixed(0)} ms total (max ${stats.time.highsMax.toFixed(1)})`,
      ].join('\n'),
    );
  });
});
