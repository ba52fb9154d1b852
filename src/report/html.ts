/**
 * The HTML report: one self-contained file that works offline. Apache ECharts' minified bundle, the page's script,
 * its CSS and the chart data are all inlined; nothing is fetched. Tables are written here as HTML (they print and
 * read without script); charts are ECharts options (charts.ts) that the page script draws.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Comparison, YearResult } from '../simulate/result.ts';
import {
  type ChartSpec,
  commodityFiscalChart,
  consumerCostChart,
  costCurveChart,
  costCurveFor,
  priceChart,
  stockChart,
  supplyChart,
  totalFiscalChart,
  welfareChart,
} from './charts.ts';
import {
  counted,
  escapeHtml as esc,
  formatChange,
  formatNumber,
  formatScaled,
  formatShare,
  formatUsd,
  signedUsd,
  usdScale,
  yearSpan,
} from './format.ts';
import { openPricesSection } from './open-prices.ts';
import { assertFinite } from './validate.ts';
import {
  type AtYear,
  type CommoditySummary,
  commoditySummary,
  type Headlines,
  headlines,
  type ReportView,
  ROLES,
  type Role,
  reportView,
  runName,
  type WelfareChange,
  type WelfareRowChange,
  type WelfareStatus,
  welfareStatus,
} from './view.ts';

export interface ReportOptions {
  /** Commodities to chart first (default: those with a reference price or whose bloc price moves > 5%). */
  readonly focus?: readonly string[];
  /** Shown as the time the report was made; without it the report carries no date (deterministic output). */
  readonly generatedAt?: string;
  /** Further sections (project finance, ...), placed after the year-by-year tables, each with its own charts. */
  readonly sections?: readonly ReportSection[];
}

/** A section another part of Lodestone adds to the report: its HTML (a <section data-extra>) and chart specs. */
export interface ReportSection {
  readonly id: string;
  readonly title: string;
  readonly html: string;
  readonly charts: Readonly<Record<string, ChartSpec>>;
}

const require = createRequire(import.meta.url);

let library: { code: string; version: string } | undefined;

/** Apache ECharts' minified browser bundle (line, bar and the components the report uses), from node_modules. */
export function echartsBundle(): { code: string; version: string } {
  if (!library) {
    const file = require.resolve('echarts/dist/echarts.common.min');
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(file), '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    library = { code: readFileSync(file, 'utf8'), version: pkg.version };
  }
  return library;
}

/** A file shipped beside the report code (stylesheet, client script). */
export function asset(name: string): string {
  return readFileSync(new URL(name, import.meta.url), 'utf8');
}

/** The end of a self-contained report page: its data, the charting library and the client script, inlined. */
export function pageScripts(payload: unknown, echarts: string): string {
  return `<script type="application/json" id="report-data">${jsonScript(payload)}</script>
<script id="echarts-library">
${scriptText(echarts)}
</script>
<script id="report-script">
${scriptText(asset('./client.js'))}</script>
</body>
</html>
`;
}

/** Text safe inside a <script> element: no '</script', no '<!--'. */
export function scriptText(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON safe inside a <script type="application/json"> element. */
export function jsonScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const ROLE_WORD: Record<Role, string> = { scenario: 'scenario', against: 'against' };

function swatch(role: Role): string {
  return `<span class="swatch ${role}" aria-hidden="true"></span>`;
}

/** A chart's key names only what it draws: the other run's (paler) fiscal bars, the reference price's line. */
function seriesOfChart(spec: ChartSpec | undefined): { name?: unknown; stack?: unknown }[] {
  return ([] as { name?: unknown; stack?: unknown }[]).concat((spec?.option.series ?? []) as never);
}
function drawsAgainst(spec: ChartSpec | undefined): boolean {
  return seriesOfChart(spec).some((s) => s.stack === 'against');
}
function drawsReference(spec: ChartSpec | undefined): boolean {
  return seriesOfChart(spec).some((s) => String(s.name ?? '').startsWith('reference price'));
}

function atYear(x: AtYear | null): string {
  return x === null ? '–' : `${formatNumber(x.value)} (${x.year})`;
}

/** A table cell with the scenario's value and the other run's below it. */
function pairCell(scenario: string, against: string): string {
  return `<td class="num">${scenario}<span class="vs">vs ${against}</span></td>`;
}

// ---------------------------------------------------------------------------------------------------------------

function masthead(view: ReportView, h: Headlines, options: ReportOptions): string {
  const s = view.run('scenario');
  const a = view.run('against');
  const runs = ROLES.map((role) => {
    const r = view.run(role).scenario;
    return `<li><span class="role">${swatch(role)}${ROLE_WORD[role]}</span> <code>${esc(r.name)}</code> — <b>${esc(r.title)}</b>${
      r.description ? `<span class="muted"> · ${esc(r.description)}</span>` : ''
    }</li>`;
  }).join('');
  const meta: [string, string][] = [
    ['Years', yearSpan(h.firstYear, h.lastYear)],
    ['Zone members', s.members.length > 0 ? s.members.join(', ') : 'none'],
    ['Dominant supplier', s.dominantSupplier],
    ['Commodities', String(view.commodities.length)],
  ];
  if (a.members.join() !== s.members.join()) meta.splice(2, 0, ['Members (against)', a.members.join(', ') || 'none']);
  if (options.generatedAt) meta.push(['Generated', options.generatedAt]);
  return `<header class="masthead">
<p class="kicker">Lodestone · simulation report</p>
<h1>${esc(s.scenario.title || s.scenario.name)} <span class="joiner">against</span> ${esc(a.scenario.title || a.scenario.name)}</h1>
<ul class="runs">${runs}</ul>
<dl class="meta">${meta.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
</header>`;
}

function nav(sections: readonly ReportSection[] = [], welfare = false): string {
  const links = [
    ['summary', 'Summary'],
    ['commodities', 'Commodities'],
    ['years', 'Year by year'],
    ...(welfare ? [['welfare', 'Who gains and who pays']] : []),
    ...sections.map((s) => [s.id, s.title]),
    ['timeline', 'Events and projects'],
    ['notes', 'Notes'],
    ['about', 'About the numbers'],
  ];
  return `<nav class="toc" aria-label="Sections">${links.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</nav>`;
}

function card(title: string, big: string, sub: string, cls = ''): string {
  return `<div class="card"><h3>${esc(title)}</h3><p class="big${cls ? ` ${cls}` : ''}">${big}</p><p class="sub">${sub}</p></div>`;
}

function cards(view: ReportView, h: Headlines): string {
  const [S, A] = [esc(runName(view, 'scenario')), esc(runName(view, 'against'))];
  const vs = (p: { scenario: number; against: number }) =>
    `${S}: ${formatUsd(p.scenario)} · ${A}: ${formatUsd(p.against)}`;
  const dc = h.consumerCost.scenario - h.consumerCost.against;
  const list = [
    card(
      'Bloc consumer spending, change',
      signedUsd(dc),
      `${vs(h.consumerCost)} (${formatChange(h.consumerCost.scenario, h.consumerCost.against)})`,
      dc > 0 ? 'up' : dc < 0 ? 'down' : '',
    ),
    card('Levy revenue', formatUsd(h.levyRevenue.scenario), `vs ${formatUsd(h.levyRevenue.against)} (${A})`),
    card('CfD cost', formatUsd(h.cfdCost.scenario), `vs ${formatUsd(h.cfdCost.against)} (${A})`),
    card(
      'Stockpile net spending',
      formatUsd(h.stockNetCost.scenario),
      `vs ${formatUsd(h.stockNetCost.against)} (${A})`,
    ),
    card(
      'Consumption lost, value',
      formatUsd(h.consumptionLostValue.scenario),
      `vs ${formatUsd(h.consumptionLostValue.against)} (${A}); at base-year reference prices`,
    ),
  ];
  const cover = h.minDaysOfCover;
  list.push(
    card(
      'Lowest days of cover',
      cover.scenario === null ? 'no stockpile' : counted(cover.scenario.value, 'day'),
      `${cover.scenario === null ? '' : `${esc(cover.scenario.commodity)} in ${cover.scenario.year} · `}${A}: ${
        cover.against === null
          ? 'no stockpile'
          : `${counted(cover.against.value, 'day')} (${esc(cover.against.commodity)}, ${cover.against.year})`
      }`,
    ),
  );
  const rise = h.largestPriceRise;
  if (rise) {
    const change = formatChange(rise.peak.scenario.value, rise.peak.against.value);
    // Where no commodity's peak moves, naming one of them would pick a winner at random.
    const none = change === '0%';
    list.push(
      card(
        'Largest peak-price change inside',
        none ? 'no change' : `${esc(change)} <small>${esc(rise.commodity)}</small>`,
        none
          ? `no commodity's peak price inside differs from ${A}'s`
          : `peak ${atYear(rise.peak.scenario)} vs ${atYear(rise.peak.against)}, ${esc(rise.priceUnit)}`,
        !none && rise.peak.scenario.value > rise.peak.against.value ? 'up' : '',
      ),
    );
  }
  return `<div class="cards">${list.join('')}</div>
<p class="note">Sums over ${yearSpan(h.firstYear, h.lastYear)} for the whole bloc and all ${view.commodities.length} commodities, in USD of the model.</p>`;
}

/** A figure with its chart, or with a line saying why there is none. */
function chartFigure(
  charts: ReportPayload['charts'],
  id: string,
  title: string,
  note: string,
  options: { wide?: boolean; empty?: string } = {},
): string {
  const body = charts[id]
    ? `<div class="chart" data-chart="${esc(id)}" role="img" aria-label="${esc(title.replace(/<[^>]*>/g, ''))}"></div>`
    : `<p class="empty">${options.empty ?? 'Nothing to show.'}</p>`;
  return `<figure${options.wide ? ' class="wide"' : ''}><figcaption>${title}${charts[id] && note ? `<small>${note}</small>` : ''}</figcaption>${body}</figure>`;
}

function commodityTable(view: ReportView, summaries: readonly CommoditySummary[]): string {
  const dominant = esc(view.run('scenario').dominantSupplier);
  const last = view.years[view.years.length - 1];
  const rows = summaries.map((c) => {
    const ref = c.referencePrice
      ? `${formatNumber(c.referencePrice.value)}<span class="vs">from ${c.referencePrice.year}${c.referenceRange ? `; ${formatNumber(c.referenceRange.low)}–${formatNumber(c.referenceRange.high)} over the years` : ''}</span>`
      : '–';
    // A run that stockpiles but never imports on net has no days to count: that is not 'no stockpile'.
    const cover = (x: AtYear | null, role: Role) =>
      x
        ? `${formatNumber(x.value, 0)} (${x.year})`
        : !c.hasStocks
          ? '–'
          : c.stockpiled[role]
            ? 'no net imports'
            : 'no stockpile';
    return `<tr${c.focus ? ' class="focus"' : ''}>
<td class="name"><a href="#commodity=${encodeURIComponent(c.commodity)}" data-select="${esc(c.commodity)}">${esc(c.commodity)}</a><span class="vs">${esc(c.unit)}<br>${esc(c.priceUnit)}</span></td>
<td class="num">${ref}</td>
${pairCell(atYear(c.peakInside.scenario), atYear(c.peakInside.against))}
${pairCell(cover(c.minDaysOfCover.scenario, 'scenario'), cover(c.minDaysOfCover.against, 'against'))}
${pairCell(formatNumber(c.consumptionLost.scenario), formatNumber(c.consumptionLost.against))}
${pairCell(formatUsd(c.consumerCost.scenario), formatUsd(c.consumerCost.against))}
${pairCell(formatUsd(c.levyRevenue.scenario), formatUsd(c.levyRevenue.against))}
${pairCell(formatUsd(c.cfdCost.scenario), formatUsd(c.cfdCost.against))}
${pairCell(formatShare(c.dominantShareLast.scenario, 0), formatShare(c.dominantShareLast.against, 0))}
</tr>`;
  });
  return `<div class="table-wrap"><table class="by-commodity">
<caption>Each cell: ${swatch('scenario')}<b>${esc(runName(view, 'scenario'))}</b> above, ${swatch('against')}${esc(runName(view, 'against'))} below (vs). Prices in the commodity's price unit, quantities in its unit, summed over the years where it says so. Marked rows are the focus commodities.</caption>
<thead class="wrap"><tr><th scope="col">Commodity</th><th scope="col" class="num">Reference price</th><th scope="col" class="num">Peak price inside (year)</th><th scope="col" class="num">Lowest days of cover (year)</th><th scope="col" class="num">Consumption lost, sum</th><th scope="col" class="num">Consumer spending, sum</th><th scope="col" class="num">Levy revenue, sum</th><th scope="col" class="num">CfD cost, sum</th><th scope="col" class="num">Share from ${dominant}, ${last}</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

function summarySection(
  view: ReportView,
  h: Headlines,
  summaries: readonly CommoditySummary[],
  charts: ReportPayload['charts'],
): string {
  return `<section id="summary">
<h2>Summary, ${yearSpan(h.firstYear, h.lastYear)}</h2>
${cards(view, h)}
<div class="grid">
${chartFigure(charts, 'summary-fiscal', 'Fiscal flows of the bloc per year', `levy revenue above zero; CfD payments and net stockpile purchases below; USD per year${drawsAgainst(charts['summary-fiscal']) ? '; paler bars: the run compared against' : ''}`, { empty: 'No levy revenue, CfD payments or stockpile spending in either run.' })}
${chartFigure(charts, 'summary-consumer', 'Bloc consumer spending per year', 'all commodities, at equilibrium prices, USD per year')}
</div>
<h3>By commodity</h3>
${commodityTable(view, summaries)}
</section>`;
}

function commodityYearTable(view: ReportView, k: string): string {
  const dominant = view.run('scenario').dominantSupplier;
  const { unit, priceUnit } = view.units(k);
  const groups: { title: string; pick: (r: Role, y: number) => string }[] = [
    { title: `Price inside, ${priceUnit}`, pick: (r, y) => formatNumber(view.cell(r, y, k)?.priceInside) },
    { title: `Price outside, ${priceUnit}`, pick: (r, y) => formatNumber(view.cell(r, y, k)?.priceOutside) },
    { title: 'Self-sufficiency', pick: (r, y) => formatShare(view.cell(r, y, k)?.selfSufficiency, 0) },
    { title: `Share from ${dominant}`, pick: (r, y) => formatShare(view.cell(r, y, k)?.dominantShare, 0) },
    { title: 'Days of cover', pick: (r, y) => formatNumber(view.cell(r, y, k)?.daysOfCover, 0) },
    { title: `Consumption lost, ${unit}`, pick: (r, y) => formatNumber(view.cell(r, y, k)?.consumptionLost) },
  ];
  const head1 = groups.map((g) => `<th scope="colgroup" class="group" colspan="2">${esc(g.title)}</th>`).join('');
  const head2 = groups
    .map(() =>
      ROLES.map((r, i) => `<th scope="col" class="num${i === 0 ? ' first' : ''}">${ROLE_WORD[r]}</th>`).join(''),
    )
    .join('');
  const rows = view.years.map((y) => {
    const ref = view.cell('scenario', y, k)?.referencePrice ?? view.cell('against', y, k)?.referencePrice ?? null;
    const cells = groups
      .map((g) => ROLES.map((r, i) => `<td class="num${i === 0 ? ' first' : ''}">${g.pick(r, y)}</td>`).join(''))
      .join('');
    return `<tr><td>${y}</td><td class="num">${formatNumber(ref)}</td>${cells}</tr>`;
  });
  return `<div class="table-wrap"><table class="years-commodity">
<caption>${esc(k)} year by year: ${swatch('scenario')}scenario = ${esc(runName(view, 'scenario'))}, ${swatch('against')}against = ${esc(runName(view, 'against'))}.</caption>
<thead class="wrap"><tr><th scope="col" rowspan="2">Year</th><th scope="col" rowspan="2" class="num">Reference price</th>${head1}</tr><tr class="sub">${head2}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

function commodityArticle(
  view: ReportView,
  c: CommoditySummary,
  key: string,
  shown: boolean,
  charts: ReportPayload['charts'],
): string {
  const k = c.commodity;
  const [S, A] = [esc(runName(view, 'scenario')), esc(runName(view, 'against'))];
  const facts = [
    `Quantities in <b>${esc(c.unit)}</b>, prices in <b>${esc(c.priceUnit)}</b>.`,
    c.referencePrice
      ? `Reference price ${formatNumber(c.referencePrice.value)} from ${c.referencePrice.year}${c.referenceRange ? `, reviewed ${c.referenceRange.changes} time${c.referenceRange.changes === 1 ? '' : 's'}: between ${formatNumber(c.referenceRange.low)} and ${formatNumber(c.referenceRange.high)} over the years` : ''}.`
      : 'No reference price.',
    `Peak price inside ${atYear(c.peakInside.scenario)} (${S}) vs ${atYear(c.peakInside.against)} (${A}).`,
  ];
  const curve = costCurveFor(view, k);
  const costFigure = chartFigure(
    charts,
    `${key}-cost`,
    curve ? `Cost curve, ${curve.curve.year}${curve.role === 'against' ? ` (${A})` : ''}` : 'Cost curve',
    curve
      ? `producers and projects by cash cost (projects at their incentive price), cumulative capacity in ${esc(curve.curve.unit)} per year; dashed: bloc use${curve.curve.referencePrice !== null ? ' and the reference price' : ''}`
      : '',
    {
      wide: true,
      empty: `No cost curve for ${esc(k)}: the results hold one only for commodities with a reference price.`,
    },
  );
  return `<article class="commodity" id="commodity-${key}" data-commodity="${esc(k)}" data-focus="${c.focus}"${shown ? '' : ' hidden'}>
<h3>${esc(k)}</h3>
<p class="facts">${facts.join(' ')}</p>
<div class="grid">
${chartFigure(charts, `${key}-prices`, 'Price inside and outside the zone', `use-weighted means, ${esc(c.priceUnit)}; blue: ${S}, orange: ${A}; pale: outside the zone${drawsReference(charts[`${key}-prices`]) ? '; dashed: the reference price' : ''}`, { wide: true })}
${chartFigure(charts, `${key}-supply-scenario`, `Supply to the bloc by origin · ${S}`, `${esc(c.unit)} per year`)}
${chartFigure(charts, `${key}-supply-against`, `Supply to the bloc by origin · ${A}`, `${esc(c.unit)} per year, same scale`)}
${chartFigure(charts, `${key}-stocks`, 'Bloc stocks and days of cover', `bars: holdings at year end, ${esc(c.unit)}; lines: days of average net imports they cover`, { wide: !charts[`${key}-fiscal`] || !charts[`${key}-stocks`], empty: `No bloc stockpile of ${esc(k)} in either run.` })}
${chartFigure(charts, `${key}-fiscal`, 'Fiscal flows', `USD per year: levy revenue above zero, CfD payments and net stockpile purchases below${drawsAgainst(charts[`${key}-fiscal`]) ? '; paler: the run compared against' : ''}`, { wide: !charts[`${key}-fiscal`] || !charts[`${key}-stocks`], empty: `No levy revenue, CfD payments or stockpile spending for ${esc(k)} in either run.` })}
${costFigure}
</div>
${commodityYearTable(view, k)}
</article>`;
}

function commoditiesSection(
  view: ReportView,
  summaries: readonly CommoditySummary[],
  keys: Map<string, string>,
  charts: ReportPayload['charts'],
): string {
  const focus = summaries.filter((c) => c.focus);
  const others = summaries.filter((c) => !c.focus);
  const first = focus[0]?.commodity ?? others[0]?.commodity;
  const option = (c: CommoditySummary) =>
    `<option value="${esc(c.commodity)}"${c.commodity === first ? ' selected' : ''}>${esc(c.commodity)}</option>`;
  const groups = [
    focus.length > 0 ? `<optgroup label="Focus">${focus.map(option).join('')}</optgroup>` : '',
    others.length > 0
      ? `<optgroup label="${focus.length > 0 ? 'Other commodities' : 'Commodities'}">${others.map(option).join('')}</optgroup>`
      : '',
    `<optgroup label="Several at once (to print)">${
      focus.length > 0 ? '<option value="*focus">All focus commodities</option>' : ''
    }<option value="*all">All commodities</option></optgroup>`,
  ];
  const articles = summaries.map((c) =>
    commodityArticle(view, c, keys.get(c.commodity) ?? '', c.commodity === first, charts),
  );
  return `<section id="commodities">
<h2>Commodities</h2>
<div class="picker"><label for="commodity-select">Commodity</label><select id="commodity-select">${groups.join('')}</select>
<span class="muted">${focus.length} focus of ${summaries.length}; the charts follow the choice</span></div>
<noscript><p class="empty">The charts need JavaScript; the tables below do not.</p></noscript>
${articles.join('\n')}
</section>`;
}

function yearsSection(view: ReportView): string {
  const metrics: { title: string; pick: (t: YearResult['totals']) => number; diff?: boolean; sum: boolean }[] = [
    { title: 'Consumer spending', pick: (t) => t.consumerCost, diff: true, sum: true },
    { title: 'Levy revenue', pick: (t) => t.levyRevenue, sum: true },
    { title: 'CfD cost', pick: (t) => t.cfdCost, sum: true },
    { title: 'Stockpile net spending', pick: (t) => t.stockNetCost, sum: true },
    { title: 'Stock value, year end', pick: (t) => t.stockValue, sum: false },
    { title: 'Consumption lost, value', pick: (t) => t.consumptionLostValue, sum: true },
  ];
  const all: number[] = [];
  for (const role of ROLES) for (const y of view.run(role).years) for (const m of metrics) all.push(m.pick(y.totals));
  const scale = usdScale(all);
  const value = (role: Role, year: number, m: (typeof metrics)[number]) => {
    const y = view.year(role, year);
    return y ? m.pick(y.totals) : null;
  };
  const head1 = metrics
    .map((m) => `<th scope="colgroup" class="group" colspan="${m.diff ? 3 : 2}">${esc(m.title)}</th>`)
    .join('');
  const head2 = metrics
    .map(
      (m) =>
        `<th scope="col" class="num first">scenario</th><th scope="col" class="num">against</th>${m.diff ? '<th scope="col" class="num">change</th>' : ''}`,
    )
    .join('');
  const cells = (get: (role: Role, m: (typeof metrics)[number]) => number | null) =>
    metrics
      .map((m) => {
        const s = get('scenario', m);
        const a = get('against', m);
        const d = m.diff && s !== null && a !== null ? s - a : null;
        return `<td class="num first">${formatScaled(s, scale.divisor)}</td><td class="num">${formatScaled(a, scale.divisor)}</td>${
          m.diff
            ? `<td class="num">${d === null ? '–' : `${d > 0 ? '+' : ''}${formatScaled(d, scale.divisor)}`}</td>`
            : ''
        }`;
      })
      .join('');
  const rows = view.years.map((year) => `<tr><td>${year}</td>${cells((role, m) => value(role, year, m))}</tr>`);
  const totals = cells((role, m) => {
    if (!m.sum) return null;
    let s = 0;
    for (const year of view.years) s += value(role, year, m) ?? 0;
    return s;
  });
  const eventCount = ROLES.map((r) => view.run(r).years.reduce((n, y) => n + y.events.length, 0));
  return `<section id="years">
<h2>Year by year, bloc totals</h2>
<div class="table-wrap"><table class="years">
<caption>All commodities, <b>${scale.label}</b> per year. scenario = ${esc(runName(view, 'scenario'))}, against = ${esc(runName(view, 'against'))}; change = scenario − against.</caption>
<thead class="wrap"><tr><th scope="col" rowspan="2">Year</th>${head1}</tr><tr class="sub">${head2}</tr></thead>
<tbody>${rows.join('\n')}</tbody>
<tfoot><tr><td>Sum</td>${totals}</tr></tfoot>
</table></div>
<p class="note">${eventCount[0]} events in the scenario, ${eventCount[1]} in the run compared against: see below.</p>
</section>`;
}

/**
 * Who gains and who pays: the bloc's welfare change against the other run per year (chart) and, summed over the
 * years, each member's, the bloc's and the world's (table). Left out where neither run carries a welfare split (results
 * written before it existed); where one run lacks it, the section says so.
 */
function welfareSection(view: ReportView, status: WelfareStatus, charts: ReportPayload['charts']): string {
  if (status.kind === 'none') return '';
  const [S, A] = [esc(runName(view, 'scenario')), esc(runName(view, 'against'))];
  const head = '<h2>Who gains and who pays</h2>';
  if (status.kind === 'missing') {
    const which = status.roles.map((r) => `<code>${esc(runName(view, r))}</code>`).join(' and ');
    return `<section id="welfare">
${head}
<p class="empty">No welfare split to compare: ${
      which
        ? `${which} ${status.roles.length === 1 ? 'was' : 'were'} written without one`
        : 'the runs have none in the same year'
    } (results from before Lodestone wrote it). Run the simulation again to see it.</p>
</section>`;
  }
  const w = status.view;
  const rows: WelfareRowChange[] = [...w.regions, ...(w.members.length > 0 ? [w.bloc] : []), ...w.outside, w.world];
  const others = w.outside.find((r) => r.label === 'others');
  const dominantRow = w.outside.find((r) => r !== others);
  const columns: { key: keyof WelfareChange; title: string }[] = [
    { key: 'consumerSurplus', title: 'Consumer surplus' },
    { key: 'producerSurplus', title: 'Producer surplus' },
    { key: 'governmentRevenue', title: 'Government revenue' },
    { key: 'quotaRents', title: 'Quota rents' },
    { key: 'total', title: 'Total' },
  ];
  const scale = usdScale(rows.flatMap((r) => columns.map((c) => r.sum[c.key] ?? 0)));
  // A change that rounds to nothing at the table's scale carries no sign (not '+0.0' beside '0.0' and '−0.0').
  const cell = (x: number | null) => {
    if (x === null) return '–';
    const text = formatScaled(Math.abs(x), scale.divisor);
    if (/^0(\.0+)?$/.test(text)) return text;
    return `${x > 0 ? '+' : '\u2212'}${text}`;
  };
  const body = rows.map((r) => {
    const cls = r === w.bloc ? ' class="bloc"' : r === w.world ? ' class="world"' : '';
    const name =
      r === w.bloc
        ? 'Bloc'
        : r === w.world
          ? 'World'
          : r === others
            ? 'Other non-members'
            : r === dominantRow
              ? `${esc(r.label)} (dominant supplier)`
              : esc(r.label);
    const key = r === w.bloc ? '*bloc' : r === w.world ? '*world' : r === others ? '*others' : r.label;
    return `<tr${cls} data-row="${esc(key)}"><td>${name}</td>${columns
      .map((c) => `<td class="num" data-part="${c.key}" data-value="${r.sum[c.key] ?? ''}">${cell(r.sum[c.key])}</td>`)
      .join('')}</tr>`;
  });
  const nulls = rows.some((r) => r.sum.consumerSurplus === null);
  const span = yearSpan(w.years[0] ?? 0, w.years[w.years.length - 1] ?? 0);
  const notes = [
    w.members.length > 0
      ? `The bloc is the scenario's members (${w.members.map(esc).join(', ')}) in both runs and every year.`
      : 'Neither run has a zone: there is no bloc, only the world.',
    'Only changes mean anything for consumer surplus: its level depends on the choke price of the demand curves.',
    nulls
      ? 'A dash: a consumer surplus (and so a total) that is not finite in some year (a demand curve without a choke price; the notes of results.json say which).'
      : '',
    w.missingYears.length > 0
      ? `Years without a welfare split in one run, left out: ${w.missingYears.join(', ')}.`
      : '',
  ].filter((n) => n !== '');
  return `<section id="welfare">
${head}
<div class="grid">
${chartFigure(charts, 'welfare-bloc', `Bloc welfare change against ${A}, per year`, `${S} less ${A}, USD per year: bars by component (gains above zero, losses below), line: the total change (consumer and producer surplus, government revenue and quota rents)`, { wide: true, empty: 'No zone in either run: no bloc to chart.' })}
</div>
<div class="table-wrap"><table class="welfare">
<caption>Change in welfare, ${S} less ${A}, summed over ${span}, <b>${scale.label}</b>. Government revenue is levies, duties and export taxes less CfD payments and net stockpile purchases; quota rents go to whoever holds the export licences (the exporter, as the model keeps them).</caption>
<thead class="wrap"><tr><th scope="col">Region</th>${columns.map((c) => `<th scope="col" class="num">${c.title}</th>`).join('')}</tr></thead>
<tbody>${body.join('\n')}</tbody></table></div>
<p class="note">${notes.join(' ')}</p>
</section>`;
}

function timelineSection(view: ReportView): string {
  const list = (items: readonly string[]) =>
    items.length === 0 ? '<span class="muted">–</span>' : `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
  const projects = (role: Role, year: number) =>
    (view.year(role, year)?.projects ?? []).map((p) => {
      const { unit, priceUnit } = view.units(p.commodity);
      // The simulation's entry test (cash cost plus capital recovery, before inputs), not the appraisal's NPV-zero price.
      const price =
        p.incentivePrice !== null ? `, entry price ${formatNumber(p.incentivePrice)} ${priceUnit} before inputs` : '';
      return `${p.id} (${p.commodity}, ${p.region}): ${p.event}, ${formatNumber(p.capacity)} ${unit}/yr${price}`;
    });
  const hasProjects = ROLES.some((r) => view.run(r).years.some((y) => y.projects.length > 0));
  const rows = view.years.map((year) => {
    const events = ROLES.map((r) => `<td class="text">${list(view.year(r, year)?.events ?? [])}</td>`).join('');
    const proj = hasProjects ? ROLES.map((r) => `<td class="text">${list(projects(r, year))}</td>`).join('') : '';
    return `<tr><td>${year}</td>${events}${proj}</tr>`;
  });
  const head = [
    ...ROLES.map((r) => `<th scope="col">${swatch(r)}Events · ${esc(runName(view, r))}</th>`),
    ...(hasProjects ? ROLES.map((r) => `<th scope="col">${swatch(r)}Projects · ${esc(runName(view, r))}</th>`) : []),
  ].join('');
  return `<section id="timeline">
<h2>Events and projects</h2>
<div class="table-wrap"><table class="timeline">
<thead><tr><th scope="col">Year</th>${head}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>
</section>`;
}

function notesSection(view: ReportView): string {
  const blocks = ROLES.map((r) => {
    const notes = view.run(r).notes;
    return `<h3>${swatch(r)}${esc(runName(view, r))}</h3>${
      notes.length === 0
        ? '<p class="muted">No notes.</p>'
        : `<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`
    }`;
  });
  return `<section id="notes">
<h2>Notes</h2>
${blocks.join('\n')}
</section>`;
}

function aboutSection(view: ReportView, h: Headlines, version: string, options: ReportOptions): string {
  const residual = (x: number | null) => (x === null ? '–' : x.toExponential(1));
  return `<section id="about">
<h2>About the numbers</h2>
<ul class="notes">
<li>Prices are use-weighted means over the bloc's regions (inside) and the other regions (outside). Consumer spending is the bloc's final consumers' spending at equilibrium prices; consumption lost is bloc demand at the base-year reference price, grown by the scenario, less what the bloc consumes.</li>
<li>Days of cover is bloc stock holdings at the end of the year divided by the members' average daily net imports the year before (as the IEA counts oil stocks, and as a stockpile's obligation reads them); it is blank in years after one in which the members imported none. The lowest days of cover is over the years a stockpile covers the commodity, 0 where it holds nothing; – where neither run stockpiles it.</li>
<li>Every year is a market equilibrium with a certificate: the largest residual of its conditions was at most ${residual(h.maxResidual.scenario)} (${esc(runName(view, 'scenario'))}) and ${residual(h.maxResidual.against)} (${esc(runName(view, 'against'))}).</li>
<li>The same results are in <code>results.json</code> (the whole comparison), <code>years-long.csv</code> (one number a row) and <code>years-wide.csv</code> (one row per run, year and commodity) beside this file.</li>
</ul>
</section>
<footer>Lodestone${options.generatedAt ? ` · generated ${esc(options.generatedAt)}` : ''} · charts drawn with Apache ECharts ${esc(version)}, inlined: this file needs no network.</footer>`;
}

// ---------------------------------------------------------------------------------------------------------------

/** Everything the page script needs to draw the charts, keyed by chart id. */
export interface ReportPayload {
  readonly charts: Record<string, ChartSpec>;
}

export function reportPayload(view: ReportView, keys: Map<string, string>): ReportPayload {
  const charts: Record<string, ChartSpec> = {};
  const add = (id: string, spec: ChartSpec | null) => {
    if (spec) charts[id] = spec;
  };
  add('summary-fiscal', totalFiscalChart(view));
  add('summary-consumer', consumerCostChart(view));
  const welfare = welfareStatus(view);
  if (welfare.kind === 'view') add('welfare-bloc', welfareChart(view, welfare.view));
  for (const [k, key] of keys) {
    add(`${key}-prices`, priceChart(view, k));
    add(`${key}-supply-scenario`, supplyChart(view, k, 'scenario'));
    add(`${key}-supply-against`, supplyChart(view, k, 'against'));
    add(`${key}-stocks`, stockChart(view, k));
    add(`${key}-fiscal`, commodityFiscalChart(view, k));
    add(`${key}-cost`, costCurveChart(view, k));
  }
  return { charts };
}

/** Commodities in report order (focus first) and the short key each one's charts and section are named by. */
export function commodityKeys(view: ReportView): Map<string, string> {
  const ordered = [...view.focus, ...view.commodities.filter((k) => !view.focus.includes(k))];
  return new Map(ordered.map((k, i) => [k, `c${i}`]));
}

export function renderReport(comparison: Comparison, options: ReportOptions = {}): string {
  assertFinite(comparison);
  const view = reportView(comparison, options.focus);
  const keys = commodityKeys(view);
  const summaries = [...keys.keys()].map((k) => commoditySummary(view, k));
  const h = headlines(view, summaries);
  const openPrices = openPricesSection([comparison.scenario, comparison.against]);
  const sections = [...(openPrices ? [{ ...openPrices, charts: {} }] : []), ...(options.sections ?? [])];
  const own = reportPayload(view, keys);
  const welfare = welfareStatus(view);
  const payload: ReportPayload = { charts: Object.assign({}, own.charts, ...sections.map((x) => x.charts)) };
  const { code, version } = echartsBundle();
  const s = view.run('scenario').scenario;
  const a = view.run('against').scenario;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Lodestone">
<title>${esc(`${s.name} against ${a.name} · Lodestone report`)}</title>
<style>
${asset('./report.css')}</style>
</head>
<body>
<main>
${masthead(view, h, options)}
${nav(sections, welfare.kind !== 'none')}
${summarySection(view, h, summaries, payload.charts)}
${commoditiesSection(view, summaries, keys, payload.charts)}
${yearsSection(view)}
${welfareSection(view, welfare, payload.charts)}
${sections.map((x) => x.html).join('\n')}
${timelineSection(view)}
${notesSection(view)}
${aboutSection(view, h, version, options)}
</main>
${pageScripts(payload, code)}`;
}
