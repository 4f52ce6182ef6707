import { describe, expect, it } from 'vitest';
import { runCity } from '../../analytics/eval/city.js';

/**
 * The offline evaluation end to end on a small city: the real simulator (simulator/index.ts) through the
 * analyzer, scored against its labels. `npm run eval` runs the full size (2,000 enterprises, 60 days).
 */
describe('eval: simulated city through the analyzer', () => {
  it('finds the halts, keeps false alarms on incident-free meters far below 0.5 per meter-month', () => {
    // 56 days: the simulator places incidents after a 14-day warm-up, the analyzer's learning period.
    const r = runCity({ enterprises: 120, days: 56, start: '2025-03-17T00:00:00+08:00', seed: 2 });
    const halt = r.score.rows.find((x) => x.kind === 'production_halt');
    expect(r.readings).toBeGreaterThan(500_000);
    expect(halt && halt.incidents).toBeGreaterThan(0);
    expect(halt!.recall).toBeGreaterThanOrEqual(0.8);
    expect(halt!.precision).toBeGreaterThanOrEqual(0.8);
    expect(r.score.falseAlarmsPerMeterMonth).toBeLessThan(0.5);
    expect(r.score.alertsOnSpringFestival).toBe(0);
  }, 60_000);
});
