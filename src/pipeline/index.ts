import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { EnrichedReading } from '../schemas/reading.js';
import type { Config } from '../config/index.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { Registry, saveRegistry } from '../registry/index.js';
import { createInfluxClient, detectApiVersion, routeClientLogs, type InfluxClient } from '../storage/influx.js';
import { findInfluxd, startManagedInfluxd, type ManagedInfluxd } from '../storage/managed-influxd.js';
import { buildApp, type ReadinessCheck } from '../api/index.js';
import { AlertAcks } from '../api/alert-acks.js';
import { createIngest, ALERT_TOPIC_ROOT, type Ingest } from '../../ingest/index.js';
import { createAnalyzer, toLineProtocol, type Analyzer, type AlertUpdate } from '../../analytics/index.js';
import { DataClock } from './data-clock.js';
import { RejectWatch, describe as describeBulkRejects } from './reject-watch.js';

export interface Pipeline {
  readonly config: Config;
  readonly registry: Registry;
  readonly metrics: Metrics;
  readonly ingest: Ingest;
  readonly analyzer?: Analyzer;
  /** The analyzer's event time when `analytics.clock=data`. */
  readonly dataClock?: DataClock;
  readonly app: FastifyInstance;
  /** Bound ports (useful when configured as 0). */
  readonly ports: { mqtt: number; ws?: number; tls?: number; http: number };
  influxUrl(): string | undefined;
  readiness(): ReadinessCheck;
  stop(): Promise<void>;
}

/**
 * Wiring, in the order a reading travels: registry → ingest (broker → spool → writer) → InfluxDB,
 * with accepted readings also handed to the analyzer, whose alerts go out over MQTT, the API and
 * InfluxDB (for Grafana annotations).
 */
export async function startPipeline(cfg: Config, log: Logger): Promise<Pipeline> {
  const dataDir = resolve(cfg.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const metrics = createMetrics();
  routeClientLogs(log);

  const registryFile = cfg.registryFile ?? join(dataDir, 'registry.json');
  if (!existsSync(registryFile)) {
    log.warn({ registryFile }, 'no registry file: starting with an empty registry (add meters over the API, or run `gridpulse simulate --registry-only`)');
    saveRegistry(registryFile, { version: 1, enterprises: [], gateways: [], meters: [] });
  }
  const registry = Registry.load(registryFile);
  log.info({ registryFile, ...registry.counts() }, 'registry loaded');

  let analyzer: Analyzer | undefined;
  const checkpointFile = join(dataDir, 'analytics', 'checkpoint.json');
  // Restored from a checkpoint, or (unreadable, older format, none) warmed up from InfluxDB once it is reachable.
  let restored = false;
  if (cfg.analytics.enabled) {
    analyzer = createAnalyzer({ intervalMs: cfg.analytics.intervalMinutes * 60_000 }, { registry: () => registry.snapshot(), logger: log });
    if (existsSync(checkpointFile)) {
      restored = await analyzer.restore(checkpointFile).then(() => true, (err: Error) => {
        log.warn({ err: err.message, checkpointFile }, 'analyzer checkpoint unreadable; warming up from InfluxDB instead');
        return false;
      });
    }
  }
  const stateSource = (source: 'checkpoint' | 'warmup' | 'warming' | 'cold') => {
    for (const s of ['checkpoint', 'warmup', 'warming', 'cold'] as const) metrics.analyticsState.labels(s).set(s === source ? 1 : 0);
  };
  if (analyzer) stateSource(restored ? 'checkpoint' : 'cold');
  // Data clock (replays, accelerated simulation): the analyzer's "now" is the low watermark of device
  // time, moved as readings are filed so that arrival timing does not change what it evaluates.
  const dataClock = analyzer && cfg.analytics.clock === 'data' ? new DataClock(analyzer) : undefined;
  const sink = analyzer ? (rs: EnrichedReading[]) => (dataClock ? dataClock.file(rs) : analyzer!.ingest(rs)) : undefined;
  // Meters sending only rejected readings are alive (not offline). A reading without a usable time counts at
  // its arrival, but only on the wall clock: under the data clock arrival time is not device time.
  const heard = analyzer ? (cs: { meter: string; ts: number | undefined }[]) => {
    const now = Date.now();
    const contacts: { meter: string; ts: number }[] = [];
    for (const c of cs) if (c.ts !== undefined || !dataClock) contacts.push({ meter: c.meter, ts: c.ts ?? now });
    analyzer!.heard(contacts);
  } : undefined;
  const rejectWatch = new RejectWatch(log.child({ stage: 'ingest' }));
  const ingest = await createIngest(cfg, { registry, metrics, log, sink, heard, outcome: (gw, n, codes) => rejectWatch.record(gw, n, codes) });

  // InfluxDB: configured, managed (a local influxd), or absent (readings wait in the spool).
  let managed: ManagedInfluxd | undefined;
  let influxUrl = cfg.influx.url;
  let influxNote: string | undefined;
  if (!influxUrl && cfg.influx.manage !== 'never') {
    if (findInfluxd()) {
      managed = await startManagedInfluxd({ dataDir: join(dataDir, 'influxdb'), port: cfg.influx.managedPort });
      influxUrl = managed.url;
      log.info({ url: influxUrl, dataDir: managed.dataDir }, 'started a managed influxd (INFLUX_URL unset)');
    } else if (cfg.influx.manage === 'always') {
      throw new Error('influx.manage=always but influxd is not installed (apt-get install -y influxdb)');
    }
  }
  if (!influxUrl) {
    influxNote = 'no InfluxDB configured (INFLUX_URL unset, influxd not installed): readings are kept in the spool, waiting for InfluxDB';
    log.warn(influxNote);
  }
  let influx: InfluxClient | undefined;
  let stopping = false;
  const connectInflux = async () => {
    for (let attempt = 1; !stopping; attempt++) {
      try {
        let apiVersion = cfg.influx.apiVersion === 'auto' ? undefined : cfg.influx.apiVersion;
        let version = 'configured';
        if (!apiVersion) ({ apiVersion, version } = await detectApiVersion(influxUrl!));
        const client = createInfluxClient({ url: influxUrl!, apiVersion, token: cfg.influx.token, org: cfg.influx.org, bucket: cfg.influx.bucket, retentionPolicy: cfg.influx.retentionPolicy, timeoutMs: cfg.influx.timeoutMs });
        await client.ensureDatabase();
        influx = client;
        influxNote = undefined;
        ingest.attachInflux(client);
        metrics.influxUp.set(1);
        log.info({ url: influxUrl, version, apiVersion, bucket: cfg.influx.bucket }, 'InfluxDB connected');
        // No checkpoint: learn baselines from history so a fresh start is not blind.
        if (analyzer && !restored) {
          stateSource('warming');
          void analyzer.warmUp((q) => client.query(q)).then((w) => {
            metrics.analyticsWarmupReadings.set(w.readings);
            stateSource('warmup');
          }, (err: Error) => {
            stateSource('cold');
            log.warn({ err: err.message }, 'analyzer warm-up failed');
          });
        }
        return;
      } catch (err) {
        influxNote = `InfluxDB at ${influxUrl} not reachable yet (${(err as Error).message}); readings wait in the spool`;
        metrics.influxUp.set(0);
        if (attempt === 1 || attempt % 30 === 0) log.warn({ url: influxUrl, attempt, err: (err as Error).message }, 'InfluxDB not reachable; retrying');
        await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 5000)));
      }
    }
  };
  if (influxUrl) influxNote = `connecting to InfluxDB at ${influxUrl}; readings wait in the spool`;
  const influxReady = influxUrl ? connectInflux() : Promise.resolve();

  // Alerts: MQTT topic per kind, InfluxDB for annotations, optional webhook.
  if (analyzer) {
    analyzer.on('alertUpdate', (u: AlertUpdate) => {
      const a = u.alert;
      if (u.change === 'opened') metrics.alerts.inc({ kind: a.kind });
      ingest.publish(`${ALERT_TOPIC_ROOT}/${a.kind}`, JSON.stringify(u));
      if (influx) influx.writeApi({ gzipThreshold: 1000 }).writeRecords(toLineProtocol([], [a]));
      if (cfg.analytics.webhookUrl) {
        fetch(cfg.analytics.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(u), signal: AbortSignal.timeout(10_000) })
          .catch((err: Error) => log.warn({ err: err.message }, 'alert webhook failed'));
      }
    });
  }
  const tickTimer = analyzer ? setInterval(() => (dataClock ? dataClock.advance() : analyzer!.tick(Date.now())), dataClock ? 100 : 5000) : undefined;
  const checkpointTimer = analyzer ? setInterval(() => {
    analyzer!.checkpoint(checkpointFile).catch((err: Error) => log.warn({ err: err.message }, 'analyzer checkpoint failed'));
  }, 5 * 60_000) : undefined;

  const listeners = await ingest.listen();
  const readiness = (): ReadinessCheck => {
    const spool = ingest.spoolStats();
    const state = ingest.influxState();
    const reasons: string[] = [];
    if (!listeners.tcp) reasons.push('broker not listening');
    if (influxNote) reasons.push(influxNote);
    else if (state.lastError) reasons.push(`InfluxDB writes failing: ${state.lastError}; readings wait in the spool`);
    if (spool.full) reasons.push(`spool at its cap (${spool.depthBytes} of ${cfg.spool.maxBytes} bytes unconfirmed): PUBACKs withheld until InfluxDB catches up`);
    const spoolErr = ingest.spoolError();
    if (spoolErr) reasons.push(`spool write failed: ${spoolErr.message}`);
    // A gateway rejected in bulk is listed; the pipeline is unready only when every sender is.
    const bulk = rejectWatch.check();
    const allRejected = bulk.length > 0 && bulk.length === rejectWatch.senders();
    const hard = reasons.length;
    for (const b of bulk) reasons.push(`gateway ${b.gateway}: ${describeBulkRejects(b)}`);
    metrics.spoolDepthReadings.set(spool.depthLines);
    metrics.spoolDepthBytes.set(spool.depthBytes);
    metrics.spoolDiskBytes.set(spool.diskBytes);
    metrics.spoolFull.set(spool.full ? 1 : 0);
    metrics.spoolFsyncs.set(spool.fsyncs);
    return {
      ready: hard === 0 && !allRejected,
      reasons,
      checks: { broker: { listening: listeners }, influx: { url: influxUrl ?? null, connected: influx !== undefined, ...state }, spool, bulkRejects: bulk },
    };
  };
  const gaugeTimer = setInterval(readiness, 2000);

  const acks = new AlertAcks(join(dataDir, 'analytics', 'acks.json'));
  const app = await buildApp({ registry, metrics, readiness, token: cfg.http.token, analyzer, acks, logger: log });
  app.addHook('onRequest', async () => void readiness());
  await app.listen({ host: cfg.http.host, port: cfg.http.port });
  const httpPort = (app.server.address() as { port: number }).port;
  log.info({ http: httpPort, mqtt: listeners.tcp, ws: listeners.ws, tls: listeners.tls }, 'gridpulse started');

  return {
    config: cfg, registry, metrics, ingest, analyzer, dataClock, app,
    ports: { mqtt: listeners.tcp!, ws: listeners.ws, tls: listeners.tls, http: httpPort },
    influxUrl: () => influxUrl,
    readiness,
    async stop() {
      stopping = true;
      clearInterval(gaugeTimer);
      if (tickTimer) clearInterval(tickTimer);
      if (checkpointTimer) clearInterval(checkpointTimer);
      await app.close();
      await ingest.close();
      await influxReady;
      if (analyzer) await analyzer.checkpoint(checkpointFile).catch((err: Error) => log.warn({ err: err.message }, 'analyzer checkpoint failed'));
      await managed?.stop();
      log.info('gridpulse stopped');
    },
  };
}
