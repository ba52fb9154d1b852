import { describe, expect, it } from 'vitest';
import { niceCeil, niceFloor } from '../../src/report/charts.ts';
import {
  counted,
  escapeHtml,
  formatChange,
  formatCompact,
  formatNumber,
  formatScaled,
  formatShare,
  signedUsd,
  usdScale,
  yearSpan,
} from '../../src/report/format.ts';

describe('report number formatting', () => {
  it('groups thousands and keeps about three significant figures for small numbers', () => {
    expect(formatNumber(110_000)).toBe('110,000');
    expect(formatNumber(104_500.25)).toBe('104,500');
    expect(formatNumber(34.25)).toBe('34.3');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(0.0345)).toBe('0.0345');
    expect(formatNumber(-2_500)).toBe('\u22122,500');
    expect(formatNumber(-0.0000001)).toBe('0.000000');
    expect(formatNumber(null)).toBe('–');
  });

  it('writes money compactly, shares and changes as percentages', () => {
    expect(formatCompact(1_907_000_000)).toBe('1.91 bn');
    expect(formatCompact(-3_770_000)).toBe('\u22123.77 M');
    expect(formatCompact(7_800)).toBe('7,800');
    expect(formatShare(0.345)).toBe('34.5%');
    expect(formatChange(104_500, 71_800)).toBe('+46%');
    expect(formatChange(95, 100)).toBe('\u22125.0%');
    expect(formatChange(1, 0)).toBe('–');
    // A change that rounds to nothing reads as none, never '+0.0%' or '−0.0%'.
    expect(formatChange(99.99999, 100)).toBe('0%');
    expect(formatChange(100.00001, 100)).toBe('0%');
    // So does a difference in USD.
    expect(signedUsd(391_000_000)).toBe('+USD 391 M');
    expect(signedUsd(-12_400)).toBe('\u2212USD 12,400');
    expect(signedUsd(0)).toBe('USD 0');
    expect(signedUsd(3e-9)).toBe('USD 0');
    expect(signedUsd(-4e-7)).toBe('USD 0');
    expect(signedUsd(0.004)).toBe('+USD 0.00400');
  });

  it('writes a one-year span as its year, and counts in the singular for one', () => {
    expect(yearSpan(2026, 2026)).toBe('2026');
    expect(yearSpan(2025, 2040)).toBe('2025–2040');
    expect(counted(1, 'day')).toBe('1 day');
    expect(counted(1.2, 'day')).toBe('1 day');
    expect(counted(12, 'draw')).toBe('12 draws');
  });

  it('scales a column of USD amounts to a readable unit', () => {
    expect(usdScale([2_405_000_000, -36_400_000])).toEqual({ divisor: 1e6, label: 'USD million' });
    expect(usdScale([0, 12])).toEqual({ divisor: 1, label: 'USD' });
    expect(formatScaled(61_000_000, 1e6)).toBe('61.0');
    expect(formatScaled(2_405_000_000, 1e6)).toBe('2,405');
  });

  it('rounds axis maxima up to round numbers', () => {
    expect(niceCeil(27_400)).toBe(30_000);
    expect(niceCeil(109_500 * 1.02)).toBe(120_000);
    expect(niceCeil(0.7)).toBe(0.8);
    expect(niceCeil(100)).toBe(100);
    expect(niceCeil(0)).toBe(0);
  });

  it('rounds axis minima down to round numbers, as decimals (1.2 × 0.1 is not 0.12000000000000001)', () => {
    expect(niceFloor(0.13)).toBe(0.12); // 1.2 × 0.1 is 0.12000000000000001
    expect(niceFloor(0.3)).toBe(0.3); // 3 × 0.1 is 0.30000000000000004, above 0.3
    expect(niceFloor(0.031)).toBe(0.03);
    expect(niceFloor(0.03)).toBe(0.03);
    expect(niceFloor(27_400)).toBe(25_000);
    expect(niceFloor(0.0123)).toBe(0.012);
    expect(niceFloor(0)).toBe(0);
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;',
    );
  });
});
