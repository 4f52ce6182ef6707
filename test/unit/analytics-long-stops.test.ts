import { describe, expect, it } from 'vitest';
import { calendarFromSpec, createAnalyzer, createListCalendar, type Alert, type AlertUpdate, type Calendar } from '../../analytics/index.js';
import { rng } from '../../analytics/eval/synth.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';

/**
 * Long stops stay visible: a two-day stop is still a stop on day 2 (the ordinary-dip gate does not learn
 * from the stop), and no alert stays open through a window where judging is suspended.
 */
const I = 900_000;
const H = 3_600_000;
const DAY = 86_400_000;
const TZ = 8 * H;
const START = Date.parse('2025-03-03T00:00:00+08:00');

/** Five single-shift plants (08–18 Monday to Friday); `level(plant, ms)` overrides the load share. */
function run(days: number, level: (p: number, ms: number) => number | undefined, calendar: Calendar = calendarFromSpec('none', 'k')) {
  const an = createAnalyzer({ graceMs: 0 }, { registry: () => undefined, calendar });
  const alerts: Alert[] = [];
  const updates: AlertUpdate[] = [];
  an.on('alert', (a) => alerts.push(a));
  an.on('alertUpdate', (u) => updates.push(u));
  const r = rng(3);
  const reg = [1000, 2000, 3000, 4000, 5000];
  for (let ts = START; ts <= START + days * DAY; ts += I) {
    const rs: EnrichedReading[] = [];
    for (let p = 0; p < reg.length; p++) {
      if (ts > START) {
        const t = new Date(ts - I + TZ);
        const dow = t.getUTCDay(), h = t.getUTCHours();
        const normal = dow >= 1 && dow <= 5 && h >= 8 && h < 18 ? 1 : 0.1;
        reg[p]! += 25 * (level(p, ts - I) ?? normal) * (1 + 0.06 * (r() * 2 - 1));
      }
      rs.push({ meter: `m${p}`, ts, energyKwh: Math.round(reg[p]! * 100) / 100, gateway: `g${p}`, enterprise: `e${p}`, county: 'c', chain: 'x', ctMultiplier: 1 });
    }
    an.ingest(rs);
    an.tick(ts);
  }
  return { alerts: alerts.filter((a) => a.entity === 'e2'), updates: updates.filter((u) => u.alert.entity === 'e2'), an };
}

const TUE = Date.parse('2025-04-01T00:00:00+08:00');

describe('long stops', () => {
  it('day 2 of a two-day stop (near zero, then ~53 % of normal) is still alerted', () => {
    const day1 = TUE + 9 * H, day2 = TUE + DAY;
    const { alerts, an } = run(30, (p, ms) => (p !== 2 ? undefined : ms >= day1 && ms < day2 ? 0.03 : ms >= day2 && ms < day2 + DAY ? 0.53 * (new Date(ms + TZ).getUTCHours() >= 8 && new Date(ms + TZ).getUTCHours() < 18 ? 1 : 0.1) : undefined));
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect(alerts[0]!.since).toBe(day1);
    // at 14:00 on day 2 a drop alert on e2 is open
    const at = day2 + 14 * H;
    const openThen = an.alerts().filter((a) => a.entity === 'e2' && a.since <= at && (a.status === 'open' || a.updatedAt > at));
    expect(openThen.length).toBeGreaterThanOrEqual(1);
  });

  it('an alert open when a holiday window begins is closed with a reason, and re-judged after it', () => {
    // A stop from Thursday 10:00 runs into a Friday–Sunday holiday window and goes on through Monday.
    const thu = TUE + 2 * DAY, stop = thu + 10 * H, back = TUE + 6 * DAY + 18 * H;
    const cal = createListCalendar({ name: 'hol', holidays: ['2025-04-04'] });
    const { alerts, updates } = run(37, (p, ms) => (p === 2 && ms >= stop && ms < back ? 0.03 : undefined), cal);
    expect(alerts[0]!.since).toBe(stop);
    const closed = updates.find((u) => u.alert.id === alerts[0]!.id && u.change !== 'opened' && u.change !== 'updated');
    expect(closed?.alert.evidence.reason).toMatch(/suspended/);
    expect(closed!.alert.updatedAt).toBeLessThanOrEqual(TUE + 3 * DAY + H);
    // still stopped on Monday: alerted again
    expect(alerts.some((a) => a.openedAt >= TUE + 6 * DAY && a.openedAt < back)).toBe(true);
  });
});
