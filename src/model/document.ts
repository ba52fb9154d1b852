/**
 * Reading YAML or JSON documents (policies, scenarios) against a zod schema. Every error names the file, the line
 * and column, the path inside the document, and what was expected.
 */
import { readFileSync } from 'node:fs';
import { type Document, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';

/** A user's input that cannot be used as given; the message says where and what. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface ParsedDocument<T> {
  readonly value: T;
  /** Line and column of a path inside the document (for errors found after validation). */
  readonly locate: (path: readonly (string | number)[]) => string;
}

export interface RawDocument {
  readonly file: string;
  readonly value: unknown;
  /** Line and column of a path, or of its deepest existing ancestor. */
  readonly locate: (path: readonly (string | number)[]) => string;
  /** Whether the document itself sets this path. */
  readonly has: (path: readonly (string | number)[]) => boolean;
}

/** Reads YAML or JSON without validating it (for documents merged before validation). */
export function readRawDocument(file: string): RawDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`${file}: cannot read the file`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e?.linePos?.[0];
    throw new InputError(`${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: ${e?.message.split('\n')[0] ?? 'syntax error'}`);
  }
  return {
    file,
    value: doc.toJS() ?? {},
    locate: (path) => {
      const { line, col } = lines.linePos(offsetOf(doc, path));
      return `${file}:${line}:${col}`;
    },
    has: (path) => doc.hasIn(path),
  };
}

/** The first zod issue as "where: path: what was expected". */
export function describeIssue(error: z.ZodError, locate: (path: readonly (string | number)[]) => string): string {
  const issue = error.issues[0];
  const path = (issue?.path ?? []).filter((p): p is string | number => typeof p !== 'symbol');
  const where = path.length > 0 ? path.join('.') : '(document)';
  return `${locate(path)}: ${where}: ${issue?.message ?? 'invalid'}`;
}

/** Parses text (YAML is a superset of JSON) and validates it; `file` names it in errors. */
export function parseDocumentText<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
): ParsedDocument<z.output<S>> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e?.linePos?.[0];
    throw new InputError(`${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: ${e?.message.split('\n')[0] ?? 'syntax error'}`);
  }
  const locate = (path: readonly (string | number)[]) => {
    const { line, col } = lines.linePos(offsetOf(doc, path));
    return `${file}:${line}:${col}`;
  };
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).filter((p): p is string | number => typeof p !== 'symbol');
    const where = path.length > 0 ? path.join('.') : '(document)';
    throw new InputError(`${locate(path)}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return { value: parsed.data, locate };
}

export function readDocumentFile<S extends z.ZodType>(file: string, schema: S): ParsedDocument<z.output<S>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`${file}: cannot read the file`);
  }
  return parseDocumentText(text, file, schema);
}

/** Offset of the deepest node of `path` that exists (a missing key points at its parent). */
function offsetOf(doc: Document, path: readonly (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return node.range[0];
  }
  return 0;
}
