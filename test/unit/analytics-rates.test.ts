import { describe, expect, it } from 'vitest';
import { MeterBaselines } from '../../analytics/baseline.js';
import { DropDetector, type DropGates } from '../../analytics/drops.js';
import { ratePerInterval, resolveOptions } from '../../analytics/options.js';
import { EnterpriseSeries } from '../../analytics/series.js';

/**
 * Learning rates are stated per 15 minutes of time and scaled to the interval in resolveOptions: the same
 * plant read every 15 minutes or every hour has learned as much after the same span of time.
 */
const Q = 900_000, H = 3_600_000;

// A calm plant: expected 100 kWh an hour, actual 4 % above or below it, alternating (never a drop).
function learnCalmDay(intervalMs: number): { noise: number; qlo: number } {
  const o = resolveOptions({ intervalMs });
  const perHour = H / intervalMs;
  const series = new EnterpriseSeries(o.windowIntervals, perHour);
  const gates: DropGates = { learning: () => false, declining: () => false, slideExplains: () => false, workEndsSoon: () => false, weekendSoFar: () => [0, 0] };
  const d = new DropDetector(o, series, gates);
  d.grow(1); series.grow(1); d.reset(0); series.reset(0);
  const E = 100 / perHour;
  for (let b = 1000; b < 1000 + 24 * perHour; b++) {
    const A = E * (b % 2 === 0 ? 1.04 : 0.96);
    const j = b % o.windowIntervals;
    series.eA[j] = A; series.eE[j] = E;
    d.step(0, b, A, E, -1, -1);
  }
  return { noise: d.eNoise[0]!, qlo: d.eQlo[0]! };
}

describe('learning rates in time, not per interval', () => {
  it('are the documented values at 15 minutes and compound to the same share per hour at other intervals', () => {
    const q = resolveOptions({}), h = resolveOptions({ intervalMs: H });
    expect([q.noiseRatePerInterval, q.qloRatePerInterval, q.baselineAlphaPerInterval]).toEqual([0.02, 0.02, 0.08]);
    expect(1 - h.noiseRatePerInterval).toBeCloseTo((1 - 0.02) ** 4, 12);
    expect(ratePerInterval(0.08, 5 * 60_000)).toBeCloseTo(1 - 0.92 ** (1 / 3), 12);
    expect(h.peakDecayPerInterval).toBeCloseTo(0.9993 ** 4, 12);
  });

  it('a day of a calm plant teaches the same noise and dip quantile at 15 and at 60 minutes', () => {
    const quarter = learnCalmDay(Q), hourly = learnCalmDay(H);
    // From 10 % towards 5 % (1.25 × 4 %): after one day 15-minute learning has come 86 % of the way.
    expect(quarter.noise).toBeLessThan(0.06);
    expect(Math.abs(hourly.noise - quarter.noise)).toBeLessThan(0.001); // per interval, hourly would stay at 0.081
    expect(quarter.qlo - 0.8).toBeGreaterThan(0.03); // the ratio is never below it: the quantile creeps up
    expect(Math.abs(hourly.qlo - quarter.qlo)).toBeLessThan(0.002); // per interval, hourly would gain a quarter of it
  });

  it('a baseline slot follows a new level as far in two weeks at 15 as at 60 minutes', () => {
    function followed(intervalMs: number): number {
      const o = resolveOptions({ intervalMs });
      const perHour = H / intervalMs;
      const bl = new MeterBaselines({ learnIntervals: 0, baselineAlphaPerInterval: o.baselineAlphaPerInterval, baselineClip: o.baselineClip });
      bl.grow(1); bl.reset(0);
      const slot = 6 * 24 + 10; // a Saturday hour: no quarter shape
      bl.learn(0, slot, -1, 10 / perHour, 0.1); // the old level, 10 kWh an hour
      for (let week = 0; week < 2; week++) for (let k = 0; k < perHour; k++) bl.learn(0, slot, -1, 11 / perHour, 0.1);
      return (bl.expected(0, slot, 6, -1) * perHour - 10) / (11 - 10);
    }
    const quarter = followed(Q), hourly = followed(H);
    expect(quarter).toBeGreaterThan(0.45); // 1 − 0.92^8
    expect(Math.abs(hourly - quarter)).toBeLessThan(0.01); // per observation, hourly would be at 0.15
  });
});
