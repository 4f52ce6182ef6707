import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { EnrichedReading } from '../schemas/reading.js';
import type { Config } from '../config/index.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { Registry, saveRegistry } from '../registry/index.js';
import { routeClientLogs, type InfluxClient } from '../storage/influx.js';
import { connectInflux } from '../storage/connect.js';
import { findInfluxd, startManagedInfluxd, type ManagedInfluxd } from '../storage/managed-influxd.js';
import { PointsWriter } from '../storage/points-writer.js';
import { buildApp, type ReadinessCheck } from '../api/index.js';
import { createIngest, type Ingest } from '../../ingest/index.js';
import { calendarFromSpec, createAnalyzer, type Analyzer } from '../../analytics/index.js';
import type { AlertsStage } from '../../alerts/index.js';
import { buildAlerts } from './alerts.js';
import { DataClock } from './data-clock.js';
import { RejectWatch, describe as describeBulkRejects } from './reject-watch.js';
import { coarseCheck, learningCheck, meterData } from './coarse.js';

export interface Pipeline {
  readonly config: Config;
  readonly registry: Registry;
  readonly metrics: Metrics;
  readonly ingest: Ingest;
  readonly analyzer?: Analyzer;
  /** Alert store, lifecycle, outbox and channels (present when the analyzer runs). */
  /** Alert store (also API tokens and the audit log), lifecycle, outbox and channels. */
  readonly alerts: AlertsStage;
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
 * Builds the stages in the order a reading travels and starts them: registry → ingest (broker →
 * spool → writer) → InfluxDB; accepted readings → analyzer → alerts stage (store, lifecycle,
 * outbox, channels, SSE, MQTT) and, through the alert store, the analyzer's points → InfluxDB.
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
    const { intervalMinutes, sensitivity, timeZone, judgeWeekends, calendar, learnDays } = cfg.analytics;
    // Every calendar is loaded now, so an unreadable holiday file stops start-up naming its key.
    const countyCalendars = new Map(Object.entries(cfg.analytics.countyCalendars ?? {}).map(([county, spec]) => [county, calendarFromSpec(spec, `analytics.countyCalendars.${county}`)] as const));
    analyzer = createAnalyzer({ intervalMs: intervalMinutes * 60_000, sensitivity, timeZone, judgeWeekends, learnDays }, { registry: () => registry.snapshot(), logger: log, calendar: calendarFromSpec(calendar, 'analytics.calendar'), countyCalendars, onCoarseData: () => metrics.analyticsCoarseFound.inc() });
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
  // Before ingest opens anything: a bad channels file or a newer alert store stops start-up here.
  // (publish is only called on alert changes, once ingest exists.)
  // Built with the analyzer off too: it keeps the API tokens and the audit log.
  const alerts = buildAlerts(cfg, dataDir, { registry, metrics, log, publish: (topic, payload) => ingest.publish(topic, payload) });
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
  const connect = async () => {
    const c = await connectInflux(influxUrl!, cfg.influx, {
      stopped: () => stopping,
      failed: (err, attempt) => {
        influxNote = `InfluxDB at ${influxUrl} not reachable yet (${err.message}); readings wait in the spool`;
        metrics.influxUp.set(0);
        if (attempt === 1 || attempt % 30 === 0) log.warn({ url: influxUrl, attempt, err: err.message }, 'InfluxDB not reachable; retrying');
      },
    });
    if (!c) return;
    const client = c.client;
    influx = client;
    influxNote = undefined;
    ingest.attachInflux(client);
    metrics.influxUp.set(1);
    log.info({ url: influxUrl, version: c.version, apiVersion: c.apiVersion, bucket: cfg.influx.bucket }, 'InfluxDB connected');
    // No checkpoint: learn baselines from history so a fresh start is not blind.
    if (analyzer && !restored) {
      stateSource('warming');
      // Four weeks of history, or the whole learning period and a day when analytics.learnDays is longer.
      const historyMs = Math.max(28, cfg.analytics.learnDays + 1) * 86_400_000;
      void analyzer.warmUp((q) => client.query(q), { historyMs }).then((w) => {
        metrics.analyticsWarmupReadings.set(w.readings);
        stateSource('warmup');
      }, (err: Error) => {
        stateSource('cold');
        log.warn({ err: err.message }, 'analyzer warm-up failed');
      });
    }
  };
  if (influxUrl) influxNote = `connecting to InfluxDB at ${influxUrl}; readings wait in the spool`;
  const influxReady = influxUrl ? connect() : Promise.resolve();

  // The analyzer's outputs go through the alerts stage: alert changes and index points are rows in
  // its SQLite store first, then InfluxDB (points writer), MQTT, SSE and the people channels.
  let pointsWriter: PointsWriter | undefined;
  alerts.start();
  metrics.sources.channels = () => alerts.channels();
  metrics.sources.sseClients = () => alerts.sse.size;
  metrics.sources.pointsQueued = () => alerts.store.pointsDepth();
  if (analyzer) metrics.sources.coarseMeters = () => analyzer!.coarseMeters().length;
  if (analyzer) {
    analyzer.on('alertUpdate', (u) => {
      if (u.change === 'opened') metrics.alerts.inc({ kind: u.alert.kind });
    });
    alerts.attach(analyzer);
    pointsWriter = new PointsWriter(alerts.store, () => influx, log.child({ stage: 'points' }));
    pointsWriter.start();
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
    // Coarse meters are judged at their own interval (analytics/meter-rings.ts): listed, not a reason.
    const coarse = analyzer?.coarseMeters() ?? [];
    return {
      ready: hard === 0 && !allRejected,
      reasons,
      checks: { broker: { listening: listeners }, influx: { url: influxUrl ?? null, connected: influx !== undefined, ...state }, spool, bulkRejects: bulk, coarseMeters: coarseCheck(coarse, cfg.analytics.intervalMinutes), ...(analyzer ? { learningMeters: learningCheck(analyzer) } : {}) },
    };
  };
  metrics.sources.spool = () => ingest.spoolStats();

  const app = await buildApp({
    registry, metrics, readiness, token: cfg.http.token, logger: log, bodyLimitBytes: cfg.http.bodyLimitBytes, authReads: cfg.http.authReads,
    console: { influx: () => influx, timeZone: cfg.http.timeZone, intervalMs: cfg.analytics.intervalMinutes * 60_000 },
    alerts, ...(analyzer ? { productionIndex: () => analyzer!.productionIndex(), meterData: (m: string) => meterData(analyzer!, m) } : {}),
  });
  await app.listen({ host: cfg.http.host, port: cfg.http.port });
  const httpPort = (app.server.address() as { port: number }).port;
  log.info({ http: httpPort, mqtt: listeners.tcp, ws: listeners.ws, tls: listeners.tls }, 'gridpulse started');

  return {
    config: cfg, registry, metrics, ingest, analyzer, alerts, dataClock, app,
    ports: { mqtt: listeners.tcp!, ws: listeners.ws, tls: listeners.tls, http: httpPort },
    influxUrl: () => influxUrl,
    readiness,
    async stop() {
      stopping = true;
      if (tickTimer) clearInterval(tickTimer);
      if (checkpointTimer) clearInterval(checkpointTimer);
      alerts.sse.close();
      await app.close();
      await ingest.close();
      await influxReady;
      if (analyzer) await analyzer.checkpoint(checkpointFile).catch((err: Error) => log.warn({ err: err.message }, 'analyzer checkpoint failed'));
      await pointsWriter?.stop();
      await alerts.close();
      await managed?.stop();
      log.info('gridpulse stopped');
    },
  };
}
