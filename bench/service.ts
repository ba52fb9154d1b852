/**
 * The secretariat service under load: `lodestone serve` as a separate process on loopback, driven by autocannon
 * (keep-alive connections). Per database (SQLite with synchronous=FULL, PostgreSQL with its default synchronous
 * commit): duty quotes per second (POST /v1/entries?dryRun=true: validation, auth, assessment, no write), durable
 * entry writes per second (POST /v1/entries with a new id each: assessment, one committed transaction with its audit
 * record), and p50/p99 latency; with the server's CPU time per request, which a busy machine disturbs far less than
 * the rates. Also the pure rule (assessDuty) in-process, for the HTTP overhead ratio.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { assessDuty } from '../src/admin/duty.ts';
import { defaultMembers, inForceOn, publishPrices } from '../src/admin/schedule.ts';
import type { Catalog } from '../src/data/catalog.ts';
import { openStore } from '../src/store/database.ts';
import { createKey } from '../src/store/keys.ts';
import { migrate } from '../src/store/migrations.ts';
import { type BenchResult, measure } from './harness.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PG_URL = process.env.LODESTONE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = 2;
const CONNECTIONS = 16;

const ENTRY = {
  date: '2026-03-01',
  importer: 'USA',
  origin: 'CHN',
  commodity: 'ndfeb/magnet',
  quantity: '1.25',
  customsValueCents: 1_000_000,
};

function serve(db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/lodestone.mjs'), 'serve', '--db', db, '--port', '0', '--log-level', 'error'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ child, url: m[1] as string });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

async function load(url: string, key: string, write: boolean, seconds = SECONDS): Promise<autocannon.Result> {
  let n = 0;
  const run = `${process.pid}-${randomBytes(3).toString('hex')}`;
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: write ? '/v1/entries' : '/v1/entries?dryRun=true',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ ...ENTRY, id: `B-${run}-${n++}` }) }),
      },
    ],
  });
}

/** CPU seconds (user + system) a process has used, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name; in clock ticks (100 Hz).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Runs a load and measures the server's CPU time per answered request: robust to a busy machine, unlike rates. */
async function measured(
  child: ChildProcess,
  url: string,
  key: string,
  write: boolean,
): Promise<{ result: autocannon.Result; cpuUs?: number }> {
  const before = cpuSeconds(child.pid);
  const result = await load(url, key, write);
  const after = cpuSeconds(child.pid);
  const answered = result.requests.total;
  return {
    result,
    ...(before !== undefined && after !== undefined && answered > 0
      ? { cpuUs: ((after - before) / answered) * 1e6 }
      : {}),
  };
}

function row(r: autocannon.Result, extra: Record<string, number | string>): BenchResult {
  return {
    median_ms: r.latency.p50,
    p10_ms: r.latency.p10,
    p90_ms: r.latency.p90,
    runs: r.requests.total,
    p99_ms: r.latency.p99,
    requests_per_s: r.requests.average,
    non_2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    connections: CONNECTIONS,
    seconds: SECONDS,
    ...extra,
  };
}

/** A fresh database for the run: a temporary SQLite file, or a schema of its own in PostgreSQL. */
async function freshDatabase(kind: 'sqlite' | 'postgres'): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-bench-'));
    return {
      url: `sqlite:${path.join(dir, 'bench.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `lodestone_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
  } catch (e) {
    console.log(`service.postgres: skipped, ${PG_URL} unreachable (${(e as Error).message})`);
    return undefined;
  } finally {
    await admin.end().catch(() => {});
  }
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

export async function benchService(
  catalog: Catalog,
  results: Record<string, BenchResult>,
  want: (name: string) => boolean,
): Promise<void> {
  if (want('service.rule')) {
    // The rule alone: one magnet entry (MFN, two additional duties, the levy on its standard NdPr content).
    const published = publishPrices(
      catalog,
      {
        effectiveFrom: '2026-01-01',
        reference: 'bench',
        prices: [{ commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 110_000 } }],
      },
      [],
    );
    const schedules = [
      {
        version: 1,
        effectiveFrom: '2026-01-01',
        publishedAt: '',
        publishedBy: '',
        reference: 'bench',
        prices: published.prices,
      },
    ];
    const inForce = inForceOn(schedules, ENTRY.date, defaultMembers(catalog));
    const r = measure(() => {
      for (let i = 0; i < 100; i++) assessDuty(catalog, ENTRY, inForce);
    });
    results['service.rule.assess-duty'] = {
      ...r,
      per_call_us: (r.median_ms / 100) * 1000,
      quotes_per_s: 100_000 / r.median_ms,
    };
  }
  for (const kind of ['sqlite', 'postgres'] as const) {
    if (!want(`service.${kind}`)) continue;
    const db = await freshDatabase(kind);
    if (!db) continue;
    let child: ChildProcess | undefined;
    try {
      const store = openStore(db.url);
      await migrate(store);
      const { key } = await createKey(store, { role: 'secretariat', actor: 'bench' });
      await store.close();
      const server = await serve(db.url);
      child = server.child;
      const publish = await fetch(`${server.url}/v1/schedules`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          effectiveFrom: '2026-01-01',
          reference: 'bench',
          prices: [{ commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 110_000 } }],
        }),
      });
      if (publish.status !== 201) throw new Error(`publish failed: ${await publish.text()}`);
      await load(server.url, key, false, 1); // warm-up: JIT, caches, connection pool
      const quotes = await measured(server.child, server.url, key, false);
      results[`service.${kind}.duty-quote`] = row(quotes.result, {
        ...(quotes.cpuUs !== undefined ? { server_cpu_us_per_request: quotes.cpuUs } : {}),
      });
      const writes = await measured(server.child, server.url, key, true);
      results[`service.${kind}.entry-write`] = row(writes.result, {
        ...(writes.cpuUs !== undefined ? { server_cpu_us_per_request: writes.cpuUs } : {}),
        durable: kind === 'sqlite' ? 'WAL, synchronous=FULL' : 'synchronous_commit=on',
      });
    } finally {
      child?.kill('SIGTERM');
      if (child) await new Promise((r) => child?.once('exit', r));
      await db.drop();
    }
  }
  const q = results['service.sqlite.duty-quote'];
  const w = results['service.sqlite.entry-write'];
  const rule = results['service.rule.assess-duty'];
  if (q && w)
    (w as Record<string, number | string>).quote_over_write = Number(q.requests_per_s) / Number(w.requests_per_s);
  if (q && rule)
    (q as Record<string, number | string>).rule_over_http = Number(rule.quotes_per_s) / Number(q.requests_per_s);
}
