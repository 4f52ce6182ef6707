import type { Analyzer, CoarseMeter, MeterLearning } from '../../analytics/index.js';

/** How many coarse meters /readyz lists under checks.coarseMeters (a fleet of hourly meters must not make it huge). */
const LISTED = 20;

/**
 * /readyz `checks.coarseMeters`: meters whose data is coarser than the analyzer's interval. Information,
 * not a problem (no reason line): each is judged at its own interval, its consumption spread evenly over
 * the analyzer's intervals between two readings, so its alerts come up to one of its periods later.
 */
export function coarseCheck(coarse: readonly CoarseMeter[], intervalMinutes: number): { count: number; meters: CoarseMeter[]; note?: string } {
  if (coarse.length === 0) return { count: 0, meters: [] };
  return {
    count: coarse.length,
    meters: coarse.slice(0, LISTED),
    note: `judged at their own interval: each reading's consumption is spread evenly over the analyzer's ${intervalMinutes}-minute intervals since the meter's previous one (alerts up to one of their periods later)`,
  };
}

/** The analyzer's view of one meter's data for GET /api/v1/meters/:id (learning: undefined for a meter it has not seen). */
export function meterData(analyzer: Analyzer, meter: string): { intervalMs: number; coarse?: CoarseMeter; learning?: MeterLearning; neededIntervals: number } {
  const coarse = analyzer.coarseMeters().find((c) => c.meter === meter);
  const learning = analyzer.learningOf(meter);
  return { intervalMs: analyzer.options.intervalMs, neededIntervals: analyzer.options.learnIntervals, ...(coarse ? { coarse } : {}), ...(learning ? { learning } : {}) };
}

/**
 * /readyz `checks.learningMeters`: meters still in their learning period (no drop alert for them yet).
 * Information, not a reason: every new meter learns. O(meters) per call.
 */
export function learningCheck(analyzer: Analyzer): { count: number; of: number; note?: string } {
  const { learning, meters } = analyzer.learningCount();
  if (learning === 0) return { count: 0, of: meters };
  return { count: learning, of: meters, note: `still learning their baseline (the first ${analyzer.options.learnDays} days of data, analytics.learnDays): their drops are not judged yet` };
}
