/**
 * The secretariat's books: published schedules, assessed import entries and the vault ledger, kept in the store
 * through the same rule code the simulator uses (src/admin). Every write is one database transaction that also
 * appends its audit record; entries and vault transactions are idempotent on a client-supplied id (the same id and
 * payload return the stored answer, the same id with another payload is a conflict).
 */
import { createHash } from 'node:crypto';
import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import { type AllocationShare, allocateByKey } from '../admin/allocation.ts';
import { addDays, isIsoDate, isoDateOf } from '../admin/dates.ts';
import { assessDuty, type DutyAssessment, type ImportEntry } from '../admin/duty.ts';
import { formatQuantity, parseQuantity, shownNumber } from '../admin/money.ts';
import {
  defaultMembers,
  type InForce,
  inForceOn,
  publishPrices,
  type Schedule,
  type ScheduleRequest,
} from '../admin/schedule.ts';
import {
  type Compliance,
  compliance,
  consumptionKey,
  holdingChanges,
  netImports,
  useKey,
  VaultError,
  type VaultTransaction,
} from '../admin/vault.ts';
import type { Catalog } from '../data/catalog.ts';
import { BASE_YEAR } from '../data/schema.ts';
import { formatQuantityUnit, parseQuantityUnit, UnitError } from '../data/units.ts';
import { modelRegion } from '../model/regions.ts';
import { appendAudit, appendAuditMany, readAudit, toJson } from './audit.ts';
import { type Database, type EntryTable, type Store, toBigInt } from './database.ts';

/** A request the books refuse: `kind` says how (the HTTP layer maps it to a status), `field` what. */
export class BooksError extends Error {
  constructor(
    readonly kind: 'invalid' | 'conflict' | 'not-found',
    readonly field: string | undefined,
    message: string,
  ) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'BooksError';
  }
}

export interface EntrySubmission extends ImportEntry {
  readonly id: string;
}

export interface StoredEntry {
  readonly id: string;
  readonly submittedBy: string;
  readonly createdAt: string;
  readonly entry: EntrySubmission;
  readonly assessment: DutyAssessment;
}

export interface VaultTransactionRequest {
  readonly id: string;
  readonly kind: 'purchase' | 'release' | 'transfer';
  readonly date: string;
  readonly member: string;
  readonly commodity: string;
  readonly site: string;
  /** Decimal quantity in the commodity's unit, at most six decimals. */
  readonly quantity: string;
  readonly valueCents?: number;
  readonly toMember?: string;
  readonly toSite?: string;
  readonly note?: string;
}

export interface HoldingView {
  readonly member: string;
  readonly commodity: string;
  readonly site: string;
  readonly quantity: string;
  readonly unit: string;
}

export interface StoredTransaction {
  readonly seq: number;
  readonly id: string;
  readonly recordedBy: string;
  readonly recordedAt: string;
  readonly request: VaultTransactionRequest;
}

export interface AllocationRequest {
  readonly commodity: string;
  readonly quantity: string;
  /** Members in force on this date share the release (default: today). */
  readonly date?: string;
  /**
   * Weights by member; default: each member's consumption in the data year (share of bloc consumption), or, for a
   * stage no member consumes as such, what their consumption of downstream goods embodies.
   */
  readonly key?: Readonly<Record<string, number>>;
}

export interface Allocation {
  readonly commodity: string;
  readonly unit: string;
  readonly quantity: string;
  readonly date: string;
  readonly key: { readonly basis: string; readonly weights: Readonly<Record<string, number>> };
  /** What the members hold of the commodity in the vault, all sites. */
  readonly held: string;
  readonly shares: readonly { member: string; quantity: string; share: number; held: string }[];
  /** A release above what the vault holds, or shares above what members hold. */
  readonly notes: readonly string[];
}

/** A stable JSON text of a request: keys sorted, undefined dropped — the basis of the idempotency hash. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([, x]) => x !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, x]) => [k, sort(x)]),
      );
    }
    return v;
  };
  return toJson(sort(value));
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** How long a checked list of schedules is used before the database is asked whether it changed. */
export const SCHEDULE_CACHE_MS = 250;

/** The years the service administers: a date outside them is a typo (1900, 9999), not a customs or ledger date. */
const FIRST_YEAR = 2000;
const LAST_YEAR = 2099;

/** A date a request names: a calendar date written YYYY-MM-DD within the administered years. */
function checkDate(field: string, date: string): void {
  if (!isIsoDate(date)) throw new BooksError('invalid', field, `'${date}' is not a date (YYYY-MM-DD)`);
  const year = Number(date.slice(0, 4));
  if (year < FIRST_YEAR || year > LAST_YEAR)
    throw new BooksError(
      'invalid',
      field,
      `${date} is outside the years the service administers (${FIRST_YEAR}-${LAST_YEAR})`,
    );
}

export class Books {
  private cached: { stamp: string; schedules: Schedule[]; checked: number } | undefined;
  private readonly queue: (PendingEntry & { resolve(outcome: Committed): void; reject(e: unknown): void })[] = [];
  private flushing = false;

  constructor(
    readonly store: Store,
    readonly catalog: Catalog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private today(): string {
    return isoDateOf(this.now());
  }

  /**
   * The date of something recorded: a date checkDate takes, and not after tomorrow (UTC; a day's grace for time zones
   * east of it): what is recorded has happened. A quote may look ahead, a record may not.
   */
  private checkRecordDate(field: string, date: string, why: string): void {
    checkDate(field, date);
    const tomorrow = addDays(this.today(), 1);
    if (date > tomorrow) throw new BooksError('invalid', field, `${date} is after tomorrow (${tomorrow}): ${why}`);
  }

  // ---- schedules -------------------------------------------------------------------------------------------------

  private async loadSchedules(db: Kysely<Database>, fresh = false): Promise<Schedule[]> {
    // Within SCHEDULE_CACHE_MS of the last check the cached list is used as is: this process's own publications
    // replace it at once, another process's are seen within that time (as if the entry had come that much earlier).
    const now = Date.now();
    if (!fresh && this.cached && now - this.cached.checked < SCHEDULE_CACHE_MS) return this.cached.schedules;
    const stampRow = await db
      .selectFrom('schedules')
      .select((eb) => [eb.fn.max('version').as('v'), eb.fn.countAll().as('n')])
      .executeTakeFirst();
    const stamp = `${stampRow?.v ?? 0}/${stampRow?.n ?? 0}`;
    if (this.cached?.stamp === stamp) {
      this.cached.checked = now;
      return this.cached.schedules;
    }
    const rows = await db.selectFrom('schedules').selectAll().orderBy('version').execute();
    const schedules = rows.map((r): Schedule => {
      const doc = JSON.parse(r.document) as Pick<Schedule, 'members' | 'prices'>;
      return {
        version: Number(r.version),
        effectiveFrom: r.effective_from,
        publishedAt: r.published_at,
        publishedBy: r.published_by,
        reference: r.reference,
        ...(doc.members ? { members: doc.members } : {}),
        prices: doc.prices,
      };
    });
    this.cached = { stamp, schedules, checked: now };
    return schedules;
  }

  /** Every published schedule, oldest version first. */
  schedules(): Promise<Schedule[]> {
    return this.loadSchedules(this.store.db);
  }

  /** What was in force on a date (default: today), and why. */
  async inForce(date = this.today()): Promise<InForce> {
    checkDate('date', date);
    return inForceOn(await this.schedules(), date, defaultMembers(this.catalog));
  }

  /**
   * Schedules apply prospectively, as a customs tariff does: one effective before a published one would reorder the
   * history its caps (maxChange) were computed against, and one effective on or before the date of any recorded entry
   * could give that entry a second answer (a price reaches downstream goods through their content). Both are refused; a correction is a new schedule effective later.
   */
  private async prospective(trx: Kysely<Database>, request: ScheduleRequest, existing: readonly Schedule[]) {
    const latest = existing.reduce<Schedule | undefined>(
      (a, s) => (!a || s.effectiveFrom > a.effectiveFrom ? s : a),
      undefined,
    );
    if (latest && request.effectiveFrom < latest.effectiveFrom)
      throw new BooksError(
        'conflict',
        'effectiveFrom',
        `schedule version ${latest.version} is already effective from ${latest.effectiveFrom}: schedules are published in date order, so one effective ${request.effectiveFrom} would rewrite what came before it; make it effective on or after ${latest.effectiveFrom}`,
      );
    // Any entry: a price reaches entries of other commodities too (a magnet's levy is on its NdPr oxide content),
    // and members reach every entry.
    const assessed = await trx
      .selectFrom('entries')
      .select(['id', 'importer', 'entry_date'])
      .where('entry_date', '>=', request.effectiveFrom)
      .orderBy('entry_date', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (assessed)
      throw new BooksError(
        'conflict',
        'effectiveFrom',
        `entry ${assessed.id} of ${assessed.importer}, dated ${assessed.entry_date}, was assessed under the schedules then in force: one effective ${request.effectiveFrom} could change a recorded duty (a price reaches other goods through their content); make it effective after ${assessed.entry_date}`,
      );
  }

  /**
   * A schedule may not take a member out of the zone while it holds stock in the vault: only members move the
   * vault's stock, so what it holds would be stranded, neither released nor read. It releases first.
   */
  private async noStrandedStock(trx: Kysely<Database>, request: ScheduleRequest, existing: readonly Schedule[]) {
    const region = (code: string) => modelRegion(this.catalog, code);
    const staying = new Set((request.members ?? []).map(region));
    const before = inForceOn(existing, request.effectiveFrom, defaultMembers(this.catalog)).members.map(region);
    const leaving = new Set(before.filter((m) => !staying.has(m)));
    if (leaving.size === 0) return;
    const rows = await trx.selectFrom('vault_holdings').selectAll().orderBy('member').orderBy('commodity').execute();
    const held = rows.filter((r) => toBigInt(r.quantity) > 0n && leaving.has(region(r.member)));
    const first = held[0];
    if (!first) return;
    const what = held
      .map(
        (h) =>
          `${formatQuantity(toBigInt(h.quantity))} ${this.unitOf(h.commodity)} of ${h.commodity} (${h.member}, ${h.site})`,
      )
      .join('; ');
    throw new BooksError(
      'conflict',
      'members',
      `${[...new Set(held.map((h) => region(h.member)))].join(', ')} would leave the zone on ${request.effectiveFrom} holding vault stock: ${what}; only members move the vault's stock, so it would be stranded: release it first, or keep the member`,
    );
  }

  /** Publishes a schedule: its prices computed by the rules against what is in force on its effective date. */
  async publishSchedule(actor: string, request: ScheduleRequest): Promise<Schedule> {
    checkDate('effectiveFrom', request.effectiveFrom);
    const result = await this.store.db.transaction().execute(async (trx) => {
      // One publication at a time: each reads the schedules it amends (smoothing uses the price in force).
      if (this.store.dialect === 'postgres') await sqlLockSchedules(trx);
      const at = this.now().toISOString();
      const existing = await this.loadSchedules(trx, true);
      const published = publishPrices(this.catalog, request, existing);
      await this.prospective(trx, request, existing);
      if (request.members) await this.noStrandedStock(trx, request, existing);
      const document = { ...(published.members ? { members: published.members } : {}), prices: published.prices };
      const row = await trx
        .insertInto('schedules')
        .values({
          effective_from: request.effectiveFrom,
          published_at: at,
          published_by: actor,
          reference: request.reference,
          document: toJson(document),
        })
        .returning('version')
        .executeTakeFirstOrThrow();
      const schedule: Schedule = {
        version: Number(row.version),
        effectiveFrom: request.effectiveFrom,
        publishedAt: at,
        publishedBy: actor,
        reference: request.reference,
        ...document,
      };
      const before = inForceOn(existing, request.effectiveFrom, defaultMembers(this.catalog));
      await appendAudit(
        trx,
        {
          actor,
          action: 'schedule.publish',
          subject: `schedule:${schedule.version}`,
          before: {
            members: before.members,
            prices: before.prices.map((p) => ({
              commodity: p.commodity,
              priceCents: p.priceCents,
              version: p.version,
            })),
          },
          after: {
            request,
            schedule: {
              ...schedule,
              prices: schedule.prices.map((p) => ({
                commodity: p.commodity,
                priceCents: p.priceCents,
                priceUnit: p.priceUnit,
                method: p.method,
              })),
            },
          },
        },
        this.store.dialect,
        this.now,
      );
      return schedule;
    });
    this.cached = undefined; // the next read sees the new schedule
    return result;
  }

  // ---- entries ---------------------------------------------------------------------------------------------------

  /**
   * An entry as the rules read it: each unit written canonically ('<scale> <basis>', one space), and given where it
   * was left to default (the commodity's unit). A unit that does not parse is left as written, for the rules to refuse.
   */
  private normalisedEntry(entry: EntrySubmission): EntrySubmission {
    const unitOf = (commodity: string, unit: string | undefined): string | undefined => {
      const text = unit ?? this.catalog.commodities.get(commodity)?.row.unit;
      if (text === undefined) return undefined;
      try {
        return formatQuantityUnit(parseQuantityUnit(text));
      } catch (e) {
        if (e instanceof UnitError) return text;
        throw e;
      }
    };
    const { content } = entry;
    return {
      ...entry,
      unit: unitOf(entry.commodity, entry.unit),
      ...(content ? { content: { ...content, unit: unitOf(content.commodity, content.unit) } } : {}),
    };
  }

  /** The duty on an entry as the rules in force on its date assess it, without recording anything. */
  async quote(entry: ImportEntry): Promise<DutyAssessment> {
    checkDate('date', entry.date);
    return this.assess(entry);
  }

  /** The duty on an entry whose date is checked. */
  private async assess(entry: ImportEntry): Promise<DutyAssessment> {
    return this.assessUnder(entry, await this.schedules()).assessment;
  }

  /** The duty on an entry under a list of schedules, with the newest version that list holds. */
  private assessUnder(
    entry: ImportEntry,
    schedules: readonly Schedule[],
  ): { assessment: DutyAssessment; newestVersion: number } {
    const assessment = assessDuty(this.catalog, entry, inForceOn(schedules, entry.date, defaultMembers(this.catalog)));
    return { assessment, newestVersion: schedules.reduce((v, s) => Math.max(v, s.version), 0) };
  }

  private toStored(row: Selectable<EntryTable>): StoredEntry {
    return {
      id: row.id,
      submittedBy: row.submitted_by,
      createdAt: row.created_at,
      entry: JSON.parse(row.request) as EntrySubmission,
      assessment: JSON.parse(row.assessment) as DutyAssessment,
    };
  }

  /**
   * The entries recorded under an id, one per importer that used it (ids are each importer's own), by importer; the
   * caller picks those it may read.
   */
  async entries(id: string): Promise<StoredEntry[]> {
    const rows = await this.store.db
      .selectFrom('entries')
      .selectAll()
      .where('id', '=', id)
      .orderBy('importer')
      .execute();
    return rows.map((row) => this.toStored(row));
  }

  /** The entry an importer (as declared) recorded under an id. */
  async entry(importer: string, id: string): Promise<StoredEntry | undefined> {
    const row = await this.store.db
      .selectFrom('entries')
      .selectAll()
      .where('importer', '=', importer)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? this.toStored(row) : undefined;
  }

  /**
   * Assesses and records an entry. `created` is false when the same id and payload were recorded before (the stored
   * answer is returned, not a new assessment); the same id with another payload is a conflict.
   */
  async submitEntry(actor: string, submission: EntrySubmission): Promise<{ created: boolean; entry: StoredEntry }> {
    const request = canonicalJson(submission);
    const hash = sha256(request);
    const answer = (row: Selectable<EntryTable> | undefined): { created: boolean; entry: StoredEntry } => {
      if (!row)
        throw new BooksError(
          'conflict',
          'id',
          `entry ${submission.id} of ${submission.importer} could not be recorded; retry`,
        );
      // The same request said another way (a default unit spelt out, a unit spaced otherwise) is the same request:
      // the two are compared as the rules read them, also against an entry stored before this comparison was made.
      if (
        row.request_hash !== hash &&
        canonicalJson(this.normalisedEntry(JSON.parse(row.request) as EntrySubmission)) !==
          canonicalJson(this.normalisedEntry(submission))
      )
        throw new BooksError(
          'conflict',
          'id',
          `entry ${submission.id} of ${submission.importer} was recorded with another payload`,
        );
      return { created: false, entry: this.toStored(row) };
    };
    const recorded = () =>
      this.store.db
        .selectFrom('entries')
        .selectAll()
        .where('importer', '=', submission.importer)
        .where('id', '=', submission.id)
        .executeTakeFirst();
    const existing = await recorded();
    if (existing) return answer(existing);
    this.checkRecordDate(
      'date',
      submission.date,
      'an entry is recorded once it has been declared (use dryRun for a quote)',
    );
    // Assessed under the schedules this server knows (another server's publication reaches it within
    // SCHEDULE_CACHE_MS, its own at once); the commit checks that none effective by the entry's date has been published
    // since, and assesses again under the schedules read afresh where one has: a recorded entry keeps the answer the
    // published schedules give on its date.
    let schedules = await this.schedules();
    for (let attempt = 1; ; attempt++) {
      const { assessment, newestVersion } = this.assessUnder(submission, schedules);
      const createdAt = this.now().toISOString();
      // The answer as a replay will read it back: the canonical request, the assessment through JSON.
      const stored: StoredEntry = {
        id: submission.id,
        submittedBy: actor,
        createdAt,
        entry: JSON.parse(request) as EntrySubmission,
        assessment: JSON.parse(toJson(assessment)) as DutyAssessment,
      };
      const pending: PendingEntry = {
        assessedUnder: newestVersion,
        values: {
          id: submission.id,
          importer: submission.importer,
          origin: submission.origin,
          commodity: submission.commodity,
          entry_date: submission.date,
          submitted_by: actor,
          request_hash: hash,
          request,
          assessment: toJson(assessment),
          amount_due_cents: assessment.amountDueCents,
          levy_cents: assessment.levyCents,
          created_at: createdAt,
        },
        audit: {
          actor,
          action: 'entry.submit',
          subject: entrySubject(submission.importer, submission.id),
          after: { entry: submission, amountDueCents: assessment.amountDueCents, levyCents: assessment.levyCents },
        },
      };
      const outcome = await this.groupCommit(pending);
      if (outcome === 'inserted') return { created: true, entry: stored };
      if (outcome === 'taken') return answer(await recorded());
      if (attempt === MAX_ASSESSMENTS)
        throw new BooksError(
          'conflict',
          'date',
          `schedules effective by ${submission.date} keep being published; retry`,
        );
      schedules = await this.loadSchedules(this.store.db, true);
    }
  }

  /**
   * Group commit: entries that arrive while a commit is on its way to disk wait and are written together in the next
   * transaction — a few statements and one fsync for many entries, on SQLite (one writer) as on PostgreSQL. Each is
   * acknowledged only once its transaction is durable; an idle server commits at once, nothing waits for a batch.
   */
  private groupCommit(entry: PendingEntry): Promise<Committed> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...entry, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, 200);
        try {
          const outcomes = await this.store.db
            .transaction()
            .execute((trx) => insertEntries(trx, batch, this.store.dialect, this.now));
          for (const [i, item] of batch.entries()) item.resolve(outcomes[i] as Committed);
        } catch {
          // One entry the database refuses must not sink the others: each alone, each with its own answer.
          for (const item of batch) {
            try {
              item.resolve(
                (
                  await this.store.db
                    .transaction()
                    .execute((trx) => insertEntries(trx, [item], this.store.dialect, this.now))
                )[0] as Committed,
              );
            } catch (e) {
              item.reject(e);
            }
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  // ---- vault -----------------------------------------------------------------------------------------------------

  private unitOf(commodity: string): string {
    const info = this.catalog.commodities.get(commodity);
    if (!info) throw new BooksError('invalid', 'commodity', `unknown commodity '${commodity}'`);
    return info.row.unit;
  }

  /**
   * Stock may not be put with a member whose exit a published schedule has set for `date` or after (bought for it, or
   * moved to it): from then on only members move the vault's stock, so it would be stranded. Read afresh, under the
   * lock a publication waits for: holder() may have read a list up to SCHEDULE_CACHE_MS old, without an exit just
   * published.
   */
  private async notLeaving(db: Kysely<Database>, field: string, member: string, date: string): Promise<void> {
    const schedules = await this.loadSchedules(db, true);
    const members = inForceOn(schedules, date, defaultMembers(this.catalog)).members;
    if (!members.some((m) => modelRegion(this.catalog, m) === member))
      throw new BooksError('invalid', field, `${member} is not a member of the zone on ${date}`);
    const later = schedules
      .filter((s) => s.effectiveFrom > date && s.members !== undefined)
      .sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : a.effectiveFrom > b.effectiveFrom ? 1 : 0));
    for (const s of later) {
      if ((s.members ?? []).some((m) => modelRegion(this.catalog, m) === member)) continue;
      throw new BooksError(
        'conflict',
        field,
        `${member} leaves the zone on ${s.effectiveFrom} (schedule version ${s.version}): stock put with it now would be stranded, since only members move the vault's stock`,
      );
    }
  }

  /** A vault holder is a member of the zone on the date, as a model region (an EU member state holds as EU27). */
  private async holder(field: string, code: string, date: string): Promise<string> {
    const region = this.catalog.regions.get(code);
    if (!region || region.kind === 'rest') throw new BooksError('invalid', field, `unknown region '${code}'`);
    const member = modelRegion(this.catalog, code);
    const members = (await this.inForce(date)).members.map((m) => modelRegion(this.catalog, m));
    if (!members.includes(member))
      throw new BooksError('invalid', field, `${code} is not a member of the zone on ${date}`);
    return member;
  }

  /**
   * A transaction already recorded under the request's id: its answer as given then (the holdings it left, from its
   * audit record), or a conflict where the id was recorded with another payload; undefined where the id is new.
   */
  private async recordedTransaction(
    request: VaultTransactionRequest,
    hash: string,
  ): Promise<{ created: false; transaction: StoredTransaction; holdings: HoldingView[] } | undefined> {
    // The holder as recorded: a member state's postings are its zone member's (EU27), whichever of them sent it.
    const holder = this.regionOf(request.member);
    const row = await this.store.db
      .selectFrom('vault_transactions')
      .selectAll()
      .where('member', '=', holder)
      .where('id', '=', request.id)
      .executeTakeFirst();
    if (!row) return undefined;
    let [audit] = await readAudit(this.store.db, { subject: vaultSubject(holder, request.id), limit: 1 });
    // A posting recorded before ids were each member's own has its audit record under the id alone.
    if (!audit) [audit] = await readAudit(this.store.db, { subject: `vault:${request.id}`, limit: 1 });
    const recorded = audit?.after as { request?: VaultTransactionRequest; holdings?: HoldingView[] } | null;
    // The same request said another way (a transfer's default destination spelt out, the EU's stock named as EU27 or
    // as a member state) is the same request: compared, where the text differs, with the request its audit record keeps.
    if (
      row.request_hash !== hash &&
      !(
        recorded?.request &&
        canonicalJson(this.normalisedTransaction(recorded.request)) ===
          canonicalJson(this.normalisedTransaction(request))
      )
    )
      throw new BooksError(
        'conflict',
        'id',
        `transaction ${request.id} of ${holder} was recorded with another payload`,
      );
    const holdings = recorded?.holdings ?? [];
    return {
      created: false,
      transaction: {
        seq: Number(row.seq),
        id: row.id,
        recordedBy: row.recorded_by,
        recordedAt: row.recorded_at,
        request,
      },
      holdings,
    };
  }

  /** A region as the vault holds it: a member state as its zone member (EU27); an unknown code as written. */
  private regionOf(code: string): string {
    return modelRegion(this.catalog, code);
  }

  /** A vault request as the rules read it: holders as zone members, a transfer's destination filled in. */
  private normalisedTransaction(request: VaultTransactionRequest): VaultTransactionRequest {
    const member = this.regionOf(request.member);
    if (request.kind !== 'transfer') return { ...request, member };
    return {
      ...request,
      member,
      toMember: this.regionOf(request.toMember ?? request.member),
      toSite: request.toSite ?? request.site,
    };
  }

  /**
   * Records a purchase, release or transfer; refuses (conflict) one that would take a holding below zero. `sees` says
   * whose postings the caller may read (default: everyone's, as the secretariat): a refusal names no other's.
   */
  async recordTransaction(
    actor: string,
    request: VaultTransactionRequest,
    sees: (member: string) => boolean = () => true,
  ): Promise<{ created: boolean; transaction: StoredTransaction; holdings: HoldingView[] }> {
    // A replay first: its answer is the one given when it was recorded, whatever has changed since (the holdings, the
    // members, the date).
    const canonical = canonicalJson(request);
    const hash = sha256(canonical);
    const recorded = await this.recordedTransaction(request, hash);
    if (recorded) return recorded;
    this.checkRecordDate('date', request.date, 'a vault transaction is posted once it has taken place');
    const unit = this.unitOf(request.commodity);
    let quantity: bigint;
    try {
      quantity = parseQuantity(request.quantity);
    } catch (e) {
      throw new BooksError('invalid', 'quantity', (e as Error).message);
    }
    if (quantity <= 0n) throw new BooksError('invalid', 'quantity', `must be positive, got ${request.quantity}`);
    const member = await this.holder('member', request.member, request.date);
    let tx: VaultTransaction;
    if (request.kind === 'transfer') {
      if (request.valueCents !== undefined)
        throw new BooksError('invalid', 'valueCents', 'a transfer moves goods, not money: leave the value out');
      const toMember = await this.holder('toMember', request.toMember ?? request.member, request.date);
      tx = {
        kind: 'transfer',
        member,
        commodity: request.commodity,
        site: request.site,
        quantity,
        toMember,
        toSite: request.toSite ?? request.site,
      };
    } else {
      if (request.toMember !== undefined || request.toSite !== undefined)
        throw new BooksError(
          'invalid',
          request.toMember !== undefined ? 'toMember' : 'toSite',
          `only a transfer has a destination`,
        );
      tx = {
        kind: request.kind,
        member,
        commodity: request.commodity,
        site: request.site,
        quantity,
        valueCents: BigInt(request.valueCents ?? 0),
      };
    }
    let changes: ReturnType<typeof holdingChanges>;
    try {
      changes = holdingChanges(tx);
    } catch (e) {
      if (e instanceof VaultError) throw new BooksError('invalid', e.field, e.message.slice(e.field.length + 2));
      throw e;
    }
    const recordedAt = this.now().toISOString();
    const view = (h: { member: string; commodity: string; site: string; quantity: bigint }): HoldingView => ({
      member: h.member,
      commodity: h.commodity,
      site: h.site,
      quantity: formatQuantity(h.quantity),
      unit,
    });
    const replay = async () => {
      const again = await this.recordedTransaction(request, hash);
      if (!again) throw new BooksError('conflict', 'id', `transaction ${request.id} could not be recorded; retry`);
      return again;
    };
    const outcome = await this.store.db.transaction().execute(async (trx) => {
      // Stock put with a member (bought for it, moved to it) is checked against the exits published, under a lock
      // that a schedule's publication (which checks the holdings of those it takes out) waits for, and waits on.
      const receiver =
        tx.kind === 'purchase'
          ? tx.member
          : tx.kind === 'transfer' && tx.toMember !== tx.member
            ? tx.toMember
            : undefined;
      if (receiver !== undefined) {
        if (this.store.dialect === 'postgres') await sql`LOCK TABLE schedules IN SHARE MODE`.execute(trx);
        await this.notLeaving(trx, tx.kind === 'purchase' ? 'member' : 'toMember', receiver, request.date);
      }
      const row = await trx
        .insertInto('vault_transactions')
        .values({
          id: request.id,
          request_hash: hash,
          kind: tx.kind,
          member,
          commodity: request.commodity,
          site: request.site,
          to_member: tx.kind === 'transfer' ? tx.toMember : null,
          to_site: tx.kind === 'transfer' ? tx.toSite : null,
          quantity: quantity.toString(),
          value_cents: tx.kind === 'transfer' ? null : tx.valueCents.toString(),
          date: request.date,
          recorded_by: actor,
          recorded_at: recordedAt,
        })
        .onConflict((oc) => oc.columns(['member', 'id']).doNothing())
        .returning('seq')
        .executeTakeFirst();
      if (!row) return undefined;
      const before: { member: string; commodity: string; site: string; quantity: bigint }[] = [];
      const after: typeof before = [];
      const held = new Map<(typeof changes)[number], bigint>();
      // The holdings' rows are changed (and so locked) in one order whatever the direction: transfers X→Y and Y→X at
      // once would otherwise each lock one row and wait for the other's (a deadlock: PostgreSQL aborts one).
      for (const c of [...changes].sort(byHolding)) {
        const key = { member: c.member, commodity: c.commodity, site: c.site };
        let result: bigint;
        if (c.delta < 0n) {
          // Atomic debit: the row changes only if it holds enough (PostgreSQL re-checks the condition under a lock).
          const updated = await trx
            .updateTable('vault_holdings')
            .set((eb) => ({ quantity: eb('quantity', '+', c.delta.toString() as never) }))
            .where('member', '=', c.member)
            .where('commodity', '=', c.commodity)
            .where('site', '=', c.site)
            .where('quantity', '>=', (-c.delta).toString() as never)
            .returning('quantity')
            .executeTakeFirst();
          if (!updated) {
            const held = await trx
              .selectFrom('vault_holdings')
              .select('quantity')
              .where('member', '=', c.member)
              .where('commodity', '=', c.commodity)
              .where('site', '=', c.site)
              .executeTakeFirst();
            const have = held ? toBigInt(held.quantity) : 0n;
            throw new BooksError(
              'conflict',
              'quantity',
              `${c.member} holds ${formatQuantity(have)} ${unit} of ${c.commodity} at ${c.site}, less than the ${formatQuantity(-c.delta)} asked`,
            );
          }
          result = toBigInt(updated.quantity);
        } else {
          const upserted = await trx
            .insertInto('vault_holdings')
            .values({ ...key, quantity: c.delta.toString() })
            .onConflict((oc) =>
              oc.columns(['member', 'commodity', 'site']).doUpdateSet((eb) => ({
                quantity: eb('vault_holdings.quantity', '+', eb.ref('excluded.quantity')),
              })),
            )
            .returning('quantity')
            .executeTakeFirstOrThrow();
          result = toBigInt(upserted.quantity);
        }
        held.set(c, result);
      }
      for (const c of changes) {
        const key = { member: c.member, commodity: c.commodity, site: c.site };
        const result = held.get(c) as bigint;
        before.push({ ...key, quantity: result - c.delta });
        after.push({ ...key, quantity: result });
      }
      // A ledger is posted in date order, so "never below zero" at posting holds on every date of the ledger too. The
      // holdings' rows are locked by now (PostgreSQL): postings to the same holding are checked one after another.
      for (const c of changes) {
        const later = await trx
          .selectFrom('vault_transactions')
          .select(['id', 'member', 'date'])
          .where('seq', '!=', row.seq)
          .where('commodity', '=', c.commodity)
          .where('date', '>', request.date)
          .where((eb) =>
            eb.or([
              eb.and([eb('member', '=', c.member), eb('site', '=', c.site)]),
              eb.and([eb('to_member', '=', c.member), eb('to_site', '=', c.site)]),
            ]),
          )
          .orderBy('date', 'desc')
          .limit(1)
          .executeTakeFirst();
        // The caller's own holding: the posting's date, and its id unless another member sent it (the id is theirs).
        if (later && sees(c.member))
          throw new BooksError(
            'conflict',
            'date',
            `${c.member}'s ${c.commodity} at ${c.site} has a posting dated ${later.date} (${sees(later.member) ? later.id : `a transfer in from ${later.member}`}): the ledger is kept in date order, so post this one dated on or after ${later.date}`,
          );
        // Another member's holding (a transfer's destination): that its ledger goes past this date is all the refusal
        // can help saying, not the posting's id or date, which are that member's.
        if (later)
          throw new BooksError(
            'conflict',
            'date',
            `${c.member}'s ${c.commodity} at ${c.site}, where this transfer goes, has a posting dated after ${request.date}: the ledger is kept in date order, so date the transfer later`,
          );
      }
      await appendAudit(
        trx,
        {
          actor,
          action: `vault.${tx.kind}`,
          subject: vaultSubject(member, request.id),
          before: before.map(view),
          after: { request, holdings: after.map(view) },
        },
        this.store.dialect,
        this.now,
      );
      return { seq: Number(row.seq), holdings: after };
    });
    if (!outcome) return replay();
    return {
      created: true,
      transaction: { seq: outcome.seq, id: request.id, recordedBy: actor, recordedAt, request },
      holdings: outcome.holdings.map(view),
    };
  }

  /** Every holding, as integer millionths (zero holdings left out). */
  async holdings(): Promise<{ member: string; commodity: string; site: string; quantity: bigint }[]> {
    const rows = await this.store.db
      .selectFrom('vault_holdings')
      .selectAll()
      .orderBy('member')
      .orderBy('commodity')
      .orderBy('site')
      .execute();
    return rows.map((r) => ({ ...r, quantity: toBigInt(r.quantity) })).filter((r) => r.quantity > 0n);
  }

  holdingView(h: { member: string; commodity: string; site: string; quantity: bigint }): HoldingView {
    return {
      member: h.member,
      commodity: h.commodity,
      site: h.site,
      quantity: formatQuantity(h.quantity),
      unit: this.unitOf(h.commodity),
    };
  }

  /** Compliance of each member with an obligation of `days` of its net imports in the data year, per commodity. */
  complianceOf(
    holdings: readonly { member: string; commodity: string; quantity: bigint }[],
    members: readonly string[],
    commodities: readonly string[],
    days: number,
    year = BASE_YEAR,
  ): (Omit<Compliance, 'holdings' | 'required' | 'shortfall'> & {
    holdings: string;
    required: string;
    shortfall: string;
    unit: string;
    year: number;
  })[] {
    const out = [];
    for (const member of members) {
      for (const commodity of commodities) {
        const held = holdings
          .filter((h) => h.member === member && h.commodity === commodity)
          .reduce((s, h) => s + h.quantity, 0n);
        const c = compliance(member, commodity, held, netImports(this.catalog, member, commodity, year), days);
        out.push({
          ...c,
          netImportsPerYear: shownNumber(c.netImportsPerYear),
          daysOfCover: c.daysOfCover === null ? null : shownNumber(c.daysOfCover),
          holdings: formatQuantity(c.holdings),
          required: formatQuantity(c.required),
          shortfall: formatQuantity(c.shortfall),
          unit: this.unitOf(commodity),
          year,
        });
      }
    }
    return out;
  }

  // ---- collective release ----------------------------------------------------------------------------------------

  /** Splits a collective release among the members in force by a key, conserving the total to the millionth. */
  async allocateRelease(request: AllocationRequest): Promise<Allocation> {
    const unit = this.unitOf(request.commodity);
    let total: bigint;
    try {
      total = parseQuantity(request.quantity);
    } catch (e) {
      throw new BooksError('invalid', 'quantity', (e as Error).message);
    }
    if (total <= 0n) throw new BooksError('invalid', 'quantity', `must be positive, got ${request.quantity}`);
    const date = request.date ?? this.today();
    const members = [...new Set((await this.inForce(date)).members.map((m) => modelRegion(this.catalog, m)))];
    let weights: Record<string, number>;
    let basis: string;
    if (request.key) {
      weights = {};
      for (const [code, w] of Object.entries(request.key)) {
        const member = modelRegion(this.catalog, code);
        if (!members.includes(member))
          throw new BooksError('invalid', `key.${code}`, `${code} is not a member of the zone on ${date}`);
        if (!(Number.isFinite(w) && w >= 0))
          throw new BooksError('invalid', `key.${code}`, `a weight is a non-negative number, got ${w}`);
        weights[member] = (weights[member] ?? 0) + w;
        if (!Number.isFinite(weights[member]))
          throw new BooksError('invalid', `key.${code}`, `the weights of ${member} add up beyond any number`);
      }
      basis = 'given';
    } else {
      weights = consumptionKey(this.catalog, members, request.commodity, BASE_YEAR);
      basis = `share of bloc consumption of ${request.commodity} in ${BASE_YEAR} (data)`;
      if (Object.values(weights).every((w) => w === 0)) {
        // A stage no member buys as such (NdPr oxide) is shared by what their consumption of downstream goods
        // embodies, as the reference-price rules count bloc use.
        weights = useKey(this.catalog, members, request.commodity, BASE_YEAR);
        basis = `share of bloc use of ${request.commodity} in ${BASE_YEAR} (data): no member consumes it as such, so what their consumption of downstream goods embodies`;
      }
    }
    if (Object.values(weights).every((w) => w === 0))
      throw new BooksError(
        'invalid',
        request.key ? 'key' : 'commodity',
        `every weight of the key is zero${request.key ? '' : `: no member uses ${request.commodity} in the data, directly or in downstream goods`}`,
      );
    const shares: AllocationShare[] = allocateByKey(total, weights);
    // What each member holds of the commodity (every site), beside its share: a share above it is stock the member
    // must find elsewhere, and a release above all the vault holds is one the stock cannot meet.
    const heldBy = new Map<string, bigint>();
    for (const h of await this.holdings()) {
      const member = modelRegion(this.catalog, h.member);
      if (h.commodity === request.commodity) heldBy.set(member, (heldBy.get(member) ?? 0n) + h.quantity);
    }
    const held = members.reduce((t, m) => t + (heldBy.get(m) ?? 0n), 0n);
    const notes: string[] = [];
    if (total > held)
      notes.push(
        `the members hold ${formatQuantity(held)} ${unit} of ${request.commodity} in the vault, ${formatQuantity(total - held)} ${unit} less than the release`,
      );
    const short = shares.filter((s) => s.amount > (heldBy.get(s.member) ?? 0n)).map((s) => s.member);
    if (short.length > 0 && total <= held)
      notes.push(`${short.join(', ')} hold less than their shares: the others' stock must make up the difference`);
    return {
      commodity: request.commodity,
      unit,
      quantity: formatQuantity(total),
      date,
      // The weights as shown, without the noise of summing the data in binary; the shares above use them as they are.
      key: { basis, weights: Object.fromEntries(Object.entries(weights).map(([m, w]) => [m, shownNumber(w)])) },
      held: formatQuantity(held),
      shares: shares.map((s) => ({
        member: s.member,
        quantity: formatQuantity(s.amount),
        share: s.share,
        held: formatQuantity(heldBy.get(s.member) ?? 0n),
      })),
      notes,
    };
  }
}

interface PendingEntry {
  readonly values: Insertable<EntryTable>;
  readonly audit: Parameters<typeof appendAudit>[1];
  /** The newest schedule version the assessment saw. */
  readonly assessedUnder: number;
}

/**
 * What became of an entry at commit: recorded; its id taken (by an earlier batch, or earlier in this one); or its
 * assessment stale (a schedule effective by its date was published after it was assessed), so not recorded.
 */
type Committed = 'inserted' | 'taken' | 'stale';

/** How often an entry is assessed again when schedules effective by its date keep being published under it. */
const MAX_ASSESSMENTS = 5;

/** Inserts the entries whose assessments are current, with their audit records, in one go for the lot. */
async function insertEntries(
  trx: Kysely<Database>,
  entries: readonly PendingEntry[],
  dialect: Store['dialect'],
  now: () => Date,
): Promise<Committed[]> {
  // A publication (which checks the entries recorded) waits for this commit, and this one for a publication's, so an
  // entry is either seen by a schedule's check or checked against that schedule here (SQLite's one writer: as is).
  if (dialect === 'postgres') await sql`LOCK TABLE schedules IN SHARE MODE`.execute(trx);
  const oldest = Math.min(...entries.map((e) => e.assessedUnder));
  const since = await trx
    .selectFrom('schedules')
    .select(['version', 'effective_from'])
    .where('version', '>', oldest)
    .execute();
  const stale = (e: PendingEntry) =>
    since.some((s) => Number(s.version) > e.assessedUnder && s.effective_from <= e.values.entry_date);
  // An entry is the importer's id: the same id from two importers is two entries.
  const key = (e: { importer: string; id: string }) => `${e.importer} ${e.id}`;
  const first = new Map<string, number>();
  entries.forEach((e, i) => {
    if (!stale(e) && !first.has(key(e.values))) first.set(key(e.values), i);
  });
  const unique = entries.filter((e, i) => first.get(key(e.values)) === i);
  const rows =
    unique.length === 0
      ? []
      : await trx
          .insertInto('entries')
          .values(unique.map((e) => e.values))
          .onConflict((oc) => oc.columns(['importer', 'id']).doNothing())
          .returning(['importer', 'id'])
          .execute();
  const taken = new Set(rows.map(key));
  await appendAuditMany(
    trx,
    unique.filter((e) => taken.has(key(e.values))).map((e) => e.audit),
    dialect,
    now,
  );
  return entries.map((e, i) =>
    stale(e) ? 'stale' : first.get(key(e.values)) === i && taken.has(key(e.values)) ? 'inserted' : 'taken',
  );
}

/**
 * The audit subject of an entry or a posting: ids are each member's own, so the subject names the member (an importer
 * as declared, a vault holder) after an '@', which no id may contain. Records written before ids were scoped name the
 * id alone ('entry:ID', 'vault:ID').
 */
export const entrySubject = (importer: string, id: string) => `entry:${id}@${importer}`;
export const vaultSubject = (member: string, id: string) => `vault:${id}@${member}`;

/** Orders holdings by member, commodity and site: the order their rows are locked in. */
function byHolding(
  a: { member: string; commodity: string; site: string },
  b: { member: string; commodity: string; site: string },
): number {
  const ka = [a.member, a.commodity, a.site];
  const kb = [b.member, b.commodity, b.site];
  for (let i = 0; i < ka.length; i++) {
    if ((ka[i] as string) !== (kb[i] as string)) return (ka[i] as string) < (kb[i] as string) ? -1 : 1;
  }
  return 0;
}

/** Serialises schedule publications on PostgreSQL (SQLite's single writer does this already). */
async function sqlLockSchedules(trx: Kysely<Database>): Promise<void> {
  await sql`LOCK TABLE schedules IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
}
