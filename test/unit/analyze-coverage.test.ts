import { describe, expect, it } from 'vitest';
import type { Analyzer, MeterLearning } from '../../analytics/index.js';
import { coverageOf, formatCoverage } from '../../src/analyze/coverage.js';

const H = 3_600_000, DAY = 86_400_000;
const T0 = Date.parse('2026-10-12T00:00:00Z');
const UTC = () => 0;

/** Only what coverageOf reads of the analyzer: its options and each meter's learning state (hourly, 14 days = 336 intervals). */
function analyzerWith(states: Record<string, Omit<MeterLearning, 'neededIntervals' | 'lastDataTs'>>): Analyzer {
  return {
    options: { intervalMs: H, learnIntervals: 336, learnDays: 14 },
    learningOf: (m: string) => (states[m] ? { ...states[m], neededIntervals: 336, lastDataTs: null } : undefined),
  } as unknown as Analyzer;
}

describe('analyze: coverage (which meters were judged, from when, and why not)', () => {
  it('sorts meters by reason and estimates when judging began', () => {
    const a = analyzerWith({
      done: { observedIntervals: 400, enterpriseLearning: false },
      late: { observedIntervals: 340, enterpriseLearning: false },
      short: { observedIntervals: 100, enterpriseLearning: false },
      gappy: { observedIntervals: 200, enterpriseLearning: false },
      waits: { observedIntervals: 400, enterpriseLearning: true },
      flat: { observedIntervals: 0, enterpriseLearning: false },
    });
    const c = coverageOf(a, [
      { meter: 'done', firstTs: T0, lastTs: T0 + 399 * H, readings: 400 },
      { meter: 'late', firstTs: T0, lastTs: T0 + 30 * DAY, readings: 341 },
      { meter: 'short', firstTs: T0, lastTs: T0 + 99 * H, readings: 100 },
      { meter: 'gappy', firstTs: T0, lastTs: T0 + 20 * DAY, readings: 201 },
      { meter: 'waits', firstTs: T0, lastTs: T0 + 399 * H, readings: 400 },
      { meter: 'flat', firstTs: T0, lastTs: T0, readings: 1 },
      { meter: 'gone', firstTs: T0, lastTs: T0 + DAY, readings: 24 },
    ]);
    expect([c.meters, c.judged]).toEqual([7, 2]);
    // Without gaps: the newest reading less the intervals beyond the period (64) = T0 + 335 h.
    expect(c.judgedFrom).toBe(T0 + 335 * H);
    expect(c.judgedFromLatest).toBe(T0 + 30 * DAY - 4 * H);
    expect(c.notJudged).toEqual({ short_history: 1, few_intervals: 1, enterprise_learning: 1, too_few_readings: 1, forgotten: 1 });
    const { lines, warnings } = formatCoverage(c, UTC, T0 + 20 * DAY);
    expect(lines[0]).toBe('  judged: 2 of 7 meters, from ≈2026-10-25T23:00:00Z (first meter) … ≈2026-11-10T20:00:00Z (last) to 2026-11-11T00:00:00Z (the first 14 days of each meter are learned from, not judged)');
    expect(lines).toContain('    short: 4.1 days of data, 14 needed to learn (100 of 336 intervals)');
    expect(lines).toContain('    gappy: 20 days of data but only 200 of the 336 intervals needed have data (gaps)');
    expect(lines.slice(-1)).toEqual([expect.stringMatching(/^    gone: 1 day of data, then silent for longer than the analyzer keeps a meter/)]);
    // Five meters are named, the rest counted.
    const many = coverageOf(a, Array.from({ length: 7 }, (_, i) => ({ meter: `x${i}`, firstTs: T0, lastTs: T0 + DAY, readings: 24 })));
    expect(formatCoverage(many, UTC, undefined).lines.slice(-1)).toEqual(['    … and 2 more']);
    expect(warnings).toEqual([expect.stringMatching(/^analyze: warning: --from 2026-11-01T00:00:00Z is before the end of learning \(judged from ≈2026-11-10T20:00:00Z for the last meter\)/)]);
  });

  it('nothing judged: one warning naming the first meter and the fix that fits the data', () => {
    const a = analyzerWith({ m1: { observedIntervals: 100, enterpriseLearning: false } });
    const week = formatCoverage(coverageOf(a, [{ meter: 'm1', firstTs: T0, lastTs: T0 + 10 * DAY, readings: 100 }]), UTC, undefined);
    expect(week.warnings).toEqual([expect.stringMatching(/^analyze: warning: no meter was judged: m1: 10 days of data, 14 needed to learn \(100 of 336 intervals\).*or learn for less with --learn-days N \(7 at least/)]);
    const days = formatCoverage(coverageOf(a, [{ meter: 'm1', firstTs: T0, lastTs: T0 + 99 * H, readings: 100 }]), UTC, undefined);
    expect(days.warnings[0]).toMatch(/give more history: 14 days per meter \(7 at least, with --learn-days 7\)$/);
  });
});
