import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ALERT_STATES, SEVERITIES, eventMessage, type AlertFilter, type AlertsStage, type AlertState, type Severity } from '../../alerts/index.js';
import { ALERT_KINDS } from '../schemas/incident.js';
import { errorSchema, secured, toSchema } from './schemas.js';

const tags = ['alerts'];
const REPLAY_PAGE = 10_000;
const analyst = { role: 'analyst' as const };
const alertIdParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 256 } }, required: ['id'] };
const list = (vals: readonly string[]) => ({ type: 'string', maxLength: 512, pattern: `^(${vals.join('|')})(,(${vals.join('|')}))*$` });
const time = { type: 'string', maxLength: 40, description: 'ISO 8601 time or epoch milliseconds' };

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    state: list(ALERT_STATES), kind: list(ALERT_KINDS), scope: list(['meter', 'gateway', 'enterprise', 'chain', 'county']), severity: list(SEVERITIES),
    county: { type: 'string', maxLength: 128 }, chain: { type: 'string', maxLength: 128 }, enterprise: { type: 'string', maxLength: 128 }, entity: { type: 'string', maxLength: 128 },
    from: time, to: time,
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
    cursor: { type: 'string', maxLength: 512, description: 'The `next` of the previous page' },
  },
};
const ackBody = z.object({ comment: z.string().max(2000).optional(), by: z.string().min(1).max(100).optional().describe('Who handled it, when a shared token is used; default: the token name') }).strict();
const resolveBody = z.object({ comment: z.string().min(1).max(2000).describe('Why it is resolved'), by: z.string().min(1).max(100).optional() }).strict();
const suppressionBody = z.object({
  scope: z.enum(['enterprise', 'chain', 'county']),
  entity: z.string().min(1).max(128),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
  reason: z.string().min(1).max(500).describe('Planned maintenance, a known shutdown, an approved 限电 order…'),
}).strict();

function parseTime(v: string | undefined, key: string): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw Object.assign(new Error(`querystring/${key} must be an ISO 8601 time or epoch milliseconds`), { statusCode: 400, validation: true });
  return n;
}
const split = (v: string | undefined) => (v ? v.split(',') : undefined);
const actor = (req: FastifyRequest, by?: string) => by ?? req.principal?.name ?? 'anonymous';

/** Alerts: history with filters and cursor paging, the lifecycle by hand, suppression windows, the SSE feed, channel state. */
export const alertRoutes: FastifyPluginAsync<{ alerts: AlertsStage }> = async (app, { alerts }) => {
  const { store, lifecycle } = alerts;

  app.get('/api/v1/alerts', { schema: { summary: 'Alerts, newest first, filtered; `next` is the cursor of the following page', tags, querystring: listQuery } }, async (req) => {
    const q = req.query as Record<string, string | undefined> & { limit: number };
    const f: AlertFilter = {};
    if (q.state) f.state = split(q.state) as AlertState[];
    if (q.kind) f.kind = split(q.kind)!;
    if (q.scope) f.scope = split(q.scope)!;
    if (q.severity) f.severity = split(q.severity) as Severity[];
    for (const k of ['county', 'chain', 'enterprise', 'entity'] as const) if (q[k]) f[k] = q[k];
    const from = parseTime(q.from, 'from'), to = parseTime(q.to, 'to');
    if (from !== undefined) f.from = from;
    if (to !== undefined) f.to = to;
    return store.list(f, q.limit, q.cursor);
  });

  app.get('/api/v1/alerts/stream', {
    config: { ticket: true },
    schema: {
      summary: 'Alert events as Server-Sent Events; each has `id:` = its sequence. Reconnect with Last-Event-ID (or ?lastEventId=) to get exactly the events missed (more than 10,000: one page, then the stream ends and the client resumes from its last id).',
      tags, querystring: { type: 'object', properties: { lastEventId: { type: 'integer', minimum: 0 }, ticket: { type: 'string', description: 'one-use stream ticket (POST /api/v1/console/stream-ticket) in place of the Authorization header' } } }, headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^\\d{1,15}$' } } },
    },
  }, (req, reply) => {
    const h = req.headers['last-event-id'];
    const q = (req.query as { lastEventId?: number }).lastEventId;
    const after = typeof h === 'string' ? Number(h) : q;
    reply.hijack();
    // Replay and going live happen in the same synchronous step, so no event falls between them.
    const replay = after !== undefined ? store.eventsAfter(after, REPLAY_PAGE).map((e) => ({ seq: e.seq, event: 'alert', data: eventMessage(e) })) : [];
    // A full page may not be all that was missed: end the stream after it, so the client reconnects
    // from its last id for the next page instead of going live over a gap.
    alerts.sse.add(reply.raw, replay, { live: replay.length < REPLAY_PAGE });
  });

  app.get('/api/v1/alerts/:id', { schema: { summary: 'One alert with every change (who, when, comment)', tags, params: alertIdParams, response: { 404: errorSchema } } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const a = store.alert(store.alertIdFor(id) ?? id);
    if (!a) return reply.code(404).send({ code: 'not_found', message: `alert ${id} not found` });
    return { ...a, history: store.history(a.id).map(({ alert: _snapshot, ...e }) => e) };
  });

  app.post('/api/v1/alerts/:id/ack', { config: analyst, schema: { summary: 'Acknowledge an open alert', tags, params: alertIdParams, body: toSchema(ackBody), security: secured, response: { 404: errorSchema, 409: errorSchema } } }, async (req) => {
    const { id } = req.params as { id: string };
    const b = ackBody.parse(req.body ?? {});
    return lifecycle.acknowledge(store.alertIdFor(id) ?? id, actor(req, b.by), b.comment).alert;
  });

  app.post('/api/v1/alerts/:id/resolve', { config: analyst, schema: { summary: 'Resolve an alert by hand, with a comment', tags, params: alertIdParams, body: toSchema(resolveBody), security: secured, response: { 404: errorSchema, 409: errorSchema } } }, async (req) => {
    const { id } = req.params as { id: string };
    const b = resolveBody.parse(req.body);
    return lifecycle.resolve(store.alertIdFor(id) ?? id, actor(req, b.by), b.comment).alert;
  });

  app.get('/api/v1/suppressions', { schema: { summary: 'Suppression windows that have not ended', tags } }, async () => store.suppressions(Date.now()));
  app.post('/api/v1/suppressions', { config: analyst, schema: { summary: 'A window during which alerts of an enterprise, chain or county do not open (they are recorded as suppressed)', tags, body: toSchema(suppressionBody), security: secured } }, async (req, reply) => {
    const b = suppressionBody.parse(req.body);
    const startsAt = Date.parse(b.startsAt), endsAt = Date.parse(b.endsAt);
    if (endsAt <= startsAt) return reply.code(400).send({ code: 'invalid_request', message: 'body/endsAt must be after startsAt' });
    return reply.code(201).send(store.addSuppression({ scope: b.scope, entity: b.entity, startsAt, endsAt, reason: b.reason, createdBy: actor(req) }, Date.now()));
  });
  app.delete('/api/v1/suppressions/:id', { config: analyst, schema: { summary: 'End a suppression window', tags, params: alertIdParams, security: secured, response: { 204: { type: 'null' }, 404: errorSchema } } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    return store.deleteSuppression(id, Date.now()) ? reply.code(204).send() : reply.code(404).send({ code: 'not_found', message: `suppression ${id} not found` });
  });

  app.get('/api/v1/channels', { schema: { summary: 'Delivery channels: queued, delivered, failing since, last error (secrets never shown)', tags } }, async () => alerts.channels());
  app.get('/api/v1/audit', { config: { role: 'admin' }, schema: { summary: 'The latest writes: who, what, when, with what answer', tags, security: secured, querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } } } },
    async (req) => store.auditLog((req.query as { limit: number }).limit));
};
