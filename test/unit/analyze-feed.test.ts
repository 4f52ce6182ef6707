import { describe, expect, it } from 'vitest';
import { toRegisters } from '../../src/analyze/feed.js';
import { inferInterval } from '../../src/analyze/interval.js';
import { parseSettings } from '../../src/analyze/settings.js';
import { loadCalendar } from '../../src/analyze/calendar-file.js';
import type { InputRow } from '../../src/analyze/rows.js';

const I = 900_000;
const row = (ts: number, value: number, kind: 'energy' | 'register' = 'energy'): InputRow => ({ meter: 'm', ts, kind, value, source: 'x', line: 1 });

describe('analyze: interval energy → registers (the seam)', () => {
  it('sums energy in cents, files the start register for a first reading and after a long gap, never invents a gap value', () => {
    const st = { tags: { gateway: 'g', enterprise: 'e', county: 'c', chain: 'c', ctMultiplier: 1 }, lastTs: -Infinity, regCents: 10_000_000 };
    const out: Array<[number, number]> = [];
    const feed = (r: InputRow) => { toRegisters(st, r, I, (ts, v) => out.push([ts, v])); st.lastTs = r.ts; };
    feed(row(10 * I, 1.1));
    feed(row(11 * I, 2.2));
    expect(out).toEqual([[9 * I, 100_000], [10 * I, 100_001.1], [11 * I, 100_003.3]]);
    out.length = 0;
    feed(row(13 * I, 1)); // one interval missing: no start register (it would claim 0 for 12)
    expect(out).toEqual([[13 * I, 100_004.3]]);
    out.length = 0;
    feed(row(20 * I, 0.5)); // a long gap: the start register makes interval 20 count, 14–19 stay missing
    expect(out).toEqual([[19 * I, 100_004.3], [20 * I, 100_004.8]]);
    out.length = 0;
    toRegisters(st, row(21 * I, 123.45, 'register'), I, (ts, v) => out.push([ts, v]));
    expect(out).toEqual([[21 * I, 123.45]]);
  });

  it('infers 5/15/30/60-minute spacing and refuses anything else', () => {
    const rows = (step: number) => Array.from({ length: 20 }, (_, i) => row(i * step, 1));
    expect(inferInterval(rows(3_600_000))).toBe(3_600_000);
    expect(inferInterval(rows(I))).toBe(I);
    expect(() => inferInterval(rows(20 * 60_000))).toThrow(/20 min apart/);
    expect(() => inferInterval([row(0, 1)])).toThrow(/too few readings/);
  });
});

describe('analyze: options and calendars', () => {
  it('names the option that is wrong', () => {
    expect(() => parseSettings([], {})).toThrow(/no input/);
    expect(() => parseSettings(['a.csv'], { timezone: 'Nowhere/Town' })).toThrow(/--timezone/);
    expect(() => parseSettings(['a.csv'], { sensitivity: 'max' })).toThrow(/--sensitivity: "max"/);
    expect(() => parseSettings(['a.csv'], { kinds: 'production_halt,bogus' })).toThrow(/--kinds: "bogus"/);
    expect(() => parseSettings(['a.csv'], { from: 'soon' })).toThrow(/--from: "soon"/);
    expect(() => parseSettings(['a.csv'], { calendar: '/nonexistent.json' })).toThrow(/--calendar \/nonexistent.json: cannot read/);
    expect(() => parseSettings(['a.csv'], { influx: 'http://x:8086' })).toThrow(/either FILES or --influx/);
    expect(() => parseSettings([], { influx: 'http://x:8086', start: '2026-01-01' })).toThrow(/--start and --end/);
    expect(() => parseSettings(['a.csv'], { explain: 'm1' })).toThrow(/--explain METER and --at TIME/);
    const s = parseSettings(['a.csv'], { from: '2026-01-01', to: '2026-02-01T00:00+08:00', kinds: 'production_halt', interval: '1h' });
    expect(s.fromMs).toBe(Date.parse('2025-12-31T16:00:00Z'));
    expect(s.intervalMs).toBe(3_600_000);
  });

  it('cn and none calendars, and a holiday list', () => {
    const day = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
    expect(loadCalendar('cn').dayClass(day('2026-10-01')) & 15).toBe(7); // National Day
    expect(loadCalendar('none').dayClass(day('2026-10-01')) & 15).toBe(4); // a plain Thursday
  });
});
