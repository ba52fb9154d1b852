/**
 * The draw engine: a draw with central data and no drawn shocks is the deterministic simulation, bit for bit;
 * a draw's result depends only on (seed, index), not on what the engine ran before; the rare-earth chain alone
 * solves as it does inside the whole world.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { DrawEngine, type EnsembleSetup } from '../../src/ensemble/engine.ts';
import { layoutOf, writeMetrics } from '../../src/ensemble/metrics.ts';
import { readScenario, SCENARIO_DIR } from '../../src/model/scenario.ts';
import { simulate } from '../../src/simulate/simulate.ts';

const dataset = loadDataset();
let setup: EnsembleSetup;

/** Bitwise equality of two vectors (NaN equals NaN). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Equality to rounding: every value within 1e-12 of the other, relative (NaN equals NaN). A draw's first solve
 * warm-starts from the central run's, so on central data it lands on the same equilibrium by another sequence of
 * floating-point operations; any difference of substance is many orders larger.
 */
function sameToRounding(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (!(Math.abs(x - y) <= 1e-12 * Math.max(Math.abs(x), Math.abs(y)))) return false;
  }
  return true;
}

beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-engine-'));
  const write = (name: string, base: string) => {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      `name: ${name}\nextends: ${path.join(SCENARIO_DIR, `${base}.yaml`)}\nhorizon: { start: 2025, end: 2028 }\n`,
    );
    return file;
  };
  setup = {
    scenario: write('zone-short', 'zone-2026-ban-2027'),
    against: write('ban-short', 'ban-2027'),
    data: [],
    chains: ['rare-earths'],
    seed: 11,
  };
});

describe('DrawEngine', () => {
  it('runs a draw with central data and no drawn shocks as the deterministic simulation (to rounding)', () => {
    const engine = new DrawEngine(setup, { dataset });
    const size = engine.layout.size;
    const [s, a] = [new Float64Array(size), new Float64Array(size)];
    engine.run(0, s, a, 0, { central: true, noShocks: true });
    const expected = { s: new Float64Array(size), a: new Float64Array(size) };
    // The simulation itself, on the engine's (restricted) data and scenarios, outside the engine's draw path.
    writeMetrics(engine.layout, simulate(engine.scenario, engine.catalog), expected.s);
    writeMetrics(engine.layout, simulate(engine.against ?? engine.scenario, engine.catalog), expected.a);
    expect(sameToRounding(s, expected.s)).toBe(true);
    expect(sameToRounding(a, expected.a)).toBe(true);
    expect(engine.layout.years).toEqual([2025, 2026, 2027, 2028]);
    // The layout known before running is the layout of the results.
    expect(layoutOf(simulate(engine.scenario, engine.catalog))).toEqual(engine.layout);
    expect(engine.layout.commodities.map((c) => c.id)).toEqual([
      'rare-earths/concentrate',
      'ndpr/oxide',
      'ndfeb/magnet',
    ]);
  });

  it("gives a draw's result whatever ran before it on the engine", () => {
    const one = new DrawEngine(setup, { dataset });
    const two = new DrawEngine(setup, { dataset });
    const size = one.layout.size;
    const results = (engine: DrawEngine, order: number[]) =>
      new Map(
        order.map((i) => {
          const v = new Float64Array(size);
          const outcome = engine.run(i, v, undefined, 0);
          return [i, { v, shocks: JSON.stringify(outcome.shocks) }];
        }),
      );
    const a = results(one, [3, 1, 2]);
    const b = results(two, [2, 3, 1, 3]);
    for (const i of [1, 2, 3]) {
      expect(sameBits(a.get(i)?.v as Float64Array, b.get(i)?.v as Float64Array)).toBe(true);
      expect(a.get(i)?.shocks).toBe(b.get(i)?.shocks);
    }
    // Draws differ from each other and from the central run.
    const central = new Float64Array(size);
    one.run(0, central, undefined, 0, { central: true, noShocks: true });
    expect(sameBits(a.get(1)?.v as Float64Array, a.get(2)?.v as Float64Array)).toBe(false);
    expect(sameBits(a.get(1)?.v as Float64Array, central)).toBe(false);
  });

  it("gives a draw's simulations whole (simulateDraw): the ones its metrics are read from", () => {
    const engine = new DrawEngine(setup, { dataset });
    const size = engine.layout.size;
    const [s, a] = [new Float64Array(size), new Float64Array(size)];
    const outcome = engine.run(2, s, a, 0);
    const whole = engine.simulateDraw(2);
    const [ws, wa] = [new Float64Array(size), new Float64Array(size)];
    writeMetrics(engine.layout, whole.scenario, ws);
    writeMetrics(engine.layout, whole.against ?? whole.scenario, wa);
    expect(sameBits(s, ws)).toBe(true);
    expect(sameBits(a, wa)).toBe(true);
    expect(JSON.stringify(whole.shocks)).toBe(JSON.stringify(outcome.shocks));
    const years = [...whole.scenario.years, ...(whole.against?.years ?? [])];
    expect(years.length).toBe(outcome.equilibria);
    expect(years.reduce((n, y) => n + y.certificate.iterations, 0)).toBe(outcome.iterations);
  });

  it('certifies a draw whose quotas come and go (seed 2026, draw 8008, 2026–2040), which once failed in 2029', () => {
    // Drawn licensing quotas on magnets and a ban on oxide switch on and off from year to year. Warm from last
    // year's equilibrium, 2029 missed, and every tier of the cold sequence stopped at 7e-7 (4,554 iterations);
    // warm from the latest year under the same controls, it certifies.
    const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-engine-15y-'));
    const file = path.join(dir, 'zone-15y.yaml');
    writeFileSync(
      file,
      `name: zone-15y\nextends: ${path.join(SCENARIO_DIR, 'zone-2026-ban-2027.yaml')}\nhorizon: { start: 2026, end: 2040 }\n`,
    );
    const engine = new DrawEngine({ scenario: file, data: [], chains: ['rare-earths'], seed: 2026 }, { dataset });
    const v = new Float64Array(engine.layout.size);
    const outcome = engine.run(8008, v, undefined, 0);
    expect(outcome.shocks.some((s) => s.kind === 'quota')).toBe(true);
    expect(v.some((x) => Number.isFinite(x))).toBe(true);
  });

  it('has one fingerprint for one setup, and another for another seed', () => {
    const a = new DrawEngine(setup, { dataset });
    const b = new DrawEngine({ ...setup, seed: 12 }, { dataset });
    expect(new DrawEngine(setup, { dataset }).fingerprint).toBe(a.fingerprint);
    expect(b.fingerprint).not.toBe(a.fingerprint);
    expect(b.settings.seed).toBe('12');
  });
});

describe('a model of the rare-earth chain alone', () => {
  it('gives the prices the whole world gives for its commodities (no zone, the 2027 ban)', () => {
    const chainOnly = new DrawEngine(
      { scenario: setup.against as string, data: [], chains: ['rare-earths'], seed: 1 },
      { dataset },
    );
    const whole = simulate(readScenario(setup.against as string), new Catalog(dataset));
    const alone = chainOnly.central().scenario;
    for (const y of alone.years) {
      const w = whole.years.find((x) => x.year === y.year);
      for (const c of y.commodities) {
        const o = w?.commodities.find((x) => x.commodity === c.commodity);
        expect(o).toBeDefined();
        const close = (x: number | null, y: number | null | undefined) =>
          x === null || x === y ? x === y : Math.abs(x - (y as number)) <= 1e-6 * Math.abs(x);
        expect(close(c.priceInside, o?.priceInside), `${y.year} ${c.commodity} price inside`).toBe(true);
        expect(close(c.priceOutside, o?.priceOutside), `${y.year} ${c.commodity} price outside`).toBe(true);
        expect(close(c.consumption, o?.consumption), `${y.year} ${c.commodity} consumption`).toBe(true);
      }
    }
  });
});
