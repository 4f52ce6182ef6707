import chineseDays from 'chinese-days';

/**
 * Day classes: the expected-load pattern a day follows. 0–6 are the weekday patterns (0 = Sunday, as
 * Date#getUTCDay), HOLIDAY a statutory holiday, SPRING_FESTIVAL the Spring Festival shutdown. A make-up
 * working day (调休) follows the weekday pattern it replaces (MAKEUP_PATTERN). The SF_WINDOW bit marks
 * every day of the Spring Festival window, make-up days included: load there is not judged against an
 * ordinary week, so no drop alert is raised (domain.md §3/§4: plants stop 1–2 weeks early and return
 * after the Lantern Festival).
 */
export const HOLIDAY = 7;
export const SPRING_FESTIVAL = 8;
export const SF_WINDOW = 16;
export const PATTERN_MASK = 15;
/** Bits 5–8: the pattern the day would have outside the Spring Festival window (weekday, holiday, make-up). */
const ORDINARY_SHIFT = 5;
/** Set on Spring Festival window days after the statutory week, when plants come back one by one. */
export const SF_RETURN = 512;

/** The pattern of a day as if there were no Spring Festival window (for enterprises already back at work). */
export function ordinaryPattern(code: number): number {
  return (code >> ORDINARY_SHIFT) & PATTERN_MASK;
}
/** 调休 days replace a weekday inside a holiday; we use a mid-week pattern for them. */
export const MAKEUP_PATTERN = 3;

const DAY_MS = 86_400_000;

export interface Calendar {
  readonly name: string;
  /** Day class of the local calendar day `day` (days since 1970-01-01 in the calendar's zone). */
  dayClass(day: number): number;
}

export function isoOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
export function dayOfIso(iso: string): number {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
}

/** Memoises a day → class function; one entry per calendar day seen (a few hundred a year). */
function memo(name: string, f: (day: number) => number): Calendar {
  const cache = new Map<number, number>();
  return {
    name,
    dayClass(day: number): number {
      let c = cache.get(day);
      if (c === undefined) {
        c = f(day);
        if (cache.size > 4_000) cache.clear();
        cache.set(day, c);
      }
      return c;
    },
  };
}

export interface ChineseCalendarOptions {
  springFestivalBeforeDays?: number;
  springFestivalAfterDays?: number;
}

/** Mainland China: statutory holidays and 调休 from `chinese-days`, Spring Festival window around 初一. */
export function createChineseCalendar(o: ChineseCalendarOptions = {}): Calendar {
  const before = o.springFestivalBeforeDays ?? 14;
  const after = o.springFestivalAfterDays ?? 42;
  const cny = new Map<number, number>();
  const cnyDay = (year: number): number => {
    let d = cny.get(year);
    if (d === undefined) {
      d = dayOfIso(chineseDays.getSolarDateFromLunar(`${year}-01-01`).date);
      cny.set(year, d);
    }
    return d;
  };
  return memo('cn', (day) => {
    const iso = isoOfDay(day);
    const year = Number(iso.slice(0, 4));
    let sf = false, afterWeek = false;
    for (const y of [year, year + 1]) {
      const c = cnyDay(y);
      if (day >= c - before && day <= c + after) { sf = true; afterWeek = day > c + 6; }
    }
    const weekday = new Date(day * DAY_MS).getUTCDay();
    const detail = chineseDays.getDayDetail(iso);
    const weekend = weekday === 0 || weekday === 6;
    const makeup = detail.work && weekend;
    // A weekend day off inside a holiday carries the holiday's name ("National Day,国庆节,3").
    const holiday = !detail.work && (!weekend || detail.name.includes(','));
    const ordinary = makeup ? MAKEUP_PATTERN : holiday ? HOLIDAY : weekday;
    const pattern = sf && !makeup ? SPRING_FESTIVAL : ordinary;
    return pattern | (sf ? SF_WINDOW : 0) | (ordinary << ORDINARY_SHIFT) | (afterWeek ? SF_RETURN : 0);
  });
}

export interface ListCalendarOptions {
  name?: string;
  /** ISO dates (YYYY-MM-DD) that are holidays. */
  holidays?: string[];
  /** ISO dates that are make-up working days. */
  makeupWorkdays?: string[];
  /** Inclusive ISO ranges treated as a Spring-Festival-like shutdown window. */
  shutdownWindows?: Array<[string, string]>;
}

/** A calendar from explicit lists: any country (e.g. the 2018 Korean holidays of the steel replay). */
export function createListCalendar(o: ListCalendarOptions): Calendar {
  const hol = new Set((o.holidays ?? []).map(dayOfIso));
  const mk = new Set((o.makeupWorkdays ?? []).map(dayOfIso));
  const win = (o.shutdownWindows ?? []).map(([a, b]) => [dayOfIso(a), dayOfIso(b)] as const);
  return memo(o.name ?? 'list', (day) => {
    const sf = win.some(([a, b]) => day >= a && day <= b);
    const ordinary = mk.has(day) ? MAKEUP_PATTERN : hol.has(day) ? HOLIDAY : new Date(day * DAY_MS).getUTCDay();
    if (mk.has(day)) return MAKEUP_PATTERN | (sf ? SF_WINDOW : 0) | (ordinary << ORDINARY_SHIFT);
    if (sf) return SPRING_FESTIVAL | SF_WINDOW | (ordinary << ORDINARY_SHIFT);
    return ordinary | (ordinary << ORDINARY_SHIFT);
  });
}

/** Korean public holidays of 2018 (the steel plant replay, shared/data/README.md). */
export const KOREA_2018_HOLIDAYS = [
  '2018-01-01', '2018-02-15', '2018-02-16', '2018-02-17', '2018-03-01', '2018-05-01', '2018-05-05',
  '2018-05-07', '2018-05-22', '2018-06-06', '2018-06-13', '2018-08-15', '2018-09-23', '2018-09-24',
  '2018-09-25', '2018-09-26', '2018-10-03', '2018-10-09', '2018-12-25',
];
