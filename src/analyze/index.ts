import { writeFileSync } from 'node:fs';
import { createAnalyzer, type Alert, type Analyzer, type RegistryLike } from '../../analytics/index.js';
import { Registry, RegistryError } from '../registry/index.js';
import { coverageOf, formatCoverage, type Coverage } from './coverage.js';
import { readCsv } from './csv.js';
import { explain } from './explain.js';
import { Feed, type MeterTags, type TagLookup } from './feed.js';
import { readInflux } from './influx.js';
import { inferInterval, intervalName, PROBE_ROWS } from './interval.js';
import { openInput } from './open.js';
import { formatAlerts, isoIn, sortAlerts, toRecord } from './output.js';
import { startProgress, type Progress } from './progress.js';
import { Rejects, UsageError, type InputRow } from './rows.js';
import { engineSettings, type AnalyzeSettings } from './settings.js';
import { readSimulatorFile, simulatorFormat } from './sim-files.js';
import { zoneOffset } from './time.js';

export { parseSettings, type AnalyzeSettings, type RawAnalyzeOptions } from './settings.js';
export { UsageError } from './rows.js';

export interface AnalyzeSummary {
  rows: number;
  readings: number;
  meters: number;
  firstTs: number | null;
  lastTs: number | null;
  intervalMs: number | null;
  intervalInferred: boolean;
  rejected: Record<string, number>;
  firstRejects: string[];
  alerts: Record<string, number>;
  /** Readings the analyzer itself could not use (engine counters). */
  tooLate: number;
  skippedAfterTo: number;
  late: number;
  windowHours: number;
  pending: string[];
  /** Which meters were judged, from when, and which never were (learning period, gaps); null without data. */
  coverage: Coverage | null;
}

export interface AnalyzeIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

/**
 * Without a registry each meter (or CSV enterprise_id) is its own enterprise, county and chain: no
 * roll-ups. A file is one source, one gateway (a gap in the whole file reads as gateway_offline).
 */
function syntheticTags(meter: string, r: InputRow): MeterTags {
  const ent = r.enterprise ?? meter;
  return { gateway: r.gateway ?? r.source, enterprise: ent, county: ent, chain: ent, ctMultiplier: r.ct ?? 1 };
}

function registryTags(file: string): { lookup: TagLookup; snapshot: RegistryLike } {
  let reg: Registry;
  try {
    reg = Registry.load(file);
  } catch (err) {
    if (err instanceof RegistryError || err instanceof Error) throw new UsageError(`--registry ${file}: ${err.message}`);
    throw err;
  }
  const snapshot = reg.snapshot();
  return { lookup: (meter) => reg.tagsFor(meter), snapshot };
}

/**
 * `gridpulse analyze`: readers → (interval probe) → Feed (checks, energy→register seam, data clock) →
 * the pipeline's analyzer → alerts in a stable order. Returns the summary; writes alerts (or the
 * explanation) to `--out` or stdout.
 */
export async function analyze(s: AnalyzeSettings, io: AnalyzeIo): Promise<AnalyzeSummary> {
  const rejects = new Rejects();
  const reg = s.registryFile !== undefined ? registryTags(s.registryFile) : undefined;
  const lookup: TagLookup = reg ? reg.lookup : syntheticTags;
  const registrySnapshot: RegistryLike = reg?.snapshot ?? { enterprises: [] };
  const offset = zoneOffset(s.timezone);
  const alerts = new Map<string, Alert>();
  let rows = 0;

  // Rows wait in a bounded buffer until the interval is known (given, or inferred from their spacing).
  let probe: InputRow[] | undefined = [];
  const probeLast = new Map<string, number>();
  let feed: Feed | undefined;
  let analyzer: Analyzer | undefined;
  let intervalMs: number | undefined;
  let pending: string[] = [];
  const toMs = s.explain ? s.explain.at : s.toMs ?? Infinity;

  const start = () => {
    const buffered = probe!;
    probe = undefined;
    intervalMs = s.intervalMs ?? inferInterval(buffered);
    const first = buffered.reduce((m, r) => Math.min(m, r.ts), Infinity);
    const eng = engineSettings(s, intervalMs, first);
    pending = eng.pending;
    analyzer = createAnalyzer(eng.options, { registry: () => registrySnapshot, calendar: eng.calendar });
    analyzer.on('alertUpdate', (u) => alerts.set(u.alert.id, u.alert));
    feed = new Feed(analyzer, lookup, rejects, toMs);
    for (const r of buffered) feed.push(r);
  };
  const sink = (r: InputRow) => {
    rows++;
    if (feed) return feed.push(r);
    probe!.push({ ...r });
    probeLast.set(r.meter, r.ts);
    if (s.intervalMs !== undefined || probe!.length >= PROBE_ROWS) start();
  };
  const lastTsOf = (meter: string) => (feed ? feed.lastTs(meter) : probeLast.get(meter));

  const inputs = await Promise.all(s.files.map((f) => openInput(f)));
  const totalBytes = inputs.every((i) => i.size !== undefined) ? inputs.reduce((t, i) => t + i.size!, 0) : undefined;
  const showProgress = s.progress ?? Boolean(io.stderr.isTTY);
  let progress: Progress | undefined;
  if (showProgress) progress = startProgress({ rows: () => rows, bytes: () => inputs.reduce((t, i) => t + i.bytesRead(), 0), totalBytes, stream: io.stderr });
  try {
    if (s.influx) await readInflux(s.influx, sink);
    for (const input of inputs) {
      const sim = simulatorFormat(input.name);
      if (sim) await readSimulatorFile(input, sim, sink, rejects);
      else await readCsv(input, s.parseTime, sink, rejects, lastTsOf, s.csv);
    }
    if (probe && probe.length > 0) start();
  } finally {
    progress?.stop();
  }
  feed?.end();

  const kept = sortAlerts([...alerts.values()].filter((a) => (s.fromMs === undefined || a.openedAt >= s.fromMs) && (!s.kinds || s.kinds.has(a.kind))));
  if (s.explain) {
    const meter = s.explain.meter;
    const tags = feed?.tagsOf(meter);
    const text = analyzer && tags
      ? explain({ analyzer, calendar: s.calendar, meter, enterprise: tags.enterprise, at: s.explain.at, offset, alerts: kept })
      : `${meter}: no readings of this meter up to ${isoIn(offset, s.explain.at)}\n`;
    write(s.out, text, io);
  } else write(s.out, formatAlerts(kept.map((a) => toRecord(a, offset)), s.format), io);

  const byKind: Record<string, number> = {};
  for (const a of kept) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
  const st = feed?.stats;
  return {
    rows, readings: st?.readings ?? 0, meters: st?.meters ?? 0,
    firstTs: st && Number.isFinite(st.firstTs) ? st.firstTs : null, lastTs: st && Number.isFinite(st.lastTs) ? st.lastTs : null,
    intervalMs: intervalMs ?? null, intervalInferred: s.intervalMs === undefined, rejected: rejects.toJSON(), firstRejects: rejects.first,
    alerts: Object.fromEntries(Object.entries(byKind).sort()), tooLate: analyzer?.counters().tooLate ?? 0, skippedAfterTo: st?.skippedAfterTo ?? 0,
    late: st?.late ?? 0, windowHours: analyzer ? ((analyzer.options.windowIntervals - 1) * analyzer.options.intervalMs) / 3_600_000 : 0, pending,
    coverage: analyzer && feed ? coverageOf(analyzer, feed.meterSpans()) : null,
  };
}

function write(out: string | undefined, text: string, io: AnalyzeIo): void {
  if (out === undefined) io.stdout.write(text);
  else {
    try {
      writeFileSync(out, text);
    } catch (err) {
      throw new UsageError(`--out ${out}: ${(err as Error).message}`);
    }
  }
}

/** The summary on stderr: readings, meters, span, interval, rejects by reason (the first few with their line), alerts by kind, coverage (coverage.ts). */
export function formatSummary(r: AnalyzeSummary, s: AnalyzeSettings): string {
  const offset = zoneOffset(s.timezone);
  const n = (x: number) => x.toLocaleString('en-US');
  const span = r.firstTs !== null && r.lastTs !== null ? `${isoIn(offset, r.firstTs)} … ${isoIn(offset, r.lastTs)}` : 'no data';
  const rej = Object.entries(r.rejected);
  const total = rej.reduce((t, [, c]) => t + c, 0);
  const alerts = Object.entries(r.alerts);
  const lines = [
    `analyze: ${n(r.readings)} readings of ${n(r.meters)} meters (${n(r.rows)} rows), ${span}`,
    `  interval ${r.intervalMs ? intervalName(r.intervalMs) : '—'}${r.intervalInferred ? ' (inferred)' : ''}, calendar ${s.calendarSpec}, time zone ${s.timezone}, sensitivity ${s.sensitivity}`,
    `  rejected rows: ${n(total)}${total ? ` (${rej.map(([k, c]) => `${k} ${n(c)}`).join(', ')})` : ''}`,
    ...r.firstRejects.map((x) => `    ${x}`),
  ];
  if (r.late > 0) lines.push(`  late readings (earlier than the meter's last, or more than ${r.windowHours} h behind the newest): ${n(r.late)}, filed as the pipeline files late data; if the input is not sorted by time, sort it`);
  if (r.tooLate > 0) lines.push(`  readings the analyzer dropped as too late for its window: ${n(r.tooLate)}`);
  if (r.skippedAfterTo > 0) lines.push(`  rows after --to${s.explain ? '/--at' : ''}: ${n(r.skippedAfterTo)} (not analysed)`);
  lines.push(`  alerts: ${alerts.reduce((t, [, c]) => t + c, 0)}${alerts.length ? ` (${alerts.map(([k, c]) => `${k} ${c}`).join(', ')})` : ''}${s.out ? ` written to ${s.out}` : ''}`);
  for (const p of r.pending) lines.push(`  not yet effective: ${p}`);
  const cov = r.coverage ? formatCoverage(r.coverage, offset, s.fromMs) : { lines: [], warnings: [] };
  lines.push(...cov.lines, ...cov.warnings);
  return `${lines.join('\n')}\n`;
}
