import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ZodError } from 'zod';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { RegistryError, type Registry } from '../registry/index.js';
import { HandError, StoreError, type AlertsStage } from '../../alerts/index.js';
import type { IndexPoint } from '../../analytics/index.js';
import { authHook, staticTokenVerifier, ROLES, type Role, type TokenVerifier } from './auth.js';
import { healthRoutes, type ReadinessCheck } from './health.js';
import { registryRoutes, type MeterDataView } from './registry.js';
import { alertRoutes } from './alerts.js';
import { productionIndexRoutes } from './production-index.js';
import { consolePlugin, type ConsoleDeps } from './console.js';
import { StreamTickets } from './stream-tickets.js';

export type { ReadinessCheck } from './health.js';
export { ROLES, type Role, type Principal } from './auth.js';

export interface ApiDeps {
  registry: Registry;
  metrics: Metrics;
  readiness: () => ReadinessCheck;
  /** Shared admin token (http.token). */
  token?: string;
  alerts?: AlertsStage;
  productionIndex?: () => IndexPoint[];
  /** The analyzer's view of a meter's data: its interval, and whether (and how) its data is coarser. */
  meterData?: MeterDataView;
  bodyLimitBytes?: number;
  /** GET /api/... needs a viewer token too. */
  authReads?: boolean;
  logger?: Logger;
  /** The analyst console at / (off when unset). */
  console?: ConsoleDeps;
}

/** fastify's own client errors, answered with a code a client can act on. */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length'],
};

/**
 * The HTTP API, one fastify plugin per feature (health, registry, alerts, index), built apart from
 * listen() so tests can inject requests or listen on port 0. Tokens are checked in an onRequest
 * hook, before any body is read; bodies are capped at bodyLimitBytes.
 */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: deps.bodyLimitBytes ?? 32_768, forceCloseConnections: true });
  await app.register(swagger, {
    openapi: {
      info: { title: 'GridPulse API', version: '0.1.0', description: 'Health, metrics, the meter registry, alerts (history, lifecycle, suppression windows, delivery channels) and the production index. Writes need a bearer token: roles viewer < analyst < admin.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const verifiers: TokenVerifier[] = [staticTokenVerifier(deps.token)];
  const store = deps.alerts?.store;
  if (store) {
    verifiers.push((t) => {
      const p = store.verifyToken(t);
      return p && (ROLES as readonly string[]).includes(p.role) ? { name: p.name, role: p.role as Role } : undefined;
    });
  }
  const tickets = new StreamTickets();
  app.addHook('onRequest', authHook(verifiers, { ...(deps.authReads ? { readRole: 'viewer' as const } : {}), tickets }));
  if (store) {
    // Every write is audited: who (token name), what, and the answer it got.
    app.addHook('onResponse', async (req, reply) => {
      if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
      try {
        store.audit({ at: Date.now(), actor: req.principal?.name ?? 'anonymous', role: req.principal?.role ?? 'none', method: req.method, path: req.url.slice(0, 500), status: reply.statusCode });
      } catch (err) {
        deps.logger?.error({ err: (err as Error).message }, 'audit entry not written');
      }
    });
  }

  app.setErrorHandler((err: FastifyError | Error, _req, reply) => {
    if (err instanceof RegistryError) return reply.code(400).send({ code: 'invalid_registry', message: err.message });
    if (err instanceof ZodError) return reply.code(400).send({ code: 'invalid_request', message: err.issues.map((i) => `body/${i.path.join('/')}: ${i.message}`).join('; ') });
    if (err instanceof HandError) return reply.code(err.code === 'not_found' ? 404 : 409).send({ code: err.code, message: err.message });
    if (err instanceof StoreError) return reply.code(400).send({ code: err.code, message: err.message });
    const fe = err as FastifyError & { validation?: unknown };
    if (fe.validation) return reply.code(400).send({ code: 'invalid_request', message: fe.message });
    const known = fe.code ? CLIENT_ERRORS[fe.code] : undefined;
    if (known) return reply.code(known[0]).send({ code: known[1], message: fe.message });
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return reply.code(fe.statusCode).send({ code: 'bad_request', message: fe.message });
    deps.logger?.error({ err: err.message, stack: err.stack }, 'HTTP handler failed');
    return reply.code(500).send({ code: 'internal', message: 'internal error (logged)' });
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes, { readiness: deps.readiness, metrics: deps.metrics });
  await app.register(registryRoutes, { registry: deps.registry, ...(deps.meterData ? { meterData: deps.meterData } : {}) });
  if (deps.alerts) await app.register(alertRoutes, { alerts: deps.alerts });
  await app.register(productionIndexRoutes, { points: deps.productionIndex ?? (() => []) });
  if (deps.console) await app.register(consolePlugin, { ...deps.console, registry: deps.registry, metrics: deps.metrics, readiness: deps.readiness, token: deps.token, tickets });
  return app;
}
