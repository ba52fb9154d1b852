/**
 * The real CLI as an operator runs it: `lodestone admin create-key` prints only the key; `lodestone serve` under
 * load, killed with SIGKILL and restarted, still has every write it acknowledged (entries and vault purchases), on
 * SQLite and PostgreSQL; SIGTERM stops it gracefully.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.ts';
import { createKey } from '../../src/store/keys.ts';
import { migrate } from '../../src/store/migrations.ts';
import { ROOT, runCli } from '../helpers.ts';
import { backends, describeBackend } from '../store/backends.ts';

const BIN = path.join(ROOT, 'bin/lodestone.mjs');

interface Running {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/** Starts `lodestone serve` on a free port and waits for its "listening on" line. */
function serve(db: string): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'serve', '--db', db, '--port', '0', '--log-level', 'warn'], {
    cwd: ROOT,
    env: { ...process.env, LODESTONE_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 30 s:\n${err}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string, stderr: () => err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${err}`));
    });
  });
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

for (const run of await backends()) {
  const { backend } = run;
  describeBackend(run, 'lodestone serve', () => {
    it('create-key prints only the key; a server killed under load keeps every acknowledged write', async () => {
      const db = await backend.fresh();
      try {
        const created = runCli(['admin', 'create-key', '--role', 'secretariat', '--label', 'ops', '--db', db.url]);
        expect(created.status, created.stderr).toBe(0);
        expect(created.stdout).toMatch(/^lsk_[A-Za-z0-9_-]{43}\n$/);
        const key = created.stdout.trim();
        const listed = runCli(['admin', 'list-keys', '--json', '--db', db.url]);
        expect(JSON.parse(listed.stdout)).toEqual([
          expect.objectContaining({ role: 'secretariat', label: 'ops', revokedAt: null }),
        ]);
        expect(listed.stdout).not.toContain(key);

        let server = await serve(db.url);
        children.push(server.child);
        const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
        const post = (url: string, path_: string, body: unknown) =>
          fetch(`${url}${path_}`, { method: 'POST', headers, body: JSON.stringify(body) });
        const published = await post(server.url, '/v1/schedules', {
          effectiveFrom: '2026-01-01',
          reference: 'Decision 1',
          prices: [{ commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 110_000 } }],
        });
        expect(published.status).toBe(201);

        // Eight clients write entries and vault purchases as fast as they are answered; the server is killed mid-way.
        const ackedEntries = new Map<string, number>();
        let ackedPurchases = 0;
        let attempted = 0;
        let stop = false;
        const client = async (c: number) => {
          for (let i = 0; !stop && i < 10_000; i++) {
            attempted++;
            try {
              if (i % 4 === 3) {
                const r = await post(server.url, '/v1/vault/transactions', {
                  id: `V-${c}-${i}`,
                  kind: 'purchase',
                  date: '2026-03-01',
                  member: 'USA',
                  commodity: 'gallium/refined',
                  site: 'DLA-1',
                  quantity: '1',
                });
                if (r.status === 201) ackedPurchases++;
                else await r.text();
              } else {
                const id = `E-${c}-${i}`;
                const r = await post(server.url, '/v1/entries', {
                  id,
                  date: '2026-03-01',
                  importer: 'USA',
                  origin: 'CHN',
                  commodity: 'ndpr/oxide',
                  quantity: String(1 + (i % 5)),
                  customsValueCents: 1_000_000 + c,
                });
                if (r.status === 201)
                  ackedEntries.set(
                    id,
                    ((await r.json()) as { assessment: { amountDueCents: number } }).assessment.amountDueCents,
                  );
                else await r.text();
              }
            } catch {
              return; // the connection died with the server
            }
          }
        };
        const load = Promise.all(Array.from({ length: 8 }, (_, c) => client(c)));
        const started = Date.now();
        while (ackedEntries.size < 80 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 20));
        process.stderr.write(
          `${backend.name}: ${ackedEntries.size} entries acknowledged in ${Date.now() - started} ms before SIGKILL\n`,
        );
        server.child.kill('SIGKILL');
        const death = await exited(server.child);
        stop = true;
        await load;
        expect(death.signal).toBe('SIGKILL');
        expect(ackedEntries.size).toBeGreaterThan(0);

        server = await serve(db.url);
        children.push(server.child);
        // Every acknowledged entry is there, with the duty it was acknowledged with.
        for (const [id, due] of ackedEntries) {
          const r = await fetch(`${server.url}/v1/entries/${id}`, { headers });
          expect(r.status, id).toBe(200);
          expect(((await r.json()) as { assessment: { amountDueCents: number } }).assessment.amountDueCents).toBe(due);
        }
        // Nothing twice, nothing invented: as many rows as distinct ids, no more than were attempted.
        const store = openStore(db.url);
        try {
          const entries = await store.db.selectFrom('entries').select('id').execute();
          expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
          expect(entries.length).toBeGreaterThanOrEqual(ackedEntries.size);
          expect(entries.length).toBeLessThanOrEqual(attempted);
          // Holdings equal the purchases recorded, which include every acknowledged one; each has its audit record.
          const purchases = await store.db.selectFrom('vault_transactions').select('id').execute();
          const holding = await store.db.selectFrom('vault_holdings').select('quantity').executeTakeFirst();
          expect(purchases.length).toBeGreaterThanOrEqual(ackedPurchases);
          expect(Number(holding?.quantity ?? 0)).toBe(purchases.length * 1_000_000);
          const audited = await store.db
            .selectFrom('audit_log')
            .select('subject')
            .where('action', '=', 'entry.submit')
            .execute();
          expect(audited.length).toBe(entries.length);
        } finally {
          await store.close();
        }

        // SIGTERM: a graceful stop, exit 0.
        server.child.kill('SIGTERM');
        const end = await exited(server.child);
        expect(end.code, server.stderr()).toBe(0);
        expect(server.stderr()).toMatch(/stopped/);
      } finally {
        await db.drop();
      }
    });
  });
}

describe('lodestone admin audit', () => {
  it('says where the rest of the log begins when a page fills the limit', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'lodestone-audit-')), 'a.db');
    const store = openStore(`sqlite:${file}`);
    await migrate(store);
    for (const label of ['a', 'b', 'c']) await createKey(store, { role: 'public', label, actor: 'test' });
    await store.close();
    const page = runCli(['admin', 'audit', '--limit', '2', '--db', `sqlite:${file}`]);
    expect(page.status).toBe(0);
    expect(page.stdout.trim().split('\n')).toHaveLength(4); // the header, its rule and two records
    expect(page.stderr).toMatch(/2 records shown \(--limit\); more may follow: --after 2/);
    const rest = runCli(['admin', 'audit', '--after', '2', '--db', `sqlite:${file}`]);
    expect(rest.stdout.trim().split('\n')).toHaveLength(3);
    expect(rest.stderr).not.toMatch(/more may follow/);
  });
});

describe('lodestone admin and serve: bad input', () => {
  it('refuses an unknown role, an unreachable database and a bad port with one clear line', async () => {
    const role = runCli(['admin', 'create-key', '--role', 'member:XYZ', '--db', 'sqlite::memory:']);
    expect(role.status).toBe(1);
    expect(role.stdout).toBe('');
    expect(role.stderr).toMatch(/role 'member:XYZ'/);
    expect(role.stderr).not.toMatch(/\n\s+at /);
    const unreachable = runCli(['admin', 'create-key', '--role', 'public', '--db', 'postgres://nobody@127.0.0.1:1/x']);
    expect(unreachable.status).toBe(1);
    expect(unreachable.stdout).toBe('');
    expect(unreachable.stderr).toMatch(/cannot reach or migrate the database/);
    // Reading commands do not create a database at a mistyped path (and report it empty).
    const typo = path.join(tmpdir(), `lodestone-no-such-${process.pid}`, 'x.db');
    for (const args of [['list-keys'], ['audit'], ['revoke-key', 'k1']]) {
      const r = runCli(['admin', ...args, '--db', `sqlite:${typo}`]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/no database at .*x\.db/);
    }
    expect(existsSync(path.dirname(typo))).toBe(false);
    // Nor do they set up an empty file, or a database of something else, as a new Lodestone database.
    const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-not-ours-'));
    const empty = path.join(dir, 'empty.db');
    writeFileSync(empty, '');
    const listed = runCli(['admin', 'list-keys', '--db', `sqlite:${empty}`]);
    expect(listed.status).toBe(1);
    expect(listed.stderr).toMatch(/no database at .*empty\.db/);
    expect(statSync(empty).size).toBe(0);
    const other = openStore(`sqlite:${path.join(dir, 'other.db')}`);
    await sql`create table notes (text varchar)`.execute(other.db);
    await other.close();
    const audit = runCli(['admin', 'audit', '--db', `sqlite:${path.join(dir, 'other.db')}`]);
    expect(audit.status).toBe(1);
    expect(audit.stderr).toMatch(/other\.db: not a Lodestone database/);
    const badUrl = runCli(['admin', 'list-keys', '--db', 'mysql://x']);
    expect(badUrl.stderr).toMatch(/expected sqlite:FILE/);
    const port = runCli(['serve', '--port', 'eighty', '--db', 'sqlite::memory:']);
    expect(port.status).toBe(1);
    expect(port.stderr).toMatch(/--port 'eighty'/);
    const revoke = runCli(['admin', 'revoke-key', 'key_nope', '--db', 'sqlite::memory:']);
    expect(revoke.status).toBe(1);
    expect(revoke.stderr).toMatch(/no active key 'key_nope'/);
    // A malformed URL is refused as one, its password masked; an unreachable database is named by reading commands too.
    const malformed = runCli(['admin', 'migrate', '--db', 'postgres://postgres:s3cret@127.0.0.1:99999/x']);
    expect(malformed.status).toBe(1);
    expect(malformed.stderr).toMatch(/postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:99999\/x.*not a valid URL/);
    expect(malformed.stderr).not.toMatch(/s3cret/);
    const listUnreachable = runCli(['admin', 'list-keys', '--db', 'postgres://nobody@127.0.0.1:1/x']);
    expect(listUnreachable.status).toBe(1);
    expect(listUnreachable.stderr).toMatch(/postgres:\/\/nobody@127\.0\.0\.1:1\/x: cannot reach the database/);
    // A label is printed into list-keys' table: no line breaks or escape sequences.
    const label = runCli([
      'admin',
      'create-key',
      '--role',
      'public',
      '--label',
      'a\nb\u001b[31m',
      '--db',
      'sqlite::memory:',
    ]);
    expect(label.status).toBe(1);
    expect(label.stderr).toMatch(/--label: printable characters/);
    // Someone else's SQLite file, refused by a reading command, is left as it was: not switched to WAL.
    const foreign = path.join(dir, 'foreign.db');
    const raw = new Database(foreign);
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    expect(runCli(['admin', 'list-keys', '--db', `sqlite:${foreign}`]).stderr).toMatch(/not a Lodestone database/);
    // Nor does a command that would write set up its tables there.
    const created = runCli(['admin', 'create-key', '--role', 'public', '--db', `sqlite:${foreign}`]);
    expect(created.status).toBe(1);
    expect(created.stderr).toMatch(/foreign\.db'.*holds the tables of something else \(t\) and no Lodestone schema/);
    const reread = new Database(foreign, { readonly: true });
    expect(reread.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(reread.prepare("select name from sqlite_master where type = 'table'").all()).toEqual([{ name: 't' }]);
    reread.close();
    // Audit bounds are checked before the database sees them.
    const limit = runCli(['admin', 'audit', '--limit', '99999999999999999999999', '--db', 'sqlite::memory:']);
    expect(limit.status).toBe(1);
    expect(limit.stderr).toMatch(/--limit '99999999999999999999999': expected a whole number from 1 to 100,000/);
    expect(runCli(['admin', 'audit', '--after', '9999999999', '--db', 'sqlite::memory:']).stderr).toMatch(
      /--after '9999999999': expected a whole number from 0 to 2,147,483,647/,
    );
  }, 180_000); // fourteen CLI processes, each loading the data: on a loaded two-core machine each takes seconds
});
