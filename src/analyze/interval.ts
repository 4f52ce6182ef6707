import { INTERVALS } from './settings.js';
import { UsageError, type InputRow } from './rows.js';

/** Rows buffered before the interval is known (bounded): enough for every meter to show its spacing. */
export const PROBE_ROWS = 20_000;

/** The most common spacing between a meter's consecutive readings, if it is 5, 15, 30 or 60 minutes. */
export function inferInterval(rows: readonly InputRow[]): number {
  const last = new Map<string, number>();
  const counts = new Map<number, number>();
  for (const r of rows) {
    const p = last.get(r.meter);
    if (p !== undefined && r.ts > p) counts.set(r.ts - p, (counts.get(r.ts - p) ?? 0) + 1);
    last.set(r.meter, r.ts);
  }
  let best = 0, n = 0;
  for (const [d, c] of counts) if (c > n || (c === n && d < best)) [best, n] = [d, c];
  if (n === 0) throw new UsageError('--interval auto: too few readings per meter to see their spacing; pass --interval 5m|15m|30m|1h');
  if (!Object.values(INTERVALS).includes(best)) {
    throw new UsageError(`--interval auto: readings are most often ${best / 60_000} min apart, which is not 5, 15, 30 or 60 min; pass --interval`);
  }
  return best;
}

export function intervalName(ms: number): string {
  return Object.entries(INTERVALS).find(([, v]) => v === ms)?.[0] ?? `${ms / 60_000}m`;
}
