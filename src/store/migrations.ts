/** Schema migrations, in code, applied in order by Kysely's migrator on both dialects. */
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import { type Dialect, type Store, StoreError } from './database.ts';

function initial(dialect: Dialect): Migration {
  // Identity columns differ: SQLite's INTEGER PRIMARY KEY AUTOINCREMENT, PostgreSQL's identity.
  const serial = (db: Kysely<unknown>, table: string, column: string) =>
    db.schema
      .createTable(table)
      .addColumn(column, 'integer', (c) =>
        dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedAlwaysAsIdentity(),
      );
  return {
    async up(db) {
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await serial(db, 'audit_log', 'seq')
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('before', 'text')
        .addColumn('after', 'text')
        .execute();
      await serial(db, 'schedules', 'version')
        .addColumn('effective_from', 'text', (c) => c.notNull())
        .addColumn('published_at', 'text', (c) => c.notNull())
        .addColumn('published_by', 'text', (c) => c.notNull())
        .addColumn('reference', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('entries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('importer', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('commodity', 'text', (c) => c.notNull())
        .addColumn('entry_date', 'text', (c) => c.notNull())
        .addColumn('submitted_by', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('request', 'text', (c) => c.notNull())
        .addColumn('assessment', 'text', (c) => c.notNull())
        .addColumn('amount_due_cents', 'bigint', (c) => c.notNull())
        .addColumn('levy_cents', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('entries_importer').on('entries').column('importer').execute();
      await db.schema.createIndex('entries_date').on('entries').columns(['entry_date', 'commodity']).execute();
      await serial(db, 'vault_transactions', 'seq')
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('member', 'text', (c) => c.notNull())
        .addColumn('commodity', 'text', (c) => c.notNull())
        .addColumn('site', 'text', (c) => c.notNull())
        .addColumn('to_member', 'text')
        .addColumn('to_site', 'text')
        .addColumn('quantity', 'bigint', (c) => c.notNull())
        .addColumn('value_cents', 'bigint')
        .addColumn('date', 'text', (c) => c.notNull())
        .addColumn('recorded_by', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('vault_holdings')
        .addColumn('member', 'text', (c) => c.notNull())
        .addColumn('commodity', 'text', (c) => c.notNull())
        .addColumn('site', 'text', (c) => c.notNull())
        .addColumn('quantity', 'bigint', (c) => c.notNull().check(sql`quantity >= 0`))
        .addPrimaryKeyConstraint('vault_holdings_pk', ['member', 'commodity', 'site'])
        .execute();
      // The audit log is append-only in the database itself, not only by convention of the code.
      if (dialect === 'sqlite') {
        for (const op of ['UPDATE', 'DELETE']) {
          await sql
            .raw(
              `CREATE TRIGGER audit_log_no_${op.toLowerCase()} BEFORE ${op} ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
            )
            .execute(db);
        }
      } else {
        await sql
          .raw(
            `CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`,
          )
          .execute(db);
        await sql
          .raw(
            'CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()',
          )
          .execute(db);
      }
    },
  };
}

/**
 * Each vault holding's ledger is posted in date order (books.ts): a posting looks up the holding's latest date, as
 * the source of a movement or as a transfer's destination. Indexed, that look-up stays cheap as the ledger grows.
 */
const vaultLedgerIndexes: Migration = {
  async up(db) {
    await db.schema
      .createIndex('vault_transactions_holding')
      .on('vault_transactions')
      .columns(['commodity', 'member', 'site', 'date'])
      .execute();
    await db.schema
      .createIndex('vault_transactions_destination')
      .on('vault_transactions')
      .columns(['commodity', 'to_member', 'to_site', 'date'])
      .execute();
  },
};

/**
 * SQLite runs no DELETE trigger for the rows an INSERT OR REPLACE removes (unless recursive triggers are on), so
 * `REPLACE INTO audit_log` could overwrite a record the UPDATE and DELETE triggers protect. An insert may only append:
 * a sequence number already taken is refused. PostgreSQL needs nothing more: it has no REPLACE, and its ON CONFLICT
 * DO UPDATE is an UPDATE, which the statement trigger refuses.
 */
function auditAppendOnlyInserts(dialect: Dialect): Migration {
  return {
    async up(db) {
      if (dialect !== 'sqlite') return;
      await sql
        .raw(
          `CREATE TRIGGER audit_log_insert_appends BEFORE INSERT ON audit_log WHEN NEW.seq IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq) BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
        )
        .execute(db);
    },
  };
}

/**
 * Entry and vault-posting ids are the member's own: the same id from two members is two records. An entry's id is
 * unique per importer as declared (the role that may submit or read an entry is one that speaks for its importer, so
 * a 409 on an id tells the caller only of an entry it may read), a posting's per holder (`member`, the zone member).
 * Every row is kept as it was: ids were unique across members before, so they are unique per member now. The audit
 * log is not touched; records written from here on name their subject with the member (books.ts).
 */
function memberScopedIds(dialect: Dialect): Migration {
  return {
    async up(db) {
      if (dialect === 'postgres') {
        await sql`ALTER TABLE entries DROP CONSTRAINT entries_pkey, ADD CONSTRAINT entries_pkey PRIMARY KEY (importer, id)`.execute(
          db,
        );
        await sql`ALTER TABLE vault_transactions DROP CONSTRAINT vault_transactions_id_key, ADD CONSTRAINT vault_transactions_member_id_key UNIQUE (member, id)`.execute(
          db,
        );
        // The key (importer, id) serves every look-up by importer that this index did.
        await db.schema.dropIndex('entries_importer').execute();
        await entriesById(db);
      } else {
        // SQLite changes no key in place: each table is built again under its new key, its rows copied (a posting
        // keeps its seq, and the counter its place), and its indexes made again. One transaction: all or nothing.
        await sql`BEGIN IMMEDIATE`.execute(db);
        try {
          await db.schema
            .createTable('entries_scoped')
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('importer', 'text', (c) => c.notNull())
            .addColumn('origin', 'text', (c) => c.notNull())
            .addColumn('commodity', 'text', (c) => c.notNull())
            .addColumn('entry_date', 'text', (c) => c.notNull())
            .addColumn('submitted_by', 'text', (c) => c.notNull())
            .addColumn('request_hash', 'text', (c) => c.notNull())
            .addColumn('request', 'text', (c) => c.notNull())
            .addColumn('assessment', 'text', (c) => c.notNull())
            .addColumn('amount_due_cents', 'bigint', (c) => c.notNull())
            .addColumn('levy_cents', 'bigint', (c) => c.notNull())
            .addColumn('created_at', 'text', (c) => c.notNull())
            .addPrimaryKeyConstraint('entries_pkey', ['importer', 'id'])
            .execute();
          await sql`INSERT INTO entries_scoped SELECT id, importer, origin, commodity, entry_date, submitted_by, request_hash, request, assessment, amount_due_cents, levy_cents, created_at FROM entries`.execute(
            db,
          );
          await sql`DROP TABLE entries`.execute(db);
          await sql`ALTER TABLE entries_scoped RENAME TO entries`.execute(db);
          // No index on importer alone (0001's): the key (importer, id) serves every look-up by importer.
          await db.schema.createIndex('entries_date').on('entries').columns(['entry_date', 'commodity']).execute();

          await db.schema
            .createTable('vault_scoped')
            .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
            .addColumn('id', 'text', (c) => c.notNull())
            .addColumn('request_hash', 'text', (c) => c.notNull())
            .addColumn('kind', 'text', (c) => c.notNull())
            .addColumn('member', 'text', (c) => c.notNull())
            .addColumn('commodity', 'text', (c) => c.notNull())
            .addColumn('site', 'text', (c) => c.notNull())
            .addColumn('to_member', 'text')
            .addColumn('to_site', 'text')
            .addColumn('quantity', 'bigint', (c) => c.notNull())
            .addColumn('value_cents', 'bigint')
            .addColumn('date', 'text', (c) => c.notNull())
            .addColumn('recorded_by', 'text', (c) => c.notNull())
            .addColumn('recorded_at', 'text', (c) => c.notNull())
            .addUniqueConstraint('vault_transactions_member_id_key', ['member', 'id'])
            .execute();
          await sql`INSERT INTO vault_scoped SELECT seq, id, request_hash, kind, member, commodity, site, to_member, to_site, quantity, value_cents, date, recorded_by, recorded_at FROM vault_transactions`.execute(
            db,
          );
          // AUTOINCREMENT never hands out a number it has handed out before: the counter carries over.
          await sql`UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'vault_transactions') WHERE name = 'vault_scoped' AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'vault_transactions')`.execute(
            db,
          );
          await sql`DROP TABLE vault_transactions`.execute(db);
          await sql`ALTER TABLE vault_scoped RENAME TO vault_transactions`.execute(db);
          await vaultLedgerIndexes.up(db);
          await entriesById(db);
          await sql`COMMIT`.execute(db);
        } catch (e) {
          await sql`ROLLBACK`.execute(db);
          throw e;
        }
      }
    },
  };
}

/** An entry is still looked up by its id alone (GET /v1/entries/:id), among the importers the caller speaks for. */
async function entriesById(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('entries_id').on('entries').column('id').execute();
}

/**
 * Kysely runs SQLite's migrations outside any transaction (its adapter declares no transactional DDL, which SQLite
 * has): one that failed halfway left the tables it had made, and every later try failed on them. Each runs in a
 * transaction of its own, all or nothing (0004 opens its own).
 */
function atomicOnSqlite(dialect: Dialect, migration: Migration): Migration {
  if (dialect !== 'sqlite') return migration;
  return {
    async up(db) {
      await sql`BEGIN IMMEDIATE`.execute(db);
      try {
        await migration.up(db);
        await sql`COMMIT`.execute(db);
      } catch (e) {
        await sql`ROLLBACK`.execute(db);
        throw e;
      }
    },
  };
}

/** The migrations in order, by name. */
export const MIGRATIONS = [
  '0001_initial',
  '0002_vault_ledger_indexes',
  '0003_audit_append_only_inserts',
  '0004_member_scoped_ids',
] as const;

/**
 * Brings the database to the latest schema (or, `to`, up to a named migration: a test of a later one starts from
 * there); an error names the migration that failed.
 */
export async function migrate(store: Store, { to }: { to?: (typeof MIGRATIONS)[number] } = {}): Promise<void> {
  // Kysely looks for its own tables in every schema it can see unless told which: a PostgreSQL database holding a
  // second Lodestone (another schema, chosen by search_path) would pass for migrated, and its migration then fail.
  let schema: string | undefined;
  if (store.dialect === 'postgres') {
    try {
      const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(store.db);
      schema = rows[0]?.schema ?? undefined;
    } catch (e) {
      throw new StoreError(`${store.description}: cannot reach or migrate the database: ${(e as Error).message}`);
    }
  }
  const migrator = new Migrator({
    db: store.db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: {
      getMigrations: async () =>
        ({
          '0001_initial': atomicOnSqlite(store.dialect, initial(store.dialect)),
          '0002_vault_ledger_indexes': atomicOnSqlite(store.dialect, vaultLedgerIndexes),
          '0003_audit_append_only_inserts': atomicOnSqlite(store.dialect, auditAppendOnlyInserts(store.dialect)),
          '0004_member_scoped_ids': memberScopedIds(store.dialect),
        }) satisfies Record<(typeof MIGRATIONS)[number], Migration>,
    },
  });
  let result: Awaited<ReturnType<Migrator['migrateToLatest']>>;
  try {
    result = await (to === undefined ? migrator.migrateToLatest() : migrator.migrateTo(to));
  } catch (e) {
    throw new StoreError(`${store.description}: cannot reach or migrate the database: ${(e as Error).message}`);
  }
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const message = result.error instanceof Error ? result.error.message : String(result.error);
    throw new StoreError(
      failed
        ? `${store.description}: migration ${failed} failed: ${message}`
        : `${store.description}: cannot reach or migrate the database: ${message}`,
    );
  }
}
