import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { makeCity, startTestPipeline, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';

const run = promisify(execFile);
const TOKEN = 'test-token-0123456789';

describe('HTTP API (curl against the real pipeline)', () => {
  const city = makeCity(1, 2);
  const influx = testInflux();
  let p: TestPipeline;
  const curl = async (...args: string[]) => {
    const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args]);
    const i = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) };
  };

  beforeAll(async () => {
    p = await startTestPipeline({ city, influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token } });
    await waitFor(async () => p.pipeline.readiness().ready, 20_000, 'ready');
  });
  afterAll(async () => p?.stop());

  it('answers /healthz and /readyz with what it checked', async () => {
    expect((await curl(`${p.httpUrl}/healthz`)).status).toBe(200);
    const r = await curl(`${p.httpUrl}/readyz`);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body);
    expect(body.ready).toBe(true);
    expect(body.checks.influx.connected).toBe(true);
    expect(body.checks.broker.listening.tcp).toBe(p.pipeline.ports.mqtt);
    expect(body.checks.spool).toHaveProperty('depthLines');
  });

  it('exports Prometheus metrics for connections, readings, spool and writes', async () => {
    const c = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000', username: 'gw0000', password: city.passwords.gw0000 });
    await c.publishAsync('gridpulse/v1/gw0000/readings', JSON.stringify({ meter: 'm0000000', ts: Date.now(), energyKwh: 3 }), { qos: 1 });
    await waitFor(async () => (await fetch(`${p.httpUrl}/metrics`).then((r) => r.text())).includes('gridpulse_influx_write_lines_total 1'), 20_000, 'write confirmed');
    const m = (await curl(`${p.httpUrl}/metrics`)).body;
    await c.endAsync();
    for (const name of ['gridpulse_mqtt_connections 1', 'gridpulse_readings_accepted_total 1', 'gridpulse_spool_depth_readings', 'gridpulse_spool_depth_bytes',
      'gridpulse_influx_write_batches_total', 'gridpulse_influx_write_duration_seconds_bucket', 'gridpulse_influx_errors_total', 'gridpulse_readings_rejected_total']) {
      expect(m).toContain(name);
    }
  });

  it('serves an OpenAPI document listing the routes', async () => {
    const doc = JSON.parse((await curl(`${p.httpUrl}/openapi.json`)).body);
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/metrics', '/api/v1/meters/{id}', '/api/v1/gateways/{id}', '/api/v1/alerts']));
  });

  it('refuses registry writes without the bearer token, and with a wrong one', async () => {
    const body = JSON.stringify({ enterprise: 'ent0000', gateway: 'gw0000', ctMultiplier: 40 });
    expect((await curl('-X', 'PUT', '-H', 'content-type: application/json', '-d', body, `${p.httpUrl}/api/v1/meters/new-meter`)).status).toBe(401);
    expect((await curl('-X', 'PUT', '-H', 'authorization: Bearer nope-nope-nope-nope', '-H', 'content-type: application/json', '-d', body, `${p.httpUrl}/api/v1/meters/new-meter`)).status).toBe(401);
  });

  it('adds a meter over the API: readings of it are then accepted with its tags, and the file is saved', async () => {
    const auth = ['-H', `authorization: Bearer ${TOKEN}`, '-H', 'content-type: application/json'];
    const bad = await curl('-X', 'PUT', ...auth, '-d', JSON.stringify({ enterprise: 'nope', gateway: 'gw0000' }), `${p.httpUrl}/api/v1/meters/new-meter`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toMatch(/unknown enterprise nope/);
    const ok = await curl('-X', 'PUT', ...auth, '-d', JSON.stringify({ enterprise: 'ent0000', gateway: 'gw0000', ctMultiplier: 40 }), `${p.httpUrl}/api/v1/meters/new-meter`);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ meter: 'new-meter', enterprise: 'ent0000', ctMultiplier: 40 });
    const saved = JSON.parse(readFileSync(join(p.dataDir, 'registry.json'), 'utf8'));
    expect(saved.meters.map((m: { id: string }) => m.id)).toContain('new-meter');

    const ts = Date.now() - 60_000;
    const c = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000-b', username: 'gw0000', password: city.passwords.gw0000 });
    await c.publishAsync('gridpulse/v1/gw0000/readings', JSON.stringify({ meter: 'new-meter', ts, energyKwh: 2 }), { qos: 1 });
    await c.endAsync();
    const rows = await waitFor(async () => {
      const r = await influx.client.query(`SELECT energy_kwh FROM reading WHERE meter = 'new-meter'`);
      return r.length ? r : undefined;
    }, 20_000, 'new meter stored');
    expect(rows[0]!.energy_kwh).toBe(80);
  });

  it('creates a gateway with a password that then logs in over MQTT', async () => {
    const auth = ['-H', `authorization: Bearer ${TOKEN}`, '-H', 'content-type: application/json'];
    const r = await curl('-X', 'PUT', ...auth, '-d', JSON.stringify({ password: 'a-new-gateway-pw' }), `${p.httpUrl}/api/v1/gateways/gw-new`);
    expect(r.status).toBe(200);
    const c = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw-new', username: 'gw-new', password: 'a-new-gateway-pw', reconnectPeriod: 0 });
    expect(c.connected).toBe(true);
    await c.endAsync();
  });
});
