// The module hooks behind bin/typescript.mjs: each TypeScript source is compiled to JavaScript by esbuild on load,
// its types stripped and nothing else changed (no bundling, no renaming, no helpers wrapped around functions).
// The JavaScript is kept in a cache on disk, by a hash of the source and of how it was compiled: every start of the
// command and every ensemble worker thread loads the same hundred files, which need compiling once.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform, version } from 'esbuild';

// As tsconfig.json has them, for what esbuild reads of a file's compilation: imports kept exactly as written, class
// fields defined as ES2022 defines them.
const TSCONFIG = { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } };
const TARGET = `node${process.versions.node}`;
const CACHE = path.join(tmpdir(), `lodestone-typescript-${userInfo().uid}`);

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !/\.m?ts$/.test(new URL(url).pathname)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = await readFile(file, 'utf8');
  const key = createHash('sha256').update(`${version}\0${TARGET}\0${file}\0${source}`).digest('hex');
  const cached = path.join(CACHE, `${key}.js`);
  const hit = await readFile(cached, 'utf8').catch(() => undefined);
  if (hit !== undefined) return { format: 'module', source: hit, shortCircuit: true };
  const { code } = await transform(source, {
    loader: 'ts',
    format: 'esm',
    target: TARGET,
    sourcefile: file,
    sourcemap: 'inline',
    tsconfigRaw: TSCONFIG,
  });
  // Written aside then renamed, so that a reader never sees half a file; a cache that cannot be written is skipped.
  const aside = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await mkdir(CACHE, { recursive: true })
    .then(() => writeFile(aside, code))
    .then(() => rename(aside, cached))
    .catch(() => undefined);
  return { format: 'module', source: code, shortCircuit: true };
}
