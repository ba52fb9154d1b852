/**
 * `lodestone projects ...`: which projects the zone makes bankable, what backing them costs, which portfolio to back
 * under a budget, and what the zone does to the material cost of downstream goods.
 */
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Catalog } from '../data/catalog.ts';
import { BASE_YEAR } from '../data/schema.ts';
import {
  type AppraisalEnsemble,
  analysisYear,
  appraiseProjects,
  jointSecurity,
  type ProjectAppraisal,
  type ProjectAppraisals,
} from '../finance/appraisal.ts';
import { percent } from '../finance/cashflow.ts';
import { type DownstreamCost, downstreamCosts, downstreamGoods } from '../finance/downstream.ts';
import { type CostBasis, type PortfolioPlan, planPortfolio, type SecurityMeasure } from '../finance/plan.ts';
import { projectRegister, readProjectsFile, withProjectRows } from '../finance/register.ts';
import { checkFolderPath } from '../folders.ts';
import { InputError } from '../model/document.ts';
import { modelRegion } from '../model/regions.ts';
import { readScenario, type Scenario } from '../model/scenario.ts';
import { DEFAULT_DOMINANT_SUPPLIER } from '../model/world.ts';
import { csvField } from '../report/csv.ts';
import { writeReport } from '../report/index.ts';
import { projectReportSections } from '../report/projects.ts';
import { Parameters as ModelParameters } from '../simulate/inputs.ts';
import type { Comparison } from '../simulate/result.ts';
import { simulate } from '../simulate/simulate.ts';
import { didYouMean } from '../suggest.ts';
import { loadCheckedDataset, withDataOption } from './data.ts';
import { countOption, SEED_EXPECTED } from './ensemble.ts';
import { formatNumber, formatPrice, renderTable } from './table.ts';

export const DEFAULT_PROJECT_SCENARIO = 'zone-2026-ban-2027';

interface ProjectsOptions {
  data?: string[];
  against?: string;
  projects?: string;
  project?: string[];
  json?: boolean;
  out?: string;
  cashFlows?: boolean;
  sort?: string;
  draws?: string;
  seed?: string;
  centralParameters?: boolean;
}

interface PortfolioOptions extends ProjectsOptions {
  budget: number;
  basis: CostBasis;
  security: SecurityMeasure;
  memberLimit?: Record<string, number>;
  mineralLimit?: Record<string, number>;
  frontier: number;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

const SCALE: Record<string, number> = {
  k: 1e3,
  thousand: 1e3,
  m: 1e6,
  mn: 1e6,
  million: 1e6,
  bn: 1e9,
  b: 1e9,
  billion: 1e9,
};

/** An amount of USD: '12e9', '12000000000', '12bn', '500m', 'USD 1.5 bn'. */
export function parseUsd(text: string, what = 'amount'): number {
  const m = /^\s*(?:USD\s*)?(-?)\s*([0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*$/i.exec(text);
  const scale = m ? (m[3] === '' ? 1 : SCALE[(m[3] as string).toLowerCase()]) : undefined;
  if (!m || scale === undefined) {
    throw new InputError(`${what}: '${text}' is not an amount of USD (write 12e9, 12000000000, 12bn or 500m)`);
  }
  const value = Number(m[2]) * scale;
  if (m[1] === '-' && value !== 0) throw new InputError(`${what}: '${text}' is negative: give an amount of 0 or more`);
  if (!Number.isFinite(value)) throw new InputError(`${what}: '${text}' is too large to be an amount of USD`);
  return value;
}

/** `KEY=USD` pairs into a record (repeatable option); a key given twice is refused, as solve's --floor does. */
function limitOption(flag: string) {
  const given = new Map<string, string>();
  return (value: string, previous: Record<string, number> = {}) => {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new InputError(`${flag} ${value}: expected KEY=USD, e.g. ${flag} USA=2bn`);
    const key = value.slice(0, eq).trim();
    const amount = parseUsd(value.slice(eq + 1), `${flag} ${value}`);
    // The second would silently replace the first.
    const first = given.get(key);
    if (first !== undefined && key in previous)
      throw new InputError(`${flag} ${value}: ${key} has a limit already (${flag} ${first}): give one`);
    given.set(key, value);
    return { ...previous, [key]: amount };
  };
}

function choice<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!allowed.includes(value as T)) throw new InputError(`${flag}: '${value}' is not one of ${allowed.join(', ')}`);
    return value as T;
  };
}

interface Setup {
  readonly catalog: Catalog;
  readonly scenario: Scenario;
  readonly against: Scenario;
  readonly userIds: Set<string>;
  readonly ensemble?: AppraisalEnsemble;
}

/** The ensemble `--draws`, `--seed` and `--central-parameters` ask for, if any. */
function ensembleOf(opts: ProjectsOptions): AppraisalEnsemble | undefined {
  if (opts.draws === undefined) {
    if (opts.centralParameters) throw new InputError('--central-parameters: only with --draws');
    // Without draws nothing is drawn: a seed would be taken and change nothing.
    if (opts.seed !== undefined) throw new InputError('--seed: only with --draws (the central path draws nothing)');
    return undefined;
  }
  const draws = countOption(
    '--draws',
    opts.draws,
    (x) => x >= 1 && x <= MAX_PROJECT_DRAWS,
    `a whole number of draws from 1 to ${MAX_PROJECT_DRAWS.toLocaleString('en-US')} (the draws' paths are held in memory)`,
  );
  const seed = countOption('--seed', opts.seed ?? DEFAULT_SEED, (x) => x >= 0, SEED_EXPECTED);
  return { draws, seed, ...(opts.centralParameters ? { centralParameters: true } : {}) };
}

/** The seed of the draws when --draws comes without --seed. */
const DEFAULT_SEED = '1';

/** The most draws a valuation takes: each draw's prepared data and price paths stay in memory while projects are valued. */
const MAX_PROJECT_DRAWS = 10_000;

/** The checked data with the user's projects (--projects) added, and their ids. */
function withUserProjects(opts: ProjectsOptions): { catalog: Catalog; userIds: Set<string> } {
  const catalog = loadCheckedDataset(opts);
  if (!opts.projects) return { catalog, userIds: new Set() };
  const rows = readProjectsFile(opts.projects, catalog);
  return { catalog: withProjectRows(catalog, rows), userIds: new Set(rows.map((r) => r.id)) };
}

/** Data (with the user's projects), the scenario and the run it is compared against (over the same horizon). */
function setup(ref: string | undefined, opts: ProjectsOptions, projectArgument = false): Setup {
  // A report folder that cannot be written is refused before the valuation, not after it has been printed.
  if (opts.out) checkFolderPath(opts.out, 'the report');
  const scenario = readScenario(ref ?? DEFAULT_PROJECT_SCENARIO);
  const againstFile = readScenario(opts.against ?? 'baseline');
  // Over the scenario's years, named or not, as simulate runs its twin: a path that ended sooner held its last
  // prices flat through the years it did not run, and one running longer valued the projects on other prices.
  const own = againstFile.horizon;
  const { start, end } = scenario.horizon;
  if (opts.against !== undefined && (own.start !== start || own.end !== end))
    process.stderr.write(
      `lodestone: note: ${opts.against} runs over the years of ${scenario.name}, ${start}–${end} (its own: ${own.start}–${own.end})\n`,
    );
  const against = { ...againstFile, horizon: scenario.horizon };
  const { catalog, userIds } = withUserProjects(opts);
  if (opts.project) {
    const known = new Set(catalog.dataset.tables.projects.map((p) => p.id));
    for (const id of opts.project) {
      if (!known.has(id)) {
        throw new InputError(
          `${projectArgument ? '' : '--project '}${id}: unknown project${suggestProjects(id, known)} (see 'lodestone projects list' for the register)`,
        );
      }
    }
  }
  const ensemble = ensembleOf(opts);
  return { catalog, scenario, against, userIds, ...(ensemble ? { ensemble } : {}) };
}

/**
 * " (did you mean 'X'?)" for a misspelt or miscased id, else the ids that contain what was typed (a name, a
 * company, a prefix such as PRJ_VULCAN), at most five; '' when nothing is near.
 */
export function suggestProjects(id: string, known: ReadonlySet<string>): string {
  const near = didYouMean(id, known);
  if (near) return near;
  const word = id.toLowerCase().replace(/^prj_/, '');
  if (word.length < 3) return '';
  const containing = [...known].filter((k) => k.toLowerCase().includes(word)).sort();
  if (containing.length === 0) return '';
  const shown = containing.slice(0, 5).map((k) => `'${k}'`);
  return ` (did you mean ${shown.length === 1 ? shown[0] : `one of ${shown.join(', ')}${containing.length > 5 ? ', …' : ''}`}?)`;
}

/** Why a project of the data is not in the register (projectPipeline leaves it out without a word). */
function outsideRegister(catalog: Catalog, id: string): string {
  const row = catalog.dataset.tables.projects.find((r) => r.id === id);
  if (row?.status === 'operating') {
    return "it is operating: its output is in the base year's producers (producers.csv), not a project to back";
  }
  if (row?.status === 'cancelled') return 'it is cancelled';
  if (row?.status === 'ramping' && row.start_year !== undefined && row.start_year <= BASE_YEAR) {
    return `it has been ramping up since ${row.start_year}: its output is in the base year's (${BASE_YEAR}) producers, not a project to back`;
  }
  return 'not in the register';
}

function appraise(s: Setup, opts: ProjectsOptions): ProjectAppraisals {
  const tty = process.stderr.isTTY;
  const started = performance.now();
  const result = appraiseProjects({
    scenario: s.scenario,
    against: s.against,
    catalog: s.catalog,
    userIds: s.userIds,
    ...(opts.project ? { only: opts.project } : {}),
    ...(s.ensemble ? { ensemble: s.ensemble } : {}),
    cashFlows: opts.cashFlows === true,
    onProgress: ({ done, total, id }) => {
      if (tty) process.stderr.write(`\rappraising ${id} (${done}/${total})                    `);
    },
  });
  if (tty) {
    process.stderr.write(
      `\rappraised ${result.projects.length} projects in ${((performance.now() - started) / 1000).toFixed(1)} s                    \n`,
    );
  }
  return result;
}

const usdM = (x: number) => formatNumber(x / 1e6);
const pct = (x: number | null) => (x === null ? '-' : percent(x));

const SORTS: Record<string, (a: ProjectAppraisal, b: ProjectAppraisal) => number> = {
  'npv-zone': (a, b) => b.npvZone - a.npvZone,
  'npv-baseline': (a, b) => b.npvBaseline - a.npvBaseline,
  support: (a, b) => a.supportCost - b.supportCost,
  security: (a, b) => b.security.consumptionLostAvoided - a.security.consumptionLostAvoided,
};

/** The rank as JSON objects: the appraisal, flat where a reader expects it. */
export function rankJson(a: ProjectAppraisals): unknown[] {
  return a.projects.map((p) => ({
    ...p,
    selfSufficiencyGain: p.security.selfSufficiency?.gain ?? null,
    consumptionLostAvoided: p.security.consumptionLostAvoided,
  }));
}

/** The rank as CSV: one row per project, the flat fields (money in USD, prices in each row's price unit). */
export function rankCsv(a: ProjectAppraisals): string {
  const columns: [string, (p: ProjectAppraisal) => string | number | null][] = [
    ['id', (p) => p.id],
    ['name', (p) => p.name],
    ['commodity', (p) => p.commodity],
    ['country', (p) => p.country],
    ['member', (p) => String(p.member)],
    ['status', (p) => p.status],
    ['decision_year', (p) => p.decisionYear],
    ['online_year', (p) => p.onlineYear],
    ['capacity', (p) => p.capacity],
    ['unit', (p) => p.unit],
    ['capex_usd', (p) => p.capex],
    ['cash_cost', (p) => p.cashCost],
    ['price_unit', (p) => p.priceUnit],
    ['npv_baseline_usd', (p) => p.npvBaseline],
    ['npv_zone_usd', (p) => p.npvZone],
    ['npv_zone_market_usd', (p) => p.npvZoneMarket],
    ['irr_baseline', (p) => p.irrBaseline],
    ['irr_zone', (p) => p.irrZone],
    // Why an IRR is empty: none (and why) or several.
    ['irr_baseline_note', (p) => p.irrBaselineNote],
    ['irr_zone_note', (p) => p.irrZoneNote],
    ['incentive_price', (p) => p.incentivePrice],
    ['incentive_price_zone', (p) => p.incentivePriceZone],
    ['incentive_price_annuity', (p) => p.incentivePriceAnnuity],
    ['cfd_payments_usd', (p) => p.cfdPayments],
    ['floor_transfer_usd', (p) => p.floorTransfer],
    ['support_cost_usd', (p) => p.supportCost],
    ['bankable_without_support', (p) => String(p.bankableWithoutSupport)],
    ['capital_cost_usd', (p) => p.capitalCost],
    ['paths', (p) => p.paths],
    ['probability_of_loss_zone', (p) => p.probabilityOfLossZone],
    ['consumption_lost_avoided_usd', (p) => p.security.consumptionLostAvoided],
    ['consumption_lost_avoided_in_shocks_usd', (p) => p.security.consumptionLostAvoidedInShocks],
    ['self_sufficiency_gain', (p) => p.security.selfSufficiency?.gain ?? null],
    ['supply_value_added_usd', (p) => p.supplyValueAdded],
  ];
  const lines = [columns.map(([h]) => h).join(',')];
  for (const p of a.projects) lines.push(columns.map(([, f]) => csvField(f(p))).join(','));
  return `${lines.join('\n')}\n`;
}

/** How the projects were valued: the central path, or the ensemble's draws and what failed. */
function pathsLine(a: ProjectAppraisals, lossColumn = false): string {
  const e = a.ensemble;
  if (!e) return 'Valued on the central path (no drawn shocks or data; --draws N for expected values over an ensemble)';
  const failed = new Set(e.failures.map((f) => `${f.chain}|${f.draw}`)).size;
  return (
    `Expected values over ${e.draws} Monte Carlo draws (seed ${e.seed}, data ${e.parameters})` +
    (lossColumn ? '; loss: share of draws with a negative NPV under the zone' : '') +
    (failed > 0 ? `; ${failed} draw(s) of a chain failed to solve and were left out of its projects` : '')
  );
}

export function rankText(a: ProjectAppraisals): string {
  const lines = [
    `Projects under ${a.scenario.name} (${a.scenario.title}) against ${a.against.name}, ${a.horizon.start}–${a.horizon.end}`,
    `Decisions in ${a.analysisYear} unless under construction; real cost of capital ${(a.costOfCapital * 100).toFixed(1)}%; USD million at each project's decision year`,
    pathsLine(a, true),
    '',
    renderTable(a.projects, [
      { header: 'project', value: (p) => p.id },
      { header: 'commodity', value: (p) => p.commodity },
      { header: 'host', value: (p) => `${p.country}${p.member ? '*' : ''}` },
      { header: 'status', value: (p) => p.status },
      { header: 'online', value: (p) => String(p.onlineYear), align: 'right' },
      { header: 'NPV base', value: (p) => usdM(p.npvBaseline), align: 'right' },
      { header: 'NPV zone', value: (p) => usdM(p.npvZone), align: 'right' },
      { header: 'IRR base', value: (p) => pct(p.irrBaseline), align: 'right' },
      { header: 'IRR zone', value: (p) => pct(p.irrZone), align: 'right' },
      { header: 'incentive price', value: (p) => formatPrice(p.incentivePrice), align: 'right' },
      { header: 'price unit', value: (p) => p.priceUnit },
      ...(a.ensemble
        ? [{ header: 'loss', value: (p: ProjectAppraisal) => pct(p.probabilityOfLossZone), align: 'right' as const }]
        : []),
      { header: 'CfD', value: (p) => usdM(p.cfdPayments), align: 'right' },
      { header: 'support', value: (p) => (p.bankableWithoutSupport ? 'none' : usdM(p.supportCost)), align: 'right' },
      { header: 'lost avoided', value: (p) => usdM(p.security.consumptionLostAvoided), align: 'right' },
      {
        header: 'self-suff.',
        value: (p) => {
          const g = p.security.selfSufficiency?.gain;
          if (g === null || g === undefined) return '-';
          // Signed as shown: a change that rounds to nothing is no gain or loss ('-0.0 pt' read as a loss).
          const shown = (g * 100).toFixed(1);
          return Number(shown) === 0 ? '0.0 pt' : `${g > 0 ? '+' : ''}${shown} pt`;
        },
        align: 'right',
      },
    ]),
    '',
    '* host is a zone member. NPV base: on the baseline price path; NPV zone: on the zone path with its CfDs. IRR "-": none or',
    'several (see --json). support: CfD payments plus any viability gap; none when bankable at zone prices without support.',
    'lost avoided: fall in the bloc’s lost consumption on the chain, summed over the years, at base-year prices.',
    'self-suff.: change in the bloc’s self-sufficiency in the commodity in the last year.',
  ];
  if (a.notValued.length > 0) {
    lines.push('', `Not valued (${a.notValued.length}):`, ...a.notValued.map((n) => `  - ${n.id}: ${n.reason}`));
  }
  if (a.notes.length > 0) lines.push('', 'Notes:', ...a.notes.map((n) => `  - ${n}`));
  return lines.join('\n');
}

function cashFlowText(p: ProjectAppraisal): string {
  const flows = p.cashFlows;
  if (!flows) return '';
  const base = new Map(flows.baseline.map((f) => [f.year, f]));
  // Before it comes online a project sells nothing and looks up no price (its flows say 0): none to show.
  const price = (f: { year: number; price: number } | undefined) =>
    f === undefined || f.year < p.onlineYear ? '-' : formatPrice(f.price);
  return [
    `${p.id} — ${p.name} (${p.commodity}, ${p.country}), capex USD ${usdM(p.capex)} m, cash cost ${formatPrice(p.cashCost)} ${p.priceUnit}`,
    `decision ${p.decisionYear}, online ${p.onlineYear}, life ${p.life} years; NPV base ${usdM(p.npvBaseline)}, zone ${usdM(p.npvZone)} (USD million); IRR base ${p.irrBaselineNote}, zone ${p.irrZoneNote}`,
    `incentive price ${formatPrice(p.incentivePrice)} ${p.priceUnit} with inputs at baseline prices, ${formatPrice(p.incentivePriceZone)} at the zone's; support ${p.bankableWithoutSupport ? 'none (bankable at zone prices)' : `USD ${usdM(p.supportCost)} m`}, CfD payments USD ${usdM(p.cfdPayments)} m`,
    '',
    'USD million, zone path (baseline price and net in the last columns)',
    renderTable(flows.zone, [
      { header: 'year', value: (f) => String(f.year) },
      { header: 'output', value: (f) => formatNumber(f.output), align: 'right' },
      { header: 'price', value: (f) => price(f), align: 'right' },
      { header: 'revenue', value: (f) => usdM(f.revenue), align: 'right' },
      { header: 'CfD', value: (f) => usdM(f.cfd), align: 'right' },
      { header: 'cash cost', value: (f) => usdM(f.operatingCost), align: 'right' },
      { header: 'inputs', value: (f) => usdM(f.inputCost), align: 'right' },
      { header: 'capex', value: (f) => usdM(f.capex), align: 'right' },
      { header: 'net', value: (f) => usdM(f.net), align: 'right' },
      { header: 'base price', value: (f) => price(base.get(f.year)), align: 'right' },
      { header: 'base net', value: (f) => usdM(base.get(f.year)?.net ?? 0), align: 'right' },
    ]),
  ].join('\n');
}

export function portfolioText(
  plan: PortfolioPlan,
  a: ProjectAppraisals,
  joint?: ReturnType<typeof jointSecurity>,
): string {
  const names = new Map(a.projects.map((p) => [p.id, p]));
  const lines = [
    `Portfolio under ${a.scenario.name} against ${a.against.name}: budget USD ${usdM(plan.budget)} m (${plan.basisDefinition})`,
    `Security: ${plan.securityDefinition}`,
    pathsLine(a),
    '',
    plan.selected.length > 0
      ? `Back ${plan.selected.length} project${plan.selected.length === 1 ? '' : 's'} for USD ${usdM(plan.totalCost)} m, securing USD ${usdM(plan.objective)} m` +
        `${plan.objective > 0 && plan.totalCost > 0 ? ` (${(plan.objective / plan.totalCost).toFixed(2)} per dollar)` : ''}; USD ${usdM(plan.unspent)} m unspent.`
      : `Back no project under this budget; USD ${usdM(plan.unspent)} m unspent.`,
  ];
  if (joint) {
    lines.push(
      `Built together (one simulation per chain): USD ${usdM(measureOf(joint, plan.security))} m against the sum of parts USD ${usdM(measureOf(joint.sumOfParts, plan.security))} m.`,
    );
  }
  const limits = [
    ...Object.entries(plan.limits.members).map(([k, v]) => `${k} ≤ USD ${usdM(v)} m`),
    ...Object.entries(plan.limits.minerals).map(([k, v]) => `${k} ≤ USD ${usdM(v)} m`),
  ];
  if (limits.length > 0) lines.push(`Limits: ${limits.join(', ')}`);
  lines.push(
    '',
    renderTable(
      [...plan.decisions].sort(
        (x, y) => Number(y.selected) - Number(x.selected) || (y.securityPerDollar ?? -1) - (x.securityPerDollar ?? -1),
      ),
      [
        { header: 'project', value: (d) => d.id },
        { header: 'in', value: (d) => (d.selected ? 'yes' : '') },
        { header: 'host', value: (d) => names.get(d.id)?.country ?? d.region },
        { header: 'mineral', value: (d) => d.chain },
        { header: 'cost', value: (d) => usdM(d.cost), align: 'right' },
        { header: 'security', value: (d) => usdM(d.security), align: 'right' },
        {
          header: 'per $',
          value: (d) => (d.securityPerDollar === null ? '-' : d.securityPerDollar.toFixed(2)),
          align: 'right',
        },
        { header: 'why', value: (d) => `${d.reason}: ${d.detail}` },
      ],
    ),
    '',
    'Efficient frontier (USD million)',
    renderTable(plan.frontier, [
      { header: 'budget', value: (f) => usdM(f.budget), align: 'right' },
      { header: 'spent', value: (f) => usdM(f.totalCost), align: 'right' },
      { header: 'security', value: (f) => usdM(f.objective), align: 'right' },
      { header: 'projects', value: (f) => f.selected.join(', ') || '-' },
    ]),
  );
  return lines.join('\n');
}

function measureOf(
  x: { consumptionLostAvoided: number; consumptionLostAvoidedInShocks: number; supplyValueAdded: number },
  m: SecurityMeasure,
): number {
  return m === 'lost'
    ? x.consumptionLostAvoided
    : m === 'lost-shocks'
      ? x.consumptionLostAvoidedInShocks
      : x.supplyValueAdded;
}

export function downstreamText(costs: readonly DownstreamCost[], scenario: string, against: string): string {
  const lines = [`Material cost per unit of downstream goods in the bloc: ${scenario} against ${against}, USD`, ''];
  lines.push(
    renderTable(costs, [
      { header: 'good', value: (c) => c.good },
      { header: 'per', value: (c) => c.per },
      { header: 'mean change', value: (c) => formatNumber(c.meanChange, 2), align: 'right' },
      {
        header: 'peak change (year)',
        value: (c) => (c.peak ? `${formatNumber(c.peak.change, 2)} (${c.peak.year})` : '-'),
        align: 'right',
      },
      {
        header: 'peak %',
        value: (c) => (c.peak?.relative == null ? '-' : `${(c.peak.relative * 100).toFixed(1)}%`),
        align: 'right',
      },
      {
        header: 'cost at peak, against',
        value: (c) => (c.peak ? formatNumber(c.peak.against, 2) : '-'),
        align: 'right',
      },
      {
        header: 'largest contributor',
        value: (c) => {
          const top = [...c.materials].sort((x, y) => Math.abs(y.meanChange) - Math.abs(x.meanChange))[0];
          return top ? `${top.commodity} (${formatNumber(top.meanChange, 2)})` : '-';
        },
      },
    ]),
  );
  const missing = costs.filter((c) => c.missing.length > 0);
  if (missing.length > 0) {
    lines.push('', ...missing.map((c) => `${c.good}: left out ${c.missing.join(', ')} (no bloc price in some year)`));
  }
  return lines.join('\n');
}

function runBoth(s: Setup): Comparison {
  const tty = process.stderr.isTTY;
  const progress = ({
    scenario,
    year,
    done,
    total,
  }: {
    scenario: string;
    year: number;
    done: number;
    total: number;
  }) => {
    if (tty) process.stderr.write(`\rsimulating ${scenario}: ${year} (${done}/${total})   `);
  };
  const comparison = {
    scenario: simulate(s.scenario, s.catalog, { onProgress: progress }),
    against: simulate(s.against, s.catalog, { onProgress: progress }),
  };
  if (tty) process.stderr.write('\r                                                  \r');
  return comparison;
}

/** Writes the report; says which files only beside the readable table, so that --json and --csv stay parseable. */
function writeOut(
  dir: string,
  s: Setup,
  sections: Parameters<typeof projectReportSections>[0],
  announce: boolean,
): void {
  const comparison = runBoth(s);
  const goods = downstreamGoods(s.catalog);
  const downstream = downstreamCosts(goods, comparison.scenario, comparison.against);
  const written = writeReport(path.resolve(dir), comparison, {
    sections: projectReportSections({ ...sections, downstream }),
  }).files;
  // The projects' own numbers beside the report, as `projects rank --json` and `--csv` give them (results.json
  // holds the two simulations), each file written whole or not at all.
  const a = sections.appraisals;
  const own: [string, string][] = [
    [
      'projects.json',
      `${JSON.stringify(
        {
          scenario: a.scenario,
          against: a.against,
          analysisYear: a.analysisYear,
          projects: rankJson(a),
          notValued: a.notValued,
          ...(sections.plan ? { portfolio: sections.plan } : {}),
          downstream,
        },
        null,
        2,
      )}\n`,
    ],
    ['projects.csv', rankCsv(a)],
  ];
  for (const [name, text] of own) {
    const file = path.join(path.resolve(dir), name);
    const staging = `${file}.tmp-${process.pid}`;
    writeFileSync(staging, text);
    renameSync(staging, file);
    written.push(file);
  }
  if (announce) {
    process.stdout.write(`\nWrote ${written.map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
  }
}

const scenarioArgument = (cmd: Command) =>
  cmd.argument('[scenario]', `the zone scenario (a file or built-in name; default ${DEFAULT_PROJECT_SCENARIO})`);

/** The options of rank, show and portfolio; `project`: --project too (show's argument names its one project). */
const common = (cmd: Command, { project = true }: { project?: boolean } = {}) => {
  cmd
    .option('--against <scenario>', 'the baseline price path, run over the scenario’s years (default: baseline)')
    .option('--projects <file>', 'your own projects: CSV with the columns of data/projects.csv, or YAML');
  if (project) cmd.option('--project <id>', 'appraise only this project (repeatable)', collect);
  return withDataOption(
    cmd
      .option(
        '--draws <n>',
        'value every project over this many Monte Carlo draws (data from their ranges, export controls and outages from the scenario’s risks; default: the central path alone)',
      )
      .option(
        '--seed <s>',
        `with --draws: seed of the draws (default ${DEFAULT_SEED}); draw i depends only on (seed, i)`,
      )
      .option('--central-parameters', 'with --draws: keep the data central, draw the shocks only'),
  );
};

export function registerProjectsCommands(program: Command): void {
  const projects = program
    .command('projects')
    .description('project finance: which projects the zone makes bankable, and which portfolio to back');

  withDataOption(
    projects
      .command('list')
      .description('the project register: capacities, costs, lead times and lives, with where each number comes from')
      .option('--projects <file>', 'add your own projects (CSV or YAML)')
      .option('--json', 'print JSON'),
  ).action((opts: ProjectsOptions) => {
    const { catalog, userIds } = withUserProjects(opts);
    const params = new ModelParameters(catalog);
    const register = projectRegister(catalog, params, BASE_YEAR, DEFAULT_DOMINANT_SUPPLIER, userIds);
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({ projects: register.projects.map(({ spec: _spec, ...p }) => p), skipped: register.skipped }, null, 2)}\n`,
      );
      return;
    }
    const mark = (kind: string) =>
      kind === 'assumption' ? 'A' : kind === 'parameter' ? 'P' : kind === 'user' ? 'U' : '';
    process.stdout.write(
      `${renderTable(register.projects, [
        { header: 'project', value: (p) => p.id },
        { header: 'commodity', value: (p) => p.commodity },
        { header: 'host', value: (p) => p.country },
        { header: 'status', value: (p) => p.status },
        { header: 'start', value: (p) => (p.startYear === undefined ? '-' : String(p.startYear)), align: 'right' },
        {
          header: 'capacity',
          value: (p) => `${formatNumber(p.capacity)}${mark(p.provenance.capacity.kind)}`,
          align: 'right',
        },
        { header: 'unit', value: (p) => p.unit },
        {
          header: 'capex USD m',
          value: (p) => (p.capex === undefined ? '-' : `${usdM(p.capex)}${mark(p.provenance.capex.kind)}`),
          align: 'right',
        },
        {
          header: 'cash cost',
          value: (p) => `${formatPrice(p.cashCost)}${mark(p.provenance.cashCost.kind)}`,
          align: 'right',
        },
        { header: 'lead', value: (p) => `${p.leadTime}${mark(p.provenance.leadTime.kind)}`, align: 'right' },
        { header: 'life', value: (p) => `${p.life}${mark(p.provenance.life.kind)}`, align: 'right' },
      ])}\n\nA: a labelled assumption (assumptions.csv, with its range); P: a model parameter (parameters.csv) used where the project states none; U: your file; otherwise a publication (sources.csv).\n` +
        (register.skipped.length > 0
          ? `\nNot in the register (${register.skipped.length}):\n${register.skipped.map((s) => `  - ${s}`).join('\n')}\n`
          : ''),
    );
  });

  common(
    scenarioArgument(
      projects
        .command('rank')
        .description(
          'NPV, IRR and incentive price of each project on the baseline and zone paths, support cost, security',
        ),
    )
      .option(
        '--sort <key>',
        `order: ${Object.keys(SORTS).join(', ')}`,
        choice('--sort', Object.keys(SORTS)),
        'npv-zone',
      )
      .option('--cash-flows', 'include each project’s year-by-year cash flows in the JSON')
      .option('--out <dir>', 'also write the HTML report (with the project sections) to this folder')
      .option('--csv', 'print CSV, one row per project')
      .option('--json', 'print a JSON array of projects'),
  ).action((ref: string | undefined, opts: ProjectsOptions & { csv?: boolean }) => {
    if (opts.json && opts.csv) throw new InputError('--json and --csv: give one (each prints the projects)');
    // The cash flows are in the JSON alone (printed, or projects.json beside the report): elsewhere they would be lost.
    if (opts.cashFlows && !opts.json && !opts.out)
      throw new InputError('--cash-flows: only with --json or --out (the table and the CSV have no cash flows)');
    const s = setup(ref, opts);
    const a = appraise(s, opts);
    const sorted = { ...a, projects: [...a.projects].sort(SORTS[opts.sort ?? 'npv-zone']) };
    if (opts.json) process.stdout.write(`${JSON.stringify(rankJson(sorted), null, 2)}\n`);
    else if (opts.csv) process.stdout.write(rankCsv(sorted));
    else process.stdout.write(`${rankText(sorted)}\n`);
    if (opts.out) writeOut(opts.out, s, { appraisals: sorted }, !opts.json && !opts.csv);
  });

  common(
    projects
      .command('show')
      .description('one project’s year-by-year cash flows on the zone and baseline paths')
      .argument('<id>', 'project id (see lodestone projects list)')
      .argument('[scenario]', `the zone scenario (default ${DEFAULT_PROJECT_SCENARIO})`)
      .option('--json', 'print JSON'),
    { project: false },
  ).action((id: string, ref: string | undefined, opts: ProjectsOptions) => {
    const s = setup(ref, { ...opts, project: [id] }, true);
    const a = appraise(s, { ...opts, project: [id], cashFlows: true });
    const p = a.projects[0];
    if (!p) {
      const why = a.notValued.find((n) => n.id === id)?.reason ?? outsideRegister(s.catalog, id);
      throw new InputError(`${id}: cannot be valued: ${why}`);
    }
    if (opts.json) process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
    else {
      const loss = a.ensemble ? `; NPV under the zone negative on ${pct(p.probabilityOfLossZone)} of them` : '';
      process.stdout.write(`${cashFlowText(p)}\n\n${pathsLine(a)}${loss}\n`);
    }
  });

  common(
    scenarioArgument(
      projects
        .command('portfolio')
        .description(
          'the projects to back under a budget (MILP in HiGHS), the efficient frontier, and why each is in or out',
        ),
    )
      .requiredOption('--budget <usd>', 'the financing budget: 12e9, 12bn, 500m', (v: string) =>
        parseUsd(v, '--budget'),
      )
      .option(
        '--basis <basis>',
        'what backing costs: support (CfD payments plus viability gap) or capital (capex)',
        choice('--basis', ['support', 'capital'] as const),
        'support',
      )
      .option(
        '--security <measure>',
        'the objective: lost (consumption lost avoided), lost-shocks (in the years of a shock), supply (bloc supply added)',
        choice('--security', ['lost', 'lost-shocks', 'supply'] as const),
        'lost',
      )
      .option(
        '--member-limit <region=usd>',
        'largest spending on projects hosted in a region (repeatable)',
        limitOption('--member-limit'),
      )
      .option(
        '--mineral-limit <mineral=usd>',
        'largest spending on a mineral, e.g. lithium=2bn (repeatable)',
        limitOption('--mineral-limit'),
      )
      .option(
        '--frontier <n>',
        'budgets on the efficient frontier',
        (v: string) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 2 || n > 200)
            throw new InputError(`--frontier: '${v}' must be a whole number from 2 to 200`);
          return n;
        },
        21,
      )
      .option('--out <dir>', 'also write the HTML report (with the project sections) to this folder')
      .option('--json', 'print a JSON object'),
  ).action(async (ref: string | undefined, opts: PortfolioOptions) => {
    const s = setup(ref, opts);
    const minerals = new Set(s.catalog.dataset.tables.commodities.map((c) => c.chain));
    for (const m of Object.keys(opts.mineralLimit ?? {})) {
      if (!minerals.has(m))
        throw new InputError(`--mineral-limit ${m}: unknown mineral (known: ${[...minerals].join(', ')})`);
    }
    for (const r of Object.keys(opts.memberLimit ?? {})) {
      if (!s.catalog.regions.has(r)) throw new InputError(`--member-limit ${r}: unknown region`);
      // Projects are hosted, and limited, by the zone's member: a member state's limit would bind nothing.
      const member = modelRegion(s.catalog, r);
      if (member !== r)
        throw new InputError(
          `--member-limit ${r}: ${r} counts as ${member}, the member whose projects a limit caps: give --member-limit ${member}=…`,
        );
    }
    const a = appraise(s, opts);
    for (const r of Object.keys(opts.memberLimit ?? {})) {
      if (!a.projects.some((p) => p.region === r))
        process.stderr.write(
          `lodestone: note: --member-limit ${r}: no project appraised is hosted there; the limit changes nothing\n`,
        );
    }
    const plan = await planPortfolio(a.projects, {
      budget: opts.budget,
      basis: opts.basis,
      security: opts.security,
      ...(opts.memberLimit ? { regionLimits: opts.memberLimit } : {}),
      ...(opts.mineralLimit ? { mineralLimits: opts.mineralLimit } : {}),
      frontierPoints: opts.frontier,
      // The budget is committed in the analysis year: a project decided later is charged its cost brought to it.
      presentAt: { year: a.analysisYear, costOfCapital: a.costOfCapital },
    });
    const joint = jointSecurity(s, a.projects, plan.selected);
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            scenario: a.scenario,
            against: a.against,
            analysisYear: analysisYear(s.scenario),
            ...plan,
            joint,
            notValued: a.notValued,
            ensemble: a.ensemble,
          },
          null,
          2,
        )}\n`,
      );
    } else process.stdout.write(`${portfolioText(plan, a, joint)}\n`);
    if (opts.out) writeOut(opts.out, s, { appraisals: a, plan }, !opts.json);
  });

  withDataOption(
    scenarioArgument(
      projects
        .command('downstream')
        .description('change in material cost per unit of downstream goods (electric car, MW of wind, kWh of battery)'),
    )
      .option('--against <scenario>', 'the run to compare with, over the scenario’s years (default: baseline)')
      .option('--json', 'print JSON'),
  ).action((ref: string | undefined, opts: ProjectsOptions) => {
    const s = setup(ref, opts);
    const comparison = runBoth(s);
    const costs = downstreamCosts(downstreamGoods(s.catalog), comparison.scenario, comparison.against);
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify({ scenario: s.scenario.name, against: s.against.name, goods: costs }, null, 2)}\n`,
      );
    } else process.stdout.write(`${downstreamText(costs, s.scenario.name, s.against.name)}\n`);
  });
}
