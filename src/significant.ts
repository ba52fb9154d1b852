/** A number with `digits` significant figures, written as people read it: 110,000 and 7,774, not 1.100e+5. */
export function significant(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  const rounded = Number(x.toPrecision(digits));
  const magnitude = rounded === 0 ? 0 : Math.floor(Math.log10(Math.abs(rounded)));
  const decimals = Math.min(20, Math.max(0, digits - 1 - magnitude));
  return rounded.toLocaleString('en-US', { maximumFractionDigits: decimals });
}
