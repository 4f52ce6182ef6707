import { describe, expect, it } from 'vitest';
import { createAnalyzer, resolveOptions, type Alert, type CoarseMeter } from '../../analytics/index.js';
import { synthBatches, type SynthMeter } from '../../analytics/eval/synth.js';

/**
 * Any interval: the same plants, read every 15 minutes or every hour. Options are stated in time, so an
 * hourly analyzer learns for the same 14 days and opens a halt within the same hours; hourly data given to a
 * 15-minute analyzer is reported as coarse and judged at its own hour, never silently ignored.
 */
const START = Date.parse('2025-03-02T16:00:00Z'); // Monday 2025-03-03 00:00 China time
const H = 3_600_000;
const T0 = Date.parse('2025-03-19T02:00:00Z'); // Wednesday 10:00 China time, after two weeks of learning

const ms: SynthMeter[] = Array.from({ length: 6 }, (_, i) => ({
  meter: `M${i}`, enterprise: `E${i}`, gateway: `G${i}`, county: 'nanhu', chain: 'fasteners', peak: 40 + i * 9, shifts: (1 + (i % 2)) as 1 | 2,
}));
const stopE2 = (m: SynthMeter, t: number) => (m.enterprise === 'E2' && t >= T0 && t < T0 + 6 * H ? 0.02 : 1);

function feed(o: { intervalMs?: number; every: number; warn?: (x: object) => void; onCoarse?: (c: CoarseMeter) => void }) {
  const an = createAnalyzer(
    { ...(o.intervalMs ? { intervalMs: o.intervalMs } : {}), graceMs: 0, springFestivalAfterDays: 21 },
    { registry: () => undefined, ...(o.warn ? { logger: fakeLogger(o.warn) } : {}), ...(o.onCoarse ? { onCoarseData: o.onCoarse } : {}) },
  );
  const alerts: Alert[] = [];
  an.on('alert', (a) => alerts.push(a));
  for (const b of synthBatches({ meters: ms, start: START, intervals: 20 * 96, shape: stopE2, seed: 5 })) {
    if ((b.ts - START) % o.every !== 0) continue;
    an.ingest(b.readings);
    an.tick(b.ts);
  }
  return { an, alerts };
}

function fakeLogger(warn: (x: object) => void): never {
  const l = { warn: (x: object) => warn(x), info: () => {}, debug: () => {}, error: () => {}, child: () => l };
  return l as never;
}

const drops = (alerts: Alert[]) => alerts.filter((a) => a.kind === 'production_halt' || a.kind === 'production_cut').map((a) => [a.kind, a.entity, a.since]);

describe('any interval', () => {
  it('15-minute data at a 15-minute interval: the stop is a halt within half an hour', () => {
    const { alerts, an } = feed({ every: 900_000 });
    expect(drops(alerts)).toEqual([['production_halt', 'E2', T0]]);
    expect(alerts[0]!.openedAt - T0).toBeLessThanOrEqual(2 * 900_000);
    expect(an.coarseMeters()).toEqual([]);
  });

  it('hourly data at a 60-minute interval: the same stop, within two hours; learning still takes 14 days', () => {
    const { alerts, an } = feed({ intervalMs: H, every: H });
    expect(drops(alerts)).toEqual([['production_halt', 'E2', T0]]);
    expect(alerts[0]!.openedAt - T0).toBeLessThanOrEqual(2 * H);
    expect(an.options.learnIntervals).toBe(14 * 24);
    expect(an.options.nearZeroRun).toBe(1);
    expect(resolveOptions({ intervalMs: H }).graceMs).toBe(20 * 60_000); // a third of the interval
    expect(an.coarseMeters()).toEqual([]);
  });

  it('hourly data at a 15-minute interval is detected, logged once per meter, counted, exposed and judged at its own hour', () => {
    const warned: object[] = [];
    const hooked: CoarseMeter[] = [];
    const { alerts, an } = feed({ every: H, warn: (x) => warned.push(x), onCoarse: (c) => hooked.push(c) });
    expect(drops(alerts)).toEqual([['production_halt', 'E2', T0]]); // spread evenly over its quarter-hours (analytics-coarse-spread.test.ts) …
    expect(an.coarseMeters().map((c) => [c.meter, c.spacingMs, c.intervalMs]).sort()).toEqual(ms.map((m) => [m.meter, H, 900_000])); // … and listed as coarse
    expect(an.counters().coarseMeters).toBe(ms.length);
    expect(hooked.length).toBe(ms.length);
    expect(warned.filter((w) => 'spacingMs' in w).length).toBe(ms.length);
  });

  it('a meter the registry says is read hourly is listed as coarse from its first reading, once', () => {
    const registry = { enterprises: [{ id: 'E0', county: 'nanhu' }], meters: [{ id: 'M0', enterprise: 'E0', gateway: 'G0', intervalMinutes: 60 }] };
    const an = createAnalyzer({ graceMs: 0 }, { registry: () => registry });
    const base = { gateway: 'G0', enterprise: 'E0', county: 'nanhu', chain: 'fasteners', ctMultiplier: 1 };
    an.ingest([{ meter: 'M0', ts: START, energyKwh: 10, ...base }]);
    expect(an.coarseMeters()).toEqual([{ meter: 'M0', spacingMs: H, intervalMs: 900_000, sinceTs: START }]);
    for (let k = 1; k <= 6; k++) an.ingest([{ meter: 'M0', ts: START + k * H, energyKwh: 10 + k, ...base }]);
    expect(an.counters().coarseMeters).toBe(1);
  });

  it('intervals that do not divide the hour, or a learning period past the counter, stop start-up naming the key', () => {
    expect(() => resolveOptions({ intervalMs: 7 * 60_000 })).toThrow(/intervalMs/);
    expect(() => resolveOptions({ intervalMs: 5 * 60_000, learnDays: 300 })).toThrow(/learnDays/);
    expect(resolveOptions({ intervalMs: 5 * 60_000 }).windowIntervals).toBe(36);
    expect(resolveOptions({}).learnIntervals).toBe(14 * 96);
  });
});
