import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { AlertAcks } from './alert-acks.js';
import { consolePlugin, type ConsoleDeps } from './console.js';
import { enterpriseSchema, meterSchema, hashPassword, RegistryError, type Registry } from '../registry/index.js';

export interface ReadinessCheck {
  ready: boolean;
  reasons: string[];
  checks: Record<string, unknown>;
}

export interface AlertSource {
  alerts(): unknown[];
  productionIndex(): unknown[];
  on(event: 'alertUpdate', fn: (u: unknown) => void): unknown;
  off(event: 'alertUpdate', fn: (u: unknown) => void): unknown;
}

export interface ApiDeps {
  registry: Registry;
  metrics: Metrics;
  readiness: () => ReadinessCheck;
  /** Bearer token for write endpoints; unset: they answer 403. */
  token?: string;
  analyzer?: AlertSource;
  /** Where analysts' acknowledgements are kept. */
  acks?: AlertAcks;
  logger?: Logger;
  /** The analyst console at / (off when unset). */
  console?: ConsoleDeps;
}

const toSchema = (s: z.ZodType) => {
  const j = z.toJSONSchema(s, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  delete j.$schema;
  return j;
};

const gatewayBody = z.object({ password: z.string().min(8).max(256), enterprise: z.string().optional(), role: z.enum(['gateway', 'consumer']).optional() });
const errorSchema = { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } };

/** The HTTP API, built apart from listen() so tests can inject requests or listen on port 0. */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024, forceCloseConnections: true });
  await app.register(swagger, {
    openapi: {
      info: { title: 'GridPulse API', version: '0.1.0', description: 'Health, metrics, the meter registry, alerts and the production index.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  const requireToken = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!deps.token) return reply.code(403).send({ code: 'writes_disabled', message: 'set http.token (GRIDPULSE_API_TOKEN) to enable write endpoints' });
    const got = Buffer.from(req.headers.authorization ?? '');
    const want = Buffer.from(`Bearer ${deps.token}`);
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      return reply.code(401).send({ code: 'unauthorized', message: 'missing or wrong bearer token' });
    }
  };
  const writeRoute = { preHandler: requireToken };

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    if (err instanceof RegistryError) return reply.code(400).send({ code: 'invalid_registry', message: err.message });
    if (err.validation) return reply.code(400).send({ code: 'invalid_request', message: err.message });
    reply.code(err.statusCode ?? 500).send({ code: 'internal', message: err.message });
  });

  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { summary: 'Readiness: broker listening, InfluxDB reachable, spool below its cap. 503 lists the reasons.' } }, async (_req, reply) => {
    const r = deps.readiness();
    return reply.code(r.ready ? 200 : 503).send(r);
  });

  app.get('/metrics', { schema: { summary: 'Prometheus text format' } }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const reg = deps.registry;
  app.get('/api/v1/registry', { schema: { summary: 'Registry counts' } }, async () => reg.counts());
  app.get('/api/v1/registry/export', { schema: { summary: 'The whole registry (password hashes included)', security: [{ bearer: [] }] }, ...writeRoute }, async () => reg.snapshot());

  app.get('/api/v1/enterprises', { schema: { summary: 'List enterprises', querystring: { type: 'object', properties: { county: { type: 'string' }, chain: { type: 'string' } } } } },
    async (req) => {
      const q = req.query as { county?: string; chain?: string };
      return reg.snapshot().enterprises.filter((e) => (!q.county || e.county === q.county) && (!q.chain || e.chains.includes(q.chain)));
    });
  app.get('/api/v1/enterprises/:id', { schema: { summary: 'One enterprise with its meters', response: { 404: errorSchema } } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const e = reg.enterprise(id);
    if (!e) return reply.code(404).send({ code: 'not_found', message: `enterprise ${id} not found` });
    return { ...e, meters: reg.snapshot().meters.filter((m) => m.enterprise === id) };
  });
  app.put('/api/v1/enterprises/:id', { schema: { summary: 'Create or replace an enterprise', body: toSchema(enterpriseSchema.omit({ id: true })), security: [{ bearer: [] }] }, ...writeRoute }, async (req) => {
    const { id } = req.params as { id: string };
    reg.upsert({ enterprises: [{ ...(req.body as object), id }] });
    return reg.enterprise(id);
  });

  app.get('/api/v1/meters/:id', { schema: { summary: 'One meter and the tags its readings are stored under', response: { 404: errorSchema } } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const t = reg.tagsFor(id);
    if (!t) return reply.code(404).send({ code: 'not_found', message: `meter ${id} not found` });
    return t;
  });
  app.put('/api/v1/meters/:id', { schema: { summary: 'Create or replace a meter', body: toSchema(meterSchema.omit({ id: true })), security: [{ bearer: [] }] }, ...writeRoute }, async (req) => {
    const { id } = req.params as { id: string };
    reg.upsert({ meters: [{ ...(req.body as object), id }] });
    return reg.tagsFor(id);
  });
  app.delete('/api/v1/meters/:id', { schema: { summary: 'Remove a meter', security: [{ bearer: [] }] }, ...writeRoute }, async (req, reply) => {
    const { id } = req.params as { id: string };
    return reg.remove('meters', id) ? reply.code(204).send() : reply.code(404).send({ code: 'not_found', message: `meter ${id} not found` });
  });
  app.put('/api/v1/gateways/:id', { schema: { summary: 'Create a gateway or set its password (stored as an scrypt hash)', body: toSchema(gatewayBody), security: [{ bearer: [] }] }, ...writeRoute }, async (req) => {
    const { id } = req.params as { id: string };
    const b = gatewayBody.parse(req.body);
    reg.upsert({ gateways: [{ id, passwordHash: hashPassword(b.password), enterprise: b.enterprise, role: b.role ?? 'gateway' }] });
    return { id, enterprise: b.enterprise, role: b.role ?? 'gateway' };
  });

  app.get('/api/v1/alerts', { schema: { summary: 'Open and recent alerts, newest first', querystring: { type: 'object', properties: { status: { type: 'string', enum: ['open', 'resolved', 'withdrawn'] }, kind: { type: 'string' } } } } }, async (req) => {
    const q = req.query as { status?: string; kind?: string };
    const all = (deps.analyzer?.alerts() ?? []) as { id: string; status?: string; kind?: string }[];
    return all.filter((a) => (!q.status || a.status === q.status) && (!q.kind || a.kind === q.kind))
      .map((a) => ({ ...a, acknowledged: deps.acks?.get(a.id) ?? null }));
  });
  const ackBody = z.object({ by: z.string().min(1).max(100), note: z.string().max(2000).optional() });
  app.post('/api/v1/alerts/:id/ack', { schema: { summary: 'Acknowledge an alert (who handled it, with a note)', body: toSchema(ackBody), security: [{ bearer: [] }], response: { 404: errorSchema } }, ...writeRoute }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const alert = (deps.analyzer?.alerts() as { id: string }[] | undefined)?.find((a) => a.id === id);
    if (!alert || !deps.acks) return reply.code(404).send({ code: 'not_found', message: `alert ${id} not found` });
    const b = ackBody.parse(req.body);
    const ack = { by: b.by, at: new Date().toISOString(), ...(b.note ? { note: b.note } : {}) };
    deps.acks.set(id, ack);
    return { ...alert, acknowledged: ack };
  });
  app.get('/api/v1/alerts/stream', { schema: { summary: 'Alert changes (opened, updated, withdrawn, resolved) as Server-Sent Events' } }, (req, reply) => {
    const analyzer = deps.analyzer;
    if (!analyzer) return reply.code(404).send({ code: 'analytics_disabled', message: 'the analyzer is off (analytics.enabled=false)' });
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    reply.raw.write(': gridpulse alerts\n\n');
    const send = (u: unknown) => reply.raw.write(`event: alert\ndata: ${JSON.stringify(u)}\n\n`);
    const ping = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
    analyzer.on('alertUpdate', send);
    req.raw.on('close', () => {
      clearInterval(ping);
      analyzer.off('alertUpdate', send);
    });
  });
  app.get('/api/v1/production-index', { schema: { summary: 'Power-based production index per chain and county (actual ÷ expected × 100)' } }, async () => deps.analyzer?.productionIndex() ?? []);

  if (deps.console) await app.register(consolePlugin, { ...deps.console, registry: deps.registry, metrics: deps.metrics, readiness: deps.readiness, token: deps.token });
  return app;
}
