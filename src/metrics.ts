import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';

/** What gauges read when Prometheus scrapes (set by startPipeline once the stages exist). */
export interface MetricSources {
  spool?: () => { depthLines: number; depthBytes: number; diskBytes: number; full: boolean; fsyncs: number };
  channels?: () => { name: string; queued: number; failingSince: number | null }[];
  sseClients?: () => number;
  pointsQueued?: () => number;
  /** Meters the analyzer currently finds sending data coarser than its interval. */
  coarseMeters?: () => number;
}

/**
 * Every Prometheus metric the pipeline exports, in one registry per pipeline instance (tests run
 * several in one process). Names and labels are documented in README.md#metrics.
 */
export function createMetrics() {
  const registry = new PromRegistry();
  collectDefaultMetrics({ register: registry, prefix: 'gridpulse_' });
  const r = [registry];
  const sources: MetricSources = {};
  const spool = <K extends 'depthLines' | 'depthBytes' | 'diskBytes' | 'fsyncs'>(k: K) => function (this: Gauge) {
    const st = sources.spool?.();
    if (st) this.set(st[k]);
  };
  return {
    registry,
    sources,
    connections: new Gauge({ name: 'gridpulse_mqtt_connections', help: 'Connected MQTT clients', registers: r }),
    connectionsRefused: new Counter({ name: 'gridpulse_mqtt_connections_refused_total', help: 'Connections refused, by reason (bad_credentials, locked_out, client_id_not_owned, max_connections)', labelNames: ['reason'] as const, registers: r }),
    oversizedPackets: new Counter({ name: 'gridpulse_mqtt_oversized_packets_total', help: 'Connections closed for announcing a packet over mqtt.maxPacketBytes (refused before it is read)', registers: r }),
    handlerErrors: new Counter({ name: 'gridpulse_mqtt_handler_errors_total', help: "Unexpected errors in a client's handler: that client is disconnected, intake goes on", registers: r }),
    publishDenied: new Counter({ name: 'gridpulse_mqtt_publish_denied_total', help: 'Publishes refused by the ACL (the connection is closed)', registers: r }),
    subscribeDenied: new Counter({ name: 'gridpulse_mqtt_subscribe_denied_total', help: 'Subscriptions refused by the ACL', registers: r }),
    messages: new Counter({ name: 'gridpulse_mqtt_messages_total', help: 'Readings messages received, by QoS', labelNames: ['qos'] as const, registers: r }),
    rateLimited: new Counter({ name: 'gridpulse_mqtt_rate_limited_total', help: 'Messages whose PUBACK was delayed by the per-client rate limit', registers: r }),
    accepted: new Counter({ name: 'gridpulse_readings_accepted_total', help: 'Readings accepted (durable in the spool)', registers: r }),
    rejected: new Counter({ name: 'gridpulse_readings_rejected_total', help: 'Readings rejected, by reason code', labelNames: ['reason'] as const, registers: r }),
    deadLetters: new Counter({ name: 'gridpulse_dead_letters_total', help: 'Entries written to the dead-letter store, by store', labelNames: ['store'] as const, registers: r }),
    spoolDepthReadings: new Gauge({ name: 'gridpulse_spool_depth_readings', help: 'Readings in the spool not yet confirmed by InfluxDB', registers: r, collect: spool('depthLines') }),
    spoolDepthBytes: new Gauge({ name: 'gridpulse_spool_depth_bytes', help: 'Bytes in the spool not yet confirmed by InfluxDB', registers: r, collect: spool('depthBytes') }),
    spoolDiskBytes: new Gauge({ name: 'gridpulse_spool_disk_bytes', help: 'Bytes of spool segment files on disk', registers: r, collect: spool('diskBytes') }),
    spoolFull: new Gauge({ name: 'gridpulse_spool_full', help: '1 while the spool is at its cap and PUBACKs are withheld', registers: r, collect() { const st = sources.spool?.(); if (st) this.set(st.full ? 1 : 0); } }),
    spoolFsyncs: new Gauge({ name: 'gridpulse_spool_fsyncs', help: 'fdatasync calls by the spool (group commits)', registers: r, collect: spool('fsyncs') }),
    writeBatches: new Counter({ name: 'gridpulse_influx_write_batches_total', help: 'Write requests confirmed by InfluxDB', registers: r }),
    writeLines: new Counter({ name: 'gridpulse_influx_write_lines_total', help: 'Lines confirmed by InfluxDB', registers: r }),
    writeLatency: new Histogram({ name: 'gridpulse_influx_write_duration_seconds', help: 'Time from sending a batch to its confirmation, retries included', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: r }),
    influxErrors: new Counter({ name: 'gridpulse_influx_errors_total', help: 'Failed write attempts, by kind (unreachable, http_5xx, http_4xx, ...)', labelNames: ['kind'] as const, registers: r }),
    influxUp: new Gauge({ name: 'gridpulse_influx_up', help: '1 when the last InfluxDB request succeeded', registers: r }),
    alerts: new Counter({ name: 'gridpulse_alerts_total', help: 'Alerts opened, by kind', labelNames: ['kind'] as const, registers: r }),
    alertQueued: new Gauge({ name: 'gridpulse_alert_channel_queued', help: 'Alert deliveries waiting in the outbox, by channel', labelNames: ['channel'] as const, registers: r, collect() {
      for (const c of sources.channels?.() ?? []) this.set({ channel: c.name }, c.queued);
    } }),
    alertFailing: new Gauge({ name: 'gridpulse_alert_channel_failing', help: '1 while the last delivery attempt of a channel failed', labelNames: ['channel'] as const, registers: r, collect() {
      for (const c of sources.channels?.() ?? []) this.set({ channel: c.name }, c.failingSince === null ? 0 : 1);
    } }),
    alertFailingSince: new Gauge({ name: 'gridpulse_alert_channel_failing_since_seconds', help: 'Unix time the current failure streak of a channel began, 0 while it delivers', labelNames: ['channel'] as const, registers: r, collect() {
      for (const c of sources.channels?.() ?? []) this.set({ channel: c.name }, c.failingSince === null ? 0 : Math.floor(c.failingSince / 1000));
    } }),
    alertDeliveryFailures: new Counter({ name: 'gridpulse_alert_delivery_failures_total', help: 'Failed alert delivery attempts (retried with backoff), by channel', labelNames: ['channel'] as const, registers: r }),
    alertDelivered: new Counter({ name: 'gridpulse_alert_deliveries_total', help: 'Alert deliveries confirmed by the receiver, by channel', labelNames: ['channel'] as const, registers: r }),
    alertStorePruned: new Counter({ name: 'gridpulse_alert_store_pruned_total', help: 'Rows deleted from the alert store by retention, by what (alerts, events, outbox, suppressions, audit)', labelNames: ['what'] as const, registers: r }),
    alertDeliveryDelay: new Histogram({ name: 'gridpulse_alert_delivery_delay_seconds', help: 'From the alert change to its confirmed delivery, retries included', labelNames: ['channel'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60, 300, 1800, 3600, 14400], registers: r }),
    sseClients: new Gauge({ name: 'gridpulse_sse_clients', help: 'Connected alert stream (SSE) clients', registers: r, collect() { this.set(sources.sseClients?.() ?? 0); } }),
    sseDropped: new Counter({ name: 'gridpulse_sse_dropped_total', help: 'SSE clients disconnected for not keeping up, by reason (buffer, stall)', labelNames: ['reason'] as const, registers: r }),
    analyzerPointsQueued: new Gauge({ name: 'gridpulse_analyzer_points_queued', help: 'Production-index and alert points waiting (durably) for InfluxDB', registers: r, collect() { this.set(sources.pointsQueued?.() ?? 0); } }),
    analyticsState: new Gauge({ name: 'gridpulse_analytics_state', help: "1 for where the analyzer's state came from: checkpoint, warmup (InfluxDB history, done), warming, cold", labelNames: ['source'] as const, registers: r }),
    analyticsCoarseMeters: new Gauge({ name: 'gridpulse_analytics_coarse_meters', help: 'Meters sending data coarser than the analyzer interval: judged at their own interval, consumption spread evenly between readings (listed on /readyz checks and GET /api/v1/meters/:id)', registers: r, collect() { this.set(sources.coarseMeters?.() ?? 0); } }),
    analyticsCoarseFound: new Counter({ name: 'gridpulse_analytics_coarse_found_total', help: 'Times a meter was found sending data coarser than the analyzer interval (from its spacing or its registry intervalMinutes)', registers: r }),
    analyticsWarmupReadings: new Gauge({ name: 'gridpulse_analytics_warmup_readings', help: 'Readings the analyzer learned from InfluxDB history at start', registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
