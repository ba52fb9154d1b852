/**
 * The API's JSON bodies. JSON.parse keeps the last of a key given twice in one object, silently: in a customs entry
 * that is an ambiguity (which quantity was declared?), and other readers of the same text keep the first. A
 * `__proto__` key (or `constructor.prototype`) could reach an object's prototype wherever a body is merged. Both are
 * refused, naming the key by its path as validation errors do (body.content.quantity, body.prices.0.commodity).
 */

/** A body refused as sent: a 400 naming `field`. */
export class JsonBodyError extends Error {
  readonly statusCode = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'JsonBodyError';
  }
}

/** One open object or array of the text: its path, and the key (object) or index (array) being read. */
interface Frame {
  readonly path: string;
  readonly name: string;
  readonly keys?: Set<string>;
  key?: string;
  expectKey: boolean;
  index: number;
}

/** Parses a request body, refusing a duplicate or prototype key (JsonBodyError), or text that is not JSON. */
export function parseJsonBody(body: string): unknown {
  // A byte-order mark before the JSON is tolerated, as Fastify's own parser did.
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  if (text.trim() === '') throw new JsonBodyError('body', 'the body is empty: send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new JsonBodyError('body', `not valid JSON: ${(e as Error).message}`);
  }
  checkKeys(text);
  return value;
}

/** Walks text that JSON.parse has accepted, checking each object's keys; strings are skipped whole. */
function checkKeys(text: string): void {
  const stack: Frame[] = [];
  const child = (): { path: string; name: string } => {
    const top = stack.at(-1);
    if (!top) return { path: 'body', name: '' };
    const name = top.keys ? (top.key as string) : String(top.index);
    return { path: `${top.path}.${name}`, name };
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        const field = `${top.path}.${key}`;
        if (key === '__proto__' || (key === 'prototype' && top.name === 'constructor'))
          throw new JsonBodyError(field, `a key named '${key}' is refused: it could reach an object's prototype`);
        if (top.keys.has(key))
          throw new JsonBodyError(
            field,
            `'${key}' is given twice in one object: say it once (which of the two counts is ambiguous)`,
          );
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end;
    } else if (ch === '{' || ch === '[') {
      stack.push({ ...child(), ...(ch === '{' ? { keys: new Set<string>() } : {}), expectKey: true, index: 0 });
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',') {
      const top = stack.at(-1) as Frame;
      top.expectKey = true;
      top.index++;
    }
  }
}
