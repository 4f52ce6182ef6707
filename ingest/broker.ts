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
    const aedes = await Aedes.createBroker({
      concurrency: 1000,
      queueLimit: 1000,
      drainTimeout: 30_000,
      heartbeatInterval: 60_000,
      connectTimeout: 30_000,
      maxClientsIdLength: 64,
      authenticate: (client, username, password, done) => {
        auth.check(client.id, username, password).then((r) => {
          if (r.ok) {
            Authenticator.attach(client, r.principal);
            return done(null, true);
          }
          metrics.connectionsRefused.inc({ reason: r.reason });
          log.warn({ clientId: client.id, username, reason: r.reason }, 'mqtt: connection refused');
          const err = new Error(r.reason) as AuthenticateError;
          // [MQTT-3.2.2-3] return code 4: bad user name or password; 5: not authorized.
          err.returnCode = r.reason === 'locked_out' ? 5 : 4;
          done(err, false);
        }, (err: Error) => done(err as AuthenticateError, false));
      },
      authorizePublish: (client, packet, done) => {
        const p = principalOf(client);
        const what = classifyPublish(p, packet.topic);
        if (what === 'deny') {
          metrics.publishDenied.inc();
          log.warn({ clientId: client?.id, topic: packet.topic }, 'mqtt: publish outside the client\'s prefix refused; closing');
          return done(new Error(`not authorized to publish on ${packet.topic}`));
        }
        // Readings are consumed here; a retained copy would only pile up in broker memory.
        packet.retain = false;
        if (what === 'status') return done(null);
        const wait = broker!.rate.delayFor(client!);
        if (wait > 0) {
          metrics.rateLimited.inc();
          setTimeout(() => hooks.onReadings(p!.id, packet, done), wait);
          return;
        }
        hooks.onReadings(p!.id, packet, done);
      },
      authorizeSubscribe: (client, sub, done) => {
        if (maySubscribe(principalOf(client), sub.topic)) return done(null, sub);
        metrics.subscribeDenied.inc();
        log.warn({ clientId: client?.id, topic: sub.topic }, 'mqtt: subscription refused');
        done(new Error(`not authorized to subscribe to ${sub.topic}`), null);
      },
    });
    aedes.on('client', () => metrics.connections.inc());
    aedes.on('clientDisconnect', () => metrics.connections.dec());
    aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt: client error'));
    aedes.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt: connection error'));
    broker = new Broker(aedes, cfg, metrics, log);
    return broker;
  }

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
    await start(createNetServer(this.aedes.handle), this.cfg.port, 'tcp');
    if (this.cfg.tlsCert && this.cfg.tlsKey) {
      const tls = createTlsServer({ cert: readFileSync(this.cfg.tlsCert), key: readFileSync(this.cfg.tlsKey) }, this.aedes.handle);
      await start(tls, this.cfg.tlsPort, 'tls');
    }
    if (this.cfg.wsPort !== 'off') {
      const ws = createAedesServer(this.aedes, { ws: true }) as HttpServer;
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
