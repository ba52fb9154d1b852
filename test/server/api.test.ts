/**
 * The HTTP API through Fastify's injector: every role against every endpoint (allowed and denied), malformed,
 * oversized and mistyped payloads (400 naming the field, never 500), the members' views, the OpenAPI document,
 * and concurrent submissions over HTTP on SQLite and PostgreSQL.
 */

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { buildServer } from '../../src/server/app.ts';
import * as S from '../../src/server/schemas.ts';
import type { Store } from '../../src/store/database.ts';
import { createKey, revokeKey } from '../../src/store/keys.ts';
import { backends, describeBackend, freshStore, sqliteBackend } from '../store/backends.ts';

const require = createRequire(import.meta.url);
const catalog = new Catalog(loadDataset());
const NOW = new Date('2026-03-01T12:00:00.000Z');

type Method = 'GET' | 'POST';
interface Call {
  method: Method;
  url: string;
  body?: unknown;
}

async function setup(backend = sqliteBackend, now: () => Date = () => NOW) {
  const fresh = await freshStore(backend);
  const app = await buildServer({ store: fresh.store, catalog, now });
  const keys: Record<string, string> = {};
  for (const role of ['secretariat', 'member:USA', 'member:JPN', 'member:EU27', 'public']) {
    keys[role] = (await createKey(fresh.store, { role, actor: 'test' })).key;
  }
  const revoked = await createKey(fresh.store, { role: 'secretariat', actor: 'test' });
  await revokeKey(fresh.store, revoked.id, 'test');
  keys.revoked = revoked.key;
  const call = (role: string | undefined, c: Call) =>
    app.inject({
      method: c.method,
      url: c.url,
      headers: role ? { authorization: `Bearer ${keys[role] ?? role}` } : {},
      ...(c.body !== undefined ? { payload: c.body as object } : {}),
    });
  return { app, store: fresh.store, keys, call, drop: fresh.drop };
}

const entryBody = (id: string, e: Record<string, unknown> = {}) => ({
  id,
  date: '2026-03-01',
  importer: 'USA',
  origin: 'CHN',
  commodity: 'ndpr/oxide',
  quantity: '2',
  customsValueCents: 10_000_000,
  ...e,
});
const vaultBody = (id: string, t: Record<string, unknown> = {}) => ({
  id,
  kind: 'purchase',
  date: '2026-03-01',
  member: 'USA',
  commodity: 'gallium/refined',
  site: 'DLA-1',
  quantity: '10',
  ...t,
});

describe('the API', () => {
  let env: Awaited<ReturnType<typeof setup>>;
  let app: FastifyInstance;
  let store: Store;

  beforeAll(async () => {
    env = await setup();
    app = env.app;
    store = env.store;
    const r = await env.call('secretariat', {
      method: 'POST',
      url: '/v1/schedules',
      body: {
        effectiveFrom: '2026-01-01',
        reference: 'Decision 1',
        prices: [{ commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 110_000 } }],
      },
    });
    expect(r.statusCode).toBe(201);
    expect(
      (await env.call('secretariat', { method: 'POST', url: '/v1/entries', body: entryBody('USA-0') })).statusCode,
    ).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await env?.drop();
  });

  // Each row: an endpoint, a request made fresh for each role (so writes do not collide), and the status per role.
  const roles = ['secretariat', 'member:USA', 'member:JPN', 'public', 'revoked', undefined] as const;
  type Expect = Record<(typeof roles)[number] & string, number> & { none: number };
  const table: [string, (tag: string) => Call, Expect][] = [
    [
      'GET /health',
      () => ({ method: 'GET', url: '/health' }),
      { secretariat: 200, 'member:USA': 200, 'member:JPN': 200, public: 200, revoked: 200, none: 200 },
    ],
    [
      'GET /openapi.json',
      () => ({ method: 'GET', url: '/openapi.json' }),
      { secretariat: 200, 'member:USA': 200, 'member:JPN': 200, public: 200, revoked: 200, none: 200 },
    ],
    [
      'GET /v1/schedules',
      () => ({ method: 'GET', url: '/v1/schedules' }),
      { secretariat: 200, 'member:USA': 200, 'member:JPN': 200, public: 200, revoked: 401, none: 401 },
    ],
    [
      'GET /v1/schedules/current',
      () => ({ method: 'GET', url: '/v1/schedules/current?date=2026-03-01' }),
      { secretariat: 200, 'member:USA': 200, 'member:JPN': 200, public: 200, revoked: 401, none: 401 },
    ],
    [
      'POST /v1/schedules',
      (tag) => ({
        method: 'POST',
        url: '/v1/schedules',
        body: {
          effectiveFrom: '2030-01-01',
          reference: `D-${tag}`,
          prices: [{ commodity: 'gallium/refined', method: { rule: 'fixed', price: 900 } }],
        },
      }),
      { secretariat: 201, 'member:USA': 403, 'member:JPN': 403, public: 403, revoked: 401, none: 401 },
    ],
    [
      'POST /v1/entries (a USA entry)',
      (tag) => ({ method: 'POST', url: '/v1/entries', body: entryBody(`USA-${tag}`) }),
      { secretariat: 201, 'member:USA': 201, 'member:JPN': 403, public: 403, revoked: 401, none: 401 },
    ],
    [
      'POST /v1/entries?dryRun=true',
      () => ({ method: 'POST', url: '/v1/entries?dryRun=true', body: entryBody('quote') }),
      { secretariat: 200, 'member:USA': 200, 'member:JPN': 403, public: 403, revoked: 401, none: 401 },
    ],
    [
      'GET /v1/entries/:id (a USA entry)',
      () => ({ method: 'GET', url: '/v1/entries/USA-0' }),
      { secretariat: 200, 'member:USA': 200, 'member:JPN': 404, public: 403, revoked: 401, none: 401 },
    ],
    [
      'GET /v1/vault/holdings',
      () => ({ method: 'GET', url: '/v1/vault/holdings' }),
      { secretariat: 200, 'member:USA': 200, 'member:JPN': 200, public: 403, revoked: 401, none: 401 },
    ],
    [
      'POST /v1/vault/transactions (USA holdings)',
      (tag) => ({ method: 'POST', url: '/v1/vault/transactions', body: vaultBody(`V-${tag}`) }),
      { secretariat: 201, 'member:USA': 201, 'member:JPN': 403, public: 403, revoked: 401, none: 401 },
    ],
    [
      'POST /v1/releases/allocate',
      () => ({
        method: 'POST',
        url: '/v1/releases/allocate',
        body: { commodity: 'gallium/refined', quantity: '100', date: '2026-03-01' },
      }),
      { secretariat: 200, 'member:USA': 200, 'member:JPN': 200, public: 403, revoked: 401, none: 401 },
    ],
    [
      'GET /v1/audit',
      () => ({ method: 'GET', url: '/v1/audit' }),
      { secretariat: 200, 'member:USA': 403, 'member:JPN': 403, public: 403, revoked: 401, none: 401 },
    ],
  ];
  for (const [name, request, expected] of table) {
    for (const role of roles) {
      const want = expected[role ?? 'none'];
      it(`${name} as ${role ?? 'no key'} -> ${want}`, async () => {
        const r = await env.call(role, request((role ?? 'none').replace(':', '-')));
        expect(r.statusCode, r.body).toBe(want);
        if (want === 401) expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
        if (want >= 400) expect(JSON.parse(r.body)).toMatchObject({ statusCode: want, message: expect.any(String) });
      });
    }
  }

  it('an EU27 member key speaks for its member states; a malformed Authorization header is 401', async () => {
    const r = await env.call('member:EU27', {
      method: 'POST',
      url: '/v1/entries',
      body: entryBody('FRA-1', { importer: 'FRA' }),
    });
    expect(r.statusCode).toBe(201);
    expect(JSON.parse(r.body).assessment.importer).toBe('EU27');
    // The EU's stock is held by EU27: its key moves it, a member state's key does not.
    const eu = await env.call('member:EU27', {
      method: 'POST',
      url: '/v1/vault/transactions',
      body: vaultBody('EU-buy', { member: 'FRA', site: 'EU-2' }),
    });
    expect(eu.statusCode).toBe(201);
    expect(JSON.parse(eu.body).holdings[0].member).toBe('EU27');
    const fraKey = (await createKey(store, { role: 'member:FRA', actor: 'test' })).key;
    const fra = await app.inject({
      method: 'POST',
      url: '/v1/vault/transactions',
      headers: { authorization: `Bearer ${fraKey}` },
      payload: vaultBody('FRA-rel', { kind: 'release', member: 'FRA', site: 'EU-2', quantity: '1' }),
    });
    expect(fra.statusCode).toBe(403);
    const bad = await app.inject({ method: 'GET', url: '/v1/schedules', headers: { authorization: 'Basic abc' } });
    expect(bad.statusCode).toBe(401);
  });

  it('a site id with a blank at either end, or a control character, is 400 at the field; nothing is recorded', async () => {
    for (const [id, site] of [
      ['S-trail', 'S1 '],
      ['S-blank', '   '],
      ['S-nul', 'A\u0000B'],
    ] as const) {
      const r = await env.call('secretariat', {
        method: 'POST',
        url: '/v1/vault/transactions',
        body: vaultBody(id, { site }),
      });
      expect(r.statusCode).toBe(400);
      expect(JSON.parse(r.body).field).toBe('body.site');
    }
    const bad = await env.call('secretariat', {
      method: 'POST',
      url: '/v1/vault/transactions',
      body: vaultBody('S-to', { kind: 'transfer', toSite: ' X' }),
    });
    expect(JSON.parse(bad.body).field).toBe('body.toSite');
    const stored = await store.db.selectFrom('vault_transactions').select('id').where('id', 'like', 'S-%').execute();
    expect(stored).toEqual([]);
  });

  it('a fixed reference price above 1e12 USD is 400 at the price, not a message in cents', async () => {
    const r = await env.call('secretariat', {
      method: 'POST',
      url: '/v1/schedules',
      body: {
        effectiveFrom: '2026-02-01',
        reference: 'r',
        prices: [{ commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 1e14 } }],
      },
    });
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).field).toBe('body.prices.0.method.price');
  });

  it('a GET whose query names a bad date says querystring, not body', async () => {
    const r = await env.call('public', { method: 'GET', url: '/v1/schedules/current?date=1999-01-01' });
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).field).toBe('querystring.date');
  });

  it('a key of a country outside the zone in force sees no vault aggregates and gets no share of a release', async () => {
    const braKey = (await createKey(store, { role: 'member:BRA', actor: 'test' })).key;
    const as = (url: string, method: 'GET' | 'POST' = 'GET', payload?: object) =>
      app.inject({ method, url, headers: { authorization: `Bearer ${braKey}` }, ...(payload ? { payload } : {}) });
    const holdings = await as('/v1/vault/holdings');
    expect(holdings.statusCode).toBe(403);
    expect(JSON.parse(holdings.body).message).toMatch(/BRA is not a member of the zone on 2026-03-01/);
    const release = await as('/v1/releases/allocate', 'POST', { commodity: 'gallium/refined', quantity: '10' });
    expect(release.statusCode).toBe(403);
    // A member state's key is a member through its aggregate (FRA through EU27).
    const fraKey = (await createKey(store, { role: 'member:FRA', actor: 'test' })).key;
    const fra = await app.inject({
      method: 'GET',
      url: '/v1/vault/holdings',
      headers: { authorization: `Bearer ${fraKey}` },
    });
    expect(fra.statusCode).toBe(200);
  });

  it('shares a release of NdPr oxide, which no member buys as such, by the oxide in the magnets they buy', async () => {
    const r = await env.call('secretariat', {
      method: 'POST',
      url: '/v1/releases/allocate',
      body: { commodity: 'ndpr/oxide', quantity: '100' },
    });
    expect(r.statusCode, r.body).toBe(200);
    const body = JSON.parse(r.body);
    expect(body.key.basis).toMatch(/share of bloc use of ndpr\/oxide .*no member consumes it as such/);
    const total = body.shares.reduce((s: number, x: { quantity: string }) => s + Number(x.quantity), 0);
    expect(total).toBeCloseTo(100, 6);
  });

  it("a member sees its own holdings and the others' only in aggregate", async () => {
    await env.call('secretariat', {
      method: 'POST',
      url: '/v1/vault/transactions',
      body: vaultBody('J-1', { member: 'JPN', site: 'JOGMEC', quantity: '4' }),
    });
    await env.call('secretariat', {
      method: 'POST',
      url: '/v1/vault/transactions',
      body: vaultBody('E-1', { member: 'DEU', site: 'EU-1', quantity: '1.5' }),
    });
    const jpn = JSON.parse(
      (await env.call('member:JPN', { method: 'GET', url: '/v1/vault/holdings?obligationDays=60' })).body,
    );
    expect(jpn.holdings).toEqual([
      { member: 'JPN', commodity: 'gallium/refined', site: 'JOGMEC', quantity: '4', unit: 'kg Ga' },
    ]);
    expect(jpn.others).toHaveLength(1);
    expect(jpn.others[0]).toMatchObject({ commodity: 'gallium/refined', unit: 'kg Ga', members: 2 });
    expect(JSON.stringify(jpn)).not.toMatch(/DLA-1|EU-1/);
    // A commodity only one other member holds is not shown: its "aggregate" would be that member's holding.
    const ge = await env.call('secretariat', {
      method: 'POST',
      url: '/v1/vault/transactions',
      body: vaultBody('U-Ge', { member: 'USA', commodity: 'germanium/refined', site: 'DLA-2', quantity: '7' }),
    });
    expect(ge.statusCode).toBe(201);
    // Nor does Japan's compliance name it (that would say another member holds germanium).
    const named = JSON.parse(
      (await env.call('member:JPN', { method: 'GET', url: '/v1/vault/holdings?obligationDays=60' })).body,
    );
    expect(named.compliance.map((c: { commodity: string }) => c.commodity)).toEqual(['gallium/refined']);
    // A member state's key holds nothing itself (the EU's stock is EU27's): no compliance of its own, not a DEU that
    // imports nothing and so complies with any obligation.
    const deu = (await createKey(env.store, { role: 'member:DEU', actor: 'test' })).key;
    const state = JSON.parse(
      (await env.call(deu, { method: 'GET', url: '/v1/vault/holdings?obligationDays=60' })).body,
    );
    expect([state.holdings, state.compliance]).toEqual([[], []]);
    // A release's shares: a member sees what it holds beside its own share, and nobody else's holdings.
    const allocateAs = async (role: string) =>
      JSON.parse(
        (
          await env.call(role, {
            method: 'POST',
            url: '/v1/releases/allocate',
            body: { commodity: 'gallium/refined', quantity: '10' },
          })
        ).body,
      );
    const shared = await allocateAs('member:JPN');
    expect(shared.held).toBeUndefined();
    expect(shared.shares.filter((x: { held?: string }) => x.held !== undefined)).toEqual([
      expect.objectContaining({ member: 'JPN', held: '4' }),
    ]);
    expect(shared.notes).toEqual([expect.stringMatching(/^JPN holds 4 kg Ga, less than its share of 4\.9/)]);
    const seen = await allocateAs('secretariat');
    expect(seen.shares.every((x: { held?: string }) => x.held !== undefined)).toBe(true);
    expect(seen.held).toBeDefined();
    // A transfer's answer shows the sender its own holdings, not the receiver's (which would reveal its stock).
    const sent = await env.call('member:USA', {
      method: 'POST',
      url: '/v1/vault/transactions',
      body: vaultBody('U-Tr', {
        kind: 'transfer',
        commodity: 'germanium/refined',
        site: 'DLA-2',
        quantity: '1',
        toMember: 'JPN',
        toSite: 'JOGMEC',
      }),
    });
    expect(sent.statusCode, sent.body).toBe(201);
    expect(JSON.parse(sent.body).holdings).toEqual([
      { member: 'USA', commodity: 'germanium/refined', site: 'DLA-2', quantity: '6', unit: 'kg Ge' },
    ]);
    const after = JSON.parse((await env.call('member:JPN', { method: 'GET', url: '/v1/vault/holdings' })).body);
    expect(after.others.map((o: { commodity: string }) => o.commodity)).toEqual(['gallium/refined']);
    // Japan's obligation: 60 days of 27,000 kg net imports a year = 4,438.356165 kg (rounded up).
    expect(jpn.compliance).toEqual([
      expect.objectContaining({ member: 'JPN', holdings: '4', required: '4438.356165', compliant: false }),
    ]);
    const all = JSON.parse((await env.call('secretariat', { method: 'GET', url: '/v1/vault/holdings' })).body);
    expect(all.holdings.map((h: { member: string }) => h.member)).toEqual(
      expect.arrayContaining(['EU27', 'JPN', 'USA']),
    );
    expect(all.others).toBeUndefined();
  });

  it('a release beyond the holding is 409 and names the field', async () => {
    const r = await env.call('secretariat', {
      method: 'POST',
      url: '/v1/vault/transactions',
      body: vaultBody('R-big', { kind: 'release', member: 'JPN', site: 'JOGMEC', quantity: '5' }),
    });
    expect(r.statusCode).toBe(409);
    expect(JSON.parse(r.body)).toMatchObject({
      field: 'body.quantity',
      message: expect.stringMatching(/JPN holds 4 kg Ga/),
    });
  });

  it('entries: replay 200 with the stored answer, another payload 409', async () => {
    const first = await env.call('member:USA', { method: 'POST', url: '/v1/entries', body: entryBody('IDEM-1') });
    const again = await env.call('member:USA', {
      method: 'POST',
      url: '/v1/entries',
      body: { ...entryBody('IDEM-1'), quantity: 2 },
    });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    const a = JSON.parse(first.body);
    const b = JSON.parse(again.body);
    expect({ ...b, created: true }).toEqual(a);
    expect(a.assessment.amountDueCents).toBe(12_000_000);
    // The same quantity written otherwise ("2.0", "2e0") is the same request.
    for (const quantity of ['2.0', '2e0', '02']) {
      const same = await env.call('member:USA', {
        method: 'POST',
        url: '/v1/entries',
        body: entryBody('IDEM-1', { quantity }),
      });
      expect(same.statusCode, quantity).toBe(200);
    }
    const conflict = await env.call('member:USA', {
      method: 'POST',
      url: '/v1/entries',
      body: entryBody('IDEM-1', { quantity: '2.5' }),
    });
    expect(conflict.statusCode).toBe(409);
    expect(JSON.parse(conflict.body).field).toBe('body.id');
  });

  const bad: [string, Call, number, string][] = [
    [
      'missing id',
      { method: 'POST', url: '/v1/entries', body: (({ id: _, ...rest }) => rest)(entryBody('x')) },
      400,
      'body.id',
    ],
    [
      'quantity as a boolean',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { quantity: true }) },
      400,
      'body.quantity',
    ],
    [
      'quantity not a number',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { quantity: '12,5' }) },
      400,
      'body.quantity',
    ],
    [
      'negative quantity',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { quantity: '-2' }) },
      400,
      'body.quantity',
    ],
    [
      'absurd quantity',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { quantity: 1e300 }) },
      400,
      'body.quantity',
    ],
    [
      'cents as a fraction',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { customsValueCents: 1.5 }) },
      400,
      'body.customsValueCents',
    ],
    [
      'cents as a string',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { customsValueCents: '100' }) },
      400,
      'body.customsValueCents',
    ],
    [
      'impossible date',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { date: '2026-02-30' }) },
      400,
      'body.date',
    ],
    [
      'lower-case region',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { importer: 'usa' }) },
      400,
      'body.importer',
    ],
    [
      'unknown origin',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { origin: 'XYZ' }) },
      400,
      'body.origin',
    ],
    [
      'non-member importer',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { importer: 'KOR' }) },
      400,
      'body.importer',
    ],
    [
      'unknown commodity',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { commodity: 'mithril/ore' }) },
      400,
      'body.commodity',
    ],
    [
      'unit that does not convert',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { unit: 'kg Cu' }) },
      400,
      'body.unit',
    ],
    [
      'unknown tariff line',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { hsCode: '9999.99' }) },
      400,
      'body.hsCode',
    ],
    [
      'content quantity',
      {
        method: 'POST',
        url: '/v1/entries',
        body: entryBody('x', { commodity: 'ndfeb/magnet', content: { commodity: 'ndpr/oxide', quantity: 'lots' } }),
      },
      400,
      'body.content.quantity',
    ],
    [
      'unknown field',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { discount: 5 }) },
      400,
      'body.discount',
    ],
    ['id with spaces', { method: 'POST', url: '/v1/entries', body: entryBody('a b') }, 400, 'body.id'],
    ['id too long', { method: 'POST', url: '/v1/entries', body: entryBody('x'.repeat(129)) }, 400, 'body.id'],
    [
      'oversized string',
      { method: 'POST', url: '/v1/entries', body: entryBody('x', { hsCode: '1'.repeat(5000) }) },
      400,
      'body.hsCode',
    ],
    ['an array for a body', { method: 'POST', url: '/v1/entries', body: [1, 2] }, 400, 'body'],
    [
      'schedule rule unknown',
      {
        method: 'POST',
        url: '/v1/schedules',
        body: {
          effectiveFrom: '2026-01-01',
          reference: 'r',
          prices: [{ commodity: 'ndpr/oxide', method: { rule: 'guess' } }],
        },
      },
      400,
      'body.prices.0.method.rule',
    ],
    [
      "cost-plus margin below zero (a floor under producers' own mean cost)",
      {
        method: 'POST',
        url: '/v1/schedules',
        body: {
          effectiveFrom: '2026-01-01',
          reference: 'r',
          prices: [{ commodity: 'cobalt/refined', method: { rule: 'cost-plus', margin: -0.9 } }],
        },
      },
      400,
      'body.prices.0.method.margin',
    ],
    [
      'schedule target above 1',
      {
        method: 'POST',
        url: '/v1/schedules',
        body: {
          effectiveFrom: '2026-01-01',
          reference: 'r',
          prices: [{ commodity: 'ndpr/oxide', method: { rule: 'incentive-marginal', target: 2 } }],
        },
      },
      400,
      'body.prices.0.method.target',
    ],
    [
      'schedule for a commodity nobody makes in the bloc',
      {
        method: 'POST',
        url: '/v1/schedules',
        body: {
          effectiveFrom: '2026-01-01',
          reference: 'r',
          prices: [{ commodity: 'germanium/refined', method: { rule: 'cost-plus', margin: 0.1 } }],
        },
      },
      400,
      'body.prices.0',
    ],
    [
      'schedule member unknown',
      {
        method: 'POST',
        url: '/v1/schedules',
        body: { effectiveFrom: '2026-01-01', reference: 'r', members: ['USA', 'QQQ'], prices: [] },
      },
      400,
      'body.members.1',
    ],
    [
      'vault kind unknown',
      { method: 'POST', url: '/v1/vault/transactions', body: vaultBody('x', { kind: 'steal' }) },
      400,
      'body.kind',
    ],
    [
      'vault quantity with seven decimals',
      { method: 'POST', url: '/v1/vault/transactions', body: vaultBody('x', { quantity: '1.0000001' }) },
      400,
      'body.quantity',
    ],
    [
      'vault non-member holder',
      { method: 'POST', url: '/v1/vault/transactions', body: vaultBody('x', { member: 'CHN' }) },
      400,
      'body.member',
    ],
    [
      'allocation negative weight',
      {
        method: 'POST',
        url: '/v1/releases/allocate',
        body: { commodity: 'gallium/refined', quantity: '1', key: { USA: -1 } },
      },
      400,
      'body.key.USA',
    ],
    [
      'allocation zero',
      { method: 'POST', url: '/v1/releases/allocate', body: { commodity: 'gallium/refined', quantity: '0' } },
      400,
      'body.quantity',
    ],
    ['query: bad date', { method: 'GET', url: '/v1/schedules/current?date=tomorrow' }, 400, 'querystring.date'],
    ['query: limit 0', { method: 'GET', url: '/v1/audit?limit=0' }, 400, 'querystring.limit'],
    // Numbers in a query string are plain digits: Number() read '0x10' as 16 and an empty 'after=' as 0.
    [
      'query: a hexadecimal number',
      { method: 'GET', url: '/v1/vault/holdings?obligationDays=0x10' },
      400,
      'querystring.obligationDays',
    ],
    ['query: an empty number', { method: 'GET', url: '/v1/audit?after=' }, 400, 'querystring.after'],
    ['query: an exponent', { method: 'GET', url: '/v1/audit?limit=1e2' }, 400, 'querystring.limit'],
    ['query: unknown parameter', { method: 'GET', url: '/v1/vault/holdings?member=USA' }, 400, 'querystring.member'],
    [
      'query: a filter schedules do not take',
      { method: 'GET', url: '/v1/schedules?date=2026-03-01' },
      400,
      'querystring.date',
    ],
    [
      'query: a parameter an entry does not take',
      { method: 'GET', url: '/v1/entries/E-1?member=USA' },
      400,
      'querystring.member',
    ],
    [
      'query: unknown commodity',
      { method: 'GET', url: '/v1/vault/holdings?commodity=foo/bar' },
      400,
      'querystring.commodity',
    ],
    ['path: bad id', { method: 'GET', url: '/v1/entries/%20x' }, 400, 'params.id'],
    ['path: bad percent-encoding', { method: 'GET', url: '/v1/entries/%ZZ' }, 400, 'params'],
    [
      'path: an id longer than the router reads',
      { method: 'GET', url: `/v1/entries/${'x'.repeat(300)}` },
      400,
      'params',
    ],
  ];
  for (const [name, request, status, field] of bad) {
    it(`bad input: ${name} -> ${status} ${field}`, async () => {
      const r = await env.call('secretariat', request);
      expect(r.statusCode, r.body).toBe(status);
      const body = JSON.parse(r.body);
      expect(body.field).toBe(field);
      expect(body.message.startsWith(field)).toBe(true);
    });
  }

  it('malformed JSON, a body over the limit and a non-JSON body are 400 naming the body', async () => {
    const h = { authorization: `Bearer ${env.keys.secretariat}`, 'content-type': 'application/json' };
    const syntax = await app.inject({ method: 'POST', url: '/v1/entries', headers: h, payload: '{"id": "x",' });
    expect(syntax.statusCode).toBe(400);
    expect(JSON.parse(syntax.body).field).toBe('body');
    const empty = await app.inject({ method: 'POST', url: '/v1/entries', headers: h, payload: '' });
    expect(empty.statusCode).toBe(400);
    const huge = await app.inject({
      method: 'POST',
      url: '/v1/entries',
      headers: h,
      payload: JSON.stringify({ ...entryBody('x'), note: 'x'.repeat(70_000) }),
    });
    expect(huge.statusCode).toBe(400);
    expect(JSON.parse(huge.body)).toMatchObject({
      field: 'body',
      message: expect.stringMatching(/larger than 65536 bytes/),
    });
    const text = await app.inject({
      method: 'POST',
      url: '/v1/entries',
      headers: { ...h, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(400);
    expect(JSON.parse(text.body)).toMatchObject({ field: 'body', message: expect.stringMatching(/send JSON/) });
    const none = await app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(none.statusCode).toBe(404);
  });

  it('a key given twice, or a __proto__ key, is 400 naming the key by its path; nothing is recorded', async () => {
    const h = { authorization: `Bearer ${env.keys.secretariat}`, 'content-type': 'application/json' };
    const send = (url: string, payload: string) => app.inject({ method: 'POST', url, headers: h, payload });
    // The entry's fields, written out by hand so that a key may come twice.
    const fields = `"date":"2026-03-01","importer":"USA","origin":"CHN","customsValueCents":10000000`;
    const refused: [string, string, string, RegExp][] = [
      [
        '/v1/entries',
        `{"id":"DUP-1",${fields},"commodity":"ndpr/oxide","quantity":"2","quantity":"200"}`,
        'body.quantity',
        /given twice/,
      ],
      [
        '/v1/entries',
        `{"id":"DUP-2",${fields},"commodity":"ndfeb/magnet","quantity":"2","content":{"commodity":"ndpr/oxide","quantity":"0.3","qu\u0061ntity":"0.1"}}`,
        'body.content.quantity',
        /given twice/,
      ],
      [
        '/v1/schedules',
        '{"effectiveFrom":"2031-01-01","reference":"R","prices":[{"commodity":"ndpr/oxide","commodity":"cobalt/refined","method":{"rule":"fixed","price":1}}]}',
        'body.prices.0.commodity',
        /given twice/,
      ],
      ['/v1/entries', `{"id":"DUP-3",${fields},"__proto__":{"admin":true}}`, 'body.__proto__', /prototype/],
      [
        '/v1/entries',
        `{"id":"DUP-4","constructor":{"prototype":{"admin":true}}}`,
        'body.constructor.prototype',
        /prototype/,
      ],
    ];
    for (const [url, payload, field, message] of refused) {
      const r = await send(url, payload);
      expect(r.statusCode, payload).toBe(400);
      const body = JSON.parse(r.body);
      expect(body.field, payload).toBe(field);
      expect(body.message.startsWith(`${field}: `), body.message).toBe(true);
      expect(body.message).toMatch(message);
    }
    const recorded = await store.db.selectFrom('entries').select('id').where('id', 'like', 'DUP-%').execute();
    expect(recorded).toEqual([]);
    // The same key in two objects, and a key's name inside a string (quotes and backslashes escaped), are no duplicates.
    const fine = await send(
      '/v1/entries',
      `{"id":"DUP-OK",${fields},"commodity":"ndfeb/magnet","quantity":"2","content":{"commodity":"ndpr/oxide","quantity":"0.3"}}`,
    );
    expect(fine.statusCode, fine.body).toBe(201);
    const noted = await send(
      '/v1/vault/transactions',
      '{"id":"DUP-OK","kind":"purchase","date":"2026-03-01","member":"USA","commodity":"gallium/refined","site":"DLA-9","quantity":"1","note":"q\\",\\"quantity\\\\","valueCents":1}',
    );
    expect(noted.statusCode, noted.body).toBe(201);
    expect(JSON.parse(noted.body).transaction.request.note).toBe('q","quantity\\');
    // A byte-order mark before the JSON is read past, as before.
    const marked = await send('/v1/releases/allocate', '\uFEFF{"commodity":"gallium/refined","quantity":"1"}');
    expect(marked.statusCode, marked.body).toBe(200);
  });

  it('property: no payload makes any endpoint answer 500', async () => {
    const posts = [
      '/v1/entries',
      '/v1/entries?dryRun=true',
      '/v1/schedules',
      '/v1/vault/transactions',
      '/v1/releases/allocate',
    ];
    const fields = fc.record(
      {
        id: fc.oneof(fc.string(), fc.constant('P-1')),
        date: fc.oneof(fc.constant('2026-03-01'), fc.string()),
        importer: fc.constantFrom('USA', 'CHN', 'EU27', 'X'),
        origin: fc.constantFrom('CHN', 'MEX', 'ZZZ'),
        commodity: fc.constantFrom('ndpr/oxide', 'gallium/refined', 'ndfeb/magnet', 'a/b'),
        quantity: fc.oneof(fc.double(), fc.string(), fc.constant('1e400'), fc.constant('0.5')),
        customsValueCents: fc.oneof(fc.integer(), fc.double(), fc.constant(9_007_199_254_740_991)),
        kind: fc.constantFrom('purchase', 'release', 'transfer', 'x'),
        member: fc.constantFrom('USA', 'JPN', 'DEU'),
        site: fc.string(),
        key: fc.dictionary(fc.constantFrom('USA', 'JPN', 'EU27'), fc.double()),
        effectiveFrom: fc.constant('2031-01-01'),
        reference: fc.string(),
        prices: fc.array(
          fc.record({ commodity: fc.constantFrom('ndpr/oxide', 'cobalt/refined'), method: fc.anything() }),
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...posts), fc.oneof(fields, fc.jsonValue()), async (url, body) => {
        const r = await env.call('secretariat', {
          method: 'POST',
          url,
          body: body === null || typeof body !== 'object' ? { value: body } : body,
        });
        expect(r.statusCode, `${url} ${JSON.stringify(body)} -> ${r.body}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });

  it('every answer matches the schema the OpenAPI document gives for it', async () => {
    const get = async (role: string, url: string) => JSON.parse((await env.call(role, { method: 'GET', url })).body);
    const post = async (role: string, url: string, body: unknown) =>
      JSON.parse((await env.call(role, { method: 'POST', url, body })).body);
    S.InForce.parse(await get('public', '/v1/schedules/current?date=2026-03-01'));
    z.object({ schedules: z.array(S.Schedule) }).parse(await get('public', '/v1/schedules'));
    S.Schedule.parse(
      await post('secretariat', '/v1/schedules', {
        effectiveFrom: '2032-01-01',
        reference: 'shape',
        prices: [
          {
            commodity: 'ndpr/oxide',
            method: { rule: 'incentive-marginal', target: 0.3 },
            adjustment: { maxChange: 0.2 },
          },
        ],
      }),
    );
    const created = S.StoredEntry.extend({ created: z.literal(true) }).parse(
      await post(
        'member:USA',
        '/v1/entries',
        entryBody('SHAPE-1', { commodity: 'ndfeb/magnet', content: { commodity: 'ndpr/oxide', quantity: '0.3' } }),
      ),
    );
    expect(created.assessment.lines.length).toBeGreaterThan(0);
    S.StoredEntry.extend({ created: z.literal(false) }).parse(
      await post(
        'member:USA',
        '/v1/entries',
        entryBody('SHAPE-1', { commodity: 'ndfeb/magnet', content: { commodity: 'ndpr/oxide', quantity: '0.3' } }),
      ),
    );
    z.object({ dryRun: z.literal(true), assessment: S.DutyAssessment }).parse(
      await post('member:USA', '/v1/entries?dryRun=true', entryBody('q')),
    );
    S.StoredEntry.parse(await get('member:USA', '/v1/entries/SHAPE-1'));
    S.VaultTransactionResponse.parse(
      await post('member:USA', '/v1/vault/transactions', vaultBody('SHAPE-V', { valueCents: 5 })),
    );
    S.HoldingsResponse.parse(await get('member:USA', '/v1/vault/holdings?obligationDays=90'));
    S.HoldingsResponse.parse(
      await get('secretariat', '/v1/vault/holdings?commodity=gallium/refined&obligationDays=90'),
    );
    S.Allocation.parse(
      await post('member:JPN', '/v1/releases/allocate', { commodity: 'gallium/refined', quantity: '3' }),
    );
    S.AuditResponse.parse(await get('secretariat', '/v1/audit?limit=5'));
    S.ErrorResponse.parse(await post('member:USA', '/v1/entries', entryBody('bad', { quantity: 'x' })));
  });

  it('publishes an OpenAPI 3.1 document generated from the schemas', async () => {
    const doc = JSON.parse((await app.inject({ method: 'GET', url: '/openapi.json' })).body);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/health',
      '/v1/audit',
      '/v1/entries',
      '/v1/entries/{id}',
      '/v1/releases/allocate',
      '/v1/schedules',
      '/v1/schedules/current',
      '/v1/vault/holdings',
      '/v1/vault/transactions',
    ]);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['EntryRequest', 'DutyAssessment', 'Schedule', 'Error']),
    );
    const entry = doc.components.schemas.EntryRequest;
    expect(entry.required).toEqual(
      expect.arrayContaining(['id', 'date', 'importer', 'origin', 'commodity', 'quantity', 'customsValueCents']),
    );
    expect(entry.additionalProperties).toBe(false);
    expect(doc.paths['/v1/entries'].post.responses).toHaveProperty('409');
    // Every write that can conflict says so: entries and vault postings (ids, holdings), schedules (dates, stock).
    expect(doc.paths['/v1/schedules'].post.responses).toHaveProperty('409');
    expect(doc.paths['/v1/vault/transactions'].post.responses).toHaveProperty('409');
    // An entry's id is its importer's own: the read takes the importer, and an id naming several is 409.
    const read = doc.paths['/v1/entries/{id}'].get;
    expect(read.responses).toHaveProperty('409');
    expect(read.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'importer', in: 'query', required: false })]),
    );
    expect(doc.components.securitySchemes.bearer.scheme).toBe('bearer');
    // One schema a type, under its own name, each one an operation reaches: the type provider's copies as read
    // ('EntryRequestInput', what requests referred to) and as written ('EntryRequest', referred to by none) were both
    // there, eleven of them unused.
    const names = Object.keys(doc.components.schemas);
    expect(names.filter((n) => n.endsWith('Input'))).toEqual([]);
    expect(doc.paths['/v1/entries'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/EntryRequest',
    );
    const text = JSON.stringify(doc);
    const refs = new Set([...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]));
    expect(names.filter((n) => !refs.has(n))).toEqual([]);
    for (const r of refs) expect(names, `${r} is referred to`).toContain(r);
  });

  it('every write left exactly one audit record naming the key and its role', async () => {
    const audit = JSON.parse(
      (await env.call('secretariat', { method: 'GET', url: '/v1/audit?limit=1000' })).body,
    ).records;
    const entries = await store.db.selectFrom('entries').select(['id', 'importer']).execute();
    const logged = audit.filter((a: { action: string }) => a.action === 'entry.submit');
    expect(logged.map((a: { subject: string }) => a.subject).sort()).toEqual(
      entries.map((e) => `entry:${e.id}@${e.importer}`).sort(),
    );
    expect(logged.find((a: { subject: string }) => a.subject === 'entry:IDEM-1@USA').actor).toMatch(
      /^key_[0-9a-f]{12} \(member:USA\)$/,
    );
  });
});

for (const run of await backends()) {
  const { backend } = run;
  describeBackend(run, 'concurrent submissions over HTTP', () => {
    let env: Awaited<ReturnType<typeof setup>>;
    beforeAll(async () => {
      env = await setup(backend);
    });
    afterAll(async () => {
      await env?.app.close();
      await env?.drop();
    });

    it('the same entry from many clients is recorded once; different entries all once', async () => {
      const same = await Promise.all(
        Array.from({ length: 30 }, () =>
          env.call('member:USA', { method: 'POST', url: '/v1/entries', body: entryBody('SAME') }),
        ),
      );
      expect(same.map((r) => r.statusCode).sort((a, b) => a - b)).toEqual([...Array(29).fill(200), 201]);
      expect(new Set(same.map((r) => JSON.parse(r.body).createdAt)).size).toBe(1);
      const ids = Array.from({ length: 100 }, (_, i) => `DIFF-${i}`);
      const many = await Promise.all(
        ids.map((id) => env.call('member:USA', { method: 'POST', url: '/v1/entries', body: entryBody(id) })),
      );
      expect(many.every((r) => r.statusCode === 201)).toBe(true);
      const stored = await env.store.db.selectFrom('entries').select('id').where('id', 'like', 'DIFF-%').execute();
      expect(stored).toHaveLength(100);
      // and each one reads back
      const back = await Promise.all(
        ids.map((id) => env.call('member:USA', { method: 'GET', url: `/v1/entries/${id}` })),
      );
      expect(back.every((r) => r.statusCode === 200)).toBe(true);
    });
  });
}

for (const run of await backends()) {
  const { backend } = run;
  describeBackend(run, "idempotent records, each member's own", () => {
    let env: Awaited<ReturnType<typeof setup>>;
    beforeAll(async () => {
      env = await setup(backend);
      const r = await env.call('secretariat', {
        method: 'POST',
        url: '/v1/schedules',
        body: {
          effectiveFrom: '2026-01-01',
          reference: 'Decision 1',
          prices: [{ commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 110_000 } }],
        },
      });
      expect(r.statusCode).toBe(201);
    });
    afterAll(async () => {
      await env?.app.close();
      await env?.drop();
    });
    const post = (role: string, url: string, body: unknown) => env.call(role, { method: 'POST', url, body });
    const get = (role: string, url: string) => env.call(role, { method: 'GET', url });

    it("the same id from two members is two records: neither learns of the other's", async () => {
      const usaEntry = entryBody('SHARED-1');
      const jpnEntry = entryBody('SHARED-1', { importer: 'JPN', quantity: '3' });
      expect((await post('member:USA', '/v1/entries', usaEntry)).statusCode).toBe(201);
      // Before, 409 "entry SHARED-1 was recorded with another payload": Japan learnt that the USA had used the id.
      const jpn = await post('member:JPN', '/v1/entries', jpnEntry);
      expect(jpn.statusCode, jpn.body).toBe(201);
      // Each replay is its own, and each member reads its own entry under the id.
      const usaAgain = await post('member:USA', '/v1/entries', usaEntry);
      const jpnAgain = await post('member:JPN', '/v1/entries', jpnEntry);
      expect([usaAgain.statusCode, jpnAgain.statusCode]).toEqual([200, 200]);
      expect(JSON.parse(jpnAgain.body).entry).toMatchObject({ importer: 'JPN', quantity: '3' });
      expect(JSON.parse((await get('member:USA', '/v1/entries/SHARED-1')).body).entry.importer).toBe('USA');
      expect(JSON.parse((await get('member:JPN', '/v1/entries/SHARED-1')).body).entry.importer).toBe('JPN');
      // Another payload under one's own id is still 409, naming only one's own entry.
      const conflict = await post('member:JPN', '/v1/entries', { ...jpnEntry, quantity: '4' });
      expect(conflict.statusCode).toBe(409);
      expect(JSON.parse(conflict.body).message).toBe(
        'body.id: entry SHARED-1 of JPN was recorded with another payload',
      );
      // The secretariat reads both: the id alone names two entries (409 naming them), the importer picks one.
      const both = await get('secretariat', '/v1/entries/SHARED-1');
      expect(both.statusCode).toBe(409);
      expect(JSON.parse(both.body)).toMatchObject({
        field: 'querystring.importer',
        message: expect.stringMatching(/recorded by JPN, USA: name one/),
      });
      const picked = await get('secretariat', '/v1/entries/SHARED-1?importer=JPN');
      expect(JSON.parse(picked.body).entry).toMatchObject({ importer: 'JPN', quantity: '3' });
      expect((await get('member:USA', '/v1/entries/SHARED-1?importer=JPN')).statusCode).toBe(404);

      // The vault likewise: the same posting id from two holders is two postings, each replayed with its own answer.
      const usaBuy = vaultBody('V-SHARED', { quantity: '5', valueCents: 1 });
      const jpnBuy = vaultBody('V-SHARED', { member: 'JPN', site: 'JOGMEC', quantity: '7', valueCents: 1 });
      expect((await post('member:USA', '/v1/vault/transactions', usaBuy)).statusCode).toBe(201);
      const jpnPosted = await post('member:JPN', '/v1/vault/transactions', jpnBuy);
      expect(jpnPosted.statusCode, jpnPosted.body).toBe(201);
      const usaReplay = await post('member:USA', '/v1/vault/transactions', usaBuy);
      const jpnReplay = await post('member:JPN', '/v1/vault/transactions', jpnBuy);
      expect([usaReplay.statusCode, jpnReplay.statusCode]).toEqual([200, 200]);
      expect(JSON.parse(usaReplay.body).holdings).toEqual([
        { member: 'USA', commodity: 'gallium/refined', site: 'DLA-1', quantity: '5', unit: 'kg Ga' },
      ]);
      expect(JSON.parse(jpnReplay.body).holdings).toEqual([
        { member: 'JPN', commodity: 'gallium/refined', site: 'JOGMEC', quantity: '7', unit: 'kg Ga' },
      ]);
      const audit = JSON.parse((await get('secretariat', '/v1/audit?limit=1000')).body).records as {
        subject: string;
      }[];
      expect(audit.map((a) => a.subject).filter((x) => x.includes('SHARED'))).toEqual([
        'entry:SHARED-1@USA',
        'entry:SHARED-1@JPN',
        'vault:V-SHARED@USA',
        'vault:V-SHARED@JPN',
      ]);
    });

    it('a replay that spells out a default unit, or spaces a unit otherwise, is the same request', async () => {
      const magnets = { commodity: 'ndfeb/magnet', content: { commodity: 'ndpr/oxide', quantity: '0.3' } };
      const first = await post('member:USA', '/v1/entries', entryBody('UNIT-1', magnets));
      expect(first.statusCode, first.body).toBe(201);
      const said = [
        { ...magnets, unit: 't NdFeB' },
        { ...magnets, unit: ' t  NdFeB ', content: { ...magnets.content, unit: 't NdPr-oxide' } },
        { ...magnets, content: { ...magnets.content, unit: 't\tNdPr-oxide' } },
      ];
      for (const payload of said) {
        // Before: 409, "entry UNIT-1 was recorded with another payload".
        const again = await post('member:USA', '/v1/entries', entryBody('UNIT-1', payload));
        expect(again.statusCode, JSON.stringify(payload)).toBe(200);
        expect(JSON.parse(again.body).createdAt).toBe(JSON.parse(first.body).createdAt);
      }
      // And the other way round: recorded with the unit spelt out, replayed without it.
      const spelt = await post('member:USA', '/v1/entries', entryBody('UNIT-2', { unit: 't NdPr-oxide' }));
      expect(spelt.statusCode).toBe(201);
      expect((await post('member:USA', '/v1/entries', entryBody('UNIT-2'))).statusCode).toBe(200);
      // Another unit is another request, though it weighs the same.
      const other = await post(
        'member:USA',
        '/v1/entries',
        entryBody('UNIT-2', { unit: 'kg NdPr-oxide', quantity: '2000' }),
      );
      expect(other.statusCode).toBe(409);
    });

    it('a vault replay that spells out a default destination, or names the EU as a member state, is the same request', async () => {
      const bought = vaultBody('NORM-BUY', { quantity: '4', valueCents: 1 });
      expect((await post('member:USA', '/v1/vault/transactions', bought)).statusCode).toBe(201);
      const moved = vaultBody('NORM-MOVE', { kind: 'transfer', quantity: '1', toSite: 'DLA-7' });
      const first = await post('member:USA', '/v1/vault/transactions', moved);
      expect(first.statusCode, first.body).toBe(201);
      // Before: 409, "transaction NORM-MOVE was recorded with another payload".
      const spelt = await post('member:USA', '/v1/vault/transactions', { ...moved, toMember: 'USA' });
      expect(spelt.statusCode, spelt.body).toBe(200);
      expect(JSON.parse(spelt.body).holdings).toEqual(JSON.parse(first.body).holdings);
      const eu = vaultBody('NORM-EU', { member: 'DEU', site: 'EU-1', quantity: '2', valueCents: 1 });
      expect((await post('member:EU27', '/v1/vault/transactions', eu)).statusCode).toBe(201);
      const asEu = await post('member:EU27', '/v1/vault/transactions', { ...eu, member: 'EU27' });
      expect(asEu.statusCode, asEu.body).toBe(200);
      // Another destination is another request.
      const elsewhere = await post('member:USA', '/v1/vault/transactions', { ...moved, toSite: 'DLA-8' });
      expect(elsewhere.statusCode).toBe(409);
    });

    it("a transfer refused for its date names none of the receiver's postings", async () => {
      const jpn = await post(
        'member:JPN',
        '/v1/vault/transactions',
        vaultBody('J-SECRET', { member: 'JPN', commodity: 'germanium/refined', site: 'JOGMEC', valueCents: 1 }),
      );
      expect(jpn.statusCode).toBe(201);
      const usa = await post(
        'member:USA',
        '/v1/vault/transactions',
        vaultBody('U-GE', { commodity: 'germanium/refined', date: '2026-02-01', valueCents: 1 }),
      );
      expect(usa.statusCode).toBe(201);
      const transfer = vaultBody('U-TR-EARLY', {
        kind: 'transfer',
        commodity: 'germanium/refined',
        date: '2026-02-15',
        quantity: '1',
        toMember: 'JPN',
        toSite: 'JOGMEC',
      });
      const refused = await post('member:USA', '/v1/vault/transactions', transfer);
      expect(refused.statusCode).toBe(409);
      const body = JSON.parse(refused.body);
      expect(body.field).toBe('body.date');
      // Before: "JPN's germanium/refined at JOGMEC has a posting dated 2026-03-01 (J-SECRET)".
      expect(body.message).not.toMatch(/J-SECRET|2026-03-01/);
      expect(body.message).toMatch(/JOGMEC, where this transfer goes, has a posting dated after 2026-02-15/);
      // The secretariat, which sees every ledger, is told which posting and when.
      const told = await post('secretariat', '/v1/vault/transactions', transfer);
      expect(JSON.parse(told.body).message).toMatch(/posting dated 2026-03-01 \(J-SECRET\)/);
      // On its own holding a member is told the date, but not the id of a transfer another member sent into it.
      const sent = await post('member:USA', '/v1/vault/transactions', {
        ...transfer,
        id: 'U-TR-LATE',
        date: '2026-03-02',
      });
      expect(sent.statusCode, sent.body).toBe(201);
      const own = await post(
        'member:JPN',
        '/v1/vault/transactions',
        vaultBody('J-EARLY', {
          kind: 'release',
          member: 'JPN',
          commodity: 'germanium/refined',
          site: 'JOGMEC',
          date: '2026-02-20',
          quantity: '1',
          valueCents: 1,
        }),
      );
      expect(own.statusCode).toBe(409);
      expect(JSON.parse(own.body).message).toBe(
        "body.date: JPN's germanium/refined at JOGMEC has a posting dated 2026-03-02 (a transfer in from USA): the ledger is kept in date order, so post this one dated on or after 2026-03-02",
      );
    });
  });

  describeBackend(run, 'the audit log under concurrent writes', () => {
    it("records' times never go back as their sequence numbers go up", async () => {
      // The wall clock, a millisecond on at least each reading: a time taken before waiting for the log's lock is
      // earlier than that of a writer that got the lock first.
      let last = 0;
      const env = await setup(backend, () => {
        last = Math.max(Date.now(), last + 1);
        return new Date(last);
      });
      let other: Worker | undefined;
      try {
        const publish = (effectiveFrom: string) =>
          env.call('secretariat', {
            method: 'POST',
            url: '/v1/schedules',
            body: {
              effectiveFrom,
              reference: `D-${effectiveFrom}`,
              prices: [{ commodity: 'ndpr/oxide', method: { rule: 'fixed', price: 110_000 } }],
            },
          });
        expect((await publish('2026-01-01')).statusCode).toBe(201);
        if (backend.name === 'sqlite') {
          // SQLite has one writer: here a second server on the same file holds the write lock while the requests come,
          // and logs a record of its own when it lets go.
          const file = env.store.description.slice('sqlite:'.length);
          other = new Worker(
            `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
             const { parentPort } = require('node:worker_threads');
             const db = new Database(${JSON.stringify(file)});
             db.pragma('busy_timeout = 5000');
             db.exec('BEGIN IMMEDIATE');
             parentPort.postMessage('locked');
             Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
             db.prepare("INSERT INTO audit_log (at, actor, action, subject) VALUES (?, 'other server', 'test', 'other')")
               .run(new Date().toISOString());
             db.exec('COMMIT');`,
            { eval: true },
          );
          const worker = other;
          await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
        }
        const writes = await Promise.all([
          publish('2027-01-01'),
          ...Array.from({ length: 40 }, (_, i) => [
            env.call('member:USA', { method: 'POST', url: '/v1/entries', body: entryBody(`AT-${i}`) }),
            env.call('member:USA', {
              method: 'POST',
              url: '/v1/vault/transactions',
              body: vaultBody(`AT-V-${i}`, { site: `S-${i % 3}`, valueCents: 1 }),
            }),
          ]).flat(),
        ]);
        expect(writes.filter((r) => r.statusCode !== 201).map((r) => r.body)).toEqual([]);
        const { records } = JSON.parse(
          (await env.call('secretariat', { method: 'GET', url: '/v1/audit?limit=1000' })).body,
        ) as { records: { seq: number; at: string; action: string }[] };
        expect(records.length).toBeGreaterThan(82);
        const outOfOrder = records
          .filter((r, i) => i > 0 && r.at < (records[i - 1] as { at: string }).at)
          .map((r) => `${r.seq} ${r.action} ${r.at}`);
        expect(outOfOrder).toEqual([]);
      } finally {
        await other?.terminate();
        await env.app.close();
        await env.drop();
      }
    });
  });
}

describe('numbers computed from the data, as shown', () => {
  it('carry no noise of binary arithmetic: key weights and days of cover to 15 significant digits', async () => {
    const env = await setup();
    try {
      // The oxide in the magnets the EU buys sums to 6800 t in the data; in binary, to 6800.000000000001.
      const shared = await env.call('secretariat', {
        method: 'POST',
        url: '/v1/releases/allocate',
        body: { commodity: 'ndpr/oxide', quantity: '100' },
      });
      const weights = JSON.parse(shared.body).key.weights as Record<string, number>;
      expect(weights.EU27).toBe(6800);
      for (const w of Object.values(weights)) expect(w).toBe(Number(w.toPrecision(15)));
      // A key given for member states adds up as written: 0.1 + 0.2 for the EU is 0.3.
      const given = await env.call('secretariat', {
        method: 'POST',
        url: '/v1/releases/allocate',
        body: { commodity: 'gallium/refined', quantity: '10', key: { DEU: 0.1, FRA: 0.2, USA: 0.7 } },
      });
      expect(JSON.parse(given.body).key.weights).toEqual({ EU27: 0.3, USA: 0.7 });
      expect(JSON.parse(given.body).shares.map((s: { quantity: string }) => s.quantity)).toEqual(['3', '7']);
      // 243 kg of gallium against Japan's 27,000 kg a year of net imports is 3.285 days, not 3.2849999999999997.
      const bought = await env.call('member:JPN', {
        method: 'POST',
        url: '/v1/vault/transactions',
        body: vaultBody('J-243', { member: 'JPN', site: 'JOGMEC', quantity: '243', valueCents: 1 }),
      });
      expect(bought.statusCode).toBe(201);
      const held = await env.call('member:JPN', { method: 'GET', url: '/v1/vault/holdings?obligationDays=60' });
      expect(JSON.parse(held.body).compliance).toEqual([
        expect.objectContaining({ member: 'JPN', netImportsPerYear: 27_000, daysOfCover: 3.285 }),
      ]);
    } finally {
      await env.app.close();
      await env.drop();
    }
  });
});

describe('a release shared on a date', () => {
  it('goes to the members of that date: one that has joined by then, not one that has left', async () => {
    const env = await setup();
    try {
      const published = await env.call('secretariat', {
        method: 'POST',
        url: '/v1/schedules',
        body: {
          effectiveFrom: '2026-06-01',
          reference: 'KOR in, MEX out',
          members: ['USA', 'EU27', 'JPN', 'KOR'],
          prices: [],
        },
      });
      expect(published.statusCode, published.body).toBe(201);
      for (const role of ['member:KOR', 'member:MEX'])
        env.keys[role] = (await createKey(env.store, { role, actor: 'test' })).key;
      const allocate = (role: string, date?: string) =>
        env.call(role, {
          method: 'POST',
          url: '/v1/releases/allocate',
          body: { commodity: 'gallium/refined', quantity: '10', ...(date ? { date } : {}) },
        });
      const later = await allocate('member:KOR', '2026-07-01');
      expect(later.statusCode, later.body).toBe(200);
      expect(JSON.parse(later.body).shares.map((s: { member: string }) => s.member)).toContain('KOR');
      const gone = await allocate('member:MEX', '2026-07-01');
      expect(gone.statusCode).toBe(403);
      expect(JSON.parse(gone.body).message).toMatch(/MEX is not a member of the zone on 2026-07-01/);
      // Today (2026-03-01) it is the other way round.
      expect((await allocate('member:KOR')).statusCode).toBe(403);
      expect((await allocate('member:MEX')).statusCode).toBe(200);
    } finally {
      await env.app.close();
      await env.drop();
    }
  });
});
