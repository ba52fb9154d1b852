/** Scenario files: the built-in ones are valid, overlays merge, and every bad input names file, line, column, path. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { builtInScenarios, readScenario, SCENARIO_DIR } from '../../src/model/scenario.ts';
import { simulate, validateScenario } from '../../src/simulate/simulate.ts';
import { inputErrorOf, ROOT } from '../helpers.ts';

const catalog = new Catalog(loadDataset());

/** Writes scenario files into a fresh folder; returns the path of the first. */
function files(docs: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-scenario-'));
  for (const [name, text] of Object.entries(docs)) writeFileSync(path.join(dir, name), text);
  return path.join(dir, Object.keys(docs)[0] as string);
}

const ZONE = `${path.join(SCENARIO_DIR, 'zone-2026.yaml')}`;

describe('built-in scenarios', () => {
  it('are the four the issue names, each valid against the data', () => {
    expect(builtInScenarios()).toEqual(['baseline', 'zone-2026', 'zone-2026-ban-2027', 'ban-2027']);
    for (const name of builtInScenarios()) validateScenario(readScenario(name), catalog);
  });

  it("a scenario's title and description are its own: a base's would describe another scenario", () => {
    const plain = readScenario(files({ 's.yaml': 'name: my-zone\nextends: zone-2026\n' }));
    expect(plain.title).toBe('my-zone');
    expect(plain.description).toBe('');
    expect(plain.zone?.members).toHaveLength(4);
    const titled = readScenario(files({ 's.yaml': 'name: my-zone\nextends: zone-2026\ntitle: Mine\n' }));
    expect(titled.title).toBe('Mine');
  });

  it('overlay their base: zone-2026-ban-2027 keeps the zone of zone-2026 and adds the ban', () => {
    const s = readScenario('zone-2026-ban-2027');
    expect(s.files.map((f) => path.basename(f))).toEqual([
      'baseline.yaml',
      'zone-2026.yaml',
      'zone-2026-ban-2027.yaml',
    ]);
    expect(s.zone?.members.map((m) => m.region)).toEqual(['USA', 'EU27', 'JPN', 'MEX']);
    expect(s.shocks).toHaveLength(1);
    expect(s.horizon).toEqual({ start: 2025, end: 2040 });
    expect(readScenario('ban-2027').zone).toBeUndefined();
  });
});

describe('bad scenario files', () => {
  it("a missing name is the extending file's fault, not its base's (a name is never inherited)", () => {
    const f = files({ 's.yaml': `extends: ${ZONE}\n` });
    expect(inputErrorOf(() => readScenario(f))).toMatch(/s\.yaml:1:1: name: missing/);
  });

  it('the dominant supplier as a member of the zone, at the entry', () => {
    const f = files({
      's.yaml': `name: s\nextends: ${ZONE}\nzone:\n  members:\n    - { region: USA, from: 2026 }\n    - { region: CHN, from: 2026 }\n`,
    });
    expect(inputErrorOf(() => validateScenario(readScenario(f), catalog))).toMatch(
      /s\.yaml:6:\d+: zone\.members\.1\.region: CHN is the dominant supplier/,
    );
  });

  it('the rest of the world as a member, or as the producers of a CfD: an aggregate of countries, not a party', () => {
    const member = files({
      's.yaml': `name: s\nextends: ${ZONE}\nzone:\n  members:\n    - { region: USA, from: 2026 }\n    - { region: ROW, from: 2026 }\n`,
    });
    expect(inputErrorOf(() => validateScenario(readScenario(member), catalog))).toMatch(
      /s\.yaml:6:\d+: zone\.members\.1\.region: ROW is the rest of the world .*it cannot be a member/,
    );
    const cfd = files({
      's.yaml': `name: s\nextends: ${ZONE}\nzone:\n  cfds:\n    - { commodity: ndpr/oxide, strike: 110 USD/kg, regions: [ROW] }\n`,
    });
    expect(inputErrorOf(() => validateScenario(readScenario(cfd), catalog))).toMatch(
      /s\.yaml:5:\d+: zone\.cfds\.0\.regions\.0: ROW is the rest of the world .*a CfD would pay its producers/,
    );
  });

  it('a CfD that ends before it begins, or is never in force within the horizon, at its place (it paid nothing)', () => {
    const check = (cfd: string) =>
      inputErrorOf(() =>
        validateScenario(
          readScenario(
            files({
              's.yaml': `name: s\nextends: ${ZONE}\nhorizon: { start: 2025, end: 2030 }\nzone:\n  cfds:\n    - { commodity: ndpr/oxide, strike: 110 USD/kg, regions: [USA]${cfd} }\n`,
            }),
          ),
          catalog,
        ),
      );
    expect(check(', from: 2029, until: 2027')).toMatch(/s\.yaml:6:\d+: zone\.cfds\.0\.until: 2027 is before from 2029/);
    expect(check(', from: 2032')).toMatch(
      /s\.yaml:6:\d+: zone\.cfds\.0\.from: 2032 leaves it never in force within the horizon 2025–2030/,
    );
    expect(check(', until: 2024')).toMatch(/zone\.cfds\.0\.until: 2024 leaves it never in force/);
  });

  it('a CfD or stockpile in force only in years without members, or after the horizon, at its place (it did nothing)', () => {
    const check = (zone: string) =>
      inputErrorOf(() =>
        validateScenario(
          readScenario(
            files({
              's.yaml': `name: s\nextends: baseline\nhorizon: { start: 2025, end: 2030 }\nzone:\n  members: [{ region: USA, from: 2028 }]\n${zone}`,
            }),
          ),
          catalog,
        ),
      );
    expect(check('  cfds: [{ commodity: ndpr/oxide, strike: 110 USD/kg, from: 2026, until: 2027 }]\n')).toMatch(
      /s\.yaml:6:\d+: zone\.cfds\.0: in force 2026–2027, when the zone has no member: it pays only while the zone exists/,
    );
    const stock = (from: number) =>
      `  stockpiles: [{ member: zone, commodities: [gallium/refined], obligationDays: 90, budget: 1.0e6, from: ${from} }]\n`;
    expect(check(stock(2045))).toMatch(
      /s\.yaml:6:\d+: zone\.stockpiles\.0\.from: 2045 leaves it never in force within the horizon 2025–2030/,
    );
    // From before the zone forms: it starts with the zone.
    validateScenario(
      readScenario(
        files({
          's.yaml': `name: s\nextends: baseline\nhorizon: { start: 2025, end: 2030 }\nzone:\n  members: [{ region: USA, from: 2028 }]\n${stock(2026)}`,
        }),
      ),
      catalog,
    );
  });

  it('an export tax or tariff on an unknown code, or never in force within the horizon, at its place', () => {
    const check = (body: string) =>
      inputErrorOf(() =>
        validateScenario(
          readScenario(files({ 's.yaml': `name: s\nextends: ${ZONE}\nhorizon: { start: 2025, end: 2028 }\n${body}` })),
          catalog,
        ),
      );
    expect(check('exportTaxes:\n  - { origin: XYZ, commodity: nickel/refined, rate: 0.3, from: 2026 }\n')).toMatch(
      /s\.yaml:5:\d+: exportTaxes\.0\.origin: unknown region 'XYZ'/,
    );
    expect(check('exportTaxes:\n  - { origin: IDN, commodity: nickel/refind, rate: 0.3, from: 2026 }\n')).toMatch(
      /s\.yaml:5:\d+: exportTaxes\.0\.commodity: unknown commodity 'nickel\/refind'/,
    );
    expect(
      check('exportTaxes:\n  - { origin: IDN, commodity: nickel/refined, rate: 0.3, from: 2028, until: 2026 }\n'),
    ).toMatch(/s\.yaml:5:\d+: exportTaxes\.0\.until: 2026 is before from 2028/);
    expect(check('tariffs:\n  - { importer: USA, commodity: gallium/refined, adValorem: 0.5, from: 2029 }\n')).toMatch(
      /s\.yaml:5:\d+: tariffs\.0\.from: 2029 leaves it never in force within the horizon 2025–2028/,
    );
    // In force since before the horizon: applies from its start.
    validateScenario(
      readScenario(
        files({
          's.yaml': `name: s\nextends: ${ZONE}\nexportTaxes:\n  - { origin: IDN, commodity: nickel/refined, rate: 0.3, from: 2020 }\n`,
        }),
      ),
      catalog,
    );
  });

  it("a CfD paying the dominant supplier's producers, at the region", () => {
    const f = files({
      's.yaml': `name: s\nextends: ${ZONE}\nzone:\n  cfds:\n    - { commodity: ndpr/oxide, strike: 110 USD/kg, regions: [USA, CHN] }\n`,
    });
    expect(inputErrorOf(() => validateScenario(readScenario(f), catalog))).toMatch(
      /s\.yaml:5:\d+: zone\.cfds\.0\.regions\.1: CHN is the dominant supplier .*a CfD would pay its producers/,
    );
  });

  it("a member's export control on 'members' covers the other members, and runs", () => {
    const f = files({
      's.yaml': `name: s\nextends: ${ZONE}\nhorizon: { start: 2026, end: 2027 }\nshocks:\n  - { kind: ban, origin: USA, commodities: [gallium/refined], destinations: members, start: 2027, duration: 1 }\n`,
    });
    const flows = new Map<number, readonly { commodity: string; from: string; to: string; quantity: number }[]>();
    const run = simulate(readScenario(f), catalog, { onYear: ({ year, solution }) => flows.set(year, solution.flows) });
    expect(run.years.find((y) => y.year === 2027)?.events).toContain('ban: USA → members on gallium/refined');
    const shipped = (year: number) =>
      (flows.get(year) ?? [])
        .filter((x) => x.commodity === 'gallium/refined' && x.from === 'USA' && ['EU27', 'JPN', 'MEX'].includes(x.to))
        .reduce((t, x) => t + x.quantity, 0);
    expect(shipped(2027)).toBe(0);
  });

  it('an export control whose destinations name its origin, at the destination', () => {
    const f = files({
      's.yaml': `name: s\nextends: ${ZONE}\nshocks:\n  - { kind: ban, origin: CHN, commodities: '*', destinations: [USA, CHN], start: 2027, duration: 1 }\n`,
    });
    expect(inputErrorOf(() => validateScenario(readScenario(f), catalog))).toMatch(
      /s\.yaml:4:\d+: shocks\.0\.destinations\.1: CHN is the origin itself/,
    );
    // A member state trades as EU27: France is no destination for Germany's controls.
    const eu = files({
      's.yaml': `name: s\nextends: ${ZONE}\nshocks:\n  - { kind: ban, origin: DEU, commodities: '*', destinations: [FRA], start: 2027, duration: 1 }\n`,
    });
    expect(inputErrorOf(() => validateScenario(readScenario(eu), catalog))).toMatch(
      /shocks\.0\.destinations\.0: FRA trades as EU27, as DEU does: an export control is on shipments to other regions/,
    );
  });

  it('an unknown member code: file, line, column and path', () => {
    const f = files({
      's.yaml': `name: s\nextends: ${ZONE}\nzone:\n  members:\n    - { region: USA, from: 2026 }\n    - { region: XYZ, from: 2026 }\n`,
    });
    const message = inputErrorOf(() => validateScenario(readScenario(f), catalog));
    expect(message).toMatch(/s\.yaml:6:\d+: zone\.members\.1\.region: unknown region 'XYZ'/);
  });

  it('a member listed twice over overlapping years, at the second entry (leaving and rejoining is allowed)', () => {
    const twice = files({
      's.yaml': `name: s\nextends: ${ZONE}\nzone:\n  members:\n    - { region: USA, from: 2026 }\n    - { region: USA, from: 2027 }\n`,
    });
    expect(inputErrorOf(() => validateScenario(readScenario(twice), catalog))).toMatch(
      /s\.yaml:6:7: zone\.members\.1: USA is already a member from 2026 \(zone\.members\.0\)/,
    );
    const state = files({
      's.yaml': `name: s\nextends: ${ZONE}\nzone:\n  members:\n    - { region: EU27, from: 2026 }\n    - { region: DEU, from: 2030 }\n`,
    });
    expect(inputErrorOf(() => validateScenario(readScenario(state), catalog))).toMatch(
      /s\.yaml:6:7: zone\.members\.1: DEU counts as EU27, which is already a member from 2026/,
    );
    const rejoins = files({
      's.yaml': `name: s\nextends: ${ZONE}\nzone:\n  members:\n    - { region: USA, from: 2026, until: 2028 }\n    - { region: USA, from: 2031 }\n`,
    });
    validateScenario(readScenario(rejoins), catalog);
  });

  it('a reference price for an unknown commodity', () => {
    const f = files({
      's.yaml': `name: s\nextends: ${ZONE}\nzone:\n  referencePrices:\n    unobtainium/oxide: { rule: fixed, price: 10 }\n`,
    });
    const message = inputErrorOf(() => validateScenario(readScenario(f), catalog));
    expect(message).toMatch(/s\.yaml:5:\d+: zone\.referencePrices\.unobtainium\/oxide: unknown commodity/);
  });

  it('a shock outside the horizon', () => {
    const f = files({
      's.yaml':
        'name: s\nhorizon: { start: 2025, end: 2030 }\nshocks:\n  - { kind: ban, origin: CHN, commodities: [gallium/refined], destinations: "*", start: 2035, duration: 2 }\n',
    });
    const message = inputErrorOf(() => validateScenario(readScenario(f), catalog));
    expect(message).toMatch(/s\.yaml:4:\d+: shocks\.0\.start: 2035 is outside the horizon 2025–2030/);
  });

  it('a negative budget, with what was expected', () => {
    const f = files({
      's.yaml': `name: s\nzone:\n  members: [{ region: USA, from: 2026 }]\n  stockpiles:\n    - member: USA\n      commodities: [gallium/refined]\n      obligationDays: 60\n      budget: -5\n`,
    });
    expect(inputErrorOf(() => readScenario(f))).toMatch(/s\.yaml:8:15: zone\.stockpiles\.0\.budget: .*>=0/);
  });

  it('a sharing key for a region outside the zone', () => {
    const f = files({
      's.yaml': `name: s\nextends: ${ZONE}\nzone:\n  stockpiles:\n    - member: zone\n      commodities: [gallium/refined]\n      obligationDays: 60\n      budget: 1.0e9\n      sharingKey: { USA: 0.5, KOR: 0.5 }\n`,
    });
    expect(inputErrorOf(() => validateScenario(readScenario(f), catalog))).toMatch(
      /s\.yaml:9:\d+: zone\.stockpiles\.0\.sharingKey\.KOR: 'KOR' is not a zone member/,
    );
  });

  it('a YAML syntax error, with its position', () => {
    const f = files({ 's.yaml': 'name: s\nzone: {\n  members: [\n' });
    expect(inputErrorOf(() => readScenario(f))).toMatch(/s\.yaml:\d+:\d+: /);
  });

  it('an unknown key, a misspelt rule, and a scenario that extends itself', () => {
    expect(
      inputErrorOf(() => readScenario(files({ 's.yaml': 'name: s\nhorizonn: { start: 2025, end: 2030 }\n' }))),
    ).toMatch(/s\.yaml:2:1: horizonn: unknown key 'horizonn' \(did you mean 'horizon'\?\)/);
    const rule = files({
      's.yaml':
        'name: s\nzone:\n  members: [{ region: USA, from: 2026 }]\n  referencePrices:\n    gallium/refined: { rule: incentive, target: 0.3 }\n',
    });
    expect(inputErrorOf(() => readScenario(rule))).toMatch(
      /s\.yaml:5:\d+: zone\.referencePrices\.gallium\/refined\.rule/,
    );
    const loop = files({ 'a.yaml': 'name: a\nextends: ./b.yaml\n', 'b.yaml': 'name: b\nextends: ./a.yaml\n' });
    expect(inputErrorOf(() => readScenario(loop))).toMatch(/extends itself/);
  });

  it('a horizon that ends before it starts, and a file that does not exist', () => {
    expect(
      inputErrorOf(() => readScenario(files({ 's.yaml': 'name: s\nhorizon: { start: 2030, end: 2025 }\n' }))),
    ).toMatch(/s\.yaml:2:\d+: horizon\.end 2025 is before horizon\.start 2030/);
    expect(inputErrorOf(() => readScenario('/nonexistent/s.yaml'))).toMatch(/no such scenario file/);
  });

  it("a horizon before the data's base year, at the user's horizon whatever the base scenario", () => {
    for (const [base, start, end] of [
      ['baseline', 1995, 2000],
      ['zone-2026', 2010, 2015],
    ] as const) {
      const f = files({ 's.yaml': `name: s\nextends: ${base}\nhorizon: { start: ${start}, end: ${end} }\n` });
      expect(inputErrorOf(() => validateScenario(readScenario(f), catalog))).toMatch(
        new RegExp(
          `^\\S*s\\.yaml:3:19: horizon\\.start ${start} is before the data's base year 2024: .*start the horizon in 2024 or later`,
        ),
      );
    }
    const atBase = files({ 's.yaml': 'name: s\nextends: baseline\nhorizon: { start: 2024, end: 2026 }\n' });
    expect(readScenario(atBase).horizon).toEqual({ start: 2024, end: 2026 });
  });

  it("a user's horizon that leaves out a date of the scenario it extends: at the user's horizon", () => {
    const f = files({ 's.yaml': `name: s\nextends: zone-2026\nhorizon: { start: 2025, end: 2025 }\n` });
    expect(inputErrorOf(() => validateScenario(readScenario(f), catalog))).toMatch(
      /^\S*s\.yaml:3:30: horizon\.end: the horizon 2025–2025 leaves out zone\.backedProjects\.0\.from 2026 \(set at \S*zone-2026\.yaml:\d+:\d+\)/,
    );
  });

  it('a negative price, with or without its unit, is reported as negative', () => {
    const at = (line: string) =>
      inputErrorOf(() => readScenario(files({ 's.yaml': `name: s\nextends: ${ZONE}\nzone:\n${line}` })));
    expect(at('  referencePrices:\n    ndpr/oxide: { rule: fixed, price: -110 USD/kg }\n')).toMatch(
      /s\.yaml:5:39: zone\.referencePrices\.ndpr\/oxide\.price: '-110 USD\/kg' is negative: a price must be above zero/,
    );
    expect(at('  cfds: [{ commodity: ndpr/oxide, strike: -5 USD/kg }]\n')).toMatch(
      /s\.yaml:4:43: zone\.cfds\.0\.strike: '-5 USD\/kg' is negative: a price must be above zero/,
    );
    expect(at('  cfds: [{ commodity: ndpr/oxide, strike: -5 }]\n')).toMatch(
      /zone\.cfds\.0\.strike: -5 is negative: a price must be above zero/,
    );
    // Zero, with its unit or without, is no price either.
    expect(at('  cfds: [{ commodity: ndpr/oxide, strike: 0 USD/kg }]\n')).toMatch(
      /zone\.cfds\.0\.strike: '0 USD\/kg' is zero: a price must be above zero/,
    );
    expect(at('  referencePrices:\n    ndpr/oxide: { rule: fixed, price: 0.0 USD/kg }\n')).toMatch(/is zero/);
  });

  it('scenario check refuses what simulate would: an unknown parameter, a rate for a sector with no demand', () => {
    const param = files({ 's.yaml': 'name: s\nextends: baseline\nparameters: { cost_of_captial: 0.1 }\n' });
    expect(inputErrorOf(() => validateScenario(readScenario(param), catalog))).toMatch(
      /s\.yaml:3:\d+: parameters\.cost_of_captial: unknown parameter 'cost_of_captial'/,
    );
    const sector = files({
      's.yaml': 'name: s\nextends: baseline\ndemandGrowth:\n  graphite/natural: { nonbattery: 0.5 }\n',
    });
    expect(inputErrorOf(() => validateScenario(readScenario(sector), catalog))).toMatch(
      /s\.yaml:4:\d+: demandGrowth\.graphite\/natural\.nonbattery: no demand for graphite\/natural in a sector 'nonbattery' \(did you mean 'non-battery'\?\)/,
    );
    // NdPr oxide has no final demand (it is used to make magnets): the list of its sectors was empty, '(its sectors: , or '*')'.
    const none = files({ 's.yaml': 'name: s\nextends: baseline\ndemandGrowth:\n  ndpr/oxide: { magnets: 0.5 }\n' });
    expect(inputErrorOf(() => validateScenario(readScenario(none), catalog))).toMatch(
      /s\.yaml:4:\d+: demandGrowth\.ndpr\/oxide\.magnets: no demand for ndpr\/oxide in a sector 'magnets' \(the data have no final demand for ndpr\/oxide: only other stages use it, and their rates grow that use\)$/,
    );
  });

  it("scenario check refuses a rule whose members' only supply is a backed project not yet built, as simulate does", () => {
    // KOR's germanium project has no incentive price: the curve has a step for it only once built, backed in 2025
    // over its 3-year lead time and not before its announced 2028. The check counted it from the start, and the
    // run stopped in 2025.
    const scenario = (from: number) =>
      readScenario(
        files({
          's.yaml': `name: s
horizon: { start: 2025, end: 2028 }
zone:
  members: [{ region: KOR, from: 2025 }]
  referencePrices:
    germanium/refined: { rule: incentive-marginal, target: 0.3, supply: members, from: ${from} }
  backedProjects: [{ id: PRJ_KZ_ONSAN_GE, from: 2025 }]
`,
        }),
      );
    const early = scenario(2027);
    expect(inputErrorOf(() => simulate(early, catalog))).toMatch(/s\.yaml:6:\d+: .*\(in 2027, /);
    expect(inputErrorOf(() => validateScenario(early, catalog))).toMatch(
      /s\.yaml:6:\d+: zone\.referencePrices\.germanium\/refined: no producer or project on the supply curve for germanium\/refined \(rule incentive-marginal\) \(in 2027, counting the members' producers: KOR\)/,
    );
    // Built by 2028: both accept it.
    validateScenario(scenario(2028), catalog);
  });

  it('scenario check refuses a cost-plus rule set before the only project it could mark up is announced to be built', () => {
    // The USA mines no antimony; Stibnite is under construction, announced for 2028, and no lead time brings an
    // announced project forward. The check counted it from 2027 (the first year plus its lead time), and the run
    // stopped in 2027.
    const scenario = (year: number) =>
      readScenario(
        files({
          's.yaml': `name: s
horizon: { start: 2024, end: ${year} }
zone:
  members: [{ region: USA, from: 2024 }]
  referencePrices:
    antimony/mine: { rule: cost-plus, margin: 0, from: ${year} }
`,
        }),
      );
    const early = scenario(2027);
    expect(inputErrorOf(() => simulate(early, catalog))).toMatch(/s\.yaml:6:\d+: .*\(in 2027, /);
    expect(inputErrorOf(() => validateScenario(early, catalog))).toMatch(
      /s\.yaml:6:\d+: zone\.referencePrices\.antimony\/mine: no producer to mark up for antimony\/mine \(rule cost-plus\) \(in 2027, counting the members' producers: USA\)/,
    );
    validateScenario(scenario(2028), catalog);
  });

  it('a growth rate that is not a number says a rate was expected', () => {
    const f = files({ 's.yaml': 'name: s\nextends: baseline\ndemandGrowth: { lithium/chemicals: abc }\n' });
    expect(inputErrorOf(() => readScenario(f))).toMatch(
      /s\.yaml:3:\d+: demandGrowth\.lithium\/chemicals: expected a growth rate per year such as 0\.03, or rates by end-use sector/,
    );
    const sector = files({
      's.yaml': 'name: s\nextends: baseline\ndemandGrowth: { lithium/chemicals: { ev: abc } }\n',
    });
    expect(inputErrorOf(() => readScenario(sector))).toMatch(
      /demandGrowth\.lithium\/chemicals\.ev: expected a growth rate per year, a number such as 0\.03/,
    );
  });

  it('extends a scenario that does not exist: at the extends key, with the closest built-in one', () => {
    const f = files({ 's.yaml': 'name: s\nextends: zone2026\n' });
    expect(inputErrorOf(() => readScenario(f))).toMatch(
      /s\.yaml:2:10: extends: zone2026: no such scenario file, and not a built-in scenario \(built-in: baseline, .*\); did you mean 'zone-2026'\?/,
    );
  });

  it('extends that loops back, names a folder or nothing: at the extends key that does it', () => {
    // The loop was reported without a line ('a.yaml: extends itself through ...'), a folder as 'cannot read the file'
    // at the folder, and '' read the scenario's own folder.
    const self = files({ 's.yaml': 'name: s\nextends: ./s.yaml\n' });
    expect(inputErrorOf(() => readScenario(self))).toMatch(
      /s\.yaml:2:10: extends: '\.\/s\.yaml' is this file itself: the scenario extends itself$/,
    );
    const loop = files({
      'a.yaml': 'name: a\nextends: b.yaml\n',
      'b.yaml': 'name: b\nextends: c.yaml\n',
      'c.yaml': '# the third\nname: c\nextends: ./a.yaml\n',
    });
    expect(inputErrorOf(() => readScenario(loop))).toMatch(
      /c\.yaml:3:10: extends: '\.\/a\.yaml' closes a loop \(\S*a\.yaml → \S*b\.yaml → \S*c\.yaml → \S*a\.yaml\): the scenario extends itself$/,
    );
    const folder = files({ 's.yaml': 'name: s\nextends: sub\n' });
    mkdirSync(path.join(path.dirname(folder), 'sub'));
    expect(inputErrorOf(() => readScenario(folder))).toMatch(
      /s\.yaml:2:10: extends: 'sub' is a folder, not a scenario file$/,
    );
    expect(inputErrorOf(() => readScenario(files({ 's.yaml': 'name: s\nextends: ""\n' })))).toMatch(
      /s\.yaml:2:10: extends: expected a scenario name or path$/,
    );
  });

  it('extends a file whose name has spaces and other scripts, relative to the file, and a long chain', () => {
    const dir = path.dirname(files({ 'unused.yaml': '' }));
    mkdirSync(path.join(dir, 'my scenarios', 'ünï'), { recursive: true });
    writeFileSync(path.join(dir, 'my scenarios', 'ünï', 'bäse zone.yaml'), 'name: base\nextends: zone-2026\n');
    writeFileSync(path.join(dir, 'top.yaml'), 'name: top\nextends: "my scenarios/ünï/bäse zone.yaml"\n');
    expect(readScenario(path.join(dir, 'top.yaml')).files.map((f) => path.basename(f))).toEqual([
      'baseline.yaml',
      'zone-2026.yaml',
      'bäse zone.yaml',
      'top.yaml',
    ]);
    writeFileSync(path.join(dir, 'd0.yaml'), 'name: d0\nextends: zone-2026\n');
    for (let i = 1; i <= 300; i++)
      writeFileSync(path.join(dir, `d${i}.yaml`), `name: d${i}\nextends: d${i - 1}.yaml\n`);
    expect(readScenario(path.join(dir, 'd300.yaml')).zone?.members).toHaveLength(4);
  });

  it("a key '__proto__' in an overlay is refused at its place: merged, it vanished with what it held", () => {
    const f = files({
      's.yaml': `name: s\nextends: zone-2026\nzone:\n  referencePrices:\n    __proto__: { rule: fixed, price: 5 }\n`,
    });
    expect(inputErrorOf(() => readScenario(f))).toMatch(
      /s\.yaml:5:5: zone\.referencePrices\.__proto__: the key '__proto__' is not allowed/,
    );
  });

  it('a price written beyond 1.8e308 (infinite) is refused at its place, not years into the run', () => {
    // '1e309 USD/kg' passed the check; simulate failed in 2026 on 'producers[187].cfd.strike', with no file.
    const f = files({
      's.yaml': `name: s\nextends: zone-2026\nzone:\n  cfds: [{ commodity: ndpr/oxide, strike: "1e309 USD/kg" }]\n`,
    });
    expect(inputErrorOf(() => readScenario(f))).toMatch(
      /s\.yaml:4:43: zone\.cfds\.0\.strike: '1e309 USD\/kg' is too large to be a number \(beyond 1\.8e308\): give a finite price$/,
    );
  });

  it('a price with a unit that does not convert', () => {
    const f = files({
      's.yaml': `name: s\nhorizon: { start: 2026, end: 2026 }\nzone:\n  members: [{ region: USA, from: 2026 }]\n  referencePrices:\n    gallium/refined: { rule: fixed, price: 110 USD/MWh }\n`,
    });
    expect(inputErrorOf(() => validateScenario(readScenario(f), catalog))).toMatch(/s\.yaml:6:\d+: .*does not convert/);
  });

  it('a rule with no supply to price among the members: refused by the check, with the year, whose supply and the ways out', () => {
    // No member of the zone refines germanium (the data has China and the rest of the world), so neither rule that
    // reads the members' costs has anything to price.
    const rule = (line: string, extra = '') =>
      files({
        's.yaml': `name: s\nextends: ${ZONE}\nhorizon: { start: 2026, end: 2030 }\nzone:\n${extra}  referencePrices:\n    germanium/refined: ${line}\n`,
      });
    const costPlus = rule('{ rule: cost-plus, margin: 0.2 }');
    const message = inputErrorOf(() => validateScenario(readScenario(costPlus), catalog));
    expect(message).toMatch(
      /s\.yaml:\d+:\d+: zone\.referencePrices\.germanium\/refined: no producer to mark up for germanium\/refined \(rule cost-plus\) \(in 2026, counting the members' producers: EU27, JPN, MEX, USA\); give the rule a 'from' year by which a member makes germanium\/refined, or use rule fixed, or incentive-marginal with supply: market-economies$/,
    );
    // simulate refuses it the same way, before its first year.
    expect(inputErrorOf(() => simulate(readScenario(costPlus), catalog))).toBe(message);
    expect(
      inputErrorOf(() =>
        validateScenario(readScenario(rule('{ rule: incentive-marginal, target: 0.3, supply: members }')), catalog),
      ),
    ).toMatch(
      /no producer or project on the supply curve for germanium\/refined \(rule incentive-marginal\) \(in 2026, counting the members' producers: EU27, JPN, MEX, USA\);.*supply: market-economies$/,
    );
    // Korea joins in 2028. Its germanium project (data/projects.csv) has no capital cost, so no incentive price:
    // it is on the members' curve only once built, and nothing builds it here. The check names the first year
    // the rule is set, as simulate would.
    const korea = '  members:\n    - { region: USA, from: 2026 }\n    - { region: KOR, from: 2028 }\n';
    const later = rule('{ rule: cost-plus, margin: 0.2, from: 2028, review: 1 }', korea);
    expect(inputErrorOf(() => validateScenario(readScenario(later), catalog))).toMatch(
      /\(in 2028, counting the members' producers: KOR, USA\)/,
    );
    // NdPr oxide: Mexico makes none, the United States does (Mountain Pass). A rule set when only Mexico is in is
    // refused for that year; set from the year the United States joins, it passes.
    const ndpr = (from: string) =>
      files({
        's.yaml': `name: s\nextends: ${ZONE}\nhorizon: { start: 2026, end: 2030 }\nzone:\n  members:\n    - { region: MEX, from: 2026 }\n    - { region: USA, from: 2028 }\n  referencePrices:\n    ndpr/oxide: { rule: cost-plus, margin: 0.1, review: 2${from} }\n`,
      });
    expect(inputErrorOf(() => validateScenario(readScenario(ndpr('')), catalog))).toMatch(
      /no producer to mark up for ndpr\/oxide \(rule cost-plus\) \(in 2026, counting the members' producers: MEX\)/,
    );
    validateScenario(readScenario(ndpr(', from: 2028')), catalog);
    // Cost-plus marks up producers, not projects yet to be built: no member makes lithium chemicals in 2026 (Thacker
    // is online in 2027, Lionheart in 2028), so a rule from 2026 is refused up front; from 2028 it passes.
    const lithium = (from: string) =>
      files({
        's.yaml': `name: s\nextends: ${ZONE}\nhorizon: { start: 2026, end: 2030 }\nzone:\n  referencePrices:\n    lithium/chemicals: { rule: cost-plus, margin: 0.1${from} }\n`,
      });
    expect(inputErrorOf(() => validateScenario(readScenario(lithium('')), catalog))).toMatch(
      /no producer to mark up for lithium\/chemicals \(rule cost-plus\) \(in 2026, counting the members' producers: EU27, JPN, MEX, USA\)/,
    );
    validateScenario(readScenario(lithium(', from: 2028')), catalog);
    // The zone's own rule for germanium counts every producer outside China: it prices.
    const own = rule('{ rule: incentive-marginal, target: 0.3, supply: market-economies }');
    expect(simulate(readScenario(own), catalog).years).toHaveLength(5);
  });
});

describe('syntax errors and unknown keys are located where they are', () => {
  const cases: [string, string, string, RegExp][] = [
    [
      'an unclosed flow map',
      's.yaml',
      'name: s\nextends: baseline\nhorizon: { start: 2025, end: 2030\n',
      /s\.yaml:3:34: Flow map .*end with a \} \(the '\{' opened at line 3, column 10\)/,
    ],
    [
      'an unclosed flow sequence followed by more keys',
      's.yaml',
      'name: s\nzone:\n  members: [{ region: USA, from: 2026 }\n  levy: variable\n',
      /s\.yaml:4:3: Flow sequence .*\(the '\[' opened at line 3, column 12\)/,
    ],
    [
      'a stray comma in JSON',
      's.json',
      '{\n  "name": "s",\n  "extends": "baseline",,\n  "horizon": { "start": 2025, "end": 2030 }\n}\n',
      /s\.json:3:25: Unexpected , in flow map — remove the extra comma/,
    ],
    ['a duplicate key', 's.yaml', 'name: s\nextends: baseline\nname: t\n', /s\.yaml:3:1: duplicate key 'name'/],
    ['a duplicate key in JSON', 's.json', '{\n  "name": "s",\n  "name": "t"\n}\n', /s\.json:3:3: duplicate key 'name'/],
    ['a tab in the indentation', 's.yaml', 'name: s\nzone:\n\tmembers: []\n', /s\.yaml:3:1: a tab in the indentation/],
    [
      "a list item without its '-'",
      's.yaml',
      'name: s\nextends: baseline\nzone:\n  members:\n    - { region: USA, from: 2026 }\n    { region: EU27, from: 2026 }\n',
      /s\.yaml:6:5: .*start it with '- ' if it is a list item/,
    ],
    [
      'an unknown top-level key',
      's.yaml',
      'name: s\nextends: baseline\n\nhorizn: { start: 2025, end: 2030 }\n',
      /s\.yaml:4:1: horizn: unknown key 'horizn' \(did you mean 'horizon'\?\); the keys allowed here are name, /,
    ],
    [
      'a misspelt key inside zone',
      's.yaml',
      'name: s\nextends: baseline\n\nzone:\n  members: [{ region: USA, from: 2026 }]\n  levyy: variable\n',
      /s\.yaml:6:3: zone\.levyy: unknown key 'levyy' \(did you mean 'levy'\?\); the keys allowed in zone are members, /,
    ],
    [
      'a misspelt key in a list item',
      's.yaml',
      'name: s\nzone:\n  members:\n    - region: USA\n      form: 2026\n',
      /s\.yaml:5:7: zone\.members\.0\.form: unknown key 'form' \(did you mean 'from'\?\)/,
    ],
    [
      'an unknown key in JSON',
      's.json',
      '{\n  "name": "s",\n  "horizn": { "start": 2025, "end": 2030 }\n}\n',
      /s\.json:3:3: horizn: unknown key 'horizn'/,
    ],
  ];
  for (const [what, name, text, expected] of cases) {
    it(what, () => {
      expect(inputErrorOf(() => readScenario(files({ [name]: text })))).toMatch(expected);
    });
  }
});

describe('the README', () => {
  it('its Layout lists every folder of src/ once, and only paths that exist', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const layout = /## Layout\n\n```\n([\s\S]*?)```\n([\s\S]*?)\n## /.exec(readme);
    expect(layout, 'the README has a Layout section').not.toBeNull();
    const listed = [...(layout?.[1] ?? '').matchAll(/^(\S+?)(?:,|\s)/gm)].map((m) => m[1] as string);
    for (const entry of listed) expect(existsSync(path.join(ROOT, entry)), entry).toBe(true);
    const folders = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `src/${e.name}/`);
    const srcListed = listed.filter((e) => e.startsWith('src/') && e.endsWith('/'));
    expect([...srcListed].sort()).toEqual(folders.sort());
    // After the listing, no promises of what comes next.
    expect(layout?.[2]).not.toMatch(/built on this next/);
  });

  it('its scenario example is a valid scenario against the data', () => {
    const readme = readFileSync(path.join(SCENARIO_DIR, '../README.md'), 'utf8');
    const block = /```yaml\n(# yaml-language-server[^\n]*\nname: my-zone[\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'the README has a scenario example').toBeDefined();
    // `extends: zone-2026` resolves to the built-in scenario wherever the file is.
    const f = files({ 'my-zone.yaml': block as string });
    const s = readScenario(f);
    validateScenario(s, catalog);
    expect(s.zone?.members.map((m) => m.region)).toEqual(['USA', 'EU27', 'KOR']);
    expect(s.files).toHaveLength(3);
  });
});
