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
});
