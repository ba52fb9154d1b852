/**
 * The multi-year simulation on the embedded data, over a short horizon: the zone's instruments and the ban do what
 * MODEL.md §4 says, the ledgers balance, and the same scenario gives the same result.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { readScenario, SCENARIO_DIR } from '../../src/model/scenario.ts';
import type { SimulationResult } from '../../src/simulate/result.ts';
import { simulate } from '../../src/simulate/simulate.ts';

const catalog = new Catalog(loadDataset());
const BANNED = ['gallium/refined', 'germanium/refined', 'antimony/refined', 'ndfeb/magnet'];

function shortened(name: string, end: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-sim-'));
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}-short\nextends: ${path.join(SCENARIO_DIR, `${name}.yaml`)}\nhorizon: { start: 2025, end: ${end} }\n`,
  );
  return file;
}

const zone = simulate(readScenario(shortened('zone-2026-ban-2027', 2029)), catalog);
const ban = simulate(readScenario(shortened('ban-2027', 2029)), catalog);
const at = (r: SimulationResult, year: number, k: string) => {
  const x = r.years.find((y) => y.year === year)?.commodities.find((c) => c.commodity === k);
  if (!x) throw new Error(`no ${k} in ${year}`);
  return x;
};

describe('zone-2026-ban-2027 against ban-2027, 2025–2029', () => {
  it('solves every year with a certificate', () => {
    for (const r of [zone, ban]) {
      expect(r.years.map((y) => y.year)).toEqual([2025, 2026, 2027, 2028, 2029]);
      for (const y of r.years) expect(y.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
    }
  });

  it("reports no solver noise as supply or as a CfD's cost: a millionth of world production is none", () => {
    // The NdPr CfD at a market price within 1e-11 of its strike once cost 7.7e-7 USD; production and exports that
    // cancel left 2.8e-8 t of lithium 'at home'.
    for (const r of [zone, ban]) {
      for (const y of r.years) {
        for (const c of y.commodities) {
          for (const o of c.supplyByOrigin) {
            if (o.quantity !== 0)
              expect(o.quantity, `${y.year} ${c.commodity} ${o.region}`).toBeGreaterThan(1e-6 * c.production);
          }
          if (c.cfdCost !== 0) expect(c.cfdCost, `${y.year} ${c.commodity}`).toBeGreaterThan(1);
        }
      }
    }
  });

  it('before the zone the two scenarios are the same world', () => {
    for (const k of ['gallium/refined', 'lithium/chemicals', 'copper/refined']) {
      expect(at(zone, 2025, k).priceInside).toBeCloseTo(at(ban, 2025, k).priceInside as number, 6);
    }
  });

  it('sets reference prices from 2026, and where members only import, their price never falls below them', () => {
    expect(at(zone, 2025, 'ndpr/oxide').referencePrice).toBeNull();
    // 110 USD/kg in the commodity's unit, USD/t.
    expect(at(zone, 2026, 'ndpr/oxide').referencePrice).toBeCloseTo(110_000, 6);
    // The floor binds at the border: where the members export NdPr oxide (2029: bloc production above bloc use), it
    // does not lift their price, and the CfD pays their producers the difference instead. (In 2026 the bloc imports
    // oxide for magnet makers sheltered by the Section 301 and IEEPA duties on Chinese magnets: the floor holds its
    // price at the strike, and the CfD pays nothing.)
    const exporting = at(zone, 2029, 'ndpr/oxide');
    expect(exporting.blocProduction).toBeGreaterThan(exporting.blocUse);
    expect(exporting.priceInside as number).toBeLessThan(110_000);
    expect(exporting.cfdCost).toBeGreaterThan(0);
    for (const y of zone.years) {
      for (const c of y.commodities) {
        if (c.referencePrice === null || c.priceInside === null || c.blocProduction > 0) continue;
        expect(c.priceInside, `${y.year} ${c.commodity}`).toBeGreaterThanOrEqual(c.referencePrice * (1 - 1e-6));
      }
    }
    expect(ban.years.every((y) => y.commodities.every((c) => c.referencePrice === null && c.levyRevenue === 0))).toBe(
      true,
    );
  });

  it('the ban cuts the dominant supplier out of bloc supply for two years, and raises bloc prices', () => {
    for (const r of [zone, ban]) {
      for (const k of BANNED) {
        for (const year of [2027, 2028])
          expect(at(r, year, k).dominantShare ?? 0, `${r.scenario.name} ${year} ${k}`).toBe(0);
        expect(at(r, 2027, k).priceInside as number).toBeGreaterThan(at(r, 2026, k).priceInside as number);
      }
    }
    expect(at(ban, 2029, 'gallium/refined').dominantShare as number).toBeGreaterThan(0);
    expect(zone.years.find((y) => y.year === 2027)?.events.some((e) => e.startsWith('ban: CHN'))).toBe(true);
  });

  it('stocks: bought while calm, released during the ban, and the ledger balances', () => {
    for (const k of BANNED) {
      let previous = 0;
      for (const y of zone.years) {
        const c = at(zone, y.year, k);
        expect(c.stock, `${y.year} ${k}`).toBeCloseTo(previous + c.stockBought - c.stockReleased, 6);
        const banned = y.year === 2027 || y.year === 2028;
        if (banned) expect(c.stockBought).toBe(0);
        else expect(c.stockReleased).toBe(0);
        previous = c.stock;
      }
    }
    // Purchases start with the zone, where last year's price was at or below the buy threshold.
    expect(BANNED.filter((k) => at(zone, 2026, k).stockBought > 0).length).toBeGreaterThanOrEqual(2);
    expect(BANNED.some((k) => at(zone, 2027, k).stockReleased > 0)).toBe(true);
    const spent = zone.years.reduce(
      (s, y) => s + y.commodities.reduce((t, c) => t + c.stockBought * (c.priceInside ?? 0), 0),
      0,
    );
    expect(spent).toBeLessThanOrEqual(12e9 * 1.01);
    expect(ban.years.every((y) => y.commodities.every((c) => c.stock === 0))).toBe(true);
  });

  it('self-sufficiency is the share of bloc supply its own production makes, a vault’s purchases drawing on every source', () => {
    // 2029, NdPr oxide: the bloc makes more than it uses while its vault buys and it still imports. Production over
    // use read 100%, as if the vault had bought only imports.
    const c = at(zone, 2029, 'ndpr/oxide');
    const home = c.supplyByOrigin.find((o) => o.region === 'bloc')?.quantity ?? 0;
    expect(home).toBeGreaterThan(c.blocUse);
    expect(c.stockBought).toBeGreaterThan(0);
    expect(c.supplyByOrigin.some((o) => o.region !== 'bloc' && o.quantity > 0)).toBe(true);
    expect(c.selfSufficiency as number).toBeLessThan(1);
    for (const y of zone.years) {
      for (const k of y.commodities) {
        const supply = k.supplyByOrigin.reduce((t, o) => t + o.quantity, 0);
        if (!(k.blocUse > 0) || !(supply > 0)) continue;
        const own = k.supplyByOrigin.find((o) => o.region === 'bloc')?.quantity ?? 0;
        expect(k.selfSufficiency, `${y.year} ${k.commodity}`).toBeCloseTo(own / supply, 12);
      }
    }
  });

  it('announced projects come online at their start year and raise bloc capacity', () => {
    const online = zone.years
      .find((y) => y.year === 2027)
      ?.projects.filter((p) => p.event === 'online')
      .map((p) => p.id);
    expect(online).toContain('PRJ_ILUKA_ENEABBA');
    expect(at(zone, 2028, 'ndfeb/magnet').blocCapacity).toBeGreaterThan(at(zone, 2027, 'ndfeb/magnet').blocCapacity);
  });

  it('reports lost consumption, and more of it where the dominant supplier is banned', () => {
    expect(at(ban, 2027, 'gallium/refined').consumptionLost).toBeGreaterThan(
      at(ban, 2026, 'gallium/refined').consumptionLost,
    );
    for (const y of [...zone.years, ...ban.years]) {
      for (const c of y.commodities) {
        expect(c.consumptionLost).toBeGreaterThanOrEqual(0);
        for (const v of Object.values(c)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
      }
    }
  });
});

describe('the HHI of bloc supply (MODEL.md §6)', () => {
  it('is the sum of squared percentage shares of supplyByOrigin, 0–10,000, none where the bloc receives nothing', () => {
    let counted = 0;
    for (const y of [...zone.years, ...ban.years]) {
      for (const c of y.commodities) {
        const total = c.supplyByOrigin.reduce((t, o) => t + o.quantity, 0);
        if (total === 0) {
          expect(c.supplyHhi).toBeNull();
          continue;
        }
        const hhi = c.supplyByOrigin.reduce((t, o) => t + (100 * (o.quantity / total)) ** 2, 0);
        expect(c.supplyHhi as number).toBeCloseTo(hhi, 6);
        expect(c.supplyHhi as number).toBeGreaterThan(0);
        expect(c.supplyHhi as number).toBeLessThanOrEqual(10_000 * (1 + 1e-12));
        // No origin's share can exceed what the index allows.
        expect(c.supplyHhi as number).toBeGreaterThanOrEqual((100 * (c.dominantShare ?? 0)) ** 2 * (1 - 1e-12));
        counted++;
      }
    }
    expect(counted).toBeGreaterThan(0);
    // Gallium came to the bloc from China alone before the zone: a monopoly, 10,000. In the 2027 ban the zone's
    // bloc draws on its own refinery, Russia, Korea and its stock: far less concentrated.
    expect(at(zone, 2025, 'gallium/refined').supplyHhi).toBeCloseTo(10_000, 6);
    expect(at(zone, 2027, 'gallium/refined').supplyHhi as number).toBeLessThan(5_000);
  });
});

describe('determinism', () => {
  it('the same scenario gives the same result', () => {
    const file = shortened('zone-2026', 2026);
    expect(simulate(readScenario(file), catalog)).toEqual(simulate(readScenario(file), catalog));
  });
});

describe('instruments a scenario can set', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-sim-'));
  const file = path.join(dir, 'custom.yaml');
  writeFileSync(
    file,
    `name: custom
extends: ${path.join(SCENARIO_DIR, 'zone-2026.yaml')}
horizon: { start: 2025, end: 2028 }
zone:
  stockpiles:
    - { member: zone, commodities: [gallium/refined, antimony/refined], obligationDays: 90, budget: 2.0e9, fillRate: 1, buyBelow: 1.5, capacity: { gallium/refined: 2000 }, sharingKey: consumption }
shocks:
  - { kind: quota, origin: CHN, commodity: antimony/refined, destinations: members, quota: 1000, start: 2027, duration: 1 }
  - { kind: outage, region: AUS, commodity: lithium/mine, share: 0.5, start: 2027, duration: 1 }
`,
  );
  const r = simulate(readScenario(file), catalog);

  it('a storage capacity caps the holdings', () => {
    const held = r.years.map((y) => at(r, y.year, 'gallium/refined').stock);
    expect(Math.max(...held)).toBeLessThanOrEqual(2000 * (1 + 1e-9));
    expect(Math.max(...held)).toBeGreaterThan(0);
  });

  it('a quota caps the dominant supplier’s shipments to members at its level', () => {
    const sb = at(r, 2027, 'antimony/refined');
    const fromChn = sb.supplyByOrigin.find((o) => o.region === 'CHN')?.quantity ?? 0;
    expect(fromChn).toBeLessThanOrEqual(1000 * (1 + 1e-6));
    expect(
      at(r, 2026, 'antimony/refined').supplyByOrigin.find((o) => o.region === 'CHN')?.quantity ?? 0,
    ).toBeGreaterThan(1000);
  });

  it('an outage raises the price of what it cuts, and ends', () => {
    const p = (y: number) => at(r, y, 'lithium/mine').priceOutside as number;
    expect(p(2027)).toBeGreaterThan(p(2026));
    expect(p(2028)).toBeLessThan(p(2027));
    expect(r.years.find((y) => y.year === 2027)?.events).toContain('outage: AUS lithium/mine −50%');
  });
});

describe('a tariff into a region with no market in the data', () => {
  it('taxes nothing, and the year solves (ZAF neither makes nor uses any good)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-sim-'));
    const file = path.join(dir, 'zaf.yaml');
    writeFileSync(
      file,
      `name: zaf
horizon: { start: 2025, end: 2025 }
tariffs:
  - { importer: ZAF, origin: CHN, commodity: tungsten/refined, adValorem: 0.1, from: 2025 }
`,
    );
    const base = path.join(dir, 'base.yaml');
    writeFileSync(base, 'name: base\nhorizon: { start: 2025, end: 2025 }\n');
    const r = simulate(readScenario(file), catalog);
    const plain = simulate(readScenario(base), catalog);
    expect(at(r, 2025, 'tungsten/refined').priceOutside).toBe(at(plain, 2025, 'tungsten/refined').priceOutside);
    expect(r.years[0]?.certificate.maxResidual).toBeLessThanOrEqual(1e-8);
  });
});

describe('a zone that starts in the horizon’s first year', () => {
  // The same zone from 2026, moved to 2025: its rules must see the market it observed before it began (the base
  // year), not an empty "last year".
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-sim-'));
  const file = path.join(dir, 'zone-2025.yaml');
  writeFileSync(
    file,
    [
      'name: zone-2025',
      `extends: ${path.join(SCENARIO_DIR, 'zone-2026.yaml')}`,
      'horizon: { start: 2025, end: 2026 }',
      'zone:',
      '  members: [{ region: USA, from: 2025 }, { region: EU27, from: 2025 }, { region: JPN, from: 2025 }, { region: MEX, from: 2025 }]',
      '  stockpiles:',
      '    - { member: zone, commodities: [gallium/refined, cobalt/refined], obligationDays: 60, budget: 1.0e9, from: 2025 }',
      '',
    ].join('\n'),
  );
  const early = simulate(readScenario(file), catalog);
  const late = simulate(readScenario(shortened('zone-2026', 2027)), catalog);

  it('sets incentive-marginal reference prices on the bloc use it observed, as a zone formed a year later does', () => {
    for (const k of ['gallium/refined', 'lithium/chemicals', 'cobalt/refined']) {
      const first = at(early, 2025, k).referencePrice as number;
      const later = at(late, 2026, k).referencePrice as number;
      expect(first, k).toBeGreaterThan(0);
      // The price is a step of the curve the rule read (market economies', inputs at last year's prices), at or
      // above its cheapest; and the curve up to it covers the target share of the bloc use the rule observed.
      const report = early.costCurves.find((c) => c.commodity === k);
      const steps = (report?.steps ?? []).filter((s) => !s.dominant).sort((a, b) => a.cost - b.cost);
      expect(first, k).toBeGreaterThanOrEqual(steps[0]?.cost ?? Number.POSITIVE_INFINITY);
      expect(
        steps.some((s) => Math.abs(s.cost - first) <= 1e-9 * first),
        k,
      ).toBe(true);
      const covered = steps.filter((s) => s.cost <= first * (1 + 1e-12)).reduce((t, s) => t + s.capacity, 0);
      expect(covered, k).toBeGreaterThanOrEqual(0.3 * (report?.blocUse ?? Number.NaN) * (1 - 1e-9));
      expect(first / later, k).toBeGreaterThan(0.5);
      expect(first / later, k).toBeLessThan(2);
    }
  });

  it('buys toward its stock obligation in its first year', () => {
    const y = early.years.find((x) => x.year === 2025);
    const held = (y?.commodities ?? []).reduce((s, c) => s + (c.stock ?? 0), 0);
    expect(held).toBeGreaterThan(0);
  });
});

describe('a stock obligation in days of net imports', () => {
  // A year's obligation is read on last year's net imports for the bloc's own use: what the stockpile itself bought
  // is not use. Counted as imports, each year's buying raised the next year's target (on refined nickel, 365 days
  // of obligation stopped at 538 days of cover).
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-sim-'));
  const file = path.join(dir, 'obligation.yaml');
  writeFileSync(
    file,
    [
      'name: obligation',
      'extends: baseline',
      'horizon: { start: 2025, end: 2031 }',
      'zone:',
      '  members: [{ region: USA, from: 2026 }, { region: EU27, from: 2026 }, { region: JPN, from: 2026 }, { region: MEX, from: 2026 }]',
      '  levy: variable',
      '  stockpiles:',
      '    - { member: zone, commodities: [nickel/refined], obligationDays: 365, budget: 1.0e12, fillRate: 1, buyBelow: 3, from: 2026 }',
      '',
    ].join('\n'),
  );
  const r = simulate(readScenario(file), catalog);

  it('fills to the obligation and stops there', () => {
    const last = at(r, 2031, 'nickel/refined');
    expect(last.stock).toBeGreaterThan(0);
    expect(last.daysOfCover as number).toBeGreaterThan(0.9 * 365);
    expect(last.daysOfCover as number).toBeLessThan(1.1 * 365);
  });
});

/** zone-2026 over 2025–`end` with a `zone:` section of its own (YAML lines, indented two spaces), simulated. */
function zoneWith(end: number, zone: string): SimulationResult {
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-sim-'));
  const file = path.join(dir, 'zone.yaml');
  writeFileSync(
    file,
    `name: zone\nextends: ${path.join(SCENARIO_DIR, 'zone-2026.yaml')}\nhorizon: { start: 2025, end: ${end} }\nzone:\n${zone}`,
  );
  return simulate(readScenario(file), catalog);
}

describe('a member that joins after the horizon', () => {
  it('is noted as never a member in the run, not listed in silence', () => {
    const r = zoneWith(
      2026,
      `  members:
    - { region: USA, from: 2026 }
    - { region: KOR, from: 2030 }
`,
    );
    expect(r.notes).toContain(
      'zone.members.1: KOR joins in 2030, after the horizon (2025–2026): it is not a member in any year of this run',
    );
    expect(r.notes.filter((n) => n.startsWith('zone.members.0'))).toEqual([]);
  });
});

describe('CfDs on one good, one after the other', () => {
  // zone-2026's NdPr CfD in the USA to 2029, then a second one from 2030 with a budget of 1.5 times its first year's
  // payments: it pays 2030 and 2031 and stops in 2032. Charged with the first one's payments too (USD 419 M), as it
  // was, it stopped after 2030.
  const run = (budget: string) =>
    zoneWith(
      2032,
      `  cfds:
    - { commodity: ndpr/oxide, strike: 110 USD/kg, regions: [USA], from: 2026, until: 2029 }
    - { commodity: ndpr/oxide, strike: 110 USD/kg, regions: [USA], from: 2030, until: 2032${budget} }
`,
    );
  const cost = (r: SimulationResult, y: number) => at(r, y, 'ndpr/oxide').cfdCost;
  const open = run('');
  const first = cost(open, 2030);
  const budgeted = run(`, budget: ${1.5 * first}`);

  it('each is charged with its own payments only', () => {
    // Counted with the first one's, its spending would pass its budget after 2030.
    expect(cost(open, 2026) + cost(open, 2027) + cost(open, 2028) + cost(open, 2029) + first).toBeGreaterThan(
      1.5 * first,
    );
    expect(cost(budgeted, 2030)).toBeCloseTo(first, 0);
    expect(cost(budgeted, 2031)).toBeGreaterThan(0);
    expect(cost(budgeted, 2032)).toBe(0);
    // The event names which of the two it is.
    expect(budgeted.years.find((y) => y.year === 2032)?.events).toContain('CfD ndpr/oxide (zone.cfds.1): budget spent');
    expect(budgeted.years.find((y) => y.year === 2031)?.events.some((e) => e.includes('budget spent'))).toBe(false);
  });
});

describe("a stockpile's sharing key", () => {
  it("gives a member state's weight to the member that holds for it: DEU's is EU27's", () => {
    // Accepted (DEU counts as EU27) and then looked up under EU27, where it was not: EU27 bought nothing and the USA
    // took the whole budget.
    const run = (key: string) =>
      zoneWith(
        2027,
        `  stockpiles:
    - { member: zone, commodities: [gallium/refined], obligationDays: 365, budget: 20000000, fillRate: 1, sharingKey: { ${key}: 1, USA: 1 } }
`,
      );
    const byState = run('DEU');
    const byMember = run('EU27');
    expect(byState.years.map((y) => y.commodities)).toEqual(byMember.years.map((y) => y.commodities));
    expect(at(byState, 2026, 'gallium/refined').stockBought).toBeGreaterThan(0);
  });
});

describe('a reference price rule with smoothing and a change cap', () => {
  it('carries each review into the price in force as the secretariat does: smoothed, then capped', () => {
    const run = (extra: string) =>
      zoneWith(
        2029,
        `  referencePrices:
    gallium/refined: { rule: incentive-marginal, target: 0.3, supply: market-economies, review: 3${extra} }
`,
      );
    const raw = run('');
    const adjusted = run(', smoothing: 0.5, maxChange: 0.2');
    const ref = (r: SimulationResult, y: number) => at(r, y, 'gallium/refined').referencePrice as number;
    // The first price is the rule's own; the review in 2029 moves half way, then no more than 20%.
    expect(ref(adjusted, 2026)).toBe(ref(raw, 2026));
    const inForce = ref(raw, 2026);
    const smoothed = 0.5 * inForce + 0.5 * ref(raw, 2029);
    const expected = Math.min(1.2 * inForce, Math.max(0.8 * inForce, smoothed));
    expect(ref(raw, 2029)).not.toBeCloseTo(inForce, 0);
    expect(ref(adjusted, 2029)).toBeCloseTo(expected, 9);
    expect(
      adjusted.notes.some((n) => /^2029 gallium\/refined: reference price .* smoothed \(weight 0\.5\)/.test(n)),
    ).toBe(true);
  });

  it('notes a review only where the adjustment moved the price: a rule that priced the same is not "smoothed"', () => {
    // Reviewed yearly, the rule's gallium price in 2027 is the one it set in 2026; the notes said that 724.7 was
    // smoothed from 724.7.
    const r = zoneWith(
      2027,
      `  referencePrices:
    gallium/refined: { rule: incentive-marginal, target: 0.5, supply: market-economies, review: 1, smoothing: 0.5 }
`,
    );
    const ref = (y: number) => at(r, y, 'gallium/refined').referencePrice as number;
    expect(ref(2027)).toBeCloseTo(ref(2026), 9);
    expect(r.notes.filter((n) => /^202[67] gallium\/refined: reference price/.test(n))).toEqual([]);
  });
});
