/**
 * `lodestone admin ...`: the secretariat's housekeeping on the service's database — API keys (created, listed,
 * revoked), the audit log, migrations. `create-key` prints the new key and only the key, once: it is stored hashed.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { formatRole, parseRole, ROLE_HELP } from '../admin/access.ts';
import { InputError } from '../model/document.ts';
import { PRINTABLE } from '../printable.ts';
import type { Store } from '../store/database.ts';
import { loadCheckedDataset, withDataOption } from './data.ts';
import { databaseOption, databaseUrl } from './serve.ts';
import { renderTable } from './table.ts';

/** The store modules, loaded only when an admin command runs (the drivers are not needed for the rest of the CLI). */
async function storeModules() {
  const [database, migrations, keys, audit] = await Promise.all([
    import('../store/database.ts'),
    import('../store/migrations.ts'),
    import('../store/keys.ts'),
    import('../store/audit.ts'),
  ]);
  return { ...database, ...migrations, ...keys, ...audit };
}

/** Runs `work` on the migrated database; `create: false` for commands that only read or change what exists. */
async function withStore<T>(
  opts: { db?: string },
  work: (store: Store) => Promise<T>,
  { create = true }: { create?: boolean } = {},
): Promise<T> {
  const { openStore, migrate } = await storeModules();
  const store = openStore(databaseUrl(opts), { create });
  try {
    // A command that only reads or changes what exists needs a Lodestone database there, not an empty file or schema.
    // Reaching it at all can fail (no such database, nothing listening): the error names the database, as migrate's do.
    if (!create) {
      const tables = await store.db.introspection.getTables({ withInternalKyselyTables: true }).catch((e: Error) => {
        throw new InputError(`${store.description}: cannot reach the database: ${e.message}`);
      });
      if (store.description !== 'sqlite::memory:' && !tables.some((t) => t.name === 'kysely_migration'))
        throw new InputError(
          `${store.description}: not a Lodestone database (no schema in it); lodestone serve, admin create-key and admin migrate set one up`,
        );
    }
    await migrate(store);
    return await work(store).catch((e: Error & { code?: string }) => {
      // A write refused by the file system, not by a rule: say which database.
      if (e.code === 'SQLITE_READONLY') throw new InputError(`${store.description}: read-only: ${e.message}`);
      throw e;
    });
  } finally {
    await store.close().catch(() => {});
  }
}

/** Who the audit log names for a command run at the terminal. */
function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:${process.env.USER ?? 'unknown'}`;
  }
}

/**
 * A whole number from `least` to `most` (the audit log's sequence numbers are 32-bit integers in PostgreSQL: a
 * larger one would reach the database as an error of its own).
 */
function wholeNumber(name: string, least: number, most: number) {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !(n >= least && n <= most))
      throw new InputError(`${name} '${v}': expected a whole number from ${least} to ${most.toLocaleString('en-US')}`);
    return n;
  };
}

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description("the secretariat service's keys, audit log and database");

  withDataOption(
    databaseOption(
      admin
        .command('create-key')
        .description('create an API key for a role and print it (only the key, once)')
        .requiredOption('--role <role>', ROLE_HELP)
        .option('--label <text>', 'who the key is for (shown by list-keys)'),
    ),
  ).action(async (opts: { role: string; label?: string; db?: string; data?: string[] }) => {
    const catalog = loadCheckedDataset(opts);
    const role = formatRole(parseRole(opts.role, catalog));
    if (opts.label !== undefined && opts.label.length > 200) throw new InputError('--label: at most 200 characters');
    // Printed by list-keys into a table at the terminal: no line breaks, tabs or escape sequences, and not blank.
    if (opts.label !== undefined && !PRINTABLE.test(opts.label))
      throw new InputError(
        '--label: printable characters, with no blank at either end (no line breaks, tabs or control characters)',
      );
    const { createKey } = await storeModules();
    const { key } = await withStore(opts, (store) =>
      createKey(store, { role, ...(opts.label !== undefined ? { label: opts.label } : {}), actor: cliActor() }),
    );
    process.stdout.write(`${key}\n`);
  });

  databaseOption(
    admin
      .command('list-keys')
      .description('the keys: id, role, label, created, revoked')
      .option('--json', 'print JSON'),
  ).action(async (opts: { db?: string; json?: boolean }) => {
    const { listKeys } = await storeModules();
    const keys = await withStore(opts, listKeys, { create: false });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${renderTable(keys, [
        { header: 'id', value: (k) => k.id },
        { header: 'role', value: (k) => k.role },
        { header: 'label', value: (k) => k.label ?? '' },
        { header: 'created', value: (k) => k.createdAt },
        { header: 'revoked', value: (k) => k.revokedAt ?? '' },
      ])}\n`,
    );
  });

  databaseOption(
    admin
      .command('revoke-key <id>')
      .description(
        'revoke a key: new servers refuse it at once, running ones within 5 s, the time they cache a key (it stays in the list and the audit log)',
      ),
  ).action(async (id: string, opts: { db?: string }) => {
    const { revokeKey } = await storeModules();
    const done = await withStore(opts, (store) => revokeKey(store, id, cliActor()), { create: false });
    if (!done) throw new InputError(`no active key '${id}' (see lodestone admin list-keys)`);
    process.stderr.write(`lodestone: key ${id} revoked\n`);
  });

  databaseOption(
    admin
      .command('audit')
      .description('the append-only audit log: who, when, what, before and after')
      .option('--after <seq>', 'records after this sequence number', wholeNumber('--after', 0, 2_147_483_647))
      .option('--limit <n>', 'at most this many records (default 100)', wholeNumber('--limit', 1, 100_000))
      .option(
        '--subject <subject>',
        "one record's history, e.g. entry:E-1@USA (an entry's id and importer), vault:V-1@USA or schedule:3",
      )
      .option('--json', 'print JSON'),
  ).action(async (opts: { db?: string; after?: number; limit?: number; subject?: string; json?: boolean }) => {
    const { readAudit } = await storeModules();
    const records = await withStore(
      opts,
      (store) =>
        readAudit(store.db, {
          ...(opts.after !== undefined ? { after: opts.after } : {}),
          ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
          ...(opts.subject !== undefined ? { subject: opts.subject } : {}),
        }),
      { create: false },
    );
    // A page that fills the limit is not the whole log: say where the rest begins (on stderr: stdout stays the records).
    const limit = opts.limit ?? 100;
    const last = records.at(-1);
    if (records.length === limit && last)
      process.stderr.write(`lodestone: ${limit} records shown (--limit); more may follow: --after ${last.seq}\n`);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${renderTable(records, [
        { header: 'seq', value: (r) => String(r.seq), align: 'right' },
        { header: 'at', value: (r) => r.at },
        { header: 'actor', value: (r) => r.actor },
        { header: 'action', value: (r) => r.action },
        { header: 'subject', value: (r) => r.subject },
      ])}\n`,
    );
  });

  databaseOption(
    admin.command('migrate').description('bring the database to the latest schema (serve does this too)'),
  ).action(async (opts: { db?: string }) => {
    await withStore(opts, async (store) => {
      process.stderr.write(`lodestone: ${store.description} is at the latest schema\n`);
    });
  });
}
