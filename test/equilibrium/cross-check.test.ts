/**
 * MODEL.md §3 check (b): the engine (MCP, solveEquilibrium) against the independent Samuelson–Takayama–Judge
 * surplus program solved by HiGHS (solveSurplus), on seeded random instances: 2–6 regions, 1–2 commodities
 * (sometimes linked by a stage link), producers with random capacity and cost, random freight and specific tariffs,
 * sometimes an export ban.
 *
 * Linear-demand instances (even seeds) are convex QPs: the two formulations must agree to 1e-6 of the market's size
 * (prices relative to the commodity's price scale, quantities to its market size, trade cost to their product),
 * beyond what HiGHS's own answer misses its demand curves by (highsCurveMiss: the reference's error, listed).
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
 * Flows are compared route by route where the engine's prices determine them. Where the routes that carry goods at
 * no loss close a cycle (tiedRoutes: pairs the generator leaves unlisted cost nothing, so two exporters can serve two
 * markets either way round), goods can be moved round it at no cost: there each region's net trade is compared, and
 * total trade cost (always asserted). Seeds 20260–20319 have no such tie; 90039 and 90067 do.
 *
 * HiGHS's active-set QP solver sometimes stops without a point meeting the optimality conditions to 1e-7 (every
 * answer of solveSurplus is checked on them): those programs are listed in the summary and bounded in number.
 * Isoelastic demand that no supply can reach (exports banned) has no equilibrium: both must refuse.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type {
  Demand,
  EquilibriumProblem,
  ExportRestriction,
  Producer,
  SupplyCurve,
} from '../../src/equilibrium/problem.ts';
import { EquilibriumError, type EquilibriumSolution, solveEquilibrium } from '../../src/equilibrium/solve.ts';
import { type SurplusSolution, solveSurplus } from '../../src/equilibrium/stj.ts';
import { prng } from '../../src/random.ts';

interface Instance {
  readonly seed: number;
  readonly kind: 'linear' | 'isoelastic';
  readonly problem: EquilibriumProblem;
  /** Smallest stage-link coefficient (1 without links). */
  readonly coefficient: number;
  readonly maxElasticity: number;
}

function generate(seed: number): Instance {
  const rand = prng(seed);
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
          demands.push({
            region: r,
            commodity: k,
            curve: { kind: 'isoelastic', q0: u(20, 100), p0: ref * u(0.7, 1.4), elasticity },
          });
        }
      }
    }
    if (!producers.some((p) => p.commodity === k)) {
      producers.push({
        id: `${k}-R0-x`,
        region: 'R0',
        commodity: k,
        capacity: u(40, 120),
        cost: costBase * u(0.3, 0.9),
      });
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
      supplies.push({
        region: regions[Math.floor(rand() * nRegions)] as string,
        commodity: k,
        intercept: u(-10, 20),
        slope: u(0.2, 2),
      });
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
  const restrictions: ExportRestriction[] = [];
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
function hinged(problem: EquilibriumProblem, breakpoints = 12): EquilibriumProblem {
  const demands = problem.demands.flatMap((d): Demand[] => {
    if (d.curve.kind !== 'isoelastic') return [d];
    const { q0, p0, elasticity } = d.curve;
    const D = (p: number) => q0 * (p / p0) ** elasticity;
    const hi = p0 * 5;
    const lo = p0 / 5;
    const pi = Array.from({ length: breakpoints + 1 }, (_, i) => hi * (lo / hi) ** (i / breakpoints));
    const slopes = pi.slice(1).map((p, j) => (D(p) - D(pi[j] as number)) / ((pi[j] as number) - p));
    const s1 = slopes[0] as number;
    const top = hi + D(hi) / s1;
    const curves: Demand[] = [
      { region: d.region, commodity: d.commodity, curve: { kind: 'linear', intercept: s1 * top, slope: s1 } },
    ];
    for (let j = 1; j < slopes.length; j++) {
      const b = (slopes[j] as number) - (slopes[j - 1] as number);
      const kink = pi[j] as number;
      if (b > 0)
        curves.push({
          region: d.region,
          commodity: d.commodity,
          curve: { kind: 'linear', intercept: b * kink, slope: b },
        });
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
  /** Nodes whose market price is not determined (they buy nothing): not compared. */
  pricesSkipped: number;
  /** Whether routes tie (tiedRoutes): then net trade by region is compared, not flows by route. */
  tied: boolean;
}
const zero = (): Gaps => ({
  price: 0,
  premium: 0,
  output: 0,
  consumption: 0,
  curve: 0,
  tradeCost: 0,
  flow: 0,
  pricesSkipped: 0,
  tied: false,
});
const stats = {
  linear: zero(),
  hinged: zero(),
  stepped: zero(),
  steppedTolerance: { price: 0, quantity: 0 },
  discretisation: 0,
  instances: { linear: 0, isoelastic: 0 },
  flowsCompared: 0,
  flowsDiffering: [] as number[],
  /** Instances whose routes tie (tiedRoutes): net trade compared instead of flows. */
  flowsTied: [] as number[],
  highsFailures: [] as string[],
  /** Programs whose answer HiGHS could not bring within 1e-9 of its optimality conditions (see noteImprecise). */
  highsImprecise: [] as string[],
  /** Answers of HiGHS off its own demand curves by more than CURVE_MISS_NOTED (see highsCurveMiss). */
  highsOffCurve: [] as string[],
  noEquilibrium: [] as number[],
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
/**
 * The commodities whose flows the engine's prices leave open: those where the routes that carry goods at no loss
 * (landed cost equal to the destination's price; a region's sales at home where its producers earn no premium) close
 * a cycle, round which goods can be moved at no cost. Zero-cost routes (pairs the generator leaves unlisted) tie often.
 */
function tiedRoutes(problem: EquilibriumProblem, e: EquilibriumSolution): string[] {
  const { price: scale } = scales(problem, e);
  const tied: string[] = [];
  for (const k of problem.commodities) {
    const tol = 1e-7 * (scale.get(k) as number);
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let r = x;
      while (parent.has(r)) r = parent.get(r) as string;
      return r;
    };
    let cycle = false;
    const join = (a: string, b: string) => {
      const [x, y] = [find(a), find(b)];
      if (x === y) cycle = true;
      else parent.set(x, y);
    };
    const nodes = e.prices.filter((p) => p.commodity === k);
    const makes = (r: string) => problem.producers.some((p) => p.commodity === k && p.region === r && p.capacity > 0);
    for (const from of nodes) {
      if (!makes(from.region)) continue;
      const earned = from.price + from.exportPremium;
      if (from.exportPremium <= tol) join(`o:${from.region}`, `d:${from.region}`);
      for (const to of nodes) {
        if (to.region === from.region) continue;
        const banned = (problem.restrictions ?? []).some(
          (r) =>
            r.quota <= 0 &&
            r.commodity === k &&
            r.origin === from.region &&
            (r.destinations === '*' || r.destinations.includes(to.region)),
        );
        if (banned) continue;
        const t =
          problem.routes?.byPair?.find((x) => x.commodity === k && x.from === from.region && x.to === to.region) ??
          problem.routes?.default;
        const landed = earned + (t?.freight ?? 0) + (t?.specific ?? 0);
        if (Math.abs(landed - to.price) <= tol) join(`o:${from.region}`, `d:${to.region}`);
      }
    }
    if (cycle) tied.push(k);
  }
  return tied;
}

function compare(problem: EquilibriumProblem, e: EquilibriumSolution, s: SurplusSolution, withFlows: boolean): Gaps {
  const { quantity, price } = scales(problem, e);
  const Q = (k: string) => quantity.get(k) as number;
  const P = (k: string) => price.get(k) as number;
  const g = zero();
  const at = <T extends { region: string; commodity: string }>(xs: readonly T[], r: string, k: string) =>
    xs.find((x) => x.region === r && x.commodity === k);
  expect(s.prices.length).toBe(e.prices.length);
  // Where a node buys nothing (no consumption, no input use) while exporting all it makes, the balance and the
  // origin rule bind together and only their sum (what producers earn) is determined: the market price lies anywhere
  // between the choke price and that sum. So the market price is compared where the node buys something, and the
  // producer price (price + export premium) where it makes something.
  const bought = new Map<string, number>();
  const made = new Map<string, number>();
  const add = (m: Map<string, number>, r: string, k: string, v: number) =>
    m.set(`${r}|${k}`, (m.get(`${r}|${k}`) ?? 0) + v);
  for (const c of e.consumption) add(bought, c.region, c.commodity, c.quantity);
  for (const c of e.curveSupply) add(made, c.region, c.commodity, c.quantity);
  for (const o of e.outputs) {
    add(made, o.region, o.commodity, o.output);
    const producer = problem.producers.find((p) => p.id === o.producer);
    if (producer?.secondary) continue;
    for (const l of problem.links)
      if (l.output === o.commodity) add(bought, o.region, l.input, l.coefficient * o.output);
  }
  for (const p of e.prices) {
    const q = at(s.prices, p.region, p.commodity);
    expect(q, `price node ${p.region}/${p.commodity}`).toBeDefined();
    const eps = 1e-9 * Q(p.commodity);
    if ((bought.get(`${p.region}|${p.commodity}`) ?? 0) > eps) {
      g.price = Math.max(g.price, Math.abs(p.price - (q?.price ?? Number.NaN)) / P(p.commodity));
    } else g.pricesSkipped++;
    if ((made.get(`${p.region}|${p.commodity}`) ?? 0) > eps) {
      const producerPrice = (q?.price ?? Number.NaN) + (q?.exportPremium ?? Number.NaN);
      g.premium = Math.max(g.premium, Math.abs(p.price + p.exportPremium - producerPrice) / P(p.commodity));
    }
  }
  for (const o of e.outputs) {
    const q = s.outputs.find((x) => x.producer === o.producer)?.output ?? Number.NaN;
    g.output = Math.max(g.output, Math.abs(o.output - q) / Q(o.commodity));
  }
  for (const c of e.consumption) {
    g.consumption = Math.max(
      g.consumption,
      Math.abs(c.quantity - (at(s.consumption, c.region, c.commodity)?.quantity ?? Number.NaN)) / Q(c.commodity),
    );
  }
  for (const c of e.curveSupply) {
    g.curve = Math.max(
      g.curve,
      Math.abs(c.quantity - (at(s.curveSupply, c.region, c.commodity)?.quantity ?? Number.NaN)) / Q(c.commodity),
    );
  }
  const engineTradeCost = e.flows.reduce((sum, f) => {
    const t = problem.routes?.byPair?.find((x) => x.commodity === f.commodity && x.from === f.from && x.to === f.to);
    const cost = (t ?? problem.routes?.default)?.freight ?? 0;
    return sum + f.quantity * (cost + (t?.specific ?? 0));
  }, 0);
  const money = Math.max(...problem.commodities.map((k) => P(k) * Q(k)));
  g.tradeCost = Math.abs(engineTradeCost - s.totalTradeCost) / money;
  if (withFlows) {
    const tied = tiedRoutes(problem, e);
    g.tied = tied.length > 0;
    // Where routes tie, flows can be moved round a cycle of them at no cost: only each region's net trade is
    // determined, and it is what is compared there.
    const byKey = (fs: readonly { commodity: string; from: string; to: string; quantity: number }[]) => {
      const m = new Map<string, number>();
      const add = (key: string, v: number) => m.set(key, (m.get(key) ?? 0) + v);
      for (const f of fs) {
        if (tied.includes(f.commodity)) {
          add(`${f.commodity}|${f.from}|net`, f.quantity);
          add(`${f.commodity}|${f.to}|net`, -f.quantity);
        } else add(`${f.commodity}|${f.from}|${f.to}`, f.quantity);
      }
      return m;
    };
    const mine = byKey(e.flows);
    const theirs = byKey(s.flows);
    for (const key of new Set([...mine.keys(), ...theirs.keys()])) {
      const k = key.split('|')[0] as string;
      g.flow = Math.max(g.flow, Math.abs((mine.get(key) ?? 0) - (theirs.get(key) ?? 0)) / Q(k));
    }
  }
  return g;
}

const merge = (into: Gaps, g: Gaps) => {
  for (const key of Object.keys(into) as (keyof Gaps)[]) {
    if (key === 'tied') into.tied ||= g.tied;
    else into[key] = key === 'pricesSkipped' ? into[key] + g[key] : Math.max(into[key], g[key]);
  }
};

const TOLERANCE = 1e-6;

/**
 * Records an answer HiGHS could not bring within 1e-9 of its program's optimality conditions (solveSurplus accepts
 * up to 1e-7): its duals are less precise than the 1e-6 asked (seed 90017: residual 2.4e-8, price gap 2.1e-6). The
 * agreement asked stays 1e-6 (beyond HiGHS's own miss of its curves, highsCurveMiss); the summary lists them.
 */
function noteImprecise(seed: number, surplus: SurplusSolution): void {
  if (surplus.optimality > 1e-9) stats.highsImprecise.push(`${seed}: ${surplus.optimality.toExponential(1)}`);
}

/**
 * Where HiGHS's own answer misses its demand curves by more than this (the agreement asked), the summary lists it
 * (seeds 40000–40239: 7 of 240).
 */
const CURVE_MISS_NOTED = TOLERANCE;
/** The most of HiGHS's own miss the agreement allows for (seeds 40000–40239: at most 3.6e-6). */
const CURVE_MISS_CEILING = 1e-5;

/**
 * How far HiGHS's answer misses its own (linear or hinged) demand curves: at each node, its consumption against the
 * curve at its own price, relative to the market's size, and the price at which the curve gives that consumption
 * against its price, relative to the price scale. HiGHS's optimality measure (scaled by the program) can pass an
 * answer whose prices are off by more than the 1e-6 asked (seeds 90017, 40029: consumption 6e-5 off the curve at
 * HiGHS's price, price gap 2.4e-6, while the engine's consumption is on its curve to the last digit): agreement is
 * asked to 1e-6 beyond this miss, which is the reference's own error, not the engine's.
 */
function highsCurveMiss(
  problem: EquilibriumProblem,
  engine: EquilibriumSolution,
  surplus: SurplusSolution,
): { price: number; quantity: number } {
  const { quantity, price } = scales(problem, engine);
  const miss = { price: 0, quantity: 0 };
  for (const c of surplus.consumption) {
    const curves = problem.demands.filter((d) => d.commodity === c.commodity && d.region === c.region);
    if (curves.length === 0 || curves.some((d) => d.curve.kind !== 'linear')) continue;
    const demandAt = (p: number) =>
      curves.reduce(
        (t, d) => (d.curve.kind === 'linear' ? t + Math.max(0, d.curve.intercept - d.curve.slope * p) : t),
        0,
      );
    const p = surplus.prices.find((x) => x.region === c.region && x.commodity === c.commodity)?.price;
    if (p === undefined) continue;
    miss.quantity = Math.max(miss.quantity, Math.abs(demandAt(p) - c.quantity) / (quantity.get(c.commodity) as number));
    if (!(c.quantity > 0)) continue;
    // The price at which the curve (decreasing where positive) gives HiGHS's consumption, by bisection.
    let lo = 0;
    let hi = Math.max(...curves.map((d) => (d.curve.kind === 'linear' ? d.curve.intercept / d.curve.slope : 0)));
    for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
      const mid = 0.5 * (lo + hi);
      if (demandAt(mid) > c.quantity) lo = mid;
      else hi = mid;
    }
    miss.price = Math.max(miss.price, Math.abs(0.5 * (lo + hi) - p) / (price.get(c.commodity) as number));
  }
  return miss;
}

/** The comparison of an engine solution with HiGHS's, held to TOLERANCE beyond HiGHS's own curve miss. */
function expectAgreement(
  seed: number,
  problem: EquilibriumProblem,
  engine: EquilibriumSolution,
  surplus: SurplusSolution,
  g: Gaps,
  label: string,
): void {
  const miss = highsCurveMiss(problem, engine, surplus);
  if (Math.max(miss.price, miss.quantity) > CURVE_MISS_NOTED)
    stats.highsOffCurve.push(
      `${seed}: price ${miss.price.toExponential(1)}, quantity ${miss.quantity.toExponential(1)}`,
    );
  // The allowance has a ceiling: an answer of HiGHS's further off its own curves than this is no reference at all.
  expectWithin(
    g,
    TOLERANCE + Math.min(miss.price, CURVE_MISS_CEILING),
    TOLERANCE + Math.min(miss.quantity, CURVE_MISS_CEILING),
    true,
    label,
  );
}

/** Whether every isoelastic demand can be reached by some supply of its commodity (at home or by an open route). */
function supplied(problem: EquilibriumProblem): boolean {
  const makers = (k: string) => [
    ...problem.producers.filter((p) => p.commodity === k && p.capacity > 0).map((p) => p.region),
    ...(problem.supplies ?? []).filter((c) => c.commodity === k).map((c) => c.region),
  ];
  const banned = (k: string, from: string, to: string) =>
    (problem.restrictions ?? []).some(
      (r) =>
        r.quota <= 0 &&
        r.commodity === k &&
        r.origin === from &&
        (r.destinations === '*' || r.destinations.includes(to)),
    );
  return problem.demands.every(
    (d) =>
      d.curve.kind !== 'isoelastic' ||
      makers(d.commodity).some((r) => r === d.region || !banned(d.commodity, r, d.region)),
  );
}
const SEEDS = Array.from({ length: 60 }, (_, i) => 20260 + i);

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

function expectWithin(g: Gaps, price: number, quantity: number, flows: boolean, label: string) {
  expect(g.price, `${label}: price`).toBeLessThanOrEqual(price);
  expect(g.premium, `${label}: producer price (price + export premium)`).toBeLessThanOrEqual(price);
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
      if (kind === 'linear') {
        const [engine, te] = timed(() => solveEquilibrium(problem));
        const surplus = await solveSurplus(problem).catch((e: Error) => {
          stats.highsFailures.push(`${seed}: ${e.message}`);
          return undefined;
        });
        if (!surplus) return;
        stats.time.engine += te;
        stats.time.highs += surplus.solveTime;
        stats.time.engineMax = Math.max(stats.time.engineMax, te);
        stats.time.highsMax = Math.max(stats.time.highsMax, surplus.solveTime);
        const g = compare(problem, engine, surplus, true);
        merge(stats.linear, g);
        stats.flowsCompared++;
        if (g.tied) stats.flowsTied.push(seed);
        if (g.flow > TOLERANCE) stats.flowsDiffering.push(seed);
        noteImprecise(seed, surplus);
        expectAgreement(seed, problem, engine, surplus, g, label);
        return;
      }
      // 1. The same piecewise-linear curve in both: exact agreement.
      const same = hinged(problem);
      const [engineHinged, te] = timed(() => solveEquilibrium(same));
      // HiGHS's active-set QP solver reports some of these programs (many small Hessian entries) as non-convex
      // although the Hessian is a positive diagonal: recorded and reported, not hidden (bounded below).
      const surplusHinged = await solveSurplus(same).catch((e: Error) => {
        stats.highsFailures.push(`${seed}: ${e.message}`);
        return undefined;
      });
      if (surplusHinged) {
        stats.time.engine += te;
        stats.time.highs += surplusHinged.solveTime;
        stats.time.engineMax = Math.max(stats.time.engineMax, te);
        stats.time.highsMax = Math.max(stats.time.highsMax, surplusHinged.solveTime);
        const gh = compare(same, engineHinged, surplusHinged, true);
        merge(stats.hinged, gh);
        stats.flowsCompared++;
        if (gh.tied) stats.flowsTied.push(seed);
        if (gh.flow > TOLERANCE) stats.flowsDiffering.push(seed);
        noteImprecise(seed, surplusHinged);
        expectAgreement(seed, same, engineHinged, surplusHinged, gh, `${label} (hinged)`);
      }
      // 2. The true curve in the engine, the stepped LP in HiGHS: within the discretisation error.
      if (!supplied(problem)) {
        // An isoelastic market that no supply can reach (its producers' exports banned) has no equilibrium: its
        // price is unbounded. Both formulations must say so rather than return a number.
        stats.noEquilibrium.push(seed);
        expect(() => solveEquilibrium(problem)).toThrow(EquilibriumError);
        await expect(solveSurplus(problem)).rejects.toThrow(/no equilibrium/);
        return;
      }
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

  it('HiGHS solved nearly all the quadratic programs', () => {
    // Its active-set QP solver misjudges some of them (see the summary): at most one in ten programs.
    expect(stats.highsFailures.length).toBeLessThanOrEqual(Math.ceil(SEEDS.length / 10));
    expect(stats.highsImprecise.length).toBeLessThanOrEqual(Math.ceil(SEEDS.length / 10));
    expect(stats.highsOffCurve.length).toBeLessThanOrEqual(Math.ceil(SEEDS.length / 10));
  });

  it('rejects what the surplus program cannot express, naming it', async () => {
    const base = generate(SEEDS[0] as number).problem;
    await expect(solveSurplus({ ...base, routes: { default: { freight: 1, adValorem: 0.1 } } })).rejects.toThrow(
      /ad valorem/,
    );
    await expect(
      solveSurplus({
        ...base,
        restrictions: [{ id: 'q', origin: 'R0', commodity: 'ore', destinations: '*', quota: 5 }],
      }),
    ).rejects.toThrow(/quota/);
    await expect(
      solveSurplus({ ...base, exportTaxes: [{ origin: 'R0', commodity: 'ore', rate: 0.1 }] }),
    ).rejects.toThrow(/export tax/);
  });

  afterAll(() => {
    const f = (x: number) => x.toExponential(1);
    const line = (name: string, g: Gaps) =>
      `  ${name}: price ${f(g.price)} (${g.pricesSkipped} undetermined skipped), producer price ${f(g.premium)}, outputs ${f(g.output)}, consumption ${f(g.consumption)}, curves ${f(g.curve)}, trade cost ${f(g.tradeCost)}, flows ${f(g.flow)}`;
    console.log(
      [
        `cross-check: ${stats.instances.linear} linear (QP) and ${stats.instances.isoelastic} isoelastic instances (hinged QP + stepped LP); largest relative gaps:`,
        line('linear ', stats.linear),
        line('hinged ', stats.hinged),
        line('stepped', stats.stepped),
        `  stepped: largest discretisation h ${f(stats.discretisation)}, tolerances up to price ${f(stats.steppedTolerance.price)}, quantity ${f(stats.steppedTolerance.quantity)}`,
        `  flows differ beyond 1e-6 in ${stats.flowsDiffering.length} of ${stats.flowsCompared} instances${stats.flowsDiffering.length ? ` (seeds ${stats.flowsDiffering.join(', ')})` : ''}; routes tie (net trade compared) in ${stats.flowsTied.length}${stats.flowsTied.length ? ` (seeds ${stats.flowsTied.join(', ')})` : ''}`,
        `  HiGHS QP failures: ${stats.highsFailures.length}${stats.highsFailures.length ? ` (${stats.highsFailures.join('; ')})` : ''}`,
        `  HiGHS answers less precise than 1e-9: ${stats.highsImprecise.length}${stats.highsImprecise.length ? ` (${stats.highsImprecise.join('; ')})` : ''}`,
        `  HiGHS answers off their own demand curves by more than ${CURVE_MISS_NOTED} (agreement asked beyond it): ${stats.highsOffCurve.length}${stats.highsOffCurve.length ? ` (${stats.highsOffCurve.join('; ')})` : ''}`,
        `  isoelastic instances without an equilibrium (demand no supply reaches; both refuse): ${stats.noEquilibrium.join(', ') || 'none'}`,
        `  time: engine ${stats.time.engine.toFixed(0)} ms total (max ${stats.time.engineMax.toFixed(1)}), HiGHS ${stats.time.highs.toFixed(0)} ms total (max ${stats.time.highsMax.toFixed(1)})`,
      ].join('\n'),
    );
  });
});
