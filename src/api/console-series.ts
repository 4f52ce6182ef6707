import { median } from 'simple-statistics';
import type { InfluxClient } from '../storage/influx.js';

export const SERIES_SCOPES = ['enterprise', 'chain', 'county', 'meter', 'gateway'] as const;
export type SeriesScope = (typeof SERIES_SCOPES)[number];

/** Where a point's expected value comes from: the analyzer's judgement, or the 3-week median where it judged nothing. */
export type ExpectedBasis = 'judged' | 'median';

export interface SeriesPoint {
  ts: number;
  actualKwh: number | null;
  /**
   * For an enterprise slot the analyzer judged: its expected energy (`enterprise_expected`), and
   * actualKwh is the actual it compared. Otherwise the median of the same slot one, two and three
   * weeks before; null with no history there.
   */
  expectedKwh: number | null;
  expectedBasis: ExpectedBasis | null;
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
 * Interval consumption of one entity and an expected value per slot. For an enterprise, slots the
 * analyzer judged show what it compared (`enterprise_expected`), so the gap is the energy the
 * detector found missing. Elsewhere (other scopes, intervals it did not judge: still learning,
 * planned shutdowns, before the pipeline ran) the actual is the `reading` measurement (per-meter
 * register differences summed over the entity's meters, as in docs/schema.md) and the expected
 * value the median of the same slot in the previous three weeks, labelled `median`.
 */
export async function readSeries(influx: InfluxClient, q: { scope: SeriesScope; entity: string; from: number; to: number; stepMs: number; intervalMs: number }): Promise<Series> {
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
  const judged = q.scope === 'enterprise' ? await readJudged(influx, q.entity, from, to, stepMs, q.intervalMs) : new Map<number, Judged>();
  const points: SeriesPoint[] = [];
  for (let ts = from; ts < to; ts += stepMs) {
    const j = judged.get(ts);
    if (j) {
      points.push({ ts, actualKwh: round3(j.actual), expectedKwh: round3(j.expected), expectedBasis: 'judged' });
      continue;
    }
    const past: number[] = [];
    for (let w = 1; w <= HISTORY_WEEKS; w++) {
      const v = bySlot.get(ts - w * WEEK);
      if (v !== undefined) past.push(v);
    }
    points.push({ ts, actualKwh: bySlot.get(ts) ?? null, expectedKwh: past.length ? round3(median(past)) : null, expectedBasis: past.length ? 'median' : null });
  }
  return { scope: q.scope, entity: q.entity, from, to, stepMs, points };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

interface Judged { actual: number; expected: number }

/**
 * The analyzer's judged actual and expected energy of one enterprise (`enterprise_expected`, one
 * point per judged interval, dated by the interval's start), summed per slot. The `reading` line
 * above dates an interval's energy by the register read at its end, so a judged interval starting
 * at s goes to the slot holding s + intervalMs: both lines then cover the same energy.
 */
async function readJudged(influx: InfluxClient, enterprise: string, from: number, to: number, stepMs: number, intervalMs: number): Promise<Map<number, Judged>> {
  const rows = await influx.query(
    `SELECT "actual_kwh", "expected_kwh" FROM "enterprise_expected" WHERE "enterprise" = ${influxString(enterprise)} ` +
    `AND time >= ${from - intervalMs}ms AND time < ${to - intervalMs}ms`,
  );
  const bySlot = new Map<number, Judged>();
  for (const r of rows) {
    const actual = Number(r.actual_kwh), expected = Number(r.expected_kwh);
    if (typeof r.time !== 'number' || !Number.isFinite(actual) || !Number.isFinite(expected)) continue;
    const slot = Math.floor((r.time + intervalMs) / stepMs) * stepMs;
    const j = bySlot.get(slot);
    if (j) { j.actual += actual; j.expected += expected; } else bySlot.set(slot, { actual, expected });
  }
  return bySlot;
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
