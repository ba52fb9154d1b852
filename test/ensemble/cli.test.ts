/**
 * `lodestone ensemble` run as a user would: identical results on one and two workers, quantiles in order, a
 * central run with no random shocks equal to the deterministic simulation, a run killed midway and resumed that
 * loses and duplicates nothing, and clear errors for bad input.
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { EnsembleStore } from '../../src/ensemble/store.ts';
import { SCENARIO_DIR } from '../../src/model/scenario.ts';
import { overlayDir, ROOT, runCli } from '../helpers.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'lodestone-ensemble-'));
let dir = '';
let zone = '';
let ban = '';

function scenario(name: string, base: string, extra = ''): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}\nextends: ${path.join(SCENARIO_DIR, `${base}.yaml`)}\nhorizon: { start: 2025, end: 2027 }\n${extra}`,
  );
  return file;
}

beforeAll(() => {
  dir = tmp();
  zone = scenario('zone-short', 'zone-2026-ban-2027');
  ban = scenario('ban-short', 'ban-2027');
});

interface Output {
  meta: Record<string, unknown> & {
    draws: { stored: number; failed: number };
    workers: number;
    horizon: { start: number; end: number };
    session: { equilibria: { perDraw: number; newtonIterations: number } };
  };
  quantiles: {
    run: string;
    year: number;
    commodity: string;
    metric: string;
    n: number;
    p5: number | null;
    p25: number | null;
    p50: number | null;
    p75: number | null;
    p95: number | null;
    central: number | null;
    mean: number | null;
  }[];
  probabilities: { events: unknown[]; expectedConsumptionLost: unknown[] };
}

function ensemble(args: string[]): Output {
  const r = runCli(['ensemble', ...args, '--chain', 'rare-earths', '--json']);
  expect(r.stderr).not.toMatch(/Error|at .*\.ts/);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Output;
}

const withoutMeta = (o: Output) => JSON.stringify({ quantiles: o.quantiles, probabilities: o.probabilities });

describe('lodestone ensemble', () => {
  let one: Output;
  let two: Output;
  let outTwo = '';

  beforeAll(() => {
    one = ensemble([
      zone,
      '--against',
      ban,
      '--draws',
      '6',
      '--seed',
      '5',
      '--workers',
      '1',
      '--out',
      path.join(tmp(), 'o'),
    ]);
    outTwo = path.join(tmp(), 'o');
    two = ensemble([
      zone,
      '--against',
      ban,
      '--draws',
      '6',
      '--seed',
      '5',
      '--workers',
      '2',
      '--chunk',
      '1',
      '--out',
      outTwo,
    ]);
  }, 240_000);

  it('gives identical results, bit for bit, on one and two workers', () => {
    expect(one.meta.workers).toBe(1);
    expect(two.meta.workers).toBe(2);
    expect(one.meta.draws).toMatchObject({ requested: 6, stored: 6, failed: 0 });
    expect(withoutMeta(two)).toBe(withoutMeta(one));
    expect(Object.keys(two).sort()).toEqual(['meta', 'probabilities', 'quantiles']);
    // The same work too: every year of the scenario and of its twin, each solved in the same Newton iterations.
    const years = one.meta.horizon.end - one.meta.horizon.start + 1;
    expect(one.meta.session.equilibria.perDraw).toBe(2 * years);
    expect(one.meta.session.equilibria.newtonIterations).toBeGreaterThan(0);
    expect(two.meta.session.equilibria).toEqual(one.meta.session.equilibria);
  });

  it('has its quantiles in order, with the scenario, its twin and their paired difference', () => {
    const runs = new Set(one.quantiles.map((q) => q.run));
    expect([...runs].sort()).toEqual(['against', 'difference', 'scenario']);
    for (const q of one.quantiles) {
      if (q.n === 0) continue;
      const qs = [q.p5, q.p25, q.p50, q.p75, q.p95] as number[];
      for (let i = 1; i < qs.length; i++) expect(qs[i]).toBeGreaterThanOrEqual(qs[i - 1] as number);
    }
    const price = one.quantiles.filter((q) => q.run === 'scenario' && q.metric === 'priceInside');
    expect(price.map((q) => `${q.year} ${q.commodity}`)).toHaveLength(9);
  });

  it('writes the store, the JSON, the CSV and the HTML report with its fan charts, self-contained', () => {
    for (const f of [
      'ensemble.sqlite',
      'ensemble.json',
      'ensemble-quantiles.csv',
      'ensemble-probabilities.csv',
      'ensemble-expected-loss.csv',
      'ensemble-probability-changes.csv',
      'ensemble.html',
    ]) {
      expect(existsSync(path.join(outTwo, f)), f).toBe(true);
    }
    const csv = readFileSync(path.join(outTwo, 'ensemble-quantiles.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('run,year,commodity,metric,unit,n,mean,p5,p25,p50,p75,p95,central,standardError');
    expect(csv.length - 2).toBe(two.quantiles.length);
    const html = readFileSync(path.join(outTwo, 'ensemble.html'), 'utf8');
    expect(html).toMatch(/data-chart="c0-price"/);
    expect(html).toMatch(/P5–P95/);
    // Nothing to fetch: no script from elsewhere, and outside the inlined scripts no style sheet or image.
    expect(html).not.toMatch(/<script[^>]*\ssrc=/);
    const markup = html.replace(/<script[^>]*>[\s\S]*?<\/script>/g, '');
    expect(markup).not.toMatch(/<link[^>]+href=|<img[^>]+src=|https?:\/\//);
  });

  it('with central data and no hazards gives one path: every quantile is the deterministic run', () => {
    const none = scenario('zone-none', 'zone-2026-ban-2027', 'risks: { defaults: false }\n');
    const o = ensemble([
      none,
      '--draws',
      '3',
      '--central-parameters',
      '--workers',
      '1',
      '--out',
      path.join(tmp(), 'o'),
    ]);
    expect(o.meta.risks).toEqual([]);
    const rows = o.quantiles.filter((q) => q.n > 0);
    expect(rows.length).toBeGreaterThan(0);
    // To rounding: a draw's first solve warm-starts from the central run's (test/ensemble/engine.test.ts).
    const close = (x: number | null, y: number | null) =>
      x === y || (x !== null && y !== null && Math.abs(x - y) <= 1e-12 * Math.max(Math.abs(x), Math.abs(y)));
    for (const q of rows) {
      expect(close(q.p5, q.central)).toBe(true);
      expect(close(q.p95, q.central)).toBe(true);
      expect(close(q.p50, q.central)).toBe(true);
      expect(q.p5).toBe(q.p95);
    }
  }, 120_000);
});

describe('a run killed midway and resumed', () => {
  it('loses nothing and duplicates nothing', async () => {
    const out = path.join(tmp(), 'killed');
    const args = [
      'ensemble',
      zone,
      '--draws',
      '14',
      '--seed',
      '3',
      '--workers',
      '1',
      '--chunk',
      '1',
      '--chain',
      'rare-earths',
      '--out',
      out,
    ];
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/lodestone.mjs'), ...args], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    const file = EnsembleStore.path(out);
    const stored = () => {
      if (!existsSync(file)) return 0;
      try {
        const info = EnsembleStore.inspect(file);
        info.close();
        return info.draws;
      } catch {
        return 0;
      }
    };
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const deadline = Date.now() + 150_000;
    while (stored() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGKILL');
    await exited;
    const before = stored();
    expect(before).toBeGreaterThanOrEqual(3);
    expect(before).toBeLessThan(14);

    const resumed = runCli([...args, '--resume', '--json']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const r = JSON.parse(resumed.stdout) as Output;
    expect(r.meta.resumed).toBe(true);
    expect(r.meta.session).toMatchObject({ draws: 14 - before });
    const info = EnsembleStore.inspect(file);
    info.close();
    expect(info).toMatchObject({ draws: 14, failures: 0, duplicates: 0 });

    const fresh = ensemble([
      zone,
      '--draws',
      '14',
      '--seed',
      '3',
      '--workers',
      '2',
      '--out',
      path.join(tmp(), 'fresh'),
    ]);
    expect(withoutMeta(r)).toBe(withoutMeta(fresh));
  }, 300_000);
});

describe('a run interrupted (Ctrl-C) once every draw is stored, while they are summarised', () => {
  it('ends at once, its draws all stored for --resume to summarise again', async () => {
    const out = path.join(tmp(), 'o');
    const args = [zone, '--draws', '1', '--seed', '3', '--workers', '1', '--chain', 'rare-earths', '--out', out];
    ensemble([...args, '--no-report']);
    // Enough draws for the summary to take seconds: copies of the one stored (the summary reads whatever is there).
    const N = 60_000;
    const db = new Database(EnsembleStore.path(out));
    const row = db.prepare('SELECT scenario, against, shocks FROM draws WHERE draw = 0').get() as Record<
      string,
      unknown
    >;
    const insert = db.prepare('INSERT INTO draws VALUES (?, ?, ?, ?, 0, 0)');
    db.transaction(() => {
      for (let i = 1; i < N; i++) insert.run(i, row.scenario, row.against, row.shocks);
    })();
    db.close();
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin/lodestone.mjs'),
        'ensemble',
        ...args.slice(0, 2),
        String(N),
        ...args.slice(3),
        '--resume',
        '--progress',
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    let sent = 0;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The last progress line: every draw is stored, the summary starts.
      if (sent === 0 && stderr.includes(`${N}/${N} draws`)) {
        sent = Date.now();
        setTimeout(() => child.kill('SIGINT'), 200);
      }
    });
    const ended = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    expect(sent, stderr).toBeGreaterThan(0);
    // Before, Ctrl-C was taken by the run's handler, which had nothing left to stop: the summary and the report went on
    // to the end and the command ended well (exit 0), as if it had not been pressed.
    expect(ended.code === 0, `ended ${Date.now() - sent} ms after Ctrl-C: ${JSON.stringify(ended)}`).toBe(false);
    expect(ended.signal ?? ended.code).toBe(ended.signal ? 'SIGINT' : 130);
    const info = EnsembleStore.inspect(EnsembleStore.path(out));
    info.close();
    expect(info.draws).toBe(N);
  }, 300_000);
});

describe('a run interrupted (Ctrl-C) before any draw ends', () => {
  it('leaves no store, says nothing was stored, and the same command runs again', async () => {
    const out = path.join(tmp(), 'interrupted');
    // One task of all the draws: none is stored before the whole chunk ends, long after the store is open.
    const args = ['ensemble', zone, '--draws', '20', '--chunk', '20', '--workers', '1', '--chain', 'rare-earths'];
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/lodestone.mjs'), ...args, '--out', out], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!existsSync(EnsembleStore.path(out)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/interrupted; no draw had ended, so nothing was stored/);
    expect(stderr).not.toMatch(/completed so far/);
    expect(existsSync(EnsembleStore.path(out))).toBe(false);
    const again = runCli([...args, '--no-report', '--out', out]);
    expect(again.status, again.stderr).toBe(0);
  }, 120_000);
});

describe('two runs on one --out', () => {
  it("refuses the second up front, naming the first one's process; the lock goes with the first", async () => {
    const out = path.join(tmp(), 'shared');
    const args = ['ensemble', zone, '--chunk', '1', '--workers', '1', '--chain', 'rare-earths'];
    // Far more draws than it can do before it is stopped: it is still running when the second starts.
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/lodestone.mjs'), ...args, '--draws', '100000', '--out', out],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Until the first run has stored a draw: interrupted before that, it removes the store it made (it holds
    // nothing), and there is nothing to resume. On a loaded machine it can take a while to start its worker.
    const stored = () => {
      if (!existsSync(EnsembleStore.path(out))) return 0;
      try {
        const info = EnsembleStore.inspect(EnsembleStore.path(out));
        info.close();
        return info.draws;
      } catch {
        return 0; // being made
      }
    };
    const deadline = Date.now() + 90_000;
    while (stored() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(stored(), 'the first run stored no draw in 90 s').toBeGreaterThan(0);
    const second = runCli([...args, '--draws', '100000', '--resume', '--no-report', '--out', out]);
    child.kill('SIGINT');
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `${EnsembleStore.path(out)} is in use by another run \\(process ${child.pid}\\); wait for it to end or choose another --out`,
      ),
    );
    expect(await exited).toBe(130);
    // The first run's lock went with it: the run resumes (to ten draws past as many as were stored), every draw below
    // that is there, and none is stored twice.
    const target = stored() + 10;
    const resumed = runCli([...args, '--draws', String(target), '--resume', '--no-report', '--out', out]);
    expect(resumed.status, resumed.stderr).toBe(0);
    const info = EnsembleStore.inspect(EnsembleStore.path(out));
    info.close();
    expect(info.duplicates).toBe(0);
    const db = new Database(EnsembleStore.path(out), { readonly: true });
    const below = db.prepare('SELECT COUNT(DISTINCT draw) AS n FROM draws WHERE draw < ?').get(target) as { n: number };
    db.close();
    expect(below.n).toBe(target);
  }, 180_000);
});

describe('bad input', () => {
  const fails = (args: string[], message: RegExp) => {
    const r = runCli(['ensemble', ...args]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/at .*\.ts|Error:/);
  };

  it('refuses a negative, zero or fractional number of draws', () => {
    fails([zone, '--draws', '-5', '--out', tmp()], /--draws -5: expected a whole number of draws from 1 to 10,000,000/);
    fails([zone, '--draws', '0', '--out', tmp()], /--draws 0: expected a whole number/);
    fails([zone, '--draws', '2.5', '--out', tmp()], /--draws 2\.5: expected a whole number/);
    fails([zone, '--workers', '0', '--out', tmp()], /--workers 0: expected a whole number of worker threads/);
    fails([zone, '--seed', 'abc', '--out', tmp()], /--seed abc: expected a whole number/);
    fails([zone, '--draws', '0x5', '--out', tmp()], /--draws 0x5: expected a whole number/);
  });

  it('reads counts and seeds in plain digits only, and names the commodity of a bad price threshold', () => {
    // --risks runs nothing: the options are read before it, so a count read wrongly would only print the hazards.
    fails(
      [zone, '--draws', '1e3', '--risks', '--out', tmp()],
      /--draws 1e3: expected a whole number of draws from 1 to 10,000,000, written in plain digits \(1000\)/,
    );
    fails(
      [zone, '--seed', '1e3', '--risks', '--out', tmp()],
      /--seed 1e3: expected a whole number from 0 to 9,007,199,254,740,991, written/,
    );
    fails([zone, '--workers', '2.0', '--risks', '--out', tmp()], /--workers 2\.0: expected a whole number of worker/);
    fails(
      [zone, '--chunk', '+5', '--risks', '--out', tmp()],
      /--chunk \+5: expected a whole number, at least 1, written/,
    );
    fails(
      [zone, '--price-threshold', 'ndpr/oxide=abc', '--risks', '--out', tmp()],
      /--price-threshold ndpr\/oxide=abc: expected a positive price in USD\/t/,
    );
  });

  it('states the largest count and seed it takes when one is too large to be read exactly', () => {
    // 99999999999999999999 is past 2^53: read as a number it is not that integer, so the message said only 'at least 1'
    // ('0 or more' for the seed), which it is.
    const huge = '99999999999999999999';
    fails(
      [zone, '--draws', huge, '--risks', '--out', tmp()],
      /--draws 9+: expected a whole number of draws from 1 to 10,000,000/,
    );
    fails(
      [zone, '--seed', huge, '--risks', '--out', tmp()],
      /--seed 9+: expected a whole number from 0 to 9,007,199,254,740,991/,
    );
    fails(
      [zone, '--workers', huge, '--risks', '--out', tmp()],
      /--workers 9+: expected a whole number of worker threads from 1 to 256/,
    );
  });

  it('refuses --resume with --overwrite, and an --out that is a file or lies under one', () => {
    fails([zone, '--resume', '--overwrite', '--out', tmp()], /--resume and --overwrite: choose one/);
    const file = path.join(tmp(), 'a-file');
    writeFileSync(file, 'not a folder');
    fails([zone, '--draws', '1', '--out', file], new RegExp(`${file} exists and is not a folder`));
    fails(
      [zone, '--draws', '1', '--out', path.join(file, 'sub')],
      new RegExp(`cannot make the folder for the ensemble store: ${file} is a file`),
    );
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  });

  it.skipIf(!existsSync('/proc/self'))(
    'refuses an --out under /proc, where no folder can be made, with the folder and why, instead of hanging',
    () => {
      // Linux's /proc answers ENOENT to a mkdir under it although /proc is there; Node's recursive mkdirSync then
      // makes the parent again (EEXIST) and retries, forever: the command spun at full CPU and never ended.
      const out = `/proc/lodestone-test-${process.pid}/out`;
      const r = spawnSync(
        process.execPath,
        [path.join(ROOT, 'bin/lodestone.mjs'), 'ensemble', zone, '--draws', '1', '--chain', 'gallium', '--out', out],
        { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, LODESTONE_DEBUG: '' } },
      );
      expect(r.signal, 'the command was stopped after 60 s').toBeNull();
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`/proc/lodestone-test-${process.pid}/out: cannot make the folder for the ensemble store: .*ENOENT`),
      );
    },
    90_000,
  );

  it('leaves no empty store behind a run that fails before any draw, so that the same command can run again', () => {
    const out = path.join(tmp(), 'o');
    // Data that pass their checks but give the zone a floor no equilibrium can hold: a member's magnet plant at
    // 1e13 USD/t, and a cost-plus reference price built on it. The central run fails once the store is open.
    const header = readFileSync(path.join(ROOT, 'data', 'producers.csv'), 'utf8').split('\n')[0];
    const data = overlayDir({
      'producers.csv': `${header}\nMAG_TEST_USA,Test magnets,USA,ndfeb/magnet,asset,,1000,,,SMM_2024_NDFEB,0.8,0.7,0.9,A_RE_CAP_DEFAULT,1e13,9e12,2e13,A_RE_MAG_COST_JPN,2024,false,SMM_2024_NDFEB,test\n`,
    });
    const costly = scenario(
      'costly-floor',
      'zone-2026',
      'zone:\n  referencePrices:\n    ndfeb/magnet: { rule: cost-plus, margin: 0.1 }\n',
    );
    const args = [costly, '--data', data, '--draws', '2', '--workers', '1', '--chain', 'rare-earths', '--out', out];
    fails(args, /policy\.floors\.ndfeb\/magnet: .* times ndfeb\/magnet's reference price/);
    expect(existsSync(EnsembleStore.path(out))).toBe(false);
    fails(args, /policy\.floors\.ndfeb\/magnet/);
    // At 1e12 USD/t the central floor holds; the draws whose cost comes out higher fail alone, recorded, and the run
    // goes on.
    const drawn = overlayDir({
      'producers.csv': `${header}\nMAG_TEST_USA,Test magnets,USA,ndfeb/magnet,asset,,1000,,,SMM_2024_NDFEB,0.8,0.7,0.9,A_RE_CAP_DEFAULT,1e12,9e11,2e12,A_RE_MAG_COST_JPN,2024,false,SMM_2024_NDFEB,test\n`,
    });
    const run = ensemble([costly, '--data', drawn, '--draws', '6', '--workers', '1', '--out', path.join(tmp(), 'o')]);
    expect(run.meta.draws.failed).toBeGreaterThan(0);
    expect(run.meta.draws.stored + run.meta.draws.failed).toBe(6);
    expect(JSON.stringify(run.meta.failures)).toMatch(/policy\.floors\.ndfeb\/magnet/);
  }, 120_000);

  it('starts no more worker threads than there are draws', () => {
    const r = ensemble([zone, '--draws', '1', '--workers', '8', '--no-report', '--out', path.join(tmp(), 'o')]);
    expect(r.meta.workers).toBe(1);
  }, 120_000);

  it('names the file, line and column of an unknown supplier and of a probability above 1', () => {
    const unknown = scenario(
      'bad-supplier',
      'zone-2026',
      'risks:\n  controls:\n    - { kind: ban, origin: XYZ, commodities: [ndpr/oxide], destinations: members, probability: 0.1, duration: 1 }\n',
    );
    fails([unknown, '--out', tmp()], /bad-supplier\.yaml:6:28: risks\.controls\.0\.origin: unknown region 'XYZ'/);
    const probability = scenario(
      'bad-probability',
      'zone-2026',
      'risks:\n  controls:\n    - { kind: ban, origin: CHN, commodities: [ndpr/oxide], destinations: members, probability: 1.2, duration: 1 }\n',
    );
    fails(
      [probability, '--out', tmp()],
      /bad-probability\.yaml:6:\d+: risks\.controls\.0\.probability: must be a probability between 0 and 1/,
    );
  });

  it('refuses to resume another run, to overwrite one silently, or to resume nothing', () => {
    const out = path.join(tmp(), 'o');
    ensemble([zone, '--draws', '1', '--seed', '1', '--workers', '1', '--out', out]);
    fails(
      [zone, '--draws', '2', '--seed', '2', '--chain', 'rare-earths', '--resume', '--out', out],
      /cannot resume: .*--seed: stored 1, now 2/,
    );
    fails(
      [ban, '--draws', '2', '--seed', '1', '--chain', 'rare-earths', '--resume', '--out', out],
      /cannot resume: .*the scenario/,
    );
    // Only --chain changed: it alone is named (the scenario, the data and the hazards follow it).
    fails(
      [zone, '--draws', '2', '--seed', '1', '--chain', 'gallium', '--resume', '--out', out],
      /cannot resume: the stored run has other settings \(--chain: stored rare-earths, now gallium \(the scenario, the data and the hazards are compared on the chains modelled[^;]*\); resume/,
    );
    fails(
      [zone, '--draws', '2', '--seed', '1', '--chain', 'rare-earths', '--out', out],
      /an ensemble is already stored here \(1 draws\): pass --resume/,
    );
    fails([zone, '--resume', '--out', path.join(tmp(), 'none')], /no stored ensemble to resume/);
    // The refused runs left the stored draw alone.
    const info = EnsembleStore.inspect(EnsembleStore.path(out));
    info.close();
    expect(info.draws).toBe(1);
  }, 120_000);

  it('refuses an unknown chain and a threshold for an unknown commodity', () => {
    fails(
      [zone, '--chain', 'unobtainium', '--out', tmp()],
      /--chain unobtainium: unknown value chain \(known: .*rare-earths/,
    );
    fails(
      [zone, '--price-threshold', 'xx/yy=5', '--out', tmp()],
      /--price-threshold xx\/yy=5: unknown commodity 'xx\/yy'/,
    );
    fails([zone, '--cut-above', '2', '--out', tmp()], /--cut-above 2: expected a share of demand from 0 to 1/);
  });
});

describe('--risks and progress', () => {
  it('--risks lists the hazards with their basis', () => {
    const r = runCli(['ensemble', zone, '--risks', '--chain', 'rare-earths']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Hazards of zone-short/);
    expect(r.stdout).toMatch(/quota\s+CHN\s+ndfeb\/magnet\s+\*\s+0\.276/);
    expect(r.stdout).toMatch(/assumption: 1 episode\(s\) of CHN export_licensing on ndfeb\/magnet/);
  });

  it('shows progress on stderr only when asked (stderr is not a terminal here)', () => {
    const quiet = runCli([
      'ensemble',
      zone,
      '--draws',
      '2',
      '--workers',
      '1',
      '--chain',
      'rare-earths',
      '--no-report',
      '--out',
      tmp(),
    ]);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).not.toMatch(/ensemble zone-short/);
    const loud = runCli([
      'ensemble',
      zone,
      '--draws',
      '2',
      '--workers',
      '1',
      '--chain',
      'rare-earths',
      '--no-report',
      '--progress',
      '--out',
      tmp(),
    ]);
    expect(loud.status).toBe(0);
    expect(loud.stderr).toMatch(/ensemble zone-short: \[#+\] 2\/2 draws 100% · [\d.]+ draws\/s · 0s left/);
    expect(loud.stdout).toMatch(/zone-short: 2 draws, seed 1, 2025–2027/);
  }, 120_000);
});
