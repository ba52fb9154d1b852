/**
 * The secretariat's HTTP API (Fastify, zod validation, OpenAPI at /openapi.json). Interfaces import the core, never
 * the reverse: every rule is in src/admin, every write in src/store; this file authenticates, checks the role,
 * validates, and maps refusals to HTTP statuses — 400 naming the field, 401/403, 404, 409 — never 500 on bad input.
 */
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  allowed,
  formatRole,
  OPERATION_TEXT,
  type Operation,
  parseRole,
  type Role,
  RoleError,
  speaksFor,
} from '../admin/access.ts';
import { AllocationError } from '../admin/allocation.ts';
import { DutyError } from '../admin/duty.ts';
import { MoneyError, parseQuantity } from '../admin/money.ts';
import { ReferencePriceError } from '../admin/reference-price.ts';
import { ScheduleError } from '../admin/schedule.ts';
import { VaultError } from '../admin/vault.ts';
import type { Catalog } from '../data/catalog.ts';
import { modelRegion } from '../model/regions.ts';
import { readAudit } from '../store/audit.ts';
import { Books, BooksError } from '../store/books.ts';
import type { Store } from '../store/database.ts';
import { KeyRing } from '../store/keys.ts';
import { JsonBodyError, parseJsonBody } from './json.ts';
import { tidySchemas } from './openapi.ts';
import * as S from './schemas.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation a route performs; routes without one are open (health, OpenAPI). */
    operation?: Operation;
  }
  interface FastifyRequest {
    actor: { id: string; role: Role } | null;
  }
}

/**
 * Operations a member's key may attempt only while its country is a member of the zone in force (today; a release's
 * allocation checks the date it is for, in its handler).
 */
const MEMBERS_ONLY: ReadonlySet<Operation> = new Set(['vault.read']);

/** Other members' holdings are shown only as sums over at least this many members (a sum of one is no aggregate). */
const MIN_AGGREGATE_MEMBERS = 2;

/** The longest path segment the router reads: well above the longest id (128), below a buffer-filling one. */
const MAX_PARAM_LENGTH = 200;
export interface ServerOptions {
  readonly store: Store;
  readonly catalog: Catalog;
  /** Fastify's logger: false in tests, a pino stream on stderr for `lodestone serve`. */
  readonly logger?: boolean | { level: string; stream?: NodeJS.WritableStream };
  /** Largest request body, in bytes (default 64 KiB: an entry is well under 2 KiB). */
  readonly bodyLimit?: number;
  readonly now?: () => Date;
  readonly version?: string;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
};

function problem(
  reply: FastifyReply,
  statusCode: number,
  message: string,
  extra: { field?: string; issues?: { field: string; message: string }[] } = {},
) {
  return reply.code(statusCode).send({ statusCode, error: STATUS_TEXT[statusCode] ?? 'Error', message, ...extra });
}

/** The field path of a validation issue, as the client wrote it: body.content.quantity, querystring.limit. */
function issuePath(context: string | undefined, path: readonly PropertyKey[]): string {
  return [context ?? 'body', ...path.map(String)].join('.');
}

const actorName = (request: FastifyRequest) =>
  request.actor ? `${request.actor.id} (${formatRole(request.actor.role)})` : 'anonymous';

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { store, catalog } = options;
  const books = new Books(store, catalog, options.now);
  const keys = new KeyRing(store);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // A client that sends its request too slowly is cut off rather than holding a connection forever.
    requestTimeout: 30_000,
    // Client-chosen ids may carry ':' and '/', escaped in paths; keep routing strict otherwise.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A path the router cannot read (bad percent-encoding, an overlong id) is refused before any route's error
    // handler: answer it in the documented error shape, naming the path, not Fastify's own (a 414 the API never lists).
    frameworkErrors: (error, _request, reply) => {
      if (error.code === 'FST_ERR_BAD_URL')
        return problem(reply, 400, 'params: the path is not valid percent-encoding', { field: 'params' });
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
        return problem(reply, 400, `params: a path segment is longer than ${MAX_PARAM_LENGTH} characters`, {
          field: 'params',
        });
      return problem(reply, 500, 'internal error; the request was not applied');
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  // Responses are built by the handlers from typed values; the response schemas document them (OpenAPI) and the
  // tests hold the responses to them. Validating every response again at run time cost a tenth of a quote's CPU.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.decorateRequest('actor', null);
  // JSON only: a text body is refused as such (400 naming the body), not read as a string that fails validation.
  app.removeContentTypeParser('text/plain');
  // JSON read by the API's own parser: a key given twice, or a prototype key, is a 400 naming it (json.ts).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as JsonBodyError, undefined);
    }
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Lodestone secretariat API',
        description:
          'Reference-price schedules, duties on import entries and the joint stockpile ledger of a preferential trade zone for critical minerals. Authenticate with `Authorization: Bearer <key>` (`lodestone admin create-key`). Money is in integer US cents; quantities are decimal strings in the commodity unit.',
        version: options.version ?? '0.1.0',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key (lsk_...)' } },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (document) => tidySchemas(jsonSchemaTransformObject(document)),
  });

  // Authentication and the role's permission come first, before the body is read or validated.
  app.addHook('onRequest', async (request, reply) => {
    const operation = request.routeOptions.config?.operation;
    if (!operation) return;
    const header = request.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      reply.header('www-authenticate', 'Bearer');
      return problem(reply, 401, 'an API key is required: Authorization: Bearer <key>');
    }
    const key = await keys.authenticate(m[1] as string);
    if (!key) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"');
      return problem(reply, 401, 'the API key is not valid (unknown or revoked)');
    }
    let role: Role;
    try {
      role = parseRole(key.role, catalog);
    } catch (e) {
      if (e instanceof RoleError) return problem(reply, 403, `the key's ${e.message}`);
      throw e;
    }
    request.actor = { id: key.id, role };
    if (!allowed(role, operation))
      return problem(reply, 403, `role ${formatRole(role)} may not ${OPERATION_TEXT[operation]}`);
    // The vault and collective releases are the members' own: a key of a country outside the zone in force (one
    // that has yet to join, or has left) sees neither the others' aggregates nor a share of a release.
    if (role.kind === 'member' && MEMBERS_ONLY.has(operation)) {
      const refusal = await notAMember(role, operation);
      if (refusal) return problem(reply, 403, refusal);
    }
  });

  /** Why a member's key may not do `operation` on `date` (default today): its country is not a member then. */
  const notAMember = async (role: Role & { kind: 'member' }, operation: Operation, date?: string) => {
    const inForce = await books.inForce(date);
    const region = modelRegion(catalog, role.region);
    if (inForce.members.some((m) => modelRegion(catalog, m) === region)) return undefined;
    return `role ${formatRole(role)} may not ${OPERATION_TEXT[operation]}: ${role.region} is not a member of the zone on ${inForce.date}`;
  };

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => {
        const path = v.instancePath.split('/').filter(Boolean);
        const params = v.params as { keys?: string[]; errors?: { message?: string }[][] };
        // An unknown key is named as the field; a union (string or number) says what its first branch wanted.
        if (v.keyword === 'unrecognized_keys' && params.keys?.[0] !== undefined) path.push(params.keys[0]);
        const branch = v.keyword === 'invalid_union' ? params.errors?.[0]?.[0]?.message : undefined;
        const message =
          v.keyword === 'unrecognized_keys' ? 'is not a field of this request' : (branch ?? v.message ?? 'invalid');
        return { field: issuePath(error.validationContext, path), message };
      });
      const first = issues[0] as { field: string; message: string };
      return problem(reply, 400, `${first.field}: ${first.message}`, { field: first.field, issues });
    }
    // What the request carried its fields in: a GET its query string, the others their body.
    const part = request.method === 'GET' ? 'querystring' : 'body';
    if (error instanceof BooksError) {
      const status = error.kind === 'invalid' ? 400 : error.kind === 'conflict' ? 409 : 404;
      return problem(
        reply,
        status,
        error.field ? `${part}.${error.message}` : error.message,
        error.field ? { field: `${part}.${error.field}` } : {},
      );
    }
    if (error instanceof DutyError || error instanceof ScheduleError || error instanceof VaultError) {
      return problem(reply, 400, `${part}.${error.message}`, { field: `${part}.${error.field}` });
    }
    if (error instanceof JsonBodyError) return problem(reply, 400, error.message, { field: error.field });
    if (error instanceof MoneyError || error instanceof AllocationError || error instanceof ReferencePriceError) {
      return problem(reply, 400, error.message);
    }
    const code = error.code;
    // A body that is too large, not JSON or not parseable is a bad payload like any other: 400 naming the body
    // (the issue's contract for malformed, oversized or mistyped payloads), with what was wrong in the message.
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return problem(reply, 400, `body: the request body is larger than ${app.initialConfig.bodyLimit} bytes`, {
        field: 'body',
      });
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return problem(reply, 400, 'body: send JSON (Content-Type: application/json)', { field: 'body' });
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      // Malformed JSON, an empty body, a bad header: the client's fault, said plainly.
      return problem(reply, 400, `body: ${error.message}`, { field: 'body' });
    }
    request.log.error({ err: error }, 'unhandled error');
    return problem(reply, 500, 'internal error; the request was not applied');
  });

  app.setNotFoundHandler((request, reply) =>
    problem(reply, 404, `no route ${request.method} ${request.url.split('?')[0]}`),
  );

  const api = app.withTypeProvider<ZodTypeProvider>();
  const errors = {
    400: S.ErrorResponse,
    401: S.ErrorResponse,
    403: S.ErrorResponse,
  };

  api.get(
    '/health',
    {
      schema: {
        tags: ['service'],
        summary: 'liveness and database reachability (no key needed)',
        security: [],
        response: {
          200: z.object({ status: z.literal('ok'), database: z.string(), schedules: z.number().int() }),
          503: S.ErrorResponse,
        },
      },
    },
    async (_request, reply) => {
      try {
        const schedules = (await books.schedules()).length;
        return { status: 'ok' as const, database: store.dialect, schedules };
      } catch (e) {
        return reply
          .code(503)
          .send({ statusCode: 503, error: 'Service Unavailable', message: `database: ${(e as Error).message}` });
      }
    },
  );

  api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  api.get(
    '/v1/schedules',
    {
      config: { operation: 'schedules.read' },
      schema: {
        tags: ['schedules'],
        summary: 'every published schedule, oldest version first',
        // It takes no parameters: one that looks like a filter (?date=) is refused, not ignored with every schedule.
        querystring: z.strictObject({}),
        response: { 200: z.object({ schedules: z.array(S.Schedule) }), ...errors },
      },
    },
    async () => ({ schedules: await books.schedules() }),
  );

  api.get(
    '/v1/schedules/current',
    {
      config: { operation: 'schedules.read' },
      schema: {
        tags: ['schedules'],
        summary:
          'the members and reference prices in force on a date (default today), each with the schedule that set it and why',
        querystring: z.strictObject({ date: S.IsoDate.optional() }),
        response: { 200: S.InForce, ...errors },
      },
    },
    async (request) => books.inForce(request.query.date),
  );

  api.post(
    '/v1/schedules',
    {
      config: { operation: 'schedules.publish' },
      schema: {
        tags: ['schedules'],
        summary:
          'publish a schedule (secretariat): prices by rule from the cost curves, smoothed and bounded. 409 where it would apply before a published schedule or a recorded entry, or take out a member that holds vault stock',
        body: S.ScheduleRequest,
        response: { 201: S.Schedule, 409: S.ErrorResponse, ...errors },
      },
    },
    async (request, reply) => {
      const schedule = await books.publishSchedule(actorName(request), request.body);
      return reply.code(201).send(schedule);
    },
  );

  api.post(
    '/v1/entries',
    {
      config: { operation: 'entries.submit' },
      schema: {
        tags: ['entries'],
        summary:
          "assess and record an import entry; returns the duty. Idempotent on `id`, the importer's own (another importer's entry under the same id is another entry): the same payload returns the stored answer (200), said either way (a default unit spelt out or not), another payload under the id is 409. A key given twice in the body is 400. `?dryRun=true` assesses without recording.",
        querystring: z.strictObject({ dryRun: z.enum(['true', 'false']).optional() }),
        body: S.EntryRequest,
        response: {
          200: z.union([
            S.StoredEntry.extend({ created: z.literal(false) }),
            z.object({ dryRun: z.literal(true), assessment: S.DutyAssessment }),
          ]),
          201: S.StoredEntry.extend({ created: z.literal(true) }),
          409: S.ErrorResponse,
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const actor = request.actor as NonNullable<FastifyRequest['actor']>;
      const { content, ...rest } = request.body;
      const body = {
        ...rest,
        quantity: S.decimalText(rest.quantity),
        ...(content ? { content: { ...content, quantity: S.decimalText(content.quantity) } } : {}),
      };
      if (!speaksFor(catalog, actor.role, body.importer))
        return problem(
          reply,
          403,
          `role ${formatRole(actor.role)} may not submit entries for importer ${body.importer}`,
          { field: 'body.importer' },
        );
      if (request.query.dryRun === 'true') return { dryRun: true as const, assessment: await books.quote(body) };
      const { created, entry } = await books.submitEntry(actorName(request), body);
      if (created) return reply.code(201).send({ created: true as const, ...entry });
      return { created: false as const, ...entry };
    },
  );

  api.get(
    '/v1/entries/:id',
    {
      config: { operation: 'entries.read' },
      schema: {
        tags: ['entries'],
        summary:
          "a recorded entry and its assessment (a member sees only its own). Ids are each importer's own: where the id names entries of more than one importer the key may read (the secretariat's, the EU's), `?importer=` picks one, and without it the answer is 409 naming them",
        params: z.strictObject({ id: S.RecordId }),
        querystring: z.strictObject({
          importer: S.RegionCode.optional().describe('the importer whose entry this is, as declared on it'),
        }),
        response: { 200: S.StoredEntry, 404: S.ErrorResponse, 409: S.ErrorResponse, ...errors },
      },
    },
    async (request, reply) => {
      const actor = request.actor as NonNullable<FastifyRequest['actor']>;
      const { importer } = request.query;
      // Another member's entry is reported as absent: a member learns nothing of the others' entries.
      const readable = (await books.entries(request.params.id)).filter(
        (e) =>
          speaksFor(catalog, actor.role, e.entry.importer) && (importer === undefined || e.entry.importer === importer),
      );
      const [entry, ...more] = readable;
      if (!entry)
        return problem(
          reply,
          404,
          `no entry '${request.params.id}'${importer !== undefined ? ` of ${importer}` : actor.role.kind === 'member' ? ` of ${actor.role.region}` : ''}`,
        );
      if (more.length > 0)
        return problem(
          reply,
          409,
          `querystring.importer: entry '${request.params.id}' was recorded by ${readable.map((e) => e.entry.importer).join(', ')}: name one, ?importer=${entry.entry.importer}`,
          { field: 'querystring.importer' },
        );
      return entry;
    },
  );

  api.get(
    '/v1/vault/holdings',
    {
      config: { operation: 'vault.read' },
      schema: {
        tags: ['vault'],
        summary:
          "holdings by member, commodity and site (a member: its own, and the others' only in aggregate); with obligationDays, compliance in days of net imports",
        querystring: S.HoldingsQuery,
        response: { 200: S.HoldingsResponse, ...errors },
      },
    },
    async (request) => {
      const actor = request.actor as NonNullable<FastifyRequest['actor']>;
      const { commodity, obligationDays } = request.query;
      if (commodity !== undefined && !catalog.commodities.has(commodity))
        throw new BooksError('invalid', 'commodity', `unknown commodity '${commodity}'`);
      const all = (await books.holdings()).filter((h) => commodity === undefined || h.commodity === commodity);
      const mine = all.filter((h) => speaksFor(catalog, actor.role, h.member));
      const others = all.filter((h) => !speaksFor(catalog, actor.role, h.member));
      const result: z.infer<typeof S.HoldingsResponse> = { holdings: mine.map((h) => books.holdingView(h)) };
      if (actor.role.kind === 'member') {
        const byCommodity = new Map<string, { quantity: bigint; members: Set<string> }>();
        for (const h of others) {
          const agg = byCommodity.get(h.commodity) ?? { quantity: 0n, members: new Set<string>() };
          agg.quantity += h.quantity;
          agg.members.add(h.member);
          byCommodity.set(h.commodity, agg);
        }
        // An aggregate of one member is that member's holding: a commodity held by fewer others is left out.
        result.others = [...byCommodity.entries()]
          .filter(([, agg]) => agg.members.size >= MIN_AGGREGATE_MEMBERS)
          .sort()
          .map(([k, agg]) => {
            const v = books.holdingView({ member: '', commodity: k, site: '', quantity: agg.quantity });
            return { commodity: k, quantity: v.quantity, unit: v.unit, members: agg.members.size };
          });
      }
      if (obligationDays !== undefined) {
        // A member key's compliance is that of the holder it speaks for: a member state's key (DEU) has none, since
        // the EU's stock is held as EU27 (whose holdings it does not see) and a member state alone imports nothing here.
        const { role } = actor;
        const members =
          role.kind === 'member'
            ? [modelRegion(catalog, role.region)].filter((m) => speaksFor(catalog, role, m))
            : (await books.inForce()).members;
        // A member's compliance lists what it holds and what the others' aggregates show, no commodity only one other
        // member holds (its name would say that one holds it).
        const seen = actor.role.kind === 'member' ? [...mine, ...(result.others ?? [])] : all;
        const commodities = commodity !== undefined ? [commodity] : [...new Set(seen.map((h) => h.commodity))].sort();
        result.compliance = books.complianceOf(mine, members, commodities, obligationDays);
      }
      return result;
    },
  );

  api.post(
    '/v1/vault/transactions',
    {
      config: { operation: 'vault.record' },
      schema: {
        tags: ['vault'],
        summary:
          "record a purchase, release or transfer (a member: on its own holdings). Idempotent on `id`, the holder's own; a release or transfer beyond the holding is 409, and so is a posting dated before its holding's last (naming that posting only where it is the caller's own).",
        body: S.VaultTransactionRequest,
        response: { 200: S.VaultTransactionResponse, 201: S.VaultTransactionResponse, 409: S.ErrorResponse, ...errors },
      },
    },
    async (request, reply) => {
      const actor = request.actor as NonNullable<FastifyRequest['actor']>;
      // The vault holder is the zone member (an EU member state's stock is EU27's): its key, or the secretariat's.
      const holder = modelRegion(catalog, request.body.member);
      if (!speaksFor(catalog, actor.role, holder))
        return problem(reply, 403, `role ${formatRole(actor.role)} may not move ${holder}'s holdings`, {
          field: 'body.member',
        });
      const result = await books.recordTransaction(
        actorName(request),
        { ...request.body, quantity: S.decimalText(request.body.quantity) },
        (member) => speaksFor(catalog, actor.role, member),
      );
      // A transfer to another member changes its holding too: a member is shown its own holdings only, as everywhere.
      const holdings = result.holdings.filter((h) => speaksFor(catalog, actor.role, h.member));
      return reply.code(result.created ? 201 : 200).send({ ...result, holdings });
    },
  );

  api.post(
    '/v1/releases/allocate',
    {
      config: { operation: 'releases.allocate' },
      schema: {
        tags: ['vault'],
        summary:
          'share a collective release among the members by a key (share of bloc consumption by default); the shares sum exactly to the total',
        body: S.AllocationRequest,
        response: { 200: S.Allocation, ...errors },
      },
    },
    async (request, reply) => {
      const { role } = request.actor as { role: Role };
      // A member shares in a release on the date it is for (a country that has joined by then, not one that has left).
      if (role.kind === 'member') {
        const refusal = await notAMember(role, 'releases.allocate', request.body.date);
        if (refusal) return problem(reply, 403, refusal);
      }
      const allocation = await books.allocateRelease({
        ...request.body,
        quantity: S.decimalText(request.body.quantity),
      });
      if (role.kind !== 'member') return allocation;
      // A member sees what it holds beside its own share, and no other member's holdings (nor their sum, which less
      // its own would be theirs).
      const { held: _held, notes: _notes, ...shared } = allocation;
      const own = allocation.shares.filter((s) => speaksFor(catalog, role, s.member));
      const shares = allocation.shares.map((s) =>
        own.includes(s) ? s : { member: s.member, quantity: s.quantity, share: s.share },
      );
      const notes = own
        .filter((s) => parseQuantity(s.quantity) > parseQuantity(s.held))
        .map((s) => `${s.member} holds ${s.held} ${allocation.unit}, less than its share of ${s.quantity}`);
      return { ...shared, shares, notes };
    },
  );

  api.get(
    '/v1/audit',
    {
      config: { operation: 'audit.read' },
      schema: {
        tags: ['service'],
        summary:
          'the append-only audit log (secretariat): who, when, what, before and after; numbered in commit order, its times never going back as the numbers go up',
        querystring: S.AuditQuery,
        response: { 200: S.AuditResponse, ...errors },
      },
    },
    async (request) => ({ records: await readAudit(store.db, request.query) }),
  );

  return app;
}
