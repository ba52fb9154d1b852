/** Appraisals on the embedded data over a short horizon: chain-restricted runs, valuation, support and security. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { appraiseProjects, ChainRuns, jointSecurity, type ProjectAppraisals } from '../../src/finance/appraisal.ts';
import { readProjectsFile, withProjectRows } from '../../src/finance/register.ts';
import { chainCommodities, restrictScenario, type TracedRun, tracedSimulate } from '../../src/finance/trace.ts';
import { presentValue } from '../../src/finance/valuation.ts';
import { readScenario, type Scenario } from '../../src/model/scenario.ts';
import { simulate } from '../../src/simulate/simulate.ts';

const short = (name: string, end = 2031): Scenario => ({ ...readScenario(name), horizon: { start: 2025, end } });

let catalog: Catalog;
let appraisals: ProjectAppraisals;
const IDS = ['PRJ_EF_WHITEMESA_P2', 'PRJ_VULCAN_ELEMENTS', 'PRJ_IONEER_RHYOLITE'];
beforeAll(() => {
  catalog = new Catalog(loadDataset());
  appraisals = appraiseProjects({
    scenario: short('zone-2026-ban-2027'),
    against: short('baseline'),
    catalog,
    only: IDS,
    cashFlows: true,
  });
}, 120_000);

describe('restrictScenario', () => {
  it('keeps only the instruments on the chain’s commodities', () => {
    const s = readScenario('zone-2026-ban-2027');
    const re = restrictScenario(s, chainCommodities(catalog, 'rare-earths'), []);
    expect(Object.keys(re.zone?.referencePrices ?? {}).sort()).toEqual(['ndfeb/magnet', 'ndpr/oxide']);
    expect(re.zone?.cfds?.map((c) => c.commodity)).toEqual(['ndpr/oxide']);
    expect(re.zone?.stockpiles?.[0]?.commodities).toEqual(['ndfeb/magnet', 'ndpr/oxide']);
    expect(re.shocks).toEqual([expect.objectContaining({ kind: 'ban', commodities: ['ndfeb/magnet'] })]);
    expect(re.zone?.backedProjects).toEqual([]);
    const wagerup = [{ id: 'PRJ_ALCOA_WAGERUP_GA', commodity: 'gallium/refined' }];
    const li = restrictScenario(s, chainCommodities(catalog, 'lithium'), wagerup);
    expect(li.shocks).toEqual([]);
    expect(li.zone?.stockpiles).toEqual([]);
    expect(li.zone?.backedProjects).toEqual([]);
    const ga = restrictScenario(s, chainCommodities(catalog, 'gallium'), wagerup);
    expect(ga.zone?.backedProjects).toEqual([{ id: 'PRJ_ALCOA_WAGERUP_GA', from: 2026 }]);
    // A variant of the pipeline without the project drops its backing.
    expect(restrictScenario(s, chainCommodities(catalog, 'gallium'), []).zone?.backedProjects).toEqual([]);
  });
  it('gives a chain the same prices alone as in the whole world when no instrument couples the chains', () => {
    const baseline = short('baseline', 2028);
    const full = simulate(baseline, catalog);
    const runs = new ChainRuns(catalog, { zone: baseline, baseline });
    for (const chain of ['lithium', 'gallium']) {
      const alone = (runs.run('baseline', chain)[0] as TracedRun).result;
      for (const y of alone.years) {
        for (const c of y.commodities) {
          const whole = full.years.find((x) => x.year === y.year)?.commodities.find((x) => x.commodity === c.commodity);
          if (c.priceInside === null) continue;
          expect(
            Math.abs((c.priceInside ?? 0) / (whole?.priceInside ?? 1) - 1),
            `${chain} ${c.commodity} ${y.year}`,
          ).toBeLessThan(1e-6);
        }
      }
    }
  }, 120_000);
});

describe('appraiseProjects', () => {
  it('values the asked projects with timing, both NPVs and an incentive price', () => {
    expect(appraisals.projects.map((p) => p.id).sort()).toEqual([...IDS].sort());
    for (const p of appraisals.projects) {
      expect(p.decisionYear).toBe(p.onlineYear - p.leadTime);
      expect(Number.isFinite(p.npvBaseline) && Number.isFinite(p.npvZone)).toBe(true);
      expect(p.incentivePrice).toBeGreaterThan(p.cashCost);
    }
    // Not under construction: decided in the zone's first year, online after the lead time.
    const vulcan = appraisals.projects.find((p) => p.id === 'PRJ_VULCAN_ELEMENTS');
    expect(vulcan).toMatchObject({ decisionYear: 2026, onlineYear: 2029, committed: false, member: true });
    // A magnet maker buys NdPr oxide: the zone's oxide floor raises the price it needs.
    expect(vulcan?.incentivePriceZone).toBeGreaterThan(vulcan?.incentivePrice ?? Number.POSITIVE_INFINITY);
  });
  it('counts the CfD as support: the zone NPV is the market NPV plus the CfD payments', () => {
    for (const p of appraisals.projects) {
      expect(p.cfdPayments).toBeGreaterThanOrEqual(0);
      expect(p.npvZone).toBeCloseTo(p.npvZoneMarket + p.cfdPayments, 0);
    }
    // White Mesa is a US NdPr oxide producer: the zone's 110 USD/kg CfD covers it.
    expect(appraisals.projects.find((p) => p.id === 'PRJ_EF_WHITEMESA_P2')?.cfdPayments).toBeGreaterThan(0);
  });
  it('pays the CfD past the horizon (2031 here) only to the end of its term (2035)', () => {
    const wm = appraisals.projects.find((p) => p.id === 'PRJ_EF_WHITEMESA_P2');
    const zone = wm?.cashFlows?.zone ?? [];
    expect(zone.filter((f) => f.year > 2031 && f.year <= 2035 && f.output > 0).every((f) => f.cfd > 0)).toBe(true);
    expect(zone.filter((f) => f.year > 2035).map((f) => f.cfd)).toEqual(zone.filter((f) => f.year > 2035).map(() => 0));
    expect(wm?.cfdPayments).toBeCloseTo(
      presentValue(
        { costOfCapital: appraisals.costOfCapital },
        zone.map((f) => (f.year <= 2035 ? f.cfd : 0)),
      ),
      0,
    );
  });
  it('never charges support to a project bankable without it, and otherwise at least its CfD payments', () => {
    for (const p of appraisals.projects) {
      if (p.bankableWithoutSupport) expect(p.supportCost).toBe(0);
      else {
        expect(p.supportCost).toBeGreaterThanOrEqual(p.cfdPayments);
        expect(p.supportCost).toBeGreaterThanOrEqual(-p.npvZoneMarket - 1e-6);
      }
    }
  });
  it('charges the CfD payments plus the gap left with them, where the CfD keeps a plant running that the market shuts in', () => {
    // A US oxide plant at 95 USD/kg (+ 11.6 of concentrate) is shut in at the zone's 103.8 but runs under the 110
    // CfD, at a market loss the CfD covers: its NPV with the CfD is below the market NPV plus the CfD payments. Support
    // was max(CfD, −market NPV) = USD 46.4m, which leaves the plant USD 5.7m short of bankable; it is CfD 12.5m plus
    // the 39.5m gap under the CfD, 52.1m.
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'lodestone-support-')), 'mine.yaml');
    writeFileSync(
      file,
      '- id: MY_OXIDE\n  name: High-cost separation\n  region: USA\n  commodity: ndpr/oxide\n  capacity: 500\n  capacity_unit: t NdPr-oxide\n  capex_musd: 50\n  cash_cost: 95\n  cash_cost_unit: USD/kg NdPr-oxide\n',
    );
    const withMine = withProjectRows(catalog, readProjectsFile(file, catalog));
    const [p] = appraiseProjects({
      scenario: short('zone-2026-ban-2027'),
      against: short('baseline'),
      catalog: withMine,
      userIds: new Set(['MY_OXIDE']),
      only: ['MY_OXIDE'],
    }).projects;
    if (!p) throw new Error('MY_OXIDE was not valued');
    expect(p.bankableWithoutSupport).toBe(false);
    expect(p.cfdPayments).toBeGreaterThan(0);
    expect(p.npvZone).toBeLessThan(p.npvZoneMarket + p.cfdPayments - 1e6);
    expect(p.npvZone).toBeLessThan(0);
    expect(p.supportCost).toBeCloseTo(p.cfdPayments - p.npvZone, 0);
    // With that support (the CfD paid, the rest a grant) its NPV is zero.
    expect(p.npvZone + (p.supportCost - p.cfdPayments)).toBeCloseTo(0, 0);
  }, 120_000);
  it('keeps the year-by-year cash flows whose present value is the NPV', () => {
    for (const p of appraisals.projects) {
      const flows = p.cashFlows;
      expect(flows).toBeDefined();
      const net = (flows?.zone ?? []).map((f) => f.net);
      expect(presentValue({ costOfCapital: appraisals.costOfCapital }, net)).toBeCloseTo(p.npvZone, 0);
      expect(flows?.zone[0]?.year).toBe(p.decisionYear);
      expect(flows?.zone.length).toBe(p.onlineYear - p.decisionYear + p.life);
    }
  });
  it('measures security against the scenario without the project', () => {
    const whiteMesa = appraisals.projects.find((p) => p.id === 'PRJ_EF_WHITEMESA_P2');
    // A US oxide plant raises the bloc's self-sufficiency in NdPr oxide.
    expect(whiteMesa?.security.selfSufficiency?.gain).toBeGreaterThan(0);
    expect(whiteMesa?.supplyValueAdded).toBeGreaterThan(0);
  });
  it('brings a project online in the "with" run and leaves it out of the "without" run', () => {
    const scenario = short('zone-2026-ban-2027');
    const runs = new ChainRuns(catalog, { zone: scenario, baseline: short('baseline') });
    const withIt = (runs.run('zone', 'rare-earths', [], new Map([['PRJ_VULCAN_ELEMENTS', 2029]]))[0] as TracedRun)
      .result;
    const without = (runs.run('zone', 'rare-earths', ['PRJ_VULCAN_ELEMENTS'])[0] as TracedRun).result;
    const events = (r: typeof withIt) =>
      r.years.flatMap((y) => y.projects.filter((p) => p.id === 'PRJ_VULCAN_ELEMENTS'));
    expect(events(withIt)).toContainEqual(expect.objectContaining({ event: 'online' }));
    expect(withIt.years.find((y) => y.year === 2029)?.projects).toContainEqual(
      expect.objectContaining({ id: 'PRJ_VULCAN_ELEMENTS', event: 'online' }),
    );
    expect(events(without)).toEqual([]);
    expect(runs.size).toBe(2);
    runs.run('zone', 'rare-earths', ['PRJ_VULCAN_ELEMENTS']);
    expect(runs.size).toBe(2);
  }, 120_000);
  it('joint security of one project is its own security', () => {
    const p = appraisals.projects.find((x) => x.id === 'PRJ_EF_WHITEMESA_P2');
    const joint = jointSecurity(
      { scenario: short('zone-2026-ban-2027'), against: short('baseline'), catalog },
      appraisals.projects,
      ['PRJ_EF_WHITEMESA_P2'],
    );
    expect(joint.consumptionLostAvoided).toBeCloseTo(p?.security.consumptionLostAvoided ?? Number.NaN, 0);
    expect(joint.supplyValueAdded).toBeCloseTo(p?.supplyValueAdded ?? Number.NaN, 0);
    expect(joint.sumOfParts.consumptionLostAvoided).toBe(p?.security.consumptionLostAvoided);
  }, 120_000);
  it('refuses an unknown project id', () => {
    expect(() =>
      appraiseProjects({ scenario: short('zone-2026'), against: short('baseline'), catalog, only: ['NOPE'] }),
    ).toThrow(/unknown project 'NOPE'/);
  });
});

describe('tracedSimulate', () => {
  it('records every region’s price and the CfDs in force each year', () => {
    const s = short('zone-2026', 2027);
    const re = restrictScenario(s, chainCommodities(catalog, 'rare-earths'), []);
    const { result, market } = tracedSimulate(re, catalog);
    expect(market.years.map((y) => y.year)).toEqual(result.years.map((y) => y.year));
    expect(market.years[0]?.cfds).toEqual([]);
    // The contract's last year (zone-2026.yaml: until 2035), for holding it past the horizon no longer than it runs.
    expect(market.years[1]?.cfds).toEqual([{ commodity: 'ndpr/oxide', regions: ['USA'], strike: 110000, until: 2035 }]);
    expect(market.years[1]?.prices.get('ndpr/oxide|USA')).toBeGreaterThan(0);
  }, 120_000);
  it('records a CfD’s volume, the output of each producer it covers', () => {
    const s = short('zone-2026', 2027);
    const zone = s.zone as NonNullable<Scenario['zone']>;
    const capped: Scenario = { ...s, zone: { ...zone, cfds: (zone.cfds ?? []).map((c) => ({ ...c, volume: 300 })) } };
    const { market } = tracedSimulate(restrictScenario(capped, chainCommodities(catalog, 'rare-earths'), []), catalog);
    expect(market.years[1]?.cfds).toEqual([
      { commodity: 'ndpr/oxide', regions: ['USA'], strike: 110000, until: 2035, volume: 300 },
    ]);
  }, 120_000);
  it('gives each CfD in force its own last year, not that of another on the same good', () => {
    const s = short('zone-2026', 2029);
    const zone = s.zone as NonNullable<Scenario['zone']>;
    const first = (zone.cfds ?? [])[0] as NonNullable<typeof zone.cfds>[number];
    // Two contracts for the same producers from 2026. The first (to 2040) pays from 2028, when the price falls below
    // its strike, and spends its budget of one dollar there; the second (to 2031) is then the one that pays.
    const twoContracts: Scenario = {
      ...s,
      zone: {
        ...zone,
        cfds: [
          { ...first, until: 2040, budget: 1 },
          { ...first, strike: 100000, until: 2031 },
        ],
      },
    };
    const { result, market } = tracedSimulate(
      restrictScenario(twoContracts, chainCommodities(catalog, 'rare-earths'), []),
      catalog,
    );
    const at = (year: number) => market.years.find((y) => y.year === year)?.cfds;
    expect(at(2026)).toEqual([
      { commodity: 'ndpr/oxide', regions: ['USA'], strike: 110000, until: 2040 },
      { commodity: 'ndpr/oxide', regions: ['USA'], strike: 100000, until: 2031 },
    ]);
    expect(result.years.find((y) => y.year === 2029)?.events).toContain('CfD ndpr/oxide (zone.cfds.0): budget spent');
    expect(at(2029)).toEqual([{ commodity: 'ndpr/oxide', regions: ['USA'], strike: 100000, until: 2031 }]);
  }, 120_000);
});

describe('appraisal over an ensemble', () => {
  const only = ['PRJ_EF_WHITEMESA_P2', 'PRJ_VULCAN_ELEMENTS'];
  const noRisks = (name: string): Scenario => ({ ...short(name), risks: { defaults: false } });
  it('with central data and no hazards, every draw is the central path and the values are the deterministic ones', () => {
    const options = { scenario: noRisks('zone-2026-ban-2027'), against: noRisks('baseline'), catalog, only };
    const central = appraiseProjects(options);
    const ensemble = appraiseProjects({ ...options, ensemble: { draws: 2, seed: 9, centralParameters: true } });
    expect(ensemble.ensemble).toEqual({ draws: 2, seed: 9, parameters: 'central', failures: [] });
    expect(central.ensemble).toBeNull();
    for (const c of central.projects) {
      const e = ensemble.projects.find((p) => p.id === c.id);
      expect(e?.paths).toBe(2);
      expect(c.paths).toBe(1);
      for (const key of [
        'npvBaseline',
        'npvZone',
        'npvZoneMarket',
        'cfdPayments',
        'floorTransfer',
        'supportCost',
      ] as const) {
        expect(e?.[key]).toBeCloseTo(c[key], 3);
      }
      expect(e?.incentivePrice).toBeCloseTo(c.incentivePrice ?? Number.NaN, 6);
      expect(e?.security.consumptionLostAvoided).toBeCloseTo(c.security.consumptionLostAvoided, 3);
      expect(e?.probabilityOfLossZone).toBe(c.npvZone < 0 ? 1 : 0);
    }
  }, 180_000);
  it('with drawn data and shocks, gives reproducible expectations that differ from the central path', () => {
    const options = {
      scenario: short('zone-2026-ban-2027'),
      against: short('baseline'),
      catalog,
      only,
      ensemble: { draws: 4, seed: 5 },
    };
    const a = appraiseProjects(options);
    const b = appraiseProjects(options);
    expect(b.projects).toEqual(a.projects);
    expect(a.ensemble?.parameters).toBe('drawn');
    const central = appraisals.projects.filter((p) => only.includes(p.id));
    let differs = false;
    for (const p of a.projects) {
      expect(p.paths).toBe(4 - new Set(a.ensemble?.failures.map((f) => f.draw)).size);
      expect(p.probabilityOfLossZone).toBeGreaterThanOrEqual(0);
      expect(p.probabilityOfLossZone).toBeLessThanOrEqual(1);
      if (p.bankableWithoutSupport) expect(p.supportCost).toBe(0);
      const c = central.find((x) => x.id === p.id);
      if (c && Math.abs(c.npvZone - p.npvZone) > 1e-6 * Math.abs(c.npvZone)) differs = true;
    }
    expect(differs).toBe(true);
  }, 180_000);
});
