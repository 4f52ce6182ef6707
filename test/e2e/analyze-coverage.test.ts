import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertsOf, runAnalyze, tempFile } from './analyze-data.js';

/**
 * "alerts: 0" must never read as "judged and fine" when nothing was judged. The real steel example cut
 * to its first 12.4 days is shorter than the 14-day learning period; with a stop injected on day 9
 * (Wednesday 14 March 2018, 10–17 h down to the overnight base, as the example's own stop), a week's
 * learning (--learn-days 7) judges it and finds the stop.
 */
const EXAMPLE = readFileSync('docs/examples/steel-hourly-stop.csv', 'utf8').trim().split('\n');
const SHORT = EXAMPLE.slice(0, 300);
const withStop = (lines: string[]) => lines.map((l) => {
  const [meter, ts, kwh] = l.split(',');
  const h = Number(ts!.slice(11, 13));
  return ts!.startsWith('2018-03-14T') && h >= 10 && h <= 17 ? `${meter},${ts},16.00` : `${meter},${ts},${kwh}`;
});
const SEOUL = ['--calendar', 'none', '--timezone', 'Asia/Seoul'];

describe('gridpulse analyze: coverage (what was judged)', () => {
  it('12.4 days of a 14-day learning period: a warning naming the meter and the fix, not a silent "alerts: 0"', async () => {
    const r = await runAnalyze([tempFile('short.csv', `${SHORT.join('\n')}\n`), ...SEOUL]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/alerts: 0/);
    expect(r.stderr).toMatch(/not judged: 1 meter \(history shorter than the learning period 1\)/);
    expect(r.stderr).toMatch(/^analyze: warning: no meter was judged: steel-1: 12\.4 days of data, 14 needed to learn .*--learn-days/m);
  });

  it('--learn-days 7 judges the short file from day 7 and finds a stop on day 9; the default does not', async () => {
    const f = tempFile('short-stop.csv', `${withStop(SHORT).join('\n')}\n`);
    const week = await runAnalyze([f, ...SEOUL, '--learn-days', '7']);
    expect(week.code).toBe(0);
    const halts = alertsOf(week.stdout).filter((a) => a.kind === 'production_halt');
    expect(halts.map((a) => a.since)).toEqual(['2018-03-14T09:00:00+09:00']);
    expect(week.stderr).toMatch(/judged: 1 of 1 meters, from ≈2018-03-12T01:00:00\+09:00 to 2018-03-17T11:00:00\+09:00/);
    expect(week.stderr).not.toMatch(/warning/);
    const fortnight = await runAnalyze([f, ...SEOUL]);
    expect(alertsOf(fortnight.stdout)).toEqual([]);
    expect(fortnight.stderr).toMatch(/warning: no meter was judged/);
  });

  it('--from inside the learning period is said to be so', async () => {
    const r = await runAnalyze(['docs/examples/steel-hourly-stop.csv', ...SEOUL, '--from', '2018-03-12T00:00:00+09:00']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/judged: 1 of 1 meters, from ≈2018-03-19T01:00:00\+09:00/);
    expect(r.stderr).toMatch(/warning: --from 2018-03-12T00:00:00\+09:00 is before the end of learning \(judged from ≈2018-03-19T01:00:00\+09:00\)/);
    const later = await runAnalyze(['docs/examples/steel-hourly-stop.csv', ...SEOUL, '--from', '2018-04-01T00:00:00+09:00']);
    expect(later.stderr).not.toMatch(/warning/);
    expect(alertsOf(later.stdout)).toHaveLength(1);
  });

  it.each([['3', /--learn-days: 3 is less than 7: the analyzer needs a week/], ['1.5', /--learn-days: "1\.5" is not a whole number/], ['61', /--learn-days: 61 is more than 60/]])(
    '--learn-days %s exits 2 naming the option', async (v, msg) => {
      const r = await runAnalyze(['docs/examples/steel-hourly-stop.csv', '--learn-days', v]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
    });
});
