/** Security gains from paths with and without a project, and the downstream cost per unit of goods. */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { downstreamCosts, downstreamGoods } from '../../src/finance/downstream.ts';
import { beyondTolerance, type SecurityPath, securityGain } from '../../src/finance/security.ts';
import type { CommodityYear, SimulationResult } from '../../src/simulate/result.ts';

const path = (lost: number[], self: (number | null)[], made: number[]): SecurityPath => ({
  years: lost.map((l, i) => ({
    year: 2030 + i,
    lostValue: l,
    selfSufficiency: self[i] ?? null,
    blocProduction: made[i] ?? 0,
  })),
});

describe('securityGain', () => {
  it('is the fall in lost consumption, all years and shock years, and the self-sufficiency change in the last year', () => {
    const without = path([100, 300, 50], [0.2, 0.2, 0.3], [10, 10, 10]);
    const withP = path([100, 120, 40], [0.2, 0.4, 0.5], [10, 30, 40]);
    const g = securityGain([withP], [without], new Set([2031]));
    expect(g.consumptionLostAvoided).toBe(190);
    expect(g.consumptionLostAvoidedInShocks).toBe(180);
    expect(g.selfSufficiency).toEqual({ year: 2032, without: 0.3, with: 0.5, gain: 0.2 });
    expect(g.blocProductionAdded).toBe(50);
  });
  it('takes expectations over draws (an ensemble): mean with less mean without', () => {
    const g = securityGain(
      [path([10, 10], [0.5, 0.5], [1, 1]), path([30, 30], [0.7, 0.7], [1, 1])],
      [path([50, 50], [0.4, 0.4], [1, 1]), path([70, 70], [0.4, 0.4], [1, 1])],
      new Set(),
    );
    expect(g.consumptionLostAvoided).toBe(120 - 40);
    expect(g.selfSufficiency?.gain).toBeCloseTo(0.2, 12);
  });
  it('counts a difference within the engine’s tolerance as none', () => {
    expect(beyondTolerance(1e9 + 1e-3, 1e9)).toBe(0);
    expect(beyondTolerance(1e9 + 100, 1e9)).toBe(100);
    const g = securityGain([path([1e9], [0.5], [5])], [path([1e9 * (1 + 1e-12)], [0.5], [5])], new Set());
    expect(g.consumptionLostAvoided).toBe(0);
  });
  it('needs paths on both sides', () => {
    expect(() => securityGain([], [path([1], [1], [1])], new Set())).toThrow(/both sides/);
  });
});

function result(prices: Record<string, number[]>): SimulationResult {
  const years = (Object.values(prices)[0] ?? []).map((_, i) => ({
    year: 2030 + i,
    bloc: [],
    commodities: Object.entries(prices).map(
      ([k, p]) => ({ commodity: k, unit: '', priceInside: p[i] ?? null }) as unknown as CommodityYear,
    ),
    totals: {} as never,
    events: [],
    projects: [],
    certificate: { maxResidual: 0, iterations: 0 },
  }));
  return {
    scenario: { name: 's', title: 's', description: '' },
    members: [],
    dominantSupplier: 'CHN',
    years,
    costCurves: [],
    notes: [],
  };
}

describe('downstream cost', () => {
  const catalog = new Catalog(loadDataset());
  const goods = downstreamGoods(catalog);
  it('reads the intensities in each commodity’s unit (8.9 kg Li in an electric car = 0.0474 t LCE)', () => {
    const car = goods.find((g) => g.id === 'ev-car');
    expect(car?.per).toBe('vehicle');
    const li = car?.materials.find((m) => m.commodity === 'lithium/chemicals');
    expect(li?.quantity).toBeCloseTo(8.9e-3 * 5.323, 12);
    expect(li?.stated).toBe('8.9 kg Li');
    expect(goods.map((g) => g.id)).toEqual(
      expect.arrayContaining(['ev-car', 'wind-offshore', 'wind-onshore', 'battery-nmc811', 'battery-lfp']),
    );
  });
  it('prices the materials of a unit at the bloc’s prices, year by year (hand-computed)', () => {
    const good = {
      id: 'g',
      name: 'g',
      per: 'unit',
      materials: [
        { commodity: 'a', quantity: 2, stated: '2 t A', source: 'S' },
        { commodity: 'b', quantity: 0.5, stated: '0.5 t B', source: 'S' },
      ],
    };
    const scenario = result({ a: [10, 20], b: [100, 100] });
    const against = result({ a: [10, 10], b: [80, 100] });
    const [cost] = downstreamCosts([good], scenario, against);
    expect(cost?.years).toEqual([
      { year: 2030, scenario: 70, against: 60, change: 10, relative: 10 / 60 },
      { year: 2031, scenario: 90, against: 70, change: 20, relative: 20 / 70 },
    ]);
    expect(cost?.meanChange).toBe(15);
    expect(cost?.peak?.year).toBe(2031);
    expect(cost?.materials.map((m) => m.meanChange)).toEqual([10, 5]);
  });
  it('leaves out a material the bloc has no price for, and says so', () => {
    const good = {
      id: 'g',
      name: 'g',
      per: 'unit',
      materials: [{ commodity: 'a', quantity: 1, stated: '', source: '' }],
    };
    const [cost] = downstreamCosts([good], result({ b: [1] }), result({ b: [1] }));
    expect(cost?.missing).toEqual(['a']);
    expect(cost?.meanChange).toBe(0);
  });
});
