import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/index.js';
import { createMetrics } from '../../src/metrics.js';
import { Registry } from '../../src/registry/index.js';
import { createAlerts, type AlertsStage } from '../../alerts/index.js';
import { tempDir } from '../support/pipeline.js';

/** http.authReads: reads need a viewer token too; a real fastify app over a real SQLite store (inject, no socket). */
describe('API with http.authReads', () => {
  let app: FastifyInstance;
  let stage: AlertsStage;
  let viewer: string;

  beforeAll(async () => {
    stage = createAlerts({ file: join(tempDir('gridpulse-roles-'), 'a.sqlite'), locale: 'en', flapWindowMs: 0, flapNotifyLimit: 1, retryBaseMs: 50, retryMaxMs: 100, sse: { maxBufferedBytes: 65_536, maxStallMs: 1000 } }, { locate: () => ({}) });
    viewer = stage.store.createToken('viewer-x', 'viewer', Date.now()).token;
    app = await buildApp({ registry: new Registry({}), metrics: createMetrics(), readiness: () => ({ ready: true, reasons: [], checks: {} }), alerts: stage, authReads: true });
  });
  afterAll(async () => {
    await app?.close();
    await stage?.close();
  });

  it('refuses reads without a token, serves them to a viewer, keeps health and docs open', async () => {
    expect((await app.inject({ url: '/api/v1/alerts' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/v1/alerts', headers: { authorization: 'Bearer gp_nope_nope' } })).statusCode).toBe(401);
    const ok = await app.inject({ url: '/api/v1/alerts', headers: { authorization: `Bearer ${viewer}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ alerts: [], next: null });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/openapi.json' })).statusCode).toBe(200);
  });

  it('documents every route in OpenAPI with its schemas and bearer security', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { security?: unknown; requestBody?: unknown; parameters?: { name: string }[] }>> };
    for (const p of ['/api/v1/alerts', '/api/v1/alerts/{id}', '/api/v1/alerts/{id}/ack', '/api/v1/alerts/{id}/resolve', '/api/v1/alerts/stream', '/api/v1/suppressions', '/api/v1/suppressions/{id}', '/api/v1/channels', '/api/v1/audit', '/api/v1/gateways/{id}', '/api/v1/enterprises/{id}']) {
      expect(doc.paths).toHaveProperty([p]);
    }
    expect(doc.paths['/api/v1/alerts/{id}/resolve']!.post!.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/alerts/{id}/resolve']!.post!.requestBody).toBeDefined();
    expect(doc.paths['/api/v1/alerts']!.get!.parameters!.map((x) => x.name)).toEqual(expect.arrayContaining(['state', 'kind', 'county', 'cursor', 'limit']));
    expect(doc.paths['/api/v1/gateways/{id}']).toHaveProperty('delete');
  });
});

describe('start-up with a bad channels file', () => {
  it('stops, naming alerts.channelsFile and the field', async () => {
    const { writeFileSync } = await import('node:fs');
    const { makeCity, startTestPipeline } = await import('../support/pipeline.js');
    const dir = tempDir('gridpulse-badch-');
    writeFileSync(join(dir, 'channels.json'), JSON.stringify({ wecom: [{ name: 'w', url: 'not a url' }] }));
    await expect(startTestPipeline({ city: makeCity(1, 1), influx: 'none', dataDir: dir, overrides: { 'alerts.channelsFile': join(dir, 'channels.json') } }))
      .rejects.toThrow(/invalid config alerts\.channelsFile .*wecom\.0\.url/);
  });
});
