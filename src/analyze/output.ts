import type { Alert } from '../../analytics/index.js';
import type { OffsetFn } from './time.js';

/** One alert as the command prints it: times in ISO 8601 with the analysis zone's offset. */
export interface AlertRecord {
  kind: string;
  scope: string;
  entity: string;
  status: string;
  since: string;
  raisedAt: string;
  resolvedAt: string | null;
  baselineKwh: number;
  actualKwh: number;
  dropPct: number;
  contributors: Array<{ enterprise: string; share: number; missingKwh: number }>;
  reason: string | null;
  parentId: string | null;
  id: string;
}

export function isoIn(offset: OffsetFn, ms: number): string {
  const off = offset(ms);
  const abs = Math.abs(off) / 60_000;
  const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${new Date(ms + off).toISOString().slice(0, 19)}${zone}`;
}

export function toRecord(a: Alert, offset: OffsetFn): AlertRecord {
  return {
    kind: a.kind, scope: a.scope, entity: a.entity, status: a.status,
    since: isoIn(offset, a.since), raisedAt: isoIn(offset, a.openedAt),
    resolvedAt: a.status === 'open' ? null : isoIn(offset, a.updatedAt),
    baselineKwh: a.baselineKwh, actualKwh: a.actualKwh, dropPct: a.dropPct,
    contributors: a.contributors.map((c) => ({ enterprise: c.enterprise, share: c.share, missingKwh: c.missingKwh })),
    reason: a.evidence.reason ?? null, parentId: a.parentId ?? null, id: a.id,
  };
}

/** Stable order: by time raised, then start, kind, entity, id (ids are sequence numbers of the run). */
export function sortAlerts(as: Alert[]): Alert[] {
  return as.sort((a, b) => a.openedAt - b.openedAt || a.since - b.since || cmp(a.kind, b.kind) || cmp(a.entity, b.entity) || cmp(a.id, b.id));
}
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const CSV_HEADER = ['kind', 'scope', 'entity', 'status', 'since', 'raised_at', 'resolved_at', 'baseline_kwh', 'actual_kwh', 'drop_pct', 'contributors', 'reason', 'parent_id', 'id'];

/** RFC 4180 quoting (a field with a comma, quote or line break is quoted, quotes doubled). */
function field(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatAlerts(records: AlertRecord[], format: 'jsonl' | 'csv'): string {
  if (format === 'jsonl') return records.map((r) => `${JSON.stringify(r)}\n`).join('');
  const rows = records.map((r) => [r.kind, r.scope, r.entity, r.status, r.since, r.raisedAt, r.resolvedAt, r.baselineKwh, r.actualKwh, r.dropPct,
    r.contributors.map((c) => `${c.enterprise}:${c.share}`).join(';'), r.reason, r.parentId, r.id].map(field).join(','));
  return [CSV_HEADER.join(','), ...rows].map((l) => `${l}\n`).join('');
}
