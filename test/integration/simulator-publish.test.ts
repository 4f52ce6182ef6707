import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCity, quietScenario, simulate } from '../../simulator/index.js';
import { publish } from '../../simulator/publish.js';
import { verifyPassword } from '../../src/registry/password.js';
import { readingSchema } from '../../src/schemas/reading.js';

/**
 * The publisher against a real MQTT broker (Aedes) that enforces the pipeline's contract: per-gateway
 * credentials, the readings topic, single or batched payloads, rejects on gridpulse/v1/<gw>/rejects.
 */
describe('simulator publisher over MQTT', () => {
  const start = '2025-03-03T00:00:00+08:00';
  const city = buildCity({ seed: 9, enterprises: 60, start, metersPerGateway: 6 });
  const hashes = new Map(city.registry.gateways.map((g) => [g.id, g.passwordHash]));
  const meterGw = new Map(city.registry.meters.map((m) => [m.id, m.gateway]));
  let broker: Aedes;
  let server: Server;
  let url = '';
  const seen = { valid: 0, rejected: 0, messages: 0, badAuth: 0, keys: new Set<string>(), clock: () => Date.now(), maxAheadMs: -Infinity };

  beforeAll(async () => {
    broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const h = hashes.get(username ?? '');
        if (!h || client.id !== username || !password) { seen.badAuth++; return done(Object.assign(new Error('bad credentials'), { returnCode: 4 as const }), false); }
        verifyPassword(password.toString(), h).then((ok) => { if (!ok) seen.badAuth++; done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 as const }), ok); });
      },
      authorizePublish: (client, packet, done) => {
        const gw = client?.id ?? '';
        if (packet.topic !== `gridpulse/v1/${gw}/readings`) return done(new Error('topic not allowed'));
        seen.messages++;
        const rejects: { code: string; message: string; index?: number }[] = [];
        let body: unknown;
        try { body = JSON.parse(packet.payload.toString()); } catch { rejects.push({ code: 'invalid_json', message: 'not JSON' }); }
        if (body !== undefined) {
          const list = (body as { readings?: unknown[] }).readings ?? [body];
          list.forEach((r, index) => {
            const p = readingSchema.safeParse(r);
            if (!p.success) rejects.push({ code: 'invalid_reading', message: p.error.message.slice(0, 80), index });
            else if (!meterGw.has(p.data.meter)) rejects.push({ code: 'unknown_meter', message: p.data.meter, index });
            else if (meterGw.get(p.data.meter) !== gw) rejects.push({ code: 'meter_not_on_gateway', message: p.data.meter, index });
            else { seen.valid++; seen.keys.add(`${p.data.meter}@${p.data.ts}`); seen.maxAheadMs = Math.max(seen.maxAheadMs, p.data.ts - seen.clock()); }
          });
        }
        seen.rejected += rejects.length;
        if (rejects.length > 0) broker.publish({ cmd: 'publish', topic: `gridpulse/v1/${gw}/rejects`, payload: Buffer.from(JSON.stringify({ rejects })), qos: 0, retain: false, dup: false }, () => {});
        done(null);
      },
    });
    server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('connects every gateway with its credentials, publishes batches at QoS 1 and counts acks and rejects', async () => {
    const gw = city.registry.gateways[1]!.id;
    const scenario = quietScenario({ incidents: [{ kind: 'transport_malformed', target: gw, start: '2025-03-03T06:00:00+08:00', hours: 24, magnitude: 0.3 }] });
    const sim = simulate(city, { start, days: 2, scenario });
    const summary = await publish(city, sim, { url, qos: 1, single: false, rate: 0, mode: 'accelerated', speed: 0 });
    expect(summary.connected).toBe(city.registry.gateways.length);
    expect(summary.connectFailed).toBe(0);
    expect(seen.badAuth).toBe(0);
    expect(summary.readingsSent).toBe(sim.stats.readings);
    expect(summary.messagesAcked).toBe(summary.messages);
    expect(summary.readingsAcked).toBe(summary.readingsSent);
    expect(seen.valid + seen.rejected).toBeGreaterThanOrEqual(summary.readingsSent);
    expect(summary.rejected).toBe(seen.rejected);
    expect(summary.rejected).toBeGreaterThan(10);
    expect(summary.rejected).toBeLessThanOrEqual(sim.stats.malformed + sim.stats.rawMalformed);
    expect(seen.keys.size).toBeGreaterThan(city.registry.meters.length * 96 * 2 * 0.95);
  }, 60_000);

  it('single-reading messages at QoS 0 with a rate limit', async () => {
    const before = seen.messages;
    const sim = simulate(city, { start, days: 0.25, scenario: undefined });
    const t0 = Date.now();
    const summary = await publish(city, sim, { url, qos: 0, single: true, rate: 200, mode: 'accelerated', speed: 0, connections: 3 });
    const secs = (Date.now() - t0) / 1000;
    expect(summary.connected).toBe(3);
    expect(summary.messages).toBe(summary.readingsSent);
    expect(summary.skippedReadings).toBeGreaterThan(0);
    expect(seen.messages - before).toBe(summary.messages);
    // 200 msgs/s: the run takes at least (messages − one second's burst) / 200 seconds.
    expect(summary.messages).toBeGreaterThan(300);
    expect(secs).toBeGreaterThanOrEqual((summary.messages - 200) / 200 - 0.2);
  }, 60_000);

  it('counts a gateway that cannot log in as failed and skips its readings', async () => {
    const bad = { ...city, credentials: { ...city.credentials, [city.registry.gateways[0]!.id]: 'wrong' } };
    const sim = simulate(bad, { start, days: 1 / 24, scenario: undefined });
    const summary = await publish(bad, sim, { url, qos: 1, single: false, rate: 0, mode: 'accelerated', speed: 0, connectTimeoutMs: 2000, reconnectPeriodMs: 60_000 });
    expect(summary.connectFailed).toBe(1);
    expect(summary.skippedReadings).toBeGreaterThan(0);
  }, 60_000);

  it('rides out a broker restart: gateways reconnect and every QoS 1 reading is acknowledged', async () => {
    const keys = new Set<string>();
    const makeBroker = () => Aedes.createBroker({
      authenticate: (_c, username, password, done) => {
        verifyPassword(password?.toString() ?? '', hashes.get(username ?? '') ?? 'x').then((ok) => done(null, ok), () => done(null, false));
      },
      authorizePublish: (_c, packet, done) => {
        const body = JSON.parse(packet.payload.toString()) as { readings: { meter: string; ts: number }[] };
        for (const r of body.readings) keys.add(`${r.meter}@${r.ts}`);
        done(null);
      },
    });
    let b1 = await makeBroker();
    let s1 = createServer(b1.handle);
    await new Promise<void>((r) => s1.listen(0, '127.0.0.1', r));
    const port = (s1.address() as AddressInfo).port;
    const sim = simulate(city, { start, days: 1, scenario: quietScenario({ meterReplacements: 0 }) });
    // A day in ~4 s of wall time; the broker goes away for a second in the middle.
    const run = publish(city, sim, { url: `mqtt://127.0.0.1:${port}`, qos: 1, single: false, rate: 0, mode: 'accelerated', speed: 86_400 / 4, reconnectPeriodMs: 300 });
    await new Promise((r) => setTimeout(r, 1500));
    await new Promise<void>((r) => b1.close(() => r()));
    await new Promise<void>((r) => s1.close(() => r()));
    await new Promise((r) => setTimeout(r, 1000));
    b1 = await makeBroker();
    s1 = createServer(b1.handle);
    await new Promise<void>((r) => s1.listen(port, '127.0.0.1', r));
    const summary = await run;
    await new Promise<void>((r) => b1.close(() => r()));
    await new Promise<void>((r) => s1.close(() => r()));
    expect(summary.reconnects).toBeGreaterThanOrEqual(city.registry.gateways.length);
    expect(summary.readingsAcked).toBe(summary.readingsSent);
    expect(summary.publishErrors).toBe(0);
    expect(keys.size).toBe(sim.stats.readings);
  }, 60_000);

  it('--catch-up: sends the history at once, then holds at the wall clock: no reading ever ahead of it', async () => {
    // A wall clock running 3,600× real time (an hour a second), shared by the publisher and the broker.
    const t0 = Date.now();
    const clockStart = Date.parse('2025-03-03T10:00:00+08:00');
    const clock = () => clockStart + (Date.now() - t0) * 3600;
    seen.clock = clock;
    seen.maxAheadMs = -Infinity;
    const sim = simulate(city, { start: '2025-03-03T08:00:00+08:00', days: 0.25, scenario: quietScenario() });
    let liveAfterS: number | undefined;
    const started = performance.now();
    const summary = await publish(city, sim, {
      url, qos: 1, single: false, rate: 0, mode: 'accelerated', speed: 0, holdAtWallClock: true, now: clock,
      onProgress: (p) => { if (p.live && liveAfterS === undefined) liveAfterS = (performance.now() - started) / 1000; },
    });
    seen.clock = () => Date.now();
    expect(summary.readingsAcked).toBe(summary.readingsSent);
    expect(summary.readingsSent).toBe(sim.stats.readings);
    // The 2 hours of history went at once; then it waited for the (fast) wall clock.
    expect(liveAfterS).toBeDefined();
    expect(liveAfterS!).toBeLessThan(1.5);
    expect(seen.maxAheadMs).toBeLessThanOrEqual(0);
    expect(seen.maxAheadMs).toBeGreaterThan(-15 * 60_000 * 2);
  });
});
