import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { BASE_YEAR } from '../../src/data/schema.ts';
import { solveEquilibrium } from '../../src/equilibrium/solve.ts';
import { buildWorld } from '../../src/model/world.ts';

const catalog = new Catalog(loadDataset());

describe('the shipped data, solved for the base year', () => {
  it('prices contained metal in ore below the refined metal wherever a refiner works it (refining is paid)', () => {
    const world = buildWorld(catalog, { year: BASE_YEAR });
    const solution = solveEquilibrium(world.problem);
    const price = new Map(solution.prices.map((p) => [`${p.commodity}|${p.region}`, p.price]));
    const primary = new Set(world.problem.producers.filter((p) => !p.secondary).map((p) => p.id));
    const unit = (k: string) => catalog.commodities.get(k)?.row.unit;
    // Links within one contained-metal unit (t Cu from t Cu): a refiner turns ore into metal, it cannot add metal.
    const sameUnit = catalog.dataset.tables.stage_links.filter((l) => unit(l.input) === unit(l.output));
    expect(sameUnit.map((l) => l.output)).toEqual(expect.arrayContaining(['copper/refined', 'cobalt/refined']));
    const inverted: string[] = [];
    let compared = 0;
    for (const link of sameUnit) {
      for (const o of solution.outputs) {
        if (o.commodity !== link.output || o.output <= 0 || !primary.has(o.producer)) continue;
        const ore = price.get(`${link.input}|${o.region}`);
        const metal = price.get(`${link.output}|${o.region}`);
        if (ore === undefined || metal === undefined) continue;
        compared++;
        if (!(ore < metal))
          inverted.push(`${o.region} ${link.input} ${ore.toFixed(0)} ≥ ${link.output} ${metal.toFixed(0)}`);
      }
    }
    expect(compared).toBeGreaterThan(20);
    expect(inverted).toEqual([]);
  });

  it('makes no more material than it draws within one unit: a producer draws at least a tonne per tonne, or none', () => {
    // A blended coefficient (0.34 t flake per t of all anode, averaged over natural and synthetic routes) charged
    // every anode maker a third of the flake a natural-graphite anode needs and a synthetic one none at all.
    const world = buildWorld(catalog, { year: BASE_YEAR });
    const solution = solveEquilibrium(world.problem);
    const producer = new Map(world.problem.producers.map((p) => [p.id, p]));
    const unit = (k: string) => catalog.commodities.get(k)?.row.unit;
    const sameUnit = world.problem.links.filter((l) => unit(l.input) === unit(l.output));
    const drawn = new Map<string, number>();
    const made: string[] = [];
    for (const o of solution.outputs) {
      const p = producer.get(o.producer);
      if (!p || o.output <= 0) continue;
      for (const link of sameUnit) {
        if (link.output !== o.commodity || p.secondary) continue;
        const draw = link.coefficient * o.output;
        drawn.set(link.input, (drawn.get(link.input) ?? 0) + draw);
        if (draw < o.output) made.push(`${o.producer} makes ${o.output.toFixed(0)} t from ${draw.toFixed(0)} t`);
      }
    }
    expect([...drawn.keys()]).toEqual(expect.arrayContaining(['copper/mine', 'graphite/natural']));
    expect(made).toEqual([]);

    // The anode chain: flake goes only to natural-route makers, which run where they are in the money; the
    // synthetic route (secondary) draws none. Every route of the base year runs at its available capacity.
    const price = new Map(solution.prices.map((p) => [`${p.commodity}|${p.region}`, p.price]));
    const link = world.problem.links.find((l) => l.output === 'graphite/anode' && l.input === 'graphite/natural');
    expect(link).toBeDefined();
    const coefficient = link?.coefficient as number;
    const anode = solution.outputs.filter((o) => o.commodity === 'graphite/anode');
    const natural = anode.filter((o) => !producer.get(o.producer)?.secondary);
    const synthetic = anode.filter((o) => producer.get(o.producer)?.secondary);
    const total = anode.reduce((s, o) => s + o.output, 0);
    const naturalOutput = natural.reduce((s, o) => s + o.output, 0);
    // SNE: 290 kt of 2,110 kt shipped in 2024 were natural graphite (data/assumptions.csv A_GR_ANODE_NAT_SHARE).
    expect(naturalOutput / total).toBeGreaterThan(0.1);
    expect(naturalOutput / total).toBeLessThan(0.2);
    expect(synthetic.reduce((s, o) => s + o.output, 0)).toBeGreaterThan(0.75 * total);
    // The engine's own flake market: what is mined goes to final buyers and to the natural-route anode makers alone
    // (were synthetic makers to draw too, the world would mine 2.5 t for each of their tonnes on top).
    const sum = (xs: readonly { commodity: string }[], pick: (x: never) => number) =>
      xs.filter((x) => x.commodity === 'graphite/natural').reduce((t, x) => t + pick(x as never), 0);
    const mined = sum(solution.outputs, (o: { output: number }) => o.output);
    const bought = sum(solution.consumption, (c: { quantity: number }) => c.quantity);
    expect(Math.abs(mined - (bought + coefficient * naturalOutput)) / mined).toBeLessThan(1e-6);
    for (const o of natural) {
      const p = producer.get(o.producer) as (typeof world.problem.producers)[number];
      const margin =
        (price.get(`graphite/anode|${o.region}`) as number) -
        p.cost -
        coefficient * (price.get(`graphite/natural|${o.region}`) as number);
      expect(margin, `${o.producer} margin at its own prices`).toBeGreaterThan(0);
      expect(o.output / p.capacity, o.producer).toBeCloseTo(1, 6);
    }
  });
});
