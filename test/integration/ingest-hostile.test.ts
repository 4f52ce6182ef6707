import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt, { MqttClient, type IClientOptions } from 'mqtt';
import { hashPassword } from '../../src/registry/index.js';
import { makeCity, startTestPipeline, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';

const run = promisify(execFile);

/** A connection from a chosen loopback source address (all of 127/8 is loopback on Linux). */
function connectFrom(localAddress: string, port: number, opts: IClientOptions): Promise<MqttClient> {
  const c = new MqttClient(() => createConnection({ host: '127.0.0.1', port, localAddress }), { protocolVersion: 4, reconnectPeriod: 0, ...opts });
  return new Promise((res, rej) => {
    c.once('connect', () => res(c));
    c.once('error', (err) => {
      c.end(true);
      rej(err);
    });
  });
}

async function metric(p: TestPipeline, re: RegExp): Promise<number> {
  const text = await (await fetch(`${p.httpUrl}/metrics`)).text();
  const m = re.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('ingest under hostile clients (issue 8)', () => {
  const city = makeCity(3, 4);
  city.registry.gateways!.push({ id: 'reader', passwordHash: hashPassword('reader-password-1', { N: 1024 }), role: 'consumer' });
  city.passwords.reader = 'reader-password-1';
  const influx = testInflux();
  let p: TestPipeline;
  const port = () => p.pipeline.ports.mqtt;

  beforeAll(async () => {
    p = await startTestPipeline({ city, influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token } });
    await waitFor(async () => p.pipeline.readiness().ready, 20_000, 'pipeline ready');
  });
  afterAll(async () => p?.stop());

  it('answers a deeply nested batch item with too_deep, stores its good neighbours, and keeps the connection', async () => {
    const client = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000', username: 'gw0000', password: city.passwords.gw0000, reconnectPeriod: 0 });
    await client.subscribeAsync('gridpulse/v1/gw0000/rejects', { qos: 1 });
    const got = new Promise<string>((res) => client.once('message', (_t, m) => res(m.toString())));
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    await client.publishAsync('gridpulse/v1/gw0000/readings', `{"readings":[${deep}]}`, { qos: 1 });
    const answer = JSON.parse(await got) as { rejects: { code: string; message: string }[] };
    expect(answer.rejects[0]!.code).toBe('too_deep');
    // The connection and the process live on: a good reading is still stored.
    await client.publishAsync('gridpulse/v1/gw0000/readings', JSON.stringify({ meter: 'm0000001', ts: Date.now(), energyKwh: 5 }), { qos: 1 });
    expect(client.connected).toBe(true);
    await client.endAsync();
    await waitFor(async () => (await influx.client.query(`SELECT * FROM reading WHERE meter = 'm0000001'`)).length === 1, 20_000, 'the good reading');
  });

  it('refuses a client id that belongs to another account (CONNACK 5) and leaves the real session alone', async () => {
    const real = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0001', username: 'gw0001', password: city.passwords.gw0001, reconnectPeriod: 0 });
    let closed = false;
    real.on('close', () => (closed = true));
    for (const [user, clientId] of [['gw0002', 'gw0001'], ['reader', 'gw0001'], ['gw0002', 'gw0001-x'], ['gw0002', 'nobody']] as const) {
      await expect(mqtt.connectAsync(p.mqttUrl, { clientId, username: user, password: city.passwords[user], reconnectPeriod: 0 }), `${user} as ${clientId}`)
        .rejects.toThrow(/Not authorized/i);
    }
    // The real gateway's PUBACK still comes on the same connection.
    await real.publishAsync('gridpulse/v1/gw0001/readings', JSON.stringify({ meter: 'm0001000', ts: Date.now(), energyKwh: 1 }), { qos: 1 });
    expect(closed).toBe(false);
    // Its own suffixed ids work (gateway id, then a separator).
    const second = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0001-rejects', username: 'gw0001', password: city.passwords.gw0001, reconnectPeriod: 0 });
    await second.endAsync();
    await real.endAsync();
    expect(await metric(p, /gridpulse_mqtt_connections_refused_total\{reason="client_id_not_owned"\} (\d+)/)).toBe(4);
  });

  it('bad passwords from one address do not lock out the gateway connecting from another; the guessing address is locked out', async () => {
    for (let i = 0; i < 8; i++) {
      await connectFrom('127.0.0.2', port(), { clientId: `gw0002-g${i}`, username: 'gw0002', password: `guess-${i}` }).then((c) => c.end(true), () => undefined);
    }
    await expect(connectFrom('127.0.0.2', port(), { clientId: 'gw0002', username: 'gw0002', password: city.passwords.gw0002 })).rejects.toThrow(/Not authorized/i);
    const real = await connectFrom('127.0.0.3', port(), { clientId: 'gw0002', username: 'gw0002', password: city.passwords.gw0002 });
    expect(real.connected).toBe(true);
    real.end(true);
  });

  it('grants SUBACK 0x80 for a refused subscription and keeps the connection', async () => {
    const c = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000-sub', username: 'gw0000', password: city.passwords.gw0000, reconnectPeriod: 0 });
    let closed = false;
    c.on('close', () => (closed = true));
    // mqtt.js reports a 0x80 in the SUBACK as an error carrying the packet.
    const suback = await c.subscribeAsync(['gridpulse/v1/gw0001/rejects', 'gridpulse/v1/gw0000/rejects'], { qos: 1 }).then(
      () => undefined, (err: { packet?: { granted?: unknown[] } }) => err.packet);
    expect(suback?.granted).toEqual([128, 1]);
    await c.publishAsync('gridpulse/v1/gw0000/status', 'ok', { qos: 1 });
    expect(closed).toBe(false);
    await c.endAsync();
  });

  it('closes a connection announcing a 64 MB publish before buffering it, counts it, and lives', async () => {
    const c = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000-big', username: 'gw0000', password: city.passwords.gw0000, reconnectPeriod: 0 });
    c.on('error', () => undefined);
    const sock = c.stream as unknown as import('node:net').Socket;
    sock.on('error', () => undefined);
    const total = 64 * 1024 * 1024;
    const topic = Buffer.from('gridpulse/v1/gw0000/readings');
    const remaining = 2 + topic.length + 2 + total;
    const len: number[] = [];
    for (let x = remaining; ; ) {
      let b = x % 128;
      x = Math.floor(x / 128);
      if (x > 0) b |= 0x80;
      len.push(b);
      if (x === 0) break;
    }
    const head = Buffer.concat([Buffer.from([0x32, ...len]), Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, Buffer.from([0, 1])]);
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 5);
    const closed = new Promise<void>((res) => sock.once('close', () => res()));
    let sent = 0;
    sock.write(head);
    while (sent < total && !sock.destroyed) {
      sent += chunk.length;
      if (!sock.write(chunk)) await Promise.race([new Promise((r) => sock.once('drain', r)), closed]);
    }
    await closed;
    clearInterval(sample);
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    console.log(`oversized publish: ${sent / 1024 / 1024} MiB written before the close; broker-side buffers grew by ${((peak - before) / 1024 / 1024).toFixed(1)} MiB`);
    expect(peak - before).toBeLessThan(16 * 1024 * 1024);
    expect(await metric(p, /gridpulse_mqtt_oversized_packets_total (\d+)/)).toBe(1);
    expect(p.pipeline.readiness().ready).toBe(true);
    c.end(true);
  });

  it('closes a connection whose first packet announces more than 64 KiB, before any credentials are checked', async () => {
    const before = await metric(p, /gridpulse_mqtt_oversized_packets_total (\d+)/);
    const sock = createConnection({ host: '127.0.0.1', port: port() });
    sock.on('error', () => undefined);
    const closed = new Promise<void>((res) => sock.once('close', () => res()));
    // CONNECT, remaining length 1 MiB (varint 0x80 0x80 0x40), then a little of it.
    sock.write(Buffer.concat([Buffer.from([0x10, 0x80, 0x80, 0x40]), Buffer.alloc(1024)]));
    await closed;
    expect(await metric(p, /gridpulse_mqtt_oversized_packets_total (\d+)/)).toBe(before + 1);
  });

  it('refuses reserved and dot ids through the API with 400', async () => {
    // curl, with --path-as-is: fetch() would resolve %2e%2e as a dot segment before sending it.
    const put = async (path: string, body: object) => {
      const { stdout } = await run('curl', ['-s', '--path-as-is', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '-H', 'authorization: Bearer test-token-0123456789',
        '-H', 'content-type: application/json', '-d', JSON.stringify(body), `${p.httpUrl}${path}`]);
      return Number(stdout);
    };
    for (const id of ['alerts', 'gridpulse', 'v1', '%2e%2e', '.hidden']) {
      expect(await put(`/api/v1/gateways/${id}`, { password: 'a-new-gateway-pw' }), id).toBe(400);
    }
    expect(await put('/api/v1/meters/%2e%2e', { enterprise: 'ent0000', gateway: 'gw0000' })).toBe(400);
    expect(p.pipeline.registry.tagsFor('..')).toBeUndefined();
  });
});
