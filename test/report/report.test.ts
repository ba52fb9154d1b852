import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChartSpec } from '../../src/report/charts.ts';
import { formatUsd } from '../../src/report/format.ts';
import { defaultFocus, echartsBundle, ReportError, renderReport } from '../../src/report/index.ts';
import { commoditySummary, headlines, reportView } from '../../src/report/view.ts';
import type { Comparison } from '../../src/simulate/result.ts';
import { comparison, GALLIUM, NDPR, withValue, withWelfare, YEARS } from './fixture.ts';
import { attr, byId, type ParsedReport, parseReport, payloadOf, textOf, unscopedHeaders } from './html-helpers.ts';

const c = comparison();
const html = renderReport(c);
const parsed = parseReport(html);
const charts = payloadOf(parsed).charts;

/** The commodities' section keys: focus first (both are focus by default), in the scenario's order. */
const KEY: Record<string, string> = { [NDPR]: 'c0', [GALLIUM]: 'c1' };

interface SeriesLike {
  name: string;
  type: string;
  data: unknown[];
  stack?: string;
  markLine?: { data: Record<string, number>[] };
}
function seriesOf(spec: ChartSpec | undefined): SeriesLike[] {
  expect(spec, 'chart exists').toBeDefined();
  return (spec?.option.series ?? []) as SeriesLike[];
}
function named(spec: ChartSpec | undefined, name: string): SeriesLike {
  const s = seriesOf(spec).find((x) => x.name === name);
  expect(s, `series '${name}' in ${seriesOf(spec).map((x) => x.name)}`).toBeDefined();
  return s as SeriesLike;
}
function axisName(spec: ChartSpec | undefined, axis: 'xAxis' | 'yAxis', index = 0): string {
  const a = spec?.option[axis] as { name?: string } | { name?: string }[];
  return String((Array.isArray(a) ? a[index] : a)?.name ?? '');
}
const cell = (cmp: Comparison, role: 'scenario' | 'against', year: number, k: string) => {
  const found = cmp[role].years.find((y) => y.year === year)?.commodities.find((x) => x.commodity === k);
  if (!found) throw new Error(`no ${role} ${year} ${k}`);
  return found;
};
const column = (role: 'scenario' | 'against', k: string, pick: (x: ReturnType<typeof cell>) => number | null) =>
  YEARS.map((y) => pick(cell(c, role, y, k)));

describe('renderReport: a well-formed, self-contained, offline page', () => {
  it('parses as HTML5 without a single parse error', () => {
    expect(parsed.errors).toEqual([]);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(parsed.elements.filter((e) => e.tagName === 'title').map(textOf)).toEqual([
      'zone-2026-ban-2027 against ban-2027 · Lodestone report',
    ]);
  });

  it('says which column every table header heads (scope), for screen readers', () => {
    expect(parsed.elements.filter((e) => e.tagName === 'th').length).toBeGreaterThan(20);
    expect(unscopedHeaders(parsed)).toEqual([]);
    expect(unscopedHeaders(parseReport(renderReport(withWelfare())))).toEqual([]);
  });

  it('refers to nothing outside the file: no http(s) script, link, img, or any other URL', () => {
    const urlAttributes = ['src', 'href', 'srcset', 'action', 'formaction', 'poster', 'data', 'xlink:href', 'manifest'];
    for (const el of parsed.elements) {
      for (const a of el.attrs) {
        if (!urlAttributes.includes(a.name)) continue;
        expect(a.value, `<${el.tagName} ${a.name}>`).toMatch(/^#/);
      }
    }
    expect(parsed.elements.filter((e) => ['link', 'img', 'iframe', 'object', 'embed'].includes(e.tagName))).toEqual([]);
    const scripts = parsed.elements.filter((e) => e.tagName === 'script');
    expect(scripts.map((s) => attr(s, 'id'))).toEqual(['report-data', 'echarts-library', 'report-script']);
    for (const s of scripts) expect(attr(s, 'src')).toBeUndefined();
    expect(html).not.toMatch(/<(script|link|img|iframe|source)\b[^>]*\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    const css = parsed.elements
      .filter((e) => e.tagName === 'style')
      .map(textOf)
      .join('\n');
    expect(css.length).toBeGreaterThan(1000);
    expect(css).not.toMatch(/@import|url\(|@font-face/i);
  });

  it('inlines the Apache ECharts bundle from node_modules', () => {
    const { code, version } = echartsBundle();
    expect(code.length).toBeGreaterThan(300_000);
    expect(textOf(byId(parsed, 'echarts-library')).trim()).toBe(code.trim());
    expect(html).toContain(`Apache ECharts ${version}`);
    expect(textOf(byId(parsed, 'report-script'))).toContain('echarts.init(');
  });

  it('is deterministic: no clock, the same bytes every time unless generatedAt is passed', () => {
    vi.useFakeTimers();
    try {
      vi.setSystemTime(new Date('2031-07-01T12:00:00Z'));
      const later = renderReport(comparison());
      expect(later).toBe(html);
      expect(html).not.toMatch(/Generated/);
      const dated = renderReport(c, { generatedAt: '2026-03-02 09:15 UTC' });
      expect(dated).toContain('2026-03-02 09:15 UTC');
    } finally {
      vi.useRealTimers();
    }
  });

  it('escapes text from the results: a hostile name or note stays text', () => {
    const evil = '</script><script src="https://evil.example/x.js"></script><img src=x onerror=alert(1)>';
    const bad = withValue(withValue(c, ['scenario', 'scenario', 'name'], evil), ['scenario', 'notes', 0], evil);
    const p = parseReport(renderReport(bad));
    expect(p.errors).toEqual([]);
    expect(p.elements.filter((e) => e.tagName === 'img')).toEqual([]);
    expect(p.elements.filter((e) => e.tagName === 'script').length).toBe(3);
    expect(textOf(byId(p, 'notes'))).toContain(evil);
    // The chart data still parses and carries the name as the legend shows it.
    const prices = payloadOf(p).charts['c0-prices'];
    expect(seriesOf(prices).map((s) => s.name)).toContain(`inside · ${evil}`);
  });

  it('refuses non-finite numbers, naming the field', () => {
    const bad = withValue(c, ['scenario', 'years', 1, 'commodities', 0, 'priceInside'], Number.NaN);
    expect(() => renderReport(bad)).toThrow(ReportError);
    expect(() => renderReport(bad)).toThrow('comparison.scenario.years[1].commodities[0].priceInside is NaN');
  });
});

describe('renderReport: the data of every chart', () => {
  it('prices: inside and outside for both runs, and the reference price, in the price unit', () => {
    const spec = charts[`${KEY[NDPR]}-prices`];
    expect(axisName(spec, 'yAxis')).toBe('USD/t NdPr-oxide');
    expect(named(spec, 'inside · zone-2026-ban-2027').data).toEqual([95_000, 104_500.25, 97_100]);
    expect(named(spec, 'outside · zone-2026-ban-2027').data).toEqual(column('scenario', NDPR, (x) => x.priceOutside));
    expect(named(spec, 'inside · ban-2027').data).toEqual(column('against', NDPR, (x) => x.priceInside));
    expect(named(spec, 'outside · ban-2027').data).toEqual(column('against', NDPR, (x) => x.priceOutside));
    const ref = named(spec, 'reference price') as SeriesLike & { lineStyle: { type: string } };
    expect(ref.data).toEqual([95_000, 95_000, 95_000]);
    expect(ref.lineStyle.type).toBe('dashed');
    // Gallium has no reference price: four lines only.
    expect(seriesOf(charts[`${KEY[GALLIUM]}-prices`]).length).toBe(4);
    expect(axisName(charts[`${KEY[GALLIUM]}-prices`], 'yAxis')).toBe('USD/kg Ga');
  });

  it('supply by origin: one stacked area per origin, summing to what the bloc received, on a shared scale', () => {
    for (const k of [NDPR, GALLIUM]) {
      const maxes: unknown[] = [];
      for (const role of ['scenario', 'against'] as const) {
        const spec = charts[`${KEY[k]}-supply-${role}`];
        const series = seriesOf(spec);
        expect(series.every((s) => s.stack === 'supply' && s.type === 'line')).toBe(true);
        expect(series[0]?.name).toBe('bloc production');
        expect(axisName(spec, 'yAxis')).toBe(`${cell(c, role, 2026, k).unit} per year`);
        YEARS.forEach((year, i) => {
          const x = cell(c, role, year, k);
          const stacked = series.reduce((s, line) => s + Number(line.data[i] ?? 0), 0);
          expect(stacked).toBeCloseTo(
            x.supplyByOrigin.reduce((s, o) => s + o.quantity, 0),
            6,
          );
          expect(named(spec, 'CHN (dominant supplier)').data[i]).toBe(
            x.supplyByOrigin.find((o) => o.region === 'CHN')?.quantity ?? 0,
          );
        });
        maxes.push((spec?.option.yAxis as { max?: number } | undefined)?.max);
      }
      expect(maxes[0]).toBe(maxes[1]);
    }
    expect(named(charts[`${KEY[GALLIUM]}-supply-scenario`], 'stock releases').data).toEqual([0, 40_000, 0]);
  });

  it('stocks and days of cover, on two axes with units; none for a commodity nobody stockpiles', () => {
    const spec = charts[`${KEY[GALLIUM]}-stocks`];
    expect(axisName(spec, 'yAxis', 0)).toBe('stock, kg Ga');
    expect(axisName(spec, 'yAxis', 1)).toBe('days of cover');
    expect(named(spec, 'stock · zone-2026-ban-2027').data).toEqual([60_000, 20_000, 35_000]);
    expect(named(spec, 'days of cover · zone-2026-ban-2027').data).toEqual(
      column('scenario', GALLIUM, (x) => x.daysOfCover),
    );
    expect(named(spec, 'stock · ban-2027').data).toEqual([0, 0, 0]);
    expect(charts[`${KEY[NDPR]}-stocks`]).toBeUndefined();
    expect(textOf(byId(parsed, `commodity-${KEY[NDPR]}`))).toContain('No bloc stockpile of ndpr/oxide in either run.');
  });

  it('fiscal flows: levy revenue above zero, CfD and stockpile costs below, per run', () => {
    const spec = charts[`${KEY[NDPR]}-fiscal`];
    expect(axisName(spec, 'yAxis')).toMatch(/^USD per year/);
    expect(named(spec, 'levy revenue · zone-2026-ban-2027').data).toEqual(
      column('scenario', NDPR, (x) => x.levyRevenue),
    );
    expect(named(spec, 'CfD cost · zone-2026-ban-2027').data).toEqual([-61_000_000, 0, -12_500_000]);
    expect(named(spec, 'levy revenue · zone-2026-ban-2027').stack).toBe('scenario');
    const gallium = charts[`${KEY[GALLIUM]}-fiscal`];
    // Purchases are a cost (below zero), the 2027 release is net receipts (above zero).
    expect(named(gallium, 'stockpile net cost · zone-2026-ban-2027').data).toEqual(
      column('scenario', GALLIUM, (x) => -x.stockNetCost),
    );
    const totals = charts['summary-fiscal'];
    expect(named(totals, 'levy revenue · zone-2026-ban-2027').data).toEqual(
      c.scenario.years.map((y) => y.totals.levyRevenue),
    );
    expect(named(charts['summary-consumer'], 'consumer spending · ban-2027').data).toEqual(
      c.against.years.map((y) => y.totals.consumerCost),
    );
  });

  it('cost curve: blocks by cumulative capacity, coloured by who owns them, with bloc use and the reference price', () => {
    const spec = charts[`${KEY[NDPR]}-cost`];
    expect(axisName(spec, 'xAxis')).toBe('cumulative capacity, t NdPr-oxide per year');
    expect(axisName(spec, 'yAxis')).toBe('USD/t NdPr-oxide');
    expect(seriesOf(spec).map((s) => s.name)).toEqual([
      'members',
      'members · projects (incentive price)',
      'CHN (dominant supplier)',
      'others',
      'others · projects (incentive price)',
      'bloc use',
      'reference price',
    ]);
    // us-mountain-pass: 6,000 t at 61,000, after 92,000 t of cheaper capacity.
    expect(named(spec, 'members').data.slice(0, 5)).toEqual([
      [92_000, 0],
      [92_000, 61_000],
      [98_000, 61_000],
      [98_000, 0],
      null,
    ]);
    expect(named(spec, 'bloc use').markLine?.data).toEqual([{ xAxis: 27_400 }]);
    expect(named(spec, 'reference price').markLine?.data).toEqual([{ yAxis: 95_000 }]);
    const steps = spec?.steps ?? [];
    expect(steps.map((s) => s.id)).toEqual(c.scenario.costCurves[0]?.steps.map((s) => s.id));
    expect(steps[steps.length - 1]?.to).toBe(109_500);
    expect(charts[`${KEY[GALLIUM]}-cost`]).toBeUndefined();
  });
});

describe('renderReport: summary, tables, selector, notes', () => {
  it('headline numbers: sums over the horizon, lowest days of cover, largest peak-price change', () => {
    const view = reportView(c);
    const h = headlines(
      view,
      view.commodities.map((k) => commoditySummary(view, k)),
    );
    const sum = (role: 'scenario' | 'against', f: (t: Comparison['scenario']['years'][number]['totals']) => number) =>
      c[role].years.reduce((s, y) => s + f(y.totals), 0);
    expect(h.consumerCost).toEqual({
      scenario: sum('scenario', (t) => t.consumerCost),
      against: sum('against', (t) => t.consumerCost),
    });
    expect(h.levyRevenue.scenario).toBe(512_000_000 + 498_400_000.5 + 401_000_000);
    expect(h.cfdCost.scenario).toBe(73_500_000);
    expect(h.minDaysOfCover.scenario).toEqual({ commodity: GALLIUM, year: 2027, value: 20_000 / (213_000 / 365) });
    expect(h.largestPriceRise?.commodity).toBe(NDPR);
    expect(h.largestPriceRise?.peak).toEqual({
      scenario: { value: 104_500.25, year: 2027 },
      against: { value: 71_800, year: 2027 },
    });
    const summary = textOf(byId(parsed, 'summary'));
    expect(summary).toContain('+USD 1.91 bn');
    expect(summary).toContain(formatUsd(h.levyRevenue.scenario));
    expect(summary).toContain(formatUsd(h.cfdCost.scenario));
    expect(summary).toContain('34 days');
    expect(summary).toContain('+46%');
  });

  it('a per-year table of bloc totals with a row per year and a sum', () => {
    const table = parsed.elements.find((e) => e.tagName === 'table' && attr(e, 'class') === 'years');
    expect(table).toBeDefined();
    const rows = parseReport(html).elements.filter((e) => e.tagName === 'tr');
    expect(rows.length).toBeGreaterThan(0);
    const body = table && textOf(table);
    expect(body).toContain('USD million');
    // 2026 consumer spending: 2,405 (scenario) against 1,697; change +709 (USD million).
    expect(body).toMatch(/2026\s*2,405\s*1,697\s*\+709/);
    expect(body).toMatch(/Sum\s*7,722\s*5,815\s*\+1,907/);
  });

  it('a commodity selector: focus commodities first, the rest after, and several at once for printing', () => {
    const options = (p: ParsedReport) =>
      p.elements
        .filter((e) => e.tagName === 'option')
        .map((o) => [attr(o, 'value'), attr(o, 'selected') !== undefined]);
    expect(options(parsed)).toEqual([
      [NDPR, true],
      [GALLIUM, false],
      ['*focus', false],
      ['*all', false],
    ]);
    const focused = parseReport(renderReport(c, { focus: [GALLIUM] }));
    expect(options(focused)[0]).toEqual([GALLIUM, true]);
    const groups = focused.elements.filter((e) => e.tagName === 'optgroup').map((g) => attr(g, 'label'));
    expect(groups).toEqual(['Focus', 'Other commodities', 'Several at once (to print)']);
    // One section per commodity; only the selected one shows before the script runs.
    const articles = focused.elements.filter((e) => e.tagName === 'article');
    expect(articles.map((a) => [attr(a, 'data-commodity'), attr(a, 'hidden') !== undefined])).toEqual([
      [GALLIUM, false],
      [NDPR, true],
    ]);
    // Every chart placeholder has its data, and every chart is placed.
    const ids = focused.elements.filter((e) => attr(e, 'data-chart')).map((e) => attr(e, 'data-chart'));
    expect(new Set(ids)).toEqual(new Set(Object.keys(payloadOf(focused).charts)));
  });

  it('the default focus: a reference price, or a bloc price that moves more than 5%', () => {
    expect(defaultFocus(c)).toEqual([NDPR, GALLIUM]);
    const calm = structuredClone(c) as { against: Comparison['against']; scenario: Comparison['against'] };
    calm.scenario = structuredClone(c.against);
    expect(defaultFocus(calm)).toEqual([]);
    expect(() => renderReport(c, { focus: ['unobtainium/ingot'] })).toThrow(
      /focus commodity 'unobtainium\/ingot' not in the results \(known: ndpr\/oxide, gallium\/refined\)/,
    );
  });

  it('lists every note of both runs, and the events and projects by year', () => {
    const notes = textOf(byId(parsed, 'notes'));
    for (const n of c.scenario.notes) expect(notes).toContain(n);
    expect(notes).toContain('No notes.');
    const timeline = textOf(byId(parsed, 'timeline'));
    expect(timeline).toContain('CHN bans exports of gallium/refined to members');
    expect(timeline).toContain(
      'us-fort-worth (ndpr/oxide, USA): backed, 4,000 t NdPr-oxide/yr, entry price 88,000 USD/t NdPr-oxide before inputs',
    );
  });
});

describe('open prices', () => {
  it('a section only where a run sought them: per year the levy revenue, its range and the open prices that matter', () => {
    // Without `simulate --open-prices` the certificates carry none: no section, no link.
    expect(parsed.elements.some((e) => attr(e, 'id') === 'open-prices')).toBe(false);
    const open = structuredClone(c) as { scenario: Comparison['scenario']; against: Comparison['against'] };
    const first = open.scenario.years[0] as Comparison['scenario']['years'][number];
    const withOpen = (
      y: Comparison['scenario']['years'][number],
      range: { low: number; high: number },
      prices: unknown[],
    ) =>
      Object.assign(y, {
        certificate: {
          ...y.certificate,
          openPrices: prices,
          levyRevenueRange: { value: y.totals.levyRevenue, ...range },
        },
      });
    const base = { price: 500, earned: 500, earnedLow: 100, earnedHigh: 490, bought: false, sold: true, levied: true };
    withOpen(first, { low: first.totals.levyRevenue, high: first.totals.levyRevenue + 2e6 }, [
      { region: 'AUS', commodity: NDPR, low: 100, high: 490, ...base },
      // Nothing traded there: not listed among the prices that move what is traded.
      { ...base, region: 'USA', commodity: GALLIUM, low: 200, high: 300, sold: false, levied: false },
    ]);
    for (const y of open.scenario.years.slice(1))
      withOpen(y, { low: y.totals.levyRevenue, high: y.totals.levyRevenue }, []);
    for (const y of open.against.years) withOpen(y, { low: y.totals.levyRevenue, high: y.totals.levyRevenue }, []);
    const report = parseReport(renderReport(open as Comparison));
    const section = textOf(byId(report, 'open-prices'));
    expect(section).toContain(`${NDPR} AUS 100 to 490`);
    expect(unscopedHeaders(report)).toEqual([]);
    expect(section).not.toContain(`${GALLIUM} USA`);
    expect(section).toContain(`${formatUsd(first.totals.levyRevenue)} to ${formatUsd(first.totals.levyRevenue + 2e6)}`);
    expect(section).toContain(`${open.against.scenario.name}: no open price moves what is traded, in any year.`);
    expect(report.elements.some((e) => attr(e, 'href') === '#open-prices')).toBe(true);
  });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('charts at the edges: a run against itself, flat prices, tolerance-sized trade', () => {
  it('names the second run "(against)" when both runs have the same name', () => {
    const self = withValue(c, ['against', 'scenario', 'name'], c.scenario.scenario.name);
    const spec = payloadOf(parseReport(renderReport(self))).charts[`${KEY[NDPR]}-prices`];
    const names = seriesOf(spec).map((s) => s.name);
    expect(names).toContain(`inside · ${c.scenario.scenario.name}`);
    expect(names).toContain(`inside · ${c.scenario.scenario.name} (against)`);
    expect(new Set(names).size).toBe(names.length);
  });

  it('a reference price reviewed over the years is given with its range, not as its first value alone', () => {
    const j = c.scenario.years[2]?.commodities.findIndex((x) => x.commodity === NDPR) as number;
    const reviewed = withValue(c, ['scenario', 'years', 2, 'commodities', j, 'referencePrice'], 80_000);
    const summary = commoditySummary(reportView(reviewed), NDPR);
    expect(summary.referencePrice).toEqual({ value: 95_000, year: 2026 });
    expect(summary.referenceRange).toEqual({ low: 80_000, high: 95_000, changes: 1 });
    const text = textOf(byId(parseReport(renderReport(reviewed)), 'summary'));
    expect(text).toContain('95,000from 2026; 80,000–95,000 over the years');
    expect(commoditySummary(reportView(c), NDPR).referenceRange).toBeNull();
  });

  it("a chart's key names only what it draws: no paler bars without the other run's flows, no dashed reference price without one", () => {
    const parsed = parseReport(renderReport(c));
    const charts = payloadOf(parsed).charts;
    const caption = (id: string) => {
      const box = parsed.elements.find((e) => attr(e, 'data-chart') === id);
      const figure = box?.parentNode as Parameters<typeof textOf>[0];
      return textOf(figure);
    };
    const stacks = (id: string) => seriesOf(charts[id] as ChartSpec).map((s) => s.stack);
    const names = (id: string) => seriesOf(charts[id] as ChartSpec).map((s) => String(s.name));
    // The fixture's run compared against has no levy, CfD or stockpile: the bloc's fiscal chart draws no pale bar.
    expect(stacks('summary-fiscal')).not.toContain('against');
    expect(caption('summary-fiscal')).not.toMatch(/paler/);
    // Gallium has no reference price in either run: its price chart draws no dashed line; NdPr's does.
    expect(names(`${KEY[GALLIUM]}-prices`).some((n) => n.startsWith('reference price'))).toBe(false);
    expect(caption(`${KEY[GALLIUM]}-prices`)).not.toMatch(/reference price/);
    expect(caption(`${KEY[NDPR]}-prices`)).toMatch(/dashed: the reference price/);
  });

  it("draws the scenario's line over the other run's where they coincide", () => {
    // ban-2027 against baseline: identical from 2029 on, and the scenario's consumer spending was hidden under the
    // baseline's orange line, drawn after it.
    const charts = payloadOf(parseReport(renderReport(c))).charts;
    const z = (spec: ChartSpec | undefined, name: string) => (named(spec, name) as { z?: number }).z ?? 2;
    const [S, A] = [c.scenario.scenario.name, c.against.scenario.name];
    for (const [id, prefix] of [
      ['summary-consumer', 'consumer spending'],
      [`${KEY[NDPR]}-prices`, 'inside'],
      [`${KEY[NDPR]}-prices`, 'outside'],
    ] as const) {
      expect(z(charts[id], `${prefix} · ${S}`), `${id} ${prefix}`).toBeGreaterThan(z(charts[id], `${prefix} · ${A}`));
    }
  });

  it('a review that sets the same reference price again, up to rounding, is no change', () => {
    // cobalt/refined in the default run: 23374.69199999999 from 2026, 23374.69199999851 after the 2029 review; the
    // report said 'from 2026; 23,375–23,375 over the years' and 'reviewed 4 times: between 23,375 and 23,375'.
    const j = c.scenario.years[2]?.commodities.findIndex((x) => x.commodity === NDPR) as number;
    const same = withValue(c, ['scenario', 'years', 2, 'commodities', j, 'referencePrice'], 95_000 * (1 + 3e-14));
    expect(commoditySummary(reportView(same), NDPR).referenceRange).toBeNull();
    const text = textOf(parseReport(renderReport(same)).document);
    expect(text).toContain('95,000from 2026');
    expect(text).not.toContain('95,000–95,000');
    expect(text).not.toMatch(/reviewed \d+ times?: between 95,000 and 95,000/);
  });

  it('does not zoom a flat price into its rounding: the axis spans ±5% around it', () => {
    let flat = c;
    for (const role of ['scenario', 'against'] as const) {
      flat[role].years.forEach((y, i) => {
        const j = y.commodities.findIndex((x) => x.commodity === NDPR);
        flat = withValue(flat, [role, 'years', i, 'commodities', j, 'priceInside'], 25_812 + (i === 1 ? 5e-4 : 0));
        flat = withValue(flat, [role, 'years', i, 'commodities', j, 'priceOutside'], 25_812);
        flat = withValue(flat, [role, 'years', i, 'commodities', j, 'referencePrice'], null);
      });
    }
    // With its price flat NDPR is no longer a focus commodity, so its section key moves: find its chart by its data.
    const all = payloadOf(parseReport(renderReport(flat))).charts;
    const spec = Object.entries(all).find(
      ([id, chart]) =>
        id.endsWith('-prices') &&
        seriesOf(chart).some((x) => x.data.length > 0 && x.data.every((v) => Math.abs(Number(v) - 25_812) < 1)),
    )?.[1];
    const axis = spec?.option.yAxis as { min?: number; max?: number; scale?: boolean };
    expect(axis.scale).toBeUndefined();
    expect(axis.min).toBeLessThan(25_812 * 0.96);
    expect(axis.max).toBeGreaterThan(25_812 * 1.04);
  });

  it('draws trade within the solver tolerance (a millionth of world output) as none', () => {
    const i = 0;
    const j = c.scenario.years[i]?.commodities.findIndex((x) => x.commodity === GALLIUM) as number;
    const production = c.scenario.years[i]?.commodities[j]?.production as number;
    const tiny = withValue(
      c,
      ['scenario', 'years', i, 'commodities', j, 'supplyByOrigin'],
      [{ region: 'bloc', quantity: production * 1e-8 }],
    );
    const spec = payloadOf(parseReport(renderReport(tiny))).charts[`${KEY[GALLIUM]}-supply-scenario`];
    expect(named(spec, 'bloc production').data[i]).toBe(0);
  });
});

describe('the commodity table: a stock with nothing to cover', () => {
  it("says 'no net imports' where a run holds stock but never imports on net, not 'no stock'", () => {
    let covered = c;
    c.scenario.years.forEach((y, i) => {
      const j = y.commodities.findIndex((x) => x.commodity === GALLIUM);
      covered = withValue(covered, ['scenario', 'years', i, 'commodities', j, 'daysOfCover'], null);
    });
    const view = reportView(covered);
    const summary = commoditySummary(view, GALLIUM);
    expect(summary.holdsStock.scenario).toBe(true);
    expect(summary.minDaysOfCover.scenario).toBeNull();
    const table = textOf(byId(parseReport(renderReport(covered)), 'summary'));
    expect(table).toContain('no net imports');
  });
});
