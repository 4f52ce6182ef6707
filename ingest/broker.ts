import { Aedes, type Client, type AuthenticateError, type PublishPacket } from 'aedes';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createServer as createAedesServer } from 'aedes-server-factory';
import type { Logger } from 'pino';
import type { Config } from '../src/config/index.js';
import type { Metrics } from '../src/metrics.js';
import { Authenticator, classifyPublish, maySubscribe, principalOf } from './auth.js';

export interface BrokerHooks {
  /** Called for every publish on a gateway's readings topic; calls back when it may be PUBACKed. */
  onReadings(gateway: string, packet: PublishPacket, done: (err?: Error) => void): void;
}

export interface BrokerListeners {
  tcp?: number;
  tls?: number;
  ws?: number;
}

/** Per-client token bucket: over the rate, the PUBACK waits for a token instead of a drop. */
class RateLimiter {
  private buckets = new WeakMap<Client, { tokens: number; at: number }>();
  constructor(private readonly perSecond: number) {}
  /** Milliseconds this client has to wait before its next message is processed. */
  delayFor(client: Client): number {
    const now = performance.now();
    const b = this.buckets.get(client) ?? { tokens: this.perSecond, at: now };
    b.tokens = Math.min(this.perSecond, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    b.tokens -= 1;
    this.buckets.set(client, b);
    return b.tokens >= 0 ? 0 : (-b.tokens / this.perSecond) * 1000;
  }
}

/** Client-chosen strings (ids, user names, topics: up to 64 KiB each) are cut short in logs. */
const clip = (s: string | null | undefined): string | undefined => (typeof s !== 'string' ? undefined : s.length > 128 ? `${s.slice(0, 128)}…(${s.length} characters)` : s);

/** The peer address of a connection: the socket's, or the WebSocket request's. */
export function sourceAddress(client: Client): string {
  const c = client as unknown as { req?: { connDetails?: { ipAddress?: string } }; conn?: { remoteAddress?: string; socket?: { remoteAddress?: string } } };
  return c.req?.connDetails?.ipAddress ?? c.conn?.remoteAddress ?? c.conn?.socket?.remoteAddress ?? 'unknown';
}

interface PacketParser {
  _parseLength(): boolean;
  _emitError(err: Error): void;
  packet: { length: number };
}

/**
 * Refuses a packet by its announced length, as soon as the fixed header is read: mqtt-packet
 * would otherwise buffer the whole packet (200 MB for a 200 MB PUBLISH) before anything sees it.
 * aedes builds the parser without options and mqtt-packet has no size limit, so the limit is
 * fitted to the parser's length step; its error closes the connection like any protocol error.
 * Returns false when the parser does not have the expected shape.
 */
export function limitPacketSize(client: Client, max: number, onOversize: (bytes: number) => void): boolean {
  const parser = (client as unknown as { _parser?: Partial<PacketParser> })._parser;
  const parseLength = parser?._parseLength;
  if (!parser || typeof parseLength !== 'function' || typeof parser._emitError !== 'function') return false;
  parser._parseLength = function (this: PacketParser) {
    const ok = parseLength.call(this);
    // Until the CONNACK, only a CONNECT (id, credentials, will) is due: a small limit, so that
    // connections without credentials cannot make the broker hold maxPacketBytes each.
    const limit = client.connected ? max : Math.min(max, PRE_AUTH_MAX_PACKET_BYTES);
    if (ok && this.packet.length > limit) {
      try {
        onOversize(this.packet.length);
      } catch { /* reporting must not break the parser */ }
      this._emitError(new Error(`packet of ${this.packet.length} bytes is over the limit of ${limit}`));
      return false;
    }
    return ok;
  };
  return true;
}

/** Largest packet read before a connection is authenticated. */
export const PRE_AUTH_MAX_PACKET_BYTES = 64 * 1024;

/**
 * The Aedes broker with GridPulse's hooks. Readings are consumed in `authorizePublish`, the last
 * step before Aedes writes the PUBACK: its callback is held until the readings are durable, so a
 * PUBACK means "stored". Calling it with an error would close the connection (MQTT 3.1.1 has no
 * negative PUBACK), so bad readings are answered by a message on the reject topic instead.
 */
export class Broker {
  readonly aedes: Aedes;
  private servers: (NetServer | HttpServer)[] = [];
  readonly listening: BrokerListeners = {};
  private rate: RateLimiter;

  private constructor(aedes: Aedes, private readonly cfg: Config['mqtt'], private readonly metrics: Metrics, private readonly log: Logger) {
    this.aedes = aedes;
    this.rate = new RateLimiter(cfg.maxMessagesPerSecond);
  }

  static async create(cfg: Config['mqtt'], auth: Authenticator, hooks: BrokerHooks, metrics: Metrics, log: Logger): Promise<Broker> {
    let broker: Broker | undefined;
    // One client's bad input must never become an uncaught exception: that would end every
    // connection. A handler that throws disconnects its client only, and is counted.
    const failed = (client: Client | null, where: string, err: unknown) => {
      metrics.handlerErrors.inc();
      log.error({ clientId: clip(client?.id), where, err: err instanceof Error ? err.message : String(err) }, 'mqtt: handler error; this client is disconnected');
    };
    const aedes = await Aedes.createBroker({
      concurrency: 1000,
      queueLimit: 1000,
      drainTimeout: 30_000,
      heartbeatInterval: 60_000,
      connectTimeout: 30_000,
      maxClientsIdLength: 64,
      authenticate: (client, username, password, done) => {
        const source = sourceAddress(client);
        auth.check(client.id, username, password, source).then((r) => {
          if (r.ok) {
            Authenticator.attach(client, r.principal);
            return done(null, true);
          }
          metrics.connectionsRefused.inc({ reason: r.reason });
          log.warn({ clientId: clip(client.id), username: clip(username), source, reason: r.reason }, 'mqtt: connection refused');
          const err = new Error(r.reason) as AuthenticateError;
          // [MQTT-3.2.2-3] return code 4: bad user name or password; 5: not authorized.
          err.returnCode = r.reason === 'bad_credentials' ? 4 : 5;
          done(err, false);
        }).catch((err: unknown) => {
          failed(client, 'authenticate', err);
          const e = new Error('server error') as AuthenticateError;
          e.returnCode = 3;
          done(e, false);
        });
      },
      authorizePublish: (client, packet, callback) => {
        let called = false;
        const done = (err?: Error | null) => {
          if (called) return;
          called = true;
          callback(err ?? null);
        };
        const consume = () => {
          try {
            hooks.onReadings(p!.id, packet, done);
          } catch (err) {
            failed(client, 'readings', err);
            done(new Error('internal error'));
          }
        };
        const p = principalOf(client);
        const what = classifyPublish(p, packet.topic);
        if (what === 'deny') {
          metrics.publishDenied.inc();
          log.warn({ clientId: clip(client?.id), topic: clip(packet.topic) }, 'mqtt: publish outside the client\'s prefix refused; closing');
          return done(new Error(`not authorized to publish on ${packet.topic}`));
        }
        // Readings are consumed here; a retained copy would only pile up in broker memory.
        packet.retain = false;
        if (what === 'status') return done(null);
        const wait = broker!.rate.delayFor(client!);
        if (wait > 0) {
          metrics.rateLimited.inc();
          setTimeout(consume, wait);
          return;
        }
        consume();
      },
      authorizeSubscribe: (client, sub, done) => {
        if (maySubscribe(principalOf(client), sub.topic)) return done(null, sub);
        metrics.subscribeDenied.inc();
        log.warn({ clientId: clip(client?.id), topic: clip(sub.topic) }, 'mqtt: subscription refused (SUBACK 0x80)');
        // A null subscription is granted as 0x80 (failure) [MQTT-3.9.3]; an error would close the connection.
        done(null, null);
      },
    });
    aedes.on('client', () => metrics.connections.inc());
    aedes.on('clientDisconnect', () => metrics.connections.dec());
    aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt: client error'));
    aedes.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt: connection error'));
    broker = new Broker(aedes, cfg, metrics, log);
    return broker;
  }

  /** aedes.handle, with the packet-size limit fitted to the new client's parser. */
  private readonly handle = (conn: Parameters<Aedes['handle']>[0], req?: Parameters<Aedes['handle']>[1]) => {
    const client = this.aedes.handle(conn, req);
    const max = this.cfg.maxPacketBytes;
    const fitted = limitPacketSize(client, max, (bytes) => {
      this.metrics.oversizedPackets.inc();
      this.log.warn({ source: sourceAddress(client), clientId: clip(client.id), bytes, maxPacketBytes: max }, 'mqtt: packet over mqtt.maxPacketBytes announced; connection closed before reading it');
    });
    if (!fitted && !this.warnedNoLimit) {
      this.warnedNoLimit = true;
      this.log.error('mqtt: the MQTT parser has changed shape; mqtt.maxPacketBytes is not enforced (check the aedes/mqtt-packet versions)');
    }
    return client;
  };
  private warnedNoLimit = false;

  async listen(): Promise<BrokerListeners> {
    const { host } = this.cfg;
    const start = async (server: NetServer | HttpServer, port: number, name: keyof BrokerListeners) => {
      server.maxConnections = this.cfg.maxConnections;
      server.on('drop', () => {
        this.metrics.connectionsRefused.inc({ reason: 'max_connections' });
        this.log.warn({ listener: name, maxConnections: this.cfg.maxConnections }, 'mqtt: connection refused, mqtt.maxConnections reached');
      });
      await new Promise<void>((res, rej) => {
        server.once('error', rej);
        server.listen(port, host, () => res());
      });
      this.servers.push(server);
      this.listening[name] = (server.address() as { port: number }).port;
    };
    await start(createNetServer((c) => this.handle(c)), this.cfg.port, 'tcp');
    if (this.cfg.tlsCert && this.cfg.tlsKey) {
      const tls = createTlsServer({ cert: readFileSync(this.cfg.tlsCert), key: readFileSync(this.cfg.tlsKey) }, (c) => this.handle(c));
      await start(tls, this.cfg.tlsPort, 'tls');
    }
    if (this.cfg.wsPort !== 'off') {
      const ws = createAedesServer({ handle: this.handle } as unknown as Aedes, { ws: true }) as HttpServer;
      await start(ws, this.cfg.wsPort, 'ws');
    }
    this.log.info({ ...this.listening, host }, 'mqtt: listening');
    return this.listening;
  }

  /** Publish from the pipeline itself (rejects, alerts): bypasses authorizePublish by design. */
  publish(topic: string, payload: string, qos: 0 | 1 = 1): void {
    this.aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false }, (err) => {
      if (err) this.log.warn({ topic, err: err.message }, 'mqtt: internal publish failed');
    });
  }

  /** Stops listening and disconnects every client. */
  async close(): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((res) => s.close(() => res())));
    await new Promise<void>((res) => this.aedes.close(() => res()));
    for (const s of this.servers) (s as HttpServer).closeAllConnections?.();
    await Promise.all(closing);
    this.servers = [];
  }
}
