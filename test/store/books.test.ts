/** The secretariat's books on SQLite and PostgreSQL: idempotency, concurrency, the vault ledger and the audit log. */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { buildServer } from '../../src/server/app.ts';
import { appendAudit, appendAuditMany, readAudit, toJson } from '../../src/store/audit.ts';
import {
  Books,
  BooksError,
  canonicalJson,
  type EntrySubmission,
  type VaultTransactionRequest,
} from '../../src/store/books.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { createKey, KeyRing, listKeys, revokeKey } from '../../src/store/keys.ts';
import { migrate } from '../../src/store/migrations.ts';
import { backends, describeBackend, freshStore } from './backends.ts';

const require = createRequire(import.meta.url);
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const catalog = new Catalog(loadDataset());
const NOW = new Date('2026-03-01T12:00:00.000Z');

const entry = (id: string, e: Partial<EntrySubmission> = {}): EntrySubmission => ({
  id,
  date: '2026-03-01',
  importer: 'USA',
  origin: 'CHN',
  commodity: 'ndpr/oxide',
  quantity: '2',
  customsValueCents: 10_000_000,
  ...e,
});

const vaultTx = (id: string, t: Partial<VaultTransactionRequest> = {}): VaultTransactionRequest => ({
  id,
  kind: 'purchase',
  date: '2026-03-01',
  member: 'USA',
  commodity: 'gallium/refined',
  site: 'DLA-1',
  quantity: '10',
  valueCents: 1_000_000,
  ...t,
});

async function refusal(p: Promise<unknown>): Promise<BooksError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BooksError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

for (const run of await backends()) {
  const { backend } = run;
  describeBackend(run, 'books', () => {
    let store: Store;
    let books: Books;
    let drop: () => Promise<void>;

    beforeAll(async () => {
      const fresh = await freshStore(backend);
      store = fresh.store;
      drop = fresh.drop;
      books = new Books(store, catalog, () => NOW);
      await books.publishSchedule('test', {
        effectiveFrom: '2026-01-01',
        reference: 'Decision 1',
        prices: [{ commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 110_000 } }],
      });
    });
    afterAll(async () => drop?.());

    it('migrates idempotently', async () => {
      await migrate(store);
      expect((await books.schedules()).map((s) => s.version)).toEqual([1]);
    });

    it('migrates a second Lodestone beside this one (on PostgreSQL, another schema of the same database)', async () => {
      // Kysely once found this store's migration tables from the other schema, took the new one for migrated, and
      // failed: "relation kysely_migration_lock does not exist".
      const second = await freshStore(backend);
      try {
        expect(await new Books(second.store, catalog, () => NOW).schedules()).toEqual([]);
        expect((await books.schedules()).map((s) => s.version)).toEqual([1]);
      } finally {
        await second.drop();
      }
    });

    it('a migration that fails leaves none of its tables behind, so the next try can run it whole', async () => {
      // A table in the way of 0001 (an `admin create-key --db` at a file that holds one): on SQLite, 0001 once left
      // the tables it had made before failing, and every later try failed on them ("table api_keys already exists").
      const db = await backend.fresh();
      const target = openStore(db.url);
      try {
        await sql`CREATE TABLE entries (note text)`.execute(target.db);
        await expect(migrate(target)).rejects.toThrow(/migration 0001_initial failed: .*entries/);
        // This database's tables (on PostgreSQL, of its own schema: the others are other tests').
        const schema =
          backend.name === 'postgres'
            ? (await sql<{ s: string }>`select current_schema() as s`.execute(target.db)).rows[0]?.s
            : undefined;
        const tables = async () =>
          (await target.db.introspection.getTables())
            .filter((t) => schema === undefined || t.schema === schema)
            .map((t) => t.name)
            .sort();
        expect(await tables()).toEqual(['entries']);
        await sql`DROP TABLE entries`.execute(target.db);
        await migrate(target);
        expect(await tables()).toEqual(expect.arrayContaining(['api_keys', 'audit_log', 'entries', 'schedules']));
        expect(await listKeys(target)).toEqual([]);
      } finally {
        await target.close();
        await db.drop();
      }
    });

    it("0004 keeps every entry, posting and audit record, and their replays, as ids become each member's own", async () => {
      const db = await backend.fresh();
      const old = openStore(db.url);
      try {
        await migrate(old, { to: '0003_audit_append_only_inserts' });
        const before = new Books(old, catalog, () => NOW);
        await before.publishSchedule('test', {
          effectiveFrom: '2026-01-01',
          reference: 'Decision 1',
          prices: [{ commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 110_000 } }],
        });
        // A USA gallium purchase at DLA-1 as the code before 0004 wrote it (quantity in millionths of a kg).
        const oldPosting = (id: string, requestHash: string, quantity: string) => ({
          id,
          request_hash: requestHash,
          kind: 'purchase',
          member: 'USA',
          commodity: 'gallium/refined',
          site: 'DLA-1',
          to_member: null,
          to_site: null,
          quantity,
          value_cents: '1000000',
          date: '2026-03-01',
          recorded_by: 'k',
          recorded_at: NOW.toISOString(),
        });
        // Rows as the code before 0004 wrote them: an id unique across members, audit subjects naming the id alone.
        const submission = entry('OLD-1');
        const request = canonicalJson(submission);
        const assessment = await before.quote(submission);
        const purchase = vaultTx('OLD-V');
        const held = { member: 'USA', commodity: 'gallium/refined', site: 'DLA-1', quantity: '10', unit: 'kg Ga' };
        await old.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('entries')
            .values({
              id: 'OLD-1',
              importer: 'USA',
              origin: 'CHN',
              commodity: 'ndpr/oxide',
              entry_date: '2026-03-01',
              submitted_by: 'k',
              request_hash: sha256(request),
              request,
              assessment: toJson(assessment),
              amount_due_cents: assessment.amountDueCents,
              levy_cents: assessment.levyCents,
              created_at: NOW.toISOString(),
            })
            .execute();
          await trx
            .insertInto('vault_transactions')
            .values(oldPosting('OLD-V', sha256(canonicalJson(purchase)), '10000000'))
            .execute();
          await trx
            .insertInto('vault_holdings')
            .values({ member: 'USA', commodity: 'gallium/refined', site: 'DLA-1', quantity: '10000000' })
            .execute();
          const records = [
            { actor: 'k', action: 'entry.submit', subject: 'entry:OLD-1', after: { entry: submission } },
            {
              actor: 'k',
              action: 'vault.purchase',
              subject: 'vault:OLD-V',
              after: { request: purchase, holdings: [held] },
            },
          ];
          await appendAuditMany(trx, records, old.dialect, () => NOW);
        });
        // A number handed out whose row is gone (no path of the service deletes one; a restore from a copy might): the
        // counter stands above the rows, and a posting after the migration must not take that number again.
        const goneSeq = await old.db.transaction().execute(async (trx) => {
          const row = await trx
            .insertInto('vault_transactions')
            .values(oldPosting('GONE-V', 'x', '1'))
            .returning('seq')
            .executeTakeFirstOrThrow();
          await trx.deleteFrom('vault_transactions').where('id', '=', 'GONE-V').execute();
          return Number(row.seq);
        });
        const rows = async () => ({
          entries: await old.db.selectFrom('entries').selectAll().orderBy('id').execute(),
          vault: await old.db.selectFrom('vault_transactions').selectAll().orderBy('seq').execute(),
          audit: await readAudit(old.db, { limit: 1000 }),
        });
        const stored = await rows();

        await migrate(old);
        expect(await rows()).toEqual(stored);
        const after = new Books(old, catalog, () => NOW);
        // What the secretariat saw under the id, it sees still: the entry, its audit record, the holdings.
        expect(await after.entries('OLD-1')).toEqual([expect.objectContaining({ id: 'OLD-1', submittedBy: 'k' })]);
        const app = await buildServer({ store: old, catalog, now: () => NOW });
        const key = (await createKey(old, { role: 'secretariat', actor: 'test' })).key;
        const read = async (url: string) => {
          const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
          return { status: r.statusCode, body: JSON.parse(r.body) };
        };
        expect(await read('/v1/entries/OLD-1')).toEqual({
          status: 200,
          body: expect.objectContaining({ id: 'OLD-1', entry: submission }),
        });
        expect((await read('/v1/audit?subject=vault:OLD-V')).body.records).toEqual([stored.audit[2]]);
        expect((await read('/v1/vault/holdings')).body.holdings).toEqual([held]);
        // Replays of what was recorded before are answered as then: the entry stored, the holdings of its audit record.
        const replay = await after.submitEntry('k2', submission);
        expect([replay.created, replay.entry.assessment]).toEqual([false, JSON.parse(toJson(assessment))]);
        const posted = await after.recordTransaction('k2', purchase);
        expect([posted.created, posted.holdings]).toEqual([false, [held]]);
        expect((await refusal(after.submitEntry('k2', entry('OLD-1', { quantity: '3' })))).kind).toBe('conflict');
        // Another member may now use the ids: new records, numbered after the old ones.
        expect((await after.submitEntry('k3', entry('OLD-1', { importer: 'JPN' }))).created).toBe(true);
        const jpn = await after.recordTransaction('k3', vaultTx('OLD-V', { member: 'JPN', site: 'JOGMEC' }));
        expect(jpn.created).toBe(true);
        expect(jpn.transaction.seq).toBeGreaterThan(Number(stored.vault[0]?.seq));
        expect(jpn.transaction.seq).toBeGreaterThan(goneSeq);
        expect((await after.entries('OLD-1')).map((e) => e.entry.importer)).toEqual(['JPN', 'USA']);
        expect((await read('/v1/entries/OLD-1')).status).toBe(409);
        expect((await read('/v1/entries/OLD-1?importer=USA')).body.entry).toEqual(submission);
        await app.close();
        // The old audit records are as they were, the new ones name the member.
        const audit = await readAudit(old.db, { limit: 1000 });
        expect(audit.slice(0, stored.audit.length)).toEqual(stored.audit);
        expect(
          audit
            .slice(stored.audit.length)
            .filter((a) => a.action !== 'key.create')
            .map((a) => a.subject),
        ).toEqual(['entry:OLD-1@JPN', 'vault:OLD-V@JPN']);
      } finally {
        await old.close();
        await db.drop();
      }
    });

    it('publishes schedules and answers what is in force, with its audit record', async () => {
      const s = await books.publishSchedule('secretariat-key', {
        effectiveFrom: '2026-07-01',
        reference: 'Decision 2',
        prices: [
          { commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 130_000 }, adjustment: { smoothing: 0.5 } },
        ],
      });
      expect(s.version).toBe(2);
      expect(s.prices[0]?.priceCents).toBe(12_000_000);
      expect((await books.inForce('2026-06-30')).prices[0]?.priceCents).toBe(11_000_000);
      expect((await books.inForce('2026-07-01')).prices[0]).toMatchObject({ version: 2, reference: 'Decision 2' });
      const audit = await readAudit(store.db, { subject: 'schedule:2' });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor: 'secretariat-key', action: 'schedule.publish', at: NOW.toISOString() });
      expect((audit[0]?.before as { prices: { priceCents: number }[] } | undefined)?.prices[0]?.priceCents).toBe(
        11_000_000,
      );
    });

    it('concurrent publications are serialised: each is smoothed against the one in force before it', async () => {
      const request = (price: number, effectiveFrom: string) => ({
        effectiveFrom,
        reference: `race ${price}`,
        prices: [
          { commodity: 'gallium/refined', method: { rule: 'fixed' as const, price }, adjustment: { smoothing: 0.5 } },
        ],
      });
      // Whichever commits first, the other reads it: the later date is smoothed against the earlier, or the earlier
      // date, coming second, is refused (schedules are published in date order).
      const [a, b] = await Promise.allSettled([
        books.publishSchedule('a', request(800, '2027-01-01')),
        books.publishSchedule('b', request(1000, '2027-02-01')),
      ]);
      expect(b.status).toBe('fulfilled');
      const later = (b as PromiseFulfilledResult<Awaited<ReturnType<Books['publishSchedule']>>>).value;
      if (a.status === 'fulfilled') {
        expect(a.value.prices[0]?.explanation.previous).toBeUndefined();
        expect(later.prices[0]?.explanation.previous).toEqual({
          version: a.value.version,
          priceCents: a.value.prices[0]?.priceCents,
        });
      } else {
        expect((a.reason as BooksError).field).toBe('effectiveFrom');
        expect(later.prices[0]?.explanation.previous).toBeUndefined();
      }
    });

    it('a schedule amending another of the same date is capped against the price in force the day before', async () => {
      const request = (price: number) => ({
        effectiveFrom: '2027-03-01',
        reference: `amend ${price}`,
        prices: [
          {
            commodity: 'cobalt/refined',
            method: { rule: 'fixed' as const, price },
            adjustment: { maxChange: 0.2 },
          },
        ],
      });
      await books.publishSchedule('s', { ...request(20_000), effectiveFrom: '2027-02-15' });
      const first = await books.publishSchedule('s', request(40_000));
      const second = await books.publishSchedule('s', request(40_000));
      // Both +20% of 20,000 (the price of 2027-02-28), not +20% and then +20% again.
      expect(first.prices[0]?.priceCents).toBe(2_400_000);
      expect(second.prices[0]?.priceCents).toBe(2_400_000);
      expect((await books.inForce('2027-03-01')).prices.find((p) => p.commodity === 'cobalt/refined')?.version).toBe(
        second.version,
      );
    });

    if (backend.name === 'sqlite') {
      it('SQLite runs in WAL mode with synchronous=FULL: an acknowledged write is on disk', async () => {
        const mode = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(store.db);
        const sync = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(store.db);
        expect(mode.rows[0]?.journal_mode).toBe('wal');
        expect(Number(sync.rows[0]?.synchronous)).toBe(2);
      });

      it('SQLite: writes go on while another process writes to the same file (no "database is locked")', async () => {
        const fresh = await freshStore(backend);
        const b = new Books(fresh.store, catalog, () => NOW);
        const file = fresh.store.description.slice('sqlite:'.length);
        // Another writer on its own thread, as a second server or `admin create-key` would be.
        const other = new Worker(
          `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
           const db = new Database(${JSON.stringify(file)});
           db.pragma('busy_timeout = 5000');
           const insert = db.prepare("INSERT INTO api_keys (id, key_hash, role, created_at) VALUES (?, ?, 'public', 'x')");
           const until = Date.now() + 1500;
           for (let i = 0; Date.now() < until; i++) insert.run('other-' + i, 'hash-' + i);
           require('node:worker_threads').parentPort.postMessage('done');`,
          { eval: true },
        );
        const done = new Promise((resolve, reject) => other.once('message', resolve).once('error', reject));
        const results = await Promise.allSettled(
          Array.from({ length: 40 }, (_, i) => b.recordTransaction('k', vaultTx(`W-${i}`, { site: `W-${i}` }))),
        );
        await done;
        await fresh.drop();
        expect(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([]);
      });
    }

    it('a schedule the rules refuse leaves nothing behind', async () => {
      const before = (await books.schedules()).length;
      const e = await refusal(
        books
          .publishSchedule('x', {
            effectiveFrom: '2026-08-01',
            reference: 'bad',
            prices: [{ commodity: 'germanium/refined', method: { rule: 'cost-plus', margin: 0.1 } }],
          })
          .catch((err) => {
            throw new BooksError('invalid', 'prices.0', (err as Error).message);
          }),
      );
      expect(e.message).toMatch(/no producer to mark up/);
      expect((await books.schedules()).length).toBe(before);
    });

    it('records an entry once: a replay returns the stored answer, another payload under the id conflicts', async () => {
      const first = await books.submitEntry('k1', entry('E-1'));
      expect(first.created).toBe(true);
      expect(first.entry.assessment.amountDueCents).toBe(12_000_000);
      const again = await books.submitEntry('k2', entry('E-1'));
      expect(again.created).toBe(false);
      expect(again.entry).toEqual(first.entry);
      const e = await refusal(books.submitEntry('k1', entry('E-1', { quantity: '3' })));
      expect(e.kind).toBe('conflict');
      expect(e.field).toBe('id');
      expect(await books.entry('USA', 'E-1')).toEqual(first.entry);
      expect(await readAudit(store.db, { subject: 'entry:E-1@USA' })).toHaveLength(1);
    });

    it('concurrent submissions: the same id is recorded once, different ids all once', async () => {
      const same = await Promise.all(Array.from({ length: 40 }, () => books.submitEntry('k', entry('E-same'))));
      expect(same.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(same.map((r) => JSON.stringify(r.entry))).size).toBe(1);
      const ids = Array.from({ length: 120 }, (_, i) => `E-par-${i}`);
      const many = await Promise.all(
        ids.map((id) => books.submitEntry('k', entry(id, { quantity: `${1 + (ids.indexOf(id) % 7)}` }))),
      );
      expect(many.every((r) => r.created)).toBe(true);
      const rows = await store.db.selectFrom('entries').select('id').where('id', 'like', 'E-par-%').execute();
      expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
      const audit = await store.db
        .selectFrom('audit_log')
        .select('subject')
        .where('subject', 'like', 'entry:E-%')
        .execute();
      expect(audit.filter((a) => a.subject === 'entry:E-same@USA')).toHaveLength(1);
      expect(audit.filter((a) => a.subject.startsWith('entry:E-par-'))).toHaveLength(120);
    });

    it('an entry is assessed under a schedule another server has just published for its date, not the one it had read', async () => {
      const fresh = await freshStore(backend);
      try {
        const here = new Books(fresh.store, catalog, () => NOW);
        const there = new Books(fresh.store, catalog, () => NOW);
        const price = (v: number) => [{ commodity: 'ndpr/oxide', method: { rule: 'fixed' as const, price: v } }];
        await there.publishSchedule('s', { effectiveFrom: '2026-01-01', reference: 'v1', prices: price(100_000) });
        expect((await here.schedules()).map((s) => s.version)).toEqual([1]); // read, and kept for SCHEDULE_CACHE_MS
        const v2 = await there.publishSchedule('s', {
          effectiveFrom: '2026-02-01',
          reference: 'v2',
          prices: price(120_000),
        });
        const { entry: recorded } = await here.submitEntry('k', entry('E-after-v2', { customsValueCents: 0 }));
        const levy = recorded.assessment.lines.find((l) => l.kind === 'levy');
        expect([levy?.basis.scheduleVersion, levy?.amountCents]).toEqual([v2.version, 24_000_000]);
        // What the schedules in force on the entry's date give, as an auditor recomputes it.
        expect((await there.inForce('2026-03-01')).prices.map((p) => p.priceCents)).toEqual([12_000_000]);
      } finally {
        await fresh.drop();
      }
    });

    it('an entry the rules refuse is not recorded', async () => {
      const e = await refusal(
        books.submitEntry('k', entry('E-bad', { importer: 'CHN' })).catch((err) => {
          throw new BooksError('invalid', undefined, (err as Error).message);
        }),
      );
      expect(e.message).toMatch(/not a member/);
      expect(await books.entry('USA', 'E-bad')).toBeUndefined();
    });

    it('vault: purchase, transfer, release; a release beyond the holding is refused and changes nothing', async () => {
      const p = await books.recordTransaction('k', vaultTx('V-1'));
      expect(p.created).toBe(true);
      expect(p.holdings).toEqual([
        { member: 'USA', commodity: 'gallium/refined', site: 'DLA-1', quantity: '10', unit: 'kg Ga' },
      ]);
      const t = await books.recordTransaction(
        'k',
        vaultTx('V-2', { kind: 'transfer', quantity: '2.5', toMember: 'DEU', toSite: 'EU-1', valueCents: undefined }),
      );
      expect(t.holdings.map((h) => [h.member, h.quantity])).toEqual([
        ['USA', '7.5'],
        ['EU27', '2.5'],
      ]);
      const refused = await refusal(
        books.recordTransaction('k', vaultTx('V-3', { kind: 'release', quantity: '7.500001' })),
      );
      expect(refused.kind).toBe('conflict');
      expect(refused.message).toMatch(/USA holds 7.5 kg Ga of gallium\/refined at DLA-1, less than the 7.500001 asked/);
      expect(await store.db.selectFrom('vault_transactions').select('id').where('id', '=', 'V-3').execute()).toEqual(
        [],
      );
      expect(await readAudit(store.db, { subject: 'vault:V-3@USA' })).toEqual([]);
      // replay and conflict on the id
      const replayed = await books.recordTransaction('k', vaultTx('V-1'));
      expect(replayed.created).toBe(false);
      // The same answer as when it was recorded (10 held), though V-2 has moved 2.5 away since.
      expect(replayed.holdings.map((h) => h.quantity)).toEqual(['10']);
      expect((await refusal(books.recordTransaction('k', vaultTx('V-1', { quantity: '11' })))).kind).toBe('conflict');
      const audit = await readAudit(store.db, { subject: 'vault:V-2@USA' });
      expect(audit[0]?.before).toEqual([
        { member: 'USA', commodity: 'gallium/refined', site: 'DLA-1', quantity: '10', unit: 'kg Ga' },
        { member: 'EU27', commodity: 'gallium/refined', site: 'EU-1', quantity: '0', unit: 'kg Ga' },
      ]);
      const holdings = await books.holdings();
      expect(holdings.map((h) => [h.member, h.site, h.quantity])).toEqual([
        ['EU27', 'EU-1', 2_500_000n],
        ['USA', 'DLA-1', 7_500_000n],
      ]);
      // A schedule that takes USA out of the zone while it holds stock would strand it (only members move the
      // vault's stock): refused, nothing published; keeping USA is fine.
      const schedules = (await books.schedules()).length;
      const leaving = await refusal(
        books.publishSchedule('s', {
          effectiveFrom: '2027-06-01',
          reference: 'D-x',
          members: ['EU27', 'JPN'],
          prices: [],
        }),
      );
      expect([leaving.kind, leaving.field]).toEqual(['conflict', 'members']);
      expect(leaving.message).toMatch(
        /USA would leave the zone on 2027-06-01 holding vault stock: 7\.5 kg Ga of gallium\/refined \(USA, DLA-1\)/,
      );
      expect((await books.schedules()).length).toBe(schedules);
    });

    it('vault: no stock is bought for a member on the day of an exit another server has just published', async () => {
      const fresh = await freshStore(backend);
      try {
        const here = new Books(fresh.store, catalog, () => NOW);
        const there = new Books(fresh.store, catalog, () => NOW);
        expect((await here.inForce('2026-03-01')).members).toContain('MEX'); // read, and kept for SCHEDULE_CACHE_MS
        await there.publishSchedule('s', {
          effectiveFrom: '2026-03-01',
          reference: 'MEX leaves',
          members: ['USA', 'EU27', 'JPN'],
          prices: [],
        });
        const bought = await refusal(here.recordTransaction('k', vaultTx('EXIT-1', { member: 'MEX', site: 'M-1' })));
        expect([bought.field, bought.message]).toEqual([
          'member',
          'member: MEX is not a member of the zone on 2026-03-01',
        ]);
        const moved = await refusal(
          here.recordTransaction(
            'k',
            vaultTx('EXIT-2', {
              kind: 'transfer',
              quantity: '1',
              toMember: 'MEX',
              valueCents: undefined,
              toSite: 'M-1',
            }),
          ),
        );
        expect(moved.field).toBe('toMember');
        expect(await here.holdings()).toEqual([]);
      } finally {
        await fresh.drop();
      }
    });

    it('vault: a purchase for a member and a schedule taking it out, at the same moment: never both', async () => {
      for (let round = 0; round < 5; round++) {
        const fresh = await freshStore(backend);
        try {
          const b = new Books(fresh.store, catalog, () => NOW);
          const [exit, bought] = await Promise.allSettled([
            b.publishSchedule('s', {
              effectiveFrom: '2026-06-01',
              reference: 'MEX leaves',
              members: ['USA', 'EU27', 'JPN'],
              prices: [],
            }),
            b.recordTransaction('k', vaultTx(`RACE-${round}`, { member: 'MEX', site: 'M-1' })),
          ]);
          // One or the other (a purchase first makes the exit strand stock; an exit first makes the purchase do so).
          expect([exit.status, bought.status].filter((x) => x === 'fulfilled')).toHaveLength(1);
        } finally {
          await fresh.drop();
        }
      }
    });

    // On a store of its own: a schedule in the future would reorder the shared store's later tests.
    it('vault: no stock is put with a member whose exit is published (bought for it, or moved to it)', async () => {
      const fresh = await freshStore(backend);
      try {
        const b = new Books(fresh.store, catalog, () => NOW);
        await b.publishSchedule('s', {
          effectiveFrom: '2026-06-01',
          reference: 'MEX leaves',
          members: ['USA', 'EU27', 'JPN'],
          prices: [],
        });
        const bought = await refusal(b.recordTransaction('k', vaultTx('L-1', { member: 'MEX', site: 'M-1' })));
        expect([bought.kind, bought.field]).toEqual(['conflict', 'member']);
        expect(bought.message).toMatch(
          /MEX leaves the zone on 2026-06-01 \(schedule version 1\): stock put with it now would be stranded/,
        );
        await b.recordTransaction('k', vaultTx('L-2'));
        const moved = await refusal(
          b.recordTransaction(
            'k',
            vaultTx('L-3', { kind: 'transfer', quantity: '1', toMember: 'MEX', valueCents: undefined, toSite: 'M-1' }),
          ),
        );
        expect([moved.kind, moved.field]).toEqual(['conflict', 'toMember']);
        // What stays with members is fine, and MEX may still release or move out what it has.
        expect((await b.recordTransaction('k', vaultTx('L-4', { member: 'JPN', site: 'J-1' }))).created).toBe(true);
        expect(await fresh.store.db.selectFrom('vault_transactions').select('id').orderBy('id').execute()).toEqual([
          { id: 'L-2' },
          { id: 'L-4' },
        ]);
      } finally {
        await fresh.drop();
      }
    });

    it('vault: quantities beyond 2^53 millionths read back exact, after the write and from the holdings', async () => {
      const big = await books.recordTransaction(
        'k',
        vaultTx('B-1', { member: 'MEX', site: 'BIG', quantity: '12345678901.234567' }),
      );
      expect(big.holdings.map((h) => h.quantity)).toEqual(['12345678901.234567']);
      const more = await books.recordTransaction(
        'k',
        vaultTx('B-2', { member: 'MEX', site: 'BIG', quantity: '0.000001' }),
      );
      expect(more.holdings.map((h) => h.quantity)).toEqual(['12345678901.234568']);
      const held = (await books.holdings()).find((h) => h.site === 'BIG');
      expect(held?.quantity).toBe(12_345_678_901_234_568n);
      // The replay gives the answer as it was given (the holdings B-1 left), not what B-2 has made of them since.
      expect(
        (
          await books.recordTransaction(
            'k',
            vaultTx('B-1', { member: 'MEX', site: 'BIG', quantity: '12345678901.234567' }),
          )
        ).holdings.map((h) => h.quantity),
      ).toEqual(['12345678901.234567']);
    });

    it('vault: concurrent releases never take a holding below zero, and none is lost', async () => {
      await books.recordTransaction('k', vaultTx('C-buy', { member: 'JPN', site: 'JOGMEC', quantity: '10' }));
      const results = await Promise.allSettled(
        Array.from({ length: 25 }, (_, i) =>
          books.recordTransaction(
            'k',
            vaultTx(`C-rel-${i}`, { kind: 'release', member: 'JPN', site: 'JOGMEC', quantity: '1' }),
          ),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      expect(ok).toHaveLength(10);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as BooksError).kind).toBe('conflict');
      const jpn = (await books.holdings()).filter((h) => h.member === 'JPN');
      expect(jpn).toEqual([]); // zero holdings are not listed
      const recorded = await store.db
        .selectFrom('vault_transactions')
        .select('id')
        .where('id', 'like', 'C-rel-%')
        .execute();
      expect(recorded).toHaveLength(10);
    });

    it('vault: concurrent transfers each way between two holdings all land (no deadlock)', async () => {
      for (const site of ['TX-A', 'TX-B'])
        await books.recordTransaction(
          'k',
          vaultTx(`TX-buy-${site}`, { commodity: 'germanium/refined', site, quantity: '100' }),
        );
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          books.recordTransaction(
            'k',
            vaultTx(`TX-${i}`, {
              kind: 'transfer',
              commodity: 'germanium/refined',
              site: i % 2 ? 'TX-A' : 'TX-B',
              toSite: i % 2 ? 'TX-B' : 'TX-A',
              quantity: '1',
              valueCents: undefined,
            }),
          ),
        ),
      );
      expect(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([]);
      const sites = (await books.holdings()).filter((h) => h.site.startsWith('TX-'));
      expect(sites.map((h) => [h.site, h.quantity])).toEqual([
        ['TX-A', 100_000_000n],
        ['TX-B', 100_000_000n],
      ]);
      // The answer and the audit record keep the transaction's own order: the source first, then the destination.
      const audit = await readAudit(store.db, { subject: 'vault:TX-0@USA' });
      expect(audit.map((a) => (a.before as { site: string }[]).map((h) => h.site))).toEqual([['TX-B', 'TX-A']]);
    });

    it('vault: refuses non-members, unknown commodities, bad quantities and misplaced fields, naming them', async () => {
      const cases: [VaultTransactionRequest, string][] = [
        [vaultTx('R-1', { member: 'CHN' }), 'member'],
        [vaultTx('R-2', { commodity: 'x/y' }), 'commodity'],
        [vaultTx('R-3', { quantity: '0' }), 'quantity'],
        [vaultTx('R-4', { quantity: '1.0000001' }), 'quantity'],
        [vaultTx('R-5', { toSite: 'X' }), 'toSite'],
        [vaultTx('R-6', { kind: 'transfer', valueCents: 5 }), 'valueCents'],
        [vaultTx('R-7', { kind: 'transfer', valueCents: undefined }), 'toSite'],
        [vaultTx('R-8', { date: '2026-02-31' }), 'date'],
      ];
      for (const [tx, field] of cases) {
        const e = await refusal(books.recordTransaction('k', tx));
        expect(e.field, tx.id).toBe(field);
      }
    });

    it('allocates a collective release by share of bloc consumption, conserving the total', async () => {
      const a = await books.allocateRelease({ commodity: 'gallium/refined', quantity: '1000', date: '2026-03-01' });
      // Gallium 2024 use: USA 19,000, EU27 12,000, JPN 30,000, MEX 200 (kg) of 61,200.
      expect(a.shares.map((s) => [s.member, s.quantity])).toEqual([
        ['EU27', '196.078431'],
        ['JPN', '490.196079'],
        ['MEX', '3.267974'],
        ['USA', '310.457516'],
      ]);
      const total = a.shares.reduce((s, x) => s + BigInt(x.quantity.replace('.', '')), 0n);
      expect(total).toBe(1_000_000_000n);
      // Beside each share, what the member holds (the tests above left EU27 2.5, USA 7.5 and MEX a great deal).
      expect(a.shares.map((s) => [s.member, s.held])).toEqual([
        ['EU27', '2.5'],
        ['JPN', '0'],
        ['MEX', '12345678901.234568'],
        ['USA', '7.5'],
      ]);
      expect(a.held).toBe('12345678911.234568');
      expect(a.notes).toEqual([
        "EU27, JPN, USA hold less than their shares: the others' stock must make up the difference",
      ]);
      const beyond = await books.allocateRelease({ commodity: 'gallium/refined', quantity: '20000000000' });
      expect(beyond.notes).toEqual([
        'the members hold 12345678911.234568 kg Ga of gallium/refined in the vault, 7654321088.765432 kg Ga less than the release',
      ]);
      const given = await books.allocateRelease({
        commodity: 'gallium/refined',
        quantity: '1',
        key: { USA: 1, FRA: 2 },
      });
      expect(given.shares.map((s) => [s.member, s.quantity])).toEqual([
        ['EU27', '0.666667'],
        ['USA', '0.333333'],
      ]);
      expect(
        (await refusal(books.allocateRelease({ commodity: 'gallium/refined', quantity: '1', key: { CHN: 1 } }))).field,
      ).toBe('key.CHN');
    });

    if (backend.name === 'postgres') {
      it('the audit log is numbered in the order of the commits: a reader going on from the last number misses none', async () => {
        const record = (subject: string) => ({ actor: 'test', action: 'test', subject });
        const last = async () => (await readAudit(store.db, { after: 0, limit: 1_000_000 })).at(-1)?.seq ?? 0;
        const from = await last();
        let finish = () => {};
        const held = new Promise<void>((resolve) => {
          finish = resolve;
        });
        // The first takes its number and holds its commit back; the second comes after it and commits at once.
        const first = store.db.transaction().execute(async (trx) => {
          await appendAudit(trx, record('ORDER-1'), store.dialect, () => NOW);
          await held;
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
        const second = store.db
          .transaction()
          .execute((trx) => appendAudit(trx, record('ORDER-2'), store.dialect, () => NOW));
        await new Promise((resolve) => setTimeout(resolve, 200));
        const seen = (await readAudit(store.db, { after: from })).map((a) => a.subject);
        const after = seen.length > 0 ? await last() : from;
        finish();
        await Promise.all([first, second]);
        seen.push(...(await readAudit(store.db, { after })).map((a) => a.subject));
        expect(seen).toEqual(['ORDER-1', 'ORDER-2']);
      });
    }

    it('keys: stored hashed, authenticated, revoked; the audit log refuses changes', async () => {
      const { id, key } = await createKey(store, { role: 'member:USA', actor: 'cli' });
      expect(key).toMatch(/^lsk_[A-Za-z0-9_-]{43}$/);
      const row = await store.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.key_hash).not.toContain(key.slice(4));
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
      const ring = new KeyRing(store, 0);
      expect(await ring.authenticate(key)).toEqual({ id, role: 'member:USA' });
      expect(await ring.authenticate(`${key}x`)).toBeUndefined();
      expect(await revokeKey(store, id, 'cli')).toBe(true);
      expect(await revokeKey(store, id, 'cli')).toBe(false);
      expect(await ring.authenticate(key)).toBeUndefined();
      expect((await listKeys(store)).find((k) => k.id === id)?.revokedAt).not.toBeNull();
      await expect(sql`UPDATE audit_log SET actor = 'forged'`.execute(store.db)).rejects.toThrow(/append-only/);
      await expect(sql`DELETE FROM audit_log`.execute(store.db)).rejects.toThrow(/append-only/);
      if (backend.name === 'postgres')
        await expect(sql`TRUNCATE audit_log`.execute(store.db)).rejects.toThrow(/append-only/);
      // Overwriting a record by its number: SQLite's REPLACE (which fires no DELETE trigger), PostgreSQL's upsert.
      const first = await sql<{ seq: number }>`SELECT min(seq) AS seq FROM audit_log`.execute(store.db);
      const seq = Number(first.rows[0]?.seq);
      const forged =
        backend.name === 'sqlite'
          ? sql`REPLACE INTO audit_log (seq, at, actor, action, subject) VALUES (${seq}, 'x', 'evil', 'forged', 'x')`
          : sql`INSERT INTO audit_log (seq, at, actor, action, subject) VALUES (${seq}, 'x', 'evil', 'forged', 'x') ON CONFLICT (seq) DO UPDATE SET actor = 'evil'`;
      // (PostgreSQL's seq is an identity column: it refuses a number given at all.)
      await expect(forged.execute(store.db)).rejects.toThrow(/append-only|non-DEFAULT value/);
      const kept = await sql<{ actor: string }>`SELECT actor FROM audit_log WHERE seq = ${seq}`.execute(store.db);
      expect(kept.rows[0]?.actor).not.toBe('evil');
      const actions = (await readAudit(store.db, { limit: 10_000 })).map((a) => a.action);
      expect(actions).toContain('key.create');
      expect(actions).toContain('key.revoke');
    });

    it('dates: schedules apply prospectively, the vault ledger is posted in date order, records are not dated ahead', async () => {
      // Later than everything the other tests publish and record (run last: it publishes schedules for 2028).
      const b = new Books(store, catalog, () => new Date('2028-06-01T12:00:00.000Z'));
      const fixed = (commodity: string, price: number, effectiveFrom: string) =>
        b.publishSchedule('s', {
          effectiveFrom,
          reference: `D ${effectiveFrom}`,
          prices: [{ commodity, method: { rule: 'fixed', price } }],
        });
      const versions = async () => (await b.schedules()).length;
      await fixed('ndpr/oxide', 100_000, '2028-01-01');
      const published = await versions();
      // Before a published schedule: refused, nothing stored.
      let e = await refusal(fixed('ndpr/oxide', 90_000, '2026-02-01'));
      expect([e.kind, e.field]).toEqual(['conflict', 'effectiveFrom']);
      expect(e.message).toMatch(/is already effective from 2028-01-01: schedules are published in date order/);
      expect(await versions()).toBe(published);
      // On or before a recorded entry of its commodity: refused; another commodity's entries do not matter.
      await fixed('ndpr/oxide', 110_000, '2028-01-10');
      const recorded = await b.submitEntry('k', entry('D-E1', { date: '2028-03-01' }));
      e = await refusal(fixed('ndpr/oxide', 10, '2028-03-01'));
      expect([e.kind, e.field]).toEqual(['conflict', 'effectiveFrom']);
      expect(e.message).toMatch(/entry D-E1 of USA, dated 2028-03-01, was assessed under the schedules then in force/);
      // A change of members changes every entry's answer.
      e = await refusal(
        b.publishSchedule('s', { effectiveFrom: '2028-02-20', reference: 'D-m', members: ['USA'], prices: [] }),
      );
      expect(e.field).toBe('effectiveFrom');
      // A price reaches other commodities' entries (a magnet's levy is on its oxide content): any entry counts.
      e = await refusal(fixed('gallium/refined', 900, '2028-02-15'));
      expect(e.field).toBe('effectiveFrom');
      // The recorded entry keeps its one answer.
      expect((await b.quote(entry('q', { date: '2028-03-01' }))).levyCents).toBe(recorded.entry.assessment.levyCents);
      // Entries and vault postings dated after tomorrow are refused; quotes may look ahead; years are bounded.
      expect((await refusal(b.submitEntry('k', entry('D-E2', { date: '2028-06-03' })))).field).toBe('date');
      expect((await b.submitEntry('k', entry('D-E3', { date: '2028-06-02' }))).created).toBe(true);
      expect((await b.quote(entry('q', { date: '2030-01-01' }))).levyCents).toBeGreaterThanOrEqual(0);
      for (const date of ['1900-01-01', '9999-12-31'])
        expect((await refusal(b.quote(entry('q', { date })))).message).toMatch(/outside the years/);
      e = await refusal(b.recordTransaction('k', vaultTx('D-V0', { date: '2028-06-05', site: 'D-1' })));
      expect(e.field).toBe('date');
      // The ledger: a posting dated before the last one at the same holding is refused, elsewhere it is not.
      await b.recordTransaction('k', vaultTx('D-V1', { date: '2028-02-20', site: 'D-1', quantity: '10' }));
      await b.recordTransaction(
        'k',
        vaultTx('D-V2', { date: '2028-02-25', site: 'D-1', quantity: '5', kind: 'release' }),
      );
      e = await refusal(
        b.recordTransaction('k', vaultTx('D-V3', { date: '2028-02-21', site: 'D-1', quantity: '1', kind: 'release' })),
      );
      expect([e.kind, e.field]).toEqual(['conflict', 'date']);
      expect(e.message).toMatch(/posting dated 2028-02-25 \(D-V2\)/);
      expect(await store.db.selectFrom('vault_transactions').select('id').where('id', '=', 'D-V3').execute()).toEqual(
        [],
      );
      // A transfer's destination is a posting at that holding too.
      await b.recordTransaction(
        'k',
        vaultTx('D-V4', {
          date: '2028-02-26',
          site: 'D-1',
          kind: 'transfer',
          quantity: '1',
          toMember: 'JPN',
          toSite: 'D-2',
          valueCents: undefined,
        }),
      );
      e = await refusal(b.recordTransaction('k', vaultTx('D-V5', { date: '2028-02-22', member: 'JPN', site: 'D-2' })));
      expect(e.field).toBe('date');
      expect(
        (await b.recordTransaction('k', vaultTx('D-V6', { date: '2028-02-22', member: 'JPN', site: 'D-3' }))).created,
      ).toBe(true);
    });
  });
}
