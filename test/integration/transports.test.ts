import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort } from '../../src/storage/managed-influxd.js';
import { makeCity, startTestPipeline, tempDir, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';

describe('MQTT over TLS and WebSocket, and the broker limits', () => {
  const city = makeCity(2, 2);
  const influx = testInflux();
  let p: TestPipeline;
  const certDir = tempDir('gridpulse-tls-');
  const cert = join(certDir, 'cert.pem');
  const key = join(certDir, 'key.pem');

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    p = await startTestPipeline({
      city, influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token },
      overrides: {
        'mqtt.tlsCert': cert, 'mqtt.tlsKey': key, 'mqtt.tlsPort': await freePort(), 'mqtt.wsPort': await freePort(),
        'mqtt.maxPayloadBytes': 2000, 'mqtt.maxMessagesPerSecond': 20, 'mqtt.maxConnections': 3,
      },
    });
  });
  afterAll(async () => p?.stop());

  async function stored(meter: string) {
    return waitFor(async () => (await influx.client.query(`SELECT * FROM reading WHERE meter = '${meter}'`)).length > 0, 20_000, `${meter} stored`);
  }

  it('accepts readings over TLS', async () => {
    const c = await mqtt.connectAsync(`mqtts://127.0.0.1:${p.pipeline.ports.tls}`, { clientId: 'gw0000', username: 'gw0000', password: city.passwords.gw0000, ca: [execFileSync('cat', [cert])], rejectUnauthorized: false });
    await c.publishAsync('gridpulse/v1/gw0000/readings', JSON.stringify({ meter: 'm0000000', ts: Date.now(), energyKwh: 1 }), { qos: 1 });
    await c.endAsync();
    await stored('m0000000');
  });

  it('accepts readings over WebSocket', async () => {
    const c = await mqtt.connectAsync(`ws://127.0.0.1:${p.pipeline.ports.ws}`, { clientId: 'gw0001', username: 'gw0001', password: city.passwords.gw0001 });
    await c.publishAsync('gridpulse/v1/gw0001/readings', JSON.stringify({ meter: 'm0001000', ts: Date.now(), energyKwh: 1 }), { qos: 1 });
    await c.endAsync();
    await stored('m0001000');
  });

  it('rejects a payload over mqtt.maxPayloadBytes with payload_too_large', async () => {
    const c = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000-big', username: 'gw0000', password: city.passwords.gw0000 });
    await c.subscribeAsync('gridpulse/v1/gw0000/rejects', { qos: 1 });
    const answer = new Promise<string>((r) => c.once('message', (_t, m) => r(m.toString())));
    const readings = Array.from({ length: 40 }, (_, i) => ({ meter: 'm0000001', ts: Date.now() - i * 60_000, energyKwh: i }));
    await c.publishAsync('gridpulse/v1/gw0000/readings', JSON.stringify({ readings }), { qos: 1 });
    expect(JSON.parse(await answer).rejects[0].code).toBe('payload_too_large');
    await c.endAsync();
  });

  it('throttles a client above mqtt.maxMessagesPerSecond by delaying PUBACKs, losing nothing', async () => {
    const c = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0001-fast', username: 'gw0001', password: city.passwords.gw0001 });
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 60 }, (_, i) =>
      c.publishAsync('gridpulse/v1/gw0001/readings', JSON.stringify({ meter: 'm0001001', ts: Date.parse('2026-11-01T00:00:00Z') + i * 60_000, energyKwh: i }), { qos: 1 })));
    const took = Date.now() - t0;
    await c.endAsync();
    // 60 messages with a burst of 20 at 20/s take about 2 s.
    expect(took).toBeGreaterThan(1500);
    const m = await (await fetch(`${p.httpUrl}/metrics`)).text();
    expect(Number(/gridpulse_mqtt_rate_limited_total (\d+)/.exec(m)![1])).toBeGreaterThanOrEqual(30);
    await waitFor(async () => (await influx.client.query(`SELECT count(energy_kwh) FROM reading WHERE meter = 'm0001001'`))[0]?.count === 60, 20_000, 'all 60 stored');
  });

  it('refuses connections past mqtt.maxConnections and counts them', async () => {
    const clients = await Promise.all([0, 1, 2].map((i) => mqtt.connectAsync(p.mqttUrl, { clientId: `gw0000-c${i}`, username: 'gw0000', password: city.passwords.gw0000 })));
    const extra = mqtt.connect(p.mqttUrl, { clientId: 'gw0000-c4', username: 'gw0000', password: city.passwords.gw0000, reconnectPeriod: 0, connectTimeout: 3000 });
    extra.on('error', () => undefined);
    await new Promise<void>((r) => extra.once('close', () => r()));
    expect(extra.connected).toBe(false);
    extra.end(true);
    await Promise.all(clients.map((c) => c.endAsync()));
    const m = await (await fetch(`${p.httpUrl}/metrics`)).text();
    expect(m).toMatch(/gridpulse_mqtt_connections_refused_total\{reason="max_connections"\} [1-9]/);
  });
});
