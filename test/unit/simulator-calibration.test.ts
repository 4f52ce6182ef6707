import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { calibrate, readSteelCsv, STEEL_CSV_CANDIDATES } from '../../simulator/calibrate.js';

// The CSV ships in shared/ beside the checkout (CI copies it there): missing, these tests fail, they do not skip.
const csv = STEEL_CSV_CANDIDATES.find((p) => existsSync(p));

describe('simulator calibration against the real steel plant', () => {
  it('finds the steel plant CSV', () => {
    expect(csv, `none of ${STEEL_CSV_CANDIDATES.join(', ')} exists`).toBeDefined();
  });
  it('reads the CSV quirks: BOM, interval-end stamps, the midnight row dated the same day', () => {
    const s = readSteelCsv(csv!);
    expect(s).toHaveLength(35_040);
    expect(new Date(s[0]!.local).toISOString()).toBe('2018-01-01T00:00:00.000Z');
    expect(new Date(s[s.length - 1]!.local).toISOString()).toBe('2018-12-31T23:45:00.000Z');
    for (let i = 1; i < s.length; i++) expect(s[i]!.local - s[i - 1]!.local).toBe(900_000);
    // '01/01/2018 00:00' is the interval 23:45–24:00 of 1 January, not the first of the year.
    expect(s[95]!.local).toBe(Date.UTC(2018, 0, 1, 23, 45));
  });

  it('keeps the heavy profile close to the plant: weekend, night, lunch, evening and 15-min steps', () => {
    const { real, sim } = calibrate({ data: csv, plants: 3 });
    expect(Math.abs(sim.weekendWeekdayRatio - real.weekendWeekdayRatio)).toBeLessThan(0.06);
    expect(Math.abs(sim.nightDayRatio - real.nightDayRatio)).toBeLessThan(0.03);
    expect(Math.abs(sim.lunchDip - real.lunchDip)).toBeLessThan(0.04);
    expect(Math.abs(sim.eveningDayRatio - real.eveningDayRatio)).toBeLessThan(0.06);
    // p5 / p95 / p1 / p99 of the step within 25 % of the plant's.
    for (const i of [0, 1, 5, 6]) expect(Math.abs(sim.steps[i]! - real.steps[i]!) / Math.abs(real.steps[i]!)).toBeLessThan(0.25);
  });
});
