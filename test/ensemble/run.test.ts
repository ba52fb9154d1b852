/**
 * runEnsemble's store in its folder: a run stopped by its signal (Ctrl-C) before any draw ends leaves no store,
 * one stopped later keeps its draws for --resume; the chains are a set; a store is locked by the run writing it
 * (a second run is refused up front, a lock left by a dead process is taken over, the lock goes on every way out);
 * an empty store left behind does not stand in the way of a plain run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EnsembleInterrupted, type EnsembleRunOptions, runEnsemble } from '../../src/ensemble/run.ts';
import { EnsembleStore } from '../../src/ensemble/store.ts';
import { DEFAULT_THRESHOLDS } from '../../src/ensemble/summary.ts';
import { SCENARIO_DIR } from '../../src/model/scenario.ts';

const lockOf = (out: string) => `${EnsembleStore.path(out)}.lock`;
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
    expect(existsSync(lockOf(out))).toBe(false);
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
    expect(existsSync(lockOf(out))).toBe(false);
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

describe('the lock of a store', () => {
  it('refuses a second run on a store in use, up front and naming the process; the first run ends whole', async () => {
    const out = path.join(tmp(), 'o');
    let second: Promise<unknown> | undefined;
    const first = await runEnsemble(
      options(out, {
        draws: 6,
        onProgress: () => {
          // Once the first run has its store open: the same run again, resuming it.
          second ??= runEnsemble(options(out, { draws: 6, resume: true })).then(
            () => 'ran',
            (e: unknown) => (e as Error).message,
          );
        },
      }),
    );
    expect(await second).toBe(
      `${EnsembleStore.path(out)} is in use by another run (process ${process.pid}); wait for it to end or choose another --out`,
    );
    expect(first.meta.draws.stored).toBe(6);
    const info = EnsembleStore.inspect(EnsembleStore.path(out));
    info.close();
    expect(info).toMatchObject({ draws: 6, duplicates: 0 });
    expect(existsSync(lockOf(out))).toBe(false);
  }, 120_000);

  it('takes over a lock whose process is gone, and releases it when a run is refused', async () => {
    const out = path.join(tmp(), 'o');
    mkdirSync(out);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    }).stdout;
    writeFileSync(lockOf(out), gone);
    const r = await runEnsemble(options(out, { draws: 1 }));
    expect(r.meta.draws.stored).toBe(1);
    expect(existsSync(lockOf(out))).toBe(false);
    // Refused once locked (a stored run, no --resume): the lock goes with the refusal.
    await expect(runEnsemble(options(out, { draws: 2 }))).rejects.toThrow(/an ensemble is already stored here/);
    expect(existsSync(lockOf(out))).toBe(false);
  }, 120_000);

  it("is taken over when it has this process's pid but no run here holds it (an earlier process of that pid)", async () => {
    const out = path.join(tmp(), 'o');
    mkdirSync(out);
    writeFileSync(lockOf(out), String(process.pid));
    const r = await runEnsemble(options(out, { draws: 1 }));
    expect(r.meta.draws.stored).toBe(1);
    expect(existsSync(lockOf(out))).toBe(false);
  }, 120_000);

  it('is not taken from a live process', async () => {
    const out = path.join(tmp(), 'o');
    mkdirSync(out);
    // The parent of this process: alive while the test runs.
    writeFileSync(lockOf(out), String(process.ppid));
    await expect(runEnsemble(options(out, { draws: 1 }))).rejects.toThrow(
      `is in use by another run (process ${process.ppid})`,
    );
    expect(readFileSync(lockOf(out), 'utf8')).toBe(String(process.ppid));
    expect(existsSync(EnsembleStore.path(out))).toBe(false);
  });
});

describe('the lock of a store, across reboots and reused pids (Linux)', () => {
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
  const parentStart = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;

  it('names the boot and start time of the run holding it', async () => {
    const out = path.join(tmp(), 'o');
    let seen = '';
    await runEnsemble(options(out, { draws: 1, onProgress: () => (seen ||= readFileSync(lockOf(out), 'utf8')) }));
    const [pid, bootId, start] = seen.split(' ');
    expect({ pid: Number(pid), bootId }).toEqual({ pid: process.pid, bootId: boot });
    expect(Number(start)).toBeGreaterThan(0);
  }, 120_000);

  it('is taken over where its live pid is no longer the run: another boot, or another start time', async () => {
    // A lock left before a reboot, or by a run whose pid another program has since: refused for ever before.
    for (const text of [`${process.ppid} not-this-boot ${parentStart}`, `${process.ppid} ${boot} 1`]) {
      const out = path.join(tmp(), 'o');
      mkdirSync(out);
      writeFileSync(lockOf(out), text);
      const r = await runEnsemble(options(out, { draws: 1 }));
      expect(r.meta.draws.stored, text).toBe(1);
      expect(existsSync(lockOf(out))).toBe(false);
    }
    // The same process, still running: refused.
    const out = path.join(tmp(), 'o');
    mkdirSync(out);
    writeFileSync(lockOf(out), `${process.ppid} ${boot} ${parentStart}`);
    await expect(runEnsemble(options(out, { draws: 1 }))).rejects.toThrow(
      `is in use by another run (process ${process.ppid})`,
    );
  }, 120_000);
});

describe('a store left with no draw (a run killed before its first draw ended)', () => {
  it('is replaced by a plain run: there is nothing in it to lose', async () => {
    const out = path.join(tmp(), 'o');
    // What a killed run leaves: the store made, with that run's settings, and no draw.
    const left = EnsembleStore.open(out);
    left.setMeta({ version: '1', fingerprint: 'another run', settings: '{}', setup: '{}', layout: '{}' });
    left.close();
    const r = await runEnsemble(options(out, { draws: 2 }));
    expect(r.meta).toMatchObject({ resumed: false, draws: { stored: 2 } });
    // With a draw in it, it is kept and a plain run refused, as before.
    await expect(runEnsemble(options(out, { draws: 2 }))).rejects.toThrow(
      /an ensemble is already stored here \(2 draws\): pass --resume/,
    );
  }, 120_000);
});

describe('--resume with fewer --draws than are stored', () => {
  it('summarises the draws below --draws, keeps the others, and says so', async () => {
    const out = path.join(tmp(), 'o');
    await runEnsemble(options(out, { draws: 3 }));
    const notes: string[] = [];
    const fewer = await runEnsemble(options(out, { draws: 2, resume: true, onNote: (t) => notes.push(t) }));
    expect(fewer.meta.draws).toMatchObject({ requested: 2, stored: 2 });
    // The default --draws (1000) on a resumed run of 10,000 would summarise a tenth of it without a word.
    expect(notes).toContainEqual(
      expect.stringMatching(
        /ensemble\.sqlite holds 1 more draw than --draws 2: this summary reads draws 0 to 1; the store keeps the others \(--draws 3 reads all\)/,
      ),
    );
    const info = EnsembleStore.inspect(EnsembleStore.path(out));
    info.close();
    expect(info.draws).toBe(3);
    // All of them read: no note.
    const all: string[] = [];
    await runEnsemble(options(out, { draws: 3, resume: true, onNote: (t) => all.push(t) }));
    expect(all.filter((t) => /more draw/.test(t))).toEqual([]);
  }, 120_000);
});

describe('a price threshold on a commodity off the chains modelled', () => {
  it('is named in a note: it can never be used', async () => {
    const notes: string[] = [];
    const thresholds = { ...DEFAULT_THRESHOLDS, prices: { 'gallium/refined': 900, 'ndpr/oxide': 150_000 } };
    const r = await runEnsemble(options(path.join(tmp(), 'o'), { draws: 1, thresholds, onNote: (t) => notes.push(t) }));
    // No event row for gallium: --chain rare-earths models no gallium, and the threshold went unused without a word.
    expect(r.probabilities.events.some((e) => e.commodity === 'gallium/refined')).toBe(false);
    expect(notes).toEqual([
      '--price-threshold gallium/refined=900: gallium/refined is not in the chains modelled (--chain rare-earths): no event uses it',
    ]);
  }, 120_000);
});

describe('the tasks of a long run', () => {
  it('are handed to the pool a few at a time: memory does not grow with the draws asked for', async () => {
    // 2,000,000 draws in chunks of 10 are 200,000 tasks. All were handed to the pool at once, before the first draw:
    // at --draws 10,000,000 the process took 763 MB against 415 MB at --draws 1,000 (25 s in, on gallium), and had
    // stored no draw yet.
    const stop = new AbortController();
    let before = 0;
    let grown = Number.NaN;
    const progress = (p: { session: number }) => {
      if (p.session === 0 && before === 0) before = process.memoryUsage().heapUsed;
      if (p.session > 0 && Number.isNaN(grown)) {
        grown = process.memoryUsage().heapUsed - before;
        stop.abort();
      }
    };
    const e = await interruptionOf(
      runEnsemble(
        options(path.join(tmp(), 'o'), {
          draws: 2_000_000,
          chunk: 10,
          workers: 1,
          signal: stop.signal,
          onProgress: progress,
        }),
      ),
    );
    expect(e.stored).toBeGreaterThan(0);
    expect(grown / 2 ** 20).toBeLessThan(100);
  }, 180_000);
});

describe('a resume refused for another twin', () => {
  it('names the twin stored and the one given (or none)', async () => {
    const out = path.join(tmp(), 'o');
    await runEnsemble(options(out, { draws: 1 }));
    const ban = path.join(SCENARIO_DIR, 'ban-2027.yaml');
    // 'the --against scenario' alone did not say that the stored run had no twin: with no scenario named the CLI
    // runs zone-2026 against baseline, and the same scenario named alone runs without one.
    await expect(
      runEnsemble(options(out, { setup: { ...options(out).setup, against: ban }, draws: 2, resume: true })),
    ).rejects.toThrow(/other settings \(the --against scenario: stored none, now ban-2027\)/);
    const twin = path.join(tmp(), 'o');
    await runEnsemble(options(twin, { setup: { ...options(twin).setup, against: ban }, draws: 1 }));
    await expect(runEnsemble(options(twin, { draws: 2, resume: true }))).rejects.toThrow(
      /other settings \(the --against scenario: stored ban-2027, now none\)/,
    );
  }, 120_000);
});
