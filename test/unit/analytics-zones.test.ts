import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calendarFromSpec, createAnalyzer, resolveOptions, type Alert, type AnalyzerOptions, type Calendar } from '../../analytics/index.js';
import { rng } from '../../analytics/eval/synth.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';

/**
 * Calendars and time zones: a day-shift plant in Berlin (08:00–17:00 local, idle weekends), 15-minute
 * registers from Monday 2025-03-03. Summer time starts on Sunday 30 March: the shift moves an hour earlier
 * in UTC, which an IANA zone follows and a fixed offset does not. A holiday given in a file is a day off.
 */
const I = 900_000;
const H = 3_600_000;
const START = Date.parse('2025-03-03T00:00:00+01:00');
const berlin = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', hourCycle: 'h23', weekday: 'short', hour: 'numeric', year: 'numeric', month: '2-digit', day: '2-digit' });

function local(ms: number): { iso: string; hour: number; weekend: boolean } {
  const p = Object.fromEntries(berlin.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { iso: `${p['year']}-${p['month']}-${p['day']}`, hour: Number(p['hour']), weekend: p['weekday'] === 'Sat' || p['weekday'] === 'Sun' };
}

/** Feeds the plant until `days` days after START; `off(iso, hour)`: the plant is stopped then. */
function run(o: { options?: AnalyzerOptions; calendar?: Calendar; days: number; off?: (iso: string, hour: number) => boolean }): Alert[] {
  const an = createAnalyzer({ graceMs: 0, ...o.options }, { registry: () => undefined, ...(o.calendar ? { calendar: o.calendar } : {}) });
  const alerts: Alert[] = [];
  an.on('alert', (a) => alerts.push(a));
  const r = rng(7);
  let reg = 5000;
  for (let ts = START; ts <= START + o.days * 86_400_000; ts += I) {
    if (ts > START) {
      const l = local(ts - I);
      const working = !l.weekend && l.hour >= 8 && l.hour < 17 && !(o.off?.(l.iso, l.hour) ?? false);
      reg += (working ? 40 : 4) * (1 + 0.08 * (r() * 2 - 1));
    }
    const rd: EnrichedReading = { meter: 'm1', ts, energyKwh: Math.round(reg * 100) / 100, gateway: 'g1', enterprise: 'e1', county: 'mitte', chain: 'c', ctMultiplier: 1 };
    an.ingest([rd]);
    an.tick(ts);
  }
  return alerts.filter((a) => a.kind === 'production_halt' || a.kind === 'production_cut');
}

const dir = mkdtempSync(join(tmpdir(), 'gp-zones-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const none = calendarFromSpec('none', 'analytics.calendar');

describe('time zones', () => {
  const stopApr2 = (iso: string, hour: number) => iso === '2025-04-02' && hour >= 10 && hour < 16;

  // shiftTailMs 0: the end of the shift is judged too, so an hour's shift of the clock shows.
  it('an IANA zone follows summer time: only the real stop (Wednesday 2 April, 10:00 local) is alerted', () => {
    const alerts = run({ options: { timeZone: 'Europe/Berlin', shiftTailMs: 0 }, calendar: none, days: 32, off: stopApr2 });
    expect(alerts.map((a) => [a.kind, new Date(a.since).toISOString()])).toEqual([['production_halt', '2025-04-02T08:00:00.000Z']]);
  });

  it('a fixed offset does not: after 30 March the shift end reads as a daily stop', () => {
    const alerts = run({ options: { tzOffsetMinutes: 60, shiftTailMs: 0 }, calendar: none, days: 32, off: stopApr2 });
    expect(alerts.some((a) => a.since < Date.parse('2025-04-02T00:00:00Z') && a.since > Date.parse('2025-03-30T00:00:00Z'))).toBe(true);
  });

  it('an unknown zone stops start-up naming it', () => {
    expect(() => resolveOptions({ timeZone: 'Mars/Olympus' })).toThrow(/timeZone/);
  });
});

describe('holiday files', () => {
  const holiday = (iso: string) => iso === '2025-03-26';

  it('without the holiday, the plant idle on Wednesday 26 March is a halt', () => {
    const alerts = run({ options: { timeZone: 'Europe/Berlin' }, calendar: none, days: 27, off: holiday });
    expect(alerts.map((a) => local(a.since).iso)).toEqual(['2025-03-26']);
  });

  it('a JSON holiday file (dates and ranges) is honoured', () => {
    const f = join(dir, 'hol.json');
    writeFileSync(f, JSON.stringify({ holidays: ['2025-01-01', { start: '2025-03-26', end: '2025-03-26', name: 'works holiday' }] }));
    expect(run({ options: { timeZone: 'Europe/Berlin' }, calendar: calendarFromSpec(f, 'analytics.calendar'), days: 27, off: holiday })).toEqual([]);
  });

  it('an iCalendar file is honoured (all-day DTEND exclusive)', () => {
    const f = join(dir, 'hol.ics');
    writeFileSync(f, ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VEVENT', 'UID:1@test', 'DTSTAMP:20250101T000000Z', 'DTSTART;VALUE=DATE:20250326', 'DTEND;VALUE=DATE:20250327', 'SUMMARY:Works holiday', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n'));
    const cal = calendarFromSpec(f, 'analytics.calendar');
    expect(run({ options: { timeZone: 'Europe/Berlin' }, calendar: cal, days: 27, off: holiday })).toEqual([]);
    // the holiday is one day: the day after is an ordinary Thursday (pattern bits & 15)
    const day = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
    expect([cal.dayClass(day('2025-03-26')) & 15, cal.dayClass(day('2025-03-27')) & 15]).toEqual([7, 4]);
  });

  it('a bad value stops start-up naming the key', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(['2025-02-30x']));
    expect(() => calendarFromSpec(bad, 'analytics.calendar')).toThrow(/analytics\.calendar: .*bad\.json: 0: expected YYYY-MM-DD/);
    expect(() => calendarFromSpec('kr', 'analytics.calendar')).toThrow(/analytics\.calendar: "kr" is not cn, none or a readable holiday file/);
    const txt = join(dir, 'h.txt');
    writeFileSync(txt, '2025-01-01');
    expect(() => calendarFromSpec(txt, 'analytics.calendar')).toThrow(/\.json or \.ics/);
  });
});
