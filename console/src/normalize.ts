/**
 * The two shapes of the alert API, made one for the pages:
 * - v1 (today): `GET /api/v1/alerts` is an array of the analyzer's alerts with `acknowledged`
 *   ({by, at: ISO, note}); SSE data is `{change, alert}`; acks POST `{by, note}`.
 * - v2 (issue 10's alert store, branch wip/alerts): `{alerts: StoredAlert[], next}` with cursor
 *   paging; a StoredAlert wraps the analyzer's alert (`.alert`) with `state`, `severity`,
 *   `acknowledged`/`resolved` ({by, at: ms, comment}); SSE data is `{seq, change, state, at, actor,
 *   comment?, alert: StoredAlert}`; `GET /api/v1/alerts/:id` adds `history`; resolve, suppression
 *   windows and channel state exist.
 * Pure functions (no DOM), so the unit test runs them in Node.
 */
import type { Alert } from '../../analytics/types.js';

export type ApiFlavor = 'v1' | 'v2';
export type DisplayState = 'open' | 'acknowledged' | 'resolved' | 'withdrawn' | 'suppressed';
export interface Handled { by: string; at: number; comment?: string }
export interface HistoryEntry { at: number; change: string; state?: string; actor?: string; comment?: string }

export type InboxAlert = Alert & {
  state: DisplayState;
  severity?: string;
  acknowledged: Handled | null;
  resolvedBy?: Handled;
  suppressedBy?: { reason: string; createdBy: string; startsAt: number; endsAt: number };
  history?: HistoryEntry[];
};

/** v2's StoredAlert, structurally (alerts/types.ts on wip/alerts). */
export interface StoredAlertV2 {
  id: string;
  state: DisplayState;
  severity: string;
  kind: Alert['kind'];
  scope: Alert['scope'];
  entity: string;
  openedAt: number;
  updatedAt: number;
  acknowledged?: Handled;
  resolved?: Handled;
  suppressedBy?: { reason: string; createdBy: string; startsAt: number; endsAt: number };
  alert: Alert;
  history?: HistoryEntry[];
}
type V1Alert = Alert & { acknowledged?: { by: string; at: string; note?: string } | null };

const isStored = (x: unknown): x is StoredAlertV2 => typeof x === 'object' && x !== null && 'alert' in x && typeof (x as { alert: unknown }).alert === 'object' && 'state' in x;

export function fromV1(a: V1Alert): InboxAlert {
  const ack = a.acknowledged ? { by: a.acknowledged.by, at: Date.parse(a.acknowledged.at), ...(a.acknowledged.note ? { comment: a.acknowledged.note } : {}) } : null;
  return { ...a, acknowledged: ack, state: a.status === 'open' && ack ? 'acknowledged' : a.status };
}

export function fromV2(s: StoredAlertV2): InboxAlert {
  const status: Alert['status'] = s.state === 'open' || s.state === 'acknowledged' ? 'open' : s.state === 'resolved' ? 'resolved' : 'withdrawn';
  return {
    ...s.alert, id: s.id, kind: s.kind, scope: s.scope, entity: s.entity, openedAt: s.openedAt, updatedAt: s.updatedAt, status,
    state: s.state, severity: s.severity, acknowledged: s.acknowledged ?? null,
    ...(s.resolved ? { resolvedBy: s.resolved } : {}), ...(s.suppressedBy ? { suppressedBy: s.suppressedBy } : {}), ...(s.history ? { history: s.history } : {}),
  };
}

/** One alert from either shape. */
export const normalizeAlert = (x: unknown): InboxAlert => (isStored(x) ? fromV2(x) : fromV1(x as V1Alert));

/** A list response: the flavor it reveals, its alerts, and v2's cursor. */
export function normalizeList(body: unknown): { flavor: ApiFlavor; alerts: InboxAlert[]; next: string | null } {
  if (Array.isArray(body)) return { flavor: 'v1', alerts: body.map((a) => fromV1(a as V1Alert)), next: null };
  const b = body as { alerts: StoredAlertV2[]; next: string | null };
  return { flavor: 'v2', alerts: b.alerts.map(fromV2), next: b.next };
}

/** An SSE message: v1 `{change, alert: Alert}`, v2 `{seq, change, …, alert: StoredAlert}`. */
export function normalizeEvent(data: unknown): { change: string; seq?: number; alert: InboxAlert; keepAck: boolean; entry?: HistoryEntry } {
  const m = data as { change: string; seq?: number; at?: number; actor?: string; comment?: string; state?: string; alert: unknown };
  const v2 = isStored(m.alert);
  // v1 events do not carry acknowledgements: the page keeps the one it knows. v2 events are history entries.
  const entry: HistoryEntry | undefined = v2 && m.at !== undefined
    ? { at: m.at, change: m.change, ...(m.state ? { state: m.state } : {}), ...(m.actor ? { actor: m.actor } : {}), ...(m.comment ? { comment: m.comment } : {}) } : undefined;
  return { change: m.change, ...(m.seq !== undefined ? { seq: m.seq } : {}), alert: normalizeAlert(m.alert), keepAck: !v2, ...(entry ? { entry } : {}) };
}

/** The body of an acknowledgement in each flavor. */
export const ackBody = (flavor: ApiFlavor, by: string, comment?: string): Record<string, string> =>
  flavor === 'v1' ? { by, ...(comment ? { note: comment } : {}) } : { ...(by ? { by } : {}), ...(comment ? { comment } : {}) };
