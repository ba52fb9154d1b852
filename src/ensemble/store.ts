/**
 * The ensemble's store: one SQLite file (better-sqlite3, WAL) under the output folder, holding the run's settings
 * and every completed draw as it arrives — its metrics as a packed float64 vector (one for the scenario, one for the
 * twin) and the shocks it drew. The draw index is the primary key: a draw is stored at most once, and a killed run
 * keeps everything committed before it died (each batch is one transaction).
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensureFolder } from '../folders.ts';
import { InputError } from '../model/document.ts';

export const STORE_FILE = 'ensemble.sqlite';
/** Bumped when the layout of the store changes: an older store is refused, not misread. */
export const STORE_VERSION = '1';

export interface StoredDraw {
  readonly draw: number;
  readonly scenario: Float64Array;
  readonly against?: Float64Array;
  /** The drawn shocks, JSON. */
  readonly shocks: string;
  readonly simulateMs: number;
  readonly overheadMs: number;
}

function toBlob(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Copies a blob into an aligned Float64Array (a Buffer's offset need not be a multiple of 8). */
function fromBlob(b: Buffer, into?: Float64Array): Float64Array {
  const out = into ?? new Float64Array(b.byteLength / 8);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(b);
  return out;
}

/**
 * An error of SQLite on the store `file`, said with the file and what to do: SQLite's own messages ('file is not a
 * database', 'database disk image is malformed', 'attempt to write a readonly database') name no file. Other errors
 * are returned as they are.
 */
export function storeError(file: string, e: unknown): unknown {
  if (!(e instanceof Database.SqliteError)) return e;
  const code = e.code;
  const [what, advice] =
    code === 'SQLITE_NOTADB'
      ? ['is not an ensemble store', 'use --overwrite to discard it, or choose another --out']
      : code.startsWith('SQLITE_CORRUPT')
        ? ['is damaged', 'use --overwrite to discard it, or choose another --out']
        : code.startsWith('SQLITE_READONLY')
          ? ['cannot be written', 'make it and its folder writable, or choose another --out']
          : code === 'SQLITE_FULL'
            ? ['cannot grow: the disk is full', 'free some space and run again with --resume']
            : ['could not be used', 'choose another --out'];
  return new InputError(`${file} ${what} (SQLite: ${e.message}): ${advice}`);
}

export class EnsembleStore {
  private readonly db: Database.Database;
  private readonly insertDraw: Database.Statement;
  private readonly insertFailure: Database.Statement;

  private constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // WAL with synchronous=NORMAL survives a killed process; only a power cut can lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS draws (
        draw INTEGER PRIMARY KEY,
        scenario BLOB NOT NULL,
        against BLOB,
        shocks TEXT NOT NULL,
        simulate_ms REAL NOT NULL,
        overhead_ms REAL NOT NULL
      );
      CREATE TABLE IF NOT EXISTS failures (draw INTEGER PRIMARY KEY, message TEXT NOT NULL);
    `);
    this.insertDraw = this.db.prepare(
      'INSERT INTO draws (draw, scenario, against, shocks, simulate_ms, overhead_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.insertFailure = this.db.prepare('INSERT INTO failures (draw, message) VALUES (?, ?)');
  }

  static path(dir: string): string {
    return path.join(path.resolve(dir), STORE_FILE);
  }

  static exists(dir: string): boolean {
    return existsSync(EnsembleStore.path(dir));
  }

  /** Removes the store of an output folder, with SQLite's write-ahead log and shared memory beside it. */
  static remove(dir: string): void {
    const file = EnsembleStore.path(dir);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  }

  /** Opens (creating the folder and file if needed) the store of an output folder. */
  static open(dir: string): EnsembleStore {
    ensureFolder(dir, 'the ensemble store');
    return new EnsembleStore(EnsembleStore.path(dir));
  }

  /** Opens an existing store read-only (for another process to look at a run in progress). */
  static inspect(file: string): { draws: number; failures: number; duplicates: number; close: () => void } {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      const draws = count('SELECT COUNT(*) AS n FROM draws');
      const failures = count('SELECT COUNT(*) AS n FROM failures');
      const distinct = count('SELECT COUNT(DISTINCT draw) AS n FROM draws');
      return { draws, failures, duplicates: draws - distinct, close: () => db.close() };
    } catch (e) {
      // Not a store (or a damaged one): closed here, as no one else can.
      db.close();
      throw e;
    }
  }

  getMeta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(entries: Record<string, string>): void {
    const put = this.db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(entries)) put.run(k, v);
    })();
  }

  /** Stores a batch of draws and failures in one transaction. */
  add(draws: readonly StoredDraw[], failures: readonly { draw: number; message: string }[] = []): void {
    this.db.transaction(() => {
      for (const d of draws) {
        this.insertDraw.run(
          d.draw,
          toBlob(d.scenario),
          d.against ? toBlob(d.against) : null,
          d.shocks,
          d.simulateMs,
          d.overheadMs,
        );
      }
      for (const f of failures) this.insertFailure.run(f.draw, f.message);
    })();
  }

  /** Draws below `limit` already stored or failed, as a bitmap (one byte per draw). */
  done(limit: number): Uint8Array {
    const map = new Uint8Array(limit);
    for (const table of ['draws', 'failures']) {
      const rows = this.db.prepare(`SELECT draw FROM ${table} WHERE draw < ?`).pluck().iterate(limit);
      for (const d of rows as Iterable<number>) map[d] = 1;
    }
    return map;
  }

  count(limit: number): { draws: number; failures: number } {
    const n = (table: string) =>
      (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE draw < ?`).get(limit) as { n: number }).n;
    return { draws: n('draws'), failures: n('failures') };
  }

  /** Draws at `limit` and above, stored or failed (a run of more draws resumed with fewer), and the end of them all. */
  beyond(limit: number): { count: number; end: number } {
    const r = this.db
      .prepare(
        'SELECT COUNT(*) AS n, MAX(draw) AS last FROM (SELECT draw FROM draws WHERE draw >= ? UNION ALL SELECT draw FROM failures WHERE draw >= ?)',
      )
      .get(limit, limit) as { n: number; last: number | null };
    return { count: r.n, end: r.last === null ? limit : r.last + 1 };
  }

  failures(limit: number): { draw: number; message: string }[] {
    return this.db.prepare('SELECT draw, message FROM failures WHERE draw < ? ORDER BY draw').all(limit) as {
      draw: number;
      message: string;
    }[];
  }

  /** Mean milliseconds per stored draw in simulate() and in the ensemble's own preparation. */
  timing(limit: number): { simulateMs: number; overheadMs: number } {
    const r = this.db
      .prepare('SELECT AVG(simulate_ms) AS s, AVG(overhead_ms) AS o FROM draws WHERE draw < ?')
      .get(limit) as { s: number | null; o: number | null };
    return { simulateMs: r.s ?? 0, overheadMs: r.o ?? 0 };
  }

  /**
   * Every stored draw below `limit` in draw order, its vectors decoded into the two reusable arrays (valid until
   * the next step): memory stays flat however many draws there are.
   */
  *iterate(limit: number, size: number): Generator<{ draw: number; scenario: Float64Array; against?: Float64Array }> {
    const scenario = new Float64Array(size);
    const against = new Float64Array(size);
    const rows = this.db
      .prepare('SELECT draw, scenario, against FROM draws WHERE draw < ? ORDER BY draw')
      .iterate(limit) as Iterable<{ draw: number; scenario: Buffer; against: Buffer | null }>;
    for (const r of rows) {
      if (r.scenario.byteLength !== size * 8) throw new Error(`draw ${r.draw}: stored vector has the wrong length`);
      fromBlob(r.scenario, scenario);
      if (r.against) fromBlob(r.against, against);
      yield r.against ? { draw: r.draw, scenario, against } : { draw: r.draw, scenario };
    }
  }

  /** The shocks drawn by one draw (JSON), for a closer look. */
  shocksOf(draw: number): string | undefined {
    return (
      (this.db.prepare('SELECT shocks FROM draws WHERE draw = ?').pluck().get(draw) as string | undefined) ?? undefined
    );
  }

  close(): void {
    this.db.close();
  }
}
