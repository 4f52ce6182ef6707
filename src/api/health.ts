import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../metrics.js';

export interface ReadinessCheck {
  ready: boolean;
  reasons: string[];
  checks: Record<string, unknown>;
}

/** /healthz, /readyz, /metrics. */
export const healthRoutes: FastifyPluginAsync<{ readiness: () => ReadinessCheck; metrics: Metrics }> = async (app, o) => {
  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', tags: ['health'], response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { summary: 'Readiness: broker listening, InfluxDB reachable, spool below its cap. 503 lists the reasons.', tags: ['health'] } }, async (_req, reply) => {
    const r = o.readiness();
    return reply.code(r.ready ? 200 : 503).send(r);
  });

  app.get('/metrics', { schema: { summary: 'Prometheus text format', tags: ['health'] } }, async (_req, reply) => {
    reply.header('content-type', o.metrics.registry.contentType);
    return o.metrics.registry.metrics();
  });
};
