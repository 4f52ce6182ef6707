import { ALERT_KINDS, type AlertKind } from '../schemas/incident.js';
import type { AnalyzerOptions, Calendar } from '../../analytics/index.js';
import { loadCalendar } from './calendar-file.js';
import { MIN_LEARN_DAYS } from './coverage.js';
import { COLUMN_NAMES, type ColumnName, type CsvOptions } from './csv.js';
import { UsageError } from './rows.js';
import { createTimeParser, parseOptionTime, TimeZoneError, zoneOffset } from './time.js';

export const INTERVALS: Record<string, number> = { '5m': 5 * 60_000, '15m': 15 * 60_000, '30m': 30 * 60_000, '1h': 60 * 60_000 };
/** The engine's own bound (analytics/options.ts learnDays). */
const MAX_LEARN_DAYS = 60;
export const SENSITIVITIES = ['low', 'normal', 'high'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

/** The command's options as commander hands them over (strings), before validation. */
export interface RawAnalyzeOptions {
  influx?: string;
  db?: string;
  influxToken?: string;
  start?: string;
  end?: string;
  registry?: string;
  interval?: string;
  calendar?: string;
  timezone?: string;
  sensitivity?: string;
  from?: string;
  to?: string;
  kinds?: string;
  out?: string;
  format?: string;
  progress?: boolean;
  explain?: string;
  at?: string;
  learnDays?: string;
  meter?: string;
  /** NAME=HEADER[,NAME=HEADER…], the option possibly repeated. */
  columns?: string | string[];
}

export interface AnalyzeSettings {
  files: string[];
  influx?: { url: string; db: string; start: number; end: number; token?: string };
  registryFile?: string;
  /** ms, or undefined for auto (inferred from the data's spacing). */
  intervalMs?: number;
  calendarSpec: string;
  calendar: Calendar;
  timezone: string;
  sensitivity: Sensitivity;
  fromMs?: number;
  toMs?: number;
  kinds?: ReadonlySet<AlertKind>;
  out?: string;
  format: 'jsonl' | 'csv';
  /** true/false from --progress/--no-progress; undefined: only when stderr is a TTY. */
  progress?: boolean;
  explain?: { meter: string; at: number };
  /** How CSV exports not in the documented shape are read (--meter, --columns). */
  csv: CsvOptions;
  /** Days each meter learns before it is judged; undefined: the engine's default (14). */
  learnDays?: number;
  parseTime: ReturnType<typeof createTimeParser>;
}

function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`${name}: "${v}" is not one of ${allowed.join(', ')}`);
  return v as T;
}

/** --learn-days: whole days, a week at least (every weekday and the weekend seen once), at most the engine's 60. */
function learnDays(v: string): number {
  const d = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(d)) throw new UsageError(`--learn-days: "${v}" is not a whole number of days`);
  if (d < MIN_LEARN_DAYS) throw new UsageError(`--learn-days: ${d} is less than ${MIN_LEARN_DAYS}: the analyzer needs a week to see every kind of day (each weekday and the weekend) before it judges`);
  if (d > MAX_LEARN_DAYS) throw new UsageError(`--learn-days: ${d} is more than ${MAX_LEARN_DAYS}`);
  return d;
}

/** --columns timestamp=Date,energy_kwh=Usage_kWh (repeatable): documented name → the file's header name. */
function columnMap(v: string | string[]): Partial<Record<ColumnName, string>> {
  const out: Partial<Record<ColumnName, string>> = {};
  for (const pair of (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(','))) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).trim(), header = pair.slice(eq + 1).trim();
    if (eq < 0 || key === '' || header === '') throw new UsageError(`--columns: "${pair}" is not NAME=HEADER (e.g. --columns timestamp=Date,energy_kwh=Usage_kWh)`);
    if (!(COLUMN_NAMES as string[]).includes(key)) throw new UsageError(`--columns: "${key}" is not one of ${COLUMN_NAMES.join(', ')}`);
    if (out[key as ColumnName] !== undefined) throw new UsageError(`--columns: ${key} is mapped twice`);
    out[key as ColumnName] = header;
  }
  return out;
}

/** Validates every option; a bad one stops the command naming it (exit 2). */
export function parseSettings(files: string[], o: RawAnalyzeOptions): AnalyzeSettings {
  const timezone = o.timezone ?? 'Asia/Shanghai';
  let parseTime: ReturnType<typeof createTimeParser>;
  try {
    zoneOffset(timezone);
    parseTime = createTimeParser(timezone);
  } catch (err) {
    throw new UsageError(`--timezone: ${(err as Error).message}`);
  }
  const time = (name: string, v: string) => {
    try {
      return parseOptionTime(parseTime, name, v);
    } catch (err) {
      throw new UsageError((err as TimeZoneError).message);
    }
  };
  const interval = o.interval ?? 'auto';
  if (interval !== 'auto' && !(interval in INTERVALS)) throw new UsageError(`--interval: "${interval}" is not one of auto, ${Object.keys(INTERVALS).join(', ')}`);
  const s: AnalyzeSettings = {
    files, timezone, parseTime,
    calendarSpec: o.calendar ?? 'cn',
    calendar: loadCalendar(o.calendar ?? 'cn'),
    sensitivity: oneOf('--sensitivity', o.sensitivity ?? 'normal', SENSITIVITIES),
    format: oneOf('--format', o.format ?? 'jsonl', ['jsonl', 'csv'] as const),
    csv: {},
  };
  if (o.meter !== undefined) {
    if (o.meter.trim() === '') throw new UsageError('--meter: empty meter id');
    s.csv.meter = o.meter.trim();
  }
  if (o.columns !== undefined) s.csv.columns = columnMap(o.columns);
  if (interval !== 'auto') s.intervalMs = INTERVALS[interval];
  if (o.learnDays !== undefined) s.learnDays = learnDays(o.learnDays);
  if (o.registry !== undefined) s.registryFile = o.registry;
  if (o.out !== undefined) s.out = o.out;
  if (o.progress !== undefined) s.progress = o.progress;
  if (o.from !== undefined) s.fromMs = time('--from', o.from);
  if (o.to !== undefined) s.toMs = time('--to', o.to);
  if (s.fromMs !== undefined && s.toMs !== undefined && s.toMs <= s.fromMs) throw new UsageError('--to must be after --from');
  if (o.kinds !== undefined) {
    const ks = o.kinds.split(',').map((k) => k.trim()).filter(Boolean);
    for (const k of ks) oneOf('--kinds', k, ALERT_KINDS);
    s.kinds = new Set(ks as AlertKind[]);
  }
  if (o.influx !== undefined) {
    if (files.length > 0) throw new UsageError('give either FILES or --influx, not both');
    if (o.start === undefined || o.end === undefined) throw new UsageError('--influx needs --start and --end');
    try {
      new URL(o.influx);
    } catch {
      throw new UsageError(`--influx: "${o.influx}" is not a URL (e.g. http://127.0.0.1:8086)`);
    }
    const start = time('--start', o.start), end = time('--end', o.end);
    if (end <= start) throw new UsageError('--end must be after --start');
    s.influx = { url: o.influx, db: o.db ?? 'gridpulse', start, end, ...(o.influxToken ? { token: o.influxToken } : {}) };
  } else {
    if (o.start !== undefined || o.end !== undefined) throw new UsageError('--start/--end go with --influx');
    if (files.length === 0) throw new UsageError('no input: give CSV files (- for stdin), simulator files (readings.jsonl, readings.lp) or --influx URL --start T --end T');
  }
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
  if ((o.explain === undefined) !== (o.at === undefined)) throw new UsageError('--explain METER and --at TIME go together');
  if (o.explain !== undefined) s.explain = { meter: o.explain, at: time('--at', o.at!) };
  return s;
}

/** What each command option does to the engine today; options the engine cannot take yet are listed. */
export interface EngineSettings {
  options: AnalyzerOptions;
  calendar: Calendar;
  /** Options validated here but not yet effective in this engine version (printed in the summary). */
  pending: string[];
}

/**
 * THE one place command options become engine options: the interval, the IANA zone (DST-correct in
 * the engine's calendar), the sensitivity preset, the learning period (--learn-days; else the engine's 14 days).
 */
export function engineSettings(s: AnalyzeSettings, intervalMs: number, _firstTs: number): EngineSettings {
  const pending: string[] = [];
  const options: AnalyzerOptions = {
    intervalMs,
    timeZone: s.timezone,
    sensitivity: s.sensitivity,
    ...(s.learnDays !== undefined ? { learnDays: s.learnDays } : {}),
    // The command prints alerts, not the production index: keep the engine's in-memory point list short.
    maxIndexPoints: 1,
  };
  return { options, calendar: s.calendar, pending };
}
