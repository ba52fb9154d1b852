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
