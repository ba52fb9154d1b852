/**
 * The OpenAPI document as a client generator reads it. The zod type provider registers every named schema twice,
 * as it is read ('EntryRequestInput') and as it is written ('EntryRequest'), whether or not the API uses both ways:
 * a client made from it got eleven schemas no operation refers to, and request types under names with 'Input'.
 * Here the schemas nothing refers to are dropped, and an 'Input' schema whose plain name is free takes it.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const PREFIX = '#/components/schemas/';

/** Every schema name `node` refers to ($ref), directly. */
function refsIn(node: Json, into: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const x of node) refsIn(x, into);
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(PREFIX)) into.add(v.slice(PREFIX.length));
      else refsIn(v, into);
    }
  }
  return into;
}

/** `node` with each $ref to a renamed schema pointing at its new name. */
function renamed(node: Json, names: ReadonlyMap<string, string>): Json {
  if (Array.isArray(node)) return node.map((x) => renamed(x, names));
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) {
    const to =
      k === '$ref' && typeof v === 'string' && v.startsWith(PREFIX) ? names.get(v.slice(PREFIX.length)) : undefined;
    out[k] = to !== undefined ? `${PREFIX}${to}` : renamed(v, names);
  }
  return out;
}

/** The document with only the schemas its operations reach, under their plain names where those are free. */
export function tidySchemas<T extends object>(document: T): T {
  const doc = document as unknown as { paths?: Json; components?: { schemas?: Record<string, Json> } };
  const schemas = doc.components?.schemas;
  if (!schemas) return document;
  const reached = new Set<string>();
  const queue = [...refsIn(doc.paths ?? null, new Set())];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (reached.has(name) || !(name in schemas)) continue;
    reached.add(name);
    queue.push(...refsIn(schemas[name] as Json, new Set()));
  }
  const names = new Map<string, string>();
  for (const name of reached) {
    const plain = name.endsWith('Input') ? name.slice(0, -'Input'.length) : undefined;
    if (plain && !reached.has(plain)) names.set(name, plain);
  }
  const kept: Record<string, Json> = {};
  for (const name of Object.keys(schemas).sort()) {
    if (reached.has(name)) kept[names.get(name) ?? name] = renamed(schemas[name] as Json, names);
  }
  return {
    ...document,
    paths: renamed(doc.paths ?? {}, names),
    components: { ...doc.components, schemas: kept },
  } as T;
}
