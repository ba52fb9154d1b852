/**
 * Parts of the engine checked on their own: the transportation problem behind the interior-point start, and solves
 * of synthetic markets large enough to take the working-set path (solveInteriorPricing).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syntheticMarket } from '../../bench/synthetic.ts';
import { minCostTransport } from '../../src/equilibrium/build.ts';
import { solveEquilibrium } from '../../src/equilibrium/solve.ts';

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
