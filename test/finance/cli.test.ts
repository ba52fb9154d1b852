/** `lodestone projects ...` run as a user would, on short scenarios. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseUsd, rankCsv, rankText } from '../../src/cli/projects.ts';
import type { ProjectAppraisals } from '../../src/finance/appraisal.ts';
import { SCENARIO_DIR } from '../../src/model/scenario.ts';
import { runCli } from '../helpers.ts';
import { appraisal } from './fixtures.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-projects-cli-'));
const scenario = path.join(dir, 'short.yaml');
writeFileSync(
  scenario,
  `name: short-zone\nextends: ${path.join(SCENARIO_DIR, 'zone-2026-ban-2027.yaml')}\nhorizon: { start: 2025, end: 2031 }\n`,
);
const noTrace = (stderr: string) => expect(stderr).not.toMatch(/at .*\.ts:\d+|Error:/);

describe('lodestone projects rank', () => {
  it('--json prints an array with id, npvBaseline, npvZone, incentivePrice, IRRs, support and security', () => {
    const r = runCli([
      'projects',
      'rank',
      scenario,
      '--project',
      'PRJ_EF_WHITEMESA_P2',
      '--project',
      'PRJ_VULCAN_ELEMENTS',
      '--json',
    ]);
    noTrace(r.stderr);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows.map((x) => x.id).sort()).toEqual(['PRJ_EF_WHITEMESA_P2', 'PRJ_VULCAN_ELEMENTS']);
    for (const row of rows) {
      for (const key of [
        'id',
        'npvBaseline',
        'npvZone',
        'incentivePrice',
        'irrBaseline',
        'irrZone',
        'supportCost',
        'cfdPayments',
        'selfSufficiencyGain',
        'consumptionLostAvoided',
      ]) {
        expect(row, key).toHaveProperty(key);
      }
      expect(typeof row.npvZone).toBe('number');
    }
    // Sorted by NPV on the zone path, highest first.
    expect((rows[0]?.npvZone as number) >= (rows[1]?.npvZone as number)).toBe(true);
  });
  it('prints a readable table by default, and the user’s own projects with --projects', () => {
    const mine = path.join(dir, 'mine.yaml');
    writeFileSync(
      mine,
      '- id: MY_MAGNETS\n  name: My magnet plant\n  region: JPN\n  commodity: ndfeb/magnet\n  capacity: 3000\n  capacity_unit: t NdFeB\n  capex_musd: 250\n',
    );
    const r = runCli(['projects', 'rank', scenario, '--projects', mine, '--project', 'MY_MAGNETS']);
    noTrace(r.stderr);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Projects under short-zone/);
    expect(r.stdout).toMatch(/MY_MAGNETS\s+ndfeb\/magnet\s+JPN\*/);
    expect(r.stdout).toMatch(/NPV base\s+NPV zone\s+IRR base\s+IRR zone\s+incentive price/);
  });
  it('--csv prints one row per project under a header', () => {
    const r = runCli(['projects', 'rank', scenario, '--project', 'PRJ_IONEER_RHYOLITE', '--csv']);
    expect(r.status).toBe(0);
    const [header, row, end] = r.stdout.split('\n');
    expect(header).toMatch(/^id,name,commodity,country,member,status,decision_year,online_year,/);
    expect(row).toMatch(/^PRJ_IONEER_RHYOLITE,Rhyolite Ridge lithium-boron project,lithium\/chemicals,USA,true,/);
    expect(row?.split(',')).toHaveLength(header?.split(',').length ?? 0);
    expect(end).toBe('');
  });
  it('reports a bad project file with file:line:column, exit 1 and no stack trace', () => {
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(
      bad,
      'id,name,region,commodity,status,capacity,capacity_unit,capex_musd\nB,b,USA,lithium/chemicals,feasibility,-40,t LCE,100\n',
    );
    const r = runCli(['projects', 'rank', scenario, '--projects', bad]);
    expect(r.status).toBe(1);
    noTrace(r.stderr);
    expect(r.stderr).toMatch(/bad\.csv:2:6: error \[cell-value\] capacity: -40 is negative/);
    const unknown = runCli(['projects', 'rank', scenario, '--project', 'PRJ_NOPE']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/--project PRJ_NOPE: unknown project/);
  });
});

describe('lodestone projects portfolio', () => {
  it('--json prints budget, selected, totalCost, objective, the frontier and a reason for every project', () => {
    const r = runCli([
      'projects',
      'portfolio',
      scenario,
      '--budget',
      '2bn',
      '--project',
      'PRJ_VULCAN_ELEMENTS',
      '--project',
      'PRJ_ALCOA_WAGERUP_GA',
      '--project',
      'PRJ_EF_WHITEMESA_P2',
      '--frontier',
      '4',
      '--json',
    ]);
    noTrace(r.stderr);
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.budget).toBe(2e9);
    expect(Array.isArray(plan.selected)).toBe(true);
    expect(plan.totalCost).toBeLessThanOrEqual(2e9);
    expect(typeof plan.objective).toBe('number');
    expect(plan.frontier.length).toBeGreaterThanOrEqual(4);
    expect(plan.decisions.map((d: { id: string }) => d.id).sort()).toEqual([
      'PRJ_ALCOA_WAGERUP_GA',
      'PRJ_EF_WHITEMESA_P2',
      'PRJ_VULCAN_ELEMENTS',
    ]);
    for (const d of plan.decisions) expect(d.detail.length).toBeGreaterThan(10);
    expect(plan.joint.sumOfParts).toBeDefined();
  });
  it('writes the report with the project sections and the frontier chart with --out', () => {
    const out = path.join(dir, 'out');
    // On bloc supply and USD 3 bn Vulcan Elements is bought: a frontier that rises (one flat at zero is a note).
    const r = runCli([
      'projects',
      'portfolio',
      scenario,
      '--budget',
      '3bn',
      '--security',
      'supply',
      '--project',
      'PRJ_VULCAN_ELEMENTS',
      '--project',
      'PRJ_EF_WHITEMESA_P2',
      '--out',
      out,
    ]);
    noTrace(r.stderr);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Portfolio under short-zone against baseline: budget USD 3,000 m/);
    expect(r.stdout).toMatch(/Efficient frontier/);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<section id="projects" data-extra>/);
    expect(html).toMatch(/data-chart="projects-frontier"/);
    expect(html).toMatch(/<table class="projects">/);
    expect(html).toMatch(/<section id="downstream" data-extra>/);
    expect(html).toMatch(/href="#projects">Projects</);
    expect(existsSync(path.join(out, 'results.json'))).toBe(true);
    // The projects' own numbers beside it: the table's, the portfolio and the downstream costs.
    const own = JSON.parse(readFileSync(path.join(out, 'projects.json'), 'utf8'));
    expect(own.projects.map((p: { id: string }) => p.id).sort()).toEqual([
      'PRJ_EF_WHITEMESA_P2',
      'PRJ_VULCAN_ELEMENTS',
    ]);
    expect(own.portfolio.selected).toEqual(expect.arrayContaining(['PRJ_VULCAN_ELEMENTS']));
    expect(own.downstream.length).toBeGreaterThan(0);
    const csv = readFileSync(path.join(out, 'projects.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(html).toMatch(/also in <code>projects\.json<\/code> and <code>projects\.csv<\/code>/);
  });
  it('--json with --out prints only the JSON, as rank --csv with --out prints only the CSV', () => {
    const out = path.join(dir, 'out-json');
    const project = ['--project', 'PRJ_IONEER_RHYOLITE', '--out', out];
    const plan = runCli(['projects', 'portfolio', scenario, '--budget', '1bn', ...project, '--json']);
    noTrace(plan.stderr);
    expect(plan.status).toBe(0);
    expect(JSON.parse(plan.stdout).budget).toBe(1e9);
    expect(existsSync(path.join(out, 'projects.json'))).toBe(true);
    const csv = runCli(['projects', 'rank', scenario, ...project, '--csv']);
    expect(csv.status).toBe(0);
    expect(csv.stdout.trim().split('\n')).toHaveLength(2);
  });
  it('refuses a budget that is not an amount, an unknown mineral and a missing budget', () => {
    const bad = runCli(['projects', 'portfolio', scenario, '--budget', 'lots']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--budget: 'lots' is not an amount of USD/);
    const mineral = runCli([
      'projects',
      'portfolio',
      scenario,
      '--budget',
      '1bn',
      '--mineral-limit',
      'unobtainium=1bn',
    ]);
    expect(mineral.status).toBe(1);
    expect(mineral.stderr).toMatch(/--mineral-limit unobtainium: unknown mineral/);
    const missing = runCli(['projects', 'portfolio', scenario]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/required option '--budget <usd>'/);
    // A member state's limit bound nothing (projects are hosted by the member, EU27): it was silently ignored.
    const state = runCli(['projects', 'portfolio', scenario, '--budget', '1bn', '--member-limit', 'DEU=0']);
    expect(state.status).toBe(1);
    expect(state.stderr).toMatch(/--member-limit DEU: DEU counts as EU27, the member whose projects a limit caps/);
  });
});

describe('an unknown project id', () => {
  it('is refused with the ids it is nearest to, and a project left out of the register says why', () => {
    const typo = runCli(['projects', 'show', 'PRJ_WHITEMESA_P2', scenario]);
    expect(typo.status).toBe(1);
    noTrace(typo.stderr);
    expect(typo.stderr).toMatch(/PRJ_WHITEMESA_P2: unknown project \(did you mean 'PRJ_EF_WHITEMESA_P2'\?\)/);
    const lower = runCli(['projects', 'rank', scenario, '--project', 'prj_ioneer_rhyolite']);
    expect(lower.status).toBe(1);
    expect(lower.stderr).toMatch(
      /--project prj_ioneer_rhyolite: unknown project \(did you mean 'PRJ_IONEER_RHYOLITE'\?\)/,
    );
    const part = runCli(['projects', 'show', 'PRJ_VULCAN', scenario]);
    expect(part.stderr).toMatch(/did you mean one of 'PRJ_VULCAN_ELEMENTS', 'PRJ_VULCAN_LIONHEART'\?/);
    // In the data but not a project to value: say why, not just 'not in the register'.
    const operating = runCli(['projects', 'show', 'PRJ_MP_MOUNTAIN_PASS', scenario]);
    expect(operating.status).toBe(1);
    expect(operating.stderr).toMatch(
      /PRJ_MP_MOUNTAIN_PASS: cannot be valued: it is operating: its output is in the base year's producers/,
    );
    const none = runCli(['projects', 'show', 'NOTHING_LIKE_IT', scenario]);
    expect(none.stderr).toMatch(/NOTHING_LIKE_IT: unknown project \(see 'lodestone projects list'/);
  });
});

describe('lodestone projects list, show and downstream', () => {
  it('list marks assumed numbers and model parameters', () => {
    const r = runCli(['projects', 'list']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/PRJ_VULCAN_ELEMENTS .* 1,000A/);
    expect(r.stdout).toMatch(/A: a labelled assumption/);
    const json = JSON.parse(runCli(['projects', 'list', '--json']).stdout);
    expect(json.projects.find((p: { id: string }) => p.id === 'PRJ_LAC_THACKER').provenance.capex.kind).toBe('source');
  });
  it('show prints one project’s cash flows year by year', () => {
    const r = runCli(['projects', 'show', 'PRJ_IONEER_RHYOLITE', scenario]);
    noTrace(r.stderr);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^PRJ_IONEER_RHYOLITE — Rhyolite Ridge/);
    expect(r.stdout).toMatch(/year\s+output\s+price\s+revenue\s+CfD\s+cash cost\s+inputs\s+capex\s+net/);
    const json = JSON.parse(runCli(['projects', 'show', 'PRJ_IONEER_RHYOLITE', scenario, '--json']).stdout);
    expect(json.cashFlows.zone.length).toBe(json.onlineYear - json.decisionYear + json.life);
    // The years of construction sell nothing and look up no price: '-', not a price of 0.00 on either path.
    for (let year = json.decisionYear; year < json.onlineYear; year++) {
      const row = r.stdout.split('\n').find((l) => l.startsWith(`${year} `));
      expect(row?.trim().split(/\s+/), String(year)).toEqual([
        String(year),
        '0',
        '-',
        '0',
        '0',
        '0',
        '0',
        expect.any(String),
        expect.any(String),
        '-',
        expect.any(String),
      ]);
    }
    const online = r.stdout.split('\n').find((l) => l.startsWith(`${json.onlineYear} `));
    expect(online?.trim().split(/\s+/)[2]).not.toBe('-');
    const notValued = runCli(['projects', 'show', 'PRJ_KZ_ONSAN_GA', scenario]);
    expect(notValued.status).toBe(1);
    expect(notValued.stderr).toMatch(/PRJ_KZ_ONSAN_GA: cannot be valued: no published or assumed capital cost/);
  });
  it('downstream --json gives the change in material cost per electric car and per MW of wind', () => {
    const r = runCli(['projects', 'downstream', scenario, '--json']);
    noTrace(r.stderr);
    expect(r.status).toBe(0);
    const { goods } = JSON.parse(r.stdout);
    const car = goods.find((g: { good: string }) => g.good === 'ev-car');
    expect(car.per).toBe('vehicle');
    expect(car.years).toHaveLength(7);
    expect(car.years[0].against).toBeGreaterThan(0);
    expect(goods.find((g: { good: string }) => g.good === 'wind-offshore').per).toBe('MW');
  });
});

describe('rankCsv', () => {
  it('says why an IRR is missing, as the JSON does, and carries the fields the table and README name', () => {
    const p = appraisal({
      id: 'P',
      irrBaseline: null,
      irrBaselineNote: 'none (the cash flows never turn positive: the investment is never paid back)',
      irrZone: null,
      irrZoneNote: 'several: 10.0%, 20.0% (sign changes more than once)',
      incentivePriceAnnuity: 1234,
      probabilityOfLossZone: 0.25,
      paths: 4,
    } as Parameters<typeof appraisal>[0]);
    const csv = rankCsv({ projects: [p] } as unknown as ProjectAppraisals);
    const [header, row] = csv.trim().split('\n');
    const cells =
      (row ?? '').match(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)?.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '')) ?? [];
    const at = (column: string) => cells[(header ?? '').split(',').indexOf(column)];
    expect(at('irr_baseline')).toBe('');
    expect(at('irr_baseline_note')).toBe(
      'none (the cash flows never turn positive: the investment is never paid back)',
    );
    expect(at('irr_zone_note')).toBe('several: 10.0%, 20.0% (sign changes more than once)');
    expect(at('incentive_price_annuity')).toBe('1234');
    expect(at('probability_of_loss_zone')).toBe('0.25');
    expect(at('paths')).toBe('4');
  });
});

describe('rankText', () => {
  it('shows a self-sufficiency change that rounds to nothing as 0.0 pt, never -0.0 pt', () => {
    // A change of -0.0001 pt printed '-0.0 pt' (JERVOIS_ICO on the default run), a loss the JSON does not show.
    const gains = [-1.5e-6, 1.5e-6, 0, -0.0042, 0.317];
    const projects = gains.map((gain, i) =>
      appraisal({
        id: `P${i}`,
        security: {
          consumptionLostAvoided: 0,
          consumptionLostAvoidedInShocks: 0,
          selfSufficiency: { year: 2040, without: 0.1, with: 0.1 + gain, gain },
          blocProductionAdded: 0,
        },
      }),
    );
    const text = rankText({
      scenario: { name: 's', title: 'S' },
      against: { name: 'baseline' },
      horizon: { start: 2025, end: 2040 },
      analysisYear: 2026,
      costOfCapital: 0.08,
      projects,
      notValued: [],
      notes: [],
    } as unknown as ProjectAppraisals);
    const shown = projects.map((p) => new RegExp(`^${p.id}\\s.*\\s(\\S+ pt)$`, 'm').exec(text)?.[1]);
    expect(shown).toEqual(['0.0 pt', '0.0 pt', '0.0 pt', '-0.4 pt', '+31.7 pt']);
  });
});

describe('parseUsd', () => {
  it('reads plain numbers, exponents and scales', () => {
    expect(parseUsd('12e9')).toBe(12e9);
    expect(parseUsd('12000000000')).toBe(12e9);
    expect(parseUsd('12bn')).toBe(12e9);
    expect(parseUsd('USD 1.5 bn')).toBe(1.5e9);
    expect(parseUsd('500m')).toBe(5e8);
    expect(() => parseUsd('5 zillion')).toThrow(/not an amount/);
    // A negative amount and one too large for a number say so, not 'not an amount' and 'must be non-negative'.
    expect(() => parseUsd('-5', '--budget')).toThrow(/--budget: '-5' is negative: give an amount of 0 or more/);
    expect(() => parseUsd('-2bn', '--budget')).toThrow(/is negative/);
    expect(() => parseUsd('1e400', '--budget')).toThrow(/--budget: '1e400' is too large/);
  });
});

describe('projects over an ensemble: bad options', () => {
  it('refuses a draw count that is not a whole number from 1 to 10,000, and --central-parameters alone', () => {
    const zero = runCli(['projects', 'rank', '--draws', '0']);
    expect(zero.status).not.toBe(0);
    expect(zero.stderr).toMatch(/--draws 0: expected a whole number of draws from 1 to 10,000/);
    const huge = runCli(['projects', 'rank', '--draws=1e30']);
    expect(huge.status).toBe(1);
    expect(huge.stderr).toMatch(/--draws 1e30: expected a whole number of draws from 1 to 10,000/);
    const seed = runCli(['projects', 'rank', '--draws', '2', '--seed', '99999999999999999999']);
    expect(seed.status).toBe(1);
    expect(seed.stderr).toMatch(/--seed 9+: expected a whole number from 0 to 9,007,199,254,740,991/);
    const alone = runCli(['projects', 'rank', '--central-parameters']);
    expect(alone.status).not.toBe(0);
    expect(alone.stderr).toMatch(/--central-parameters: only with --draws/);
    // A seed without draws seeds nothing: it was taken and the central path valued, in silence.
    const seedAlone = runCli(['projects', 'rank', '--seed', '7']);
    expect(seedAlone.status).toBe(1);
    expect(seedAlone.stderr).toMatch(/--seed: only with --draws/);
  });
});

describe('--against', () => {
  it('runs over the scenario’s years, as simulate’s twin does, with a note where its own differ', () => {
    // Named, it ran over its own years (baseline: to 2040, past this scenario's 2031), so `--against baseline` valued
    // the projects on another baseline path than the default, which is baseline over the scenario's years.
    const args = ['projects', 'rank', scenario, '--project', 'PRJ_VULCAN_ELEMENTS', '--json'];
    const named = runCli([...args, '--against', 'baseline']);
    expect(named.status, named.stderr).toBe(0);
    expect(named.stderr).toMatch(/note: baseline runs over the years of short-zone, 2025–2031 \(its own: 2025–2040\)/);
    const byDefault = runCli(args);
    expect(JSON.parse(named.stdout)).toEqual(JSON.parse(byDefault.stdout));
  });
});

describe('options that would change nothing', () => {
  it('refuses a second limit on one member or mineral, options rank would drop, and --project on show', () => {
    // The second limit silently replaced the first (solve's --floor refuses a second floor on a commodity).
    const member = runCli([
      'projects',
      'portfolio',
      scenario,
      '--budget',
      '1bn',
      '--member-limit',
      'USA=1bn',
      '--member-limit',
      'USA=2bn',
    ]);
    expect(member.status).toBe(1);
    expect(member.stderr).toMatch(/--member-limit USA=2bn: USA has a limit already \(--member-limit USA=1bn\)/);
    const mineral = runCli([
      'projects',
      'portfolio',
      scenario,
      '--budget',
      '1bn',
      '--mineral-limit',
      'lithium=1bn',
      '--mineral-limit',
      'lithium =500m',
    ]);
    expect(mineral.status).toBe(1);
    expect(mineral.stderr).toMatch(/--mineral-limit lithium =500m: lithium has a limit already/);
    // The cash flows go into JSON only (printed, or projects.json beside a report): the table and CSV have none.
    const flows = runCli(['projects', 'rank', scenario, '--cash-flows', '--csv']);
    expect(flows.status).toBe(1);
    expect(flows.stderr).toMatch(/--cash-flows: only with --json or --out/);
    // Both formats asked for: JSON was printed and --csv dropped.
    const both = runCli(['projects', 'rank', scenario, '--json', '--csv']);
    expect(both.status).toBe(1);
    expect(both.stderr).toMatch(/--json and --csv: give one/);
    // show values the project its id names: a --project beside it was dropped without a word.
    const show = runCli(['projects', 'show', 'PRJ_VULCAN_ELEMENTS', '--project', 'PRJ_MP_10X']);
    expect(show.status).toBe(2);
    expect(show.stderr).toMatch(/unknown option '--project'/);
  });
});
