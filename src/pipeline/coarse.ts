import type { Analyzer, CoarseMeter } from '../../analytics/index.js';

/** How many meters a /readyz reason names; the rest are counted (a fleet of hourly meters must not make it huge). */
const NAMED = 5;

/** The /readyz line for meters whose data is coarser than the analyzer's interval (listed, never unready). */
export function describeCoarse(coarse: readonly CoarseMeter[], intervalMinutes: number): string {
  const named = coarse.slice(0, NAMED).map((c) => `${c.meter} every ${c.spacingMs / 60_000} min`).join(', ');
  const more = coarse.length > NAMED ? ` and ${coarse.length - NAMED} more` : '';
  return `${coarse.length} meter(s) send data coarser than the analyzer's ${intervalMinutes}-minute interval (${named}${more}): their consumption is not judged; set analytics.intervalMinutes, or the meter's intervalMinutes, to their spacing`;
}

/** The analyzer's view of one meter's data for GET /api/v1/meters/:id. */
export function meterData(analyzer: Analyzer, meter: string): { intervalMs: number; coarse?: CoarseMeter } {
  const coarse = analyzer.coarseMeters().find((c) => c.meter === meter);
  return { intervalMs: analyzer.options.intervalMs, ...(coarse ? { coarse } : {}) };
}
