/**
 * The two databases every store test runs against: SQLite in a temporary file, and PostgreSQL in a schema of its
 * own (created for the test file and dropped after it, so that parallel runs never collide). PostgreSQL comes from
 * LODESTONE_TEST_PG; when it cannot be reached the PostgreSQL tests fail under CI and are skipped, with the reason,
 * elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.ts';
import { migrate } from '../../src/store/migrations.ts';

export const PG_URL = process.env.LODESTONE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const IN_CI = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

/** Why PostgreSQL cannot be used, or undefined when it can. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (e) {
    return `PostgreSQL at ${PG_URL} is unreachable (${(e as Error).message}); set LODESTONE_TEST_PG or start it`;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh, empty database URL; `drop` removes it. */
  fresh(): Promise<{ url: string; drop(): Promise<void> }>;
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  async fresh() {
    const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-store-'));
    return {
      url: `sqlite:${path.join(dir, 'test.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

export const postgresBackend: Backend = {
  name: 'postgres',
  async fresh() {
    const schema = `lodestone_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
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
  },
};

export interface BackendRun {
  readonly backend: Backend;
  /** Why the backend cannot run here: skipped with this reason outside CI, a failing test under CI. */
  readonly unavailable?: string;
}

/** The backends to run: SQLite always, PostgreSQL with the reason it cannot be reached, if it cannot. */
export async function backends(): Promise<BackendRun[]> {
  const reason = await postgresUnavailable();
  if (reason && !IN_CI) process.stderr.write(`skipping PostgreSQL tests: ${reason}\n`);
  return [{ backend: sqliteBackend }, { backend: postgresBackend, ...(reason ? { unavailable: reason } : {}) }];
}

/**
 * A describe block for one backend. When the backend is unavailable it is skipped, the reason in its title — except
 * under CI, where a failing test says why instead (CI must not pass on SQLite alone).
 */
export function describeBackend(run: BackendRun, title: string, body: () => void): void {
  if (run.unavailable === undefined) {
    describe(`${title} on ${run.backend.name}`, body);
  } else if (IN_CI) {
    describe(`${title} on ${run.backend.name}`, () => {
      it('reaches the database', () => {
        throw new Error(run.unavailable);
      });
    });
  } else {
    describe.skip(`${title} on ${run.backend.name} (skipped: ${run.unavailable})`, body);
  }
}

/** A migrated store on a fresh database. */
export async function freshStore(backend: Backend): Promise<{ store: Store; url: string; drop(): Promise<void> }> {
  const db = await backend.fresh();
  const store = openStore(db.url);
  await migrate(store);
  return {
    store,
    url: db.url,
    async drop() {
      await store.close();
      await db.drop();
    },
  };
}
