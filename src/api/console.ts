import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timingSafeEqual } from 'node:crypto';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Metrics } from '../metrics.js';
import type { Registry } from '../registry/index.js';
import type { InfluxClient } from '../storage/influx.js';
import type { ReadinessCheck } from './index.js';
import type { StreamTickets } from './stream-tickets.js';
import { MAX_SERIES_SPAN_MS, SERIES_SCOPES, lastReadingTs, readCompleteness, readSeries } from './console-series.js';

export type ConsoleRole = 'viewer' | 'analyst' | 'admin';

/** What the console needs beyond the API's own dependencies. */
export interface ConsoleDeps {
  /** The pipeline's InfluxDB client once connected (undefined while it is not). */
  influx: () => InfluxClient | undefined;
  /** IANA zone the console shows times in (http.timeZone). */
  timeZone: string;
  /** Analyzer interval (ms): one expected reading per meter per interval. */
  intervalMs: number;
  /** Built assets (default: dist/console beside this package). */
  assetsDir?: string;
}

export interface ConsolePluginOptions extends ConsoleDeps {
  registry: Registry;
  metrics: Metrics;
  readiness: () => ReadinessCheck;
  token?: string;
  /** Where stream tickets are kept (the auth hook redeems them). */
  tickets?: StreamTickets;
}

/** dist/console from either src/api (tsx) or dist/src/api (built). */
function defaultAssetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const dir = resolve(here, up, 'dist', 'console');
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return resolve(here, '../../dist/console');
}

const entityId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, _ . : - only');
const seriesQuery = z.object({
  scope: z.enum(SERIES_SCOPES),
  entity: entityId,
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().positive().optional(),
  /** Window length when from is not given (default 2 days). */
  spanMs: z.coerce.number().int().positive().max(MAX_SERIES_SPAN_MS).default(2 * 86_400_000),
  stepMs: z.coerce.number().int().min(60_000).max(86_400_000).default(15 * 60_000),
}).refine((q) => q.from === undefined || q.to === undefined || (q.to > q.from && q.to - q.from <= MAX_SERIES_SPAN_MS), `to must be after from, at most ${MAX_SERIES_SPAN_MS / 86_400_000} days later`)
  .refine((q) => q.from === undefined || q.to === undefined || (q.to - q.from) / q.stepMs <= 5000, 'at most 5000 points: use a longer stepMs');

const METRICS_SHOWN = [
  'gridpulse_mqtt_connections', 'gridpulse_readings_accepted_total', 'gridpulse_readings_rejected_total', 'gridpulse_spool_depth_readings',
  'gridpulse_spool_depth_bytes', 'gridpulse_spool_full', 'gridpulse_influx_up', 'gridpulse_influx_write_lines_total', 'gridpulse_influx_errors_total',
  'gridpulse_alerts_total', 'gridpulse_mqtt_connections_refused_total', 'gridpulse_dead_letters_total',
];

/**
 * The analyst console: its built assets at `/` (no CDN, every file in the package) and the few
 * read-only routes it needs that the API does not offer yet (a consumption series from InfluxDB,
 * meter completeness, the pipeline's state as JSON, who a token belongs to). Where the API's auth
 * hook has named the caller (`req.principal`, issue 10's roles) that role is the answer; without
 * it the one write token (http.token) is an analyst and no token is a viewer.
 */
export async function consolePlugin(app: FastifyInstance, o: ConsolePluginOptions): Promise<void> {
  const root = o.assetsDir ?? defaultAssetsDir();
  const built = existsSync(join(root, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: ['index.html'], cacheControl: false, setHeaders: (res, path) => {
      // Hashed file names under assets/ never change; index.html must be re-read to find new ones.
      res.header('cache-control', path.includes(`${join(root, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    } });
  } else {
    app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.code(503).type('text/plain; charset=utf-8')
      .send(`The console is not built (${root}/index.html missing): run npm run build.`));
  }

  const roleOf = (req: FastifyRequest): ConsoleRole | 'invalid' => {
    // With the role-aware API (issue 10) its onRequest hook has already named the token's owner.
    const principal = (req as FastifyRequest & { principal?: { role: ConsoleRole } }).principal;
    if (principal) return principal.role;
    const h = req.headers.authorization;
    if (!h) return 'viewer';
    if (!o.token) return 'invalid';
    const got = Buffer.from(h), want = Buffer.from(`Bearer ${o.token}`);
    return got.length === want.length && timingSafeEqual(got, want) ? 'analyst' : 'invalid';
  };
  const influxOr503 = (reply: FastifyReply) => {
    const influx = o.influx();
    if (!influx) void reply.code(503).send({ code: 'influx_unavailable', message: 'InfluxDB is not connected yet' });
    return influx;
  };
  const bad = (reply: FastifyReply, err: z.ZodError) => reply.code(400).send({ code: 'invalid_request', message: z.prettifyError(err) });

  app.get('/api/v1/console/config', { schema: { summary: 'Console settings: time zone, interval, whether writes are enabled' } }, async () => ({
    timeZone: o.timeZone, intervalMs: o.intervalMs, writesEnabled: Boolean(o.token), built,
  }));

  app.get('/api/v1/console/whoami', { schema: { summary: 'The role of the bearer token sent (none: viewer); 401 for a wrong token', security: [{ bearer: [] }] } }, async (req, reply) => {
    const role = roleOf(req);
    if (role === 'invalid') return reply.code(401).send({ code: 'unauthorized', message: 'unknown token' });
    return { role, canWrite: role !== 'viewer' };
  });

  if (o.tickets) {
    const tickets = o.tickets;
    app.post('/api/v1/console/stream-ticket', {
      config: { role: 'viewer' },
      schema: { summary: 'A one-use ticket (30 s) that opens GET /api/v1/alerts/stream?ticket=… as the bearer: EventSource cannot send the Authorization header', security: [{ bearer: [] }] },
    }, async (req, reply) => {
      const t = tickets.issue(req.principal!);
      if (!t) return reply.code(503).send({ code: 'too_many_tickets', message: 'too many stream tickets waiting; retry in a few seconds' });
      return t;
    });
  }

  app.get('/api/v1/console/series', { schema: { summary: "Interval consumption of an entity from InfluxDB and the expected line: for an enterprise, the analyzer's judged values (enterprise_expected) where it has them, else the median of the same slot in the 3 weeks before (expectedBasis says which)", querystring: { type: 'object', properties: { scope: { type: 'string', enum: [...SERIES_SCOPES] }, entity: { type: 'string' }, from: { type: 'integer' }, to: { type: 'integer' }, spanMs: { type: 'integer' }, stepMs: { type: 'integer' } }, required: ['scope', 'entity'] } } }, async (req, reply) => {
    const q = seriesQuery.safeParse(req.query);
    if (!q.success) return bad(reply, q.error);
    const influx = influxOr503(reply);
    if (!influx) return reply;
    const to = q.data.to ?? (await lastReadingTs(influx, q.data.scope, q.data.entity)) ?? Date.now();
    const from = q.data.from ?? to - q.data.spanMs;
    return readSeries(influx, { scope: q.data.scope, entity: q.data.entity, from, to: q.data.to ?? to + q.data.stepMs, stepMs: q.data.stepMs, intervalMs: o.intervalMs });
  });

  app.get('/api/v1/console/enterprises/:id/completeness', { schema: { summary: "Readings stored per meter over the last day of the enterprise's data, against one per interval" } }, async (req, reply) => {
    const id = entityId.safeParse((req.params as { id: string }).id);
    if (!id.success) return bad(reply, id.error);
    if (!o.registry.enterprise(id.data)) return reply.code(404).send({ code: 'not_found', message: `enterprise ${id.data} not found` });
    const influx = influxOr503(reply);
    if (!influx) return reply;
    const meters = o.registry.snapshot().meters.filter((m) => m.enterprise === id.data).map((m) => m.id);
    const to = (await lastReadingTs(influx, 'enterprise', id.data)) ?? Date.now();
    return { to, spanMs: 86_400_000, meters: await readCompleteness(influx, id.data, meters, to, 86_400_000, o.intervalMs) };
  });

  app.get('/api/v1/console/pipeline', { schema: { summary: 'Readiness and the main gauges and counters as JSON (the console polls it)' } }, async () => {
    const all = await o.metrics.registry.getMetricsAsJSON();
    const metrics: Record<string, { labels: Record<string, string | number>; value: number }[]> = {};
    for (const m of all) {
      if (METRICS_SHOWN.includes(m.name)) metrics[m.name] = m.values.map((v) => ({ labels: { ...v.labels } as Record<string, string | number>, value: v.value }));
    }
    return { at: Date.now(), readiness: o.readiness(), registry: o.registry.counts(), metrics };
  });
}
