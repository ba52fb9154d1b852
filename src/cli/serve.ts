/**
 * `lodestone serve`: the secretariat's HTTP API on a database (SQLite under ./var/ by default, or PostgreSQL).
 * Logs go to stderr (one JSON line per request); SIGINT or SIGTERM stops taking requests, lets those in flight
 * finish, closes the database and exits 0.
 */
import type { Command } from 'commander';
import { InputError } from '../model/document.ts';
import { DEFAULT_DATABASE_URL } from '../store/url.ts';
import { flushDataNote, loadCheckedDataset, withDataOption } from './data.ts';

export function databaseOption(cmd: Command): Command {
  return cmd.option(
    '--db <url>',
    `the database: sqlite:FILE or postgres://user@host:port/db (default: $LODESTONE_DB or ${DEFAULT_DATABASE_URL})`,
  );
}

export function databaseUrl(opts: { db?: string }): string {
  // An empty LODESTONE_DB (set but blank, as `LODESTONE_DB= lodestone …` leaves it) means the default, as unset does.
  return opts.db ?? (process.env.LODESTONE_DB || undefined) ?? DEFAULT_DATABASE_URL;
}

interface ServeOptions {
  db?: string;
  port: string;
  host: string;
  logLevel: string;
  data?: string[];
}

export function registerServeCommand(program: Command): void {
  withDataOption(
    databaseOption(
      program
        .command('serve')
        .description(
          'run the secretariat HTTP API (schedules, duties on entries, the vault ledger); OpenAPI at /openapi.json',
        )
        .option('--port <port>', 'TCP port (0 picks a free one)', '8080')
        .option('--host <host>', 'address to listen on', '127.0.0.1')
        .option('--log-level <level>', 'fatal, error, warn, info, debug or silent', 'info'),
    ),
  ).action(async (opts: ServeOptions) => {
    if (!/^\d{1,5}$/.test(opts.port) || Number(opts.port) > 65535)
      throw new InputError(`--port '${opts.port}': expected a port number 0-65535`);
    const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
    if (!levels.includes(opts.logLevel))
      throw new InputError(`--log-level '${opts.logLevel}': expected one of ${levels.join(', ')}`);
    // The server and the database drivers load only when serving, not for every command of the CLI.
    const [{ buildServer }, { openStore }, { migrate }] = await Promise.all([
      import('../server/app.ts'),
      import('../store/database.ts'),
      import('../store/migrations.ts'),
    ]);
    const catalog = loadCheckedDataset(opts);
    const store = openStore(databaseUrl(opts));
    try {
      await migrate(store);
    } catch (e) {
      await store.close().catch(() => {});
      throw e;
    }
    const app = await buildServer({ store, catalog, logger: { level: opts.logLevel, stream: process.stderr } });
    let address: string;
    try {
      address = await app.listen({ port: Number(opts.port), host: opts.host });
    } catch (e) {
      await store.close().catch(() => {});
      throw new InputError(`cannot listen on ${opts.host}:${opts.port}: ${(e as Error).message}`);
    }
    process.stderr.write(`lodestone: listening on ${address} (${store.description}); Ctrl-C stops\n`);
    flushDataNote();
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`lodestone: ${signal}: finishing requests in flight, then stopping\n`);
        app
          .close()
          .then(() => store.close())
          .catch((e: Error) => process.stderr.write(`lodestone: while stopping: ${e.message}\n`))
          .finally(() => {
            process.off('SIGINT', onInt);
            process.off('SIGTERM', onTerm);
            resolve();
          });
      };
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    });
    process.stderr.write('lodestone: stopped\n');
  });
}
