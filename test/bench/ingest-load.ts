/**
 * A load process for the ingest benchmark (forked by test/bench/ingest.ts; not run by hand).
 * It holds many mqtt.js connections, so their CPU cost stays out of the orchestrator's and the
 * pipeline's event loops. Driven over IPC: each command is answered by one message whose `type`
 * names it.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { connect as netConnect, type Socket } from 'node:net';
import { BENCH_PASSWORD, batchPayload, gatewayId, singlePayload } from './ingest-city.js';

export type LoadCommand =
  | { cmd: 'connect'; url: string; gateways: number[]; concurrency: number; keepalive: number; raw?: boolean }
  | { cmd: 'prepare-batch'; meters: number; messages: number; tsStart: number; stepMs: number }
  | { cmd: 'run-batch'; startAt: number; window: number }
  | { cmd: 'run-burst'; startAt: number; endAt: number; window: number; tsStart: number }
  | { cmd: 'subscribe'; url: string; topic: string }
  | { cmd: 'window'; startAt: number; endAt: number }
  | { cmd: 'count' }
  | { cmd: 'close' };

export type LoadReply =
  | { type: 'connected'; ok: number; failed: number; firstError?: string; ms: number }
  | { type: 'prepared'; bytes: number }
  | { type: 'batch-done'; messages: number; readings: number; lastAckAt: number; errors: number }
  | { type: 'burst-done'; sent: number; ackedInWindow: number; ackedTotal: number; lastAckAt: number; errors: number }
  | { type: 'subscribed' }
  | { type: 'window' }
  | { type: 'count'; inWindow: number; total: number; lastAt: number }
  | { type: 'closed' }
  | { type: 'error'; message: string };

const send = (m: LoadReply) => process.send!(m);
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));


/**
 * A minimal MQTT 3.1.1 publisher over a raw socket: CONNECT, QoS 1 PUBLISH, PUBACK, nothing else.
 * mqtt.js costs ~70 µs of CPU per QoS 1 publish; on 2 cores shared with the broker, that would make
 * the load generator, not the broker, the bound of (c) and (d). This costs a few µs.
 */
class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private nextId = 1;
  private acks = new Map<number, () => void>();
  private onConnack?: (rc: number) => void;
  constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => undefined);
  }

  static connect(url: string, clientId: string, password: string): Promise<RawClient> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = netConnect(Number(u.port || 1883), u.hostname);
      const c = new RawClient(socket);
      const fail = (err: Error) => { socket.destroy(); reject(err); };
      socket.once('error', fail);
      socket.once('close', () => fail(new Error('closed before CONNACK')));
      socket.once('connect', () => {
        const str = (v: string) => { const b = Buffer.from(v); const h = Buffer.alloc(2); h.writeUInt16BE(b.length); return Buffer.concat([h, b]); };
        const vh = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0xc2, 0, 0]); // MQTT 3.1.1, user+password+clean, keepalive 0
        const body = Buffer.concat([vh, str(clientId), str(clientId), str(password)]);
        socket.write(Buffer.concat([Buffer.from([0x10]), varint(body.length), body]));
      });
      c.onConnack = (rc) => {
        socket.removeAllListeners('close');
        socket.off('error', fail);
        if (rc === 0) resolve(c);
        else fail(new Error(`CONNACK return code ${rc}`));
      };
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let off = 0;
    for (;;) {
      if (this.buf.length - off < 2) break;
      let len = 0, mul = 1, i = off + 1, b: number;
      do {
        if (i >= this.buf.length) { len = -1; break; }
        b = this.buf[i++]!;
        len += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80);
      if (len < 0 || i + len > this.buf.length) break;
      const type = this.buf[off]! >> 4;
      if (type === 2) this.onConnack?.(this.buf[i + 1]!);
      else if (type === 4) {
        const id = this.buf.readUInt16BE(i);
        const cb = this.acks.get(id);
        this.acks.delete(id);
        cb?.();
      }
      off = i + len;
    }
    this.buf = off >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
  }

  publish(topic: Buffer, payload: string, cb: () => void): void {
    const id = this.nextId;
    this.nextId = this.nextId === 65535 ? 1 : this.nextId + 1;
    const plen = Buffer.byteLength(payload);
    const rl = 2 + topic.length + 2 + plen;
    const v = varint(rl);
    const pkt = Buffer.allocUnsafe(1 + v.length + rl);
    pkt[0] = 0x32;
    v.copy(pkt, 1);
    let o = 1 + v.length;
    pkt.writeUInt16BE(topic.length, o); o += 2;
    topic.copy(pkt, o); o += topic.length;
    pkt.writeUInt16BE(id, o); o += 2;
    pkt.write(payload, o);
    this.acks.set(id, cb);
    this.socket.write(pkt);
  }

  end(): Promise<void> {
    return new Promise((r) => {
      if (this.socket.destroyed) return r();
      this.socket.once('close', () => r());
      this.socket.end(Buffer.from([0xe0, 0]));
      setTimeout(() => { this.socket.destroy(); r(); }, 2000).unref();
    });
  }
}

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

let rawClients: { g: number; client: RawClient }[] = [];
let clients: { g: number; client: MqttClient }[] = [];
let prepared: Map<number, string[]> = new Map();
let batchReadings = 0;
let sub: MqttClient | undefined;
let subWindow = { startAt: Infinity, endAt: -Infinity };
let subInWindow = 0;
let subTotal = 0;
let subLastAt = 0;

function connectOne(url: string, g: number, keepalive: number, clientId = gatewayId(g)): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId, username: clientId, password: BENCH_PASSWORD, protocolVersion: 4, clean: true,
      reconnectPeriod: 0, connectTimeout: 120_000, keepalive, resubscribe: false,
    });
    const fail = (err: Error) => {
      client.end(true);
      reject(err);
    };
    client.once('connect', () => {
      client.off('error', fail);
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', fail);
    client.once('close', () => fail(new Error('closed before CONNACK')));
  });
}

async function connectAll(c: Extract<LoadCommand, { cmd: 'connect' }>): Promise<LoadReply> {
  const t0 = Date.now();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < c.gateways.length) {
      const g = c.gateways[next++]!;
      try {
        if (c.raw) rawClients.push({ g, client: await RawClient.connect(c.url, gatewayId(g), BENCH_PASSWORD) });
        else clients.push({ g, client: await connectOne(c.url, g, c.keepalive) });
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(c.concurrency, c.gateways.length) }, lane));
  return { type: 'connected', ok: clients.length + rawClients.length, failed, firstError, ms: Date.now() - t0 };
}

function prepareBatch(c: Extract<LoadCommand, { cmd: 'prepare-batch' }>): LoadReply {
  prepared = new Map();
  let bytes = 0;
  for (const { g } of clients) {
    const list: string[] = [];
    for (let k = 0; k < c.messages; k++) {
      const p = batchPayload(g, c.meters, c.tsStart + k * c.stepMs, k);
      bytes += p.length;
      list.push(p);
    }
    prepared.set(g, list);
  }
  batchReadings = c.meters;
  return { type: 'prepared', bytes };
}

/** Each gateway publishes its prepared payloads with up to `window` QoS 1 messages in flight. */
async function runBatch(c: Extract<LoadCommand, { cmd: 'run-batch' }>): Promise<LoadReply> {
  await sleepUntil(c.startAt);
  let messages = 0;
  let errors = 0;
  let lastAckAt = 0;
  await Promise.all(clients.map(({ g, client }) => new Promise<void>((resolve) => {
    const list = prepared.get(g) ?? [];
    const topic = `gridpulse/v1/${gatewayId(g)}/readings`;
    let sent = 0;
    let done = 0;
    const pump = () => {
      while (sent < list.length && sent - done < c.window) {
        client.publish(topic, list[sent++]!, { qos: 1 }, (err) => {
          done++;
          if (err) errors++;
          else messages++;
          lastAckAt = Date.now();
          if (done === list.length) resolve();
          else pump();
        });
      }
    };
    if (list.length === 0) resolve();
    else pump();
  })));
  prepared = new Map();
  return { type: 'batch-done', messages, readings: messages * batchReadings, lastAckAt, errors };
}

/** Single-reading QoS 1 messages as fast as the PUBACKs come back, `window` in flight per client, until endAt. */
async function runBurst(c: Extract<LoadCommand, { cmd: 'run-burst' }>): Promise<LoadReply> {
  await sleepUntil(c.startAt);
  let sent = 0;
  let ackedInWindow = 0;
  let ackedTotal = 0;
  let errors = 0;
  let lastAckAt = 0;
  type Pub = (topic: string, payload: string, cb: (err?: Error) => void) => void;
  const pubs: { g: number; publish: Pub }[] = [
    ...clients.map(({ g, client }) => ({ g, publish: ((t, p, cb) => client.publish(t, p, { qos: 1 }, cb)) as Pub })),
    ...rawClients.map(({ g, client }) => {
      const topics = new Map<string, Buffer>();
      return { g, publish: ((t, p, cb) => {
        let tb = topics.get(t);
        if (!tb) topics.set(t, (tb = Buffer.from(t)));
        client.publish(tb, p, () => cb());
      }) as Pub };
    }),
  ];
  await Promise.all(pubs.map(({ g, publish }) => new Promise<void>((resolve) => {
    const topic = `gridpulse/v1/${gatewayId(g)}/readings`;
    let k = 0;
    let inFlight = 0;
    const pump = () => {
      while (inFlight < c.window && Date.now() < c.endAt) {
        inFlight++;
        sent++;
        const kk = k++;
        publish(topic, singlePayload(g, c.tsStart + kk * 1000, kk), (err) => {
          inFlight--;
          const now = Date.now();
          if (err) errors++;
          else {
            ackedTotal++;
            if (now <= c.endAt) ackedInWindow++;
            lastAckAt = now;
          }
          if (now < c.endAt) pump();
          else if (inFlight === 0) resolve();
        });
      }
      if (inFlight === 0) resolve();
    };
    pump();
  })));
  return { type: 'burst-done', sent, ackedInWindow, ackedTotal, lastAckAt, errors };
}

async function subscribe(c: Extract<LoadCommand, { cmd: 'subscribe' }>): Promise<LoadReply> {
  sub = mqtt.connect(c.url, { clientId: `bench-sub-${process.pid}`, protocolVersion: 4, clean: true, reconnectPeriod: 0, keepalive: 60 });
  await new Promise<void>((resolve, reject) => {
    sub!.once('connect', () => resolve());
    sub!.once('error', reject);
  });
  sub.on('message', () => {
    const now = Date.now();
    subTotal++;
    subLastAt = now;
    if (now >= subWindow.startAt && now <= subWindow.endAt) subInWindow++;
  });
  await sub.subscribeAsync(c.topic, { qos: 1 });
  return { type: 'subscribed' };
}

async function handle(c: LoadCommand): Promise<LoadReply> {
  switch (c.cmd) {
    case 'connect': return connectAll(c);
    case 'prepare-batch': return prepareBatch(c);
    case 'run-batch': return runBatch(c);
    case 'run-burst': return runBurst(c);
    case 'subscribe': return subscribe(c);
    case 'window':
      subWindow = { startAt: c.startAt, endAt: c.endAt };
      subInWindow = 0;
      subTotal = 0;
      return { type: 'window' };
    case 'count': return { type: 'count', inWindow: subInWindow, total: subTotal, lastAt: subLastAt };
    case 'close': {
      const all = clients.map((x) => x.client);
      if (sub) all.push(sub);
      clients = [];
      const raws = rawClients;
      rawClients = [];
      await Promise.all([...all.map((cl) => new Promise<void>((r) => cl.end(true, {}, () => r()))), ...raws.map((x) => x.client.end())]);
      return { type: 'closed' };
    }
  }
}

process.on('message', (c: LoadCommand) => {
  handle(c).then(send, (err: Error) => send({ type: 'error', message: err.message }));
});
process.on('disconnect', () => process.exit(0));
