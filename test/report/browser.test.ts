/**
 * The report in a real browser: Debian's Chromium, driven by playwright-core (never a browser downloaded by
 * Playwright). Opens the written report.html from disk with the network unused, checks the charts draw, that the
 * commodity selector switches them, that nothing is fetched and nothing is logged as an error, and saves a
 * screenshot to out/report-screenshot.png for a person to look at.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/index.ts';
import { CHROMIUM, launchChromium } from '../browser.ts';
import { comparison, GALLIUM, NDPR, withValue, withWelfare } from './fixture.ts';
import { parentFolder } from './folders.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOT = path.join(ROOT, 'out', 'report-screenshot.png');

interface Watched {
  readonly page: Page;
  readonly errors: string[];
  readonly requests: string[];
}

describe('the report in Chromium', () => {
  let browser: Browser | undefined;
  let url = '';

  beforeAll(async () => {
    // Without Chromium every test below fails (not skips) with this message.
    if (!existsSync(CHROMIUM)) return;
    browser = await launchChromium();
    const dir = path.join(parentFolder(), 'out');
    writeReport(dir, comparison());
    url = pathToFileURL(path.join(dir, 'report.html')).href;
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(hash = '', at = url): Promise<Watched> {
    if (!browser) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: the report's browser test needs it. ` +
          'Install it with `apt-get install -y chromium` (CI installs it); never download a browser through Playwright.',
      );
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!/^(file|data|about|blob):/.test(r.url())) requests.push(r.url());
    });
    await page.goto(at + hash);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    return { page, errors, requests };
  }

  // Page-side code is written as strings: this project's TypeScript has no DOM library.

  /** The visible commodity sections and, for each, how many chart boxes it has and how many hold a drawn chart. */
  function visible(page: Page) {
    return page.evaluate<{ commodity: string; charts: number; drawn: number }[]>(`
      Array.from(document.querySelectorAll('article.commodity:not([hidden])')).map((a) => ({
        commodity: a.dataset.commodity,
        charts: a.querySelectorAll('.chart').length,
        drawn: Array.from(a.querySelectorAll('.chart')).filter((c) => c.querySelector('svg path')).length,
      }))`);
  }

  /** The data of one series of a chart as ECharts holds it. */
  function seriesData(page: Page, chart: string, index: number) {
    return page.evaluate<unknown>(`(() => {
      const chart = echarts.getInstanceByDom(document.querySelector('[data-chart="${chart}"]'));
      return chart ? chart.getOption().series[${index}].data : null;
    })()`);
  }

  /** The text of a chart's tooltip with the year at index shown (as the pointer over that year shows it). */
  async function tooltipText(page: Page, chart: string, index: number): Promise<string> {
    await page.locator(`[data-chart="${chart}"]`).scrollIntoViewIfNeeded();
    return page.evaluate<string>(`(async () => {
      const el = document.querySelector('[data-chart="${chart}"]');
      echarts.getInstanceByDom(el).dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: ${index} });
      await new Promise((done) => setTimeout(done, 100));
      const tips = Array.from(el.querySelectorAll('div')).filter((d) => d.style.position === 'absolute' && d.style.display !== 'none' && d.textContent.trim() !== '');
      return tips.map((d) => d.innerText).join('\\n');
    })()`);
  }

  it('shows each value in a tooltip with its unit', async () => {
    const { page, errors } = await open('#commodity=gallium%2Frefined');
    // 910 USD/kg Ga inside the zone in 2027 (the fixture's gallium price).
    expect(await tooltipText(page, 'c1-prices', 1)).toContain('910 USD/kg Ga');
    expect(await tooltipText(page, 'c1-supply-scenario', 1)).toMatch(/\d kg Ga/);
    // Stocks in their unit, days of cover in days: two axes, two units.
    const stocks = await tooltipText(page, 'c1-stocks', 1);
    expect(stocks).toMatch(/stock · \S+\s+[\d,.]+ kg Ga/);
    expect(stocks).toMatch(/days of cover · \S+\s+[\d,.]+ days/);
    expect(await tooltipText(page, 'c1-fiscal', 1)).toMatch(/stockpile net cost · \S+\s+USD \u2212[\d.,]+ M/);
    expect(await tooltipText(page, 'summary-consumer', 1)).toMatch(/USD [\d.,]+ (M|bn)/);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('gives a cost in the fiscal tooltip as the tables do: positive, though drawn below zero', async () => {
    const { page, errors } = await open();
    // NdPr's CfD paid USD 61 M in 2026: a bar down to −61 M, read in the year-by-year table as a cost of 61 M.
    const tip = await tooltipText(page, 'c0-fiscal', 0);
    expect(tip).toMatch(/CfD cost · \S+\s+USD 61\.0 M/);
    expect(tip).not.toContain('\u221261.0 M');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('draws the summary and the first focus commodity offline, without errors', async () => {
    const { page, errors, requests } = await open();
    expect(await page.locator('#summary .chart svg').count()).toBe(2);
    expect(await visible(page)).toEqual([{ commodity: NDPR, charts: 5, drawn: 5 }]);
    const prices = page.locator('[data-chart="c0-prices"]');
    expect(await prices.textContent()).toContain('USD/t NdPr-oxide');
    expect(await seriesData(page, 'c0-prices', 0)).toEqual([95_000, 104_500.25, 97_100]);
    expect(await page.locator('[data-chart="c0-cost"]').textContent()).toContain('bloc use');
    // Axis ticks are formatted, with units named on the axes.
    expect(await page.locator('[data-chart="c0-fiscal"]').textContent()).toMatch(/500 M/);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.context().close();
  });

  it('switches the charts with the commodity selector, and back', async () => {
    const { page, errors, requests } = await open();
    await page.selectOption('#commodity-select', GALLIUM);
    expect(await visible(page)).toEqual([{ commodity: GALLIUM, charts: 5, drawn: 5 }]);
    expect(await page.locator('[data-chart="c1-prices"]').textContent()).toContain('USD/kg Ga');
    expect(await seriesData(page, 'c1-prices', 0)).toEqual([380, 910, 655]);
    expect(await page.locator('[data-chart="c1-stocks"]').textContent()).toContain('days of cover');
    expect(await page.evaluate<string>('location.hash')).toBe('#commodity=gallium%2Frefined');

    await page.selectOption('#commodity-select', '*all');
    expect(await visible(page)).toEqual([
      { commodity: NDPR, charts: 5, drawn: 5 },
      { commodity: GALLIUM, charts: 5, drawn: 5 },
    ]);

    await page.selectOption('#commodity-select', NDPR);
    expect(await visible(page)).toEqual([{ commodity: NDPR, charts: 5, drawn: 5 }]);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(50_000);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.context().close();
  });

  it('prints the by-commodity table within an A4 page when a reference price is reviewed', async () => {
    if (!browser) throw new Error(`Chromium is not installed at ${CHROMIUM}`);
    // The NdPr reference price reviewed twice: its cell adds 'from 2026; 95,000–121,870 over the years', and the
    // table must still fit the page's 186 mm (703 CSS pixels): print shows no scroll bar, what overflows is cut.
    let reviewed = withValue(comparison(), ['scenario', 'years', 1, 'commodities', 0, 'referencePrice'], 104_320.5);
    reviewed = withValue(reviewed, ['scenario', 'years', 2, 'commodities', 0, 'referencePrice'], 121_870.25);
    const dir = path.join(parentFolder(), 'out');
    writeReport(dir, reviewed);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(pathToFileURL(path.join(dir, 'report.html')).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    expect(await page.locator('table.by-commodity').textContent()).toContain('95,000–121,870 over the years');
    await page.selectOption('#commodity-select', '*all');
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: 703, height: 1000 });
    await page.evaluate("dispatchEvent(new Event('beforeprint'))");
    const over = await page.evaluate<Record<string, number>>(`Object.fromEntries(
      Array.from(document.querySelectorAll('table'))
        .filter((t) => t.offsetParent !== null)
        .map((t, i) => [t.className || 'table ' + i, t.getBoundingClientRect().right - 703]))`);
    for (const [table, px] of Object.entries(over))
      expect({ table, px: Math.max(0, Math.round(px)) }).toEqual({ table, px: 0 });
    await page.context().close();
  });

  it("draws the welfare section's chart with its data, offline and without errors", async () => {
    const c = withWelfare();
    const dir = path.join(parentFolder(), 'out');
    writeReport(dir, c);
    const { page, errors, requests } = await open('', pathToFileURL(path.join(dir, 'report.html')).href);
    const chart = page.locator('#welfare [data-chart="welfare-bloc"]');
    await chart.scrollIntoViewIfNeeded();
    expect(await chart.locator('svg path').count()).toBeGreaterThan(0);
    // The bars and the line as ECharts holds them: the bloc's change, scenario less against, per year.
    const blocChange = (k: 'consumerSurplus' | 'total') =>
      c.scenario.years.map((y, i) => (y.welfare?.bloc[k] as number) - (c.against.years[i]?.welfare?.bloc[k] as number));
    const [cs, total] = [
      (await seriesData(page, 'welfare-bloc', 0)) as number[],
      (await seriesData(page, 'welfare-bloc', 3)) as number[],
    ];
    expect(cs).toHaveLength(c.scenario.years.length);
    for (const [i, v] of cs.entries()) expect(v).toBeCloseTo(blocChange('consumerSurplus')[i] as number, 3);
    for (const [i, v] of total.entries()) expect(v).toBeCloseTo(blocChange('total')[i] as number, 3);
    expect(await chart.textContent()).toContain('total change');
    expect(await chart.textContent()).toMatch(/USD per year, change against/);
    expect(await tooltipText(page, 'welfare-bloc', 1)).toMatch(/consumer surplus\s+USD \u2212[\d.,]+ M/);
    expect(await page.locator('table.welfare tbody tr').count()).toBe(8); // four members, bloc, CHN, others, world
    // On paper the chart and the table fit an A4 page's width.
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: 703, height: 1000 });
    await page.evaluate("dispatchEvent(new Event('beforeprint'))");
    expect(
      await page.evaluate<number>(
        "document.querySelector('table.welfare').scrollWidth - document.querySelector('table.welfare').parentElement.clientWidth",
      ),
    ).toBeLessThanOrEqual(1);
    expect(
      await page.evaluate<number>(
        'document.querySelector(\'[data-chart="welfare-bloc"] svg\').getBoundingClientRect().right',
      ),
    ).toBeLessThanOrEqual(703);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.context().close();
  });

  it('renders results without welfare (older runs) without the section and without errors', async () => {
    const { page, errors, requests } = await open();
    expect(await page.locator('#welfare').count()).toBe(0);
    expect(await page.locator('nav.toc a[href="#welfare"]').count()).toBe(0);
    expect(await page.locator('#summary .chart svg').count()).toBe(2);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.context().close();
  });

  it('opens on the commodity its address names, and prints with charts scaled to the page', async () => {
    const { page, errors } = await open('#commodity=gallium%2Frefined');
    expect(await page.inputValue('#commodity-select')).toBe(GALLIUM);
    expect((await visible(page)).map((v) => v.commodity)).toEqual([GALLIUM]);
    expect(await page.locator('[data-chart="c1-prices"] svg').getAttribute('viewBox')).toMatch(/^0 0 \d+ \d+$/);
    // On an A4 page (186 mm of content: 703 CSS pixels) every table and every chart fits the width.
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: 703, height: 1000 });
    await page.evaluate("dispatchEvent(new Event('beforeprint'))");
    const fit = await page.evaluate<{ tables: number[]; charts: number[] }>(`({
      tables: Array.from(document.querySelectorAll('table'))
        .filter((t) => t.offsetParent !== null)
        .map((t) => t.scrollWidth - t.parentElement.clientWidth),
      charts: Array.from(document.querySelectorAll('.chart svg'))
        .filter((s) => s.closest('[hidden]') === null)
        .map((s) => s.getBoundingClientRect().right),
    })`);
    expect(fit.tables.length).toBe(4);
    expect(Math.max(...fit.tables)).toBeLessThanOrEqual(1);
    expect(fit.charts.length).toBe(7);
    expect(Math.max(...fit.charts)).toBeLessThanOrEqual(703);
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.length).toBeGreaterThan(20_000);
    expect(await page.locator('.picker').isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
