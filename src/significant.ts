/**
 * One formatter per number of decimals, made on first use: `toLocaleString` with options builds a new Intl formatter
 * on every call, which made these notes a twenty-fifth of an ensemble draw's time (a reference price's event each year).
 */
const formatters: Intl.NumberFormat[] = [];

/** A number with `digits` significant figures, written as people read it: 110,000 and 7,774, not 1.100e+5. */
export function significant(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  const rounded = Number(x.toPrecision(digits));
  const magnitude = rounded === 0 ? 0 : Math.floor(Math.log10(Math.abs(rounded)));
  const decimals = Math.min(20, Math.max(0, digits - 1 - magnitude));
  let format = formatters[decimals];
  if (!format) {
    format = new Intl.NumberFormat('en-US', { maximumFractionDigits: decimals });
    formatters[decimals] = format;
  }
  return format.format(rounded);
}
