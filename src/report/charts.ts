/**
 * The report's charts as Apache ECharts options: plain JSON built here from the results, so the page only has to
 * hand them to echarts.setOption (and tests can read every number a chart shows). One function per chart.
 */
import type { BarSeriesOption, EChartsOption, LineSeriesOption } from 'echarts';
import { quantileSorted } from '../ensemble/summary.ts';
import { type CommodityYear, type CostCurve, type CostStep, NEGLIGIBLE_SUPPLY } from '../simulate/result.ts';
import { type ReportView, ROLES, type Role, runName, series, type WelfareView } from './view.ts';

/** How the page formats the numbers a tooltip shows. */
/** How a chart's values read: plain numbers, money (compact: 40 M), a cost curve's steps, or shares (0–1) as %. */
export type TooltipKind = 'number' | 'money' | 'costCurve' | 'share';

/** A cost-curve step as the tooltip shows it: where it starts and ends on the cumulative-capacity axis. */
export interface PlacedStep extends CostStep {
  readonly from: number;
  readonly to: number;
}

export interface ChartSpec {
  readonly option: EChartsOption;
  readonly tooltip: TooltipKind;
  /** For a cost curve: its steps, for the tooltip. */
  readonly steps?: readonly PlacedStep[];
  readonly unit?: string;
  readonly priceUnit?: string;
  /**
   * The unit every value in the tooltip carries ('USD' is written before a money value, any other unit after a
   * number); seriesUnits overrides it series by series (by index in option.series), for a chart with two axes.
   */
  readonly valueUnit?: string;
  readonly seriesUnits?: readonly (string | null)[];
  /** By series: −1 where a value is drawn with its sign turned (a cost below zero); the tooltip gives it as it is. */
  readonly seriesSigns?: readonly number[];
}

export const COLORS = {
  scenarioInside: '#1f5fa8',
  scenarioOutside: '#86b4e3',
  againstInside: '#c25e12',
  againstOutside: '#efb07a',
  reference: '#2b2b2b',
  bloc: '#2e8b57',
  stocks: '#8c6bb1',
  dominant: '#c0392b',
  other: '#8a8f98',
  levy: '#2e8b57',
  cfd: '#c0392b',
  stockNet: '#8c6bb1',
  blocUse: '#1f5fa8',
  consumerSurplus: '#1f5fa8',
  producerSurplus: '#e0a126',
  governmentRevenue: '#2e8b57',
  quotaRents: '#8c6bb1',
  welfareTotal: '#2b2b2b',
} as const;

/**
 * Exporters' colours, in order of volume: sixteen, clear of the bloc's green, the stocks' purple and the dominant
 * supplier's red, so that a chart's origins (rare earths reach a dozen) do not share one.
 */
const ORIGIN_PALETTE = [
  '#4e79a7',
  '#e0a126',
  '#76b7b2',
  '#9c755f',
  '#d37295',
  '#59a1cf',
  '#b6992d',
  '#79706e',
  '#a0cbe8',
  '#ffbe7d',
  '#f1ce63',
  '#499894',
  '#ff9d9a',
  '#d4a6c8',
  '#bab0ac',
  '#86bcb6',
];

const GRID = { left: 12, right: 20, top: 64, bottom: 12 };
const YEAR_AXIS_NAME = 'year';

/** The 'round' multiples of a power of ten that axis bounds are drawn from. */
const NICE_STEPS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/** The smallest 'round' number at or above x (one of NICE_STEPS × a power of ten). */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 0;
  const power = 10 ** Math.floor(Math.log10(x));
  for (const m of NICE_STEPS) {
    const v = m * power;
    if (v >= x * (1 - 1e-12)) return Number(v.toPrecision(12));
  }
  return 10 * power;
}

function yearAxis(view: ReportView, boundaryGap: boolean): EChartsOption['xAxis'] {
  return {
    type: 'category',
    data: view.years.map(String),
    name: YEAR_AXIS_NAME,
    nameLocation: 'middle',
    nameGap: 28,
    boundaryGap,
  };
}

function valueAxis(name: string, extra: Record<string, unknown> = {}): EChartsOption['yAxis'] {
  return {
    type: 'value',
    name,
    nameLocation: 'end',
    nameTextStyle: { align: 'left', fontWeight: 'bold' },
    ...extra,
  };
}

/** A legend that draws the named series (areas, blocks) as filled squares rather than as lines. */
function legendWithBoxes(series: readonly { name?: unknown }[], boxes: ReadonlySet<string>): EChartsOption['legend'] {
  const names = [...new Set(series.map((s) => String(s.name ?? '')))].filter((n) => n !== '');
  return {
    ...(base().legend as object),
    data: names.map((name) => (boxes.has(name) ? { name, icon: 'rect' } : { name })),
  };
}

function base(): EChartsOption {
  return {
    animation: false,
    textStyle: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
    grid: GRID,
    legend: { top: 0, left: 0, itemGap: 10, textStyle: { fontSize: 12 } },
    tooltip: { trigger: 'axis', confine: true },
  };
}

/**
 * Where the two runs' lines coincide (years before a scenario departs from the run it is compared with), the
 * scenario's is drawn over the other's, not hidden under it (ECharts draws later series on top at equal z, 2).
 */
export function onTop(role: Role): number {
  return role === 'scenario' ? 3 : 2;
}

/** Price inside and outside the zone for both runs, and the reference price dashed. */
export function priceChart(view: ReportView, k: string): ChartSpec {
  const { priceUnit } = view.units(k);
  const colours = {
    scenario: [COLORS.scenarioInside, COLORS.scenarioOutside],
    against: [COLORS.againstInside, COLORS.againstOutside],
  };
  const lines: LineSeriesOption[] = [];
  for (const role of ROLES) {
    const [inside, outside] = colours[role];
    lines.push(
      {
        type: 'line',
        name: `inside · ${runName(view, role)}`,
        data: series(view, role, k, (c) => c.priceInside),
        color: inside,
        z: onTop(role),
        lineStyle: { width: 2.5 },
        symbol: 'circle',
        symbolSize: 5,
      },
      {
        type: 'line',
        name: `outside · ${runName(view, role)}`,
        data: series(view, role, k, (c) => c.priceOutside),
        color: outside,
        z: onTop(role),
        lineStyle: { width: 1.5 },
        symbol: 'triangle',
        symbolSize: 6,
      },
    );
  }
  const references = ROLES.map((role) => ({ role, data: series(view, role, k, (c) => c.referencePrice) })).filter((r) =>
    r.data.some((v) => v !== null),
  );
  const same =
    references.length === 2 && references[0]?.data.every((v, i) => v === null || v === references[1]?.data[i]);
  for (const r of same ? references.slice(0, 1) : references) {
    lines.push({
      type: 'line',
      name: references.length === 1 || same ? 'reference price' : `reference price · ${runName(view, r.role)}`,
      data: r.data,
      color: COLORS.reference,
      lineStyle: { width: 1.5, type: r.role === 'scenario' ? 'dashed' : 'dotted' },
      symbol: view.years.length === 1 ? 'rect' : 'none',
      step: 'end',
    });
  }
  return {
    option: {
      ...base(),
      xAxis: yearAxis(view, false),
      yAxis: valueAxis(priceUnit, priceAxisRange(lines)),
      series: lines,
    },
    tooltip: 'number',
    priceUnit,
    valueUnit: priceUnit,
  };
}

/** Where the bloc's supply comes from: 'bloc' (own production), exporters, 'stocks' (releases). */
export function originLabel(region: string, dominant: string): string {
  if (region === 'bloc') return 'bloc production';
  if (region === 'stocks') return 'stock releases';
  return region === dominant ? `${region} (dominant supplier)` : region;
}

/** Origins of bloc supply over both runs: the bloc first, exporters by volume, stock releases last. */
export function supplyOrigins(view: ReportView, k: string): string[] {
  const volume = new Map<string, number>();
  for (const role of ROLES) {
    for (const year of view.years) {
      for (const o of view.cell(role, year, k)?.supplyByOrigin ?? []) {
        volume.set(o.region, (volume.get(o.region) ?? 0) + o.quantity);
      }
    }
  }
  const rank = (r: string) => (r === 'bloc' ? 0 : r === 'stocks' ? 2 : 1);
  return [...volume.keys()].sort(
    (a, b) => rank(a) - rank(b) || (volume.get(b) ?? 0) - (volume.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0),
  );
}

function originColours(origins: readonly string[], dominant: string): Map<string, string> {
  const colours = new Map<string, string>();
  let next = 0;
  for (const o of origins) {
    if (o === 'bloc') colours.set(o, COLORS.bloc);
    else if (o === 'stocks') colours.set(o, COLORS.stocks);
    else if (o === dominant) colours.set(o, COLORS.dominant);
    else colours.set(o, ORIGIN_PALETTE[next++ % ORIGIN_PALETTE.length] ?? COLORS.other);
  }
  return colours;
}

function supplyOf(c: CommodityYear | undefined, region: string): number | null {
  if (!c) return null;
  const q = c.supplyByOrigin.filter((o) => o.region === region).reduce((s, o) => s + o.quantity, 0);
  return Math.abs(q) <= NEGLIGIBLE_SUPPLY * c.production ? 0 : q;
}

/**
 * The price axis: zoomed to the data (prices seldom start near zero), unless the data are flat to a millionth, where
 * zooming would spread rounding over the whole axis (one price repeated as every tick): then ±5% around them.
 */
function priceAxisRange(lines: readonly LineSeriesOption[]): Record<string, unknown> {
  const values = lines.flatMap((l) => (l.data as (number | null)[]).filter((v): v is number => Number.isFinite(v)));
  if (values.length === 0) return { scale: true };
  const low = Math.min(...values);
  const high = Math.max(...values);
  if (high - low > 1e-6 * Math.max(Math.abs(low), Math.abs(high))) return { scale: true };
  const span = Math.max(Math.abs(high) * 0.05, 1e-9);
  return { min: Math.max(0, niceFloor(low - span)), max: niceCeil(high + span) };
}

/** The largest 'round' number at or below x ≥ 0 (as niceCeil, downwards). */
export function niceFloor(x: number): number {
  if (!(x > 0)) return 0;
  const power = 10 ** Math.floor(Math.log10(x));
  let best = power;
  for (const m of NICE_STEPS) if (m * power <= x * (1 + 1e-12)) best = m * power;
  // 1.2 × 0.1 is 0.12000000000000001 in binary: an axis bound prints as the decimal it stands for.
  return Number(best.toPrecision(12));
}

/** Bloc supply by origin, stacked, for one run; both runs' charts share the same vertical scale. */
export function supplyChart(view: ReportView, k: string, role: Role): ChartSpec {
  const { unit } = view.units(k);
  const dominant = view.run('scenario').dominantSupplier;
  const origins = supplyOrigins(view, k);
  const colours = originColours(origins, dominant);
  let max = 0;
  for (const r of ROLES) {
    for (const year of view.years) {
      const c = view.cell(r, year, k);
      if (c) {
        const total = c.supplyByOrigin.reduce((s, o) => s + o.quantity, 0);
        if (total > NEGLIGIBLE_SUPPLY * c.production) max = Math.max(max, total);
      }
    }
  }
  const lines: LineSeriesOption[] = origins.map((o) => ({
    type: 'line',
    name: originLabel(o, dominant),
    stack: 'supply',
    data: view.years.map((year) => supplyOf(view.cell(role, year, k), o)),
    color: colours.get(o) ?? COLORS.other,
    areaStyle: { opacity: 0.85 },
    lineStyle: { width: 0.8 },
    // A single year has no line or area to draw: its points, then.
    symbol: view.years.length === 1 ? 'circle' : 'none',
    symbolSize: 9,
  }));
  return {
    option: {
      ...base(),
      legend: legendWithBoxes(lines, new Set(lines.map((l) => String(l.name)))),
      xAxis: yearAxis(view, false),
      yAxis: valueAxis(`${unit} per year`, max > 0 ? { max: niceCeil(max), min: 0 } : { min: 0 }),
      series: lines,
    },
    tooltip: 'number',
    unit,
    valueUnit: unit,
  };
}

/**
 * The top of the days-of-cover axis where a year's days would flatten the others: holdings over net imports near zero
 * (the bloc all but self-sufficient that year) run to thousands of days, where the others are tens. Above three times
 * the median of the positive values, and above a year, the axis stops (rounded up), and those years are marked at its
 * top with their value; otherwise undefined (the axis fits the data).
 */
export function coverAxisCap(values: readonly (number | null)[]): number | undefined {
  const positive = values.filter((v): v is number => v !== null && v > 0).sort((a, b) => a - b);
  if (positive.length === 0) return undefined;
  const cap = niceCeil(Math.max(365, 3 * quantileSorted(positive, positive.length, 0.5)));
  return (positive.at(-1) as number) > cap ? cap : undefined;
}

/**
 * Bloc stock holdings (bars, left axis) and days of cover (lines, right axis) for both runs; null where neither run
 * stockpiles k nor holds any (a stockpile that holds nothing is charted: its 0 days are the point).
 */
export function stockChart(view: ReportView, k: string): ChartSpec | null {
  const { unit } = view.units(k);
  const held = ROLES.some((role) =>
    view.years.some((y) => {
      const c = view.cell(role, y, k);
      return c !== undefined && (c.stockpiled === true || c.stock !== 0);
    }),
  );
  if (!held) return null;
  const bars: BarSeriesOption[] = ROLES.map((role) => ({
    type: 'bar',
    name: `stock · ${runName(view, role)}`,
    data: series(view, role, k, (c) => c.stock),
    color: role === 'scenario' ? COLORS.scenarioOutside : COLORS.againstOutside,
    barMaxWidth: 18,
  }));
  const cover = ROLES.map((role) => series(view, role, k, (c) => c.daysOfCover));
  const cap = coverAxisCap(cover.flat());
  const years = view.years.map(String);
  const lines: LineSeriesOption[] = ROLES.map((role, r) => ({
    type: 'line',
    name: `days of cover · ${runName(view, role)}`,
    data: cover[r] as (number | null)[],
    color: role === 'scenario' ? COLORS.scenarioInside : COLORS.againstInside,
    yAxisIndex: 1,
    lineStyle: { width: 2, type: role === 'scenario' ? 'solid' : 'dashed' },
    symbol: 'circle',
    symbolSize: 5,
    // A year off the scale is drawn at its top, with its value.
    ...(cap === undefined
      ? {}
      : {
          markPoint: {
            symbol: 'triangle',
            symbolSize: 9,
            label: { position: 'top', fontSize: 11, formatter: '{b}' },
            data: (cover[r] as (number | null)[]).flatMap((v, i) =>
              v !== null && v > cap
                ? [{ name: `${Math.round(v).toLocaleString('en-US')} d`, coord: [years[i] as string, cap], value: v }]
                : [],
            ),
          },
        }),
  }));
  return {
    option: {
      ...base(),
      xAxis: yearAxis(view, true),
      yAxis: [
        valueAxis(`stock, ${unit}`, { min: 0 }) as object,
        valueAxis('days of cover', {
          min: 0,
          ...(cap === undefined ? {} : { max: cap }),
          position: 'right',
          splitLine: { show: false },
          nameTextStyle: { align: 'right', fontWeight: 'bold' },
        }) as object,
      ],
      series: [...bars, ...lines],
    },
    tooltip: 'number',
    unit,
    seriesUnits: [...bars.map(() => unit), ...lines.map(() => 'days')],
  };
}

/** Fiscal flows of one year: levy revenue (in), CfD payments and net stockpile spending (out), USD. */
export interface FiscalYear {
  readonly levyRevenue: number;
  readonly cfdCost: number;
  readonly stockNetCost: number;
}

/**
 * Fiscal flows per year for both runs, one stacked bar per run: revenue above zero, costs below (a net stock
 * release, a negative cost, shows above zero as the receipts it is).
 */
export function fiscalChart(
  view: ReportView,
  flows: (role: Role, year: number) => FiscalYear | null,
): ChartSpec | null {
  const metrics = [
    { key: 'levyRevenue', label: 'levy revenue', colour: COLORS.levy, sign: 1 },
    { key: 'cfdCost', label: 'CfD cost', colour: COLORS.cfd, sign: -1 },
    { key: 'stockNetCost', label: 'stockpile net cost', colour: COLORS.stockNet, sign: -1 },
  ] as const;
  const any = ROLES.some((role) =>
    view.years.some((year) => {
      const f = flows(role, year);
      return f !== null && metrics.some((m) => f[m.key] !== 0);
    }),
  );
  if (!any) return null;
  const bars: BarSeriesOption[] = [];
  const signs: number[] = [];
  for (const role of ROLES) {
    for (const m of metrics) {
      const data = view.years.map((year) => {
        const f = flows(role, year);
        return f === null ? null : m.sign * f[m.key] || 0;
      });
      // A flow that is zero every year would only crowd the legend.
      if (data.every((v) => v === null || v === 0)) continue;
      bars.push({
        type: 'bar',
        name: `${m.label} · ${runName(view, role)}`,
        stack: role,
        data,
        color: m.colour,
        itemStyle: role === 'scenario' ? {} : { opacity: 0.4, borderColor: m.colour, borderWidth: 1 },
        barMaxWidth: 16,
      });
      signs.push(m.sign);
    }
  }
  return {
    option: {
      ...base(),
      xAxis: yearAxis(view, true),
      yAxis: valueAxis('USD per year (revenue +, cost −)'),
      series: bars,
    },
    tooltip: 'money',
    valueUnit: 'USD',
    // Costs are drawn below zero; the tooltip gives them as the tables do (a cost of 61 M, not −61 M).
    seriesSigns: signs,
  };
}

/** Fiscal flows of one commodity. */
export function commodityFiscalChart(view: ReportView, k: string): ChartSpec | null {
  return fiscalChart(view, (role, year) => view.cell(role, year, k) ?? null);
}

/** The bloc's fiscal flows summed over commodities. */
export function totalFiscalChart(view: ReportView): ChartSpec | null {
  return fiscalChart(view, (role, year) => view.year(role, year)?.totals ?? null);
}

/** Bloc consumers' spending per year, both runs. */
export function consumerCostChart(view: ReportView): ChartSpec {
  const lines: LineSeriesOption[] = ROLES.map((role) => ({
    type: 'line',
    name: `consumer spending · ${runName(view, role)}`,
    data: view.years.map((year) => view.year(role, year)?.totals.consumerCost ?? null),
    color: role === 'scenario' ? COLORS.scenarioInside : COLORS.againstInside,
    z: onTop(role),
    lineStyle: { width: 2.5 },
    symbol: 'circle',
    symbolSize: 5,
  }));
  return {
    option: {
      ...base(),
      xAxis: yearAxis(view, false),
      yAxis: valueAxis('USD per year', { scale: true }),
      series: lines,
    },
    tooltip: 'money',
    valueUnit: 'USD',
  };
}

/** The cost curve the report shows for a commodity: the scenario's earliest, else the other run's. */
export function costCurveFor(view: ReportView, k: string): { curve: CostCurve; role: Role } | null {
  for (const role of ROLES) {
    const curves = view
      .run(role)
      .costCurves.filter((c) => c.commodity === k)
      .sort((a, b) => a.year - b.year);
    if (curves[0]) return { curve: curves[0], role };
  }
  return null;
}

type StepClass = 'member' | 'dominant' | 'other';

function stepClass(s: CostStep): StepClass {
  return s.dominant ? 'dominant' : s.member ? 'member' : 'other';
}

/**
 * The cost curve as a step chart: each producer or project a block as wide as its capacity and as high as its
 * cost, placed by cumulative capacity; members, the dominant supplier and others in different colours (projects
 * paler, at their incentive price); a vertical line at bloc use and a horizontal one at the reference price.
 */
export function costCurveChart(view: ReportView, k: string): ChartSpec | null {
  const found = costCurveFor(view, k);
  if (!found) return null;
  const { curve } = found;
  const dominant = view.run('scenario').dominantSupplier;
  const placed: PlacedStep[] = [];
  let x = 0;
  for (const s of [...curve.steps].sort((a, b) => a.cost - b.cost)) {
    placed.push({ ...s, from: x, to: x + s.capacity });
    x += s.capacity;
  }
  const classes: { cls: StepClass; kind: CostStep['kind']; label: string; colour: string }[] = [];
  for (const cls of ['member', 'dominant', 'other'] as const) {
    for (const kind of ['producer', 'project'] as const) {
      const who = cls === 'member' ? 'members' : cls === 'dominant' ? `${dominant} (dominant supplier)` : 'others';
      const colour = cls === 'member' ? COLORS.bloc : cls === 'dominant' ? COLORS.dominant : COLORS.other;
      classes.push({ cls, kind, label: kind === 'producer' ? who : `${who} · projects (incentive price)`, colour });
    }
  }
  const blocks: LineSeriesOption[] = [];
  for (const c of classes) {
    const steps = placed.filter((s) => stepClass(s) === c.cls && s.kind === c.kind);
    if (steps.length === 0) continue;
    const data: (LineSeriesOption['data'] & unknown[])[number][] = [];
    for (const s of steps) {
      data.push([s.from, 0], [s.from, s.cost], [s.to, s.cost], [s.to, 0], null);
    }
    blocks.push({
      type: 'line',
      name: c.label,
      data,
      color: c.colour,
      lineStyle: { width: 1, type: c.kind === 'project' ? 'dashed' : 'solid' },
      areaStyle: { opacity: c.kind === 'project' ? 0.25 : 0.7 },
      itemStyle: { opacity: c.kind === 'project' ? 0.35 : 0.8 },
      symbol: 'none',
      connectNulls: false,
    });
  }
  const maxCost = Math.max(0, ...placed.map((s) => s.cost), curve.referencePrice ?? 0);
  const xMax = niceCeil(Math.max(x, curve.blocUse) * 1.02);
  const markers: LineSeriesOption[] = [
    {
      type: 'line',
      name: 'bloc use',
      data: [],
      color: COLORS.blocUse,
      lineStyle: { type: 'dashed', width: 2 },
      symbol: 'none',
      markLine: {
        silent: true,
        symbol: 'none',
        lineStyle: { color: COLORS.blocUse, type: 'dashed', width: 2 },
        label: { formatter: 'bloc use', position: 'insideEndTop', color: COLORS.blocUse },
        data: [{ xAxis: curve.blocUse }],
      },
    },
  ];
  if (curve.referencePrice !== null) {
    markers.push({
      type: 'line',
      name: 'reference price',
      data: [],
      color: COLORS.reference,
      lineStyle: { type: 'dashed', width: 2 },
      symbol: 'none',
      markLine: {
        silent: true,
        symbol: 'none',
        lineStyle: { color: COLORS.reference, type: 'dashed', width: 2 },
        label: { formatter: 'reference price', position: 'insideEndTop', color: COLORS.reference },
        data: [{ yAxis: curve.referencePrice }],
      },
    });
  }
  return {
    option: {
      ...base(),
      tooltip: { trigger: 'axis', confine: true, axisPointer: { type: 'line' } },
      legend: legendWithBoxes([...blocks, ...markers], new Set(blocks.map((b) => String(b.name)))),
      xAxis: {
        type: 'value',
        name: `cumulative capacity, ${curve.unit} per year`,
        nameLocation: 'middle',
        nameGap: 28,
        min: 0,
        max: xMax,
      },
      yAxis: valueAxis(curve.priceUnit, { min: 0, max: niceCeil(maxCost * 1.05) }),
      series: [...blocks, ...markers],
    },
    tooltip: 'costCurve',
    steps: placed,
    unit: curve.unit,
    priceUnit: curve.priceUnit,
  };
}

/**
 * The bloc's welfare change against the other run, per year: its components as bars stacked by sign (gains above
 * zero, losses below) and the total change as a line; USD per year. A year whose consumer surplus is null (a demand
 * curve without a finite surplus) has no bar for it and no total. Null where the bloc has no region (no zone).
 */
export function welfareChart(view: ReportView, welfare: WelfareView): ChartSpec | null {
  if (welfare.members.length === 0) return null;
  const parts = [
    { key: 'consumerSurplus', label: 'consumer surplus', colour: COLORS.consumerSurplus },
    { key: 'producerSurplus', label: 'producer surplus', colour: COLORS.producerSurplus },
    { key: 'governmentRevenue', label: 'government revenue', colour: COLORS.governmentRevenue },
    { key: 'quotaRents', label: 'quota rents', colour: COLORS.quotaRents },
  ] as const;
  const at = new Map(welfare.years.map((y, i) => [y, i]));
  const values = (key: (typeof parts)[number]['key'] | 'total') =>
    view.years.map((y) => {
      const i = at.get(y);
      return i === undefined ? null : (welfare.bloc.byYear[i]?.[key] ?? null);
    });
  const bars: BarSeriesOption[] = parts
    .map((p) => ({ p, data: values(p.key) }))
    // A component that never changes (quota rents of an importing bloc) would only crowd the legend.
    .filter(({ data }) => data.some((v) => v !== null && v !== 0))
    .map(({ p, data }) => ({
      type: 'bar',
      name: p.label,
      stack: 'change',
      data,
      color: p.colour,
      barMaxWidth: 22,
    }));
  const line: LineSeriesOption = {
    type: 'line',
    name: 'total change',
    data: values('total'),
    color: COLORS.welfareTotal,
    z: 4,
    lineStyle: { width: 2.5 },
    symbol: 'circle',
    symbolSize: 6,
  };
  const series = [...bars, line];
  return {
    option: {
      ...base(),
      legend: legendWithBoxes(series, new Set(bars.map((b) => String(b.name)))),
      xAxis: yearAxis(view, true),
      yAxis: valueAxis(`USD per year, change against ${runName(view, 'against')} (gain +, loss −)`),
      series,
    },
    tooltip: 'money',
    valueUnit: 'USD',
  };
}
