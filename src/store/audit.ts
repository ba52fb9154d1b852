/**
 * The append-only audit log: who did what, when, to which record, with the record before and after. Every write of
 * the service appends here in the same transaction as the change, so a change and its record stand or fall together.
 * The database refuses UPDATE and DELETE on the table (triggers in the migration).
 */
import { type Kysely, sql } from 'kysely';
import type { Database, Dialect } from './database.ts';

export interface AuditRecord {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** A record to append; its time is taken when the log takes it (appendAuditMany). */
export interface AuditInput {
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export async function appendAudit(
  db: Kysely<Database>,
  record: AuditInput,
  dialect: Dialect,
  now: () => Date,
): Promise<void> {
  await appendAuditMany(db, [record], dialect, now);
}

/**
 * Several records in one statement, in the order given (their sequence numbers follow it); the last statement of its
 * transaction. On PostgreSQL the log is locked until the commit: a sequence number is taken when a record is
 * inserted, and without the lock a transaction that took 11 could commit before one that took 10, so that a reader
 * going on from 11 (`after`) would never see 10. Locked, the numbers follow the commits (SQLite has one writer).
 *
 * The records' time is read under that lock too (SQLite: the write lock the transaction began with), so that it never
 * goes back as the numbers go up: a time read before waiting for the lock could be earlier than that of a writer that
 * got it first. It is also never earlier than the last record's, so another server whose clock is ahead of this one's
 * cannot put the log's times out of order either.
 */
export async function appendAuditMany(
  db: Kysely<Database>,
  records: readonly AuditInput[],
  dialect: Dialect,
  now: () => Date,
): Promise<void> {
  if (records.length === 0) return;
  if (dialect === 'postgres') await sql`LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE`.execute(db);
  const latest = await db.selectFrom('audit_log').select('at').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const clock = now().toISOString();
  const at = latest && latest.at > clock ? latest.at : clock;
  await db
    .insertInto('audit_log')
    .values(
      records.map((record) => ({
        at,
        actor: record.actor,
        action: record.action,
        subject: record.subject,
        before: record.before === undefined ? null : toJson(record.before),
        after: record.after === undefined ? null : toJson(record.after),
      })),
    )
    .execute();
}

/** Audit records after a sequence number (oldest first), optionally for one subject. */
export async function readAudit(
  db: Kysely<Database>,
  options: { after?: number; limit?: number; subject?: string } = {},
): Promise<AuditRecord[]> {
  let q = db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>', options.after ?? 0)
    .orderBy('seq')
    .limit(options.limit ?? 100);
  if (options.subject !== undefined) q = q.where('subject', '=', options.subject);
  const rows = await q.execute();
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
  }));
}
