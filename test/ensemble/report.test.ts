/**
 * The ensemble's report in a real browser (Debian's Chromium through playwright-core, never a downloaded browser):
 * fan charts draw offline with nothing fetched and no errors, show the stored quantiles, and follow the commodity
 * selector; a screenshot is saved to out/ensemble-screenshot.png for a person to look at.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EnsembleResult, runEnsemble } from '../../src/ensemble/run.ts';
import { SCENARIO_DIR } from '../../src/model/scenario.ts';
import { ensembleCsv, renderEnsembleReport, writeEnsembleReport } from '../../src/report/ensemble.ts';
import { CHROMIUM, launchChromium } from '../browser.ts';
import { parseReport, unscopedHeaders } from '../report/html-helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let result: EnsembleResult;
let url = '';
let browser: Browser | undefined;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-ensemble-report-'));
  const scenario = (name: string, base: string) => {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      `name: ${name}\nextends: ${path.join(SCENARIO_DIR, `${base}.yaml`)}\nhorizon: { start: 2025, end: 2028 }\n`,
    );
    return file;
  };
  result = await runEnsemble({
    setup: {
      scenario: scenario('zone', 'zone-2026-ban-2027'),
      against: scenario('ban', 'ban-2027'),
      data: [],
      chains: ['rare-earths'],
      seed: 4,
    },
    draws: 5,
    workers: 1,
    out: path.join(dir, 'out'),
  });
  writeEnsembleReport(path.join(dir, 'out'), result);
  url = pathToFileURL(path.join(dir, 'out', 'ensemble.html')).href;
  if (existsSync(CHROMIUM)) browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
});

async function open(): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  if (!browser)
    throw new Error(`Chromium is not installed at ${CHROMIUM}: install it with apt-get install -y chromium`);
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!/^(file|data|about|blob):/.test(r.url())) requests.push(r.url());
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  return { page, errors, requests };
}

// Page-side code is written as strings: this project's TypeScript has no DOM library.
const drawnIn = (page: Page, selector: string) =>
  page.evaluate<number>(
    `Array.from(document.querySelectorAll('${selector} .chart')).filter((c) => c.querySelector('svg path')).length`,
  );
const series = (page: Page, chart: string, name: string) =>
  page.evaluate<unknown>(`(() => {
    const chart = echarts.getInstanceByDom(document.querySelector('[data-chart="${chart}"]'));
    return chart.getOption().series.find((s) => s.name === ${JSON.stringify(name)}).data;
  })()`);

describe('the ensemble report', () => {
  it('draws the bloc fans and the first commodity offline, with the stored quantiles', async () => {
    const { page, errors, requests } = await open();
    // Consumption lost, consumer spending, levy, CfD, and the stockpiles' net cost and value (the zone stocks some).
    expect(await drawnIn(page, '#summary')).toBe(6);
    // Every headline metric that moves: price inside and outside, events, lost share, self-sufficiency, dominant
    // share, consumer spending; none of stocks, days of cover, levy or CfD where no draw moves them: said in words.
    expect(await drawnIn(page, 'article.commodity:not([hidden])')).toBe(7);
    for (const id of ['price', 'outside', 'self', 'dominant', 'consumer'])
      expect(await page.locator(`[data-chart="c0-${id}"] svg path`).count(), id).toBeGreaterThan(0);
    expect(await page.textContent('article.commodity:not([hidden])')).toContain('No bloc stockpile of it in any draw.');
    const k = result.meta.layout.commodities[0]?.id as string;
    const p50 = result.quantiles
      .filter((q) => q.run === 'scenario' && q.commodity === k && q.metric === 'priceInside')
      .map((q) => q.p50);
    expect(await series(page, 'c0-price', 'zone median')).toEqual(p50);
    const twin = result.quantiles
      .filter((q) => q.run === 'against' && q.commodity === k && q.metric === 'priceInside')
      .map((q) => q.p95);
    expect(await series(page, 'c0-price', 'ban P95')).toEqual(twin);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.context().close();
  });

  it('reads shares and probabilities as percentages, as the tables do', async () => {
    const { page, errors } = await open();
    const labels = (chart: string) =>
      page.evaluate<string[]>(
        `Array.from(document.querySelectorAll('[data-chart="${chart}"] svg text')).map((t) => t.textContent)`,
      );
    for (const id of ['self', 'dominant', 'events']) {
      // The value axis's ticks (the year axis's are years).
      const ticks = (await labels(`c0-${id}`)).filter((t) => /^[\d.,]+%?$/.test(t) && !/^20\d\d$/.test(t));
      expect(ticks.length, id).toBeGreaterThan(1);
      expect(
        ticks.every((t) => t.endsWith('%')),
        `${id}: ${ticks.join(' ')}`,
      ).toBe(true);
    }
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('keeps the plot just below its legend, and names units in the tooltip', async () => {
    const { page, errors } = await open();
    // The room the page leaves above the plot against the height the legend draws in: the band edges (P5, P25,
    // P75, P95 of the scenario) are series but not legend items, and must not count as legend rows.
    const room = await page.evaluate<{ chart: string; top: number; legend: number }[]>(`
      Array.from(document.querySelectorAll('#summary .chart, article.commodity:not([hidden]) .chart')).map((el) => {
        const chart = echarts.getInstanceByDom(el);
        const legend = chart.getViewOfComponentModel(chart.getModel().getComponent('legend')).group.getBoundingRect();
        return { chart: el.dataset.chart, top: chart.getOption().grid[0].top, legend: Math.round(legend.height) };
      })`);
    expect(room.length).toBeGreaterThan(10);
    // 30 px for the axis name below the legend (as the simulation report's charts leave), and a row's slack.
    for (const r of room)
      expect({ chart: r.chart, gap: r.top - r.legend <= 50 }).toEqual({ chart: r.chart, gap: true });
    const tip = await page.evaluate<string>(`(async () => {
      const el = document.querySelector('[data-chart="c0-price"]');
      el.scrollIntoView();
      echarts.getInstanceByDom(el).dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 1 });
      await new Promise((done) => setTimeout(done, 100));
      return Array.from(el.querySelectorAll('div')).filter((d) => d.style.position === 'absolute' && d.style.display !== 'none').map((d) => d.innerText).join(' ');
    })()`);
    const unit = result.meta.layout.commodities[0]?.priceUnit as string;
    expect(tip).toMatch(new RegExp(`zone median\\s+[\\d,.]+ ${unit.replace('/', '\\/')}`));
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('draws a band that reaches below zero from its P5 to its P95', async () => {
    if (!browser) throw new Error(`Chromium is not installed at ${CHROMIUM}`);
    // A stockpile's net cost is negative in a year it sells more than it buys: its P5 below zero, its P95 above.
    // ECharts stacks a negative value apart from the positive ones, so the band (P95 − P5 stacked on P5) must be
    // stacked on P5 whatever its sign, or it is drawn from 0 to P95 − P5.
    const spread = { p5: -100e6, p25: -40e6, p50: 5e6, p75: 50e6, p95: 120e6 };
    const changed: EnsembleResult = {
      ...result,
      quantiles: result.quantiles.map((q) =>
        q.run === 'scenario' && q.commodity === '*total*' && q.metric === 'stockNetCost' ? { ...q, ...spread } : q,
      ),
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-ensemble-band-'));
    writeEnsembleReport(dir, changed);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(pathToFileURL(path.join(dir, 'ensemble.html')).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    // The top and the bottom of each band as drawn, in data units, for the first year.
    const drawn = await page.evaluate<Record<string, [number, number]>>(`(() => {
      const chart = echarts.getInstanceByDom(document.querySelector('[data-chart="total-stock-cost"]'));
      const out = {};
      chart.getModel().eachSeries((s) => {
        if (!/P5–P95|P25–P75/.test(s.name)) return;
        const data = s.getData();
        const top = data.get(data.getCalculationInfo('stackResultDimension'), 0);
        const bottom = top - data.get(data.getCalculationInfo('stackedDimension'), 0);
        out[s.name.split(' ').pop()] = [bottom, top];
      });
      return out;
    })()`);
    expect(drawn).toEqual({ 'P5–P95': [spread.p5, spread.p95], 'P25–P75': [spread.p25, spread.p75] });
    await page.context().close();
  });

  it('follows the commodity selector', async () => {
    const { page, errors } = await open();
    await page.selectOption('#commodity-select', 'ndfeb/magnet');
    expect(
      await page.evaluate<string[]>(
        "Array.from(document.querySelectorAll('article.commodity:not([hidden])')).map((a) => a.dataset.commodity)",
      ),
    ).toEqual(['ndfeb/magnet']);
    // As for the first commodity: seven charts, and none of stocks where no draw stocks it.
    expect(await drawnIn(page, 'article.commodity:not([hidden])')).toBe(7);
    expect(await page.textContent('article.commodity:not([hidden])')).toContain('No bloc stockpile of it in any draw.');
    const shot = path.join(ROOT, 'out', 'ensemble-screenshot.png');
    mkdirSync(path.dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('signs the paired difference of expected consumption lost, as the simulation report signs a change', () => {
    const difference = result.probabilities.expectedConsumptionLost.find(
      (x) => x.run === 'difference' && x.commodity === '*total*' && x.year === 'horizon',
    )?.mean as number;
    expect(Number.isFinite(difference)).toBe(true);
    const big = /<h3>Difference, paired<\/h3><p class="big">([^<]*)<\/p>/.exec(renderEnsembleReport(result))?.[1];
    // More lost with the scenario reads '+USD …', less '−USD …' (the default run's USD 391 M was unsigned).
    expect(big).toMatch(difference > 0 ? /^\+USD \d/ : difference < 0 ? /^\u2212USD \d/ : /^USD 0$/);
  });

  it('says which column every table header heads (scope), for screen readers', () => {
    const parsed = parseReport(renderEnsembleReport(result));
    expect(parsed.elements.filter((e) => e.tagName === 'th').length).toBeGreaterThan(10);
    expect(unscopedHeaders(parsed)).toEqual([]);
  });

  it("draws the scenario's median over the twin's where they coincide", () => {
    const html = renderEnsembleReport(result);
    const json = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html)?.[1] as string;
    const charts = JSON.parse(json).charts as Record<string, { option: { series: { name: string; z?: number }[] } }>;
    const z = (id: string, name: string) => charts[id]?.option.series.find((s) => s.name === name)?.z ?? 2;
    for (const id of ['total-lost', 'c0-price']) expect(z(id, 'zone median'), id).toBeGreaterThan(z(id, 'ban median'));
  });

  it('warns that a handful of draws is not yet a distribution, and not when there are enough', () => {
    const html = renderEnsembleReport(result);
    expect(html).toMatch(/Only 5 draws: the bands and probabilities below are not yet a distribution/);
    const many = renderEnsembleReport({
      ...result,
      meta: { ...result.meta, draws: { ...result.meta.draws, stored: 500, requested: 500 } },
    });
    expect(many).not.toMatch(/not yet a distribution/);
  });

  it('writes CSV rows for every quantile and event', () => {
    const c = ensembleCsv(result);
    expect(c.quantiles.trim().split('\n')).toHaveLength(result.quantiles.length + 1);
    expect(c.probabilities.trim().split('\n')).toHaveLength(result.probabilities.events.length + 1);
    expect(c.expectedLoss.split('\n')[0]).toBe('run,commodity,year,unit,mean,standardError');
    expect(c.probabilities.split('\n')[0]).toBe('run,event,commodity,year,threshold,unit,probability,low,high,draws');
    // With a twin, the paired changes of the probabilities: one row per event, commodity and year.
    const changes = result.probabilities.changes ?? [];
    expect(changes.length).toBe(result.probabilities.events.filter((e) => e.run === 'scenario').length);
    expect(c.changes.trim().split('\n')).toHaveLength(changes.length + 1);
    expect(c.changes.split('\n')[0]).toBe('event,commodity,year,change,low,high,onlyScenario,onlyAgainst,draws');
  });

  it('gives every probability its interval and every expected loss its standard error, on the page too', () => {
    for (const e of result.probabilities.events) {
      expect(e.low, `${e.run} ${e.event} ${e.commodity} ${e.year}`).toBeLessThanOrEqual(e.probability);
      expect(e.high).toBeGreaterThanOrEqual(e.probability);
    }
    for (const c of result.probabilities.changes ?? []) {
      // The change is that of the two runs' probabilities, on the same draws.
      const p = (run: string) =>
        result.probabilities.events.find(
          (e) => e.run === run && e.event === c.event && e.commodity === c.commodity && e.year === c.year,
        )?.probability as number;
      expect(c.change).toBeCloseTo(p('scenario') - p('against'), 12);
      expect(c.low).toBeLessThanOrEqual(c.high);
    }
    expect(result.probabilities.expectedConsumptionLost.every((x) => x.standardError !== undefined)).toBe(true);
    const html = renderEnsembleReport(result);
    expect(html).toMatch(/some commodity above its threshold in some year \(95%: \d+%–\d+%\)/);
    expect(html).toMatch(/change (0|[+\u2212][\d.]+) points \(95%: /);
    expect(html).toMatch(/title="95% interval \d+%–\d+% \(5 draws\)"/);
    expect(html).toMatch(/<td class="num" title="standard error [\d,.]+">[\d,.]+<\/td>/);
  });
});
