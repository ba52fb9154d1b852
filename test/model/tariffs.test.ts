/**
 * The duties on the equilibrium's routes: those in force in the year simulated, and per tariff line as the customs
 * duty on an entry sums them (src/model/tariff-lines.ts), so that the simulator and the secretariat charge one duty.
 */
import { describe, expect, it } from 'vitest';
import { assessDuty } from '../../src/admin/duty.ts';
import { defaultMembers, inForceOn } from '../../src/admin/schedule.ts';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { buildWorld, routeTablesKept, tariffsInForceKey } from '../../src/model/world.ts';

const catalog = new Catalog(loadDataset());
const MAGNET = 'ndfeb/magnet';

/** The ad valorem duty on Chinese magnets into the USA in a world with the tariffs of `tariffYear`. */
function magnetDuty(tariffYear?: number): number | undefined {
  const world = buildWorld(catalog, tariffYear === undefined ? {} : { tariffYear });
  return world.problem.routes?.byPair?.find((r) => r.commodity === MAGNET && r.from === 'CHN' && r.to === 'USA')
    ?.adValorem;
}

describe('duties on a route', () => {
  it('are those in force in the year simulated, not the base year’s', () => {
    // 2024: MFN 2.1%, Section 301 at 0% (magnets left off List 3), no IEEPA duty yet.
    expect(magnetDuty()).toBeCloseTo(0.021, 12);
    // 2026: MFN 2.1% + Section 301 25% (from 1 Jan 2026) + IEEPA 20% (from 10 Nov 2025) on the sintered line.
    expect(magnetDuty(2026)).toBeCloseTo(0.471, 12);
  });

  it('add up on a line, as the customs duty on an entry does', () => {
    // An entry of Chinese magnets into the USA on 1 July 2026, no line declared: the same 47.1% of customs value.
    const customsValueCents = 1_000_000_00;
    const a = assessDuty(
      catalog,
      {
        date: '2026-07-01',
        importer: 'USA',
        origin: 'CHN',
        commodity: MAGNET,
        quantity: '10',
        customsValueCents,
      },
      inForceOn([], '2026-07-01', defaultMembers(catalog)),
    );
    expect(a.ordinaryDutiesCents / customsValueCents).toBeCloseTo(magnetDuty(2026) as number, 12);
  });

  it('are none between members, whatever the year', () => {
    const into = (policy?: { members: string[] }) =>
      buildWorld(catalog, { tariffYear: 2026, ...(policy ? { policy } : {}) }).problem.routes?.byPair?.find(
        (r) => r.commodity === MAGNET && r.from === 'EU27' && r.to === 'USA',
      )?.adValorem ?? 0;
    expect(into()).toBeCloseTo(0.021, 12);
    expect(into({ members: ['USA', 'EU27', 'JPN', 'MEX'] })).toBe(0);
  });

  it('are priced once for the years between two changes of duty', () => {
    // 2030 and 2031 have the same tariffs in force: their worlds share one route table (and the engine's index of
    // it), as an ensemble draw's years do; a year with other duties has its own.
    expect(tariffsInForceKey(catalog, 2031)).toBe(tariffsInForceKey(catalog, 2030));
    const routes = (tariffYear: number) => buildWorld(catalog, { tariffYear }).problem.routes?.byPair;
    expect(routes(2031)).toBe(routes(2030));
    expect(tariffsInForceKey(catalog, 2024)).not.toBe(tariffsInForceKey(catalog, 2030));
    expect(routes(2024)).not.toBe(routes(2030));
    // A catalog drawn from this one but with a tariff table of its own (a duty from 2031) keys its own rows: its 2030
    // and 2031 have other duties, and other route tables.
    const rows = catalog.dataset.tables.tariffs;
    const first = rows[0] as (typeof rows)[number];
    const own = new Catalog(
      {
        ...catalog.dataset,
        tables: { ...catalog.dataset.tables, tariffs: [...rows, { ...first, rate: 25, effective_from: '2031-01-01' }] },
      },
      { drawnFrom: catalog },
    );
    expect(tariffsInForceKey(own, 2031)).not.toBe(tariffsInForceKey(own, 2030));
    const ownRoutes = (tariffYear: number) => buildWorld(own, { tariffYear }).problem.routes?.byPair;
    expect(ownRoutes(2031)).not.toBe(ownRoutes(2030));
  });
});

describe('the route tables a catalog keeps', () => {
  it('stay within a bound however many member sets a long-lived process asks for', () => {
    // A table per year, regions and members: a process simulating scenario after scenario kept every one (4 GB after
    // about 390 scenarios). Two-member zones of 13 candidates: 78 sets, more than are kept.
    const fresh = new Catalog(loadDataset());
    const candidates = ['USA', 'JPN', 'MEX', 'CAN', 'AUS', 'KOR', 'GBR', 'IND', 'BRA', 'CHL', 'ZAF', 'IDN', 'NOR'];
    const sets = candidates.flatMap((a, i) => candidates.slice(i + 1).map((b) => [a, b]));
    expect(sets.length).toBe(78);
    const routesOf = (members: string[]) => buildWorld(fresh, { policy: { members } }).problem.routes?.byPair?.length;
    const first = routesOf(sets[0] as string[]);
    for (const members of sets) routesOf(members);
    expect(routeTablesKept(fresh)).toBeGreaterThan(0);
    expect(routeTablesKept(fresh)).toBeLessThanOrEqual(64);
    // A table dropped is made again, the same.
    expect(routesOf(sets[0] as string[])).toBe(first);
  }, 60_000);
});
