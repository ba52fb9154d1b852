/** Reading a rendered report the way a browser would: parse5 (the WHATWG HTML parser) with its parse errors. */
import { type ParserError, parse, type DefaultTreeAdapterTypes as T } from 'parse5';
import type { ReportPayload } from '../../src/report/html.ts';

export interface ParsedReport {
  readonly document: T.Document;
  readonly errors: readonly ParserError[];
  readonly elements: readonly T.Element[];
}

export function parseReport(html: string): ParsedReport {
  const errors: ParserError[] = [];
  const document = parse(html, { onParseError: (e) => errors.push(e) });
  const elements: T.Element[] = [];
  const walk = (node: T.Node) => {
    if ('tagName' in node) elements.push(node);
    if ('childNodes' in node) for (const c of node.childNodes) walk(c);
    if ('content' in node) walk(node.content);
  };
  walk(document);
  return { document, errors, elements };
}

export function attr(el: T.Element, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name)?.value;
}

export function textOf(node: T.Node): string {
  if (node.nodeName === '#text') return (node as T.TextNode).value;
  return 'childNodes' in node ? node.childNodes.map(textOf).join('') : '';
}

export function byId(parsed: ParsedReport, id: string): T.Element {
  const el = parsed.elements.find((e) => attr(e, 'id') === id);
  if (!el) throw new Error(`no element #${id}`);
  return el;
}

export function payloadOf(parsed: ParsedReport): ReportPayload {
  return JSON.parse(textOf(byId(parsed, 'report-data'))) as ReportPayload;
}

/**
 * The header cells that do not say which cells they head (no `scope`, or a wrong one: `colgroup` on a header spanning
 * columns, `col` on one that does not), by their text: what a screen reader could not tie to its column.
 */
export function unscopedHeaders(parsed: ParsedReport): string[] {
  return parsed.elements
    .filter((e) => e.tagName === 'th')
    .filter((th) => {
      const spans = Number(attr(th, 'colspan') ?? 1) > 1;
      return attr(th, 'scope') !== (spans ? 'colgroup' : 'col') && attr(th, 'scope') !== 'row';
    })
    .map((th) => textOf(th).trim() || '(empty)');
}

/** The texts of the header cells inside an element (a table), in document order. */
export function headersOf(root: T.Element): string[] {
  const found: string[] = [];
  const walk = (node: T.Node) => {
    if ('tagName' in node && node.tagName === 'th') found.push(textOf(node).trim());
    if ('childNodes' in node) for (const c of node.childNodes) walk(c);
  };
  walk(root);
  return found;
}
