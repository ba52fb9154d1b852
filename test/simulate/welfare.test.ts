/**
 * The welfare split of a simulation on the embedded data (zone-2026-ban-2027 against its ban-2027 twin, 2025–2028):
 * the components add up, the bloc is the sum of its members, the transfers cancel across the world, the treasuries'
 * items agree with the ledgers the totals keep, and the zone's change in welfare is the sum of its components'.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparisonText, welfareChange } from '../../src/cli/simulate.ts';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { readScenario, SCENARIO_DIR } from '../../src/model/scenario.ts';
import { WELFARE_PARTS, type WelfareParts } from '../../src/model/welfare.ts';
import type { YearResult, YearWelfare } from '../../src/simulate/result.ts';
import { blocsOf, simulate, type YearTrace } from '../../src/simulate/simulate.ts';

const catalog = new Catalog(loadDataset());

function shortened(name: string, end: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-welfare-'));
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}-short\nextends: ${path.join(SCENARIO_DIR, `${name}.yaml`)}\nhorizon: { start: 2025, end: ${end} }\n`,
  );
  return file;
}

const traces: YearTrace[] = [];
const zone = simulate(readScenario(shortened('zone-2026-ban-2027', 2028)), catalog, {
  onYear: (t) => traces.push(t),
});
const twin = simulate(readScenario(shortened('ban-2027', 2028)), catalog, { blocs: blocsOf(zone) });

const welfareOf = (y: YearResult): YearWelfare => {
  if (!y.welfare) throw new Error(`${y.year}: no welfare`);
  return y.welfare;
};
const parts = (w: WelfareParts): [number, number, number, number, number, number, number, number] => [
  w.consumerSurplus as number,
  w.producerSurplus,
  w.quotaRents,
  w.levies,
  w.duties,
  w.exportTaxes,
  w.cfdPayments,
  w.stockNetPurchases,
];
/** Relative to the year's world consumer surplus: the numbers run to trillions of USD. */
const near = (a: number, b: number, scale: number, what: string) =>
  expect(Math.abs(a - b), `${what}: ${a} against ${b}`).toBeLessThanOrEqual(1e-12 * scale);

describe('welfare on the embedded data', () => {
  it('every row, the bloc and the world: total = consumer + producer surplus + quota rents + government revenue', () => {
    for (const run of [zone, twin]) {
      for (const y of run.years) {
        const w = welfareOf(y);
        const scale = w.world.consumerSurplus as number;
        expect(scale).toBeGreaterThan(0);
        for (const r of [...w.byRegion, w.bloc, w.world]) {
          const [cs, ps, rents, levies, duties, taxes, cfd, stock] = parts(r);
          const gov = levies + duties + taxes - cfd - stock;
          near(r.governmentRevenue, gov, scale, `${y.year} government revenue`);
          near(r.total as number, cs + ps + rents + gov, scale, `${y.year} total`);
        }
        // The bloc sums its members' rows (the year's bloc), the world every row.
        expect(w.byRegion.filter((r) => r.member).map((r) => r.region)).toEqual([...y.bloc].sort());
        for (const part of WELFARE_PARTS) {
          const members = w.byRegion.filter((r) => r.member).reduce((t, r) => t + (r[part] as number), 0);
          const all = w.byRegion.reduce((t, r) => t + (r[part] as number), 0);
          near(w.bloc[part] as number, members, scale, `${y.year} bloc ${part}`);
          near(w.world[part] as number, all, scale, `${y.year} world ${part}`);
        }
      }
    }
  });

  it("the transfers cancel: the world's total is the value to consumers less production costs and freight", () => {
    // Every payment (duties, levies, export taxes, quota rents, export premiums, CfD top-ups, stock purchases) is
    // someone's revenue: only consumers' value (surplus plus spending), cash costs and freight are left.
    expect(traces.map((t) => t.year)).toEqual([2025, 2026, 2027, 2028]);
    for (const { year, problem, solution } of traces) {
      const w = welfareOf(zone.years.find((y) => y.year === year) as YearResult);
      const price = new Map(solution.prices.map((p) => [`${p.commodity}|${p.region}`, p.price]));
      let spending = 0;
      for (const c of solution.consumption) spending += c.quantity * (price.get(`${c.commodity}|${c.region}`) ?? 0);
      const cost = new Map(problem.producers.map((p) => [p.id, p.cost]));
      let costs = 0;
      for (const o of solution.outputs) costs += o.output * (cost.get(o.producer) ?? 0);
      const pairs = new Map((problem.routes?.byPair ?? []).map((t) => [`${t.commodity}|${t.from}|${t.to}`, t]));
      let freight = 0;
      for (const f of solution.flows) {
        const unit = pairs.get(`${f.commodity}|${f.from}|${f.to}`)?.freight ?? problem.routes?.default?.freight ?? 0;
        freight += f.quantity * unit;
      }
      expect(problem.supplies ?? []).toEqual([]);
      const cs = w.world.consumerSurplus as number;
      // Relative to the largest term of the sum (the consumer surplus, trillions), as the other identities are: the
      // two sides add the same thousands of terms in other orders, so they agree to rounding at that size, no closer.
      near(w.world.total as number, cs + spending - costs - freight, Math.max(cs, spending), `${year} world`);
    }
  });

  it("the bloc's levies, CfD payments and stock purchases are the totals' levy revenue, CfD cost and stock net cost", () => {
    let levies = 0;
    for (const run of [zone, twin]) {
      for (const y of run.years) {
        const w = welfareOf(y);
        const scale = w.world.consumerSurplus as number;
        near(w.bloc.levies, y.totals.levyRevenue, scale, `${y.year} levies`);
        near(w.bloc.cfdPayments, y.totals.cfdCost, scale, `${y.year} CfD`);
        near(w.bloc.stockNetPurchases, y.totals.stockNetCost, scale, `${y.year} stocks`);
        levies += w.bloc.levies;
      }
    }
    expect(levies).toBeGreaterThan(0);
  });

  it("the zone's change in the bloc's welfare against its twin is the sum of the components' changes", () => {
    for (const y of zone.years) {
      const o = twin.years.find((x) => x.year === y.year) as YearResult;
      expect(o.bloc).toEqual(y.bloc);
      const [a, b] = [welfareOf(y).bloc, welfareOf(o).bloc];
      const change = (k: keyof WelfareParts) => (a[k] as number) - (b[k] as number);
      const scale = welfareOf(y).world.consumerSurplus as number;
      near(
        change('total'),
        change('consumerSurplus') + change('producerSurplus') + change('quotaRents') + change('governmentRevenue'),
        scale,
        `${y.year} change`,
      );
      // Before the zone the two runs are the same world; from 2026 the zone moves every component.
      if (y.year === 2025) expect(Math.abs(change('total'))).toBeLessThan(1e-9 * scale);
    }
    const y2027 = welfareOf(zone.years.find((y) => y.year === 2027) as YearResult).bloc;
    expect(y2027.levies).toBeGreaterThan(0);
  });

  it("the terminal's bloc totals show the change in the bloc's welfare against the twin, USD million", () => {
    const y = zone.years.find((x) => x.year === 2027) as YearResult;
    const o = twin.years.find((x) => x.year === 2027) as YearResult;
    const change = ((welfareOf(y).bloc.total as number) - (welfareOf(o).bloc.total as number)) / 1e6;
    expect(Math.abs(change)).toBeGreaterThan(1);
    expect(Number(welfareChange(y, o).replace(/,/g, ''))).toBe(Math.round(change));
    // A results file from before the field: no change to show.
    const { welfare: _, ...old } = o;
    expect(welfareChange(y, old)).toBe('-');
    const text = comparisonText({ scenario: zone, against: twin }, []);
    expect(text).toMatch(/welfare change/);
    expect(text).toMatch(new RegExp(`^2027 .* ${welfareChange(y, o).replace(/[-]/g, '\\-')}  ban`, 'm'));
  });
});
