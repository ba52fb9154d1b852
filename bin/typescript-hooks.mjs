// The module hooks behind bin/typescript.mjs: each TypeScript source is compiled to JavaScript by esbuild on load,
// its types stripped and nothing else changed (no bundling, no renaming, no helpers wrapped around functions).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

// As tsconfig.json has them, for what esbuild reads of a file's compilation: imports kept exactly as written, class
// fields defined as ES2022 defines them.
const TSCONFIG = { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } };

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !/\.m?ts$/.test(new URL(url).pathname)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const { code } = await transform(await readFile(file, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: `node${process.versions.node}`,
    sourcefile: file,
    sourcemap: 'inline',
    tsconfigRaw: TSCONFIG,
  });
  return { format: 'module', source: code, shortCircuit: true };
}
