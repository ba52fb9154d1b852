/**
 * A store that SQLite cannot use — a file at ensemble.sqlite that is no database, or a store cut short — is refused
 * with its path and what to do, whatever the run: SQLite's own messages ('file is not a database', 'database disk
 * image is malformed') name no file. The file is left as it was.
 */
import { mkdirSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type EnsembleRunOptions, runEnsemble } from '../../src/ensemble/run.ts';
import { EnsembleStore } from '../../src/ensemble/store.ts';
import { InputError } from '../../src/model/document.ts';
import { SCENARIO_DIR } from '../../src/model/scenario.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'lodestone-ensemble-store-'));
let zone = '';

beforeAll(() => {
  zone = path.join(tmp(), 'zone-short.yaml');
  writeFileSync(
    zone,
    `name: zone-short\nextends: ${path.join(SCENARIO_DIR, 'zone-2026.yaml')}\nhorizon: { start: 2025, end: 2026 }\n`,
  );
});

const options = (out: string, over: Partial<EnsembleRunOptions> = {}): EnsembleRunOptions => ({
  setup: { scenario: zone, data: [], chains: ['gallium'], seed: 3 },
  draws: 2,
  workers: 1,
  out,
  ...over,
});

async function errorOf(run: Promise<unknown>): Promise<Error> {
  const e = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(InputError);
  return e as Error;
}

describe('a store SQLite cannot use', () => {
  it('that is not a database: a plain run and --resume name the file and say what to do', async () => {
    const out = tmp();
    const file = EnsembleStore.path(out);
    const text = 'not an SQLite file, only text that happens to sit where the store would be\n'.repeat(4);
    writeFileSync(file, text);
    for (const over of [{}, { resume: true }]) {
      const e = await errorOf(runEnsemble(options(out, over)));
      expect(e.message).toContain(file);
      expect(e.message).toMatch(/is not an ensemble store .*: use --overwrite to discard it, or choose another --out/);
    }
    expect(readFileSync(file, 'utf8')).toBe(text);
  }, 120_000);

  it('cut short (damaged): --resume names the file and says what to do, and leaves it as it was', async () => {
    const out = path.join(tmp(), 'o');
    mkdirSync(out);
    await runEnsemble(options(out));
    const file = EnsembleStore.path(out);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const size = statSync(file).size;
    const e = await errorOf(runEnsemble(options(out, { draws: 4, resume: true })));
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/is damaged .*: use --overwrite to discard it, or choose another --out/);
    expect(statSync(file).size).toBe(size);
  }, 120_000);
});
