import { describe, expect, it } from 'vitest';
import { resolveOptions, SENSITIVITY } from '../../analytics/index.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';

/** The analyzer's settings in the pipeline config: a bad value stops start-up naming the key. */
describe('analytics config keys', () => {
  it.each([
    [{ GRIDPULSE_ANALYTICS_INTERVAL_MIN: '7' }, /analytics\.intervalMinutes \(GRIDPULSE_ANALYTICS_INTERVAL_MIN\)="7": expected minutes that divide an hour/],
    [{ GRIDPULSE_ANALYTICS_SENSITIVITY: 'extreme' }, /analytics\.sensitivity \(GRIDPULSE_ANALYTICS_SENSITIVITY\)="extreme"/],
    [{ GRIDPULSE_ANALYTICS_TIME_ZONE: 'Europe/Atlantis' }, /analytics\.timeZone \(GRIDPULSE_ANALYTICS_TIME_ZONE\)="Europe\/Atlantis": expected an IANA time zone/],
    [{ GRIDPULSE_ANALYTICS_JUDGE_WEEKENDS: 'sometimes' }, /analytics\.judgeWeekends/],
    [{ GRIDPULSE_ANALYTICS_LEARN_DAYS: '3' }, /analytics\.learnDays \(GRIDPULSE_ANALYTICS_LEARN_DAYS\)="3": expected at least 7 days: a week/],
    [{ GRIDPULSE_ANALYTICS_LEARN_DAYS: '10.5' }, /analytics\.learnDays .*expected whole days/],
  ])('%j is refused naming the key', (env, message) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
  });

  it('defaults: 15 minutes, normal sensitivity, the Chinese calendar in Asia/Shanghai, weekends judged', () => {
    const a = loadConfig({ env: {} }).analytics;
    expect([a.intervalMinutes, a.sensitivity, a.calendar, a.timeZone, a.judgeWeekends, a.learnDays]).toEqual([15, 'normal', 'cn', 'Asia/Shanghai', true, 14]);
  });

  it('a sensitivity preset sets the expert knobs, each of which can still be set on its own', () => {
    expect(resolveOptions({ sensitivity: 'low' }).cusumH).toBe(SENSITIVITY.low.cusumH);
    expect(resolveOptions({ sensitivity: 'high', cusumH: 5 }).cusumH).toBe(5);
    expect(resolveOptions({}).qloMargin).toBe(SENSITIVITY.normal.qloMargin);
    expect(() => resolveOptions({ sensitivity: 'max' as never })).toThrow(/sensitivity/);
    // options counted in intervals are retired for their time-unit forms: passing one is an error naming it
    expect(() => resolveOptions({ learnIntervals: 96 } as never)).toThrow(/learnIntervals/);
  });
});
