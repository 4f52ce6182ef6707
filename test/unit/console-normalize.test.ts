import { describe, expect, it } from 'vitest';
import type { Alert } from '../../analytics/types.js';
import { ackBody, normalizeEvent, normalizeList, type StoredAlertV2 } from '../../console/src/normalize.js';
import { midnightIn } from '../../console/src/time.js';

const alert: Alert = {
  id: 'production_halt:enterprise:e1:1', kind: 'production_halt', scope: 'enterprise', entity: 'e1', status: 'open',
  openedAt: 1000, since: 500, updatedAt: 2000, baselineKwh: 100, actualKwh: 5, dropPct: 95, contributors: [], evidence: { detectedAtTs: 900, intervals: 3 },
};
const stored = (over: Partial<StoredAlertV2> = {}): StoredAlertV2 => ({
  id: alert.id, state: 'open', severity: 'critical', kind: alert.kind, scope: alert.scope, entity: alert.entity, openedAt: 1100, updatedAt: 2100, alert, ...over,
});

/** The console reads both alert API shapes (today's, and issue 10's alert store) into one. */
describe('console: alert API shapes', () => {
  it('reads a v1 list: the analyzer alert plus an ISO acknowledgement', () => {
    const r = normalizeList([{ ...alert, acknowledged: { by: 'li', at: '2026-09-22T03:00:00Z', note: '锅炉' } }, { ...alert, id: 'x', acknowledged: null }]);
    expect(r.flavor).toBe('v1');
    expect(r.next).toBeNull();
    expect(r.alerts[0]).toMatchObject({ state: 'acknowledged', status: 'open', acknowledged: { by: 'li', at: Date.parse('2026-09-22T03:00:00Z'), comment: '锅炉' } });
    expect(r.alerts[1]).toMatchObject({ id: 'x', state: 'open', acknowledged: null });
  });

  it('reads a v2 page: state, severity, handling and the cursor from the store, the rest from the analyzer', () => {
    const r = normalizeList({ alerts: [stored({ state: 'resolved', resolved: { by: 'wang', at: 3000, comment: '已复产' } }), stored({ id: 's2', state: 'suppressed' })], next: 'c1' });
    expect(r.flavor).toBe('v2');
    expect(r.next).toBe('c1');
    expect(r.alerts[0]).toMatchObject({ id: alert.id, state: 'resolved', status: 'resolved', severity: 'critical', openedAt: 1100, dropPct: 95, resolvedBy: { by: 'wang', comment: '已复产' }, acknowledged: null });
    expect(r.alerts[1]).toMatchObject({ id: 's2', state: 'suppressed', status: 'withdrawn' });
  });

  it('reads SSE messages of both shapes; only v1 ones leave the known acknowledgement in place', () => {
    const v1 = normalizeEvent({ change: 'updated', alert });
    expect(v1).toMatchObject({ change: 'updated', keepAck: true, alert: { id: alert.id, state: 'open' } });
    const v2 = normalizeEvent({ seq: 42, change: 'acknowledged', state: 'acknowledged', at: 5, actor: 'li', alert: stored({ state: 'acknowledged', acknowledged: { by: 'li', at: 5 } }) });
    expect(v2).toMatchObject({ seq: 42, keepAck: false, alert: { state: 'acknowledged', acknowledged: { by: 'li', at: 5 } }, entry: { at: 5, change: 'acknowledged', actor: 'li' } });
    expect(v1.entry).toBeUndefined();
  });

  it('writes the acknowledgement body each API accepts', () => {
    expect(ackBody('v1', 'li', 'note')).toEqual({ by: 'li', note: 'note' });
    expect(ackBody('v2', 'li', 'note')).toEqual({ by: 'li', comment: 'note' });
    expect(ackBody('v2', '')).toEqual({});
  });

  it('reads a date filter as midnight in the configured zone', () => {
    expect(midnightIn('2026-09-22', 'Asia/Shanghai')).toBe(Date.parse('2026-09-22T00:00:00+08:00'));
    expect(midnightIn('2026-09-22', 'UTC')).toBe(Date.parse('2026-09-22T00:00:00Z'));
    expect(midnightIn('2026-03-29', 'Europe/Berlin')).toBe(Date.parse('2026-03-29T00:00:00+01:00'));
    expect(midnightIn('2026-03-30', 'Europe/Berlin')).toBe(Date.parse('2026-03-30T00:00:00+02:00'));
  });
});
