import { describe, expect, it } from 'vitest';
import {
  createChineseCalendar, createListCalendar, dayOfIso, HOLIDAY, KOREA_2018_HOLIDAYS, MAKEUP_PATTERN, PATTERN_MASK, SF_WINDOW, SPRING_FESTIVAL,
} from '../../analytics/calendar.js';

const cn = createChineseCalendar();
const cls = (iso: string) => cn.dayClass(dayOfIso(iso));
const pattern = (iso: string) => cls(iso) & PATTERN_MASK;
const sf = (iso: string) => (cls(iso) & SF_WINDOW) !== 0;

describe('Chinese calendar (chinese-days)', () => {
  it('Spring Festival 2024: 初一 is 2024-02-10, the statutory days are the Spring Festival pattern', () => {
    for (const d of ['2024-02-10', '2024-02-12', '2024-02-17']) {
      expect(pattern(d)).toBe(SPRING_FESTIVAL);
      expect(sf(d)).toBe(true);
    }
  });
  it('the Spring Festival window covers the shutdown weeks around it, not ordinary weeks', () => {
    expect(sf('2024-01-27')).toBe(true); // 14 days before
    expect(sf('2024-03-02')).toBe(true); // 21 days after
    expect(sf('2024-03-23')).toBe(true); // 42 days after (2–4 weeks shut + 1–2 weeks ramp)
    expect(sf('2024-01-20')).toBe(false);
    expect(sf('2024-03-25')).toBe(false);
    expect(pattern('2024-03-26')).toBe(2); // an ordinary Tuesday
  });
  it('a 调休 Sunday working day (2024-02-04) follows a weekday pattern, inside the Spring Festival window', () => {
    expect(pattern('2024-02-04')).toBe(MAKEUP_PATTERN);
    expect(sf('2024-02-04')).toBe(true);
  });
  it('National Day 2025: 1–8 October are holidays, 28 Sep and 11 Oct are make-up working days', () => {
    for (const d of ['2025-10-01', '2025-10-04', '2025-10-05', '2025-10-08']) expect(pattern(d)).toBe(HOLIDAY);
    expect(pattern('2025-09-28')).toBe(MAKEUP_PATTERN);
    expect(pattern('2025-10-11')).toBe(MAKEUP_PATTERN);
    expect(pattern('2025-10-09')).toBe(4); // back to work on a Thursday
    expect(sf('2025-10-01')).toBe(false);
  });
  it('an ordinary weekend stays a weekend', () => {
    expect(pattern('2025-03-22')).toBe(6);
    expect(pattern('2025-03-23')).toBe(0);
  });
});

describe('list calendar (pluggable: the 2018 Korean holidays)', () => {
  const kr = createListCalendar({ holidays: KOREA_2018_HOLIDAYS, shutdownWindows: [['2018-08-01', '2018-08-03']] });
  it('Seollal and Chuseok are holidays, other days keep their weekday', () => {
    for (const d of ['2018-02-15', '2018-02-16', '2018-09-24', '2018-12-25']) expect(kr.dayClass(dayOfIso(d)) & (PATTERN_MASK | SF_WINDOW)).toBe(HOLIDAY);
    expect(kr.dayClass(dayOfIso('2018-03-14')) & (PATTERN_MASK | SF_WINDOW)).toBe(3);
  });
  it('a shutdown window is treated like the Spring Festival (its own pattern, no drop alerts)', () => {
    expect(kr.dayClass(dayOfIso('2018-08-02')) & (PATTERN_MASK | SF_WINDOW)).toBe(SPRING_FESTIVAL | SF_WINDOW);
  });
});
