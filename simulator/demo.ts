import { cstDate, cstMidnight, dayInfo, DAY_MS } from './calendar.js';
import type { ExplicitIncident, Scenario } from './scenario.js';
import { defaultScenario } from './scenario.js';

/**
 * `gridpulse simulate --demo` (what `gridpulse start --simulate` runs): enough history for the
 * analyzer to learn baselines (it raises no drop alert in a meter's first two weeks), sent as fast
 * as the pipeline acknowledges, then real time, never past the wall clock; incidents placed so
 * that alerts appear while the history is sent, and more follow live.
 */
export const DEMO = {
  /** Days of history before now: the analyzer's 14 learning days plus room for incidents to alert on. */
  historyDays: 21,
  /**
   * Device seconds per second while catching up (21 days in about 90 s): paced so that alerts
   * appear while the history is sent. `--speed 0` works as well (docs/simulator.md#the-demo).
   */
  speed: 20_000,
  /** Days after now the demo keeps publishing in real time. */
  futureDays: 30,
  /** The analyzer learns for two weeks per meter; incidents placed before that are not alerted. */
  learnDays: 14.5,
  /** Recent working days given an incident each, newest first. */
  recentIncidents: ['production_halt', 'production_cut', 'production_halt', 'production_halt'] as const,
} as const;

const HOUR = 3600_000;

/**
 * Working-day mornings (China time) between the end of the learning phase and now, newest first:
 * the hours the detectors judge (not a weekend start, not a holiday, a regular working hour).
 */
export function recentWorkingMornings(startMs: number, nowMs: number, intervalMs: number, hourCst = 10): number[] {
  const out: number[] = [];
  const earliest = startMs + DEMO.learnDays * DAY_MS;
  for (let day = cstDate(nowMs), i = 0; i < 10; i++) {
    const t = Math.floor((cstMidnight(day) + hourCst * HOUR) / intervalMs) * intervalMs;
    // Two hours of data after the start, so the alert is raised while the history is sent.
    if (t < earliest) break;
    if (t + 2 * HOUR <= nowMs && dayInfo(day).mode === 'work') out.push(t);
    day = cstDate(cstMidnight(day) - DAY_MS / 2);
  }
  return out;
}

/**
 * The demo's scenario: the default random incidents (placed after the learning phase), plus one
 * enterprise incident on each recent working morning (alerted within the first minutes of the
 * demo) and one at the next working morning after now (alerted live).
 */
export function demoScenario(startMs: number, nowMs: number, intervalMs: number): Scenario {
  const mornings = recentWorkingMornings(startMs, nowMs, intervalMs);
  const incidents: ExplicitIncident[] = mornings.slice(0, DEMO.recentIncidents.length).map((t, i) => ({
    kind: DEMO.recentIncidents[i]!,
    start: new Date(t).toISOString(),
    hours: 10 + 6 * i,
    ...(DEMO.recentIncidents[i] === 'production_cut' ? { magnitude: 0.6 } : {}),
  }));
  const next = nextWorkingMorning(nowMs, intervalMs);
  incidents.push({ kind: 'production_halt', start: new Date(next).toISOString(), hours: 8 });
  return defaultScenario({ incidents, warmupDays: DEMO.learnDays });
}

/** The first working-day 09:30–14:00 China time slot at least half an hour after now. */
function nextWorkingMorning(nowMs: number, intervalMs: number): number {
  const soon = Math.ceil((nowMs + HOUR / 2) / intervalMs) * intervalMs;
  for (let day = cstDate(soon), i = 0; i < 20; i++) {
    const open = cstMidnight(day) + 9.5 * HOUR, close = cstMidnight(day) + 14 * HOUR;
    if (dayInfo(day).mode === 'work' && soon < close) return Math.max(open, soon);
    day = cstDate(cstMidnight(day) + DAY_MS * 1.5);
  }
  return soon;
}
