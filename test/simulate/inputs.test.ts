/** Exact answers for the pieces the simulation is made of: reference-price rules, incentive prices, growth. */
import { describe, expect, it } from 'vitest';
import {
  capitalRecoveryFactor,
  costPlusPrice,
  incentiveMarginalPrice,
  incentivePrice,
  ReferencePriceError,
  type SupplyStep,
} from '../../src/admin/reference-price.ts';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { BASE_YEAR } from '../../src/data/schema.ts';
import { DemandGrowth, Parameters, projectPipeline, worldUse } from '../../src/simulate/inputs.ts';

const step = (id: string, capacity: number, cost: number): SupplyStep => ({
  id,
  region: 'USA',
  capacity,
  cost,
  kind: 'producer',
});

describe('reference-price rules (MODEL.md §7)', () => {
  const curve = [step('c', 30, 300), step('a', 10, 100), step('b', 20, 200)];

  it('incentive-marginal: the cost of the step that first covers the target', () => {
    expect(incentiveMarginalPrice(curve, 10).price).toBe(100);
    expect(incentiveMarginalPrice(curve, 10.5).price).toBe(200);
    const d = incentiveMarginalPrice(curve, 31);
    expect(d.price).toBe(300);
    expect(d.marginal?.id).toBe('c');
    expect(d.capacityAtPrice).toBe(60);
    expect(d.shortfall).toBeUndefined();
  });

  it('a target the curve cannot reach: its top, with the shortfall said', () => {
    const d = incentiveMarginalPrice(curve, 100);
    expect(d.price).toBe(300);
    expect(d.shortfall).toMatch(/falls short/);
    expect(() => incentiveMarginalPrice([], 1)).toThrow(ReferencePriceError);
  });

  it('cost-plus: the capacity-weighted mean cost with the margin', () => {
    // (10·100 + 20·200 + 30·300) / 60 = 233.33…, × 1.2 = 280
    expect(costPlusPrice(curve, 0.2).price).toBeCloseTo(280, 12);
    expect(() => costPlusPrice([step('z', 0, 5)], 0.1)).toThrow(ReferencePriceError);
  });

  it('incentive price: cash cost plus the capital recovery factor times capex per unit', () => {
    // CRF(8%, 20 y) = 0.08 / (1 − 1.08^−20) = 0.1018522…
    expect(capitalRecoveryFactor(0.08, 20)).toBeCloseTo(0.10185220882, 10);
    expect(capitalRecoveryFactor(0, 10)).toBe(0.1);
    expect(incentivePrice({ cashCost: 5000, capex: 1e9, capacity: 40_000, life: 20, costOfCapital: 0.08 })).toBeCloseTo(
      5000 + (0.10185220882 * 1e9) / 40_000,
      4,
    );
    expect(() => capitalRecoveryFactor(0.08, 0)).toThrow(RangeError);
  });
});

describe('simulation inputs from the data', () => {
  const catalog = new Catalog(loadDataset());

  it('growth: a scenario override by sector, then by commodity, then the data', () => {
    const g = new DemandGrowth(catalog, { 'graphite/natural': { 'non-battery': 0.1, '*': 0 } });
    expect(g.rate('graphite/natural', 'USA', 2026, 'non-battery')).toBe(0.1);
    expect(g.rate('graphite/natural', 'USA', 2026, 'all')).toBe(0);
    const data = new DemandGrowth(catalog);
    const r = data.rate('lithium/chemicals', 'USA', 2026);
    expect(r).toBeGreaterThan(0);
    expect(data.factor('lithium/chemicals', 'USA', 2024, 2026)).toBeCloseTo((1 + r) ** 2, 12);
  });

  it("world use: what a stage draws follows the output its drawing producers make, which the base year's output meets", () => {
    // Brownfield capacity grows with world use. Links are per unit of primary output: scrap-fed copper (secondary
    // rows) draws no ore. Counting every unit of refined copper as drawing it put copper/mine use 21% above mine output;
    // with anode split into natural and synthetic routes, the same count put graphite/natural use at 3.6 times it.
    const use = worldUse(catalog, new DemandGrowth(catalog));
    const output = (k: string) =>
      catalog.dataset.tables.producers
        .filter((p) => p.commodity === k)
        .reduce((s, p) => s + p.capacity * (p.utilisation ?? 1), 0);
    for (const k of ['graphite/natural', 'copper/mine']) {
      const ratio = use(k, BASE_YEAR) / output(k);
      expect(ratio, k).toBeGreaterThan(0.9);
      expect(ratio, k).toBeLessThan(1.1);
    }
  });

  it('growth factors: the product of the year rates from the base year, whatever was asked before', () => {
    const product = (g: DemandGrowth, k: string, r: string, from: number, to: number, sector?: string) => {
      let f = 1;
      for (let y = from + 1; y <= to; y++) f *= 1 + g.rate(k, r, y, sector);
      return f;
    };
    const g = new DemandGrowth(catalog);
    // Asked out of order, from two base years in turn, for two sectors of one curve, and at or before the base year.
    const asks: [number, number, string][] = [
      [2024, 2035, 'all'],
      [2026, 2030, 'all'],
      [2024, 2027, 'all'],
      [2024, 2035, 'all'],
      [2026, 2040, 'ev'],
      [2024, 2024, 'all'],
      [2030, 2026, 'all'],
    ];
    for (const [base, year, sector] of asks) {
      const fresh = new DemandGrowth(catalog);
      const expected = product(fresh, 'ndfeb/magnet', 'CHN', base, year, sector);
      expect(g.factor('ndfeb/magnet', 'CHN', base, year, sector)).toBe(expected);
    }
    expect(g.factor('ndfeb/magnet', 'CHN', 2024, 2035)).toBeGreaterThan(1);
  });

  it('parameters: overrides replace data rows, within their sensible range', () => {
    expect(new Parameters(catalog, { cost_of_capital: 0.1 }).get('cost_of_capital')).toBe(0.1);
    expect(() => new Parameters(catalog, { cost_of_capitol: 0.1 })).toThrow(/unknown parameter 'cost_of_capitol'/);
    expect(() => new Parameters(catalog, { price_forecast_weight: 2 })).toThrow(/outside the sensible range/);
  });

  it('the project pipeline: capacities in the commodity unit, and why a project is left out', () => {
    const params = new Parameters(catalog);
    const { projects, skipped } = projectPipeline(catalog, params, 2024, 'CHN');
    const wagerup = projects.find((p) => p.id === 'PRJ_ALCOA_WAGERUP_GA');
    expect(wagerup?.capacity).toBe(100_000); // kg Ga
    expect(wagerup?.region).toBe('AUS');
    expect(projects.some((p) => p.status === 'operating' || p.status === 'cancelled')).toBe(false);
    expect(skipped.some((s) => /no published capacity/.test(s))).toBe(true);
    for (const p of projects) expect(p.leadTime).toBeGreaterThanOrEqual(0);
  });
});
