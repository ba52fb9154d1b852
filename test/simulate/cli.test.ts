/** `lodestone simulate`, `compare` and `scenario`, run as a user would. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDataset } from '../../src/data/checks.ts';
import { loadDataset } from '../../src/data/load.ts';
import { SCENARIO_DIR } from '../../src/model/scenario.ts';
import { ROOT, runCli } from '../helpers.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'lodestone-cli-'));

function shortScenario(dir: string, name: string, base: string, end: number, extra = ''): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}\nextends: ${path.join(SCENARIO_DIR, `${base}.yaml`)}\nhorizon: { start: 2025, end: ${end} }\n${extra}`,
  );
  return file;
}

describe('lodestone simulate', () => {
  it('with no arguments runs zone-2026-ban-2027 against ban-2027 through 2040 and writes the report', () => {
    const out = tmp();
    const r = runCli(['simulate', '--out', out]);
    expect(r.stderr).not.toMatch(/Error|at .*\.ts/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^zone-2026-ban-2027 \(.*\) against ban-2027 \(.*\), 2025–2040/);
    expect(r.stdout).toMatch(/Bloc totals, USD million/);
    expect(r.stdout).toMatch(/gallium\/refined — prices in USD\/kg Ga/);
    for (const year of [2025, 2032, 2040]) expect(r.stdout).toMatch(new RegExp(`^${year} `, 'm'));
    const files = readdirSync(out).sort();
    expect(files).toEqual(expect.arrayContaining(['report.html', 'results.json', 'years-long.csv', 'years-wide.csv']));
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.scenario.years).toHaveLength(16);
    expect(results.against.scenario.name).toBe('ban-2027');
  });

  it('--json prints an object with a years array, and --no-report writes nothing', () => {
    const dir = tmp();
    const a = shortScenario(dir, 'a', 'zone-2026-ban-2027', 2027);
    const b = shortScenario(dir, 'b', 'ban-2027', 2027);
    const out = path.join(dir, 'out');
    const r = runCli(['simulate', a, '--against', b, '--json', '--no-report', '--out', out]);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.years.map((y: { year: number }) => y.year)).toEqual([2025, 2026, 2027]);
    expect(json.years[0].commodities[0]).toHaveProperty('priceInside');
    expect(json.against.scenario.name).toBe('b');
    expect(existsSync(out)).toBe(false);
  });

  it('names the line of a fixed reference price a million times the market, rather than fail to converge', () => {
    const dir = tmp();
    const a = shortScenario(
      dir,
      'a',
      'zone-2026',
      2027,
      'zone:\n  referencePrices:\n    ndpr/oxide: { rule: fixed, price: 1e30 USD/kg }\n',
    );
    const r = runCli(['simulate', a, '--no-report']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /a\.yaml:6:\d+: zone\.referencePrices\.ndpr\/oxide\.price: 1\.00e\+33 USD\/t NdPr-oxide is/,
    );
  });

  it("--against runs the twin over the scenario's years, and says so when its own differ", () => {
    const dir = tmp();
    const a = shortScenario(dir, 'a', 'zone-2026', 2027);
    const late = path.join(dir, 'late.yaml');
    writeFileSync(
      late,
      `name: late\nextends: ${path.join(SCENARIO_DIR, 'baseline.yaml')}\nhorizon: { start: 2030, end: 2032 }\n`,
    );
    const r = runCli(['simulate', a, '--against', late, '--json', '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: .*late\.yaml runs over the years of a, 2025–2027 \(its own: 2030–2032\)/);
    const json = JSON.parse(r.stdout);
    expect(json.against.years.map((y: { year: number }) => y.year)).toEqual([2025, 2026, 2027]);
  });

  it('a twin whose own shock falls before the years it runs over is run, the shock not occurring there', () => {
    // ban-2027's ban starts in 2027: under a scenario from 2030 it was refused, in a built-in file.
    const dir = tmp();
    const late = path.join(dir, 'late.yaml');
    writeFileSync(
      late,
      `name: late\nextends: ${path.join(SCENARIO_DIR, 'baseline.yaml')}\nhorizon: { start: 2030, end: 2031 }\n`,
    );
    const r = runCli(['simulate', late, '--against', 'ban-2027', '--json', '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.against.years.map((y: { year: number }) => y.year)).toEqual([2030, 2031]);
    for (const y of json.against.years) expect(y.events.filter((e: string) => e.startsWith('ban'))).toEqual([]);
    // A scenario's own shock outside its own years is still a slip, at its place.
    const own = path.join(dir, 'own.yaml');
    writeFileSync(
      own,
      `name: own\nextends: ${path.join(SCENARIO_DIR, 'ban-2027.yaml')}\nhorizon: { start: 2030, end: 2031 }\n`,
    );
    expect(runCli(['simulate', own, '--no-report']).stderr).toMatch(
      /the horizon 2030–2031 leaves out shocks\.0\.start 2027/,
    );
  });

  it("--open-prices adds each year's open prices and levy revenue range, and changes no result", () => {
    const dir = tmp();
    const a = shortScenario(dir, 'a', 'zone-2026', 2029);
    const b = shortScenario(dir, 'b', 'baseline', 2029);
    const plain = runCli(['simulate', a, '--against', b, '--json', '--no-report']);
    const open = runCli(['simulate', a, '--against', b, '--json', '--no-report', '--open-prices']);
    expect(open.status, open.stderr).toBe(0);
    type Year = {
      year: number;
      totals: { levyRevenue: number };
      certificate: {
        openPrices?: { price: number; low: number; high: number | null; bought: boolean; sold: boolean }[];
        levyRevenueRange?: { value: number; low: number; high: number };
      };
    };
    const p = JSON.parse(plain.stdout) as { years: Year[] };
    const o = JSON.parse(open.stdout) as { years: Year[] };
    // The same solutions: only the certificates gain the ranges.
    const strip = (ys: Year[]) => ys.map((y) => ({ ...y, certificate: undefined }));
    expect(strip(o.years)).toEqual(strip(p.years));
    expect(p.years.every((y) => y.certificate.openPrices === undefined)).toBe(true);
    for (const y of o.years) {
      const range = y.certificate.levyRevenueRange;
      expect(range, String(y.year)).toBeDefined();
      expect(range?.value).toBeCloseTo(y.totals.levyRevenue, 0);
      expect(range?.low).toBeLessThanOrEqual(range?.value ?? Number.NaN);
      expect(range?.high).toBeGreaterThanOrEqual(range?.value ?? Number.NaN);
      for (const r of y.certificate.openPrices ?? []) {
        expect(r.low).toBeLessThanOrEqual(r.price * (1 + 1e-9));
        expect(r.high === null || r.high >= r.price * (1 - 1e-9)).toBe(true);
      }
    }
    // Prices the levy or a capacity leaves open (Russia's gallium sold into the zone, open from 350 — the floor's
    // landing less duties — up; a magnet exporter's price): which of them the solution lands inside rather than at an
    // end, and in which year, depends on the path the solver takes from year to year, which is why the ranges are
    // reported. Some year has one, and the table prints it as a range.
    expect(o.years.some((y) => (y.certificate.openPrices ?? []).length > 0)).toBe(true);
    const text = runCli(['simulate', a, '--against', b, '--no-report', '--open-prices']).stdout;
    expect(text).toMatch(/Open prices, a: every price in a range satisfies all conditions/);
    expect(text).toMatch(/^20\d\d .* [a-z-]+\/[a-z]+ [A-Z0-9]+ [\d,.]+ to [\d,.]+/m);
    expect(text).toMatch(/Open prices, b: none that move what is traded, in any year\./);
  });

  it('bad input: a clear error, a non-zero exit, and no output that looks complete', () => {
    const dir = tmp();
    const out = path.join(dir, 'out');
    const bad = shortScenario(
      dir,
      'bad',
      'zone-2026',
      2027,
      'shocks:\n  - { kind: ban, origin: CHN, commodities: [gallium/refined], destinations: members, start: 2031, duration: 1 }\n',
    );
    const r = runCli(['simulate', bad, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:5:\d+: shocks\.0\.start: 2031 is outside the horizon 2025–2027/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
    const syntax = path.join(dir, 'syntax.yaml');
    writeFileSync(syntax, 'name: s\nzone: [\n');
    const s = runCli(['simulate', syntax, '--out', out]);
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/syntax\.yaml:\d+:\d+/);
    expect(runCli(['simulate', 'no-such-scenario']).stderr).toMatch(
      /not a built-in scenario \(built-in: baseline, zone-2026/,
    );
  });
});

describe('lodestone compare and scenario', () => {
  it("compares two scenarios over the first one's years, with a note when the second has other years", () => {
    const dir = tmp();
    const a = shortScenario(dir, 'a', 'zone-2026', 2027);
    const b = shortScenario(dir, 'b', 'baseline', 2026);
    const r = runCli(['compare', a, b, '--json', '--no-report']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: .*b\.yaml runs over the years of a, 2025–2027 \(its own: 2025–2026\)/);
    const json = JSON.parse(r.stdout);
    expect(json.against.years.map((y: { year: number }) => y.year)).toEqual([2025, 2026, 2027]);
  });

  it('compares two results files of earlier runs without simulating again', () => {
    const dir = tmp();
    const a = shortScenario(dir, 'a', 'zone-2026', 2026);
    const out = path.join(dir, 'run');
    expect(runCli(['simulate', a, '--out', out]).status).toBe(0);
    const results = path.join(out, 'results.json');
    const r = runCli(['compare', results, results, '--no-report']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^a \(.*\) against a \(.*\), 2025–2026/);
    // A report into the folder the results came from would overwrite them: refused, the input intact.
    const before = readFileSync(results, 'utf8');
    const clash = runCli(['compare', results, results, '--out', out]);
    expect(clash.status).toBe(1);
    expect(clash.stderr).toMatch(/would overwrite .*results\.json, an input of this comparison/);
    expect(readFileSync(results, 'utf8')).toBe(before);
    expect(runCli(['compare', out, results, '--out', out]).stderr).toMatch(/would overwrite/);
    // Saved again by an editor on Windows (a byte-order mark, CRLF): the same results. JSON.parse refused the mark.
    const resaved = path.join(dir, 'resaved.json');
    writeFileSync(resaved, `\uFEFF${before.replaceAll('\n', '\r\n')}`);
    const again = runCli(['compare', resaved, results, '--no-report']);
    expect(again.stderr).not.toMatch(/not a readable JSON/);
    expect(again.stdout).toBe(r.stdout);
    // Its name in capitals (RESULTS.JSON, as some systems write it): still a results file, not read as a scenario.
    const capitals = path.join(dir, 'RESULTS.JSON');
    writeFileSync(capitals, before);
    const upper = runCli(['compare', capitals, results, '--no-report']);
    expect(upper.stderr).not.toMatch(/name: missing/);
    expect(upper.stdout).toBe(r.stdout);
    // Two results files simulate nothing: --data would be read by nothing (a folder that is not there passed too).
    const data = runCli(['compare', results, results, '--no-report', '--data', path.join(dir, 'no-such-data')]);
    expect(data.status).toBe(1);
    expect(data.stderr).toMatch(/--data: two results files are compared as they were written, and no data is read/);
    const bare = path.join(dir, 'bare.json');
    writeFileSync(bare, '{}');
    expect(runCli(['compare', bare, results, '--no-report']).stderr).toMatch(
      /bare\.json: not a Lodestone results file \(no 'years'\) nor a scenario/,
    );
    // A results file whose numbers are not numbers, or with no years, is refused at the field, not shown as '-'.
    const tampered = JSON.parse(before);
    const years = tampered.years ?? tampered.scenario.years;
    years[0].commodities[0].priceInside = 'abc';
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(tampered));
    const badRun = runCli(['compare', bad, results, '--no-report']);
    expect(badRun.status).toBe(1);
    expect(badRun.stderr).toMatch(/bad\.json: (scenario\.)?years\.0\.commodities\.0\.priceInside: .*expected number/);
    years.length = 0;
    writeFileSync(bad, JSON.stringify(tampered));
    expect(runCli(['compare', bad, results, '--no-report']).stderr).toMatch(/years: no years/);
    // The run's folder stands for its results.json; a folder or a path without one says so.
    const folders = runCli(['compare', out, out, '--no-report']);
    expect(folders.status, folders.stderr).toBe(0);
    expect(folders.stdout).toBe(r.stdout);
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    const noResults = runCli(['compare', empty, results, '--no-report']);
    expect(noResults.status).toBe(1);
    expect(noResults.stderr).toMatch(/empty: results\.json is missing from this folder/);
    const missing = runCli(['compare', path.join(empty, 'results.json'), results, '--no-report']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/empty\/results\.json: no such file: results\.json is missing\n$/);
    // A dozen runs of the command: past the default minute on a loaded machine.
  }, 120_000);

  it('publishes the JSON Schema of scenario files, current in docs/', () => {
    const r = runCli(['scenario', 'schema']);
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.properties.zone.properties.referencePrices).toBeDefined();
    expect(r.stdout).toBe(readFileSync(path.join(ROOT, 'docs/scenario.schema.json'), 'utf8'));
  });

  it("an error is one line: the data's warning note comes only after a command that succeeded", () => {
    const dir = tmp();
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'name: bad\nextends: zone-2026\nzone:\n  members: [{ region: USA, from: 2026 }, { region: USA, from: 2027 }]\n',
    );
    const failed = runCli(['scenario', 'check', bad]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/^lodestone: \S*bad\.yaml:4:\d+: zone\.members\.1: USA is already a member[^\n]*\n$/);
    const warnings = checkDataset(loadDataset()).warnings;
    const ok = runCli(['scenario', 'check', 'zone-2026']);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toBe(
      warnings > 0
        ? `lodestone: the data passed every check with ${warnings} warning(s); see 'lodestone data check'\n`
        : '',
    );
  });

  it('a scenario saved with a byte-order mark and CRLF is checked; a hostile one is one line, and leaves output be', () => {
    const dir = tmp();
    const bom = path.join(dir, 'bom.json');
    // JSON.parse refused the mark: 'not valid JSON: Unexpected token'.
    writeFileSync(
      bom,
      '\uFEFF{\r\n  "name": "bom",\r\n  "extends": "zone-2026",\r\n  "horizon": {"start": 2025, "end": 2026}\r\n}\r\n',
    );
    const ok = runCli(['scenario', 'check', bom]);
    expect(ok.stderr).not.toMatch(/not valid JSON/);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/bom\.json: valid \(2025–2026\)/);
    const out = path.join(dir, 'out');
    mkdirSync(out);
    writeFileSync(path.join(out, 'results.json'), '{"earlier": true}');
    mkdirSync(path.join(dir, 'folder'));
    const hostile: [string, string, RegExp][] = [
      [
        'proto.yaml',
        'name: p\nextends: zone-2026\n__proto__: { horizon: { start: 2025, end: 2030 } }\n',
        /proto\.yaml:3:1: __proto__: /,
      ],
      [
        'dup.json',
        '{"name": "d", "extends": "zone-2026", "horizon": {"start": 2025, "end": 2026, "end": 2030}}',
        /dup\.json:1:\d+: duplicate key 'end'/,
      ],
      ['folder.yaml', 'name: f\nextends: ./folder\n', /folder\.yaml:2:10: extends: '\.\/folder' is a folder/],
    ];
    for (const [name, text, message] of hostile) {
      writeFileSync(path.join(dir, name), text);
      for (const args of [
        ['scenario', 'check', path.join(dir, name)],
        ['simulate', path.join(dir, name), '--out', out],
        ['simulate', 'zone-2026', '--against', path.join(dir, name), '--out', out],
      ]) {
        const r = runCli(args);
        expect(r.status, args.join(' ')).toBe(1);
        expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^lodestone: \\S*${message.source}[^\n]*\n$`));
      }
    }
    expect(readdirSync(out)).toEqual(['results.json']);
    expect(readFileSync(path.join(out, 'results.json'), 'utf8')).toBe('{"earlier": true}');
  });

  it('scenario check refuses a risks section the ensemble would refuse, at its place', () => {
    // It said 'valid' of a control on an unknown region; 'lodestone ensemble' then refused the same file.
    const dir = tmp();
    const file = path.join(dir, 'risky.yaml');
    writeFileSync(
      file,
      'name: risky\nextends: zone-2026\nrisks:\n  controls:\n    - { kind: ban, origin: XYZ, commodities: [ndpr/oxide], destinations: members, probability: 0.1, duration: 1 }\n',
    );
    const r = runCli(['scenario', 'check', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^lodestone: \S*risky\.yaml:5:28: risks\.controls\.0\.origin: unknown region 'XYZ'/);
  });

  it('lists and checks scenarios', () => {
    expect(runCli(['scenario', 'list']).stdout).toMatch(/zone-2026-ban-2027\s+Zone from 2026, ban from 2027/);
    const ok = runCli(['scenario', 'check', 'zone-2026-ban-2027']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/valid \(2025–2040\)/);
  });
});
