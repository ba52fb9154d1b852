/** `lodestone solve`: one period's equilibrium on the embedded data, with the zone's instruments, and its certificate. */
import type { Command } from 'commander';
import { OPEN_PRICES_MAX_FREE } from '../equilibrium/ranges.ts';
import { type EquilibriumSolution, solveEquilibrium } from '../equilibrium/solve.ts';
import { InputError, readDocumentFile } from '../model/document.ts';
import { type Policy, PolicySchema } from '../model/policy.ts';
import { periodStatistics } from '../model/statistics.ts';
import { buildWorld, checkPolicyCfds, ModelInputError } from '../model/world.ts';
import { formatRange, levyRevenueOpen } from '../report/open-prices.ts';
import { didYouMean } from '../suggest.ts';
import { loadCheckedDataset, withDataOption } from './data.ts';
import { openPricesTable } from './open-prices.ts';
import { formatNumber, formatPercent, formatPrice, renderTable } from './table.ts';

/** Reads a policy file (YAML or JSON); errors name file, line, column and the path inside the document. */
export function readPolicyFile(file: string): Policy {
  return readDocumentFile(file, PolicySchema).value;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface SolveOptions {
  data?: string[];
  year?: number;
  policy?: string;
  members?: string;
  floor?: string[];
  ban?: string[];
  json?: boolean;
}

/**
 * Builds a policy from the quick flags, on top of a policy file if given. With `commodities` (the data's), a
 * flag's unknown commodity is named with the closest known one.
 */
export function policyFromFlags(opts: SolveOptions, commodities?: readonly string[]): Policy {
  const base: Policy = opts.policy ? readPolicyFile(opts.policy) : {};
  const policy: Policy = { ...base };
  if (opts.members !== undefined) {
    const list = opts.members.split(',').map((s) => s.trim());
    if (list.some((m) => m === '')) {
      throw new InputError(
        `--members '${opts.members}': expected region codes separated by commas (e.g. USA,EU27,JPN) or 'default'; ` +
          'leave --members out for no zone',
      );
    }
    const twice = list.find((m, i) => list.indexOf(m) < i);
    if (twice !== undefined) throw new InputError(`--members '${opts.members}': ${twice} is listed twice`);
    policy.members = opts.members === 'default' ? 'default' : list;
  }
  const floored = new Map<string, string>();
  for (const f of opts.floor ?? []) {
    const m = /^([^=]*)=(.*)$/.exec(f);
    if (!m) throw new InputError(`--floor '${f}': expected COMMODITY=PRICE, e.g. ndpr/oxide=110000`);
    const k = (m[1] as string).trim();
    const p = (m[2] as string).trim();
    const known = commodities ?? [];
    if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(k) || (commodities && !known.includes(k))) {
      throw new InputError(
        `--floor '${f}': unknown commodity '${k}'${known.length > 0 ? didYouMean(k, known).replace(/^ \((.*)\)$/, '; $1') : ''}` +
          (commodities ? ` (the commodities: ${known.join(', ')})` : " (a commodity id such as 'ndpr/oxide')"),
      );
    }
    if (/^-\s*\d/.test(p)) throw new InputError(`--floor '${f}': ${p} is negative: a price must be above zero`);
    if (!/^\d+(\.\d+)?([eE][+-]?\d+)?$/.test(p)) {
      throw new InputError(
        `--floor '${f}': '${p}' is not a price: give a number in the commodity's price unit, e.g. ndpr/oxide=110000`,
      );
    }
    if (Number(p) === 0) throw new InputError(`--floor '${f}': ${p} is zero: a price must be above zero`);
    if (!Number.isFinite(Number(p)))
      throw new InputError(
        `--floor '${f}': ${p} is too large to be a price: give a number in the commodity's price unit`,
      );
    if (floored.has(k))
      throw new InputError(`--floor '${f}': ${k} has a floor already (--floor '${floored.get(k)}'): give one`);
    floored.set(k, f);
    policy.floors = { ...policy.floors, [k]: Number(p) };
  }
  for (const b of opts.ban ?? []) {
    const m = /^([A-Z0-9]+):([^:]+):(.+)$/.exec(b);
    if (!m)
      throw new InputError(
        `--ban '${b}': expected ORIGIN:COMMODITY[,COMMODITY]:DESTINATIONS, e.g. CHN:gallium/refined:members`,
      );
    const commodities = m[2] === '*' ? '*' : (m[2] as string).split(',');
    const dest = m[3] === 'members' || m[3] === '*' ? m[3] : (m[3] as string).split(',');
    policy.bans = [...(policy.bans ?? []), { origin: m[1] as string, commodities, destinations: dest }];
  }
  if (policy.floors && policy.members === undefined) policy.members = 'default';
  const checked = PolicySchema.safeParse(policy);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new InputError(`policy ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return checked.data;
}

/**
 * A policy found wrong against the data (an unknown region, the dominant supplier as a member), placed in the policy
 * file where the value came from it (not from a flag that overrode or added to it): file, line and column.
 */
function inPolicyFile(e: ModelInputError, file: string, policy: Policy): Error {
  if (!e.path.startsWith('policy.')) return e;
  const path = [...e.path.slice('policy.'.length).matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : (m[1] as string),
  );
  const { value, locate } = readDocumentFile(file, PolicySchema);
  const at = (root: unknown) =>
    path.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], root);
  const fromFile = at(value);
  if (fromFile === undefined || JSON.stringify(fromFile) !== JSON.stringify(at(policy))) return e;
  return new InputError(`${locate(path)}: ${e.message}`);
}

export function registerSolveCommand(program: Command): void {
  withDataOption(
    program
      .command('solve')
      .description("one period's market equilibrium on the embedded data, with its certificate")
      .option('--year <year>', 'reference year of demand (default: the latest in the data)', (v) => {
        if (!/^\d{4}$/.test(v)) throw new InputError(`--year expects a four-digit year, got '${v}'`);
        return Number(v);
      })
      .option('--policy <file>', 'a policy file (YAML or JSON): members, floors, bans, quotas, CfDs, stockpiles')
      .option('--members <list>', "zone members, comma-separated, or 'default' (USA, EU27, JPN, MEX)")
      .option('--floor <commodity=price>', "a reference price defended at members' borders (repeatable)", collect)
      .option(
        '--ban <origin:commodities:destinations>',
        "an export ban, e.g. CHN:gallium/refined:members (repeatable); 'members' without --members is the default bloc",
        collect,
      )
      .option('--json', 'print JSON'),
  ).action((opts: SolveOptions) => {
    const catalog = loadCheckedDataset(opts);
    const policy = policyFromFlags(opts, [...catalog.commodities.keys()]);
    let world: ReturnType<typeof buildWorld>;
    try {
      world = buildWorld(catalog, { ...(opts.year !== undefined ? { year: opts.year } : {}), policy });
      checkPolicyCfds(catalog, policy, world);
    } catch (e) {
      // The year came from the flag: name it as the user wrote it.
      if (e instanceof ModelInputError && e.path === 'year' && opts.year !== undefined)
        throw new InputError(e.message.replace(/^year:/, '--year:'));
      throw opts.policy && e instanceof ModelInputError ? inPolicyFile(e, opts.policy, policy) : e;
    }
    const started = performance.now();
    // The open prices are found after the solve; their analysis is timed apart from it.
    const timings: Record<string, number> = {};
    const solution = solveEquilibrium(world.problem, { priceRanges: true, timings });
    const rangesMs = timings.ranges ?? 0;
    const elapsedMs = performance.now() - started - rangesMs;
    const stats = periodStatistics(world, solution);
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            year: world.year,
            policy,
            members: world.members,
            statistics: stats,
            prices: solution.prices,
            consumption: solution.consumption,
            outputs: solution.outputs,
            flows: solution.flows,
            rents: solution.rents,
            stocks: solution.stocks,
            rationed: solution.rationed,
            certificate: { ...solution.certificate, elapsedMs, openPricesMs: rangesMs },
          },
          null,
          2,
        )}\n`,
      );
      return;
    }
    const zone = world.members.length > 0;
    const unitsOf = (k: string) => {
      const row = catalog.commodities.get(k)?.row;
      return { quantity: row?.unit ?? '', price: row?.price_unit ?? '' };
    };
    const priceMap = new Map(solution.prices.map((p) => [`${p.commodity}|${p.region}`, p.price]));
    const priceOf = (k: string, r: string) => priceMap.get(`${k}|${r}`) ?? Number.NaN;
    const lines: string[] = [];
    lines.push(
      `Equilibrium ${world.year}: ${zone ? `zone of ${world.members.join(', ')}` : `no zone (bloc statistics for ${world.bloc.join(', ')})`}` +
        `${policy.floors ? `; floors on ${Object.keys(policy.floors).join(', ')}` : ''}` +
        `${policy.bans ? `; ${policy.bans.length} export ban(s)` : ''}`,
      '',
    );
    lines.push(
      renderTable(stats.commodities, [
        { header: 'commodity', value: (r) => r.commodity },
        { header: zone ? 'price in zone' : 'price in bloc', value: (r) => formatPrice(r.priceInside), align: 'right' },
        { header: 'price outside', value: (r) => formatPrice(r.priceOutside), align: 'right' },
        ...KEY_REGIONS.map((region) => ({
          header: region,
          value: (r: { commodity: string }) => formatPrice(priceOf(r.commodity, region)),
          align: 'right' as const,
        })),
        { header: 'price unit', value: (r) => unitsOf(r.commodity).price },
        { header: 'production', value: (r) => formatNumber(r.production), align: 'right' },
        { header: 'unit/year', value: (r) => unitsOf(r.commodity).quantity },
        {
          header: 'bloc self-suff.',
          value: (r) => (Number.isFinite(r.selfSufficiency) ? formatPercent(r.selfSufficiency) : '-'),
          align: 'right',
        },
        {
          header: `from ${stats.dominantSupplier}`,
          value: (r) => (Number.isFinite(r.dominantShare) ? formatPercent(r.dominantShare) : '-'),
          align: 'right',
        },
        { header: 'levy revenue USD', value: (r) => formatNumber(r.levyRevenue), align: 'right' },
      ]),
    );
    type Flow = (typeof solution.flows)[number];
    const flowTable = (flows: readonly Flow[]) =>
      renderTable(flows, [
        { header: 'commodity', value: (r) => r.commodity },
        { header: 'from', value: (r) => r.from },
        { header: 'to', value: (r) => r.to },
        { header: 'quantity', value: (r) => formatNumber(r.quantity), align: 'right' },
        { header: 'unit/year', value: (r) => unitsOf(r.commodity).quantity },
        { header: 'landed price', value: (r) => formatPrice(r.landed), align: 'right' },
        { header: 'levy/unit', value: (r) => (r.levy > 0 ? formatPrice(r.levy) : '-'), align: 'right' },
        { header: 'price unit', value: (r) => unitsOf(r.commodity).price },
      ]);
    const byValue = (f: (x: Flow) => number) =>
      [...solution.flows]
        .filter((x) => f(x) > 0)
        .sort((a, b) => f(b) - f(a))
        .slice(0, 12);
    lines.push('', 'Main flows (by landed value):', '', flowTable(byValue((x) => x.quantity * x.landed)));
    // The largest flows are seldom the levied ones (copper and nickel outweigh the floors' commodities).
    const levied = byValue((x) => x.quantity * x.levy);
    if (levied.length > 0) lines.push('', 'Flows paying the levy (by levy revenue):', '', flowTable(levied));
    if (solution.rationed.length > 0) {
      // Demand no supply can reach at any price below its choke: served by nobody, priced at the choke.
      const unit = (k: string) => unitsOf(k).quantity;
      lines.push('', 'Rationed (demand unserved at its choke price):', '');
      lines.push(
        renderTable(
          [...solution.rationed].sort((a, b) =>
            a.commodity === b.commodity ? b.quantity - a.quantity : a.commodity < b.commodity ? -1 : 1,
          ),
          [
            { header: 'commodity', value: (r) => r.commodity },
            { header: 'region', value: (r) => r.region },
            { header: 'unserved', value: (r) => formatNumber(r.quantity), align: 'right' },
            { header: 'unit', value: (r) => unit(r.commodity) },
          ],
        ),
      );
    }
    const c = solution.certificate;
    const open = c.openPrices ?? [];
    if (open.length > 0) {
      lines.push(
        '',
        'Open prices: every price in the range satisfies all conditions, and the model does not pick one:',
        '',
      );
      lines.push(openPricesTable(open));
    }
    if (c.openPricesUnanalysed) {
      lines.push(
        '',
        `Open prices not sought in ${c.openPricesUnanalysed.join(', ')}: too many free variables (over ${OPEN_PRICES_MAX_FREE}).`,
      );
    }
    lines.push(
      '',
      `Levy revenue: USD ${formatNumber(stats.levyRevenue)}${levyOpen(c)}; CfD cost: USD ${formatNumber(stats.cfdCost)}` +
        (stats.exportTaxRevenue > 0
          ? `; export taxes paid to the exporters' treasuries: USD ${formatNumber(stats.exportTaxRevenue)}`
          : ''),
      `Certificate: max residual ${c.maxResidual.toExponential(2)} (clearing ${c.residuals.clearing.toExponential(1)}, ` +
        `producers ${c.residuals.producers.toExponential(1)}, trade ${c.residuals.trade.toExponential(1)}, ` +
        `quotas ${c.residuals.quotas.toExponential(1)}, origin ${c.residuals.origin.toExponential(1)}, ` +
        `stocks ${c.residuals.stocks.toExponential(1)}), ` +
        `${c.iterations} Newton iterations over ${c.chains.length} chains, ${elapsedMs.toFixed(0)} ms`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

/** Regions shown price by price: the default members and the main outsiders. */
const KEY_REGIONS = ['USA', 'EU27', 'JPN', 'MEX', 'CHN', 'ROW'];

/** The levy revenue's range along the open prices, where it has one. */
function levyOpen(c: EquilibriumSolution['certificate']): string {
  const r = c.levyRevenueRange;
  if (!r || !levyRevenueOpen(r)) return '';
  return ` (open: USD ${formatRange(r.low, r.high, (x) => formatNumber(x))} along the open prices)`;
}
