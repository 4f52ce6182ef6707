import { describe, expect, it } from 'vitest';
import { createAnalyzer, type Alert } from '../../analytics/index.js';
import { synthBatches, type SynthMeter } from '../../analytics/eval/synth.js';

/** Warm-up from InfluxDB history (InfluxQL), so a restart does not go blind: the runner is faked here. */
const START = Date.parse('2025-03-02T16:00:00Z');
const T0 = Date.parse('2025-03-19T02:00:00Z');
const ms: SynthMeter[] = Array.from({ length: 6 }, (_, i) => ({
  meter: `M${i}`, enterprise: `E${i}`, gateway: `G${i}`, county: 'nanhu', chain: 'fasteners', peak: 50 + 10 * i, shifts: 1,
}));

describe('warmUp', () => {
  it('learns baselines from InfluxQL history, raises nothing for it, and detects a halt right after', async () => {
    const history = [...synthBatches({ meters: ms, start: START, intervals: 21 * 96, shape: (m, t) => (m.enterprise === 'E2' && t >= T0 ? 0.02 : 1), seed: 5 })];
    const queries: string[] = [];
    const query = async (q: string) => {
      queries.push(q);
      const [, a, b] = /time >= (\d+)ms AND time < (\d+)ms/.exec(q)!;
      return history.filter((h) => h.ts >= Number(a) && h.ts < Number(b)).flatMap((h) => h.readings.map((r) => ({
        time: new Date(r.ts).toISOString(), meter: r.meter, enterprise: r.enterprise, chain: r.chain, county: r.county, gateway: r.gateway, register_kwh: r.energyKwh, ct: 1,
      })));
    };
    const now = T0 - 3_600_000; // restart one hour before the halt
    const an = createAnalyzer({ graceMs: 0, springFestivalAfterDays: 21 }, { registry: () => undefined, now: () => now });
    const seen: Alert[] = [];
    an.on('alert', (a) => seen.push(a));
    const r = await an.warmUp(query, { historyMs: 16 * 86_400_000 });
    expect(r.queries).toBe(16);
    expect(r.readings).toBeGreaterThan(16 * 96 * 6 - 10);
    expect(queries[0]).toMatch(/^SELECT first\(register_kwh\) AS register_kwh, sum\(interval_kwh\) AS interval_kwh, max\(interval_min\) AS interval_min, last\(ct\) AS ct FROM reading WHERE time >= \d+ms AND time < \d+ms GROUP BY time\(15m\), meter, enterprise, chain, county, gateway fill\(none\)$/);
    expect(seen).toEqual([]);
    for (const h of history) {
      if (h.ts < now) continue;
      an.ingest(h.readings);
      an.tick(h.ts);
    }
    expect(seen.map((a) => [a.kind, a.entity, a.since])).toEqual([['production_halt', 'E2', T0]]);
  });
});
