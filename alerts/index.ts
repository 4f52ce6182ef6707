import { join } from 'node:path';
import type { Logger } from 'pino';
import { AlertStore } from './store.js';
import { Lifecycle } from './lifecycle.js';
import { Outbox, realClock, type ChannelState, type Clock } from './outbox.js';
import { SseHub } from './sse.js';
import { DEFAULT_RETENTION, Retention, type PrunedWhat, type RetentionOptions } from './retention.js';
import { buildChannels, loadChannelsFile, type ChannelsFile } from './channels/config.js';
import { webhookChannel } from './channels/webhook.js';
import type { Channel } from './channels/types.js';
import type { Locale } from './templates.js';
import type { Alert, AlertEvent, AlertLocation, AlertUpdate } from './types.js';
import { expectedPointToLine, indexPointToLine, type EnterpriseTags, type ExpectedPoint, type IndexPoint } from '../analytics/index.js';

export type { AlertEvent, StoredAlert, AlertState, Severity, Suppression, AlertFilter, AlertChange, Handled, AlertLocation } from './types.js';
export { ALERT_STATES, SEVERITIES } from './types.js';
export { AlertStore, StoreError, hashToken } from './store.js';
export { HandError, severityOf } from './lifecycle.js';
export type { ChannelState, Clock } from './outbox.js';
export { Retention, PRUNED_WHAT, type PrunedWhat, type PruneCounts, type RetentionOptions } from './retention.js';
export { ChannelConfigError } from './channels/config.js';
export { render } from './templates.js';
export { dingtalkSign } from './channels/robots.js';

export interface AlertsOptions {
  /** SQLite file of the alert store. */
  file: string;
  locale: Locale;
  publicUrl?: string;
  flapWindowMs: number;
  flapNotifyLimit: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** alerts.channelsFile, already read; or a path to read. */
  channels?: ChannelsFile | string;
  /** The single legacy endpoint (analytics.webhookUrl) as channel "default". */
  webhook?: { url: string; secret?: string };
  sse: { maxBufferedBytes: number; maxStallMs: number; heartbeatMs?: number };
  /** What is pruned when (alerts.retentionDays, alerts.auditRetentionDays); absent: nothing is. */
  retention?: Pick<RetentionOptions, 'alertsMs' | 'auditMs'> & Partial<RetentionOptions>;
}

export interface AlertsDeps {
  log?: Logger;
  /** Where an alert is (registry lookups). */
  locate: (a: Alert) => AlertLocation;
  /** County, chain and stage of an enterprise (registry lookups), for the `enterprise_expected` points. */
  enterpriseTags?: (enterprise: string) => EnterpriseTags | undefined;
  /** MQTT fan-out (ingest.publish). */
  publish?: (topic: string, payload: string) => void;
  onSseDrop?: (reason: 'buffer' | 'stall') => void;
  onDelivered?: (channel: string, createdAt: number) => void;
  /** A delivery attempt failed (it is retried). */
  onDeliveryFailed?: (channel: string) => void;
  /** Rows removed by retention, per table. */
  onPruned?: (what: PrunedWhat, n: number) => void;
  clock?: Clock;
}

/** Anything that emits the analyzer's events (the analyzer itself). */
export interface AlertSource {
  on(event: 'alertUpdate', fn: (u: AlertUpdate) => void): unknown;
  on(event: 'index', fn: (p: IndexPoint) => void): unknown;
  on(event: 'expected', fn: (ps: ExpectedPoint[]) => void): unknown;
  off(event: 'alertUpdate', fn: (u: AlertUpdate) => void): unknown;
  off(event: 'index', fn: (p: IndexPoint) => void): unknown;
  off(event: 'expected', fn: (ps: ExpectedPoint[]) => void): unknown;
}

export interface AlertsStage {
  readonly store: AlertStore;
  readonly lifecycle: Lifecycle;
  readonly sse: SseHub;
  readonly outbox: Outbox;
  readonly retention: Retention;
  /** Feeds the stage from the analyzer: alert changes, production-index points and the judged expected values. */
  attach(source: AlertSource): void;
  channels(): ChannelState[];
  start(): void;
  close(): Promise<void>;
}

/** Where the pipeline keeps the alert store: <dataDir>/alerts/alerts.sqlite. */
export const alertStoreFile = (dataDir: string) => join(dataDir, 'alerts', 'alerts.sqlite');

export const ALERT_TOPIC = (kind: string) => `gridpulse/v1/alerts/${kind}`;

/** The MQTT / SSE message of one event. */
export function eventMessage(e: AlertEvent): object {
  return { seq: e.seq, change: e.change, state: e.state, at: e.at, actor: e.actor, ...(e.comment ? { comment: e.comment } : {}), alert: e.alert };
}

/**
 * The alerts stage, between the analyzer and every output: the durable store, the lifecycle, the
 * outbox with its people channels, the SSE hub and the MQTT fan-out, and the durable queue of the
 * analyzer's points for InfluxDB (drained by src/storage/points-writer.ts).
 */
export function createAlerts(o: AlertsOptions, deps: AlertsDeps): AlertsStage {
  const log = deps.log?.child({ stage: 'alerts' });
  const defaults = { locale: o.locale, ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}) };
  const channels: Channel[] = [];
  if (o.webhook) channels.push(webhookChannel({ name: 'default', ...o.webhook }));
  if (o.channels) channels.push(...buildChannels(typeof o.channels === 'string' ? loadChannelsFile(o.channels) : o.channels, defaults));

  const store = new AlertStore(o.file);
  const clock = deps.clock ?? realClock;
  const sse = new SseHub({ maxBufferedBytes: o.sse.maxBufferedBytes, maxStallMs: o.sse.maxStallMs, heartbeatMs: o.sse.heartbeatMs ?? 15_000, ...(deps.onSseDrop ? { onDrop: deps.onSseDrop } : {}) });
  const retention = new Retention(store.db, { ...DEFAULT_RETENTION, alertsMs: 0, auditMs: 0, ...o.retention }, clock, log, deps.onPruned);
  const outbox = new Outbox(store, channels, { baseDelayMs: o.retryBaseMs, maxDelayMs: o.retryMaxMs, keepDeliveredMs: 7 * 86_400_000 }, log, clock, deps.onDelivered, deps.onDeliveryFailed);

  const committed = (e: AlertEvent) => {
    const msg = eventMessage(e);
    sse.broadcast({ seq: e.seq, event: 'alert', data: msg });
    deps.publish?.(ALERT_TOPIC(e.alert.kind), JSON.stringify(msg));
    if (e.notify) outbox.wake();
  };
  const lifecycle = new Lifecycle(store, {
    flapWindowMs: o.flapWindowMs,
    flapNotifyLimit: o.flapNotifyLimit,
    locate: deps.locate,
    channelsFor: (e) => channels.filter((c) => c.accepts(e)).map((c) => c.name),
    now: () => clock.now(),
  }, committed);

  const onUpdate = (u: AlertUpdate) => {
    try {
      lifecycle.apply(u);
    } catch (err) {
      // The store is on local disk; if it cannot write, say so loudly but keep the pipeline running.
      log?.error({ err: (err as Error).message, alert: u.alert.id }, 'alert change not recorded');
    }
  };
  const onIndex = (p: IndexPoint) => {
    try {
      store.addPoints([indexPointToLine(p)]);
    } catch (err) {
      log?.error({ err: (err as Error).message }, 'production index point not recorded');
    }
  };
  const tagsOf = deps.enterpriseTags ?? (() => undefined);
  const onExpected = (ps: ExpectedPoint[]) => {
    try {
      // An enterprise the registry no longer knows keeps its point, under county `unknown`.
      store.addPoints(ps.map((p) => expectedPointToLine(p, tagsOf(p.enterprise) ?? { county: 'unknown' })));
    } catch (err) {
      log?.error({ err: (err as Error).message, points: ps.length }, 'expected-value points not recorded');
    }
  };

  return {
    store, lifecycle, sse, outbox, retention,
    attach(source) {
      source.on('alertUpdate', onUpdate);
      source.on('index', onIndex);
      source.on('expected', onExpected);
    },
    channels: () => outbox.states(),
    start: () => {
      outbox.start();
      retention.start();
    },
    async close() {
      sse.close();
      await retention.stop();
      await outbox.stop();
      store.close();
    },
  };
}
