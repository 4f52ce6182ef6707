import { createRequire } from 'node:module';

/**
 * The Chinese working calendar, from the maintained `chinese-days` package (State Council
 * notices 2004–2026): statutory holidays and make-up working days (调休, a weekend day that is a
 * working day). Years the package does not cover fall back to the fixed-date and lunar holidays
 * without make-up days. All day arithmetic is in China Standard Time (UTC+8, no DST).
 */
const require = createRequire(import.meta.url);
const data = require('chinese-days/dist/chinese-days.json') as {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
};
const lunar = require('chinese-days') as { getSolarDateFromLunar(d: string): { date: string } };

export const CST_OFFSET_MS = 8 * 3600_000;
export const DAY_MS = 86_400_000;

const coveredYears = new Set(Object.keys(data.holidays).map((d) => Number(d.slice(0, 4))));

export type DayMode = 'work' | 'sat' | 'sun' | 'holiday';

export interface DayInfo {
  /** YYYY-MM-DD in China time. */
  date: string;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Statutory holiday (English name, e.g. 'Spring Festival'), or null. */
  holiday: string | null;
  /** A weekend day that is a working day (调休). */
  makeUp: boolean;
  /** What a normal enterprise does that day. */
  mode: DayMode;
}

/** The China-time calendar day (YYYY-MM-DD) of an instant. */
export function cstDate(tsMs: number): string {
  return new Date(tsMs + CST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Epoch ms of 00:00 China time on a YYYY-MM-DD day. */
export function cstMidnight(date: string): number {
  return Date.parse(`${date}T00:00:00+08:00`);
}

function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Solar date of lunar new year (正月初一) of a Gregorian year. */
export function springFestivalDate(year: number): string {
  return lunar.getSolarDateFromLunar(`${year}-01-01`).date;
}

const fallbackCache = new Map<number, Map<string, string>>();
/** Holidays for a year chinese-days does not list: the rule-of-thumb dates, no 调休. */
function fallbackHolidays(year: number): Map<string, string> {
  let m = fallbackCache.get(year);
  if (m) return m;
  m = new Map();
  const put = (d: string, n: number, name: string) => { for (let i = 0; i < n; i++) m!.set(addDays(d, i), name); };
  put(`${year}-01-01`, 1, "New Year's Day");
  put(addDays(springFestivalDate(year), -1), 8, 'Spring Festival');
  put(`${year}-04-04`, 3, 'Tomb-sweeping Day');
  put(`${year}-05-01`, 5, 'Labour Day');
  put(lunar.getSolarDateFromLunar(`${year}-05-05`).date, 1, 'Dragon Boat Festival');
  put(lunar.getSolarDateFromLunar(`${year}-08-15`).date, 1, 'Mid-autumn Festival');
  put(`${year}-10-01`, 7, 'National Day');
  fallbackCache.set(year, m);
  return m;
}

const dayCache = new Map<string, DayInfo>();
export function dayInfo(date: string): DayInfo {
  const hit = dayCache.get(date);
  if (hit) return hit;
  const year = Number(date.slice(0, 4));
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  let holiday: string | null = null;
  let makeUp = false;
  if (coveredYears.has(year)) {
    const h = data.holidays[date];
    if (h) holiday = h.split(',')[0]!;
    makeUp = data.workdays[date] !== undefined;
  } else {
    holiday = fallbackHolidays(year).get(date) ?? null;
  }
  const mode: DayMode = holiday ? 'holiday' : makeUp ? 'work' : weekday === 6 ? 'sat' : weekday === 0 ? 'sun' : 'work';
  const info: DayInfo = { date, weekday, holiday, makeUp, mode };
  dayCache.set(date, info);
  return info;
}

export interface HolidayBlock {
  /** Holiday names in the block, joined with ' / '. */
  name: string;
  /** First and last holiday date (inclusive), China time. */
  first: string;
  last: string;
}

/** Consecutive runs of statutory holidays that overlap [fromDate, toDate]. */
export function holidayBlocks(fromDate: string, toDate: string): HolidayBlock[] {
  const out: HolidayBlock[] = [];
  // Start a little early so a block that began before the range is reported whole.
  let d = addDays(fromDate, -10);
  const end = addDays(toDate, 10);
  let cur: HolidayBlock | null = null;
  while (d <= end) {
    const info = dayInfo(d);
    // Adjacent holidays form one block (National Day 2025 includes Mid-autumn on 6 Oct).
    if (info.holiday && cur && addDays(cur.last, 1) === d) {
      cur.last = d;
      if (!cur.name.split(' / ').includes(info.holiday)) cur.name += ` / ${info.holiday}`;
    } else {
      if (cur) out.push(cur);
      cur = info.holiday ? { name: info.holiday, first: d, last: d } : null;
    }
    d = addDays(d, 1);
  }
  if (cur) out.push(cur);
  return out.filter((b) => b.last >= fromDate && b.first <= toDate);
}

export { addDays };
