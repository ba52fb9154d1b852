/**
 * Hazards: defaults derived from dated policy events (hand-counted fixtures with exact answers, and the embedded
 * table), the scenario's risks section (validation with file:line:col, replacement of defaults), and drawing
 * episodes from them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import {
  defaultRisks,
  drawShocks,
  idleRisks,
  type Risk,
  scenarioRisks,
  twinRisksNote,
  validateRisks,
} from '../../src/ensemble/risks.ts';
import { readScenario, SCENARIO_DIR } from '../../src/model/scenario.ts';
import { brokenFixture, inputErrorOf, ROOT } from '../helpers.ts';

const EVENTS = `id,announced,effective,ends,actor,kind,commodities,destinations,description,source,note
OLD,2019-01-01,2019-02-01,,CHN,export_ban,widget/metal,*,before the window,TEST_PUB,
BAN1,2022-12-01,2023-01-01,2024-07-02,CHN,export_ban,widget/metal,USA,a ban,TEST_PUB,
BAN1X,2024-07-02,2024-07-02,2025-01-01,CHN,export_ban,widget/metal,USA,its extension,TEST_PUB,
LIC,2024-12-01,2025-01-01,,CHN,export_licensing,widget/metal widget/ore,*,licences,TEST_PUB,
TECH,2024-01-01,2024-01-01,,CHN,technology_ban,widget/ore,*,not a supply control,TEST_PUB,
LATE,2027-01-01,,,USA,tariff,widget/metal,USA,ends the window,TEST_PUB,
`;

const fixtureCatalog = () => new Catalog(loadDataset({ dataDir: brokenFixture({ 'policy_events.csv': EVENTS }) }));
const embedded = new Catalog(loadDataset());

describe('defaultRisks', () => {
  it('counts episodes in the window and pools durations per actor (exact, hand-counted)', () => {
    const d = defaultRisks(fixtureCatalog(), 2023);
    // Window 2023-01-01 .. 2027-01-01 (the latest date announced or in force): 1461 days = 4 years.
    expect(d.window).toEqual({ from: '2023-01-01', to: '2027-01-01', years: 4 });
    // CHN: the ban and its extension are one episode, 2023-01-01..2025-01-01 (731 days, ended); the licensing
    // 2025-01-01..2027-01-01 (730 days, still in force): 1461 days in force, one ended: mean 4 years.
    expect(d.durations.CHN).toMatchObject({ years: 4, ended: 1, mean: 4 });
    const p = 1 - Math.exp(-1 / 4);
    const byId = Object.fromEntries(d.risks.map((r) => [r.id, r]));
    expect(Object.keys(byId).sort()).toEqual([
      'policy-events|ban|CHN|widget/metal|USA|',
      'policy-events|quota|CHN|widget/metal|*|risk_licensing_share',
      'policy-events|quota|CHN|widget/ore|*|risk_licensing_share',
    ]);
    const ban = byId['policy-events|ban|CHN|widget/metal|USA|'] as Risk;
    expect(ban.probability).toBeCloseTo(p, 6);
    expect(ban).toMatchObject({ kind: 'ban', origin: 'CHN', commodities: ['widget/metal'], destinations: ['USA'] });
    expect(ban.duration).toEqual({ law: 'geometric', mean: 4 });
    expect(ban.events).toEqual(['BAN1', 'BAN1X']);
    expect(ban.basis).toMatch(/^assumption: 1 episode\(s\) of CHN export_ban on widget\/metal toward USA/);
    const lic = byId['policy-events|quota|CHN|widget/ore|*|risk_licensing_share'] as Risk;
    expect(lic).toMatchObject({ kind: 'quota', shareParameter: 'risk_licensing_share', destinations: '*' });
    expect(lic.probability).toBeCloseTo(p, 6);
  });

  it('moves with the start of the window: from 2019 the old ban counts and the window is eight years', () => {
    const d = defaultRisks(fixtureCatalog(), 2019);
    expect(d.window.years).toBeCloseTo(2922 / 365.25, 10);
    const ban = d.risks.find((r) => r.id === 'policy-events|ban|CHN|widget/metal|*|');
    expect(ban?.probability).toBeCloseTo(1 - Math.exp(-1 / (2922 / 365.25)), 6);
  });

  it('leaves out a control suspended before it took effect: no onset, and no ended episode of no years', () => {
    const events = `id,announced,effective,ends,actor,kind,commodities,destinations,description,source,note
BAN,2022-12-01,2023-01-01,2024-01-01,CHN,export_ban,widget/metal,USA,a ban lifted after a year,TEST_PUB,
LIC,2024-12-01,2025-01-01,,CHN,export_licensing,widget/metal,*,licences still in force,TEST_PUB,
SUSP,2024-10-01,2024-12-01,2024-11-07,CHN,export_licensing,widget/metal widget/ore,*,suspended before it took effect,TEST_PUB,
LATE,2027-01-01,,,USA,tariff,widget/metal,USA,ends the window,TEST_PUB,
`;
    const d = defaultRisks(new Catalog(loadDataset({ dataDir: brokenFixture({ 'policy_events.csv': events }) })), 2023);
    // 2023-01-01 .. 2027-01-01: 4 years. In force: the ban's 365 days (ended) and the licences' 730 (open), one ended.
    const inForce = 1095 / 365.25;
    expect(d.durations.CHN?.ended).toBe(1);
    expect(d.durations.CHN?.years).toBeCloseTo(inForce, 3);
    expect(d.durations.CHN?.mean).toBeCloseTo(inForce, 3);
    const lic = d.risks.find((r) => r.id === 'policy-events|quota|CHN|widget/metal|*|risk_licensing_share');
    expect(lic?.events).toEqual(['LIC']);
    expect(lic?.probability).toBeCloseTo(1 - Math.exp(-1 / 4), 6);
    expect(d.risks.some((r) => r.events?.includes('SUSP'))).toBe(false);
  });

  it("on the embedded data: CHN's licensing of NdFeB magnets since April 2025 gives p = 1 − exp(−1/T)", () => {
    const d = defaultRisks(embedded);
    // 2023-01-01 .. 2026-02-04 (the Critical Minerals Ministerial, the latest date in the table): 1130 days.
    expect(d.window).toMatchObject({ from: '2023-01-01', to: '2026-02-04' });
    const T = 1130 / 365.25;
    const magnets = d.risks.find((r) => r.id === 'policy-events|quota|CHN|ndfeb/magnet|*|risk_licensing_share');
    // Nos. 57, 58 and 61 of October 2025 were suspended (No. 70) before they took effect: they cut nothing.
    expect(magnets?.events).toEqual(['CN_HREE_LIC_2025']);
    expect(magnets?.probability).toBeCloseTo(1 - Math.exp(-1 / T), 6);
    for (const id of ['CN_ANN57_2025', 'CN_ANN58_2025', 'CN_ANN61_2025']) {
      expect(
        d.risks.some((r) => r.events?.includes(id)),
        id,
      ).toBe(false);
    }
    // The DRC's cobalt ban and its extension are one episode; its quota another kind.
    const cobalt = d.risks.filter((r) => r.origin === 'COD');
    expect(cobalt.map((r) => r.kind).sort()).toEqual(['ban', 'quota']);
    expect(cobalt.find((r) => r.kind === 'ban')?.events).toEqual(['DRC_CO_BAN_2025', 'DRC_CO_BAN_EXT_2025']);
    // Technology bans, suspensions, tariffs and the like are not supply controls.
    expect(d.risks.some((r) => r.events?.includes('CN_REE_TECH_BAN_2023'))).toBe(false);
    expect(d.risks.some((r) => r.events?.includes('US_301_FYR_2024'))).toBe(false);
    // Indonesia's 2020 nickel-ore ban is before the window.
    expect(d.risks.some((r) => r.origin === 'IDN')).toBe(false);
    for (const r of d.risks) {
      expect(r.probability).toBeGreaterThan(0);
      expect(r.probability).toBeLessThan(1);
      expect(r.source).toBe('policy-events');
    }
  });

  it("is what the README's worked example says (CHN's pooled durations, the window), as --risks --json prints it", () => {
    const d = defaultRisks(embedded);
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const pooled = /\d+\.\d+ years in force, \d+ ended: mean \d+\.\d+ years/.exec(d.durations.CHN?.basis ?? '')?.[0];
    expect(pooled, d.durations.CHN?.basis).toBeDefined();
    // (A boolean each, so that a failure prints the line looked for, not the whole README.)
    expect(readme.includes(`CHN: ${pooled}`), `the README says 'CHN: ${pooled}'`).toBe(true);
    const window = `(${d.window.to}: ${d.window.years.toFixed(2)} years)`;
    expect(readme.includes(window), `the README says '${window}'`).toBe(true);
  });
});

function scenarioFile(body: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-risks-'));
  const file = path.join(dir, 's.yaml');
  writeFileSync(file, `name: s\nextends: ${path.join(SCENARIO_DIR, 'baseline.yaml')}\n${body}`);
  return file;
}

describe('the risks section of a scenario', () => {
  it('adds its controls to the defaults and replaces a default of the same kind, supplier, commodity and destinations', () => {
    const file = scenarioFile(
      [
        'risks:',
        '  controls:',
        '    - { kind: quota, origin: CHN, commodity: ndfeb/magnet, destinations: "*", share: 0.3, probability: 0.1, duration: 2 }',
        '    - { kind: outage, region: MMR, commodity: rare-earths/concentrate, share: { low: 0.2, central: 0.5, high: 0.8 }, probability: 0.05, duration: { min: 1, max: 3 } }',
      ].join('\n'),
    );
    const s = readScenario(file);
    validateRisks(s, embedded);
    const { risks } = scenarioRisks(s, embedded);
    const magnets = risks.filter(
      (r) => r.kind === 'quota' && r.origin === 'CHN' && r.commodities[0] === 'ndfeb/magnet',
    );
    expect(magnets).toHaveLength(1);
    expect(magnets[0]).toMatchObject({ source: 'scenario', probability: 0.1, duration: { law: 'fixed', years: 2 } });
    expect(magnets[0]?.basis).toMatch(/s\.yaml:\d+:\d+: the scenario's risks\.controls\.0/);
    const outage = risks.find((r) => r.kind === 'outage');
    expect(outage).toMatchObject({ origin: 'MMR', share: { low: 0.2, central: 0.5, high: 0.8 } });
    expect(risks.filter((r) => r.source === 'policy-events').length).toBe(defaultRisks(embedded).risks.length - 1);
  });

  it('with defaults: false keeps only its own controls', () => {
    const s = readScenario(scenarioFile('risks: { defaults: false }\n'));
    expect(scenarioRisks(s, embedded).risks).toEqual([]);
  });

  it('names, at their place, its controls that can never fire: out of the horizon, nothing to cut, off the chains', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-idle-'));
    const file = path.join(dir, 'idle.yaml');
    writeFileSync(
      file,
      [
        'name: idle',
        `extends: ${path.join(SCENARIO_DIR, 'zone-2026.yaml')}`,
        'risks:',
        '  defaults: false',
        '  controls:',
        '    - { kind: outage, region: MMR, commodity: rare-earths/concentrate, share: 0.5, probability: 0.2, duration: 1, from: 2050 }',
        '    - { kind: outage, region: MEX, commodity: ndpr/oxide, share: 0.5, probability: 0.9, duration: 2 }',
        '    - { kind: ban, origin: CHN, commodities: [gallium/refined], destinations: members, probability: 0.9, duration: 2 }',
        '    - { kind: outage, region: MMR, commodity: rare-earths/concentrate, share: 0.5, probability: 0.2, duration: 1 }',
        '',
      ].join('\n'),
    );
    const scenario = readScenario(file);
    const notes = idleRisks(scenario, embedded, new Set(['rare-earths/concentrate', 'ndpr/oxide', 'ndfeb/magnet']));
    expect(notes).toHaveLength(3);
    expect(notes[0]).toMatch(
      /idle\.yaml:6:\d+: risks\.controls\.0: never in force: its window \(from 2050\) lies outside the horizon 2025–2040/,
    );
    expect(notes[1]).toMatch(
      /idle\.yaml:7:\d+: risks\.controls\.1: can never fire: the data have no producer or project of ndpr\/oxide in MEX/,
    );
    expect(notes[2]).toMatch(
      /idle\.yaml:8:\d+: risks\.controls\.2: left out: gallium\/refined is not in the chains modelled/,
    );
    // The whole world modelled: the ban fires.
    expect(idleRisks(scenario, embedded)).toHaveLength(2);
  });

  it("says that a twin's own risks are not drawn (both runs take the scenario's draws), and says nothing otherwise", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-twin-'));
    const write = (name: string, lines: string[]) => {
      const file = path.join(dir, `${name}.yaml`);
      writeFileSync(
        file,
        [`name: ${name}`, `extends: ${path.join(SCENARIO_DIR, 'zone-2026.yaml')}`, ...lines, ''].join('\n'),
      );
      return readScenario(file);
    };
    const scenario = write('mine', []);
    const twin = write('twin', ['risks:', '  defaults: false']);
    expect(twinRisksNote(scenario, twin)).toMatch(
      /twin\.yaml:3:1: risks: not drawn: the twin runs on mine's draws \(the same shocks in both runs, a paired comparison\)/,
    );
    expect(twinRisksNote(scenario, write('same', []))).toBeUndefined();
    expect(twinRisksNote(scenario, undefined)).toBeUndefined();
  });

  it('names the file, line, column and path of an unknown supplier', () => {
    const s = readScenario(
      scenarioFile(
        'risks:\n  controls:\n    - { kind: ban, origin: XYZ, commodities: [ndpr/oxide], destinations: members, probability: 0.1, duration: 1 }\n',
      ),
    );
    expect(() => validateRisks(s, embedded)).toThrow(/s\.yaml:5:\d+: risks\.controls\.0\.origin: unknown region 'XYZ'/);
  });

  it('refuses a hazard whose destinations name its origin, at the destination', () => {
    const s = readScenario(
      scenarioFile(
        'risks:\n  controls:\n    - { kind: ban, origin: USA, commodities: [ndpr/oxide], destinations: [JPN, USA], probability: 0.1, duration: 1 }\n',
      ),
    );
    expect(() => validateRisks(s, embedded)).toThrow(
      /s\.yaml:5:\d+: risks\.controls\.0\.destinations\.1: USA is the origin itself: an export control is on shipments to other regions/,
    );
  });

  it('refuses a since after the latest policy event: there is no window to derive the defaults from', () => {
    // The embedded events end on 2026-02-04: from 2030-01-01 the window held no event, and the run went on with no
    // derived hazard and not a word (a 'since' read as "hazards from 2030 on" drew none at all).
    const late = readScenario(scenarioFile('risks:\n  since: 2030\n'));
    expect(() => validateRisks(late, embedded)).toThrow(
      /s\.yaml:4:\d+: risks\.since: 2030 is after the latest policy event on record \(2026-02-04\)/,
    );
    // With defaults: false nothing is derived and since is not read; up to the last event's year it is a window.
    expect(() =>
      validateRisks(readScenario(scenarioFile('risks:\n  defaults: false\n  since: 2030\n')), embedded),
    ).not.toThrow();
    expect(() => validateRisks(readScenario(scenarioFile('risks:\n  since: 2025\n')), embedded)).not.toThrow();
  });

  it('refuses a probability above 1 with file:line:col and path', () => {
    const file = scenarioFile(
      'risks:\n  controls:\n    - kind: ban\n      origin: CHN\n      commodities: [ndpr/oxide]\n      destinations: members\n      probability: 1.5\n      duration: 1\n',
    );
    expect(() => readScenario(file)).toThrow(
      /s\.yaml:9:20: risks\.controls\.0\.probability: must be a probability between 0 and 1/,
    );
  });

  it('refuses an unknown commodity and a duration whose min is above its max', () => {
    const bad = readScenario(
      scenarioFile(
        'risks:\n  controls:\n    - { kind: outage, region: MMR, commodity: unobtainium/ore, share: 0.5, probability: 0.1, duration: 1 }\n',
      ),
    );
    expect(() => validateRisks(bad, embedded)).toThrow(
      /risks\.controls\.0\.commodity: unknown commodity 'unobtainium\/ore'/,
    );
    // Ranges out of order are refused as the file is read, so 'scenario check' and 'simulate' refuse them too.
    const minmax = scenarioFile(
      'risks:\n  controls:\n    - { kind: outage, region: MMR, commodity: ndpr/oxide, share: 0.5, probability: 0.1, duration: { min: 3, max: 2 } }\n',
    );
    expect(() => readScenario(minmax)).toThrow(
      /s\.yaml:5:\d+: risks\.controls\.0\.duration\.min: min 3 is above max 2/,
    );
    const shares = scenarioFile(
      'risks:\n  controls:\n    - { kind: outage, region: MMR, commodity: ndpr/oxide, share: { low: 0.8, central: 0.5, high: 0.3 }, probability: 0.1, duration: 1 }\n',
    );
    expect(() => readScenario(shares)).toThrow(
      /s\.yaml:5:\d+: risks\.controls\.0\.share: expected low <= central <= high, got 0\.8, 0\.5, 0\.3/,
    );
  });

  it("judges an entry's keys by the kind it names: an outage with a quota's destinations lists an outage's keys", () => {
    // The entry has as many of a quota's keys as of an outage's: its kind, not the count, says which it is.
    const file = scenarioFile(
      'risks:\n  controls:\n    - { kind: outage, region: MMR, commodity: rare-earths/concentrate, destinations: members, share: 0.5, probability: 0.2, duration: 1 }\n',
    );
    const message = inputErrorOf(() => readScenario(file));
    expect(message).toMatch(
      /s\.yaml:5:\d+: risks\.controls\.0\.destinations: unknown key 'destinations'; the keys allowed in risks\.controls\.0 are kind, region, commodity, share, probability, duration, from, until$/,
    );
    expect(message).not.toMatch(/did you mean/);
  });
});

const ctx = {
  horizon: { start: 2025, end: 2030 },
  parameter: (id: string) => (id === 'risk_licensing_share' ? 0.6 : Number.NaN),
  baseExports: () => 1000,
};
const risk = (over: Partial<Risk>): Risk => ({
  id: 'test',
  kind: 'ban',
  origin: 'CHN',
  commodities: ['ndpr/oxide'],
  destinations: 'members',
  probability: 1,
  duration: { law: 'fixed', years: 2 },
  source: 'scenario',
  basis: 'test',
  ...over,
});

describe('drawShocks', () => {
  it('with probability 1 starts an episode whenever none is in force', () => {
    const shocks = drawShocks([risk({})], 1, 0, ctx);
    expect(shocks.map((s) => [s.start, s.duration])).toEqual([
      [2025, 2],
      [2027, 2],
      [2029, 2],
    ]);
    expect(shocks[0]).toEqual({
      kind: 'ban',
      origin: 'CHN',
      commodities: ['ndpr/oxide'],
      destinations: 'members',
      start: 2025,
      duration: 2,
    });
  });

  it('with probability 0 draws nothing, and a window limits the years', () => {
    expect(drawShocks([risk({ probability: 0 })], 1, 0, ctx)).toEqual([]);
    const limited = drawShocks([risk({ from: 2028, until: 2028, duration: { law: 'fixed', years: 1 } })], 1, 0, ctx);
    expect(limited.map((s) => s.start)).toEqual([2028]);
  });

  it('makes a quota the share of base-year exports, from a data parameter or its own range', () => {
    const fromParameter = drawShocks(
      [risk({ kind: 'quota', shareParameter: 'risk_licensing_share', duration: { law: 'fixed', years: 6 } })],
      1,
      0,
      ctx,
    );
    expect(fromParameter).toEqual([
      {
        kind: 'quota',
        origin: 'CHN',
        commodity: 'ndpr/oxide',
        destinations: 'members',
        quota: 600,
        start: 2025,
        duration: 6,
      },
    ]);
    const ranged = drawShocks(
      [
        risk({
          kind: 'outage',
          origin: 'MMR',
          share: { low: 0.2, central: 0.5, high: 0.8 },
          duration: { law: 'fixed', years: 6 },
        }),
      ],
      3,
      4,
      ctx,
    );
    expect(ranged).toHaveLength(1);
    const share = (ranged[0] as { share: number }).share;
    expect(share).toBeGreaterThanOrEqual(0.2);
    expect(share).toBeLessThanOrEqual(0.8);
  });

  it('draws onsets at the stated frequency and geometric durations with the stated mean', () => {
    const r = risk({ probability: 0.3, duration: { law: 'geometric', mean: 2.5 } });
    let first = 0;
    const durations: number[] = [];
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const shocks = drawShocks([r], 11, i, ctx);
      if (shocks[0]?.start === 2025) first++;
      // The first episode's duration only: later ones are more likely after short episodes.
      if (shocks[0]) durations.push(shocks[0].duration);
    }
    // Onset in the first year: binomial(20000, 0.3), standard deviation 65; four of them.
    expect(Math.abs(first - 0.3 * n)).toBeLessThan(4 * Math.sqrt(n * 0.3 * 0.7));
    const mean = durations.reduce((s, d) => s + d, 0) / durations.length;
    expect(mean).toBeCloseTo(2.5, 1);
    expect(Math.min(...durations)).toBe(1);
  });

  it('gives each hazard its own stream: adding one does not move another', () => {
    const a = risk({ id: 'a', probability: 0.4, duration: { law: 'uniform', min: 1, max: 3 } });
    const b = risk({
      id: 'b',
      origin: 'MMR',
      kind: 'outage',
      share: { low: 0.5, central: 0.5, high: 0.5 },
      probability: 0.5,
    });
    for (let i = 0; i < 50; i++) {
      const alone = drawShocks([a], 2, i, ctx);
      const both = drawShocks([b, a], 2, i, ctx).filter((s) => s.kind === 'ban');
      expect(both).toEqual(alone);
    }
  });
});
