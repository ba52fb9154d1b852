// The loader behind bin/lodestone.mjs and the ensemble's workers (bin/typescript.mjs): TypeScript in, the same
// JavaScript out but for the types — names kept, nothing wrapped around functions, imports as written.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(files: Record<string, string>, entry: string) {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return spawnSync(process.execPath, ['--import', path.join(ROOT, 'bin/typescript.mjs'), path.join(dir, entry)], {
    encoding: 'utf8',
  });
}

describe('the TypeScript loader', () => {
  it('strips types and keeps names, class fields and type-only imports as TypeScript has them', () => {
    const out = run(
      {
        'shapes.ts': 'export interface Shape { readonly area: number }\nexport const unit = 1;\n',
        'main.mts': [
          "import { type Shape, unit } from './shapes.ts';",
          'class Square implements Shape {',
          '  side = unit * 2;',
          '  get area(): number { return this.side ** 2; }',
          '}',
          'const make = (n: number): number[] => Array.from({ length: n }, (_, i) => i);',
          'function named(): void {}',
          'const s: Shape = new Square();',
          'console.log(JSON.stringify({ area: s.area, square: Square.name, make: make.name, named: named.name,',
          "  own: Object.hasOwn(new Square(), 'side') }));",
        ].join('\n'),
      },
      'main.mts',
    );
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual({
      area: 4,
      square: 'Square',
      make: 'make',
      named: 'named',
      own: true,
    });
  });

  it('wraps no function in a naming helper (what made tsx slow on the engine)', async () => {
    const { load } = await import('../../bin/typescript-hooks.mjs');
    const file = path.join(ROOT, 'src/equilibrium/interior.ts');
    const { source } = await load(`file://${file}`, {}, () => {
      throw new Error('a .ts file is the loader’s own');
    });
    expect(String(source)).toContain('function solveInterior(');
    expect(String(source)).not.toMatch(/__name\(/);
  });

  it('reports a syntax error with its file', () => {
    const out = run({ 'broken.ts': 'const x: number = ;\n' }, 'broken.ts');
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain('broken.ts');
  });
});
