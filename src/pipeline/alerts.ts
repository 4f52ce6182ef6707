import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Metrics } from '../metrics.js';
import type { Registry } from '../registry/index.js';
import type { Alert } from '../../analytics/index.js';
import { alertStoreFile, createAlerts, type AlertLocation, type AlertsStage } from '../../alerts/index.js';

/** Where an alert is, for filters and suppression windows. */
function locator(registry: Registry) {
  return (a: Alert): AlertLocation => {
    const ent = (id: string | undefined): AlertLocation => {
      const e = id ? registry.enterprise(id) : undefined;
      return e ? { enterprise: e.id, county: e.county, ...(e.chains[0] ? { chain: e.chains[0] } : {}) } : {};
    };
    switch (a.scope) {
      case 'enterprise': return ent(a.entity);
      case 'meter': return ent(registry.tagsFor(a.entity)?.enterprise);
      case 'gateway': return ent(registry.gateway(a.entity)?.enterprise);
      case 'chain': return { chain: a.entity };
      case 'county': return { county: a.entity };
    }
  };
}

/** The alerts stage from the configuration: store under <dataDir>/alerts, channels, metrics hooks. */
export function buildAlerts(cfg: Config, dataDir: string, deps: { registry: Registry; metrics: Metrics; log: Logger; publish: (topic: string, payload: string) => void }): AlertsStage {
  return createAlerts({
    file: alertStoreFile(dataDir),
    locale: cfg.alerts.locale,
    ...(cfg.alerts.publicUrl ? { publicUrl: cfg.alerts.publicUrl } : {}),
    flapWindowMs: cfg.alerts.flapWindowMinutes * 60_000,
    flapNotifyLimit: cfg.alerts.flapNotifyLimit,
    retryBaseMs: cfg.alerts.retryBaseMs,
    retryMaxMs: cfg.alerts.retryMaxMs,
    ...(cfg.alerts.channelsFile ? { channels: cfg.alerts.channelsFile } : {}),
    ...(cfg.analytics.webhookUrl ? { webhook: { url: cfg.analytics.webhookUrl, ...(cfg.alerts.webhookSecret ? { secret: cfg.alerts.webhookSecret } : {}) } } : {}),
    sse: { maxBufferedBytes: cfg.http.sseMaxBufferedBytes, maxStallMs: cfg.http.sseMaxStallMs },
    retention: { alertsMs: cfg.alerts.retentionDays * 86_400_000, auditMs: cfg.alerts.auditRetentionDays * 86_400_000 },
  }, {
    log: deps.log,
    locate: locator(deps.registry),
    enterpriseTags: (id) => {
      const e = deps.registry.enterprise(id);
      return e ? { county: e.county, ...(e.chains[0] ? { chain: e.chains[0] } : {}), ...(e.stage ? { stage: e.stage } : {}) } : undefined;
    },
    publish: deps.publish,
    onSseDrop: (reason) => {
      deps.metrics.sseDropped.inc({ reason });
      deps.log.info({ reason, maxBufferedBytes: cfg.http.sseMaxBufferedBytes, maxStallMs: cfg.http.sseMaxStallMs }, 'SSE client dropped for not reading; it resumes with Last-Event-ID');
    },
    onDelivered: (channel, createdAt) => {
      deps.metrics.alertDelivered.inc({ channel });
      deps.metrics.alertDeliveryDelay.observe({ channel }, (Date.now() - createdAt) / 1000);
    },
    onDeliveryFailed: (channel) => deps.metrics.alertDeliveryFailures.inc({ channel }),
    onPruned: (what, n) => deps.metrics.alertStorePruned.inc({ what }, n),
  });
}
