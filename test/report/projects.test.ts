/**
 * The project-finance sections of the report: well-formed HTML, the project and portfolio tables, the chart specs
 * built from the plan (the frontier is the plan's), and, in Chromium, the charts drawn.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProjectAppraisals } from '../../src/finance/appraisal.ts';
import type { DownstreamCost } from '../../src/finance/downstream.ts';
import { type PortfolioPlan, planPortfolio } from '../../src/finance/plan.ts';
import { renderReport, writeReport } from '../../src/report/index.ts';
import { projectReportSections } from '../../src/report/projects.ts';
import { CHROMIUM, launchChromium } from '../browser.ts';
import { appraisal } from '../finance/fixtures.ts';
import { comparison } from './fixture.ts';
import { parentFolder } from './folders.ts';
import { attr, byId, headersOf, parseReport, payloadOf, textOf, unscopedHeaders } from './html-helpers.ts';

const appraisals: ProjectAppraisals = {
  scenario: { name: 'zone', title: 'Zone' },
  against: { name: 'none', title: 'No zone' },
  analysisYear: 2026,
  costOfCapital: 0.08,
  horizon: { start: 2026, end: 2028 },
  projects: [
    appraisal({ id: 'A_<ONE>', supportCost: 2e8, npvZone: -2e8, lost: 5e8 } as never),
    appraisal({ id: 'B', supportCost: 3e8, npvZone: -3e8, lost: 4e8 } as never),
    appraisal({ id: 'C', bankableWithoutSupport: true, supportCost: 0, npvZone: 1e8, npvZoneMarket: 1e8 } as never),
  ],
  notValued: [{ id: 'D', reason: 'no published or assumed capital cost' }],
  ensemble: null,
  notes: [],
};
const downstream: DownstreamCost[] = [
  {
    good: 'ev-car',
    name: 'Battery electric car',
    per: 'vehicle',
    materials: [{ commodity: 'ndpr/oxide', quantity: 0.001, unit: 't', stated: '1 kg', source: 'S', meanChange: 12 }],
    years: [2026, 2027, 2028].map((year, i) => ({
      year,
      scenario: 100 + i,
      against: 100,
      change: i,
      relative: i / 100,
    })),
    meanChange: 1,
    peak: { year: 2028, scenario: 102, against: 100, change: 2, relative: 0.02 },
    missing: [],
  },
];

let plan: PortfolioPlan;
beforeAll(async () => {
  plan = await planPortfolio(appraisals.projects, { budget: 3e8, frontierPoints: 4 });
});

describe('project sections in the report', () => {
  it("says plainly when a budget backs no project, rather than 'Back 0 project(s) (none) for USD 0'", async () => {
    const none = await planPortfolio(appraisals.projects, { budget: 1, frontierPoints: 2 });
    expect(none.selected).toEqual([]);
    const html = renderReport(comparison(), {
      sections: projectReportSections({ appraisals, plan: none, downstream }),
    });
    const text = textOf(byId(parseReport(html), 'projects'));
    expect(text).toMatch(/Back no project under this budget \(USD 1(\.0+)? unspent\)/);
    expect(text).not.toMatch(/project\(s\)/);
  });

  it('renders well-formed HTML with the sections linked from the navigation', () => {
    const html = renderReport(comparison(), {
      sections: projectReportSections({ appraisals, plan, downstream }),
    });
    const parsed = parseReport(html);
    expect(parsed.errors).toEqual([]);
    const projects = byId(parsed, 'projects');
    expect(attr(projects, 'data-extra')).toBe('');
    expect(textOf(projects)).toMatch(/Back 1 project \(A_<ONE>\)/);
    expect(textOf(projects)).toMatch(/Not valued: D \(no published or assumed capital cost\)/);
    const rows = parsed.elements.filter(
      (e) => e.tagName === 'tr' && e.parentNode && (e.parentNode as { tagName?: string }).tagName === 'tbody',
    );
    expect(rows.length).toBeGreaterThanOrEqual(3 + 3 + 1);
    const nav = parsed.elements.find((e) => e.tagName === 'nav');
    expect(textOf(nav as never)).toMatch(/Year by yearProjectsDownstream costEvents and projects/);
    expect(byId(parsed, 'downstream')).toBeDefined();
  });
  it('puts the frontier, the NPVs and the downstream changes in the chart data', () => {
    const parsed = parseReport(
      renderReport(comparison(), { sections: projectReportSections({ appraisals, plan, downstream }) }),
    );
    // Every header says which column it heads; the downstream changes say their currency.
    expect(unscopedHeaders(parsed)).toEqual([]);
    const table = parsed.elements.find((e) => e.tagName === 'table' && attr(e, 'class') === 'downstream');
    const heads = table ? headersOf(table) : [];
    expect(heads.filter((h) => /change/i.test(h))).toEqual([
      'Mean change, USD',
      'Peak change, USD (year)',
      'By material (mean change, USD)',
    ]);
    const charts = payloadOf(parsed).charts;
    const frontier = charts['projects-frontier']?.option as { series: { data: number[][] }[] };
    expect(frontier.series[0]?.data).toEqual(plan.frontier.map((f) => [f.budget, f.objective]));
    expect(frontier.series[1]?.data).toEqual([[3e8, plan.objective]]);
    const npv = charts['projects-npv']?.option as { series: { data: number[] }[] };
    expect(npv.series[1]?.data).toEqual(appraisals.projects.map((p) => p.npvZone));
    const change = charts['downstream-change']?.option as { series: { data: number[] }[] };
    expect(change.series[0]?.data).toEqual([0, 1, 2]);
    // The report's own charts are still there.
    expect(Object.keys(charts)).toContain('summary-fiscal');
  });
  it('says no budget buys security instead of drawing a frontier flat at zero', () => {
    const flat: PortfolioPlan = { ...plan, frontier: plan.frontier.map((f) => ({ ...f, objective: 0 })) };
    const parsed = parseReport(
      renderReport(comparison(), { sections: projectReportSections({ appraisals, plan: flat, downstream }) }),
    );
    expect(payloadOf(parsed).charts['projects-frontier']).toBeUndefined();
    expect(textOf(byId(parsed, 'projects'))).toMatch(/No budget up to .* buys security on this measure/);
  });
  it('leaves the report as it was without sections', () => {
    const html = renderReport(comparison());
    expect(html).not.toMatch(/<section [^>]*data-extra/);
  });
  it('draws the section charts in Chromium', async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`);
    const dir = path.join(parentFolder(), 'out-projects');
    writeReport(dir, comparison(), { sections: projectReportSections({ appraisals, plan, downstream }) });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(pathToFileURL(path.join(dir, 'report.html')).href);
      await page.waitForSelector('body[data-ready="true"]');
      for (const id of ['projects-frontier', 'projects-npv', 'downstream-change']) {
        expect(await page.locator(`[data-chart="${id}"] svg`).count(), id).toBe(1);
      }
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('prints the project table within the page it falls on', async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`);
    const dir = path.join(parentFolder(), 'out-projects-print');
    writeReport(dir, comparison(), { sections: projectReportSections({ appraisals, plan, downstream }) });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(pathToFileURL(path.join(dir, 'report.html')).href);
      await page.waitForSelector('body[data-ready="true"]');
      await page.emulateMedia({ media: 'print' });
      // Fourteen columns do not fit the 186 mm of an A4 portrait page (703 CSS px; what passes its edge is cut off
      // on paper): the section prints on A4 landscape pages (273 mm, 1031 px), where they do.
      const named = await page.evaluate<string>("getComputedStyle(document.getElementById('projects')).page");
      const width = named === 'landscape' ? 1031 : 703;
      await page.setViewportSize({ width, height: 1000 });
      const right = await page.evaluate<number>(
        "Math.ceil(document.querySelector('table.projects').getBoundingClientRect().right)",
      );
      expect({ named, right: right <= width }).toEqual({ named: 'landscape', right: true });
      // Chromium lays a named page out at its own size: the PDF has portrait pages and landscape ones.
      const pdf = (await page.pdf({ preferCSSPageSize: true })).toString('latin1');
      const boxes = new Set(
        [...pdf.matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)].map((m) =>
          Number(m[1]) > Number(m[2]) ? 'landscape' : 'portrait',
        ),
      );
      expect([...boxes].sort()).toEqual(['landscape', 'portrait']);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
