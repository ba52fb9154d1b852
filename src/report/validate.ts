/**
 * A Comparison is plain JSON-safe data (result.ts): every number finite, missing values null. JSON.stringify would
 * quietly turn NaN into null and CSV would write it as text, so every output checks this first and names the field.
 */
import { ReportError } from './view.ts';

export function assertFinite(value: unknown, where = 'comparison'): void {
  const seen = new Set<object>();
  const visit = (v: unknown, at: string): void => {
    switch (typeof v) {
      case 'number':
        if (!Number.isFinite(v)) throw new ReportError(`${at} is ${v}: results must hold finite numbers or null`);
        return;
      case 'string':
      case 'boolean':
      case 'undefined':
        return;
      case 'object': {
        if (v === null) return;
        if (seen.has(v)) throw new ReportError(`${at} refers back to itself: results must be plain data`);
        seen.add(v);
        if (Array.isArray(v)) for (let i = 0; i < v.length; i++) visit(v[i], `${at}[${i}]`);
        else for (const [k, x] of Object.entries(v)) visit(x, `${at}.${k}`);
        seen.delete(v);
        return;
      }
      default:
        throw new ReportError(`${at} is a ${typeof v}: results must be plain JSON data`);
    }
  };
  visit(value, where);
}
