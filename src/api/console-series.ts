import { median } from 'simple-statistics';
import type { InfluxClient } from '../storage/influx.js';

export const SERIES_SCOPES = ['enterprise', 'chain', 'county', 'meter', 'gateway'] as const;
export type SeriesScope = (typeof SERIES_SCOPES)[number];

export interface SeriesPoint {
  ts: number;
  actualKwh: number | null;
  /** Median of the same slot one, two and three weeks before; null with no history there. */
  expectedKwh: number | null;
}

export interface Series {
  scope: SeriesScope;
  entity: string;
  from: number;
  to: number;
  stepMs: number;
  points: SeriesPoint[];
}

const WEEK = 7 * 86_400_000;
const HISTORY_WEEKS = 3;
/** Longest window one request may ask for: a day per pixel column would not be readable anyway. */
export const MAX_SERIES_SPAN_MS = 31 * 86_400_000;

const influxString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Device time of the last stored reading of this entity, or undefined when it has none. */
export async function lastReadingTs(influx: InfluxClient, scope: SeriesScope, entity: string): Promise<number | undefined> {
  const rows = await influx.query(`SELECT last("energy_kwh") FROM "reading" WHERE "${scope}" = ${influxString(entity)}`);
  const t = rows[0]?.time;
  return typeof t === 'number' ? t : undefined;
}

/**
 * Interval consumption of one entity from the `reading` measurement (the per-meter register
 * difference summed over the entity's meters, as in docs/schema.md), and an expected value per
 * slot: the median of the same slot in the previous three weeks. That is a plain, explainable
 * reference for the chart; the analyzer's own baseline (calendar-aware) is what decides alerts.
 */
export async function readSeries(influx: InfluxClient, q: { scope: SeriesScope; entity: string; from: number; to: number; stepMs: number }): Promise<Series> {
  const stepMin = Math.max(1, Math.round(q.stepMs / 60_000));
  const stepMs = stepMin * 60_000;
  const from = Math.floor(q.from / stepMs) * stepMs;
  const to = Math.ceil(q.to / stepMs) * stepMs;
  // One step earlier so the first slot has a previous register to difference against.
  const histFrom = from - HISTORY_WEEKS * WEEK - stepMs;
  const rows = await influx.query(
    `SELECT sum("kwh") AS "kwh" FROM (SELECT non_negative_difference(last("energy_kwh")) AS "kwh" FROM "reading" ` +
    `WHERE "${q.scope}" = ${influxString(q.entity)} AND time >= ${histFrom}ms AND time < ${to}ms GROUP BY time(${stepMin}m), "meter") ` +
    `WHERE time >= ${histFrom}ms AND time < ${to}ms GROUP BY time(${stepMin}m) fill(none)`,
  );
  const bySlot = new Map<number, number>();
  for (const r of rows) {
    const kwh = Number(r.kwh);
    if (typeof r.time === 'number' && Number.isFinite(kwh)) bySlot.set(r.time, kwh);
  }
  const points: SeriesPoint[] = [];
  for (let ts = from; ts < to; ts += stepMs) {
    const past: number[] = [];
    for (let w = 1; w <= HISTORY_WEEKS; w++) {
      const v = bySlot.get(ts - w * WEEK);
      if (v !== undefined) past.push(v);
    }
    points.push({ ts, actualKwh: bySlot.get(ts) ?? null, expectedKwh: past.length ? Math.round(median(past) * 1000) / 1000 : null });
  }
  return { scope: q.scope, entity: q.entity, from, to, stepMs, points };
}

export interface MeterCompleteness {
  meter: string;
  readings: number;
  expected: number;
  /** readings ÷ expected, 0–1 (duplicates are one point in InfluxDB, so it cannot exceed 1 by resends). */
  ratio: number;
}

/** Readings stored per meter of an enterprise over the `spanMs` before `to`, against one per interval. */
export async function readCompleteness(influx: InfluxClient, enterprise: string, meters: readonly string[], to: number, spanMs: number, intervalMs: number): Promise<MeterCompleteness[]> {
  const rows = await influx.query(
    `SELECT count("energy_kwh") AS "n" FROM "reading" WHERE "enterprise" = ${influxString(enterprise)} AND time > ${to - spanMs}ms AND time <= ${to}ms GROUP BY "meter"`,
  );
  const counts = new Map(rows.map((r) => [String(r.meter), Number(r.n) || 0]));
  const expected = Math.round(spanMs / intervalMs);
  return meters.map((meter) => {
    const readings = counts.get(meter) ?? 0;
    return { meter, readings, expected, ratio: expected ? Math.min(1, readings / expected) : 0 };
  });
}
