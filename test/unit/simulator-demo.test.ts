import { describe, expect, it } from 'vitest';
import { cstDate, dayInfo } from '../../simulator/calendar.js';
import { DEMO, demoScenario, recentWorkingMornings } from '../../simulator/demo.js';

const I = 15 * 60_000;
const DAY = 86_400_000;

describe('the demo scenario (simulate --demo)', () => {
  // A Tuesday 10:00 China time, a Monday 06:00 (after a weekend) and a Saturday.
  it.each(['2026-12-01T02:00:00Z', '2026-11-29T22:00:00Z', '2026-11-28T04:00:00Z'])('places incidents the analyzer can alert on while the history is sent (now %s)', (iso) => {
    const now = Date.parse(iso);
    const start = Math.floor((now - DEMO.historyDays * DAY) / I) * I;
    const sc = demoScenario(start, now, I);
    const before = sc.incidents.filter((x) => Date.parse(x.start) < now);
    const after = sc.incidents.filter((x) => Date.parse(x.start) >= now);
    expect(before.length).toBeGreaterThanOrEqual(2);
    for (const x of before) {
      const t = Date.parse(x.start);
      expect(t).toBeGreaterThanOrEqual(start + DEMO.learnDays * DAY);
      expect(t + 2 * 3600_000).toBeLessThanOrEqual(now);
      expect(dayInfo(cstDate(t)).mode).toBe('work');
    }
    expect(after).toHaveLength(1);
    expect(dayInfo(cstDate(Date.parse(after[0]!.start))).mode).toBe('work');
    expect(sc.warmupDays).toBe(DEMO.learnDays);
  });

  it('finds no morning inside the learning phase', () => {
    const now = Date.parse('2026-12-01T02:00:00Z');
    expect(recentWorkingMornings(now - 14 * DAY, now, I)).toEqual([]);
  });
});
