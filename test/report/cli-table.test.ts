import { describe, expect, it } from 'vitest';
import { formatNumber } from '../../src/cli/table.ts';

describe("the terminal tables' numbers", () => {
  it("print a small negative that rounds to zero as 0, not '-0', and keep every other sign", () => {
    expect(formatNumber(-0.3)).toBe('0');
    expect(formatNumber(-0.004, 2)).toBe('0.00');
    expect(formatNumber(-0.3, 1)).toBe('-0.3');
    expect(formatNumber(-1234.4)).toBe('-1,234');
    expect(formatNumber(0.3)).toBe('0');
    expect(formatNumber(2_500_000.5)).toBe('2,500,001');
  });
});
