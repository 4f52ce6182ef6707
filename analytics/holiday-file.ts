import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type ICALModule from 'ical.js';
import { z } from 'zod';
import { createChineseCalendar, createListCalendar, dayOfIso, isoOfDay, type Calendar } from './calendar.js';

/**
 * Calendars from configuration: `cn` (mainland China: statutory holidays, 调休 make-up days, the Spring
 * Festival window), `none` (weekdays and weekends only), or a holiday file: JSON (dates and inclusive
 * date ranges, optionally make-up working days and shutdown windows) or iCalendar `.ics` (every VEVENT is
 * a day off; all-day DTEND is exclusive; RRULEs expanded, bounded). Make-up days exist only where the file
 * (or `cn`) says so. A bad file throws naming it and the entry.
 */

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), 'not a calendar date');
const range = z.object({ start: isoDate, end: isoDate, name: z.string().optional() }).refine((r) => r.start <= r.end, 'start after end');
const entry = z.union([isoDate, z.object({ date: isoDate, name: z.string().optional() }), range]);
export const holidayFileSchema = z.union([
  z.array(entry),
  z.object({
    holidays: z.array(entry),
    makeupWorkdays: z.array(isoDate).optional(),
    shutdownWindows: z.array(range).optional(),
  }),
]);

/** Days of a date or an inclusive range (at most ~3 years, so a typo cannot exhaust memory). */
function days(e: z.infer<typeof entry>): string[] {
  if (typeof e === 'string') return [e];
  if ('date' in e) return [e.date];
  const a = dayOfIso(e.start), b = dayOfIso(e.end);
  if (b - a > 1100) throw new Error(`range ${e.start}..${e.end} is longer than three years`);
  const out: string[] = [];
  for (let d = a; d <= b; d++) out.push(isoOfDay(d));
  return out;
}

export function parseHolidayJson(text: string, name: string): Calendar {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${name}: not JSON (${(err as Error).message})`);
  }
  const r = holidayFileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${name}: ${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  const v = Array.isArray(r.data) ? { holidays: r.data } : r.data;
  return createListCalendar({
    name,
    holidays: v.holidays.flatMap(days),
    ...(('makeupWorkdays' in v && v.makeupWorkdays) ? { makeupWorkdays: v.makeupWorkdays } : {}),
    ...(('shutdownWindows' in v && v.shutdownWindows) ? { shutdownWindows: v.shutdownWindows.map((w) => [w.start, w.end] as [string, string]) } : {}),
  });
}

/** Occurrences of a recurring event kept at most (a yearly holiday over a century). */
const MAX_OCCURRENCES = 200;

/** ical.js is loaded on the first .ics only (its CommonJS build, synchronously): most deployments never need it. */
let icalLib: typeof ICALModule | undefined;
function ical(): typeof ICALModule {
  return (icalLib ??= createRequire(import.meta.url)('ical.js') as typeof ICALModule);
}

export function parseHolidayIcs(text: string, name: string): Calendar {
  const ICAL = ical();
  let comp: ICALModule.Component;
  try {
    comp = new ICAL.Component(ICAL.parse(text) as unknown[]);
  } catch (err) {
    throw new Error(`${name}: not iCalendar (${(err as Error).message})`);
  }
  const holidays: string[] = [];
  const ymd = (t: ICALModule.Time) => `${String(t.year).padStart(4, '0')}-${String(t.month).padStart(2, '0')}-${String(t.day).padStart(2, '0')}`;
  const add = (start: ICALModule.Time, end: ICALModule.Time | null) => {
    const a = dayOfIso(ymd(start));
    // DTEND is exclusive for all-day events; a timed event covers the days it touches.
    const b = end ? dayOfIso(ymd(end)) - (end.isDate || (end.hour === 0 && end.minute === 0) ? 1 : 0) : a;
    if (b - a > 1100) throw new Error(`${name}: event on ${ymd(start)} longer than three years`);
    for (let d = a; d <= Math.max(a, b); d++) holidays.push(isoOfDay(d));
  };
  for (const v of comp.getAllSubcomponents('vevent')) {
    const ev = new ICAL.Event(v);
    if (!ev.startDate) throw new Error(`${name}: VEVENT "${ev.summary ?? ''}" has no DTSTART`);
    if (!ev.isRecurring()) { add(ev.startDate, ev.endDate ?? null); continue; }
    const it = ev.iterator();
    const len = ev.endDate ? ev.endDate.subtractDate(ev.startDate) : null;
    for (let n = 0, t = it.next(); t && n < MAX_OCCURRENCES; t = it.next(), n++) {
      if (t.year > 2100) break;
      let end: ICALModule.Time | null = null;
      if (len) { end = t.clone(); end.addDuration(len); }
      add(t, end);
    }
  }
  return createListCalendar({ name, holidays });
}

/** Weekdays and weekends only: no holidays, no make-up days, no shutdown window. */
export function createNoneCalendar(): Calendar {
  return createListCalendar({ name: 'none' });
}

/**
 * `cn`, `none` or a holiday file path (.json / .ics). `key` names the setting in errors (a bad value stops
 * start-up naming it).
 */
export function calendarFromSpec(spec: string, key: string, cn: { springFestivalBeforeDays?: number; springFestivalAfterDays?: number } = {}): Calendar {
  if (spec === 'cn') return createChineseCalendar(cn);
  if (spec === 'none') return createNoneCalendar();
  let text: string;
  try {
    text = readFileSync(spec, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    throw new Error(`${key}: "${spec}" is not cn, none or a readable holiday file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    if (/\.ics$/i.test(spec)) return parseHolidayIcs(text, spec);
    if (/\.json$/i.test(spec)) return parseHolidayJson(text, spec);
  } catch (err) {
    throw new Error(`${key}: ${(err as Error).message}`);
  }
  throw new Error(`${key}: "${spec}": a holiday file must end in .json or .ics`);
}
