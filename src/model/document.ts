/**
 * Reading YAML or JSON documents (policies, scenarios) against a zod schema. Every error names the file, the line
 * and column, the path inside the document, and what was expected.
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Pair,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml';
import type { z } from 'zod';
import { closest, didYouMean } from '../suggest.ts';
import { readTextFile } from '../text-file.ts';

/** A user's input that cannot be used as given; the message says where and what. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * `file:line:column` of a path inside a document, or of its deepest existing ancestor. With `key`, the position of
 * the path's last key itself (for an unknown or misplaced key) rather than of its value.
 */
export type Locate = (path: readonly (string | number)[], options?: { readonly key?: boolean }) => string;

export interface ParsedDocument<T> {
  readonly value: T;
  /** Line and column of a path inside the document (for errors found after validation). */
  readonly locate: Locate;
}

export interface RawDocument {
  readonly file: string;
  readonly value: unknown;
  /** Line and column of a path, or of its deepest existing ancestor. */
  readonly locate: Locate;
  /** Whether the document itself sets this path. */
  readonly has: (path: readonly (string | number)[]) => boolean;
}

/** A user's input file as text; one that cannot be read, or is not UTF-8 text, is an InputError saying why. */
export function readInputText(file: string): string {
  const read = readTextFile(file);
  if ('text' in read) return read.text;
  const at = read.line !== undefined ? `:${read.line}:${read.column}` : '';
  throw new InputError(`${file}${at}: ${read.problem}`);
}

/** How much text V8 quotes on either side of a bad JSON token ("...", then ten characters, the token, ten more). */
const JSON_QUOTE_CONTEXT = 10;

/**
 * Where V8's JSON.parse found a bad token it gives no position for, from the text it quotes around it: with a leading
 * "..." the quote starts ten characters before the token; without, at the start of the file. Undefined if the quote
 * is not found in the file as it is.
 */
function quotedTokenOffset(message: string, text: string): number | undefined {
  const m = /^Unexpected token '(.)', (\.\.\.)?"([\s\S]+?)"(\.\.\.)? is not valid JSON/.exec(message);
  if (!m) return undefined;
  const [, token, before, quote, after] = m as unknown as [
    string,
    string,
    string | undefined,
    string,
    string | undefined,
  ];
  const start = before ? text.indexOf(quote) : text.startsWith(quote) ? 0 : -1;
  if (start < 0) return undefined;
  // Cut at the front: ten characters in. Cut only at the back: ten before its end. Neither: a short file, the token's
  // first occurrence.
  const offset = before ? start + JSON_QUOTE_CONTEXT : after ? quote.length - JSON_QUOTE_CONTEXT : quote.indexOf(token);
  return offset >= 0 && text[offset] === token ? offset : undefined;
}

/** Parses YAML (a superset of JSON); a syntax error is thrown as an InputError at its own line and column. */
function parseText(
  withMark: string,
  file: string,
  expected = 'a mapping of its settings',
): { doc: Document; locate: Locate } {
  // A byte-order mark (Windows editors write one) is no part of the document; JSON.parse would refuse it. A lone CR
  // (an old Mac file's line end) is a line break in YAML 1.2, which the parser does not take it for: read it as LF,
  // one character for one, so that every offset stays the file's.
  const text = withMark.replace(/^\uFEFF/, '').replace(/\r(?!\n)/g, '\n');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) throw syntaxError(first, text, doc, lines, file);
  // Nothing but comments, or a bare '---' (a null the file does not write), is empty.
  if (
    doc.contents === null ||
    (isScalar(doc.contents) && doc.contents.type === 'PLAIN' && doc.contents.source === '')
  ) {
    throw new InputError(`${file}:1:1: the document is empty: expected ${expected}`);
  }
  if (isScalar(doc.contents) && doc.contents.value === null) {
    const { line, col } = lines.linePos(doc.contents.range?.[0] ?? 0);
    throw new InputError(`${file}:${line}:${col}: the document is null: expected ${expected}`);
  }
  // A .json file is held to JSON, which YAML reads more loosely (trailing commas, comments, unquoted keys).
  if (/\.json$/i.test(file)) {
    try {
      JSON.parse(text);
    } catch (e) {
      const raw = (e as Error).message;
      const message = raw.replace(/\s+/g, ' ');
      const at = / at position (\d+)/.exec(message);
      const offset = at ? Number(at[1]) : quotedTokenOffset(raw, text);
      const where = offset !== undefined ? lines.linePos(offset) : undefined;
      throw new InputError(
        `${file}${where ? `:${where.line}:${where.col}` : ''}: not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`,
      );
    }
  }
  const bad = badKey(doc);
  if (bad !== undefined) {
    const { line, col } = lines.linePos(bad.offset);
    throw new InputError(`${file}:${line}:${col}: ${bad.path}: ${bad.problem}`);
  }
  const locate: Locate = (path, options) => {
    const { line, col } = lines.linePos(options?.key ? keyOffsetOf(doc, path) : offsetOf(doc, path));
    return `${file}:${line}:${col}`;
  };
  return { doc, locate };
}

/**
 * The first key a JavaScript object cannot hold as written, if any: `__proto__`, which read into an object would set
 * its prototype (or be an own key every spread and merge turns into one), its settings vanishing without a word; or a
 * key that names the same property as an earlier one of its mapping once read (`1` and `"1"`, `true` and `"true"`:
 * YAML keeps them apart, an object does not, and the later would silently win).
 */
function badKey(doc: Document): { offset: number; path: string; problem: string } | undefined {
  let found: { offset: number; path: string; problem: string } | undefined;
  // A key written through an alias (`*k :` with `&k __proto__` elsewhere) is the scalar it names.
  const keyOf = (p: Pair<unknown, unknown>) => (isAlias(p.key) ? p.key.resolve(doc) : p.key);
  const seen = new WeakMap<object, Map<string, unknown>>();
  visit(doc, {
    Pair(_, pair, ancestors) {
      const key = keyOf(pair);
      if (!isScalar(key)) return undefined;
      const name = String(key.value);
      const map = ancestors[ancestors.length - 1];
      let names = seen.get(map as object);
      if (!names) {
        names = new Map();
        seen.set(map as object, names);
      }
      const repeated = names.has(name);
      const earlier = names.get(name);
      names.set(name, key.value);
      let problem: string;
      if (name === '__proto__') {
        problem =
          "the key '__proto__' is not allowed: JavaScript reserves the name, so what it holds would be dropped unread — " +
          'remove it, or name the setting it is meant for';
      } else if (repeated) {
        const shown = (v: unknown) =>
          typeof v === 'string' ? `'${v}' (text)` : v === null ? 'null' : `${String(v)} (a ${typeof v})`;
        problem = `the key ${shown(key.value)} and the key ${shown(earlier)} above are one setting once read: say it once`;
      } else return undefined;
      // The path down to it: a pair's key, a list's index of the item below it.
      const path: (string | number)[] = [];
      const chain = [...ancestors, pair];
      chain.forEach((node, i) => {
        if (isPair(node)) {
          const k = keyOf(node);
          path.push(isScalar(k) ? String(k.value) : '?');
        } else if (isSeq(node)) path.push(node.items.indexOf(chain[i + 1]));
      });
      // Where the key is written (the alias itself, where it is one).
      const written = isAlias(pair.key) || isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      found = { offset: written ?? 0, path: path.join('.'), problem };
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * A located syntax error. The parser's offset is moved to where a person would look: past indentation to the
 * line's first character, and from the end of the file back to the end of its last line (where a missing closing
 * bracket belongs). A few messages say what to do.
 */
function syntaxError(e: YAMLError, text: string, doc: Document, lines: LineCounter, file: string): InputError {
  let offset = Math.min(e.pos[0], text.length);
  const content = text.trimEnd().length;
  if (offset >= content) offset = content;
  else while (text[offset] === ' ') offset++;
  const { line, col } = lines.linePos(offset);
  let message = e.message.split('\n')[0] ?? 'syntax error';
  if (e.code === 'MULTIPLE_DOCS') {
    message = "a second document ('---'): this file is one YAML document — remove the '---' and merge what follows";
  } else if (e.code === 'DUPLICATE_KEY') {
    const key = /^(?:"([^"]*)"|'([^']*)'|([^:\s,{}[\]]+))/.exec(text.slice(e.pos[0]));
    const name = key?.[1] ?? key?.[2] ?? key?.[3];
    message = `duplicate key${name !== undefined ? ` '${name}'` : ''}: a key may appear only once in a mapping — keep one`;
  } else if (e.code === 'RESOURCE_EXHAUSTION' && /call stack/i.test(message)) {
    message = 'nested too deeply to read (brackets or indentation hundreds of levels deep): write it flatter';
  } else if (e.code === 'TAB_AS_INDENT') {
    message = 'a tab in the indentation: YAML indents with spaces only — replace the tab with spaces';
  } else if (/^Flow (map|sequence)\b.*end with/.test(message)) {
    // Say where the collection that is not closed was opened.
    let opener: number | undefined;
    visit(doc, {
      Collection(_, node) {
        if (node.flow && node.range && node.range[0] < e.pos[0] && node.range[1] >= e.pos[0]) {
          if (opener === undefined || node.range[0] > opener) opener = node.range[0];
        }
      },
    });
    if (opener !== undefined) {
      const at = lines.linePos(opener);
      message += ` (the '${text[opener]}' opened at line ${at.line}, column ${at.col})`;
    }
  } else if (/^Unexpected , /.test(message)) {
    message += ' — remove the extra comma';
  } else if (e.code === 'BAD_INDENT' && /same column/.test(message)) {
    message += " — indent it like the lines above, or start it with '- ' if it is a list item";
  }
  return new InputError(`${file}:${line}:${col}: ${message}`);
}

/** The document's value; aliases that expand beyond the parser's limit (an alias bomb) are refused by name. */
function documentValue(doc: Document, file: string): unknown {
  try {
    return doc.toJS() ?? {};
  } catch (e) {
    throw new InputError(
      `${file}: its aliases ('*' references to '&' anchors) expand too far to read (${(e as Error).message}): write the values out`,
    );
  }
}

/** Reads YAML or JSON without validating it (for documents merged before validation). */
export function readRawDocument(file: string): RawDocument {
  const { doc, locate } = parseText(readInputText(file), file);
  return {
    file,
    value: documentValue(doc, file),
    locate,
    has: (path) => doc.hasIn(path),
  };
}

/** What the schema wants in place of a value, as a few words (for zod's bare "Invalid input"). */
function expectedOf(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'invalid_union') return undefined;
  const words: Record<string, string> = {
    record: 'a mapping',
    object: 'a mapping',
    array: 'a list',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
  };
  const expected = issue.errors.map((option) => {
    const first = option[0];
    if (first?.path.length !== 0) return undefined;
    if (first.code === 'invalid_type') return words[first.expected] ?? first.expected;
    if (first.code === 'invalid_value') return first.values.map((v) => `'${String(v)}'`).join(' or ');
    return undefined;
  });
  if (expected.length === 0 || expected.some((x) => x === undefined)) return undefined;
  return `expected ${[...new Set(expected)].join(' or ')}`;
}

/**
 * Of a value no option of a union accepts, the issue inside the one option whose type it has (a mapping given for
 * a number-or-mapping, with a bad entry): that entry is the fault, not the union.
 */
function within(issue: z.core.$ZodIssue | undefined): z.core.$ZodIssue | undefined {
  if (issue?.code !== 'invalid_union') return issue;
  const mismatch = (i: z.core.$ZodIssue | undefined) =>
    (i?.code === 'invalid_type' || i?.code === 'invalid_value') && i.path.length === 0;
  const typed = issue.errors.filter((option) => !mismatch(option[0]));
  const inner = typed.length === 1 ? typed[0]?.[0] : undefined;
  return inner ? within({ ...inner, path: [...issue.path, ...inner.path] }) : issue;
}

/** The forms a bare YAML 1.2 scalar is read as a number in (decimal, 0x hexadecimal, 0o octal). */
const YAML_NUMBER = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^0x[0-9a-fA-F]+$|^0o[0-7]+$/;

/**
 * The first zod issue as "where: path: what was expected". `context` (the schema and the value validated) lets an
 * unknown key be named with the keys allowed there.
 */
export function describeIssue(
  error: z.ZodError,
  locate: Locate,
  context?: { readonly schema: z.ZodType; readonly value: unknown },
): string {
  const first = error.issues[0];
  // A misspelt key is also a required key missing: the unknown key, with its suggestion, says more.
  const missing = first?.code === 'invalid_type' ? first.path[first.path.length - 1] : undefined;
  const misspelt = error.issues.find(
    (i) =>
      i.code === 'unrecognized_keys' &&
      typeof missing === 'string' &&
      first?.path.length === i.path.length + 1 &&
      i.path.every((p, n) => p === first.path[n]) &&
      i.keys.some((k) => closest(k, [missing]) !== undefined),
  );
  const issue = within(misspelt ?? first);
  const path = (issue?.path ?? []).filter((p): p is string | number => typeof p !== 'symbol');
  if (issue?.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string;
    const at = [...path, key];
    const allowed = context ? objectKeysAt(context.schema, path, context.value) : undefined;
    const others = issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).map((k) => `'${k}'`)})` : '';
    const hint = allowed
      ? // The key itself is never its own suggestion (were it allowed, it would not be unknown).
        `${didYouMean(
          key,
          allowed.filter((k) => k !== key),
        )}; the keys allowed ${path.length > 0 ? `in ${path.join('.')}` : 'here'} are ${allowed.join(', ')}`
      : '';
    return `${locate(at, { key: true })}: ${at.join('.')}: unknown key '${key}'${others}${hint}`;
  }
  if (issue?.code === 'invalid_key') {
    // A record's key of the wrong form (a commodity that is no 'mineral/stage'): say what form, at the key.
    const key = String(path[path.length - 1]);
    const why = issue.issues[0]?.message ?? 'not a key allowed here';
    return `${locate(path, { key: true })}: ${path.join('.')}: '${key}' is not a key allowed here: ${why}`;
  }
  const where = path.length > 0 ? path.join('.') : '(document)';
  let message = issue?.message ?? 'invalid';
  const given = context
    ? path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], context.value)
    : undefined;
  if (typeof given === 'number' && !Number.isFinite(given)) {
    // .inf, .nan, or a number beyond ±1.8e308 (1e309) that reads as infinite: zod's 'expected number' says nothing.
    message = `${given} is not a finite number (read from .inf, .nan, or a number beyond ±1.8e308): write a finite number`;
  } else if (
    issue?.code === 'invalid_type' &&
    issue.expected === 'number' &&
    typeof given === 'string' &&
    given.trim() !== '' &&
    Number.isFinite(Number(given))
  ) {
    // '110000' in quotes: the number is right, its quotes make it text. Written bare in a form YAML reads as a number,
    // it can only have come in quotes; other forms JavaScript reads as numbers (0b101, 0X1F) are text to YAML.
    message = YAML_NUMBER.test(given.trim())
      ? `'${given}' is text (in quotes), not a number: write it without the quotes`
      : `'${given}' is text, not a number: write it as a decimal number (such as 110000)`;
  } else if (issue?.code === 'invalid_type' && /received undefined$/.test(message)) {
    message = `missing: required here (expected ${issue.expected})`;
  } else if (
    issue &&
    (issue.code === 'too_small' || issue.code === 'too_big') &&
    issue.origin === 'number' &&
    /^Too (small|big)/.test(message)
  ) {
    // zod's own wording does not say what was given: name the value, as the data checks do ('-5 is negative').
    if (typeof given === 'number') {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const what =
        issue.code === 'too_small' ? (Number(bound) === 0 && given < 0 ? 'negative' : 'too small') : 'too large';
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      message = `${given} is ${what}: it must be ${op}${bound}`;
    }
  } else if (issue && message === 'Invalid input') {
    const expected = expectedOf(issue);
    if (expected) message = `${message}: ${expected}`;
  }
  return `${locate(path)}: ${where}: ${message}`;
}

/**
 * Parses text (YAML is a superset of JSON) and validates it; `file` names it in errors, `expected` says what an empty
 * document should have held (default: a mapping of settings, as a scenario or a policy is).
 */
export function parseDocumentText<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  { expected }: { expected?: string } = {},
): ParsedDocument<z.output<S>> {
  const { doc, locate } = parseText(text, file, expected);
  const value = documentValue(doc, file);
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InputError(describeIssue(parsed.error, locate, { schema, value }));
  return { value: parsed.data, locate };
}

export function readDocumentFile<S extends z.ZodType>(file: string, schema: S): ParsedDocument<z.output<S>> {
  return parseDocumentText(readInputText(file), file, schema);
}

/** Offset of the deepest node of `path` that exists (a missing key points at its parent). */
function offsetOf(doc: Document, path: readonly (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return node.range[0];
  }
  return 0;
}

/** Offset of the key that ends `path` in its mapping; else as offsetOf. */
function keyOffsetOf(doc: Document, path: readonly (string | number)[]): number {
  const parent = path.length === 0 ? undefined : path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (isMap(parent)) {
    const last = path[path.length - 1];
    for (const pair of parent.items) {
      const key = pair.key;
      if (isScalar(key) && String(key.value) === String(last) && key.range) return key.range[0];
    }
  }
  return offsetOf(doc, path);
}

interface ZodDef {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly in?: z.ZodType;
  /** A discriminated union's key. */
  readonly discriminator?: string;
}

const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: ZodDef } })._zod.def;
/** The literal values an object schema's keys can take (what a discriminated union selects its option by). */
const propValuesOf = (s: z.ZodType) =>
  (s as unknown as { _zod: { propValues?: Record<string, ReadonlySet<unknown>> } })._zod.propValues;

/** The schema with its wrappers (optional, default, a transform's input…) taken off. */
function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    const def = defOf(s);
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return s;
    s = inner;
  }
}

/**
 * Of a union, the option the user was writing: in a discriminated union the one its discriminator selects (an
 * outage's keys for `kind: outage`, however many of a quota's keys it also has); else, or when the discriminator
 * selects none, the object option whose keys cover most of the value's.
 */
function pickOption(s: z.ZodType, value: unknown): z.ZodType {
  const def = defOf(s);
  if (def.type !== 'union' || !def.options) return s;
  const given = typeof value === 'object' && value !== null ? Object.keys(value) : [];
  if (def.discriminator !== undefined && given.includes(def.discriminator)) {
    const selected = (value as Record<string, unknown>)[def.discriminator];
    const chosen = def.options
      .map(unwrap)
      .find((option) => propValuesOf(option)?.[def.discriminator as string]?.has(selected as never));
    if (chosen) return chosen;
  }
  let best = s;
  let bestScore = -1;
  for (const option of def.options.map(unwrap)) {
    const shape = defOf(option).shape;
    if (!shape) continue;
    const score = given.filter((k) => k in shape).length;
    if (score > bestScore) {
      best = option;
      bestScore = score;
    }
  }
  return best;
}

/** The keys an object schema allows at `path` of a value, if the schema there is an object. */
function objectKeysAt(schema: z.ZodType, path: readonly (string | number)[], value: unknown): string[] | undefined {
  let s = schema;
  let v = value;
  for (const p of path) {
    s = pickOption(unwrap(s), v);
    const def = defOf(s);
    const next = def.shape?.[String(p)] ?? def.element ?? def.valueType;
    if (!next) return undefined;
    s = next;
    v = typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[p] : undefined;
  }
  const shape = defOf(pickOption(unwrap(s), v)).shape;
  return shape ? Object.keys(shape) : undefined;
}
