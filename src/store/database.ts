/**
 * The secretariat's database: one Kysely query layer over SQLite (better-sqlite3, WAL, the default under ./var/) or
 * PostgreSQL (pg, for multi-user deployments), chosen from a URL: `sqlite:FILE`, `sqlite::memory:`,
 * `postgres://user@host:port/db`.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Generated,
  Kysely,
  PostgresDialect,
  SqliteDialect,
} from 'kysely';
import pg from 'pg';

import { DEFAULT_DATABASE_URL } from './url.ts';

export { DEFAULT_DATABASE_URL };

export interface ApiKeyTable {
  id: string;
  key_hash: string;
  role: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface AuditLogTable {
  seq: Generated<number>;
  at: string;
  actor: string;
  action: string;
  subject: string;
  before: string | null;
  after: string | null;
}

export interface ScheduleTable {
  version: Generated<number>;
  effective_from: string;
  published_at: string;
  published_by: string;
  reference: string;
  /** JSON: members and prices with their methods and explanations. */
  document: string;
}

export interface EntryTable {
  id: string;
  /** The importer as declared (a member state stays itself; its model region is in the assessment). */
  importer: string;
  origin: string;
  commodity: string;
  entry_date: string;
  submitted_by: string;
  /** sha256 of `request`, the canonical request body as first submitted (a replay is compared with it as the rules read it). */
  request_hash: string;
  request: string;
  assessment: string;
  amount_due_cents: number | string | bigint;
  levy_cents: number | string | bigint;
  created_at: string;
}

export interface VaultTransactionTable {
  seq: Generated<number>;
  id: string;
  request_hash: string;
  kind: string;
  member: string;
  commodity: string;
  site: string;
  to_member: string | null;
  to_site: string | null;
  /** Millionths of the commodity's unit. */
  quantity: number | string | bigint;
  value_cents: number | string | bigint | null;
  date: string;
  recorded_by: string;
  recorded_at: string;
}

export interface VaultHoldingTable {
  member: string;
  commodity: string;
  site: string;
  quantity: number | string | bigint;
}

export interface Database {
  api_keys: ApiKeyTable;
  audit_log: AuditLogTable;
  schedules: ScheduleTable;
  entries: EntryTable;
  vault_transactions: VaultTransactionTable;
  vault_holdings: VaultHoldingTable;
}

/** A bigint column as read back: a number from SQLite, a string from PostgreSQL. */
export function toBigInt(value: number | string | bigint): bigint {
  return typeof value === 'bigint' ? value : BigInt(value);
}

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** The URL without a password, for messages. */
  readonly description: string;
  close(): Promise<void>;
}

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

/** The URL with its password masked, also when it does not parse (a bad port must not print the password). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*):[^@/]*@/i, '$1:***@');
  }
}

/**
 * SQLite's BEGIN takes the write lock only at the first write: a transaction that reads first (the schedules, a key)
 * and then writes, after another process (a second server, `admin revoke-key`) has written, fails at once with
 * "database is locked", busy_timeout notwithstanding. Every transaction of the store writes, so each takes the lock as
 * it begins (BEGIN IMMEDIATE), and waits its turn for it.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

/**
 * Refuses, before anything is written, a SQLite file that holds tables but no Lodestone schema: another program's
 * database, which serve, create-key and migrate would otherwise switch to WAL and add their tables to. (A PostgreSQL
 * schema may well be shared with other tables; a SQLite file is one program's.)
 */
function refuseForeignFile(sqlite: SqliteDatabase.Database, url: string): void {
  const tables = (
    sqlite.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all() as {
      name: string;
    }[]
  ).map((t) => t.name);
  if (tables.length === 0 || tables.includes('kysely_migration')) return;
  sqlite.close();
  const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? `, … (${tables.length} in all)` : '');
  throw new StoreError(
    `database '${url}' (--db or LODESTONE_DB): holds the tables of something else (${shown}) and no Lodestone schema; ` +
      'this command would add its own tables to it: give a new file, or a database Lodestone set up',
  );
}

/** Opens (without migrating) the database a URL names. */
export function openStore(url: string = DEFAULT_DATABASE_URL, { create = true }: { create?: boolean } = {}): Store {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (!file)
      throw new StoreError(`database '${url}' (--db or LODESTONE_DB): name a file, e.g. sqlite:var/lodestone.db`);
    // A command that only reads must not conjure an empty database out of a mistyped path and report it empty.
    if (!create && file !== ':memory:' && (!existsSync(file) || statSync(file).size === 0))
      throw new StoreError(
        `database '${url}' (--db or LODESTONE_DB): no database at ${path.resolve(file)} (lodestone serve, admin create-key and admin migrate create one)`,
      );
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    // A database that will be written (serve, create-key, migrate) must be writable, with its folder (the WAL
    // lives beside it): a read-only file would otherwise start a server that answers every write with an error.
    if (create && file !== ':memory:') {
      for (const target of [path.resolve(file), path.dirname(path.resolve(file))]) {
        if (!existsSync(target)) continue;
        try {
          accessSync(target, constants.W_OK);
        } catch {
          throw new StoreError(
            `database '${url}' (--db or LODESTONE_DB): ${target} is read-only: this command writes to the database`,
          );
        }
      }
    }
    let sqlite: SqliteDatabase.Database;
    try {
      sqlite = new SqliteDatabase(file);
      if (create && file !== ':memory:') refuseForeignFile(sqlite, url);
      // WAL is a property of the file, kept once set: a command that only reads sets nothing, so that pointing it at
      // someone else's SQLite file (refused as not a Lodestone database) leaves that file as it was.
      if (create) sqlite.pragma('journal_mode = WAL');
      // FULL: a write is on disk when acknowledged (WAL alone survives a process kill, FULL a power cut too).
      sqlite.pragma('synchronous = FULL');
      sqlite.pragma('busy_timeout = 5000');
      sqlite.pragma('foreign_keys = ON');
      // Integers as BigInt: a vault holding of 1e12 units is 1e18 millionths, past 2^53 (a JS number would round
      // it on the way out, though SQLite stores it exactly). PostgreSQL's driver returns bigint as text already.
      sqlite.defaultSafeIntegers(true);
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError(
        `database '${url}' (--db or LODESTONE_DB): cannot open SQLite database: ${(e as Error).message}`,
      );
    }
    const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
    return { db, dialect: 'sqlite', description: url, close: () => db.destroy() };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    try {
      new URL(url);
    } catch {
      throw new StoreError(
        `database '${redact(url)}' (--db or LODESTONE_DB): not a valid URL: expected postgres://user@host:port/database`,
      );
    }
    const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
    // An idle client losing its server must not crash the process: the next query reports the error.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', description: redact(url), close: () => db.destroy() };
  }
  throw new StoreError(
    `database '${url}' (--db or LODESTONE_DB): expected sqlite:FILE (e.g. sqlite:var/lodestone.db) or postgres://user@host:port/database`,
  );
}
