import { join } from 'node:path';
import type { PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { Config } from '../src/config/index.js';
import type { Metrics } from '../src/metrics.js';
import type { Registry } from '../src/registry/index.js';
import type { EnrichedReading } from '../src/schemas/reading.js';
import type { InfluxClient } from '../src/storage/influx.js';
import { readingToLine } from '../src/storage/line-protocol.js';
import { Authenticator, rejectsTopic } from './auth.js';
import { Broker, type BrokerListeners } from './broker.js';
import { decodeReadings, type Decoded } from './decode.js';
import { DeadLetterStore } from './dead-letter.js';
import { Spool, type SpoolStats } from './spool.js';
import { InfluxWriter } from './writer.js';

export { TOPIC_ROOT, ALERT_TOPIC_ROOT, readingsTopic, rejectsTopic } from './auth.js';
export type { SpoolStats } from './spool.js';

/** Where accepted readings go next (the analyzer), after they are durable. Must not throw or block. */
export type ReadingSink = (readings: EnrichedReading[]) => void;
/**
 * Registered meters of the sending gateway whose readings were rejected: alive, without usable data
 * (the analyzer does not call that offline). ts is the reading's own time when that was readable and
 * in range, else undefined (the receiver decides: arrival time, or nothing).
 */
export type ContactSink = (contacts: { meter: string; ts: number | undefined }[]) => void;

/** Per message: how many readings were accepted, and the codes of those rejected (the pipeline watches for bulk rejects). */
export type OutcomeSink = (gateway: string, accepted: number, rejectCodes: string[]) => void;

export interface Ingest {
  listen(): Promise<BrokerListeners>;
  /** Start writing the spool to InfluxDB (the client may come later than the broker). */
  attachInflux(client: InfluxClient): void;
  publish(topic: string, payload: string): void;
  spoolStats(): SpoolStats;
  spoolError(): Error | undefined;
  influxState(): { attached: boolean; lastError?: string; lastSuccessAt: number };
  /** Resolves when every durable reading is confirmed in InfluxDB (tests, benchmarks). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

/**
 * gateways → broker (auth, ACL, limits) → decode + validate → spool (durable; PUBACK) → InfluxDB,
 * with rejects published back to the gateway and kept in the dead-letter store.
 */
export async function createIngest(cfg: Config, deps: { registry: Registry; metrics: Metrics; log: Logger; sink?: ReadingSink; heard?: ContactSink; outcome?: OutcomeSink }): Promise<Ingest> {
  const { registry, metrics, log } = deps;
  const spool = await Spool.open({ dir: join(cfg.dataDir, 'spool'), ...cfg.spool }, log.child({ stage: 'spool' }));
  const dlDir = join(cfg.dataDir, 'dead-letter');
  const rejected = new DeadLetterStore(dlDir, 'rejects', cfg.deadLetter.maxFileBytes, cfg.deadLetter.maxFiles);
  const unknownMeters = new DeadLetterStore(dlDir, 'unknown-meters', cfg.deadLetter.maxFileBytes, cfg.deadLetter.maxFiles);
  const influxRejected = new DeadLetterStore(dlDir, 'influx-rejected', cfg.deadLetter.maxFileBytes, cfg.deadLetter.maxFiles);
  let writer: InfluxWriter | undefined;
  let spoolFullLogged = false;

  const auth = new Authenticator(registry, cfg.mqtt.authFailureLimit, cfg.mqtt.authLockoutMs);
  const limits = { maxBatchReadings: cfg.mqtt.maxBatchReadings, maxClockSkewMs: cfg.mqtt.maxClockSkewMs, maxAgeMs: cfg.mqtt.maxAgeMs };
  const lookup = (m: string) => registry.tagsFor(m);

  function reportContacts(heard: ContactSink, gateway: string, d: Decoded, now: number): void {
    const contacts: { meter: string; ts: number | undefined }[] = [];
    for (const r of d.rejects) {
      if (r.meter === undefined || (r.code !== 'invalid_reading' && r.code !== 'timestamp_out_of_range')) continue;
      // Only this gateway's own registered meters: a gateway cannot keep another's meters "alive".
      if (lookup(r.meter)?.gateway !== gateway) continue;
      const ts = r.code === 'invalid_reading' ? (d.rawByIndex.get(r.index ?? 0) as { ts?: unknown } | undefined)?.ts : undefined;
      const ok = typeof ts === 'number' && Number.isFinite(ts) && ts >= now - limits.maxAgeMs && ts <= now + limits.maxClockSkewMs;
      contacts.push({ meter: r.meter, ts: ok ? ts : undefined });
    }
    if (contacts.length > 0) heard(contacts);
  }

  function onReadings(gateway: string, packet: PublishPacket, done: (err?: Error) => void): void {
    metrics.messages.inc({ qos: String(packet.qos) });
    const payload = packet.payload as Buffer;
    const now = Date.now();
    const d: Decoded = payload.length > cfg.mqtt.maxPayloadBytes
      ? { accepted: [], seriesKeys: [], unknown: [], rawByIndex: new Map(), rejects: [{ code: 'payload_too_large', message: `payload is ${payload.length} bytes; the limit is ${cfg.mqtt.maxPayloadBytes}` }] }
      : decodeReadings(payload, gateway, lookup, limits, now);
    deps.outcome?.(gateway, d.accepted.length, d.rejects.map((r) => r.code));

    if (d.rejects.length > 0) {
      const at = new Date(now).toISOString();
      for (const r of d.rejects) {
        metrics.rejected.inc({ reason: r.code });
        if (r.code === 'unknown_meter') continue;
        const raw = r.index !== undefined ? d.rawByIndex.get(r.index) : d.rejects.length === 1 && d.accepted.length === 0 ? payload.subarray(0, 65_536).toString('utf8') : undefined;
        rejected.add({ at, gateway, topic: packet.topic, messageId: packet.messageId, ...r, raw });
        metrics.deadLetters.inc({ store: 'rejects' });
      }
      for (const u of d.unknown) {
        unknownMeters.add({ at, gateway, index: u.index, reading: u.reading });
        metrics.deadLetters.inc({ store: 'unknown_meters' });
      }
      ingest.publish(rejectsTopic(gateway), JSON.stringify({ messageId: packet.messageId ?? null, receivedAt: at, accepted: d.accepted.length, rejects: d.rejects }));
      if (deps.heard) reportContacts(deps.heard, gateway, d, now);
    }
    if (d.accepted.length === 0) return done();

    let body = readingToLine(d.accepted[0]!, d.seriesKeys[0]);
    for (let i = 1; i < d.accepted.length; i++) body += `\n${readingToLine(d.accepted[i]!, d.seriesKeys[i])}`;
    if (spool.full && !spoolFullLogged) {
      spoolFullLogged = true;
      log.warn({ ...spool.stats(), maxBytes: cfg.spool.maxBytes }, 'spool is at its cap: PUBACKs are withheld until InfluxDB confirms older readings');
      spool.once('space', () => (spoolFullLogged = false));
    }
    const stored = spool.append(body, d.accepted.length);
    const accepted = () => {
      metrics.accepted.inc(d.accepted.length);
      try {
        deps.sink?.(d.accepted);
      } catch (err) {
        // The readings are durable; a failing consumer must not fail the PUBACK or the process.
        log.error({ err: (err as Error).message, gateway }, 'reading sink failed');
      }
    };
    if (packet.qos === 0) {
      // QoS 0 is best effort: no PUBACK to hold, so the broker moves on while the record is written.
      stored.then(accepted, (err: Error) => log.error({ err: err.message, gateway }, 'QoS 0 readings lost: spool write failed'));
      return done();
    }
    stored.then(() => {
      accepted();
      done();
    }, (err: Error) => done(err));
  }

  const broker = await Broker.create(cfg.mqtt, auth, { onReadings }, metrics, log.child({ stage: 'broker' }));

  const ingest: Ingest = {
    listen: () => broker.listen(),
    attachInflux(client) {
      if (writer) return;
      writer = new InfluxWriter(spool, client, cfg.influx, metrics, influxRejected, log.child({ stage: 'writer' }));
      writer.start();
    },
    publish: (topic, payload) => broker.publish(topic, payload),
    spoolStats: () => spool.stats(),
    spoolError: () => spool.error,
    influxState: () => ({ attached: writer !== undefined, lastError: writer?.lastError, lastSuccessAt: writer?.lastSuccessAt ?? 0 }),
    async drained() {
      while (!spool.drained) await new Promise((r) => setTimeout(r, 50));
    },
    async close() {
      await broker.close();
      await writer?.stop();
      await spool.close();
      await Promise.all([rejected.close(), unknownMeters.close(), influxRejected.close()]);
    },
  };
  return ingest;
}
