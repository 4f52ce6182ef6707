import { describe, expect, it } from 'vitest';
import { calendarFromSpec, createAnalyzer, type Alert, type AnalyzerOptions } from '../../analytics/index.js';
import { rng } from '../../analytics/eval/synth.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';

/**
 * A plant that runs 08–21 with a lunch break 12–13 (weekdays). Finishing at 18:00 one evening is an early
 * finish, not a stop: the working day ends within shiftTailMs. A stop at 10:00 is alerted at once, the
 * lunch break two hours later notwithstanding.
 */
const I = 900_000;
const H = 3_600_000;
const TZ = 8 * H;
const START = Date.parse('2025-03-03T00:00:00+08:00');
const WED = Date.parse('2025-04-02T00:00:00+08:00');

function run(off: (ms: number) => boolean, options: AnalyzerOptions = {}): Alert[] {
  const an = createAnalyzer({ graceMs: 0, ...options }, { registry: () => undefined, calendar: calendarFromSpec('none', 'k') });
  const alerts: Alert[] = [];
  an.on('alert', (a) => alerts.push(a));
  const r = rng(5);
  let reg = 100;
  for (let ts = START; ts <= WED + 2 * 86_400_000; ts += I) {
    if (ts > START) {
      const t = new Date(ts - I + TZ);
      const h = t.getUTCHours(), dow = t.getUTCDay();
      const work = dow >= 1 && dow <= 5 && h >= 8 && h < 21 && h !== 12;
      reg += (off(ts - I) ? 2 : work ? 40 : 2) * (1 + 0.05 * (r() * 2 - 1));
    }
    const rd: EnrichedReading = { meter: 'm', ts, energyKwh: Math.round(reg * 100) / 100, gateway: 'g', enterprise: 'e', county: 'c', chain: 'x', ctMultiplier: 1 };
    an.ingest([rd]);
    an.tick(ts);
  }
  return alerts.filter((a) => a.kind === 'production_halt' || a.kind === 'production_cut');
}

describe('the end of the working day', () => {
  const early = (ms: number) => ms >= WED + 18 * H && ms < WED + 21 * H;

  it('finishing at 18:00 instead of 21:00 raises nothing', () => {
    expect(run(early)).toEqual([]);
  });

  it('with shiftTailMs 0 the same evening is a halt', () => {
    expect(run(early, { shiftTailMs: 0 }).map((a) => a.since)).toEqual([WED + 18 * H]);
  });

  it('a stop at 10:00 is a halt within two intervals: the lunch break is not the end of the day', () => {
    const stop = WED + 10 * H;
    const alerts = run((ms) => ms >= stop && ms < stop + 8 * H);
    expect(alerts.map((a) => [a.kind, a.since])).toEqual([['production_halt', stop]]);
    expect(alerts[0]!.openedAt - stop).toBeLessThanOrEqual(2 * I);
  });
});

describe('slow decline needs peers', () => {
  /** `n` plants; the first one's working days slide 2 % a day for three weeks from 24 March. */
  function slide(n: number): Alert[] {
    const an = createAnalyzer({ graceMs: 0 }, { registry: () => undefined, calendar: calendarFromSpec('none', 'k') });
    const alerts: Alert[] = [];
    an.on('alert', (a) => alerts.push(a));
    const r = rng(8);
    const reg = Array.from({ length: n }, (_, i) => 100 + i);
    const from = Date.parse('2025-03-24T00:00:00+08:00');
    for (let ts = START; ts <= from + 24 * 86_400_000; ts += I) {
      const rs: EnrichedReading[] = [];
      for (let p = 0; p < n; p++) {
        if (ts > START) {
          const t = new Date(ts - I + TZ);
          const h = t.getUTCHours(), dow = t.getUTCDay();
          const level = p === 0 && ts > from ? Math.max(0.55, 1 - 0.02 * Math.floor((ts - from) / 86_400_000)) : 1;
          reg[p]! += (dow >= 1 && dow <= 5 && h >= 8 && h < 18 ? 40 * level : 2) * (1 + 0.03 * (r() * 2 - 1));
        }
        rs.push({ meter: `m${p}`, ts, energyKwh: Math.round(reg[p]! * 100) / 100, gateway: `g${p}`, enterprise: `e${p}`, county: 'c', chain: 'x', ctMultiplier: 1 });
      }
      an.ingest(rs);
      an.tick(ts);
    }
    return alerts.filter((a) => a.kind === 'slow_decline');
  }

  it('among six plants the sliding one is a slow decline', () => {
    expect(slide(6).map((a) => a.entity)).toEqual(['e0']);
  });

  it('one plant alone: its drift cannot be told from the season or the business cycle, no slow decline', () => {
    expect(slide(1)).toEqual([]);
  });
});
