/**
 * API keys: 256 random bits shown once, stored only as their SHA-256 (a fast hash is right for a random key of that
 * length: there is nothing to guess). A key carries one role; revoking it stops it at once in this process and
 * within the cache's lifetime in others.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendAudit } from './audit.ts';
import type { Store } from './database.ts';

export interface KeyInfo {
  readonly id: string;
  readonly role: string;
  readonly label: string | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export const KEY_PREFIX = 'lsk_';

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Creates a key for a role (already validated by the caller) and returns it: the only time it is ever seen. */
export async function createKey(
  store: Store,
  options: { role: string; label?: string; actor: string; now?: Date },
): Promise<{ id: string; key: string }> {
  const id = `key_${randomBytes(6).toString('hex')}`;
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const at = (options.now ?? new Date()).toISOString();
  await store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('api_keys')
      .values({ id, key_hash: hashKey(key), role: options.role, label: options.label ?? null, created_at: at })
      .execute();
    await appendAudit(
      trx,
      {
        actor: options.actor,
        action: 'key.create',
        subject: id,
        after: { id, role: options.role, label: options.label ?? null },
      },
      store.dialect,
      () => options.now ?? new Date(),
    );
  });
  return { id, key };
}

export async function listKeys(store: Store): Promise<KeyInfo[]> {
  const rows = await store.db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    role: r.role,
    label: r.label,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  }));
}

/** Revokes a key; false when there is no such key or it was already revoked. */
export async function revokeKey(store: Store, id: string, actor: string, now?: Date): Promise<boolean> {
  const at = (now ?? new Date()).toISOString();
  return store.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.revoked_at !== null) return false;
    await trx.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).execute();
    await appendAudit(
      trx,
      {
        actor,
        action: 'key.revoke',
        subject: id,
        before: { id, role: row.role, revokedAt: null },
        after: { id, role: row.role, revokedAt: at },
      },
      store.dialect,
      () => now ?? new Date(),
    );
    return true;
  });
}

/** Looks keys up by hash, caching hits and misses briefly so that a busy server does not query for every request. */
export class KeyRing {
  private readonly cache = new Map<string, { expires: number; key: { id: string; role: string } | undefined }>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 5_000,
  ) {}

  async authenticate(key: string): Promise<{ id: string; role: string } | undefined> {
    if (!key.startsWith(KEY_PREFIX) || key.length > 200) return undefined;
    const hash = hashKey(key);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.expires > now) return hit.key;
    const row = await this.store.db
      .selectFrom('api_keys')
      .select(['id', 'role'])
      .where('key_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const found = row ? { id: row.id, role: row.role } : undefined;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { expires: now + this.ttlMs, key: found });
    return found;
  }

  forget(): void {
    this.cache.clear();
  }
}
