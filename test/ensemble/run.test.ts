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
