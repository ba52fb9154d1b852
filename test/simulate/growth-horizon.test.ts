/** A horizon past the demand growth rates of the data: the years without a rate hold demand flat, and the results say so. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { readScenario } from '../../src/model/scenario.ts';
import { DemandGrowth } from '../../src/simulate/inputs.ts';
import { simulate } from '../../src/simulate/simulate.ts';

const catalog = new Catalog(loadDataset());

function scenario(body: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-growth-'));
  const file = path.join(dir, 's.yaml');
  writeFileSync(file, `name: s\nextends: baseline\n${body}`);
  return file;
}

describe('demand growth past the data', () => {
  it("has no rate after the rows' last year, unless the scenario sets one", () => {
    const last = new DemandGrowth(catalog).lastRatedYear('gallium/refined') as number;
    expect(new DemandGrowth(catalog).rate('gallium/refined', 'USA', last + 1)).toBe(0);
    expect(new DemandGrowth(catalog, { 'gallium/refined': 0.02 }).lastRatedYear('gallium/refined')).toBeUndefined();
    expect(new DemandGrowth(catalog, { '*': { '*': 0.01 } }).lastRatedYear('gallium/refined')).toBeUndefined();
  });

  it('a simulation beyond it notes the commodities whose demand is held flat, and from when', () => {
    const last = new DemandGrowth(catalog).lastRatedYear('gallium/refined') as number;
    const horizon = `horizon: { start: ${last}, end: ${last + 1} }\n`;
    const notes = simulate(readScenario(scenario(horizon)), catalog).notes.filter((n) => n.startsWith('demand growth'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('gallium/refined');
    expect(notes[0]).toContain(`no rate after ${last}: from ${last + 1} their demand is held flat`);
    // Rates the scenario gives leave nothing to note; within the data's years there is nothing either.
    const set = simulate(readScenario(scenario(`${horizon}demandGrowth: { '*': 0.01 }\n`)), catalog).notes;
    expect(set.filter((n) => n.startsWith('demand growth'))).toEqual([]);
    const within = `horizon: { start: ${last - 1}, end: ${last} }\n`;
    expect(
      simulate(readScenario(scenario(within)), catalog).notes.filter((n) => n.startsWith('demand growth')),
    ).toEqual([]);
  });
});
