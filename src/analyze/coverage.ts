import type { Analyzer } from '../../analytics/index.js';
import { isoIn } from './output.js';
import type { OffsetFn } from './time.js';

/**
 * What the run judged: "alerts: 0" alone reads as "judged and fine" when the analyzer was still
 * learning (a meter's first learnDays raise no drop alert). The summary says which meters were
 * judged from when, and which never were, and why.
 */

const DAY_MS = 86_400_000;
/** Meters named one by one under "not judged"; the rest are counted. */
const LISTED = 5;
/** The shortest learning period the command accepts: one of each kind of day (every weekday and the weekend). */
export const MIN_LEARN_DAYS = 7;

export type NotJudgedReason = 'short_history' | 'few_intervals' | 'no_full_interval' | 'too_few_readings' | 'enterprise_learning' | 'forgotten';

const REASON_TEXT: Record<NotJudgedReason, string> = {
  short_history: 'history shorter than the learning period',
  few_intervals: 'too few intervals with data (gaps) for the learning period',
  no_full_interval: 'data never covering a full interval',
  too_few_readings: 'a single reading',
  enterprise_learning: 'learned, but another meter of its enterprise is still learning',
  forgotten: 'silent long before the end of the input (the analyzer dropped its state)',
};

export interface NotJudgedMeter {
  meter: string;
  reason: NotJudgedReason;
  observedIntervals: number;
  neededIntervals: number;
  /** First to newest reading, days. */
  spanDays: number;
  readings: number;
}

export interface Coverage {
  learnDays: number;
  neededIntervals: number;
  meters: number;
  judged: number;
  /**
   * When judging began (ms), the earliest and latest over the judged meters. An estimate that errs late:
   * the newest reading less the intervals observed beyond the learning period (exact without gaps).
   */
  judgedFrom: number | null;
  judgedFromLatest: number | null;
  judgedTo: number | null;
  notJudged: Partial<Record<NotJudgedReason, number>>;
  /** The first few meters not judged, in input order. */
  firstNotJudged: NotJudgedMeter[];
  /** Longest span of any meter, days (to say whether --learn-days could help). */
  longestSpanDays: number;
}

interface Span { meter: string; firstTs: number; lastTs: number; readings: number }

export function coverageOf(analyzer: Analyzer, spans: Iterable<Span>): Coverage {
  const I = analyzer.options.intervalMs;
  const need = analyzer.options.learnIntervals;
  const c: Coverage = {
    learnDays: analyzer.options.learnDays, neededIntervals: need, meters: 0, judged: 0,
    judgedFrom: null, judgedFromLatest: null, judgedTo: null, notJudged: {}, firstNotJudged: [], longestSpanDays: 0,
  };
  for (const s of spans) {
    c.meters++;
    const span = s.lastTs - s.firstTs;
    c.longestSpanDays = Math.max(c.longestSpanDays, span / DAY_MS);
    const l = analyzer.learningOf(s.meter);
    const obs = l?.observedIntervals ?? 0;
    let reason: NotJudgedReason | undefined;
    if (l === undefined) reason = 'forgotten';
    else if (obs >= need) reason = l.enterpriseLearning ? 'enterprise_learning' : undefined;
    else if (obs === 0) reason = s.readings < 2 ? 'too_few_readings' : 'no_full_interval';
    else reason = span < need * I ? 'short_history' : 'few_intervals';
    if (reason === undefined) {
      c.judged++;
      const from = Math.max(s.firstTs, s.lastTs - (obs - need) * I);
      c.judgedFrom = Math.min(c.judgedFrom ?? Infinity, from);
      c.judgedFromLatest = Math.max(c.judgedFromLatest ?? -Infinity, from);
      c.judgedTo = Math.max(c.judgedTo ?? -Infinity, s.lastTs);
      continue;
    }
    c.notJudged[reason] = (c.notJudged[reason] ?? 0) + 1;
    if (c.firstNotJudged.length < LISTED) c.firstNotJudged.push({ meter: s.meter, reason, observedIntervals: obs, neededIntervals: need, spanDays: span / DAY_MS, readings: s.readings });
  }
  return c;
}

const days = (d: number) => { const t = Math.floor(d * 10) / 10; return `${t} day${t === 1 ? '' : 's'}`; };

function describe(m: NotJudgedMeter, learnDays: number): string {
  switch (m.reason) {
    case 'short_history': return `${m.meter}: ${days(m.spanDays)} of data, ${learnDays} needed to learn (${m.observedIntervals} of ${m.neededIntervals} intervals)`;
    case 'few_intervals': return `${m.meter}: ${days(m.spanDays)} of data but only ${m.observedIntervals} of the ${m.neededIntervals} intervals needed have data (gaps)`;
    case 'no_full_interval': return `${m.meter}: ${m.readings} readings, none completing an interval (readings coarser than the interval, or a register that never moved forward)`;
    case 'too_few_readings': return `${m.meter}: one reading (an interval needs two registers, or one interval energy after another)`;
    case 'enterprise_learning': return `${m.meter}: learned (${m.observedIntervals} intervals), but its enterprise waits for a meter still learning`;
    case 'forgotten': return `${m.meter}: ${days(m.spanDays)} of data, then silent for longer than the analyzer keeps a meter (evictAfterMs): judged while it sent only if it had learned by then`;
  }
}

/** Summary lines: judged meters and span, the meters not judged by reason, and the warnings. */
export function formatCoverage(c: Coverage, offset: OffsetFn, fromMs: number | undefined): { lines: string[]; warnings: string[] } {
  const iso = (ms: number) => isoIn(offset, ms);
  const n = (x: number) => x.toLocaleString('en-US');
  const lines: string[] = [];
  const warnings: string[] = [];
  if (c.meters === 0) return { lines, warnings };
  if (c.judged > 0) {
    const from = c.judgedFrom === c.judgedFromLatest ? `≈${iso(c.judgedFrom!)}` : `≈${iso(c.judgedFrom!)} (first meter) … ≈${iso(c.judgedFromLatest!)} (last)`;
    lines.push(`  judged: ${n(c.judged)} of ${n(c.meters)} meters, from ${from} to ${iso(c.judgedTo!)} (the first ${c.learnDays} days of each meter are learned from, not judged)`);
  }
  const reasons = Object.entries(c.notJudged) as Array<[NotJudgedReason, number]>;
  if (reasons.length > 0) {
    const total = reasons.reduce((t, [, k]) => t + k, 0);
    lines.push(`  not judged: ${n(total)} meter${total === 1 ? '' : 's'} (${reasons.map(([r, k]) => `${REASON_TEXT[r]} ${n(k)}`).join(', ')})`);
    for (const m of c.firstNotJudged) lines.push(`    ${describe(m, c.learnDays)}`);
    if (total > c.firstNotJudged.length) lines.push(`    … and ${n(total - c.firstNotJudged.length)} more`);
  }
  if (c.judged === 0) {
    const first = c.firstNotJudged[0]!;
    const fix = c.longestSpanDays >= MIN_LEARN_DAYS
      ? `give more history (${c.learnDays} days or more per meter), or learn for less with --learn-days N (${MIN_LEARN_DAYS} at least; a shorter period judges earlier against a noisier baseline)`
      : `give more history: ${c.learnDays} days per meter (${MIN_LEARN_DAYS} at least, with --learn-days ${MIN_LEARN_DAYS})`;
    warnings.push(`analyze: warning: no meter was judged: ${describe(first, c.learnDays)}${c.meters > 1 ? ` (and ${n(c.meters - 1)} more meters)` : ''}; no alert could be raised: ${fix}`);
  } else if (fromMs !== undefined && fromMs < c.judgedFromLatest!) {
    warnings.push(`analyze: warning: --from ${iso(fromMs)} is before the end of learning (judged from ≈${iso(c.judgedFromLatest!)}${c.judgedFrom !== c.judgedFromLatest ? ' for the last meter' : ''}): drop alerts could not be raised from --from on, only from then`);
  }
  return { lines, warnings };
}
