/**
 * Days of cover in the report agree with the results: a stockpile that holds nothing of a commodity the bloc
 * imports covers 0 days, the most alarming figure, and the card and table say so instead of leaving it blank.
 */
import { describe, expect, it } from 'vitest';
import { coverAxisCap } from '../../src/report/charts.ts';
import { renderReport } from '../../src/report/index.ts';
import { commoditySummary, headlines, reportView } from '../../src/report/view.ts';
import type { Comparison } from '../../src/simulate/result.ts';
import { comparison, GALLIUM, NDPR, withValue } from './fixture.ts';
import { byId, parseReport, payloadOf, textOf } from './html-helpers.ts';

/** The fixture with NdPr oxide stockpiled by the scenario's zone in every year, and never held (0 days of cover). */
function emptyNdprVault(): Comparison {
  let c = comparison();
  c.scenario.years.forEach((y, i) => {
    const j = y.commodities.findIndex((x) => x.commodity === NDPR);
    c = withValue(c, ['scenario', 'years', i, 'commodities', j, 'stockpiled'], true);
  });
  return c;
}

describe('days of cover of a stockpile that holds nothing', () => {
  const c = emptyNdprVault();
  const view = reportView(c);

  it('the fixture is what the simulator writes: stockpiled, imported, nothing held, 0 days', () => {
    for (const y of c.scenario.years) {
      const x = y.commodities.find((k) => k.commodity === NDPR);
      expect(x?.stock).toBe(0);
      expect(x?.daysOfCover).toBe(0);
    }
  });

  it('is the lowest cover of the commodity, and of the bloc', () => {
    const summary = commoditySummary(view, NDPR);
    expect(summary.stockpiled).toEqual({ scenario: true, against: false });
    expect(summary.minDaysOfCover.scenario).toEqual({ value: 0, year: 2026 });
    expect(summary.minDaysOfCover.against).toBeNull();
    const h = headlines(view, [summary, commoditySummary(view, GALLIUM)]);
    expect(h.minDaysOfCover.scenario).toEqual({ value: 0, year: 2026, commodity: NDPR });
  });

  it('the card and the table show 0 days, and the run without a stockpile says so', () => {
    const parsed = parseReport(renderReport(c));
    expect(textOf(byId(parsed, 'summary'))).toMatch(/Lowest days of cover\s*0 days\s*ndpr\/oxide in 2026/);
    // The commodity table's row (the first of NdPr oxide's rows in the page): the scenario's 0, the other run's none.
    const row = parsed.elements.find((e) => e.tagName === 'tr' && textOf(e).trim().startsWith(NDPR));
    const cells = (row?.childNodes ?? []).filter((n) => n.nodeName === 'td').map((n) => textOf(n));
    expect(cells[3]).toContain('0 (2026)');
    expect(cells[3]).toContain('no stockpile');
    // Its stock chart is drawn (0 days of cover), not 'no bloc stockpile'.
    expect(payloadOf(parsed).charts).toHaveProperty('c0-stocks');
  });

  it('a commodity neither run stockpiles stays blank, as before', () => {
    const summary = commoditySummary(reportView(comparison()), NDPR);
    expect(summary.hasStocks).toBe(false);
    expect(summary.minDaysOfCover).toEqual({ scenario: null, against: null });
  });
});

describe('a year whose days of cover would flatten the others', () => {
  // zone-2026-ban-2027's NdPr oxide: 331, 18, 34 and 4,955 days (net imports near zero in the last year). On one
  // axis to 5,000 the 18 and 34 days were a flat line at the bottom.
  it('stops the axis above a year and three times the median, and marks the year at its top with its value', () => {
    expect(coverAxisCap([331, 18, 34, 4955])).toBe(600);
    expect(coverAxisCap([4, 21, 10, 1, 43, 60, 57, 69, 75, 72, 75, 76])).toBeUndefined();
    expect(coverAxisCap([null, 0, 0])).toBeUndefined();
  });

  it('draws it so in the report', () => {
    let c = comparison();
    const days = [331, 18, 4955];
    c.scenario.years.forEach((y, i) => {
      const j = y.commodities.findIndex((x) => x.commodity === NDPR);
      c = withValue(c, ['scenario', 'years', i, 'commodities', j, 'stock'], 100);
      c = withValue(c, ['scenario', 'years', i, 'commodities', j, 'daysOfCover'], days[i]);
    });
    const spec = payloadOf(parseReport(renderReport(c))).charts['c0-stocks'];
    if (!spec) throw new Error('no stock chart');
    const axes = spec.option.yAxis as { max?: number }[];
    expect(axes[1]?.max).toBe(1000);
    const line = (spec.option.series as { name: string; markPoint?: { data: { name: string }[] } }[]).find((s) =>
      s.name.startsWith('days of cover'),
    );
    expect(line?.markPoint?.data.map((d) => d.name)).toEqual(['4,955 d']);
  });
});
