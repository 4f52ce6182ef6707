import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import mqtt from 'mqtt';
import { makeCity, startTestPipeline, waitFor, type TestPipeline } from '../support/pipeline.js';
import { alertUpdate } from '../support/alerts.js';

const TOKEN = 'test-token-0123456789';

/** Issue 8 items 6 and 7 and the smaller API gaps, against the real pipeline over real sockets. */
describe('HTTP hardening', () => {
  const city = makeCity(2, 1);
  let p: TestPipeline;
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);

  beforeAll(async () => {
    process.on('warning', onWarning);
    p = await startTestPipeline({ city, influx: 'none', overrides: { 'http.sseMaxBufferedBytes': 64 * 1024, 'http.sseMaxStallMs': 300 } });
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await p?.stop();
  });

  const put = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${p.httpUrl}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body });

  it('checks the token before reading the body: no token and a malformed body is 401, not a parse error', async () => {
    const r = await put('/api/v1/meters/m-x', '{"enterprise": ', {});
    expect(r.status).toBe(401);
    expect((await r.json() as { code: string; message: string }).code).toBe('unauthorized');
  });

  it('answers a huge body without a token with 401 and never reads it', async () => {
    // Announce 200 MB and send only the headers: the answer must come without the server waiting for the body.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${p.httpUrl}/api/v1/meters/m-x`, { method: 'PUT', headers: { 'content-type': 'application/json', 'content-length': String(200 * 1024 * 1024) } }, (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        req.destroy();
      });
      req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
      req.flushHeaders();
    });
    expect(status).toBe(401);
  });

  it('caps bodies at http.bodyLimitBytes (413) and answers malformed JSON with 400 invalid_json', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const big = await put('/api/v1/meters/m-x', JSON.stringify({ enterprise: 'ent0000', gateway: 'gw0000', pad: 'x'.repeat(100_000) }), auth);
    expect(big.status).toBe(413);
    expect((await big.json() as { code: string; message: string }).code).toBe('body_too_large');
    const bad = await put('/api/v1/meters/m-x', '{"enterprise": ', auth);
    expect(bad.status).toBe(400);
    expect((await bad.json() as { code: string; message: string }).code).toBe('invalid_json');
    const zod = await put('/api/v1/gateways/gw-z', JSON.stringify({ password: 'short' }), auth);
    expect(zod.status).toBe(400);
    expect((await zod.json() as { code: string; message: string }).code).toBe('invalid_request');
  });

  it('refuses `..` as an id in a path', async () => {
    // fetch would resolve %2e%2e as `..`; node:http sends the path as it is.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: p.pipeline.ports.http, path: '/api/v1/meters/%2e%2e', method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ enterprise: 'ent0000', gateway: 'gw0000' }));
    });
    expect(status).toBe(400);
    expect(p.pipeline.registry.tagsFor('..')).toBeUndefined();
  });

  it('serves the OpenAPI UI at /docs', async () => {
    const r = await fetch(`${p.httpUrl}/docs/`, { redirect: 'follow' });
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('swagger');
  });

  it('deletes a gateway (it can no longer log in) and an enterprise, refusing while meters belong to them', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const del = (path: string) => fetch(`${p.httpUrl}${path}`, { method: 'DELETE', headers: auth });
    expect((await del('/api/v1/gateways/gw0001')).status).toBe(409);
    expect((await del('/api/v1/enterprises/ent0001')).status).toBe(409);
    expect((await del('/api/v1/meters/m0001000')).status).toBe(204);
    expect((await del('/api/v1/gateways/gw0001')).status).toBe(204);
    expect((await del('/api/v1/gateways/gw0001')).status).toBe(404);
    expect((await del('/api/v1/enterprises/ent0001')).status).toBe(204);
    expect(p.pipeline.registry.enterprise('ent0001')).toBeUndefined();
    const c = mqtt.connect(p.mqttUrl, { clientId: 'gw0001', username: 'gw0001', password: city.passwords.gw0001, reconnectPeriod: 0 });
    const err = await new Promise<Error>((resolve) => c.once('error', resolve));
    c.end(true);
    expect(err.message).toMatch(/Not authorized|Bad username or password/i);
  });

  it('serves many SSE clients without MaxListenersExceededWarning, and drops a client that does not read', async () => {
    const alerts = p.pipeline.alerts!;
    const streams = await Promise.all(Array.from({ length: 15 }, async () => {
      const ac = new AbortController();
      const res = await fetch(`${p.httpUrl}/api/v1/alerts/stream`, { signal: ac.signal });
      return { ac, res };
    }));
    await waitFor(async () => alerts.sse.size >= 15, 5000, '15 SSE clients');

    // A client that connects and never reads: its socket buffer fills and it is dropped.
    const slow: Socket = connect(p.pipeline.ports.http, '127.0.0.1');
    slow.pause();
    slow.write('GET /api/v1/alerts/stream HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitFor(async () => alerts.sse.size >= 16, 5000, 'slow SSE client');
    const evidence = { detectedAtTs: Date.now(), intervals: 4, reason: 'x'.repeat(20_000) };
    for (let i = 0; i < 200 && alerts.sse.size >= 16; i++) {
      alerts.lifecycle.apply(alertUpdate(i === 0 ? 'opened' : 'updated', { id: 'flood-1', entity: 'ent0000', dropPct: 50 + (i % 40), evidence }));
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(async () => (await fetch(`${p.httpUrl}/metrics`).then((r) => r.text())).match(/gridpulse_sse_dropped_total\{reason="(buffer|stall)"\} [1-9]/), 10_000, 'slow client dropped');
    expect(slow.destroyed || slow.readableEnded || alerts.sse.size === 15).toBe(true);
    for (const s of streams) s.ac.abort();
    slow.destroy();
    expect(warnings.filter((w) => w.includes('MaxListeners'))).toEqual([]);
  });
});
