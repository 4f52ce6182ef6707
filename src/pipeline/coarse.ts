import type { Analyzer, CoarseMeter } from '../../analytics/index.js';

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

/** The analyzer's view of one meter's data for GET /api/v1/meters/:id. */
export function meterData(analyzer: Analyzer, meter: string): { intervalMs: number; coarse?: CoarseMeter } {
  const coarse = analyzer.coarseMeters().find((c) => c.meter === meter);
  return { intervalMs: analyzer.options.intervalMs, ...(coarse ? { coarse } : {}) };
}
