import { describe, expect, it } from 'vitest';
import { calendarFromSpec, createAnalyzer, type Alert, type AnalyzerOptions } from '../../analytics/index.js';
import { rng } from '../../analytics/eval/synth.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';

/**
 * Every day judged against its own kind of day (Asia/Shanghai, no holidays): a plant that works its
 * Saturdays is alerted on the Saturday it stops; a plant idle at weekends raises nothing then.
 * Starts Monday 2025-03-03; four weeks of history before the incidents.
 */
const I = 900_000;
const H = 3_600_000;
const TZ = 8 * H;
const START = Date.parse('2025-03-03T00:00:00+08:00');

interface Plant { id: string; level: (dow: number, hour: number) => number }
/** Runs 06–22 Monday to Saturday (two shifts), idle Sundays. */
const sixDays: Plant = { id: 'six', level: (dow, h) => (dow !== 0 && h >= 6 && h < 22 ? 1 : 0.08) };
/** Runs 08–17 Monday to Friday, idle weekends. */
const fiveDays: Plant = { id: 'five', level: (dow, h) => (dow >= 1 && dow <= 5 && h >= 8 && h < 17 ? 1 : 0.08) };

function run(plants: Plant[], days: number, off: (plant: string, ms: number) => boolean, options: AnalyzerOptions = {}): Alert[] {
  const an = createAnalyzer({ graceMs: 0, ...options }, { registry: () => undefined, calendar: calendarFromSpec('none', 'analytics.calendar') });
  const alerts: Alert[] = [];
  an.on('alert', (a) => alerts.push(a));
  const r = rng(11);
  const reg = new Map(plants.map((p) => [p.id, 1000]));
  for (let ts = START; ts <= START + days * 86_400_000; ts += I) {
    const rs: EnrichedReading[] = [];
    for (const p of plants) {
      if (ts > START) {
        const t = new Date(ts - I + TZ);
        const lvl = off(p.id, ts - I) ? 0.05 : p.level(t.getUTCDay(), t.getUTCHours());
        reg.set(p.id, reg.get(p.id)! + 30 * lvl * (1 + 0.06 * (r() * 2 - 1)));
      }
      rs.push({ meter: `m-${p.id}`, ts, energyKwh: Math.round(reg.get(p.id)! * 100) / 100, gateway: `g-${p.id}`, enterprise: p.id, county: 'c', chain: 'x', ctMultiplier: 1 });
    }
    an.ingest(rs);
    an.tick(ts);
  }
  return alerts.filter((a) => a.kind === 'production_halt' || a.kind === 'production_cut');
}

const SAT = Date.parse('2025-04-05T00:00:00+08:00'); // the fifth Saturday

describe('weekends judged against their own kind of day', () => {
  it('a plant that works Saturdays and stops on Saturday at 14:00 is alerted on Saturday', () => {
    const stop = SAT + 14 * H;
    const alerts = run([sixDays, fiveDays], 35, (p, ms) => p === 'six' && ms >= stop && ms < stop + 12 * H);
    expect(alerts.map((a) => [a.kind, a.entity, a.since])).toEqual([['production_halt', 'six', stop]]);
    expect(alerts[0]!.openedAt - stop).toBeLessThanOrEqual(2 * I);
  });

  it('with judgeWeekends off the same stop waits for Monday', () => {
    const stop = SAT + 14 * H;
    const alerts = run([sixDays], 38, (p, ms) => p === 'six' && ms >= stop && ms < stop + 48 * H, { judgeWeekends: false });
    expect(alerts.length).toBe(1);
    expect(alerts[0]!.openedAt).toBeGreaterThanOrEqual(SAT + 2 * 86_400_000);
  });

  it('a plant idle at weekends raises nothing on its weekends; one that skips a Saturday without starting raises nothing either', () => {
    const alerts = run([fiveDays, sixDays], 42, (p, ms) => p === 'six' && ms >= SAT && ms < SAT + 86_400_000);
    expect(alerts).toEqual([]);
  });
});
