import type { Alert } from '../analytics/index.js';

export type { Alert, AlertUpdate } from '../analytics/index.js';

/** The analyst's view of an alert: the analyzer's episode plus what people did with it. */
export type AlertState = 'open' | 'acknowledged' | 'resolved' | 'withdrawn' | 'suppressed';
export const ALERT_STATES: readonly AlertState[] = ['open', 'acknowledged', 'resolved', 'withdrawn', 'suppressed'];
export type Severity = 'minor' | 'major' | 'critical';
export const SEVERITIES: readonly Severity[] = ['minor', 'major', 'critical'];

/** Every state change recorded in the store (`alert_events`), in sequence order. */
export type AlertChange = 'opened' | 'updated' | 'escalated' | 'acknowledged' | 'resolved' | 'withdrawn' | 'suppressed' | 'reopened';

export interface Handled {
  by: string;
  at: number;
  comment?: string;
}

/** Where an alert is, for filters and suppression windows (from the registry). */
export interface AlertLocation {
  enterprise?: string;
  chain?: string;
  county?: string;
}

export interface StoredAlert {
  id: string;
  state: AlertState;
  severity: Severity;
  kind: Alert['kind'];
  scope: Alert['scope'];
  entity: string;
  location: AlertLocation;
  openedAt: number;
  updatedAt: number;
  /** Times this episode came back within the flap window after a recovery. */
  flaps: number;
  /** The suppression window that kept this alert from being notified. */
  suppressedBy?: Suppression;
  acknowledged?: Handled;
  resolved?: Handled;
  /** The analyzer's latest view of the episode: evidence, baseline, contributors. */
  alert: Alert;
}

export interface AlertEvent {
  /** Monotonic over the store's life: the SSE id and the MQTT `seq`. */
  seq: number;
  alertId: string;
  change: AlertChange;
  state: AlertState;
  at: number;
  actor: string;
  comment?: string;
  /** Whether people channels (webhooks, robots, e-mail) are told. */
  notify: boolean;
  alert: StoredAlert;
}

export type SuppressionScope = 'enterprise' | 'chain' | 'county';
export interface Suppression {
  id: string;
  scope: SuppressionScope;
  entity: string;
  startsAt: number;
  endsAt: number;
  reason: string;
  createdBy: string;
  createdAt: number;
}

export interface AlertFilter {
  state?: AlertState[];
  kind?: string[];
  scope?: string[];
  severity?: Severity[];
  county?: string;
  chain?: string;
  enterprise?: string;
  entity?: string;
  /** opened_at range (ms, inclusive from, exclusive to). */
  from?: number;
  to?: number;
}
