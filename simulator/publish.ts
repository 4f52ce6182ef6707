import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import type { City } from './city.js';
import type { SimBatch, Simulation } from './engine.js';

/**
 * Publishes a simulation over MQTT the way a fleet of gateways would (the pipeline's contract,
 * docs/mqtt.md): one connection per gateway with clientId = username = gateway id and its own
 * password; topic gridpulse/v1/<gateway>/readings; one reading or {"readings":[…]} per message;
 * QoS 0 or 1. Rejects come back on gridpulse/v1/<gateway>/rejects and are counted.
 *
 * Bounds (all explicit): connects in flight (`connectConcurrency`), messages in flight across
 * all connections (`maxInflight`: publishing waits for acks below it), message rate (`rate`).
 */
export interface PublishOptions {
  url: string;
  qos: 0 | 1;
  /** One reading per message instead of batches. */
  single: boolean;
  /** Connect only the first N gateways; batches of the others are counted as skipped. Default: all. */
  connections?: number;
  /** Messages per second across all connections; 0 = unlimited. */
  rate: number;
  /** realtime: send each batch when the wall clock reaches its device time; accelerated: at `speed`× (0 = as fast as possible). */
  mode: 'realtime' | 'accelerated';
  speed: number;
  /** Accelerated mode: never send a batch before the wall clock reaches its device time (catch up, then real time). */
  holdAtWallClock?: boolean;
  /** The wall clock (tests). */
  now?: () => number;
  connectConcurrency?: number;
  maxInflight?: number;
  /** Base reconnect delay; each gateway adds its own jitter so a broker restart is not a thundering herd. */
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  /** Called about every 250 ms (and at the end). */
  onProgress?: (p: PublishProgress) => void;
  log?: (line: string) => void;
}

export interface PublishProgress {
  step: number;
  steps: number;
  messages: number;
  readingsSent: number;
  acked: number;
  rejected: number;
  elapsedS: number;
  /** Device time of the interval being sent (0 before the first). */
  deviceTs?: number;
  /** True once sending waits for the wall clock (real time). */
  live?: boolean;
}

export interface PublishSummary {
  url: string;
  qos: 0 | 1;
  gateways: number;
  connected: number;
  connectFailed: number;
  reconnects: number;
  messages: number;
  readingsSent: number;
  /** Readings in messages the broker acknowledged (QoS 1 PUBACK) or wrote (QoS 0). */
  readingsAcked: number;
  messagesAcked: number;
  rejected: number;
  rejectsByCode: Record<string, number>;
  skippedReadings: number;
  publishErrors: number;
  seconds: number;
  readingsPerSecond: number;
  messagesPerSecond: number;
}

const TOPIC = (gw: string, kind: 'readings' | 'rejects') => `gridpulse/v1/${gw}/${kind}`;

export async function publish(city: City, sim: Simulation, opts: PublishOptions): Promise<PublishSummary> {
  const log = opts.log ?? (() => {});
  // mqtt.js only waits for the PUBACK of a number 1: anything else would silently drop backpressure.
  if (opts.qos !== 0 && opts.qos !== 1) throw new Error(`publish: qos must be the number 0 or 1, got ${JSON.stringify(opts.qos)}`);
  const gateways = city.registry.gateways.map((g) => g.id);
  const nConn = Math.min(gateways.length, opts.connections ?? gateways.length);
  // A couple of messages per gateway: enough to keep every connection busy, and it keeps gateways
  // within a few intervals of each other in device time (the pipeline's data clock relies on it).
  const maxInflight = opts.maxInflight ?? Math.min(4000, Math.max(64, 2 * nConn));
  const s: PublishSummary = {
    url: opts.url, qos: opts.qos, gateways: gateways.length, connected: 0, connectFailed: 0, reconnects: 0, messages: 0, readingsSent: 0,
    readingsAcked: 0, messagesAcked: 0, rejected: 0, rejectsByCode: {}, skippedReadings: 0, publishErrors: 0, seconds: 0, readingsPerSecond: 0, messagesPerSecond: 0,
  };
  const now = opts.now ?? Date.now;
  const clients = new Map<string, MqttClient>();
  /** Gateways whose first connect succeeded; a gateway that never got in (bad credentials) is skipped, not queued. */
  const everConnected = new Set<string>();

  // --- Connect, a bounded number at a time.
  const t0 = performance.now();
  const connectOne = (gw: string, i: number) => new Promise<void>((resolve) => {
    const client = mqtt.connect(opts.url, {
      clientId: gw, username: gw, password: city.credentials[gw],
      protocolVersion: 4, clean: true, keepalive: 60,
      reconnectPeriod: (opts.reconnectPeriodMs ?? 2000) + (i % 1000),
      connectTimeout: opts.connectTimeoutMs ?? 30_000,
    });
    clients.set(gw, client);
    let first = true;
    const timer = setTimeout(() => { if (first) { first = false; s.connectFailed++; resolve(); } }, (opts.connectTimeoutMs ?? 30_000) + 1000);
    client.on('connect', () => {
      everConnected.add(gw);
      if (first) { first = false; s.connected++; clearTimeout(timer); resolve(); } else s.reconnects++;
      client.subscribe(TOPIC(gw, 'rejects'), { qos: 0 }, () => {});
    });
    client.on('error', (err) => {
      if (first) { first = false; s.connectFailed++; clearTimeout(timer); log(`gateway ${gw}: ${err.message}`); resolve(); }
    });
    client.on('message', (_topic, payload) => {
      try {
        const body = JSON.parse(payload.toString()) as { rejects?: { code?: string }[] };
        for (const r of body.rejects ?? []) {
          s.rejected++;
          const code = r.code ?? 'unknown';
          s.rejectsByCode[code] = (s.rejectsByCode[code] ?? 0) + 1;
        }
      } catch { /* not a reject message */ }
    });
  });
  const conc = Math.max(1, opts.connectConcurrency ?? 200);
  for (let i = 0; i < nConn; i += conc) {
    await Promise.all(gateways.slice(i, Math.min(nConn, i + conc)).map((gw, j) => connectOne(gw, i + j)));
    opts.onProgress?.({ step: 0, steps: sim.steps, messages: 0, readingsSent: 0, acked: 0, rejected: 0, elapsedS: (performance.now() - t0) / 1000 });
  }
  log(`connected ${s.connected}/${nConn} gateways in ${((performance.now() - t0) / 1000).toFixed(1)} s${s.connectFailed ? `, ${s.connectFailed} failed` : ''}`);

  // --- Publish, paced by device time, rate-limited, with a bound on messages in flight.
  let inflight = 0;
  let wake: (() => void) | null = null;
  const settle = () => { inflight--; if (wake && inflight <= maxInflight / 2) { const w = wake; wake = null; w(); } };
  const pubStart = now();
  const paceStart = performance.now();
  let tokens = 0, lastRefill = pubStart;
  let lastTick = 0, deviceTs = 0, live = false;
  const progress = (step: number) => {
    const t = now();
    if (t - lastTick < 250) return;
    lastTick = t;
    opts.onProgress?.({ step, steps: sim.steps, messages: s.messages, readingsSent: s.readingsSent, acked: s.readingsAcked, rejected: s.rejected, elapsedS: (t - pubStart) / 1000, deviceTs, live });
  };
  const send = async (b: SimBatch, payload: string, nReadings: number) => {
    if (opts.rate > 0) {
      for (;;) {
        const t = now();
        tokens = Math.min(opts.rate, tokens + ((t - lastRefill) / 1000) * opts.rate);
        lastRefill = t;
        if (tokens >= 1) break;
        await sleep(Math.max(1, Math.ceil(((1 - tokens) / opts.rate) * 1000)));
      }
      tokens -= 1;
    }
    while (inflight >= maxInflight) await new Promise<void>((r) => { wake = r; });
    const client = clients.get(b.gateway)!;
    inflight++;
    s.messages++;
    s.readingsSent += nReadings;
    client.publish(TOPIC(b.gateway, 'readings'), payload, { qos: opts.qos }, (err) => {
      if (err) s.publishErrors++;
      else { s.messagesAcked++; s.readingsAcked += nReadings; }
      settle();
    });
  };

  const connectedSet = new Set(gateways.slice(0, nConn));
  let step = -1, lastTs = -Infinity, sinceYield = 0;
  for (const b of sim.batches()) {
    if (b.ts !== lastTs) {
      lastTs = b.ts;
      step++;
      deviceTs = b.ts;
      // Pace by elapsed (monotonic) time; hold by the wall clock: a clock that jumps or runs fast never
      // changes the pace, and device time never passes the wall clock.
      const paceAt = opts.mode === 'accelerated' && opts.speed > 0 ? paceStart + (b.ts - sim.startMs) / opts.speed : 0;
      const holdUntil = opts.mode === 'realtime' || opts.holdAtWallClock ? b.ts : -Infinity;
      for (;;) {
        const wait = Math.max(paceAt - performance.now(), holdUntil - now());
        if (wait <= 1) break;
        live = holdUntil - now() > 1;
        // Short sleeps: timers may fire late, and a test's wall clock may run fast.
        await sleep(Math.min(wait, 1000));
        progress(step);
      }
      progress(step);
    }
    if (!connectedSet.has(b.gateway) || !everConnected.has(b.gateway)) {
      s.skippedReadings += b.readings.length;
      continue;
    }
    if (b.raw !== undefined) await send(b, b.raw, 0);
    else if (opts.single) for (const r of b.readings) await send(b, JSON.stringify(r), 1);
    else await send(b, JSON.stringify({ readings: b.readings }), b.readings.length);
    // Let sockets drain and acks arrive: the generator itself never waits.
    if (++sinceYield >= 200) { sinceYield = 0; await new Promise<void>((r) => setImmediate(r)); progress(step); }
  }
  // Wait for the last acks (bounded), then a moment for the last rejects.
  const deadline = performance.now() + 30_000;
  while (inflight > 0 && performance.now() < deadline) await sleep(20);
  await sleep(Math.min(2000, 200 + inflight * 10));
  s.seconds = (now() - pubStart) / 1000;
  s.readingsPerSecond = Math.round(s.readingsSent / Math.max(0.001, s.seconds));
  s.messagesPerSecond = Math.round(s.messages / Math.max(0.001, s.seconds));
  opts.onProgress?.({ step: sim.steps, steps: sim.steps, messages: s.messages, readingsSent: s.readingsSent, acked: s.readingsAcked, rejected: s.rejected, elapsedS: s.seconds });
  const all = [...clients.values()];
  for (let i = 0; i < all.length; i += conc) await Promise.all(all.slice(i, i + conc).map((c) => c.endAsync().catch(() => {})));
  return s;
}

