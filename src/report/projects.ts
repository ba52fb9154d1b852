/**
 * The report's project-finance sections: the project table (NPV, IRR and incentive price on both paths, support,
 * security) with a chart of NPVs; the portfolio with its efficient frontier and the reason for each project; and the
 * change in material cost per unit of downstream goods. Plain HTML tables (they print and read without script) and
 * ECharts options for the page script.
 */
import type { EChartsOption } from 'echarts';
import type { ProjectAppraisals } from '../finance/appraisal.ts';
import type { DownstreamCost } from '../finance/downstream.ts';
import type { PortfolioPlan } from '../finance/plan.ts';
import type { ChartSpec } from './charts.ts';
import { COLORS } from './charts.ts';
import { counted, escapeHtml as esc, formatNumber, formatShare, formatUsd } from './format.ts';
import type { ReportSection } from './html.ts';

export interface ProjectReportInput {
  readonly appraisals: ProjectAppraisals;
  readonly plan?: PortfolioPlan;
  readonly downstream?: readonly DownstreamCost[];
}

const BASE: EChartsOption = {
  animation: false,
  textStyle: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
  grid: { left: 12, right: 20, top: 64, bottom: 12, containLabel: true },
  legend: { top: 0, left: 0, itemGap: 10, textStyle: { fontSize: 12 } },
};

/** NPV on the baseline path and on the zone path, one pair of bars per project. */
export function npvChart(a: ProjectAppraisals): ChartSpec | null {
  if (a.projects.length === 0) return null;
  const ids = a.projects.map((p) => p.id);
  return {
    option: {
      ...BASE,
      tooltip: { trigger: 'axis', confine: true },
      xAxis: { type: 'category', data: ids, axisLabel: { rotate: 40, fontSize: 10 } },
      yAxis: { type: 'value', name: 'NPV, USD', nameTextStyle: { align: 'left', fontWeight: 'bold' } },
      series: [
        {
          type: 'bar',
          name: `baseline · ${a.against.name}`,
          data: a.projects.map((p) => p.npvBaseline),
          color: COLORS.againstInside,
        },
        {
          type: 'bar',
          name: `zone · ${a.scenario.name}`,
          data: a.projects.map((p) => p.npvZone),
          color: COLORS.scenarioInside,
        },
      ],
    },
    tooltip: 'money',
    valueUnit: 'USD',
  };
}

/** The efficient frontier: security against budget, the chosen budget marked. */
export function frontierChart(plan: PortfolioPlan): ChartSpec | null {
  // No budget buys any security on this measure: a flat line at zero says less than the note the page gives instead.
  if (plan.frontier.every((f) => !(f.objective > 0))) return null;
  return {
    option: {
      ...BASE,
      tooltip: { trigger: 'axis', confine: true },
      xAxis: { type: 'value', name: 'budget, USD', nameLocation: 'middle', nameGap: 28 },
      yAxis: {
        type: 'value',
        name: `security (${plan.security}), USD`,
        nameTextStyle: { align: 'left', fontWeight: 'bold' },
      },
      series: [
        {
          type: 'line',
          name: 'best portfolio',
          step: 'end',
          data: plan.frontier.map((f) => [f.budget, f.objective]),
          color: COLORS.scenarioInside,
          symbol: 'circle',
          symbolSize: 5,
        },
        {
          type: 'scatter',
          name: 'chosen budget',
          data: [[plan.budget, plan.objective]],
          color: COLORS.dominant,
          symbolSize: 12,
        },
      ],
    },
    tooltip: 'money',
    valueUnit: 'USD',
  };
}

/** Relative change in material cost per unit of each good, year by year. */
export function downstreamChart(costs: readonly DownstreamCost[]): ChartSpec | null {
  const years = costs[0]?.years.map((y) => String(y.year)) ?? [];
  if (years.length === 0) return null;
  return {
    option: {
      ...BASE,
      tooltip: { trigger: 'axis', confine: true },
      xAxis: { type: 'category', data: years, name: 'year', nameLocation: 'middle', nameGap: 28 },
      yAxis: {
        type: 'value',
        name: 'change in material cost, %',
        nameTextStyle: { align: 'left', fontWeight: 'bold' },
      },
      series: costs.map((c) => ({
        type: 'line' as const,
        name: `${c.good} (per ${c.per})`,
        data: c.years.map((y) => (y.relative === null ? null : Number((y.relative * 100).toFixed(3)))),
        symbol: 'circle',
        symbolSize: 4,
      })),
    },
    tooltip: 'number',
    valueUnit: '%',
  };
}

function figure(id: string, title: string, note: string, spec: ChartSpec | null): string {
  return spec
    ? `<figure class="wide"><figcaption>${esc(title)}<small>${esc(note)}</small></figcaption><div class="chart" data-chart="${esc(id)}" role="img" aria-label="${esc(title)}"></div></figure>`
    : '';
}

function projectTable(a: ProjectAppraisals): string {
  const rows = a.projects.map(
    (p) => `<tr>
<td class="name">${esc(p.id)}<span class="vs">${esc(p.name)}</span></td>
<td>${esc(p.commodity)}</td><td>${esc(p.country)}${p.member ? ' (member)' : ''}</td><td>${esc(p.status)}</td>
<td class="num">${p.onlineYear}</td>
<td class="num">${formatUsd(p.npvBaseline)}</td><td class="num">${formatUsd(p.npvZone)}</td>
<td class="num">${formatShare(p.irrBaseline)}</td><td class="num">${formatShare(p.irrZone)}</td>
<td class="num">${p.incentivePrice === null ? '–' : formatNumber(p.incentivePrice)}<span class="vs">${esc(p.priceUnit)}</span></td>
<td class="num">${formatUsd(p.cfdPayments)}</td>
<td class="num">${p.bankableWithoutSupport ? 'none' : formatUsd(p.supportCost)}</td>
<td class="num">${formatUsd(p.security.consumptionLostAvoided)}</td>
<td class="num">${p.security.selfSufficiency?.gain == null ? '–' : `${formatNumber(p.security.selfSufficiency.gain * 100, 1)} pt`}</td>
</tr>`,
  );
  // The key to the table above it, not as its caption: a wide table scrolls in its box, and a caption with it.
  return `<p class="note">Money in USD at each project's decision year (real, discounted at ${(a.costOfCapital * 100).toFixed(1)}%). NPV baseline: on the prices of ${esc(a.against.name)}; NPV zone: on those of ${esc(a.scenario.name)} with its CfDs. Support: CfD payments plus any viability gap ('none' when bankable at zone prices without support). Lost avoided: fall in the bloc's lost consumption on the project's chain, summed over the years.</p>
<div class="table-wrap"><table class="projects">
<thead class="wrap"><tr><th scope="col">Project</th><th scope="col">Commodity</th><th scope="col">Host</th><th scope="col">Status</th><th scope="col" class="num">Online</th><th scope="col" class="num">NPV baseline</th><th scope="col" class="num">NPV zone</th><th scope="col" class="num">IRR baseline</th><th scope="col" class="num">IRR zone</th><th scope="col" class="num">Incentive price (NPV zero)</th><th scope="col" class="num">CfD payments</th><th scope="col" class="num">Support</th><th scope="col" class="num">Lost avoided</th><th scope="col" class="num">Self-sufficiency</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>${
    a.notValued.length > 0
      ? `<p class="note">Not valued: ${a.notValued.map((n) => `${esc(n.id)} (${esc(n.reason)})`).join('; ')}.</p>`
      : ''
  }`;
}

function decisionTable(plan: PortfolioPlan): string {
  const rows = [...plan.decisions]
    .sort(
      (x, y) => Number(y.selected) - Number(x.selected) || (y.securityPerDollar ?? -1) - (x.securityPerDollar ?? -1),
    )
    .map(
      (
        d,
      ) => `<tr${d.selected ? ' class="focus"' : ''}><td class="name">${esc(d.id)}</td><td>${d.selected ? 'backed' : 'out'}</td><td>${esc(d.chain)}</td><td>${esc(d.region)}</td>
<td class="num">${formatUsd(d.cost)}</td><td class="num">${formatUsd(d.security)}</td><td class="num">${formatNumber(d.securityPerDollar, 2)}</td>
<td class="text"><b>${esc(d.reason)}</b>: ${esc(d.detail)}</td></tr>`,
    );
  return `<div class="table-wrap"><table class="portfolio">
<caption>Cost: ${esc(plan.basisDefinition)}. Security: ${esc(plan.securityDefinition)}.</caption>
<thead><tr><th scope="col">Project</th><th scope="col">Decision</th><th scope="col">Mineral</th><th scope="col">Host</th><th scope="col" class="num">Cost</th><th scope="col" class="num">Security</th><th scope="col" class="num">Per dollar</th><th scope="col">Why</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

function downstreamTable(costs: readonly DownstreamCost[]): string {
  const rows = costs.map((c) => {
    const peak = c.peak;
    return `<tr><td class="name">${esc(c.good)}<span class="vs">${esc(c.name)}</span></td><td>${esc(c.per)}</td>
<td class="num">${formatNumber(c.meanChange, 2)}</td>
<td class="num">${peak ? `${formatNumber(peak.change, 2)} (${peak.year})` : '–'}</td>
<td class="num">${formatShare(peak?.relative)}</td>
<td class="text">${c.materials.map((m) => `${esc(m.stated)} ${esc(m.commodity)}: ${formatNumber(m.meanChange, 2)}`).join('; ')}</td></tr>`;
  });
  return `<div class="table-wrap"><table class="downstream">
<caption>USD per unit of the good, at the bloc's prices; mean over the years and the year of the largest change. Material intensities from data/intensities.csv.</caption>
<thead><tr><th scope="col">Good</th><th scope="col">Per</th><th scope="col" class="num">Mean change, USD</th><th scope="col" class="num">Peak change, USD (year)</th><th scope="col" class="num">Peak, %</th><th scope="col">By material (mean change, USD)</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

/** The sections for writeReport's `sections` option. */
export function projectReportSections(input: ProjectReportInput): ReportSection[] {
  const { appraisals: a, plan, downstream } = input;
  const sections: ReportSection[] = [];
  const npv = npvChart(a);
  const charts: Record<string, ChartSpec> = {};
  if (npv) charts['projects-npv'] = npv;
  const frontier = plan ? frontierChart(plan) : null;
  if (frontier) charts['projects-frontier'] = frontier;
  const portfolio = plan
    ? `<h3>Portfolio under a budget of ${esc(formatUsd(plan.budget))}</h3>
<p class="facts">${
        plan.selected.length > 0
          ? `Back ${esc(counted(plan.selected.length, 'project'))} (${esc(plan.selected.join(', '))}) for ${esc(formatUsd(plan.totalCost))}, securing ${esc(formatUsd(plan.objective))}.`
          : `Back no project under this budget (${esc(formatUsd(plan.budget))} unspent).`
      } Projects bankable without support need no backing: ${esc(plan.bankable.join(', ') || 'none')}.</p>
${
  frontier
    ? figure(
        'projects-frontier',
        'Efficient frontier',
        'the most security each budget buys (MILP re-solved over a grid of budgets); the dot: the chosen budget',
        frontier,
      )
    : `<p class="note">No budget up to ${esc(formatUsd(plan.budget))} buys security on this measure: the efficient frontier is zero throughout.</p>`
}
${decisionTable(plan)}`
    : '';
  sections.push({
    id: 'projects',
    title: 'Projects',
    html: `<section id="projects" data-extra>
<h2>Projects: ${esc(a.scenario.name)} against ${esc(a.against.name)}</h2>
<p class="facts">${a.projects.length} projects appraised; backing decisions in ${a.analysisYear} unless under construction. Their numbers are also in <code>projects.json</code> and <code>projects.csv</code> beside this file.</p>
${figure('projects-npv', 'NPV on the baseline and the zone price paths', 'USD at each project’s decision year', npv)}
${projectTable(a)}
${portfolio}
</section>`,
    charts,
  });
  if (downstream && downstream.length > 0) {
    const chart = downstreamChart(downstream);
    sections.push({
      id: 'downstream',
      title: 'Downstream cost',
      html: `<section id="downstream" data-extra>
<h2>Material cost of downstream goods</h2>
${figure('downstream-change', 'Change in material cost per unit', 'scenario against the run compared with, % of the material cost', chart)}
${downstreamTable(downstream)}
</section>`,
      charts: chart ? { 'downstream-change': chart } : {},
    });
  }
  return sections;
}
