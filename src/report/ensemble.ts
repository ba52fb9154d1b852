/**
 * The report of a Monte Carlo ensemble: fan charts (P5–P95 and P25–P75 bands around the median, with the central
 * run and the twin's median) of the headline metrics per commodity and for the bloc, probabilities of events by
 * year, the hazards and uncertain data drawn; plus the distributions as JSON and CSV. The HTML page is
 * self-contained and works offline: it reuses the simulation report's style, page script and inlined ECharts.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EChartsOption, LineSeriesOption } from 'echarts';
import { TOTAL } from '../ensemble/metrics.ts';
import type { EnsembleResult } from '../ensemble/run.ts';
import type { EventRow, QuantileRow, Run } from '../ensemble/summary.ts';
import { ensureFolder } from '../folders.ts';
import type { ChartSpec } from './charts.ts';
import { COLORS, onTop } from './charts.ts';
import {
  counted,
  escapeHtml as esc,
  formatCompact,
  formatNumber,
  formatShare,
  formatUsd,
  signedPoints,
  signedUsd,
  yearSpan,
} from './format.ts';
import { asset, echartsBundle, pageScripts } from './html.ts';

/** Fewer stored draws than this, and the page says its bands are not yet a distribution. */
const FEW_DRAWS = 30;

export const ENSEMBLE_FILES = [
  'ensemble.html',
  'ensemble.json',
  'ensemble-quantiles.csv',
  'ensemble-probabilities.csv',
  'ensemble-expected-loss.csv',
  'ensemble-probability-changes.csv',
] as const;

const QUANTILE_HEADER = [
  'run',
  'year',
  'commodity',
  'metric',
  'unit',
  'n',
  'mean',
  'p5',
  'p25',
  'p50',
  'p75',
  'p95',
  'central',
  'standardError',
];
const EVENT_HEADER = ['run', 'event', 'commodity', 'year', 'threshold', 'unit', 'probability', 'low', 'high', 'draws'];
const CHANGE_HEADER = ['event', 'commodity', 'year', 'change', 'low', 'high', 'onlyScenario', 'onlyAgainst', 'draws'];
const LOSS_HEADER = ['run', 'commodity', 'year', 'unit', 'mean', 'standardError'];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return `${[header.join(','), ...rows.map((r) => header.map((h) => csvCell(r[h])).join(','))].join('\n')}\n`;
}

/**
 * The distributions as CSV: quantiles, event probabilities, expected consumption lost, and the paired changes of the
 * probabilities against the twin (header only without one) — long format.
 */
export function ensembleCsv(r: EnsembleResult): {
  quantiles: string;
  probabilities: string;
  expectedLoss: string;
  changes: string;
} {
  return {
    quantiles: csv(QUANTILE_HEADER, r.quantiles as unknown as Record<string, unknown>[]),
    probabilities: csv(EVENT_HEADER, r.probabilities.events as unknown as Record<string, unknown>[]),
    expectedLoss: csv(LOSS_HEADER, r.probabilities.expectedConsumptionLost as unknown as Record<string, unknown>[]),
    changes: csv(CHANGE_HEADER, (r.probabilities.changes ?? []) as unknown as Record<string, unknown>[]),
  };
}

// ---------------------------------------------------------------------------------------------------------------

const BAND = {
  scenario: { outer: 'rgba(31, 95, 168, 0.16)', inner: 'rgba(31, 95, 168, 0.30)' },
} as const;

class Lookup {
  private readonly q = new Map<string, QuantileRow>();
  private readonly e = new Map<string, EventRow>();
  constructor(readonly result: EnsembleResult) {
    for (const x of result.quantiles) this.q.set(`${x.run}|${x.commodity}|${x.metric}|${x.year}`, x);
    for (const x of result.probabilities.events) this.e.set(`${x.run}|${x.event}|${x.commodity}|${x.year}`, x);
  }
  quantile(run: Run, k: string, metric: string, year: number): QuantileRow | undefined {
    return this.q.get(`${run}|${k}|${metric}|${year}`);
  }
  event(run: 'scenario' | 'against', event: string, k: string, year: number | 'any'): EventRow | undefined {
    return this.e.get(`${run}|${event}|${k}|${year}`);
  }
  get years(): readonly number[] {
    return this.result.meta.layout.years;
  }
}

const TRANSPARENT = { opacity: 0 };

/** A fan: P5–P95 and P25–P75 bands (stacked areas over an invisible lower edge), the median, the central run. */
function fanSeries(
  L: Lookup,
  run: 'scenario' | 'against',
  k: string,
  metric: string,
  name: string,
): LineSeriesOption[] {
  const rows = L.years.map((y) => L.quantile(run, k, metric, y));
  const v = (f: (q: QuantileRow) => number | null) => rows.map((q) => (q ? f(q) : null));
  const diff = (a: (q: QuantileRow) => number | null, b: (q: QuantileRow) => number | null) =>
    rows.map((q) => {
      const x = q ? a(q) : null;
      const y = q ? b(q) : null;
      return x === null || y === null ? null : x - y;
    });
  const color = run === 'scenario' ? COLORS.scenarioInside : COLORS.againstInside;
  const median: LineSeriesOption = {
    type: 'line',
    name: `${name} median`,
    data: v((q) => q.p50),
    // Where the two medians coincide the scenario's is drawn over the twin's (drawn later), not hidden under it.
    z: onTop(run),
    symbol: 'circle',
    symbolSize: 4,
    lineStyle: { color, width: 2 },
    itemStyle: { color },
  };
  if (run === 'against') {
    // The twin: its median, and its P5 and P95 as thin dashed lines (a second band would hide the first).
    const edge = (label: string, f: (q: QuantileRow) => number | null): LineSeriesOption => ({
      type: 'line',
      name: `${name} ${label}`,
      data: v(f),
      symbol: 'none',
      lineStyle: { color, width: 1, type: 'dashed' },
      itemStyle: { color },
    });
    return [median, edge('P5', (q) => q.p5), edge('P95', (q) => q.p95)];
  }
  // A band is a stacked area over an invisible lower edge; the edges' own values are what the tooltip shows.
  // stackStrategy 'all': ECharts otherwise stacks a value on the earlier ones of its own sign only, and a band over a
  // negative P5 (a stockpile's net cost in a year it sells) would be drawn from 0 up to P95 − P5.
  const hidden = {
    type: 'line' as const,
    symbol: 'none',
    showSymbol: false,
    lineStyle: TRANSPARENT,
    stackStrategy: 'all' as const,
  };
  const band = (stack: string, fill: string, label: string, width: number[] | (number | null)[]): LineSeriesOption => ({
    ...hidden,
    name: label,
    stack,
    data: width,
    areaStyle: { color: fill },
    itemStyle: { color: fill },
    tooltip: { show: false },
    silent: true,
  });
  return [
    { ...hidden, name: `${name} P5`, stack: 'outer', data: v((q) => q.p5), itemStyle: { color: BAND.scenario.outer } },
    band(
      'outer',
      BAND.scenario.outer,
      `${name} P5–P95`,
      diff(
        (q) => q.p95,
        (q) => q.p5,
      ),
    ),
    {
      ...hidden,
      name: `${name} P25`,
      stack: 'inner',
      data: v((q) => q.p25),
      itemStyle: { color: BAND.scenario.inner },
    },
    band(
      'inner',
      BAND.scenario.inner,
      `${name} P25–P75`,
      diff(
        (q) => q.p75,
        (q) => q.p25,
      ),
    ),
    median,
    { ...hidden, name: `${name} P75`, data: v((q) => q.p75), itemStyle: { color: BAND.scenario.inner } },
    { ...hidden, name: `${name} P95`, data: v((q) => q.p95), itemStyle: { color: BAND.scenario.outer } },
    {
      type: 'line',
      name: `${name} central`,
      data: v((q) => q.central),
      symbol: 'none',
      lineStyle: { color: COLORS.reference, width: 1, type: 'dashed' },
      itemStyle: { color: COLORS.reference },
    },
  ];
}

function baseOption(
  L: Lookup,
  axisName: string,
  series: LineSeriesOption[],
  extra: Partial<EChartsOption> = {},
): EChartsOption {
  // The scenario's band edges (drawn invisible) stay out of the legend; the twin's P5/P95 lines are in it.
  const first = L.result.meta.scenario.name;
  const legend = series
    .map((s) => s.name as string)
    .filter((n) => !(n.startsWith(`${first} `) && / P(5|25|75|95)$/.test(n)));
  return {
    animation: false,
    // containLabel keeps the tick labels in; the axis name below them (nameGap 28) needs the bottom margin.
    grid: { left: 12, right: 20, top: 64, bottom: 36, containLabel: true },
    legend: { type: 'plain', top: 0, data: legend },
    tooltip: { trigger: 'axis' },
    xAxis: {
      type: 'category',
      data: L.years.map(String),
      name: 'year',
      nameLocation: 'middle',
      nameGap: 28,
      boundaryGap: false,
    },
    yAxis: { type: 'value', name: axisName, nameLocation: 'end', scale: false },
    series,
    ...extra,
  };
}

function fanChart(
  L: Lookup,
  k: string,
  metric: string,
  axisName: string,
  tooltip: ChartSpec['tooltip'],
  threshold?: readonly (number | null)[],
): ChartSpec | null {
  const has = L.years.some((y) => (L.quantile('scenario', k, metric, y)?.n ?? 0) > 0);
  if (!has) return null;
  const name = L.result.meta.scenario.name;
  const series = fanSeries(L, 'scenario', k, metric, name);
  const against = L.result.meta.against;
  if (against) series.push(...fanSeries(L, 'against', k, metric, against.name));
  if (threshold?.some((t) => t !== null)) {
    series.push({
      type: 'line',
      name: 'spike threshold',
      data: [...threshold],
      symbol: 'none',
      lineStyle: { color: COLORS.dominant, width: 1, type: 'dotted' },
      itemStyle: { color: COLORS.dominant },
    });
  }
  // A share reads as a percentage; every other value carries the axis's unit in the tooltip.
  return { option: baseOption(L, axisName, series), tooltip, ...(tooltip === 'share' ? {} : { valueUnit: axisName }) };
}

function eventChart(L: Lookup, k: string): ChartSpec {
  const events: [string, string, string][] = [
    ['priceAbove', 'price above threshold', COLORS.dominant],
    ['cutAbove', `cut > ${formatShare(L.result.meta.thresholds.cutAbove, 0)}`, COLORS.bloc],
    ['stocksExhausted', 'stocks exhausted', COLORS.stocks],
  ];
  const series: LineSeriesOption[] = [];
  const runs: ('scenario' | 'against')[] = L.result.meta.against ? ['scenario', 'against'] : ['scenario'];
  for (const run of runs) {
    const who = run === 'scenario' ? L.result.meta.scenario.name : (L.result.meta.against?.name ?? '');
    for (const [event, label, color] of events) {
      series.push({
        type: 'line',
        name: `${label} · ${who}`,
        data: L.years.map((y) => L.event(run, event, k, y)?.probability ?? null),
        symbol: run === 'scenario' ? 'circle' : 'emptyCircle',
        symbolSize: 4,
        lineStyle: { color, width: run === 'scenario' ? 2 : 1.5, type: run === 'scenario' ? 'solid' : 'dashed' },
        itemStyle: { color },
      });
    }
  }
  const option = baseOption(L, 'probability', series);
  (option.yAxis as Record<string, unknown>).max = 1;
  (option.legend as Record<string, unknown>).data = series.map((s) => s.name as string);
  return { option, tooltip: 'share' };
}

// ---------------------------------------------------------------------------------------------------------------

function figure(
  id: string,
  title: string,
  charts: Record<string, ChartSpec>,
  note = '',
  wide = false,
  empty = 'no draw has a value for this metric',
): string {
  const body = charts[id]
    ? `<div class="chart" data-chart="${esc(id)}" role="img" aria-label="${esc(title)}"></div>`
    : `<p class="empty">${esc(empty)}</p>`;
  return `<figure${wide ? ' class="wide"' : ''}><figcaption>${esc(title)}${note ? `<small>${esc(note)}</small>` : ''}</figcaption>${body}</figure>`;
}

/** A paired difference in USD with its sign (signedUsd), '–' where there is none. */
const signedOrNone = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : signedUsd(x));

function card(title: string, big: string, sub: string): string {
  return `<div class="card"><h3>${esc(title)}</h3><p class="big">${big}</p><p class="sub">${sub}</p></div>`;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : formatShare(x, 0));
/** A table cell of a probability, its 95% interval in the tooltip (the table stays readable at a glance). */
/** A table cell of a mean, its standard error in the tooltip. */
const meanCell = (q: QuantileRow | undefined): string =>
  q?.standardError !== null && q?.standardError !== undefined
    ? `<td class="num" title="standard error ${formatNumber(q.standardError)}">${formatNumber(q.mean)}</td>`
    : `<td class="num">${formatNumber(q?.mean ?? null)}</td>`;
const probabilityCell = (x: EventRow | undefined, cls: string): string =>
  x
    ? `<td class="${cls}" title="95% interval ${pct(x.low)}–${pct(x.high)} (${counted(x.draws, 'draw')})">${pct(x.probability)}</td>`
    : `<td class="${cls}">–</td>`;

function summarySection(L: Lookup, charts: Record<string, ChartSpec>): string {
  const m = L.result.meta;
  const A = m.against?.name;
  const ev = (run: 'scenario' | 'against', event: string) => L.event(run, event, TOTAL, 'any');
  const lossRow = (run: Run) =>
    L.result.probabilities.expectedConsumptionLost.find(
      (x) => x.run === run && x.commodity === TOTAL && x.year === 'horizon',
    );
  const loss = (run: Run) => lossRow(run)?.mean;
  const vs = (f: (run: 'scenario' | 'against') => string) => (A ? `${esc(A)}: ${f('against')}` : '');
  // Every probability with its 95% interval, the Monte Carlo error of a share of the draws.
  const interval = (x: EventRow | undefined) => (x ? ` (95%: ${pct(x.low)}–${pct(x.high)})` : '');
  const withInterval = (x: EventRow | undefined) => `${pct(x?.probability)}${interval(x)}`;
  const error = (run: Run) => {
    const e = lossRow(run)?.standardError;
    return e === null || e === undefined ? '' : ` ± ${formatUsd(e)}`;
  };
  /** With a twin, the paired change of an event's probability in some year, in percentage points. */
  const change = (event: string) => {
    const c = L.result.probabilities.changes?.find(
      (x) => x.event === event && x.commodity === TOTAL && x.year === 'any',
    );
    return c
      ? ` · change ${signedPoints(c.change)} points (95%: ${signedPoints(c.low)} to ${signedPoints(c.high)})`
      : '';
  };
  const cards = [
    card(
      'P(a zone price spike)',
      pct(ev('scenario', 'priceAbove')?.probability),
      `some commodity above its threshold in some year${interval(ev('scenario', 'priceAbove'))}${A ? ` · ${vs((r) => withInterval(ev(r, 'priceAbove')))}${change('priceAbove')}` : ''}`,
    ),
    card(
      `P(a cut above ${formatShare(m.thresholds.cutAbove, 0)})`,
      pct(ev('scenario', 'cutAbove')?.probability),
      `some commodity's bloc consumption cut in some year${interval(ev('scenario', 'cutAbove'))}${A ? ` · ${vs((r) => withInterval(ev(r, 'cutAbove')))}${change('cutAbove')}` : ''}`,
    ),
    card(
      'P(stocks exhausted)',
      pct(ev('scenario', 'stocksExhausted')?.probability),
      `below ${formatShare(m.thresholds.exhaustedBelow, 0)} of their peak${interval(ev('scenario', 'stocksExhausted'))}${A ? ` · ${vs((r) => withInterval(ev(r, 'stocksExhausted')))}${change('stocksExhausted')}` : ''}`,
    ),
    card(
      'Expected consumption lost',
      formatUsd(loss('scenario') ?? 0),
      `value over the horizon at base-year prices${error('scenario')} (standard error)${A ? ` · ${esc(A)}: ${formatUsd(loss('against') ?? 0)}${error('against')}` : ''}`,
    ),
  ];
  if (A)
    cards.push(
      card(
        'Difference, paired',
        signedOrNone(loss('difference')),
        `expected consumption lost, ${esc(m.scenario.name)} − ${esc(A)} on the same draws${error('difference')} (standard error)`,
      ),
    );
  // A handful of draws gives bands and probabilities that are not yet a distribution: say so where they are read.
  const few =
    m.draws.stored < FEW_DRAWS
      ? `<p class="note warn">Only ${counted(m.draws.stored, 'draw')}: the bands and probabilities below are not yet a distribution (each probability moves in steps of ${formatShare(1 / Math.max(1, m.draws.stored), 0)}); run a few hundred draws before reading them.</p>`
      : '';
  return `<section id="summary">
<h2>Summary</h2>
${few}<div class="cards">${cards.join('')}</div>
<div class="grid">
${figure('total-lost', 'Consumption lost, value (USD)', charts, 'bloc demand at base-year reference prices not consumed', false)}
${figure('total-consumer', 'Bloc consumer spending (USD)', charts)}
${figure('total-levy', 'Levy revenue (USD)', charts)}
${figure('total-cfd', 'CfD cost (USD)', charts)}
${figure('total-stock-cost', 'Stockpiles: net cost of the year (USD)', charts, 'purchases less releases, at the year’s prices', false, 'No bloc stockpile in any draw.')}
${figure('total-stock-value', 'Stockpiles: value held (USD, end of year)', charts, '', false, 'No bloc stockpile in any draw.')}
</div>
</section>`;
}

function commodityArticle(
  L: Lookup,
  k: string,
  key: string,
  charts: Record<string, ChartSpec>,
  shown: boolean,
): string {
  const info = L.result.meta.layout.commodities.find((c) => c.id === k);
  const run: Run[] = L.result.meta.against ? ['scenario', 'against'] : ['scenario'];
  const rows = L.years
    .map((y) => {
      const p = L.quantile('scenario', k, 'priceInside', y);
      const cells = [
        `<td>${y}</td>`,
        `<td class="num">${formatNumber(p?.p5 ?? null)}</td>`,
        `<td class="num">${formatNumber(p?.p50 ?? null)}</td>`,
        `<td class="num">${formatNumber(p?.p95 ?? null)}</td>`,
        `<td class="num">${formatNumber(p?.central ?? null)}</td>`,
        ...run.flatMap((r) => [
          probabilityCell(L.event(r as 'scenario', 'priceAbove', k, y), 'num first'),
          probabilityCell(L.event(r as 'scenario', 'cutAbove', k, y), 'num'),
          meanCell(L.quantile(r, k, 'consumptionLost', y)),
        ]),
      ];
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('');
  const groupHead = run
    .map(
      (r) =>
        `<th scope="colgroup" class="group" colspan="3">${esc(r === 'scenario' ? L.result.meta.scenario.name : (L.result.meta.against?.name ?? ''))}</th>`,
    )
    .join('');
  // The headers say what each probability is of: the spike's threshold is the paragraph above, the cut's share here.
  const cut = formatShare(L.result.meta.thresholds.cutAbove, 0);
  const subHead = run
    .map(
      () =>
        `<th scope="col" class="num first" title="probability that the zone price is above the threshold above">P(price spike)</th><th scope="col" class="num" title="probability that bloc consumption is cut by more than ${cut} of its demand">P(cut &gt; ${cut})</th><th scope="col" class="num" title="expected consumption lost, in the commodity's unit">E[lost], ${esc(info?.unit ?? '')}</th>`,
    )
    .join('');
  return `<article class="commodity" id="commodity-${key}" data-commodity="${esc(k)}" data-focus="true"${shown ? '' : ' hidden'}>
<h3>${esc(k)}</h3>
<p class="facts">Prices in ${esc(info?.priceUnit ?? '')}, quantities in ${esc(info?.unit ?? '')}. A price spike is a zone price above ${L.result.meta.thresholds.prices[k] !== undefined ? formatNumber(L.result.meta.thresholds.prices[k] ?? null) : `${L.result.meta.thresholds.priceAbove} × the run's central price that year`}.</p>
<div class="grid">
${figure(`${key}-price`, 'Zone price', charts, 'use-weighted over the bloc; bands P5–P95 and P25–P75, median, central run (dashed)', true)}
${figure(`${key}-events`, 'Probability of events, by year', charts)}
${figure(`${key}-outside`, 'Price outside the zone', charts, 'use-weighted over the other regions')}
${figure(`${key}-lost`, 'Share of bloc demand not consumed', charts)}
${figure(`${key}-self`, 'Bloc self-sufficiency', charts, 'bloc production used in the bloc, as a share of bloc use')}
${figure(`${key}-dominant`, "Dominant supplier's share of bloc supply", charts)}
${figure(`${key}-consumer`, 'Bloc consumer spending (USD)', charts)}
${figure(`${key}-stock`, 'Bloc stocks (end of year)', charts, '', false, 'No bloc stockpile of it in any draw.')}
${figure(`${key}-cover`, 'Days of net imports the stocks cover', charts, 'none in a year without net imports', false, 'No bloc stockpile of it in any draw.')}
${figure(`${key}-levy`, 'Levy revenue (USD)', charts, '', false, 'No levy on it in any draw.')}
${figure(`${key}-cfd`, 'CfD cost (USD)', charts, '', false, 'No CfD payment on it in any draw.')}
</div>
<div class="table-wrap"><table>
<thead><tr><th scope="col"></th><th scope="colgroup" class="group" colspan="4">zone price, ${esc(L.result.meta.scenario.name)}</th>${groupHead}</tr>
<tr class="sub"><th scope="col">year</th><th scope="col" class="num">P5</th><th scope="col" class="num">P50</th><th scope="col" class="num">P95</th><th scope="col" class="num">central</th>${subHead}</tr></thead>
<tbody>${rows}</tbody></table></div>
</article>`;
}

function risksSection(L: Lookup): string {
  const m = L.result.meta;
  const rows = m.risks
    .map(
      (
        r,
      ) => `<tr><td>${esc(r.kind)}</td><td>${esc(r.origin)}</td><td>${esc(r.commodities === '*' ? '*' : r.commodities.join(', '))}</td>
<td>${esc(r.destinations === undefined ? '–' : typeof r.destinations === 'string' ? r.destinations : r.destinations.join(', '))}</td>
<td class="num">${formatNumber(r.probability, 3)}</td>
<td>${esc(r.duration.law === 'fixed' ? `${r.duration.years} years` : r.duration.law === 'uniform' ? `${r.duration.min}–${r.duration.max} years` : `geometric, mean ${r.duration.mean} years`)}</td>
<td>${esc(r.shareParameter ?? (r.share ? `${r.share.low}–${r.share.central}–${r.share.high}` : '–'))}</td>
<td class="text">${esc(r.basis)}</td></tr>`,
    )
    .join('');
  const groups = m.uncertain
    .map(
      (g) =>
        `<tr><td><code>${esc(g.table)}.${esc(g.column)}</code></td><td><code>${esc(g.provenance)}</code></td><td>${esc(g.kind)}</td><td class="num">${g.cells}</td><td class="num">${formatCompact(g.low)}</td><td class="num">${formatCompact(g.high)}</td></tr>`,
    )
    .join('');
  return `<section id="inputs">
<h2>What is drawn</h2>
<p>Each draw adds, to the scenario's own shocks, episodes of the hazards below: every year a hazard not in force starts with its annual probability and lasts a drawn number of years. ${
    m.riskDerivation
      ? `Hazards marked policy-events are derived from the export controls in data/policy_events.csv between ${esc(m.riskDerivation.window.from)} and ${esc(m.riskDerivation.window.to)}; they are assumptions, with their basis.`
      : ''
  }</p>
<div class="table-wrap"><table><thead class="wrap"><tr><th scope="col">kind</th><th scope="col">supplier</th><th scope="col">commodities</th><th scope="col">toward</th><th scope="col" class="num">p / year</th><th scope="col">duration</th><th scope="col">share</th><th scope="col">basis</th></tr></thead><tbody>${rows || '<tr><td colspan="8">none</td></tr>'}</tbody></table></div>
<p>${
    m.parameters === 'central'
      ? 'The data are kept at their central values (--central-parameters).'
      : 'Every cell the model reads that has a low/high range is drawn from the triangular distribution on [low, high] with its mode at the central value; cells citing one assumption share one draw.'
  }</p>
${groups ? `<p class="note">Lowest lows and highest highs are in each column's own unit, the one its rows give (t, kg, USD per unit, a share).</p><div class="table-wrap"><table><thead><tr><th scope="col">cells</th><th scope="col">range from</th><th scope="col">kind</th><th scope="col" class="num">cells</th><th scope="col" class="num">lowest low</th><th scope="col" class="num">highest high</th></tr></thead><tbody>${groups}</tbody></table></div>` : ''}
</section>`;
}

function aboutSection(L: Lookup, version: string): string {
  const m = L.result.meta;
  const items = [
    `${counted(m.draws.stored, 'draw')} stored of ${m.draws.requested} requested${m.draws.failed > 0 ? `; ${m.draws.failed} failed (an equilibrium could not be certified, or the draw's data made the policy impossible) and are left out` : ''}; seed ${m.seed}; data ${m.parameters}${m.chains ? `; chains ${esc(m.chains.join(', '))}` : ''}.`,
    'Draw i depends only on (seed, i): its random streams are seeded by hashing them, so results are identical for any number of workers and across runs.',
    'Quantiles are exact order statistics of the stored draws (linear interpolation, type 7); a metric that does not exist in a draw (e.g. days of cover without imports) is left out of its quantiles.',
    `Events: zone price above ${m.thresholds.priceAbove} × the run's central price that year (or a set threshold); bloc consumption cut by more than ${formatShare(m.thresholds.cutAbove, 0)} of its demand at the base-year reference price; stocks below ${formatShare(m.thresholds.exhaustedBelow, 0)} of their earlier peak.`,
    `Store: <code>${esc(m.store)}</code>. Apache ECharts ${esc(version)}.`,
  ];
  return `<section id="about"><h2>About the numbers</h2><ul class="notes">${items.map((i) => `<li>${i}</li>`).join('')}</ul></section>`;
}

/**
 * Whether any draw of either run moves `metric` of `k` from zero in some year. A metric none does (no stockpile, no
 * floor, no CfD on the commodity) gets no chart: the page says so, where a flat line at zero would say less.
 */
function movesFromZero(L: Lookup, k: string, metric: string): boolean {
  return (['scenario', 'against'] as const).some((r) =>
    L.years.some((y) => {
      const q = L.quantile(r, k, metric, y);
      return q !== undefined && ((q.p5 ?? 0) !== 0 || (q.p95 ?? 0) !== 0 || (q.mean ?? 0) !== 0);
    }),
  );
}

export function ensemblePayload(result: EnsembleResult): {
  charts: Record<string, ChartSpec>;
  keys: Map<string, string>;
} {
  const L = new Lookup(result);
  const charts: Record<string, ChartSpec> = {};
  const add = (id: string, spec: ChartSpec | null) => {
    if (spec) charts[id] = spec;
  };
  add('total-lost', fanChart(L, TOTAL, 'consumptionLostValue', 'USD', 'money'));
  add('total-consumer', fanChart(L, TOTAL, 'consumerCost', 'USD', 'money'));
  add('total-levy', fanChart(L, TOTAL, 'levyRevenue', 'USD', 'money'));
  add('total-cfd', fanChart(L, TOTAL, 'cfdCost', 'USD', 'money'));
  if (movesFromZero(L, TOTAL, 'stockValue')) {
    add('total-stock-cost', fanChart(L, TOTAL, 'stockNetCost', 'USD', 'money'));
    add('total-stock-value', fanChart(L, TOTAL, 'stockValue', 'USD', 'money'));
  }
  const keys = new Map(result.meta.layout.commodities.map((c, i) => [c.id, `c${i}`]));
  for (const [k, key] of keys) {
    const info = result.meta.layout.commodities.find((c) => c.id === k);
    add(
      `${key}-price`,
      fanChart(
        L,
        k,
        'priceInside',
        info?.priceUnit ?? '',
        'number',
        L.years.map((y) => L.event('scenario', 'priceAbove', k, y)?.threshold ?? null),
      ),
    );
    add(`${key}-events`, eventChart(L, k));
    add(`${key}-outside`, fanChart(L, k, 'priceOutside', info?.priceUnit ?? '', 'number'));
    add(`${key}-lost`, fanChart(L, k, 'lostShare', 'share', 'share'));
    add(`${key}-self`, fanChart(L, k, 'selfSufficiency', 'share', 'share'));
    add(`${key}-dominant`, fanChart(L, k, 'dominantShare', 'share', 'share'));
    add(`${key}-consumer`, fanChart(L, k, 'consumerCost', 'USD', 'money'));
    const moves = (metric: string) => movesFromZero(L, k, metric);
    if (moves('stock')) {
      add(`${key}-stock`, fanChart(L, k, 'stock', info?.unit ?? '', 'number'));
      add(`${key}-cover`, fanChart(L, k, 'daysOfCover', 'days', 'number'));
    }
    if (moves('levyRevenue')) add(`${key}-levy`, fanChart(L, k, 'levyRevenue', 'USD', 'money'));
    if (moves('cfdCost')) add(`${key}-cfd`, fanChart(L, k, 'cfdCost', 'USD', 'money'));
  }
  return { charts, keys };
}

export function renderEnsembleReport(result: EnsembleResult): string {
  const L = new Lookup(result);
  const { charts, keys } = ensemblePayload(result);
  const m = result.meta;
  const { code, version } = echartsBundle();
  const options = [...keys.keys()]
    .map((k, i) => `<option value="${esc(k)}"${i === 0 ? ' selected' : ''}>${esc(k)}</option>`)
    .join('');
  const articles = [...keys].map(([k, key], i) => commodityArticle(L, k, key, charts, i === 0)).join('\n');
  const title = `${m.scenario.name}${m.against ? ` against ${m.against.name}` : ''}`;
  const meta: [string, string][] = [
    ['Years', yearSpan(m.horizon.start, m.horizon.end)],
    ['Draws', `${m.draws.stored}${m.draws.failed ? ` (+${m.draws.failed} failed)` : ''}`],
    ['Seed', String(m.seed)],
    ['Data', m.parameters],
    ['Hazards', String(m.risks.length)],
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Lodestone">
<title>${esc(`${title} · Lodestone ensemble`)}</title>
<style>
${asset('./report.css')}</style>
</head>
<body>
<main>
<header class="masthead">
<p class="kicker">Lodestone · Monte Carlo ensemble</p>
<h1>${esc(m.scenario.title || m.scenario.name)}${m.against ? ` <span class="joiner">against</span> ${esc(m.against.title || m.against.name)}` : ''}</h1>
<dl class="meta">${meta.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
</header>
<nav class="toc" aria-label="Sections"><a href="#summary">Summary</a><a href="#commodities">Commodities</a><a href="#inputs">What is drawn</a><a href="#about">About the numbers</a></nav>
${summarySection(L, charts)}
<section id="commodities">
<h2>Commodities</h2>
<div class="picker"><label for="commodity-select">Commodity</label><select id="commodity-select">${options}<option value="*all">all commodities</option></select></div>
${articles}
</section>
${risksSection(L)}
${aboutSection(L, version)}
</main>
${pageScripts({ charts }, code)}`;
}

/** Writes the JSON, CSV and HTML of an ensemble into its folder; each file appears complete or not at all. */
export function writeEnsembleReport(dir: string, result: EnsembleResult): { files: string[] } {
  const target = path.resolve(dir);
  const c = ensembleCsv(result);
  const contents: Record<(typeof ENSEMBLE_FILES)[number], string> = {
    'ensemble.html': renderEnsembleReport(result),
    'ensemble.json': `${JSON.stringify(result, null, 2)}\n`,
    'ensemble-quantiles.csv': c.quantiles,
    'ensemble-probabilities.csv': c.probabilities,
    'ensemble-expected-loss.csv': c.expectedLoss,
    'ensemble-probability-changes.csv': c.changes,
  };
  ensureFolder(target, 'the ensemble report');
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const files: string[] = [];
  for (const name of ENSEMBLE_FILES) {
    const file = path.join(target, name);
    const tmp = path.join(target, `.${name}.${tag}.tmp`);
    try {
      writeFileSync(tmp, contents[name]);
      renameSync(tmp, file);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    files.push(file);
  }
  return { files };
}
