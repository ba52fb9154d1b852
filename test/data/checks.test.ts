/**
 * Each named check fires on a deliberately broken copy of the tiny fixture, at the right place, and stays quiet
 * on the intact one.
 */
import { describe, expect, it } from 'vitest';
import type { DataIssue } from '../../src/data/issues.ts';
import { brokenFixture, checkFixture, MINI } from '../helpers.ts';

function errorsOf(dir: string): DataIssue[] {
  return checkFixture(dir).issues.filter((i) => i.severity === 'error');
}

describe('the intact fixture', () => {
  it('passes every check without errors or warnings', () => {
    expect(checkFixture(MINI).issues).toEqual([]);
  });
});

const cases: {
  name: string;
  edits: Parameters<typeof brokenFixture>[0];
  check: string;
  file: string;
  line?: number;
  column?: number;
  text: RegExp;
}[] = [
  {
    name: 'an unknown region code',
    edits: { 'production.csv': (t) => t.replace('widget/ore,USA,2024', 'widget/ore,XYZ,2024') },
    check: 'unknown-region',
    file: 'production.csv',
    line: 3,
    column: 2,
    text: /unknown region 'XYZ'/,
  },
  {
    name: 'an unknown commodity',
    edits: { 'demand.csv': (t) => t.replace('USA,widget/metal', 'USA,widget/alloy') },
    check: 'unknown-commodity',
    file: 'demand.csv',
    line: 2,
    column: 2,
    text: /unknown commodity 'widget\/alloy'/,
  },
  {
    name: 'a unit that disagrees with the commodity',
    edits: { 'production.csv': (t) => t.replace('widget/ore,DEU,2024,50,t W', 'widget/ore,DEU,2024,50,t LCE') },
    check: 'unit-mismatch',
    file: 'production.csv',
    line: 4,
    column: 5,
    text: /'t LCE' does not convert/,
  },
  {
    name: 'a price in the wrong basis',
    edits: { 'prices.csv': (t) => t.replace('USD/kg W', 'USD/kg Cu') },
    check: 'unit-mismatch',
    file: 'prices.csv',
    line: 2,
    column: 4,
    text: /USD\/kg Cu/,
  },
  {
    name: 'a stage link to nothing',
    edits: { 'stage_links.csv': (t) => t.replace('widget/metal,widget/ore', 'widget/metal,widget/dust') },
    check: 'stage-links',
    file: 'stage_links.csv',
    line: 2,
    column: 2,
    text: /leads to nothing/,
  },
  {
    name: 'a stage-link cycle',
    edits: { 'stage_links.csv': (t) => `${t}widget/ore,widget/metal,0.1,TEST_PUB,\n` },
    check: 'stage-links',
    file: 'stage_links.csv',
    text: /cycle/,
  },
  {
    name: 'a negative quantity',
    edits: { 'production.csv': (t) => t.replace('widget/ore,USA,2024,100', 'widget/ore,USA,2024,-100') },
    check: 'cell-value',
    file: 'production.csv',
    line: 3,
    column: 4,
    text: /-100 is negative/,
  },
  {
    name: 'a negative capacity',
    edits: { 'producers.csv': (t) => t.replace('country,,120,', 'country,,-120,') },
    check: 'cell-value',
    file: 'producers.csv',
    line: 3,
    column: 7,
    text: /-120 is negative/,
  },
  {
    name: 'a non-numeric quantity',
    edits: { 'production.csv': (t) => t.replace('widget/ore,USA,2024,100', 'widget/ore,USA,2024,"1,000"') },
    check: 'cell-value',
    file: 'production.csv',
    line: 3,
    column: 4,
    text: /not a plain number/,
  },
  {
    name: 'a utilisation over 100%',
    edits: { 'producers.csv': (t) => t.replace('country,,1000,0.8,', 'country,,1000,1.3,') },
    check: 'cell-value',
    file: 'producers.csv',
    line: 2,
    column: 8,
    text: /above the maximum 1/,
  },
  {
    name: 'a country making more than the world',
    edits: { 'production.csv': (t) => t.replace('widget/ore,CHN,2024,800', 'widget/ore,CHN,2024,8000') },
    check: 'share-over-100',
    file: 'production.csv',
    line: 2,
    column: 4,
    text: /CHN alone makes/,
  },
  {
    name: 'output above capacity',
    edits: { 'producers.csv': (t) => t.replace('country,,120,0.83', 'country,,90,0.83') },
    check: 'share-over-100',
    file: 'production.csv',
    line: 3,
    text: /more than its producers' capacity/,
  },
  {
    name: 'country rows that miss the world total',
    edits: { 'world_totals.csv': (t) => t.replace('widget/ore,2024,1000', 'widget/ore,2024,1100') },
    check: 'world-totals',
    file: 'world_totals.csv',
    line: 2,
    column: 3,
    text: /9\.09% from the world total/,
  },
  {
    name: 'a numeric cell without provenance',
    edits: {
      'production.csv': (t) => t.replace('widget/ore,USA,2024,100,t W,TEST_PUB', 'widget/ore,USA,2024,100,t W,'),
    },
    check: 'cell-value',
    file: 'production.csv',
    line: 3,
    column: 6,
    text: /empty but required/,
  },
  {
    name: 'a source id that does not exist',
    edits: {
      'production.csv': (t) => t.replace('widget/ore,USA,2024,100,t W,TEST_PUB', 'widget/ore,USA,2024,100,t W,NOPE'),
    },
    check: 'unknown-source',
    file: 'production.csv',
    line: 3,
    column: 6,
    text: /cites 'NOPE'/,
  },
  {
    name: 'an assumption without a range',
    edits: { 'producers.csv': (t) => t.replace('5000,A_TEST_COST,4000,6000', '5000,A_TEST_COST,,') },
    check: 'assumption-range',
    file: 'producers.csv',
    line: 3,
    text: /assumed \(A_TEST_COST\) but has no range/,
  },
  {
    name: 'a value outside its stated range',
    edits: { 'producers.csv': (t) => t.replace('5000,A_TEST_COST,4000,6000', '7000,A_TEST_COST,4000,6000') },
    check: 'range-order',
    file: 'producers.csv',
    line: 3,
    text: /outside its range/,
  },
  {
    name: 'malformed CSV (an unclosed quote)',
    edits: { 'production.csv': (t) => t.replace('in kt to exercise', '"in kt to exercise') },
    check: 'csv-format',
    file: 'production.csv',
    text: /malformed CSV/,
  },
  {
    name: 'a row with too many cells',
    edits: {
      'production.csv': (t) =>
        t.replace('widget/ore,DEU,2024,50,t W,TEST_PUB,', 'widget/ore,DEU,2024,50,t W,TEST_PUB,,extra'),
    },
    check: 'csv-format',
    file: 'production.csv',
    line: 4,
    text: /8 cells but the header has 7/,
  },
  {
    name: 'an empty file',
    edits: { 'demand.csv': '' },
    check: 'csv-format',
    file: 'demand.csv',
    line: 1,
    text: /the file is empty/,
  },
  {
    name: 'an unknown column',
    edits: { 'production.csv': (t) => t.replace('quantity,unit', 'quantty,unit') },
    check: 'csv-format',
    file: 'production.csv',
    line: 1,
    column: 4,
    text: /unknown column 'quantty'/,
  },
  {
    name: 'a duplicated key',
    edits: { 'production.csv': (t) => `${t}widget/ore,USA,2024,100,t W,TEST_PUB,\n` },
    check: 'duplicate-key',
    file: 'production.csv',
    line: 8,
    text: /already on line 3/,
  },
  {
    name: 'a policy event that ends before it was announced',
    edits: { 'policy_events.csv': (t) => t.replace('2025-02-01,,', '2025-02-01,2024-01-01,') },
    check: 'date-order',
    file: 'policy_events.csv',
    line: 2,
    text: /ends \(2024-01-01\) before it was announced \(2025-01-01\)/,
  },
  {
    name: 'an invalid ISO country code in regions',
    edits: { 'regions.csv': (t) => `${t}XQZ,Nowhere,country,,false,\n` },
    check: 'unknown-region',
    file: 'regions.csv',
    line: 7,
    text: /not an ISO 3166-1 alpha-3 code/,
  },
  // episodes.csv: line 2 has both levels and a multiple, line 3 only a published multiple.
  {
    name: 'an episode whose after observation precedes its before observation',
    edits: {
      'episodes.csv': (t) =>
        t.replace(',2024-12-20,2024-12-20,2025-03-01,2025-03-01,', ',2024-12-20,2024-12-20,2024-12-10,2024-12-10,'),
    },
    check: 'episode-dates',
    file: 'episodes.csv',
    line: 2,
    column: 25,
    text: /does not follow the before observation/,
  },
  {
    name: 'an episode observed only before the measure was known',
    edits: {
      'episodes.csv': (t) =>
        t.replace(',2024-12-20,2024-12-20,2025-03-01,2025-03-01,', ',2024-11-01,2024-11-01,2024-12-15,2024-12-15,'),
    },
    check: 'episode-dates',
    file: 'episodes.csv',
    line: 2,
    column: 26,
    text: /ends \(2024-12-15\) before the measure was known \(2025-01-01\)/,
  },
  {
    name: 'an episode announced after it took effect',
    edits: { 'episodes.csv': (t) => t.replaceAll(',2025-01-01,2025-02-01,', ',2025-03-01,2025-02-01,') },
    check: 'episode-dates',
    file: 'episodes.csv',
    line: 2,
    column: 9,
    text: /announced \(2025-03-01\) after it took effect \(2025-02-01\)/,
  },
  {
    name: 'an episode row with no price change',
    edits: { 'episodes.csv': (t) => t.replace(',,,0.8,CNY/t W', ',,,,CNY/t W') },
    check: 'episode-prices',
    file: 'episodes.csv',
    line: 3,
    column: 17,
    text: /neither both prices nor a multiple/,
  },
  {
    name: 'a published multiple that disagrees with the two prices',
    edits: { 'episodes.csv': (t) => t.replace(',100,250,2.5,', ',100,250,3.5,') },
    check: 'episode-prices',
    file: 'episodes.csv',
    line: 2,
    column: 19,
    text: /multiple 3\.5 disagrees with price_after \/ price_before = 2\.5/,
  },
  {
    name: 'a zero price before',
    edits: { 'episodes.csv': (t) => t.replace(',100,250,2.5,', ',0,250,,') },
    check: 'episode-prices',
    file: 'episodes.csv',
    line: 2,
    column: 17,
    text: /price_before is 0/,
  },
  {
    name: 'an episode price unit without a currency',
    edits: { 'episodes.csv': (t) => t.replace(',USD/kg W,', ',dollars per kg,') },
    check: 'episode-unit',
    file: 'episodes.csv',
    line: 2,
    column: 20,
    text: /'dollars per kg' is not <currency>\/<quantity>/,
  },
  {
    name: 'a cut share without its basis',
    edits: { 'episodes.csv': (t) => t.replace(',0.5,TEST_PUB,actor_exports,', ',0.5,TEST_PUB,,') },
    check: 'episode-cut',
    file: 'episodes.csv',
    line: 2,
    column: 14,
    text: /cut_share and cut_basis go together/,
  },
  {
    name: 'an episode naming a policy event that does not exist',
    edits: { 'episodes.csv': (t) => t.replaceAll(',CHN-2025-widget,', ',CHN-2099-widget,') },
    check: 'episode-event',
    file: 'episodes.csv',
    line: 2,
    column: 2,
    text: /policy event 'CHN-2099-widget' is not in policy_events\.csv/,
  },
  {
    name: "an episode whose actor is not its policy event's",
    edits: { 'episodes.csv': (t) => t.replaceAll(',CHN,licensing,', ',USA,licensing,') },
    check: 'episode-event',
    file: 'episodes.csv',
    line: 2,
    column: 6,
    text: /actor USA differs from the actor of policy event CHN-2025-widget \(CHN\)/,
  },
  {
    name: 'rows of one episode that disagree on the measure',
    edits: {
      'episodes.csv': (t) =>
        t.replace('CHN,licensing,*,2025-01-01,2025-02-01,,,', 'CHN,ban,*,2025-01-01,2025-02-01,,,'),
    },
    check: 'episode-consistency',
    file: 'episodes.csv',
    line: 3,
    column: 7,
    text: /measure 'ban' differs from 'licensing' on line 2/,
  },
  {
    name: 'an episode restricting an unknown destination',
    edits: { 'episodes.csv': (t) => t.replace(',*,2025-01-01,2025-02-01,,0.5,', ',XYZ,2025-01-01,2025-02-01,,0.5,') },
    check: 'unknown-region',
    file: 'episodes.csv',
    line: 2,
    column: 8,
    text: /unknown region 'XYZ'/,
  },
  {
    name: 'an episode pricing an unknown commodity',
    edits: {
      'episodes.csv': (t) =>
        t.replace(
          ',widget/metal,widget/metal,widget 99%,CHN,licensing,*,2025-01-01,2025-02-01,,0.5',
          ',widget/dust,widget/metal,widget 99%,CHN,licensing,*,2025-01-01,2025-02-01,,0.5',
        ),
    },
    check: 'unknown-commodity',
    file: 'episodes.csv',
    line: 2,
    column: 3,
    text: /unknown commodity 'widget\/dust' in episodes/,
  },
  {
    name: 'an episode restricting an unknown commodity (a list, checked code by code)',
    edits: {
      'episodes.csv': (t) =>
        t.replace(',widget/metal,widget/metal,widget 99%,', ',widget/metal,widget/metal widget/dust,widget 99%,'),
    },
    check: 'unknown-commodity',
    file: 'episodes.csv',
    line: 2,
    column: 4,
    text: /unknown commodity 'widget\/dust' in episodes/,
  },
  {
    name: 'a cut share above 1',
    edits: { 'episodes.csv': (t) => t.replace(',0.5,TEST_PUB,', ',1.5,TEST_PUB,') },
    check: 'cell-value',
    file: 'episodes.csv',
    line: 2,
    column: 12,
    text: /1\.5 is above the maximum 1/,
  },
  {
    name: 'an unknown kind of measure',
    edits: { 'episodes.csv': (t) => t.replace(',CHN,licensing,', ',CHN,embargo,') },
    check: 'cell-value',
    file: 'episodes.csv',
    line: 2,
    column: 7,
    text: /expected one of: ban, quota, licensing, outage, export_suspension/,
  },
  {
    name: 'an episode price citing an unknown source',
    edits: {
      'episodes.csv': (t) => t.replace(',TEST_PUB,only the published change', ',NOPE,only the published change'),
    },
    check: 'unknown-source',
    file: 'episodes.csv',
    line: 3,
    column: 27,
    text: /episodes\.multiple cites 'NOPE'/,
  },
];

describe('each check fires on a broken fixture', () => {
  for (const c of cases) {
    it(`reports ${c.name}`, () => {
      const errors = errorsOf(brokenFixture(c.edits));
      const hit = errors.find((i) => i.check === c.check && c.text.test(i.message));
      expect(hit, `no ${c.check} error matching ${c.text}; got:\n${JSON.stringify(errors, null, 1)}`).toBeDefined();
      expect(hit?.file).toMatch(new RegExp(`${c.file.replace('.', '\\.')}$`));
      if (c.line !== undefined) expect(hit?.line).toBe(c.line);
      if (c.column !== undefined) expect(hit?.column).toBe(c.column);
    });
  }
});

describe('warnings', () => {
  it('flags listed countries below 95% of world output', () => {
    const dir = brokenFixture({
      'production.csv': (t) =>
        t
          .replace('widget/metal,CHN,2024,910', 'widget/metal,CHN,2024,850')
          .replace('widget/metal,ROW,2024,40', 'widget/metal,ROW,2024,100'),
    });
    const issues = checkFixture(dir).issues;
    expect(issues.some((i) => i.check === 'country-coverage' && /listed countries make 89\.5%/.test(i.message))).toBe(
      true,
    );
  });
  it('accepts a measure suspended before it took effect', () => {
    const dir = brokenFixture({ 'policy_events.csv': (t) => t.replace('2025-02-01,,', '2025-02-01,2025-01-15,') });
    expect(checkFixture(dir).issues).toEqual([]);
  });
  it('flags a producing country with no producer', () => {
    const dir = brokenFixture({ 'producers.csv': (t) => t.replace(/^ore-DEU.*\n/m, '') });
    const issues = checkFixture(dir).issues;
    expect(issues.some((i) => i.check === 'capacity-coverage' && /DEU produced 50/.test(i.message))).toBe(true);
  });
  it('flags an episode whose before observation comes well after the measure took effect', () => {
    const dir = brokenFixture({
      'episodes.csv': (t) => t.replace(',2024-12-20,2024-12-20,2025-03-01,', ',2025-02-10,2025-02-10,2025-03-01,'),
    });
    const issues = checkFixture(dir).issues;
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    const hit = issues.find((i) => i.check === 'episode-dates');
    expect(hit?.severity).toBe('warning');
    expect(hit?.message).toMatch(/begins 9 day\(s\) after the measure took effect \(2025-02-01\)/);
    expect(hit?.line).toBe(2);
  });
  it('accepts a before observation on the first working day after a weekend measure', () => {
    const dir = brokenFixture({
      'episodes.csv': (t) => t.replace(',2024-12-20,2024-12-20,2025-03-01,', ',2025-02-03,2025-02-03,2025-03-01,'),
    });
    expect(checkFixture(dir).issues).toEqual([]);
  });
  it('flags an episode dated differently from its policy event', () => {
    const dir = brokenFixture({
      'episodes.csv': (t) => t.replaceAll(',2025-01-01,2025-02-01,', ',2025-01-01,2025-02-03,'),
    });
    const issues = checkFixture(dir).issues;
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(
      issues.some(
        (i) =>
          i.check === 'episode-event' &&
          /effective 2025-02-03 differs from policy event CHN-2025-widget \(2025-02-01\)/.test(i.message),
      ),
    ).toBe(true);
  });
  it('flags a commodity with nowhere to go', () => {
    const dir = brokenFixture({ 'demand.csv': 'region,commodity,year,sector,quantity,source,note\n' });
    const issues = checkFixture(dir).issues;
    expect(issues.some((i) => i.check === 'chain-closure' && /widget\/metal/.test(i.message))).toBe(true);
  });
});
