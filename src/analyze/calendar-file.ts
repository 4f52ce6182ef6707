import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';
import { createChineseCalendar, createListCalendar, type Calendar } from '../../analytics/index.js';
import { UsageError } from './rows.js';

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

function daysOf(from: string, to: string, name: string): string[] {
  if (!ISO_DAY.test(from) || !ISO_DAY.test(to) || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) throw new UsageError(`--calendar ${name}: "${from}…${to}" is not a date range (YYYY-MM-DD)`);
  const a = Date.parse(`${from}T00:00:00Z`), b = Date.parse(`${to}T00:00:00Z`);
  if (b < a || b - a > 366 * DAY_MS) throw new UsageError(`--calendar ${name}: range ${from}…${to} is reversed or longer than a year`);
  const out: string[] = [];
  for (let t = a; t <= b; t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** A JSON list: `"2026-10-01"`, `["2026-10-01", "2026-10-07"]` or `{"start": …, "end": …}` (inclusive). */
function fromJson(text: string, name: string): string[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--calendar ${name}: not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(list)) throw new UsageError(`--calendar ${name}: expected a JSON list of dates and date ranges`);
  const days: string[] = [];
  for (const x of list) {
    if (typeof x === 'string') days.push(...daysOf(x, x, name));
    else if (Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string') days.push(...daysOf(x[0], x[1], name));
    else if (x && typeof x === 'object' && typeof (x as { start?: unknown }).start === 'string') {
      const r = x as { start: string; end?: unknown };
      days.push(...daysOf(r.start, typeof r.end === 'string' ? r.end : r.start, name));
    } else throw new UsageError(`--calendar ${name}: ${JSON.stringify(x)} is not a date, [start, end] or {start, end}`);
  }
  return days;
}

/** iCalendar (ical.js): every VEVENT's days, DTEND exclusive as RFC 5545 says for all-day events. */
function fromIcs(text: string, name: string): string[] {
  let comp: ICAL.Component;
  try {
    comp = new ICAL.Component(ICAL.parse(text));
  } catch (err) {
    throw new UsageError(`--calendar ${name}: not iCalendar (${(err as Error).message})`);
  }
  const days: string[] = [];
  for (const v of comp.getAllSubcomponents('vevent')) {
    const ev = new ICAL.Event(v);
    if (!ev.startDate) continue;
    const start = ev.startDate.toString().slice(0, 10);
    let end = start;
    if (ev.endDate) {
      const e = ev.endDate.clone();
      if (ev.endDate.isDate) e.adjust(-1, 0, 0, 0);
      end = e.toString().slice(0, 10);
      if (end < start) end = start;
    }
    days.push(...daysOf(start, end, name));
  }
  return days;
}

/** `cn` (the engine's default), `none` (weekdays and weekends only), or a holiday file. */
export function loadCalendar(spec: string): Calendar {
  if (spec === 'cn') return createChineseCalendar();
  if (spec === 'none') return createListCalendar({ name: 'none' });
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch (err) {
    throw new UsageError(`--calendar ${spec}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); expected cn, none or a .json/.ics holiday file`);
  }
  const holidays = spec.toLowerCase().endsWith('.ics') || /^\s*BEGIN:VCALENDAR/.test(text) ? fromIcs(text, spec) : fromJson(text, spec);
  return createListCalendar({ name: spec, holidays: [...new Set(holidays)].sort() });
}
