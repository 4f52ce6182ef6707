import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { enterpriseSchema, meterSchema, hashPassword, type Registry } from '../registry/index.js';
import { errorSchema, idParams, secured, toSchema } from './schemas.js';
import type { CoarseMeter, MeterLearning } from '../../analytics/index.js';

const gatewayBody = z.object({ password: z.string().min(8).max(256), enterprise: z.string().max(128).optional(), role: z.enum(['gateway', 'consumer']).optional() }).strict();
const notFound = (what: string, id: string) => ({ code: 'not_found', message: `${what} ${id} not found` });
const admin = { role: 'admin' as const };
const tags = ['registry'];

/** The meter registry: enterprises, gateways, meters. Reads open (or viewer), writes admin. */
/** What the analyzer sees of a meter's data (absent when the analyzer is off). */
export type MeterDataView = (meter: string) => { intervalMs: number; coarse?: CoarseMeter; learning?: MeterLearning; neededIntervals: number };

/**
 * A meter's `analytics` entry: the analyzer's interval; its learning state (intervals with data seen and
 * needed; judged or not; when learning, when judging would start if data keeps coming); and, when the
 * meter's data is coarser, its spacing (the interval it is judged at) and since when.
 */
function analyticsEntry(view: ReturnType<MeterDataView>) {
  const { intervalMs, coarse, learning: l } = view;
  const observed = l?.observedIntervals ?? 0, needed = l?.neededIntervals ?? view.neededIntervals;
  const learning = l === undefined || observed < needed || l.enterpriseLearning;
  // Each interval with data is one observation: the rest of the period at one per interval, from its newest data.
  const judgedFromEstimate = learning && l?.lastDataTs != null ? new Date(l.lastDataTs + Math.max(0, needed - observed) * intervalMs).toISOString() : null;
  return {
    intervalMinutes: intervalMs / 60_000,
    learning, observedIntervals: observed, neededIntervals: needed,
    ...(l?.enterpriseLearning && observed >= needed ? { learningNote: 'this meter has learned; its enterprise waits for another of its meters still learning' } : {}),
    judgedFromEstimate,
    coarse: coarse !== undefined,
    ...(coarse ? {
      spacingMinutes: coarse.spacingMs / 60_000,
      coarseSince: new Date(coarse.sinceTs).toISOString(),
      note: `readings every ${coarse.spacingMs / 60_000} min, coarser than the analyzer's ${intervalMs / 60_000}-minute interval: judged at its own interval, each reading's consumption spread evenly over the ${intervalMs / 60_000}-minute intervals since its previous one (alerts up to ${coarse.spacingMs / 60_000} min later)`,
    } : {}),
  };
}

export const registryRoutes: FastifyPluginAsync<{ registry: Registry; meterData?: MeterDataView }> = async (app, { registry: reg, meterData }) => {
  app.get('/api/v1/registry', { schema: { summary: 'Registry counts', tags } }, async () => reg.counts());
  app.get('/api/v1/registry/export', { config: admin, schema: { summary: 'The whole registry (password hashes included)', tags, security: secured } }, async () => reg.snapshot());

  app.get('/api/v1/enterprises', { schema: { summary: 'List enterprises', tags, querystring: { type: 'object', properties: { county: { type: 'string', maxLength: 128 }, chain: { type: 'string', maxLength: 128 } }, additionalProperties: false } } },
    async (req) => {
      const q = req.query as { county?: string; chain?: string };
      return reg.snapshot().enterprises.filter((e) => (!q.county || e.county === q.county) && (!q.chain || e.chains.includes(q.chain)));
    });
  app.get('/api/v1/enterprises/:id', { schema: { summary: 'One enterprise with its meters', tags, params: idParams, response: { 404: errorSchema } } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const e = reg.enterprise(id);
    if (!e) return reply.code(404).send(notFound('enterprise', id));
    return { ...e, meters: reg.snapshot().meters.filter((m) => m.enterprise === id) };
  });
  app.put('/api/v1/enterprises/:id', { config: admin, schema: { summary: 'Create or replace an enterprise', tags, params: idParams, body: toSchema(enterpriseSchema.omit({ id: true })), security: secured } }, async (req) => {
    const { id } = req.params as { id: string };
    reg.upsert({ enterprises: [{ ...(req.body as object), id }] });
    return reg.enterprise(id);
  });
  app.delete('/api/v1/enterprises/:id', { config: admin, schema: { summary: 'Remove an enterprise (409 while meters or gateways belong to it)', tags, params: idParams, security: secured, response: { 204: { type: 'null' }, 404: errorSchema, 409: errorSchema } } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!reg.enterprise(id)) return reply.code(404).send(notFound('enterprise', id));
    const snap = reg.snapshot();
    const meters = snap.meters.filter((m) => m.enterprise === id).length;
    const gateways = snap.gateways.filter((g) => g.enterprise === id).length;
    const suppliedTo = snap.enterprises.filter((e) => e.suppliers.includes(id)).length;
    if (meters || gateways || suppliedTo) {
      return reply.code(409).send({ code: 'in_use', message: `enterprise ${id} still has ${meters} meter(s), ${gateways} gateway(s) and is a supplier of ${suppliedTo} enterprise(s); remove or move those first` });
    }
    reg.remove('enterprises', id);
    return reply.code(204).send();
  });

  app.get('/api/v1/meters/:id', { schema: { summary: "One meter, the tags its readings are stored under and, with the analyzer on, `analytics`: the analyzer's interval, its learning state (learning, observedIntervals of neededIntervals, judgedFromEstimate) and whether the meter's data is coarser (spacing: the interval it is judged at, since when)", tags, params: idParams, response: { 404: errorSchema } } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const t = reg.tagsFor(id);
    if (!t) return reply.code(404).send(notFound('meter', id));
    return meterData ? { ...t, analytics: analyticsEntry(meterData(id)) } : t;
  });
  app.put('/api/v1/meters/:id', { config: admin, schema: { summary: 'Create or replace a meter', tags, params: idParams, body: toSchema(meterSchema.omit({ id: true })), security: secured } }, async (req) => {
    const { id } = req.params as { id: string };
    reg.upsert({ meters: [{ ...(req.body as object), id }] });
    return reg.tagsFor(id);
  });
  app.delete('/api/v1/meters/:id', { config: admin, schema: { summary: 'Remove a meter', tags, params: idParams, security: secured, response: { 204: { type: 'null' }, 404: errorSchema } } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    return reg.remove('meters', id) ? reply.code(204).send() : reply.code(404).send(notFound('meter', id));
  });

  app.put('/api/v1/gateways/:id', { config: admin, schema: { summary: 'Create a gateway or set its password (stored as an scrypt hash)', tags, params: idParams, body: toSchema(gatewayBody), security: secured } }, async (req) => {
    const { id } = req.params as { id: string };
    const b = gatewayBody.parse(req.body);
    reg.upsert({ gateways: [{ id, passwordHash: hashPassword(b.password), enterprise: b.enterprise, role: b.role ?? 'gateway' }] });
    return { id, enterprise: b.enterprise, role: b.role ?? 'gateway' };
  });
  app.delete('/api/v1/gateways/:id', { config: admin, schema: { summary: 'Remove a gateway (409 while meters are assigned to it); it can no longer log in', tags, params: idParams, security: secured, response: { 204: { type: 'null' }, 404: errorSchema, 409: errorSchema } } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!reg.gateway(id)) return reply.code(404).send(notFound('gateway', id));
    const meters = reg.snapshot().meters.filter((m) => m.gateway === id).length;
    if (meters) return reply.code(409).send({ code: 'in_use', message: `gateway ${id} still has ${meters} meter(s); remove or move them first` });
    reg.remove('gateways', id);
    return reply.code(204).send();
  });
};
