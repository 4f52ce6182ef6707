import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { RegistryFile } from '../src/registry/schema.js';
import type { EnrichedReading } from '../src/schemas/reading.js';
import { createChineseCalendar, type Calendar } from './calendar.js';
import { Engine, type CoarseMeter, type EngineCounters, type MeterLearning } from './engine.js';
import { resolveOptions, type AnalyzerOptions, type ResolvedOptions } from './options.js';
import type { Alert, AlertUpdate, AnalyzerEvents, IndexPoint, InfluxQueryFn, RegistryLike } from './types.js';

export type { AnalyzerOptions, ResolvedOptions } from './options.js';
export type { CoarseMeter, EngineCounters, MeterLearning } from './engine.js';
export { analyzerOptionsSchema, resolveOptions, SENSITIVITY } from './options.js';
export type { Alert, AlertUpdate, AlertScope, AlertStatus, AlertChange, AlertEvidence, Contributor, IndexPoint, ExpectedPoint, InfluxQueryFn, RegistryLike, AnalyzerEvents } from './types.js';
export { createChineseCalendar, createListCalendar, KOREA_2018_HOLIDAYS, type Calendar } from './calendar.js';
export { calendarFromSpec, createNoneCalendar, parseHolidayIcs, parseHolidayJson } from './holiday-file.js';
export { checkTimeZone } from './zone.js';
export { toLineProtocol, indexPointToLine, alertToLine, expectedPointToLine, INDEX_MEASUREMENT, ALERT_MEASUREMENT, EXPECTED_MEASUREMENT, type EnterpriseTags } from './line-protocol.js';

export interface AnalyzerDeps {
  /** Current registry (leaders, suppliers, planned shutdowns). Called on every tick; a new object is re-read. */
  registry: () => RegistryLike | undefined;
  logger?: Logger;
  /** Clock for checkpoint/warm-up bookkeeping (default Date.now). */
  now?: () => number;
  /** Working calendar (default: mainland China, chinese-days, Spring Festival window from the options). */
  calendar?: Calendar;
  /** Calendars per county id (config analytics.countyCalendars): an enterprise's own registry calendar wins, then its county's, then `calendar`. */
  countyCalendars?: ReadonlyMap<string, Calendar>;
  /** Metric hook: called once when a meter is found sending data coarser than the interval. */
  onCoarseData?: (c: CoarseMeter) => void;
}

export interface WarmUpOptions {
  /** How far back to read (ms, default 28 days). */
  historyMs?: number;
  /** One query per chunk of this length (ms, default 1 day), so memory stays bounded. */
  chunkMs?: number;
}

export interface Analyzer {
  /** Hot path: synchronous, O(1) per reading; files readings for evaluation at the next tick. */
  ingest(readings: readonly EnrichedReading[]): void;
  /** Meters that sent readings the pipeline rejected (ts: the reading's device time, or its arrival): alive, without usable data. */
  heard(contacts: readonly { meter: string; ts: number }[]): void;
  /** Advances time (wall time online, simulated time offline): evaluates closed intervals, late data, silence. */
  tick(nowMs: number): void;
  on<K extends keyof AnalyzerEvents & string>(event: K, fn: AnalyzerEvents[K]): Analyzer;
  off<K extends keyof AnalyzerEvents & string>(event: K, fn: AnalyzerEvents[K]): Analyzer;
  /** Open alerts and recently closed ones (bounded by maxRecentAlerts). */
  alerts(): Alert[];
  /** Production index points, hourly and daily, per chain and county (bounded by maxIndexPoints). */
  productionIndex(): IndexPoint[];
  /** Writes the whole state to `path` (atomically: temp file + rename). */
  checkpoint(path: string): Promise<void>;
  /** Replaces the state with the one in `path`. */
  restore(path: string): Promise<void>;
  /** Learns baselines from history in InfluxDB (the `reading` measurement) without raising alerts. */
  warmUp(query: InfluxQueryFn, o?: WarmUpOptions): Promise<{ readings: number; queries: number }>;
  counters(): EngineCounters;
  /** Meters whose readings come less often than the interval, so their consumption cannot be judged (logged once each; for the API and /readyz). */
  coarseMeters(): CoarseMeter[];
  /** The detector's current view of one enterprise (recent intervals, CUSUM, noise), for the API and debugging. */
  inspect(enterprise: string): object | undefined;
  /** A meter's learning progress (intervals observed and needed, its enterprise still learning); undefined for a meter never seen. */
  learningOf(meter: string): MeterLearning | undefined;
  /** Meters still in their learning phase, of all meters: O(meters), for /readyz and the API, not per reading. */
  learningCount(): { learning: number; meters: number };
  stats(): ReturnType<Engine['stats']>;
  readonly options: ResolvedOptions;
}

export function createAnalyzer(options: AnalyzerOptions, deps: AnalyzerDeps): Analyzer {
  const o = resolveOptions(options);
  const log = deps.logger?.child({ stage: 'analytics' });
  const now = deps.now ?? Date.now;
  const calendar = deps.calendar ?? createChineseCalendar({ springFestivalBeforeDays: o.springFestivalBeforeDays, springFestivalAfterDays: o.springFestivalAfterDays });
  let engine = new Engine(o, { calendar, registry: deps.registry, ...(log ? { logger: log } : {}), ...(deps.onCoarseData ? { onCoarseData: deps.onCoarseData } : {}), ...(deps.countyCalendars ? { countyCalendars: deps.countyCalendars } : {}) });
  const listeners: Array<[string, (...a: any[]) => void]> = [];

  const api: Analyzer = {
    options: o,
    ingest: (rs) => engine.ingest(rs),
    heard: (cs) => engine.heard(cs),
    tick: (t) => engine.tick(t),
    on(event, fn) {
      engine.book.on(event, fn);
      listeners.push([event, fn as (...a: any[]) => void]);
      return api;
    },
    off(event, fn) {
      engine.book.off(event, fn);
      return api;
    },
    alerts: () => engine.alerts(),
    productionIndex: () => engine.productionIndex(),
    counters: () => ({ ...engine.counters }),
    coarseMeters: () => engine.coarseMeters(),
    inspect: (id) => engine.inspect(id),
    learningOf: (m) => engine.learningOf(m),
    learningCount: () => engine.learningCount(),
    stats: () => engine.stats(),
    async checkpoint(path) {
      const t0 = now();
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.tmp`;
      await writeFile(tmp, JSON.stringify(engine.toJSON()));
      await rename(tmp, path);
      log?.info({ path, ms: now() - t0, ...engine.stats() }, 'analyzer checkpoint written');
    },
    async restore(path) {
      const s = JSON.parse(await readFile(path, 'utf8'));
      const fresh = new Engine(o, { calendar, registry: deps.registry, ...(log ? { logger: log } : {}), ...(deps.onCoarseData ? { onCoarseData: deps.onCoarseData } : {}), ...(deps.countyCalendars ? { countyCalendars: deps.countyCalendars } : {}) });
      fresh.load(s);
      for (const [ev, fn] of listeners) fresh.book.on(ev as 'alert', fn);
      engine = fresh;
      log?.info({ path, ...engine.stats(), evalBin: engine.evalBin }, 'analyzer state restored');
    },
    async warmUp(query, w = {}) {
      const historyMs = w.historyMs ?? 28 * 86_400_000;
      const chunkMs = w.chunkMs ?? 86_400_000;
      const reg = deps.registry();
      const meters = new Map((reg?.meters ?? []).map((m) => [m.id, m]));
      const ents = new Map((reg?.enterprises ?? []).map((e) => [e.id, e]));
      const end = Math.floor(now() / o.intervalMs) * o.intervalMs;
      let readings = 0, queries = 0;
      engine.book.emitting = false;
      try {
        for (let t = end - historyMs; t < end; t += chunkMs) {
          const t1 = Math.min(end, t + chunkMs);
          // InfluxQL (1.x/2.x v1 API/3.x): first register reading of each interval per meter, or the
          // interval energy stored there (primary kWh, summed) and its period (an hourly period stays an hour).
          const q = `SELECT first(register_kwh) AS register_kwh, sum(interval_kwh) AS interval_kwh, max(interval_min) AS interval_min, last(ct) AS ct FROM reading WHERE time >= ${t}ms AND time < ${t1}ms GROUP BY time(${o.intervalMs / 60_000}m), meter, enterprise, chain, county, gateway fill(none)`;
          const rows = await query(q);
          queries++;
          const batch: EnrichedReading[] = [];
          for (const r of rows) {
            const meter = String(r['meter'] ?? '');
            const reg = r['register_kwh'] === null || r['register_kwh'] === undefined ? Number.NaN : Number(r['register_kwh']);
            const iv = r['interval_kwh'] === null || r['interval_kwh'] === undefined ? Number.NaN : Number(r['interval_kwh']);
            if (!meter || (!Number.isFinite(reg) && !Number.isFinite(iv))) continue;
            const ts = typeof r['time'] === 'number' ? (r['time'] as number) : Date.parse(String(r['time']));
            const m = meters.get(meter);
            const enterprise = String(r['enterprise'] ?? m?.enterprise ?? '');
            const e = ents.get(enterprise);
            const ct = Number(r['ct'] ?? m?.ctMultiplier ?? 1) || 1;
            const period = Math.max(o.intervalMs / 60_000, Number(r['interval_min'] ?? 0) || 0);
            const form = Number.isFinite(reg) ? { energyKwh: reg } : { intervalEnergyKwh: Math.round((iv / ct) * 1000) / 1000, intervalMinutes: period };
            batch.push({
              meter, ts, ...form, enterprise,
              gateway: String(r['gateway'] ?? m?.gateway ?? ''),
              county: String(r['county'] ?? e?.county ?? ''),
              chain: String(r['chain'] ?? e?.chains?.[0] ?? ''),
              ctMultiplier: ct,
            });
          }
          batch.sort((a, b) => a.ts - b.ts);
          // Feed interval by interval so each one is evaluated (and learned) in order.
          let i = 0;
          while (i < batch.length) {
            const ts = batch[i]!.ts;
            let j = i;
            while (j < batch.length && batch[j]!.ts === ts) j++;
            engine.ingest(batch.slice(i, j));
            engine.tick(ts + o.graceMs);
            i = j;
          }
          readings += batch.length;
        }
        // Alerts raised on history are not news: close them quietly so only fresh data opens alerts.
        for (const a of [...engine.alerts()]) if (a.status === 'open') engine.book.close(a, 'withdrawn', now(), 'raised during warm-up');
      } finally {
        engine.book.emitting = true;
      }
      log?.info({ readings, queries }, 'analyzer warm-up done');
      return { readings, queries };
    },
  };
  return api;
}

export type { AlertUpdate as AnalyzerAlertUpdate };

/** Compile-time check: the registry file the pipeline loads is what the analyzer reads. */
export const registryFileIsRegistryLike = (r: RegistryFile): RegistryLike => r;
