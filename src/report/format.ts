/**
 * Number and text formatting for the report: deterministic (no locale, no clock), the same on every machine.
 */

const MINUS = '\u2212';

/** Groups thousands with commas: 1234567.5 -> '1,234,567.5'. */
function group(digits: string): string {
  const [int = '', frac] = digits.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** Decimals that keep about three significant figures for small numbers and none for large ones. */
function decimalsFor(abs: number): number {
  if (abs === 0 || abs >= 100) return 0;
  if (abs >= 10) return 1;
  if (abs >= 1) return 2;
  return Math.min(6, 2 - Math.floor(Math.log10(abs)));
}

/** A plain number with thousands grouped: 110000 -> '110,000'; 0.0345 -> '0.0345'; null -> '–'. */
export function formatNumber(x: number | null | undefined, decimals?: number): string {
  if (x === null || x === undefined) return '–';
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  const text = group(abs.toFixed(decimals ?? decimalsFor(abs)));
  return /^[0.,]+$/.test(text) ? text : x < 0 ? `${MINUS}${text}` : text;
}

/** A price: whole units from 100 up, two decimals below; '-' where there is none. */
export function formatPrice(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  return formatNumber(x, x >= 100 ? 0 : 2);
}

/** Compact money: 1.234e9 -> '1.23 bn', 45.6e6 -> '45.6 M', 7800 -> '7,800'. */
export function formatCompact(x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  const abs = Math.abs(x);
  const sign = x < 0 ? MINUS : '';
  if (abs >= 1e9) return `${sign}${threeFigures(abs / 1e9)} bn`;
  if (abs >= 1e6) return `${sign}${threeFigures(abs / 1e6)} M`;
  return formatNumber(x);
}

/** A difference in USD with its sign, as the reports write a change: '+USD 391 M', '−USD 12 M', 'USD 0'. */
export function signedUsd(x: number): string {
  const magnitude = formatCompact(Math.abs(x));
  // An amount that rounds to nothing is none, not '+USD 0.000000' (a paired difference of equal runs, to the bit).
  if (/^[0.,]+$/.test(magnitude)) return 'USD 0';
  return `${x > 0 ? '+' : MINUS}USD ${magnitude}`;
}

function threeFigures(x: number): string {
  return group(x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2));
}

/** USD amount in compact form: 'USD 1.23 bn'. */
export function formatUsd(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `USD ${formatCompact(x)}`;
}

/**
 * A change of a probability (a difference of two shares) in percentage points, signed: −0.062 -> '−6.2', 0.12 ->
 * '+12'; one that rounds to nothing is '0'.
 */
export function signedPoints(x: number): string {
  const text = formatNumber(Math.abs(x * 100), Math.abs(x) < 0.1 ? 1 : 0);
  if (/^0(\.0)?$/.test(text)) return '0';
  return `${x > 0 ? '+' : MINUS}${text}`;
}

/** A share (0–1) as a percentage: 0.345 -> '34.5%'. */
export function formatShare(x: number | null | undefined, decimals = 1): string {
  if (x === null || x === undefined) return '–';
  return `${formatNumber(x * 100, decimals)}%`;
}

/** A relative change a/b − 1 as a signed percentage, or '–' when b is 0 or missing. */
export function formatChange(a: number | null | undefined, b: number | null | undefined): string {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return '–';
  const change = a / b - 1;
  const text = formatShare(Math.abs(change), Math.abs(change) < 0.1 ? 1 : 0);
  // A change that rounds to nothing is no change, not '+0.0%' or '−0.0%'.
  if (change === 0 || /^0(\.0+)?%$/.test(text)) return '0%';
  return change > 0 ? `+${text}` : `${MINUS}${text}`;
}

/** A scale for a column of USD amounts: the largest power of a thousand that keeps values readable. */
export function usdScale(values: readonly number[]): { divisor: number; label: string } {
  const max = Math.max(0, ...values.map((v) => Math.abs(v)).filter(Number.isFinite));
  if (max >= 1e10) return { divisor: 1e9, label: 'USD billion' };
  if (max >= 1e7) return { divisor: 1e6, label: 'USD million' };
  if (max >= 1e4) return { divisor: 1e3, label: 'USD thousand' };
  return { divisor: 1, label: 'USD' };
}

/** A number scaled for a table column, with one decimal below 100 and none above. */
export function formatScaled(x: number | null | undefined, divisor: number): string {
  if (x === null || x === undefined) return '–';
  const v = x / divisor;
  return formatNumber(v, Math.abs(v) >= 100 || v === 0 ? 0 : 1);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** A span of years as a person writes it: '2026–2040', or '2026' when it is one year. */
export function yearSpan(first: number, last: number): string {
  return first === last ? String(first) : `${first}–${last}`;
}

/** `n word` with the word in the plural unless n is one: '1 day', '2 days' (words that take an s). */
export function counted(n: number, word: string, digits = 0): string {
  const text = formatNumber(n, digits);
  return `${text} ${text === '1' ? word : `${word}s`}`;
}
