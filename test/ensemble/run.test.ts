/**
 * runEnsemble's store in its folder: a run stopped by its signal (Ctrl-C) before any draw ends leaves no store,
 * one stopped later keeps its draws for --resume.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EnsembleInterrupted, type EnsembleRunOptions, runEnsemble } from '../../src/ensemble/run.ts';
import { EnsembleStore } from '../../src/ensemble/store.ts';
import { SCENARIO_DIR } from '../../src/model/scenario.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'lodestone-ensemble-run-'));
let zone = '';

beforeAll(() => {
  zone = path.join(tmp(), 'zone-short.yaml');
  writeFileSync(
    zone,
    `name: zone-short\nextends: ${path.join(SCENARIO_DIR, 'zone-2026-ban-2027.yaml')}\nhorizon: { start: 2025, end: 2027 }\n`,
  );
});

const options = (out: string, over: Partial<EnsembleRunOptions> = {}): EnsembleRunOptions => ({
  setup: { scenario: zone, data: [], chains: ['rare-earths'], seed: 3 },
  draws: 4,
  workers: 1,
  chunk: 1,
  out,
  ...over,
});

/** The error a run ends with (failing the test if it ends well). */
async function interruptionOf(run: Promise<unknown>): Promise<EnsembleInterrupted> {
  const e = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(EnsembleInterrupted);
  return e as EnsembleInterrupted;
}

describe('a run interrupted through its signal', () => {
  it('before any draw ends: removes the store it made, says nothing was stored, and the same run can start again', async () => {
    const out = path.join(tmp(), 'o');
    const stop = new AbortController();
    // The first report comes once the store is open, before any task is handed out.
    const e = await interruptionOf(runEnsemble(options(out, { signal: stop.signal, onProgress: () => stop.abort() })));
    expect(e).toMatchObject({ stored: 0, removed: true, file: EnsembleStore.path(out) });
    expect(existsSync(EnsembleStore.path(out))).toBe(false);
    const again = await runEnsemble(options(out));
    expect(again.meta.draws.stored).toBe(4);
  }, 120_000);

  it('after a draw is stored: keeps the store and its draws, and --resume does the rest', async () => {
    const out = path.join(tmp(), 'o');
    const stop = new AbortController();
    const e = await interruptionOf(
      runEnsemble(options(out, { signal: stop.signal, onProgress: (p) => p.session > 0 && stop.abort() })),
    );
    expect(e.removed).toBe(false);
    expect(e.stored).toBeGreaterThanOrEqual(1);
    expect(e.stored).toBeLessThan(4);
    const resumed = await runEnsemble(options(out, { resume: true }));
    expect(resumed.meta.session.draws).toBe(4 - e.stored);
    expect(resumed.meta.draws.stored).toBe(4);
  }, 120_000);
});

describe('the chains of a run', () => {
  it('are a set: the same chains in another order, or repeated, resume the stored run', async () => {
    const out = path.join(tmp(), 'o');
    const setup = (chains: string[]) => ({ scenario: zone, data: [], chains, seed: 3 });
    const first = await runEnsemble(options(out, { setup: setup(['rare-earths', 'gallium']), draws: 2 }));
    expect(first.meta.chains).toEqual(['gallium', 'rare-earths']);
    const resumed = await runEnsemble(
      options(out, { setup: setup(['gallium', 'rare-earths', 'gallium']), draws: 3, resume: true }),
    );
    expect(resumed.meta).toMatchObject({ resumed: true, chains: ['gallium', 'rare-earths'] });
    expect(resumed.meta.session.draws).toBe(1);
    expect(resumed.meta.fingerprint).toBe(first.meta.fingerprint);
  }, 120_000);

  it('as a store made before they were sorted holds them (in the order given) still resume', async () => {
    const out = path.join(tmp(), 'o');
    const setup = { scenario: zone, data: [], chains: ['rare-earths', 'gallium'], seed: 3 };
    await runEnsemble(options(out, { setup, draws: 1 }));
    // What an older version stored for --chain rare-earths --chain gallium: the chains as given, and a fingerprint
    // of that.
    const store = EnsembleStore.open(out);
    const settings = JSON.parse(store.getMeta('settings') as string) as Record<string, string>;
    store.setMeta({
      settings: JSON.stringify({ ...settings, chains: 'rare-earths,gallium' }),
      fingerprint: 'an older fingerprint',
    });
    store.close();
    const resumed = await runEnsemble(options(out, { setup, draws: 2, resume: true }));
    expect(resumed.meta.session.draws).toBe(1);
    // Other chains are still another run.
    await expect(
      runEnsemble(options(out, { setup: { ...setup, chains: ['rare-earths'] }, draws: 3, resume: true })),
    ).rejects.toThrow(
      /cannot resume: the stored run has other settings \(--chain: stored rare-earths,gallium, now rare-earths/,
    );
  }, 120_000);
});
