/**
 * Parts of the engine checked on their own: the transportation problem behind the interior-point start, and solves
 * of synthetic markets large enough to take the working-set path (solveInteriorPricing).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syntheticMarket } from '../../bench/synthetic.ts';
import { minCostTransport } from '../../src/equilibrium/build.ts';
import type { EquilibriumProblem } from '../../src/equilibrium/problem.ts';
import { EquilibriumError, solveEquilibrium } from '../../src/equilibrium/solve.ts';

describe('minCostTransport', () => {
  it('reroutes around a dear route: the seller with a cheap way abroad exports, its home market imports', () => {
    // Sellers: 0 = CHN (100), 1 = KOR (10). Buyers: 0 = KOR (10), 1 = USA (10), 2 = CHN (90). CHN → USA is dear.
    const flow = minCostTransport(
      [100, 10],
      [10, 10, 90],
      [
        { from: 0, to: 2, cost: 0 },
        { from: 1, to: 0, cost: 0 },
        { from: 0, to: 0, cost: 1 },
        { from: 0, to: 1, cost: 26 },
        { from: 1, to: 1, cost: 1 },
        { from: 1, to: 2, cost: 1 },
      ],
    );
    expect(flow).toEqual([90, 0, 10, 0, 10, 0]);
  });

  it('keeps its potentials valid for nodes a search does not reach (fast-check seed -628689168)', () => {
    // Free arcs ship 35 at once; the buyer d0 is reachable only later, through their reverse edges. With the
    // potentials of unreached nodes left behind, a search then took a path of cost 4 over one of cost 3 (total 7).
    const cost = [
      [null, null, 0, 1, 2, 3],
      [null, 2, 0, 2, 5, null],
      [1, 0, 0, 3, 0, null],
      [0, 0, 0, 0, null, null],
    ];
    const arcs = cost.flatMap((row, from) => row.flatMap((c, to) => (c === null ? [] : [{ from, to, cost: c }])));
    const flow = minCostTransport([1, 2, 35, 0], [1, 8, 0, 2, 27, 1], arcs);
    expect(flow.reduce((s, q) => s + q, 0)).toBeCloseTo(38, 9);
    expect(arcs.reduce((s, a, j) => s + a.cost * (flow[j] as number), 0)).toBeCloseTo(6, 9);
  });

  it('ships all it can at least cost: no cheaper rerouting left (no negative cycle in the residual graph)', () => {
    const instance = fc.record({
      supply: fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 6 }),
      demand: fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 6 }),
      // Costs from a small set: ties everywhere, the degenerate case.
      costs: fc.array(fc.constantFrom(0, 1, 1, 2, 3, 5), { minLength: 36, maxLength: 36 }),
      density: fc.double({ min: 0.3, max: 1, noNaN: true }),
      seed: fc.integer({ min: 0, max: 1000 }),
    });
    fc.assert(
      fc.property(instance, ({ supply, demand, costs, density, seed }) => {
        const arcs: { from: number; to: number; cost: number }[] = [];
        for (let e = 0; e < supply.length; e++) {
          for (let i = 0; i < demand.length; i++) {
            if (((seed * 31 + e * 7 + i * 13) % 100) / 100 < density) {
              arcs.push({ from: e, to: i, cost: costs[e * 6 + i] as number });
            }
          }
        }
        const flow = minCostTransport(supply, demand, arcs);
        const shipped = (pick: (a: (typeof arcs)[number]) => number, n: number) =>
          Array.from({ length: n }, (_, k) =>
            arcs.reduce((s, a, j) => s + (pick(a) === k ? (flow[j] as number) : 0), 0),
          );
        const out = shipped((a) => a.from, supply.length);
        const into = shipped((a) => a.to, demand.length);
        out.forEach((q, e) => {
          expect(q).toBeLessThanOrEqual((supply[e] as number) + 1e-9);
        });
        into.forEach((q, i) => {
          expect(q).toBeLessThanOrEqual((demand[i] as number) + 1e-9);
        });
        for (const q of flow) expect(q).toBeGreaterThanOrEqual(0);
        // Residual graph over source (0), sellers, buyers, sink: Bellman–Ford finds no negative cycle.
        const E = supply.length;
        const V = E + demand.length + 2;
        const sink = V - 1;
        const edges: [number, number, number][] = [];
        supply.forEach((s, e) => {
          if ((out[e] as number) < s - 1e-9) edges.push([0, 1 + e, 0]);
          if ((out[e] as number) > 1e-9) edges.push([1 + e, 0, 0]);
        });
        demand.forEach((d, i) => {
          if ((into[i] as number) < d - 1e-9) edges.push([1 + E + i, sink, 0]);
          if ((into[i] as number) > 1e-9) edges.push([sink, 1 + E + i, 0]);
        });
        arcs.forEach((a, j) => {
          edges.push([1 + a.from, 1 + E + a.to, a.cost]);
          if ((flow[j] as number) > 1e-9) edges.push([1 + E + a.to, 1 + a.from, -a.cost]);
        });
        const dist = new Array<number>(V).fill(0);
        for (let round = 0; round < V; round++) {
          for (const [u, v, w] of edges)
            if ((dist[u] as number) + w < (dist[v] as number) - 1e-9) dist[v] = (dist[u] as number) + w;
        }
        for (const [u, v, w] of edges)
          expect((dist[u] as number) + w).toBeGreaterThanOrEqual((dist[v] as number) - 1e-9);
        // And as much as can be shipped: no augmenting path from source to sink is left.
        const reach = new Set([0]);
        for (let grown = true; grown; ) {
          grown = false;
          for (const [u, v] of edges) {
            if (reach.has(u) && !reach.has(v)) {
              reach.add(v);
              grown = true;
            }
          }
        }
        expect(reach.has(sink)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('synthetic markets', () => {
  for (const regions of [10, 40]) {
    it(`${regions} regions on a ring: certified${regions >= 40 ? ' on a working set of routes' : ''}`, () => {
      const s = solveEquilibrium(syntheticMarket(regions, 7));
      expect(s.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
      expect(s.prices.every((p) => Number.isFinite(p.price))).toBe(true);
    });
  }
});

describe('demand no supply can reach', () => {
  // R0 makes ore and metal (from 1.5 ore each); R1 buys metal and has a metal works of its own but no ore.
  const base: EquilibriumProblem = {
    regions: ['R0', 'R1'],
    commodities: ['ore', 'metal'],
    members: [],
    links: [{ output: 'metal', input: 'ore', coefficient: 1.5 }],
    producers: [
      { id: 'mine', region: 'R0', commodity: 'ore', capacity: 100, cost: 10 },
      { id: 'works-0', region: 'R0', commodity: 'metal', capacity: 50, cost: 20 },
      { id: 'works-1', region: 'R1', commodity: 'metal', capacity: 50, cost: 15 },
    ],
    demands: [
      { region: 'R0', commodity: 'metal', curve: { kind: 'isoelastic', q0: 20, p0: 50, elasticity: -0.8 } },
      { region: 'R1', commodity: 'metal', curve: { kind: 'isoelastic', q0: 20, p0: 50, elasticity: -0.8 } },
    ],
    routes: { default: { freight: 2 } },
  };
  const ban = (commodity: string) => ({
    id: `ban-${commodity}`,
    origin: 'R0',
    commodity,
    destinations: ['R1'],
    quota: 0,
  });

  it('is refused before any iteration, naming the market and the banned origins (a price with no bound)', () => {
    // Metal banned, and the ore R1's works would need banned too: nothing can serve R1's buyers at any price.
    const problem = { ...base, restrictions: [ban('metal'), ban('ore')] };
    expect(() => solveEquilibrium(problem)).toThrow(EquilibriumError);
    expect(() => solveEquilibrium(problem)).toThrow(
      /no equilibrium found for metal: residual 1\.00e\+0 after 0 iterations \(the demand for metal in R1 has no supply it can reach: nothing makes it there, and R0, which can, is banned from shipping it there/,
    );
  });

  it('is refused where an iteration would take it for solved (cross-check seed 40069: certified at a price of 7e13)', () => {
    // R1 buys metal that only R0 makes, and R0 may not ship it there. Far enough out the price clears R1's market to
    // within any tolerance (its buyers still ask 1.3e-8 at 7e13): the point passed for an equilibrium.
    const problem: EquilibriumProblem = {
      regions: ['R0', 'R1'],
      commodities: ['ore', 'metal'],
      members: [],
      links: [{ output: 'metal', input: 'ore', coefficient: 1.6496604898013176 }],
      producers: [
        { id: 'ore-R0-0', region: 'R0', commodity: 'ore', capacity: 53.23689615819603, cost: 5.1436949300114065 },
        { id: 'ore-R0-1', region: 'R0', commodity: 'ore', capacity: 18.739349064417183, cost: 9.462572705931962 },
        { id: 'metal-R0-0', region: 'R0', commodity: 'metal', capacity: 64.28243709960952, cost: 17.51030271081254 },
      ],
      demands: [
        {
          region: 'R0',
          commodity: 'metal',
          curve: { kind: 'isoelastic', q0: 76.37409050017595, p0: 61.595053229825716, elasticity: -0.9237053595017641 },
        },
        {
          region: 'R1',
          commodity: 'metal',
          curve: { kind: 'isoelastic', q0: 78.91398020088673, p0: 58.37782920924763, elasticity: -0.8085292778443545 },
        },
      ],
      routes: {
        default: { freight: 3.9380647502839565 },
        byPair: [
          { commodity: 'ore', from: 'R0', to: 'R1', freight: 1.393377663451247, specific: 2.1235397360287607 },
          { commodity: 'ore', from: 'R1', to: 'R0', freight: 1.6057527258526534, specific: 2.311124091502279 },
          { commodity: 'metal', from: 'R0', to: 'R1', freight: 3.35720402142033, specific: 5.269587035290897 },
          { commodity: 'metal', from: 'R1', to: 'R0', freight: 4.2030085938749835, specific: 4.756076100748032 },
        ],
      },
      restrictions: [{ id: 'ban-R0', origin: 'R0', commodity: 'metal', destinations: ['R1'], quota: 0 }],
    };
    expect(() => solveEquilibrium(problem)).toThrow(/the demand for metal in R1 has no supply it can reach/);
  });

  it('is served where a way remains: ore to the works in R1, or a choke price at which buyers go without', () => {
    // Metal banned but ore free: R1's works make metal from R0's ore (its origin is R1's: MODEL.md §3.4).
    const byOre = solveEquilibrium({ ...base, restrictions: [ban('metal')] });
    expect(byOre.outputs.find((o) => o.producer === 'works-1')?.output).toBeGreaterThan(0);
    // Both banned, but the buyers ration at a choke price: a price of 500, and their demand unserved.
    const choked = solveEquilibrium({
      ...base,
      demands: base.demands.map((d) => (d.region === 'R1' ? { ...d, curve: { ...d.curve, choke: 500 } } : d)),
      restrictions: [ban('metal'), ban('ore')],
    });
    expect(choked.prices.find((p) => p.region === 'R1' && p.commodity === 'metal')?.price).toBeCloseTo(500, 6);
    expect(choked.rationed.find((r) => r.region === 'R1')?.quantity).toBeGreaterThan(0);
  });
});
