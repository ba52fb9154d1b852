/** Plain-text tables for the terminal: right-aligned numbers, no colour codes (output is often piped). */
export interface TextColumn<T> {
  readonly header: string;
  readonly value: (row: T) => string;
  readonly align?: 'left' | 'right';
}

export function renderTable<T>(rows: readonly T[], columns: readonly TextColumn<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (columns[i]?.align === 'right' ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** A quantity with thousands separators and sensible precision. */
export function formatNumber(n: number, digits = 0): string {
  const text = n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  // A small negative that rounds to zero is zero, not '-0'.
  return /^-[0.,]+$/.test(text) ? text.slice(1) : text;
}

/** A price: whole units from 100 up, two decimals below; '-' where there is none. */
export function formatPrice(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  return formatNumber(x, x >= 100 ? 0 : 2);
}

export function formatPercent(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits)}%`;
}
