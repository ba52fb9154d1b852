/** Uncertain data: which cells are drawn, how they are grouped, and the draw's catalog. */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { drawStream, triangular } from '../../src/ensemble/stream.ts';
import { drawQuantiles, perturbedCatalog, summarizeGroups, uncertainGroups } from '../../src/ensemble/uncertain.ts';
import { buildWorld } from '../../src/model/world.ts';

const catalog = new Catalog(loadDataset());
const groups = uncertainGroups(catalog);
const byKey = new Map(groups.map((g) => [g.key, g]));

describe('uncertainGroups', () => {
  it('groups the cells citing one assumption, and gives a sourced range its own group', () => {
    const magnets = byKey.get('demand.elasticity|A_RE_ELAST_MAG');
    expect(magnets?.kind).toBe('assumption');
    // Every region's NdFeB magnet demand cites the one assumption (−0.3, range −0.6 to −0.1).
    expect(magnets?.cells.length).toBe(
      catalog.dataset.tables.demand.filter((d) => d.commodity === 'ndfeb/magnet').length,
    );
    for (const c of magnets?.cells ?? []) expect([c.low, c.central, c.high]).toEqual([-0.6, -0.3, -0.1]);
    const sourced = groups.filter((g) => g.kind === 'source');
    expect(sourced.length).toBeGreaterThan(0);
    for (const g of sourced) expect(g.cells).toHaveLength(1);
  });

  it('draws demand growth by the provenance of its range (range_source), shared across commodities', () => {
    const iea = byKey.get('demand_growth.rate|A_DG_RANGE_IEA');
    expect(iea?.cells.length).toBeGreaterThan(5);
    expect(new Set(iea?.cells.map((c) => catalog.dataset.tables.demand_growth[c.row]?.commodity)).size).toBeGreaterThan(
      3,
    );
  });

  it("leaves a producer's capacity and utilisation alone when capacity was derived from output ÷ utilisation", () => {
    const ids = (g: (typeof groups)[number]) => g.cells.map((c) => catalog.dataset.tables.producers[c.row]?.id);
    const drawnCapacity = groups.filter((g) => g.table === 'producers' && g.column !== 'cash_cost').flatMap(ids);
    // RE_CONC_MMR: capacity and utilisation both cite A_RE_CAP_DEFAULT (capacity = output / 0.85).
    expect(drawnCapacity).not.toContain('RE_CONC_MMR');
    // W_REFINED_CHN: a published capacity (CTIA) with an assumed utilisation: the utilisation is drawn.
    expect(groups.some((g) => g.key === 'producers.utilisation|A_W_REFINED_SPLIT')).toBe(true);
    expect(groups.some((g) => g.key === 'producers.cash_cost|A_RE_CONC_COST_IONIC')).toBe(true);
  });

  it('is sorted by key, the order in which a draw consumes its stream', () => {
    const keys = groups.map((g) => g.key);
    expect(keys).toEqual([...keys].sort());
    expect(summarizeGroups(groups).every((s) => s.low <= s.high && s.distribution.startsWith('triangular'))).toBe(true);
  });
});

describe('perturbedCatalog', () => {
  it('at central quantiles reproduces every value, and shares the tables it does not change', () => {
    const central = perturbedCatalog(catalog, groups, drawQuantiles(groups, undefined));
    for (const t of ['demand', 'producers', 'stage_links', 'freight', 'demand_growth', 'parameters'] as const) {
      expect(central.dataset.tables[t]).toEqual(catalog.dataset.tables[t]);
    }
    expect(central.dataset.tables.regions).toBe(catalog.dataset.tables.regions);
  });

  it("shares the base catalog's indexes of the tables it shares, and indexes what it draws afresh", () => {
    const drawn = perturbedCatalog(catalog, groups, drawQuantiles(groups, drawStream(3, 14, 'parameters')));
    // Regions, commodities, sources and unit conversions are never drawn: one index for every draw.
    expect(drawn.regions).toBe(catalog.regions);
    expect(drawn.commodities).toBe(catalog.commodities);
    expect(drawn.sources).toBe(catalog.sources);
    expect(drawn.converter).toBe(catalog.converter);
    // A catalog of other tables (here a copy of the regions with one renamed) has indexes of its own.
    const tables = catalog.dataset.tables;
    const renamed = tables.regions.map((r) => (r.code === 'USA' ? { ...r, code: 'US' } : r));
    const other = new Catalog({ ...catalog.dataset, tables: { ...tables, regions: renamed } }, { drawnFrom: catalog });
    expect(other.regions).not.toBe(catalog.regions);
    expect(other.regions.has('US')).toBe(true);
    expect(other.regions.has('USA')).toBe(false);
    expect(other.commodities).toBe(catalog.commodities);
  });

  it('moves every cell of a group to the same position of its own range, and leaves the base data untouched', () => {
    const before = JSON.stringify(catalog.dataset.tables);
    const u = drawQuantiles(groups, drawStream(3, 14, 'parameters'));
    const drawn = perturbedCatalog(catalog, groups, u);
    groups.forEach((g, i) => {
      for (const c of g.cells) {
        const rows = drawn.dataset.tables[c.table] as unknown as Record<string, number>[];
        const value = rows[c.row]?.[c.column] as number;
        expect(value).toBe(triangular(c.low, c.central, c.high, u[i] as number));
        expect(value).toBeGreaterThanOrEqual(c.low);
        expect(value).toBeLessThanOrEqual(c.high);
      }
    });
    expect(JSON.stringify(catalog.dataset.tables)).toBe(before);
    // The copies keep where each row came from (for messages).
    expect(drawn.dataset.tables.demand[0]?.$origin).toEqual(catalog.dataset.tables.demand[0]?.$origin);
  });

  it("prices a draw's routes with its own freight and reference prices, as a catalog built afresh from its data would", () => {
    const drawn = perturbedCatalog(catalog, groups, drawQuantiles(groups, drawStream(3, 14, 'parameters')));
    expect(drawn.drawnFrom).toBe(catalog);
    // A draw of a draw keys to the first catalog (the one whose tables' keys they all share).
    const again = perturbedCatalog(drawn, groups, drawQuantiles(groups, drawStream(3, 15, 'parameters')));
    expect(again.drawnFrom).toBe(catalog);
    const routes = (c: Catalog, policy?: { members: string[] }) =>
      buildWorld(c, policy ? { policy } : {}).problem.routes?.byPair ?? [];
    for (const policy of [undefined, { members: ['USA', 'EU27', 'JPN', 'MEX'] }]) {
      // The base catalog's routes first, so that the draw's would find its work done, were it to reuse the numbers.
      const base = routes(catalog, policy);
      const fresh = routes(new Catalog(drawn.dataset), policy);
      expect(routes(drawn, policy)).toEqual(fresh);
      expect(routes(again, policy)).toEqual(routes(new Catalog(again.dataset), policy));
      // The draw moved freight (drawn per row, and a share of value at drawn reference prices): the test can fail.
      const freight = (rs: typeof base) => rs.map((r) => r.freight);
      expect(freight(fresh)).not.toEqual(freight(base));
      expect(fresh.map((r) => `${r.commodity}|${r.from}|${r.to}`)).toEqual(
        base.map((r) => `${r.commodity}|${r.from}|${r.to}`),
      );
    }
  });
});
