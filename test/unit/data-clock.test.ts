import { describe, expect, it } from 'vitest';
import { createAnalyzer, resolveOptions, type Alert } from '../../analytics/index.js';
import { synthBatches, type SynthMeter } from '../../analytics/eval/synth.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';
import { DataClock, type ClockedAnalyzer } from '../../src/pipeline/data-clock.js';

/**
 * The data clock (analytics.clock=data) moves the analyzer's time with the readings it files. The
 * analyzer keeps only the last `windowIntervals` registers per meter, so the clock must never fall so
 * far behind the data that a reading overwrites a register an interval not yet evaluated needs.
 */
const I = 900_000;
const H = 3_600_000;
const START = Date.parse('2025-03-02T16:00:00Z');
const T0 = Date.parse('2025-03-19T02:00:00Z');

/** An analyzer stand-in that checks, at every ingest, that no reading lands beyond the ring. */
function fakeAnalyzer(o = resolveOptions({})) {
  const ticks: number[] = [];
  const overruns: number[] = [];
  let filed = 0;
  const an: ClockedAnalyzer = {
    options: o,
    tick: (t) => void ticks.push(t),
    ingest(rs) {
      const last = ticks.at(-1);
      for (const r of rs) {
        filed++;
        if (last !== undefined && Math.round(r.ts / o.intervalMs) > Math.floor((last - o.graceMs) / o.intervalMs) + o.windowIntervals - 1) overruns.push(r.ts);
      }
    },
  };
  return { an, ticks, overruns, filed: () => filed };
}

function reading(gateway: string, ts: number, i = 0): EnrichedReading {
  return { meter: `${gateway}-m${i}`, ts, energyKwh: 1000 + ts / I, gateway, enterprise: `E-${gateway}`, county: 'nanhu', chain: 'fasteners', ctMultiplier: 1 };
}

describe('data clock: bounds read from the analyzer options', () => {
  it('leaves out gateways 2 h 15 min behind at the defaults: inside the 3 h ring less the grace', () => {
    const o = resolveOptions({});
    const clock = new DataClock(fakeAnalyzer(o).an);
    expect(clock.stragglerMs).toBe(135 * 60_000);
    expect(clock.stragglerMs).toBeLessThan(o.windowIntervals * o.intervalMs - o.graceMs);
    expect(new DataClock(fakeAnalyzer(resolveOptions({ windowIntervals: 24 })).an).stragglerMs).toBe(21 * I);
  });

  it('refuses a ring too short for the grace period', () => {
    expect(() => new DataClock(fakeAnalyzer(resolveOptions({ windowIntervals: 4, graceMs: 30 * 60_000 })).an)).toThrow(/windowIntervals/);
  });
});

describe('data clock: no reading overwrites a register still needed', () => {
  it('a gateway further behind than stragglerMs does not hold the clock; its readings come late', () => {
    const f = fakeAnalyzer();
    const clock = new DataClock(f.an);
    for (let k = 0; k <= 4; k++) for (const gw of ['A', 'B']) clock.file([reading(gw, START + k * I)]);
    // B falls silent (a store-and-forward gateway), A goes on for 4 h: the clock follows A once B is a straggler.
    for (let k = 5; k <= 20; k++) clock.file([reading('A', START + k * I)]);
    expect(f.overruns).toEqual([]);
    expect(clock.stats()).toMatchObject({ gateways: 2, stragglers: 1, forcedIntervals: 0 });
    expect(f.ticks.at(-1)!).toBeGreaterThanOrEqual(START + 20 * I - clock.stragglerMs - I);
    // B's backlog arrives: behind the clock (late data for the analyzer), nothing overwritten.
    clock.file(Array.from({ length: 16 }, (_, j) => reading('B', START + (5 + j) * I)));
    expect(f.overruns).toEqual([]);
    expect(clock.stats().stragglers).toBe(0);
  });

  it('without a timer, bursts of one gateway far ahead move the clock before they are filed', () => {
    const f = fakeAnalyzer();
    const clock = new DataClock(f.an);
    // A runs 2 h ahead of B in bursts (within the straggler bound): B holds the clock, A never overwrites.
    for (let k = 0; k < 200; k += 4) {
      for (let j = 0; j < 4; j++) clock.file([reading('A', START + (k + j + 8) * I)]);
      for (let j = 0; j < 4; j++) clock.file([reading('B', START + (k + j) * I)]);
    }
    expect(f.overruns).toEqual([]);
    expect(clock.stats()).toMatchObject({ stragglers: 0, forcedIntervals: 0 });
    expect(clock.stats().roomTicks).toBeGreaterThan(0);
  });

  it('a batch that alone spans more than the ring is filed in time order, the clock moving with it', () => {
    const f = fakeAnalyzer();
    const clock = new DataClock(f.an);
    for (let k = 0; k <= 4; k++) for (const gw of ['A', 'B']) clock.file([reading(gw, START + k * I)]);
    // A's backlog, newest first: 30 intervals, then a 5 h gap and 5 more.
    const steps = [...Array.from({ length: 30 }, (_, j) => 5 + j), ...Array.from({ length: 5 }, (_, j) => 55 + j)].reverse();
    clock.file(steps.map((k) => reading('A', START + k * I)));
    expect(f.filed()).toBe(10 + 35);
    expect(f.overruns).toEqual([]);
    // Past the gap the clock runs ahead of A's last reading: nothing more is to come for those intervals.
    expect(clock.stats().forcedIntervals).toBeGreaterThan(0);
    expect(clock.stats().stragglers).toBe(1);
    // Ticks stay on the interval grid, one at a time.
    for (let i = 1; i < f.ticks.length; i++) expect(f.ticks[i]! - f.ticks[i - 1]!).toBe(I);
  });
});

describe('data clock: what the analyzer sees does not depend on arrival timing', () => {
  const ms: SynthMeter[] = Array.from({ length: 8 }, (_, i) => ({
    meter: `M${i}`, enterprise: `E${i}`, gateway: `G${i}`, county: 'nanhu', chain: ['photovoltaics', 'fasteners'][i % 2]!,
    peak: 40 + ((i * 37) % 60), shifts: (1 + (i % 2)) as 1 | 2,
  }));
  const shape = (m: SynthMeter, t: number) => (m.enterprise === 'E3' && t >= T0 && t < T0 + 6 * H ? 0.02 : 1);
  /** Per-gateway batches, step by step (each synth step carries every gateway). */
  const steps = () => [...synthBatches({ meters: ms, start: START, intervals: 20 * 96, shape, seed: 3 })].map((b) => ms.map((m) => b.readings.filter((r) => r.gateway === m.gateway)));

  function replay(order: (steps: EnrichedReading[][][], file: (rs: EnrichedReading[]) => void, tick: () => void) => void) {
    const an = createAnalyzer({ springFestivalAfterDays: 21 }, { registry: () => undefined });
    const alerts: Alert[] = [];
    an.on('alert', (a) => alerts.push(a));
    const clock = new DataClock(an);
    order(steps(), (rs) => clock.file(rs), () => clock.advance());
    return { alerts: alerts.map((a) => [a.kind, a.entity, a.since, a.openedAt]), counters: an.counters(), e3: an.inspect('E3'), stats: clock.stats() };
  }

  it('lock-step with a tick per interval, and bursts with half the gateways 2 h ahead and no timer, give the same result', () => {
    const lockstep = replay((steps, file, tick) => {
      for (const step of steps) { for (const rs of step) file(rs); tick(); }
    });
    const bursts = replay((steps, file, tick) => {
      // After a common start, gateways G0–G3 run up to 8 intervals (2 h) ahead of G4–G7, delivered
      // 4 intervals at a time; nothing ticks in between.
      const chunk = 4, lead = 4;
      for (const rs of steps[0]!) file(rs);
      for (let k = 1; k < steps.length + lead; k += chunk) {
        for (let j = k; j < Math.min(steps.length, k + chunk); j++) for (const rs of steps[j]!.slice(0, 4)) file(rs);
        for (let j = Math.max(1, k - lead); j < Math.min(steps.length, k - lead + chunk); j++) for (const rs of steps[j]!.slice(4)) file(rs);
      }
      tick(); // the end of the data: up to the watermark
    });
    expect(lockstep.alerts.filter((a) => a[0] === 'production_halt')).toEqual([['production_halt', 'E3', T0, expect.any(Number)]]);
    expect(bursts.alerts).toEqual(lockstep.alerts);
    expect(bursts.counters).toEqual(lockstep.counters);
    expect(bursts.counters.tooLate).toBe(0);
    expect(bursts.stats).toMatchObject({ stragglers: 0, forcedIntervals: 0 });
    expect(bursts.e3).toEqual(lockstep.e3);
  });
});

describe('data clock: the first interval', () => {
  it('first ticks the analyzer one interval after the first readings, so the interval before them (no registers) is never judged', () => {
    const f = fakeAnalyzer();
    const clock = new DataClock(f.an);
    clock.file([reading('g1', T0), reading('g2', T0, 1)]);
    expect(f.ticks).toEqual([]);
    clock.file([reading('g1', T0 + I), reading('g2', T0 + I, 1)]);
    clock.advance();
    // The analyzer's first tick only sets where it starts (analytics/engine.ts tick()); the first interval it
    // evaluates is then (T0, T0 + I], whose registers at both ends are in.
    expect(f.ticks).toEqual([T0 + I]);
  });
});
