/** `lodestone solve` on the embedded data: a certified equilibrium, with and without the zone's instruments. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { overlayDir, runCli } from '../helpers.ts';

interface SolveJson {
  year: number;
  members: string[];
  statistics: {
    commodities: {
      commodity: string;
      priceInside: number;
      priceOutside: number;
      selfSufficiency: number | null;
      dominantShare: number | null;
      levyRevenue: number;
      exportTaxRevenue: number;
    }[];
    levyRevenue: number;
    exportTaxRevenue: number;
  };
  prices: { region: string; commodity: string; price: number }[];
  flows: { commodity: string; from: string; to: string; quantity: number; landed: number; levy: number }[];
  certificate: { maxResidual: number; iterations: number; residuals: Record<string, number> };
}

function solveJson(args: string[]): SolveJson {
  const r = runCli(['solve', '--json', ...args]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as SolveJson;
}

describe('lodestone solve', () => {
  it('certifies the base-year world without a zone', () => {
    const s = solveJson([]);
    expect(s.year).toBe(2024);
    expect(s.members).toEqual([]);
    expect(typeof s.certificate.maxResidual).toBe('number');
    expect(s.certificate.maxResidual).toBeLessThan(1e-8);
    expect(s.certificate.iterations).toBeGreaterThan(0);
    for (const p of s.prices) expect(Number.isFinite(p.price)).toBe(true);
    expect(s.flows.every((f) => f.levy === 0)).toBe(true);
    // Every chain of the dataset has prices.
    const commodities = new Set(s.prices.map((p) => p.commodity));
    for (const k of ['ndfeb/magnet', 'lithium/chemicals', 'copper/refined', 'gallium/refined'])
      expect(commodities.has(k)).toBe(true);
    // Shares are shares: the bloc's gallium all comes from China, and the sums of its flows once made that 1 + 7e-15.
    for (const c of s.statistics.commodities) {
      for (const share of [c.selfSufficiency, c.dominantShare]) {
        if (share === null) continue;
        expect(share, c.commodity).toBeGreaterThanOrEqual(0);
        expect(share, c.commodity).toBeLessThanOrEqual(1);
      }
    }
  });

  it('with a zone, a floor and a ban: the floor holds at the border and the ban binds', () => {
    const s = solveJson([
      '--members',
      'default',
      '--floor',
      'ndpr/oxide=110000',
      '--ban',
      'CHN:gallium/refined:members',
    ]);
    expect(s.members.sort()).toEqual(['EU27', 'JPN', 'MEX', 'USA']);
    expect(s.certificate.maxResidual).toBeLessThan(1e-8);
    const members = new Set(s.members);
    for (const f of s.flows) {
      if (f.commodity === 'ndpr/oxide' && members.has(f.to) && !members.has(f.from)) {
        expect(f.landed).toBeGreaterThanOrEqual(110000 * (1 - 1e-9));
      }
      if (f.commodity === 'gallium/refined' && f.from === 'CHN') expect(members.has(f.to)).toBe(false);
    }
    const ga = s.statistics.commodities.find((c) => c.commodity === 'gallium/refined');
    expect(ga?.priceInside).toBeGreaterThan(ga?.priceOutside ?? Number.POSITIVE_INFINITY);
  });

  it('prints a readable report with the certificate', () => {
    const r = runCli(['solve']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Equilibrium 2024: no zone/);
    expect(r.stdout).toMatch(/commodity\s+price in bloc\s+price outside/);
    expect(r.stdout).toMatch(/Certificate: max residual \d\.\d+e-\d+/);
  });

  it('refuses a floor a million times its reference price, naming the floor, rather than fail to converge', () => {
    const r = runCli(['solve', '--floor', 'ndpr/oxide=1e30']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /policy\.floors\.ndpr\/oxide: 1\.00e\+30 USD\/t NdPr-oxide is [\d.]+e\+25 times ndpr\/oxide's reference price/,
    );
    expect(r.stderr).not.toMatch(/no equilibrium|at .*\.ts/);
    // A floor high above every price, within the bound, shuts non-members out and certifies.
    expect(solveJson(['--floor', 'ndpr/oxide=1e9']).certificate.maxResidual).toBeLessThan(1e-8);
  });

  it('names --year, the flag, for a year the data has no demand for', () => {
    const r = runCli(['solve', '--year', '1990']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^lodestone: --year: no reference demand for 1990; the data has demand for 2024/m);
  });

  it("a ban to 'members' without a zone reaches the default bloc, as in a scenario", () => {
    const price = (j: SolveJson) =>
      j.statistics.commodities.find((c) => c.commodity === 'gallium/refined')?.priceInside;
    const free = solveJson([]);
    const banned = solveJson(['--ban', 'CHN:gallium/refined:members']);
    const bloc = solveJson(['--ban', 'CHN:gallium/refined:USA,EU27,JPN,MEX']);
    expect(price(banned)).toBeGreaterThan(2 * (price(free) ?? Number.NaN));
    expect(price(banned)).toBeCloseTo(price(bloc) ?? Number.NaN, 6);
  });

  it('gives the price inside the zone where its buyers are all rationed (a floor above their choke price)', () => {
    // Every member's buyers of refined tungsten go without at their choke price: the bloc uses none, and its price
    // (what an analyst asks of a crisis) was reported as null with the shares.
    const j = solveJson(['--members', 'default', '--floor', 'tungsten/refined=438540']);
    const c = j.statistics.commodities.find((x) => x.commodity === 'tungsten/refined');
    const inside = j.prices.filter((p) => p.commodity === 'tungsten/refined' && j.members.includes(p.region));
    expect(inside.length).toBeGreaterThan(0);
    const low = Math.min(...inside.map((p) => p.price));
    const high = Math.max(...inside.map((p) => p.price));
    expect(c?.priceInside).toBeGreaterThanOrEqual(low * (1 - 1e-9));
    expect(c?.priceInside).toBeLessThanOrEqual(high * (1 + 1e-9));
    expect(c?.priceInside).toBeGreaterThan(10 * (c?.priceOutside ?? Number.NaN));
    expect(c?.selfSufficiency).toBeNull();
  });

  it('lists no flow that lands dearer than its destination pays, even at floors 10,000 times the market', () => {
    // The interior point leaves a few 1e-5 t on routes that the floors shut (within the certificate's tolerance of
    // the market): they were listed as flows landing at 900 times the destination's price, with levy revenue on them.
    const j = solveJson([
      '--members',
      'default',
      '--floor',
      'graphite/natural=9840000',
      '--floor',
      'graphite/anode=57080000',
    ]);
    expect(j.certificate.maxResidual).toBeLessThan(1e-8);
    const price = new Map(j.prices.map((p) => [`${p.commodity}|${p.region}`, p.price]));
    for (const f of j.flows) {
      expect(f.landed, `${f.commodity} ${f.from}→${f.to}`).toBeLessThanOrEqual(
        (price.get(`${f.commodity}|${f.to}`) as number) * (1 + 1e-6),
      );
    }
    expect(j.flows.some((f) => f.commodity.startsWith('graphite/') && f.levy > 0)).toBe(false);
  });

  it('a policy may name a region with no market in the data: a ban toward it, a stockpile in it', () => {
    // GBR is in regions.csv, with no producer and no demand: it was refused as an unknown region, by the engine's path.
    const toGbr = solveJson(['--ban', 'CHN:graphite/natural:GBR']);
    expect(toGbr.certificate.maxResidual).toBeLessThan(1e-8);
    expect(toGbr.prices.some((p) => p.region === 'GBR')).toBe(false);
    const file = path.join(overlayDir({}), 'gbr.json');
    writeFileSync(
      file,
      JSON.stringify({
        members: 'default',
        stockpiles: [{ region: 'GBR', commodity: 'gallium/refined', buyCap: 10, buyPrice: 1000 }],
      }),
    );
    const vault = solveJson(['--policy', file]) as SolveJson & { stocks: { region: string; bought: number }[] };
    expect(vault.certificate.maxResidual).toBeLessThan(1e-8);
    expect(vault.stocks.find((s) => s.region === 'GBR')?.bought).toBeCloseTo(10, 6);
  });

  it('lists the demand a ban leaves unserved, as the JSON reports it', () => {
    const args = ['--members', 'default', '--ban', 'CHN:gallium/refined:*'];
    const text = runCli(['solve', ...args]);
    expect(text.status).toBe(0);
    const json = JSON.parse(runCli(['solve', '--json', ...args]).stdout) as {
      rationed: { region: string; commodity: string; quantity: number }[];
    };
    const usa = json.rationed.find((r) => r.region === 'USA' && r.commodity === 'gallium/refined');
    expect(usa?.quantity).toBeGreaterThan(0);
    expect(text.stdout).toMatch(/Rationed \(demand unserved at its choke price\)/);
    const row = text.stdout.split('\n').find((l) => /^gallium\/refined\s+USA\s/.test(l));
    expect(row?.replace(/\s+/g, ' ')).toBe(
      `gallium/refined USA ${Math.round(usa?.quantity ?? 0).toLocaleString('en-US')} kg Ga`,
    );
    // Without a ban nothing is rationed, and the section is left out.
    expect(runCli(['solve']).stdout).not.toMatch(/Rationed/);
  });

  it('lists the prices the conditions leave open, each with its range, as the JSON reports them', () => {
    const args = ['--members', 'default', '--floor', 'ndpr/oxide=110000'];
    const json = solveJson(args) as SolveJson & {
      certificate: {
        openPrices: {
          region: string;
          commodity: string;
          price: number;
          low: number;
          high: number | null;
          earned: number;
          earnedLow: number;
          earnedHigh: number | null;
        }[];
        levyRevenueRange: { value: number; low: number; high: number };
        openPricesMs: number;
      };
    };
    const { openPrices, levyRevenueRange } = json.certificate;
    // The embedded data has markets where nothing is bought (an idle refinery's country): their price is open.
    expect(openPrices.length).toBeGreaterThan(0);
    for (const o of openPrices) {
      expect(o.low).toBeLessThanOrEqual(o.price * (1 + 1e-9));
      expect(o.high === null || o.high >= o.price * (1 - 1e-9)).toBe(true);
      expect(o.high === null || o.high > o.low).toBe(true);
      expect(o.earnedLow).toBeLessThanOrEqual(o.earned * (1 + 1e-9));
      expect(o.earnedHigh === null || o.earnedHigh >= o.earned * (1 - 1e-9)).toBe(true);
    }
    expect(levyRevenueRange.value).toBeCloseTo(json.statistics.levyRevenue, 0);
    expect(levyRevenueRange.low).toBeLessThanOrEqual(levyRevenueRange.value);
    expect(levyRevenueRange.high).toBeGreaterThanOrEqual(levyRevenueRange.value);
    expect(json.certificate.openPricesMs).toBeGreaterThan(0);
    const text = runCli(['solve', ...args]).stdout;
    expect(text).toMatch(/Open prices: every price in the range satisfies all conditions/);
    const rows = text.split('\n');
    for (const o of openPrices) {
      const row = rows.find((l) => l.startsWith(`${o.commodity} `) && l.split(/\s+/)[1] === o.region && / to /.test(l));
      expect(row, `${o.commodity} ${o.region}`).toBeDefined();
    }
  });

  it("the dominant supplier's share is of what the bloc receives: imports into a vault count, and the shares add up", () => {
    // The vault buys most of the bloc's gallium from China: as a share of bloc use (final and input use), that was 221%.
    const file = path.join(overlayDir({}), 'vault.yaml');
    writeFileSync(
      file,
      'members: [USA]\nstockpiles: [{ region: USA, commodity: gallium/refined, buyCap: 100000, buyPrice: 400 }]\n',
    );
    const s = solveJson(['--policy', file]) as SolveJson & {
      stocks: { region: string; commodity: string; bought: number; released: number }[];
      statistics: {
        commodities: {
          blocSupply: number;
          supplyByOrigin: { region: string; quantity: number }[];
          production: number;
        }[];
      };
    };
    const ga = s.statistics.commodities.find(
      (c) => c.commodity === 'gallium/refined',
    ) as (typeof s.statistics.commodities)[number];
    const bought = s.stocks.find((x) => x.region === 'USA' && x.commodity === 'gallium/refined')?.bought ?? 0;
    expect(bought).toBeGreaterThan(10_000);
    // Recomputed from the flows: what enters the member from outside, by origin.
    const into = (from: string) =>
      s.flows
        .filter((f) => f.commodity === 'gallium/refined' && f.to === 'USA' && f.from === from)
        .reduce((t, f) => t + f.quantity, 0);
    const imports = s.flows
      .filter((f) => f.commodity === 'gallium/refined' && f.to === 'USA')
      .reduce((t, f) => t + f.quantity, 0);
    expect(into('CHN')).toBeGreaterThan(bought / 2);
    expect(ga.blocSupply).toBeGreaterThanOrEqual(imports * (1 - 1e-9));
    expect(ga.supplyByOrigin.reduce((t, o) => t + o.quantity, 0)).toBeCloseTo(ga.blocSupply, 6);
    expect(ga.supplyByOrigin.find((o) => o.region === 'CHN')?.quantity).toBeCloseTo(into('CHN'), 6);
    expect(ga.dominantShare).toBeCloseTo(into('CHN') / ga.blocSupply, 12);
    expect(ga.dominantShare).toBeLessThan(1);
    expect((ga.selfSufficiency ?? 0) + (ga.dominantShare ?? 0)).toBeLessThanOrEqual(1 + 1e-12);
  });

  it('refuses a CfD that covers no producer or the producers of another, and the rest of the world as a member', () => {
    const dir = overlayDir({});
    const refused = (text: string, expected: RegExp) => {
      const file = path.join(dir, 'cfd.yaml');
      writeFileSync(file, text);
      const r = runCli(['solve', '--policy', file]);
      expect(r.status, r.stdout).toBe(1);
      expect(r.stderr).toMatch(expected);
    };
    refused(
      'cfds: [{ commodity: ndpr/oxide, strike: 110000 }]\n',
      /cfd\.yaml:1:8: policy\.cfds\[0\]: covers no producer: it names no regions, and the zone it would cover \(the members\) has none/,
    );
    refused(
      'members: [EU27]\ncfds: [{ commodity: ndpr/oxide, strike: 110000 }]\n',
      /cfd\.yaml:2:8: policy\.cfds\[0\]: covers no producer: nothing in EU27 \(the members\) makes ndpr\/oxide \(it is made in [A-Z, ]*USA/,
    );
    refused(
      'members: [USA]\ncfds: [{ commodity: ndpr/oxide, strike: 110000 }, { commodity: ndpr/oxide, regions: [USA], strike: 50000 }]\n',
      /policy\.cfds\[1\]: covers ndpr\/oxide in USA, as policy\.cfds\[0\] does: a producer takes one strike/,
    );
    refused(
      'members: [USA, ROW]\n',
      /cfd\.yaml:1:16: policy\.members\[1\]: ROW is the rest of the world .*it cannot be a member/,
    );
    // One CfD per region still runs, and raises output at its strike.
    const file = path.join(dir, 'cfd.yaml');
    writeFileSync(file, 'members: [USA]\ncfds: [{ commodity: ndpr/oxide, strike: 110000 }]\n');
    expect(solveJson(['--policy', file]).certificate.maxResidual).toBeLessThan(1e-8);
  });

  it('lists the flows that pay the levy, with units, where the largest flows pay none', () => {
    const r = runCli(['solve', '--members', 'default', '--floor', 'gallium/refined=400']);
    expect(r.status).toBe(0);
    const levied = r.stdout.split('Flows paying the levy (by levy revenue):')[1] ?? '';
    expect(levied).toMatch(/gallium\/refined\s+CHN\s+(USA|EU27|JPN|MEX)\s+[\d,]+\s+kg Ga\s+400\s+[\d.,]+\s+USD\/kg Ga/);
    expect(r.stdout).toMatch(/price unit\s+production\s+unit\/year/);
  });

  it("a floor reaches the goods made of it: a non-member's magnets land at no less than their oxide content × its floor", () => {
    // MODEL.md §7, as the secretariat's duty levies it: magnets have no reference price of their own here, and carry
    // 0.34 t of NdPr oxide a tonne (stage_links.csv); without it they entered at no levy while oxide paid the floor.
    const members = new Set(['USA', 'EU27', 'JPN', 'MEX']);
    const s = solveJson(['--members', 'default', '--floor', 'ndpr/oxide=200000']);
    const content = 0.34 * 200000;
    const magnets = s.flows.filter((f) => f.commodity === 'ndfeb/magnet' && members.has(f.to) && !members.has(f.from));
    expect(magnets.length).toBeGreaterThan(0);
    for (const f of magnets) {
      expect(f.landed).toBeGreaterThanOrEqual(content * (1 - 1e-9));
      expect(f.levy).toBeCloseTo(Math.max(0, content - (f.landed - f.levy)), 6);
    }
    expect(magnets.some((f) => f.levy > 0)).toBe(true);
    const magnet = s.statistics.commodities.find((c) => c.commodity === 'ndfeb/magnet');
    expect(magnet?.levyRevenue).toBeCloseTo(
      magnets.reduce((t, f) => t + f.levy * f.quantity, 0),
      0,
    );
    // The nearest floored input counts: with concentrate floored too, magnets still carry oxide's floor, and a floor
    // of their own replaces any content.
    const both = solveJson([
      '--members',
      'default',
      '--floor',
      'ndpr/oxide=200000',
      '--floor',
      'rare-earths/concentrate=3000',
    ]);
    for (const f of both.flows.filter(
      (x) => x.commodity === 'ndfeb/magnet' && members.has(x.to) && !members.has(x.from),
    ))
      expect(f.landed).toBeCloseTo(Math.max(content, f.landed - f.levy), 6);
    const own = solveJson(['--members', 'default', '--floor', 'ndpr/oxide=200000', '--floor', 'ndfeb/magnet=30000']);
    for (const f of own.flows.filter(
      (x) => x.commodity === 'ndfeb/magnet' && members.has(x.to) && !members.has(x.from),
    ))
      expect(f.landed - f.levy).toBeGreaterThanOrEqual(30000 * (1 - 1e-9));
    expect(own.flows.some((x) => x.commodity === 'ndfeb/magnet' && x.levy > 0)).toBe(false);
  });

  it("reports the export taxes paid to the exporters' treasuries: rate × the exporter's home price × its exports", () => {
    const file = path.join(overlayDir({}), 'tax.yaml');
    writeFileSync(file, 'exportTaxes: [{ origin: AUS, commodity: lithium/mine, rate: 0.2 }]\n');
    const s = solveJson(['--policy', file]);
    const home = s.prices.find((p) => p.region === 'AUS' && p.commodity === 'lithium/mine')?.price as number;
    const exported = s.flows
      .filter((f) => f.commodity === 'lithium/mine' && f.from === 'AUS')
      .reduce((t, f) => t + f.quantity, 0);
    expect(exported).toBeGreaterThan(0);
    const li = s.statistics.commodities.find((c) => c.commodity === 'lithium/mine');
    expect(li?.exportTaxRevenue).toBeCloseTo(0.2 * home * exported, 0);
    expect(s.statistics.exportTaxRevenue).toBeCloseTo(li?.exportTaxRevenue as number, 6);
    const text = runCli(['solve', '--policy', file]).stdout;
    expect(text).toMatch(/export taxes paid to the exporters' treasuries: USD [\d,]+/);
  });

  it('reads a YAML policy file', () => {
    const dir = overlayDir({});
    const file = path.join(dir, 'policy.yaml');
    writeFileSync(file, 'members: [USA, EU27, JPN, MEX]\nfloors:\n  ndpr/oxide: 110000\n');
    const s = solveJson(['--policy', file]);
    expect(s.members).toContain('JPN');
  });

  it('names file, line and column of a bad policy', () => {
    const dir = overlayDir({});
    const file = path.join(dir, 'policy.yaml');
    writeFileSync(file, 'members: [USA, EU27]\nfloors:\n  ndpr/oxide: -5\n');
    const r = runCli(['solve', '--policy', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/policy\.yaml:3:\d+: floors\.ndpr\/oxide: .*(>=|greater|negative|0)/i);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // Found against the data (an unknown region): still placed in the file, unless a flag gave the value.
    writeFileSync(file, 'members: [USA, XYZ]\n');
    const unknown = runCli(['solve', '--policy', file]);
    expect(unknown.stderr).toMatch(/policy\.yaml:1:16: policy\.members\[1\]: unknown region 'XYZ'/);
    const flag = runCli(['solve', '--policy', file, '--members', 'USA,QQQ']);
    expect(flag.stderr).toMatch(/^lodestone: policy\.members\[1\]: unknown region 'QQQ'/);
  });

  it('refuses a policy whose floors vanish unread, or that is null, and reads one with a byte-order mark', () => {
    // floors: { __proto__: ... } and a 'null' document both ran, exit 0: a zone with no floor, and no zone at all.
    const dir = overlayDir({});
    const refused: [string, string, RegExp][] = [
      [
        'proto.yaml',
        'members: default\nfloors:\n  __proto__: { ndpr/oxide: 110000 }\n',
        /^lodestone: \S*proto\.yaml:3:3: floors\.__proto__: the key '__proto__' is not allowed/,
      ],
      ['null.yaml', 'null\n', /^lodestone: \S*null\.yaml:1:1: the document is null: expected a mapping/],
      [
        'dup.json',
        '{"members": "default", "floors": {"ndpr/oxide": 110000, "ndpr/oxide": 5}}',
        /^lodestone: \S*dup\.json:1:\d+: duplicate key 'ndpr\/oxide'/,
      ],
    ];
    for (const [name, text, message] of refused) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      const r = runCli(['solve', '--policy', file]);
      expect(r.status, name).toBe(1);
      expect(r.stderr, name).toMatch(message);
      expect(r.stderr, name).not.toMatch(/\n\s+at /);
    }
    const bom = path.join(dir, 'bom.json');
    writeFileSync(bom, '\uFEFF{"members": ["USA", "JPN"], "floors": {"ndpr/oxide": 110000}}\r\n');
    expect(solveJson(['--policy', bom]).members).toEqual(['USA', 'JPN']);
  });

  it('refuses a stockpile operation that could never run, or that buys and releases at once', () => {
    const dir = overlayDir({});
    const refused = (text: string, expected: RegExp) => {
      const file = path.join(dir, 'vault.yaml');
      writeFileSync(file, text);
      const r = runCli(['solve', '--policy', file]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(expected);
    };
    const op = 'members: default\nstockpiles:\n  - { region: USA, commodity: gallium/refined, ';
    refused(
      `${op}buyCap: 10000, releaseCap: 10000 }\n`,
      /vault\.yaml:3:\d+: stockpiles\.0\.buyPrice: buyCap needs buyPrice/,
    );
    refused(
      `${op}buyCap: 10, buyPrice: 498, releaseCap: 10, releasePrice: 124.5 }\n`,
      /stockpiles\.0\.buyPrice: 498 is not below releasePrice 124\.5/,
    );
    refused(`${op}}\n`, /stockpiles\.0: needs buyCap and buyPrice/);
    // More in a year than twice what the world can make of it: no vault is that large, and the price it would sink to
    // (a millionth of its reference) is beyond the certificate's precision — it failed after 4,742 iterations.
    refused(
      `${op}releaseCap: 10000000, releasePrice: 0 }\n`,
      /vault\.yaml:3:\d+: policy\.stockpiles\[0\]\.releaseCap: 1\.00e\+7 kg Ga is 13 times what the world can make of gallium\/refined in a year \([\d.e+]+ kg Ga\); a vault releases at most 2 years of it in one/,
    );
    // A release at any price (0) of a year's world output, within the bound, certifies.
    const file = path.join(dir, 'vault.yaml');
    writeFileSync(file, `${op}releaseCap: 750000, releasePrice: 0 }\n`);
    expect(solveJson(['--policy', file]).certificate.maxResidual).toBeLessThan(1e-8);
  });

  it('rejects a YAML syntax error with its position', () => {
    const dir = overlayDir({});
    const file = path.join(dir, 'policy.yaml');
    writeFileSync(file, 'members: [USA, EU27\nfloors: {\n');
    const r = runCli(['solve', '--policy', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/policy\.yaml:\d+:\d+: /);
  });

  it('rejects an unknown member and an unknown commodity', () => {
    const a = runCli(['solve', '--members', 'USA,ATL']);
    expect(a.status).toBe(1);
    expect(a.stderr).toMatch(/policy\.members\[1\]: unknown region 'ATL'/);
    const b = runCli(['solve', '--members', 'default', '--floor', 'unobtainium/metal=5']);
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/unknown commodity 'unobtainium\/metal'/);
  });

  it("refuses the dominant supplier as a member or as a CfD's producers, as a scenario does, and a self-ban", () => {
    const member = runCli(['solve', '--members', 'USA,CHN']);
    expect(member.status).toBe(1);
    expect(member.stderr).toMatch(/policy\.members\[1\]: CHN is the dominant supplier .*it cannot be a member/);
    const dir = overlayDir({});
    const cfd = path.join(dir, 'cfd.yaml');
    writeFileSync(cfd, 'members: [USA]\ncfds:\n  - { commodity: gallium/refined, regions: [USA, CHN], strike: 900 }\n');
    const paid = runCli(['solve', '--policy', cfd]);
    expect(paid.status).toBe(1);
    expect(paid.stderr).toMatch(/policy\.cfds\[0\]\.regions\[1\]: CHN is the dominant supplier .*a CfD would pay/);
    // Another supplier named as the dominant one: CHN may then join, and the statistics measure the share from it.
    const other = path.join(dir, 'other.yaml');
    writeFileSync(other, 'dominantSupplier: AUS\nmembers: [USA, CHN]\n');
    const ok = solveJson(['--policy', other]);
    expect(ok.members).toEqual(['USA', 'CHN']);
    expect((ok.statistics as unknown as { dominantSupplier: string }).dominantSupplier).toBe('AUS');
    const selfBan = runCli(['solve', '--ban', 'CHN:gallium/refined:USA,CHN']);
    expect(selfBan.status).toBe(1);
    expect(selfBan.stderr).toMatch(/policy\.bans\[0\]\.destinations\[1\]: CHN is the origin itself/);
    const unknown = runCli(['solve', '--policy', other, '--members', 'USA,AUS']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/policy\.members\[1\]: AUS is the dominant supplier/);
    // A member of the default bloc named the dominant supplier, with members: default (or a floor, which implies
    // it): it ran, USA both a member and the supplier the zone is built against.
    const bloc = path.join(dir, 'bloc.yaml');
    writeFileSync(bloc, 'members: default\ndominantSupplier: USA\n');
    const inBloc = runCli(['solve', '--policy', bloc]);
    expect(inBloc.status).toBe(1);
    expect(inBloc.stderr).toMatch(
      /bloc\.yaml:2:19: policy\.dominantSupplier: USA is a member of the default bloc \(members: default: EU27, JPN, MEX, USA\)/,
    );
    writeFileSync(bloc, 'dominantSupplier: DEU\n');
    const floored = runCli(['solve', '--policy', bloc, '--floor', 'ndpr/oxide=110000']);
    expect(floored.status).toBe(1);
    expect(floored.stderr).toMatch(/policy\.dominantSupplier: DEU counts as EU27, a member of the default bloc/);
  });
});
