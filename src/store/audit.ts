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

export interface AuditInput {
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export async function appendAudit(db: Kysely<Database>, record: AuditInput, dialect: Dialect): Promise<void> {
  await appendAuditMany(db, [record], dialect);
}

/**
 * Several records in one statement, in the order given (their sequence numbers follow it); the last statement of its
 * transaction. On PostgreSQL the log is locked until the commit: a sequence number is taken when a record is
 * inserted, and without the lock a transaction that took 11 could commit before one that took 10, so that a reader
 * going on from 11 (`after`) would never see 10. Locked, the numbers follow the commits (SQLite has one writer).
 */
export async function appendAuditMany(
  db: Kysely<Database>,
  records: readonly AuditInput[],
  dialect: Dialect,
): Promise<void> {
  if (records.length === 0) return;
  if (dialect === 'postgres') await sql`LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE`.execute(db);
  await db
    .insertInto('audit_log')
    .values(
      records.map((record) => ({
        at: record.at,
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
