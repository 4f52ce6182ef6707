import type { AlertStore } from './store.js';
import type { Alert, AlertChange, AlertEvent, AlertLocation, AlertUpdate, Severity, StoredAlert } from './types.js';
import { alertToLine } from '../analytics/index.js';

export interface LifecycleOptions {
  /** A recovery followed by a new episode of the same kind and entity within this is a flap: one alert. */
  flapWindowMs: number;
  /** Reopens notified per episode; past it the changes are recorded and streamed, not sent to people. */
  flapNotifyLimit: number;
  /** Where an alert is (enterprise, chain, county), from the registry. */
  locate: (a: Alert) => AlertLocation;
  /** People channels a notified event goes to (each gets an outbox row). */
  channelsFor: (e: AlertEvent) => string[];
  now: () => number;
}

const SEVERITY_RANK: Record<Severity, number> = { minor: 0, major: 1, critical: 2 };

/** Severity from the kind and how deep the drop is; it only rises within an episode (escalation). */
export function severityOf(a: Alert): Severity {
  if (a.kind === 'production_halt' || a.kind === 'grid_outage' || a.kind === 'chain_disruption' || a.dropPct >= 70) return 'critical';
  if (a.kind === 'meter_offline') return 'minor';
  if (a.kind === 'gateway_offline' || a.dropPct >= 30 || a.kind === 'county_slowdown') return 'major';
  return 'minor';
}

export class HandError extends Error {
  constructor(readonly code: 'not_found' | 'conflict', message: string) {
    super(message);
  }
}

/**
 * The analyst's lifecycle over the analyzer's episodes: open → acknowledged → resolved (by recovery
 * or by hand, with a comment), or withdrawn; suppressed when a window covers it. Every change is one
 * transaction: the alert row, its event, its outbox rows and its InfluxDB point. `onCommitted` runs
 * after the commit (SSE, MQTT, waking the outbox).
 */
export class Lifecycle {
  constructor(private readonly store: AlertStore, private readonly o: LifecycleOptions, private readonly onCommitted: (e: AlertEvent) => void) {}

  private record(a: StoredAlert, analyzerId: string, change: AlertChange, actor: string, notify: boolean, comment?: string): AlertEvent {
    this.store.saveAlert(a, analyzerId);
    const e = this.store.addEvent({ alertId: a.id, change, state: a.state, at: a.updatedAt, actor, notify, alert: a, ...(comment !== undefined ? { comment } : {}) });
    if (notify) for (const ch of this.o.channelsFor(e)) this.store.enqueue(ch, e.seq, a.updatedAt);
    // The Grafana annotation shows the analyst's state, not only the analyzer's.
    this.store.addPoints([alertToLine({ ...a.alert, id: a.id, status: a.state as Alert['status'] })]);
    return e;
  }

  /** An update from the analyzer. Returns the event recorded, if any. */
  apply(u: AlertUpdate): AlertEvent | undefined {
    const now = this.o.now();
    const e = this.store.tx(() => this.applyTx(u, now));
    if (e) this.onCommitted(e);
    return e;
  }

  private applyTx(u: AlertUpdate, now: number): AlertEvent | undefined {
    const a = u.alert;
    const knownId = this.store.alertIdFor(a.id);
    // An unknown analyzer id for an episode the store still has open: the analyzer restarted from an
    // older checkpoint and found the same drop again. Same episode, same alert, no second notification.
    const cur = knownId ? this.store.alert(knownId) : u.change === 'opened' ? this.store.openEpisode(a) : undefined;
    if (!cur) {
      if (u.change !== 'opened' && u.change !== 'updated') return undefined;
      const flapped = this.store.recentlyRecovered(a, now - this.o.flapWindowMs);
      if (flapped) {
        const next: StoredAlert = { ...flapped, state: 'open', flaps: flapped.flaps + 1, updatedAt: now, alert: { ...a, id: flapped.id }, severity: maxSeverity(flapped.severity, severityOf(a)) };
        delete next.resolved;
        delete next.acknowledged;
        return this.record(next, a.id, 'reopened', 'analyzer', next.flaps <= this.o.flapNotifyLimit && !next.suppressedBy);
      }
      const location = this.o.locate(a);
      const window = this.store.activeSuppression(location, now);
      const fresh: StoredAlert = {
        id: a.id, state: window ? 'suppressed' : 'open', severity: severityOf(a), kind: a.kind, scope: a.scope, entity: a.entity, location,
        openedAt: now, updatedAt: now, flaps: 0, alert: a, ...(window ? { suppressedBy: window } : {}),
      };
      return this.record(fresh, a.id, window ? 'suppressed' : 'opened', 'analyzer', !window);
    }
    const next: StoredAlert = { ...cur, updatedAt: now, kind: a.kind, alert: { ...a, id: cur.id } };
    const quiet = cur.state === 'suppressed' || cur.flaps > this.o.flapNotifyLimit;
    if (u.change === 'opened' || u.change === 'updated') {
      const sev = severityOf(a);
      // Widened: more enterprises contribute (a county slowdown growing, a chain disruption spreading),
      // or this enterprise's drop turned out to be part of a chain disruption (parentId set).
      const widened = (a.contributors.length > cur.alert.contributors.length && cur.alert.contributors.length > 0) || (a.parentId !== undefined && cur.alert.parentId === undefined);
      const escalated = SEVERITY_RANK[sev] > SEVERITY_RANK[cur.severity] || a.kind !== cur.kind || widened;
      next.severity = maxSeverity(cur.severity, sev);
      const open = cur.state === 'open' || cur.state === 'acknowledged';
      return this.record(next, a.id, escalated && open ? 'escalated' : 'updated', 'analyzer', escalated && open && !quiet);
    }
    // resolved / withdrawn by the analyzer. A hand-resolved alert keeps its resolution.
    if (cur.state === 'resolved' || cur.state === 'withdrawn') return this.record(next, a.id, 'updated', 'analyzer', false);
    if (cur.state === 'suppressed') return this.record(next, a.id, 'updated', 'analyzer', false, a.evidence.reason);
    next.state = u.change;
    if (u.change === 'resolved') next.resolved = { by: 'analyzer', at: now, comment: a.evidence.reason ?? 'consumption recovered' };
    return this.record(next, a.id, u.change, 'analyzer', !quiet, a.evidence.reason);
  }

  acknowledge(id: string, by: string, comment?: string): AlertEvent {
    return this.byHand(id, 'acknowledged', by, comment);
  }

  resolve(id: string, by: string, comment: string): AlertEvent {
    return this.byHand(id, 'resolved', by, comment);
  }

  private byHand(id: string, change: 'acknowledged' | 'resolved', by: string, comment?: string): AlertEvent {
    const now = this.o.now();
    const e = this.store.tx(() => {
      const cur = this.store.alert(id);
      if (!cur) throw new HandError('not_found', `alert ${id} not found`);
      // An alert is acknowledged once, whatever its state (an analyst may confirm one that already
      // recovered: it stays resolved); only open, acknowledged or suppressed ones can be resolved.
      const allowed = change === 'acknowledged' ? !cur.acknowledged : cur.state === 'open' || cur.state === 'acknowledged' || cur.state === 'suppressed';
      if (!allowed) throw new HandError('conflict', change === 'acknowledged' ? `alert ${id} was already acknowledged by ${cur.acknowledged!.by}` : `alert ${id} is ${cur.state}; it cannot be resolved`);
      const handled = { by, at: now, ...(comment ? { comment } : {}) };
      const state = change === 'acknowledged' && cur.state !== 'open' ? cur.state : change;
      const next: StoredAlert = { ...cur, state, updatedAt: now, ...(change === 'acknowledged' ? { acknowledged: handled } : { resolved: handled }) };
      return this.record(next, id, change, by, cur.state !== 'suppressed', comment);
    });
    this.onCommitted(e);
    return e;
  }
}

function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}
