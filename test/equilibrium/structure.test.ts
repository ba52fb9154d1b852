/**
 * The structure of a chain's model (structure.ts) is built once per shape of market and reused: a solve on a cached
 * structure, with buffers handed back by an earlier model, must give the same bits as one on a structure built from
 * scratch; problems that differ only in their numbers share a structure, problems that differ in shape do not.
 */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { chainsOf } from '../../src/equilibrium/build.ts';
import type { EquilibriumProblem } from '../../src/equilibrium/problem.ts';
import { type EquilibriumSolution, solveEquilibrium } from '../../src/equilibrium/solve.ts';
import { chainInputs, clearStructureCache, structureCacheUse, structureOf } from '../../src/equilibrium/structure.ts';
import { buildWorld } from '../../src/model/world.ts';

const catalog = new Catalog(loadDataset());
const world = buildWorld(catalog).problem;

const grown = (problem: EquilibriumProblem, factor: number): EquilibriumProblem => ({
  ...problem,
  demands: problem.demands.map((d) =>
    d.curve.kind === 'isoelastic' ? { ...d, curve: { ...d.curve, q0: d.curve.q0 * factor } } : d,
  ),
  producers: problem.producers.map((p, i) => (i % 3 === 0 ? { ...p, cost: p.cost * factor } : p)),
});

/** Every number of two solutions, compared bit for bit (Object.is: 0 and −0 differ, NaN equals NaN). */
function sameBits(a: EquilibriumSolution, b: EquilibriumSolution): void {
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  a.prices.forEach((p, i) => {
    expect(Object.is(p.price, b.prices[i]?.price)).toBe(true);
  });
  a.flows.forEach((f, i) => {
    expect(Object.is(f.quantity, b.flows[i]?.quantity)).toBe(true);
  });
}

describe('chain structures', () => {
  it('a solve on cached structures and reused buffers equals one on fresh structures, bit for bit', () => {
    const next = grown(world, 1.04);
    clearStructureCache();
    const fresh = solveEquilibrium(next);
    // Other problems of the same shape bind the same structures and hand their buffers back in between.
    solveEquilibrium(world);
    solveEquilibrium(grown(world, 0.97));
    const cached = solveEquilibrium(next);
    sameBits(fresh, cached);
    clearStructureCache();
    sameBits(fresh, solveEquilibrium(next));
  });

  it("takes each route's terms from the table it is given: other numbers, the pairs in another order, a pair twice", () => {
    const table = world.routes?.byPair ?? [];
    expect(table.length).toBeGreaterThan(1000);
    const dearer = table.map((t) => ({ ...t, freight: (t.freight ?? 0) * 1.5 + 1 }));
    const withTable = (byPair: typeof table): EquilibriumProblem => ({ ...world, routes: { byPair } });
    clearStructureCache();
    const fresh = solveEquilibrium(withTable(dearer));
    clearStructureCache();
    solveEquilibrium(world);
    // The same pairs in the same order, other numbers: the positions found for the first table serve.
    sameBits(fresh, solveEquilibrium(withTable(dearer)));
    // The same pairs in reverse order, and the first table followed by the dearer one (the last entry counts).
    sameBits(fresh, solveEquilibrium(withTable([...dearer].reverse())));
    sameBits(fresh, solveEquilibrium(withTable([...table, ...dearer])));
    // And back: the cheaper table's own solution.
    clearStructureCache();
    const cheaper = solveEquilibrium(world);
    solveEquilibrium(withTable(dearer));
    sameBits(cheaper, solveEquilibrium(withTable(table.map((t) => ({ ...t })))));
    expect(JSON.stringify(cheaper.prices)).not.toBe(JSON.stringify(fresh.prices));
  });

  it('problems that differ only in numbers share a structure; a new producer, a ban or a floor makes another', () => {
    const chain = chainsOf(world).find((c) => c.includes('gallium/refined')) as string[];
    const base = structureOf(chainInputs(world, chain));
    expect(structureOf(chainInputs(grown(world, 1.1), chain))).toBe(base);
    const withProducer: EquilibriumProblem = {
      ...world,
      producers: [
        ...world.producers,
        { id: 'new-ga', region: 'USA', commodity: 'gallium/refined', capacity: 10, cost: 500 },
      ],
    };
    expect(structureOf(chainInputs(withProducer, chain))).not.toBe(base);
    const banned: EquilibriumProblem = {
      ...world,
      restrictions: [{ id: 'b', origin: 'CHN', commodity: 'gallium/refined', destinations: ['USA'], quota: 0 }],
    };
    expect(structureOf(chainInputs(banned, chain))).not.toBe(base);
    // A quota is a rent variable, a ban closes routes: the same restriction at 0 and at 5 differ in shape.
    const quota: EquilibriumProblem = {
      ...banned,
      restrictions: [{ id: 'b', origin: 'CHN', commodity: 'gallium/refined', destinations: ['USA'], quota: 5 }],
    };
    expect(structureOf(chainInputs(quota, chain))).not.toBe(structureOf(chainInputs(banned, chain)));
    const floored: EquilibriumProblem = {
      ...world,
      members: ['USA', 'EU27'],
      floors: [{ region: 'USA', commodity: 'gallium/refined', price: 900 }],
    };
    const withFloor = structureOf(chainInputs(floored, chain));
    expect(withFloor).not.toBe(base);
    // Only the level of the floor changed: the same structure.
    const higher = { ...floored, floors: [{ region: 'USA', commodity: 'gallium/refined', price: 1200 }] };
    expect(structureOf(chainInputs(higher, chain))).toBe(withFloor);
    // Back to a shape seen before another: its structure again, not the one last used for this chain.
    expect(structureOf(chainInputs(world, chain))).toBe(base);
    expect(structureOf(chainInputs(banned, chain))).not.toBe(base);
    expect(structureOf(chainInputs(grown(world, 0.9), chain))).toBe(base);
  });

  it('keeps structures within its budget of variables, the least recently used going first', () => {
    const chain = chainsOf(world).find((c) => c.includes('gallium/refined')) as string[];
    // Each extra producer's id makes another shape.
    const shaped = (i: number): EquilibriumProblem => ({
      ...world,
      producers: [
        ...world.producers,
        { id: `extra-${i}`, region: 'USA', commodity: 'gallium/refined', capacity: 10, cost: 500 },
      ],
    });
    clearStructureCache();
    const first = structureOf(chainInputs(shaped(0), chain));
    const kept = structureOf(chainInputs(shaped(1), chain));
    const { budget } = structureCacheUse();
    // More shapes than the budget holds; the second is asked for again every 100, so it stays recently used.
    const count = Math.ceil((1.5 * budget) / first.variables.length);
    for (let i = 2; i < count; i++) {
      structureOf(chainInputs(shaped(i), chain));
      if (i % 100 === 0) expect(structureOf(chainInputs(shaped(1), chain))).toBe(kept);
    }
    const use = structureCacheUse();
    expect(use.weight).toBeLessThanOrEqual(budget);
    // Full, to within an entry or two.
    expect(use.weight).toBeGreaterThan(0.99 * budget);
    expect(use.entries).toBeLessThan(count);
    expect(structureOf(chainInputs(shaped(1), chain))).toBe(kept);
    expect(structureOf(chainInputs(shaped(count - 1), chain))).toBe(structureOf(chainInputs(shaped(count - 1), chain)));
    // The first was dropped: its shape is built again.
    expect(structureOf(chainInputs(shaped(0), chain))).not.toBe(first);
    clearStructureCache();
    expect(structureCacheUse()).toEqual({ entries: 0, weight: 0, budget });
  });

  it('a warm start on the same structure and across structures reaches the cold equilibrium', () => {
    const base = solveEquilibrium(world);
    const next = grown(world, 1.02);
    const cold = solveEquilibrium(next);
    const warm = solveEquilibrium(next, { warmStart: base });
    // A solution stripped of what the solver knows beyond its published fields (as if read from a file).
    const published = JSON.parse(JSON.stringify(base)) as EquilibriumSolution;
    const fromFile = solveEquilibrium(next, { warmStart: published });
    for (const s of [warm, fromFile]) {
      expect(s.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
      s.prices.forEach((p, i) => {
        const c = cold.prices[i] as (typeof cold.prices)[number];
        expect(p.region).toBe(c.region);
        if (cold.consumption.some((x) => x.region === p.region && x.commodity === p.commodity && x.quantity > 0))
          expect(Math.abs(p.price - c.price) / c.price).toBeLessThan(1e-6);
      });
    }
    expect(warm.certificate.iterations).toBeLessThan(cold.certificate.iterations);
  });
});

describe('solve timings', () => {
  it('phases are reported without changing the solution', () => {
    const timings: Record<string, number> = {};
    const t0 = performance.now();
    const timed = solveEquilibrium(world, { timings });
    const elapsed = performance.now() - t0;
    const plain = solveEquilibrium(world);
    expect(JSON.stringify(timed)).toBe(JSON.stringify(plain));
    for (const phase of ['validate', 'model', 'pooled', 'start', 'interior', 'certificate']) {
      expect(timings[phase]).toBeGreaterThanOrEqual(0);
    }
    const sum = Object.values(timings).reduce((s, t) => s + t, 0);
    expect(sum).toBeLessThanOrEqual(elapsed + 1e-6);
    // A warm start needs no pooled market.
    const warm: Record<string, number> = {};
    solveEquilibrium(world, { warmStart: plain, timings: warm });
    expect(warm.pooled ?? 0).toBe(0);
  });
});
