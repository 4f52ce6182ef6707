import { buildCity, simulate } from '../../simulator/index.js';
import type { IncidentLabel } from '../../src/schemas/incident.js';
import { REGISTER_MAX_KWH, type EnrichedReading, type ReadingInput } from '../../src/schemas/reading.js';
import { createAnalyzer, type AnalyzerOptions } from '../index.js';
import type { Alert } from '../types.js';
import { scoreRun, type Score } from './score.js';

export interface CityRunOptions {
  enterprises: number;
  days: number;
  start: string;
  seed: number;
  options?: AnalyzerOptions;
  /** Called after every tick (debugging). */
  onTick?: (analyzer: ReturnType<typeof createAnalyzer>, now: number) => void;
}

export interface CityRun {
  labels: IncidentLabel[];
  alerts: Alert[];
  score: Score;
  readings: number;
  rejected: number;
  meters: number;
  simMs: number;
  engineMs: number;
}

/** The pipeline's validation, cheaply: the engine only ever sees readings the pipeline accepted. */
function valid(r: ReadingInput): r is ReadingInput & { ts: number } {
  return typeof r.meter === 'string' && typeof r.ts === 'number' && typeof r.energyKwh === 'number' && Number.isFinite(r.energyKwh) &&
    r.energyKwh >= 0 && r.energyKwh <= REGISTER_MAX_KWH && (r.powerFactor === undefined || (r.powerFactor >= -1 && r.powerFactor <= 1)) &&
    (r.voltageV === undefined || r.voltageV.length === 3);
}

/** Runs a simulated city through the analyzer offline (no broker, simulated clock) and scores it. */
export function runCity(o: CityRunOptions): CityRun {
  const city = buildCity({ seed: o.seed, enterprises: o.enterprises, start: o.start, days: o.days });
  const sim = simulate(city, { start: o.start, days: o.days, seed: o.seed });
  const reg = city.registry;
  const ents = new Map(reg.enterprises.map((e) => [e.id, e]));
  const meta = new Map<string, Omit<EnrichedReading, 'meter' | 'ts' | 'energyKwh'>>();
  for (const m of reg.meters) {
    const e = ents.get(m.enterprise)!;
    meta.set(m.id, { gateway: m.gateway, enterprise: m.enterprise, county: e.county, chain: e.chains[0] ?? '', ctMultiplier: m.ctMultiplier });
  }
  const analyzer = createAnalyzer({ graceMs: 0, ...o.options }, { registry: () => reg });
  const alerts: Alert[] = [];
  analyzer.on('alert', (a) => alerts.push(a));
  let stepTs = -Infinity, readings = 0, rejected = 0, engineMs = 0;
  const t0 = performance.now();
  const buf: EnrichedReading[] = [];
  for (const b of sim.batches()) {
    if (b.ts > stepTs) {
      // Everything of the previous step has been delivered: evaluate it (what the wall clock does online).
      if (stepTs > -Infinity) {
        const t = performance.now();
        analyzer.tick(stepTs);
        engineMs += performance.now() - t;
        o.onTick?.(analyzer, stepTs);
      }
      stepTs = b.ts;
    }
    buf.length = 0;
    for (const r of b.readings) {
      const m = valid(r) ? meta.get(r.meter) : undefined;
      if (!m) { rejected++; continue; }
      buf.push({ ...r, ts: r.ts, ...m } as EnrichedReading);
    }
    readings += buf.length;
    const t = performance.now();
    analyzer.ingest(buf);
    engineMs += performance.now() - t;
  }
  analyzer.tick(stepTs);
  const simMs = performance.now() - t0 - engineMs;
  const score = scoreRun(sim.labels, alerts, {
    intervalMs: sim.intervalMs, runDays: o.days, allMeters: reg.meters.map((m) => m.id),
    meterEnterprise: new Map(reg.meters.map((m) => [m.id, m.enterprise])), meterGateway: new Map(reg.meters.map((m) => [m.id, m.gateway])),
  });
  return { labels: sim.labels, alerts, score, readings, rejected, meters: reg.meters.length, simMs, engineMs };
}
