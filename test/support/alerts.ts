import type { Alert, AlertUpdate } from '../../analytics/index.js';

/** An analyzer alert update as the analyzer emits it (input to the alerts stage, not its output). */
export function alertUpdate(change: AlertUpdate['change'], o: Partial<Alert> & { id: string }): AlertUpdate {
  const now = Date.now();
  const alert: Alert = {
    kind: 'production_halt', scope: 'enterprise', entity: 'ent0000', status: change === 'resolved' || change === 'withdrawn' ? change : 'open',
    openedAt: now, since: now - 3_600_000, updatedAt: now, baselineKwh: 1000, actualKwh: 100, dropPct: 90,
    contributors: [{ enterprise: 'ent0000', share: 1, missingKwh: 900 }], evidence: { detectedAtTs: now, intervals: 4 },
    ...o,
  };
  return { change, alert };
}
