import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  /**
   * A folder where the simulated readings (after validation: meter, time, register, power, quality; and which rejected readings came from known meters) are kept, keyed by seed, size, span and the
   * simulator's source: a second run with the same city replays them instead of simulating again.
   */
  cacheDir?: string;
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
  const contacts: { meter: string; ts: number }[] = [];
  const step = (ts: number) => {
    if (ts > stepTs) {
      // Everything of the previous step has been delivered: evaluate it (what the wall clock does online).
      if (stepTs > -Infinity) {
        const t = performance.now();
        analyzer.tick(stepTs);
        engineMs += performance.now() - t;
        o.onTick?.(analyzer, stepTs);
      }
      stepTs = ts;
    }
  };
  const feed = () => {
    readings += buf.length;
    const t = performance.now();
    analyzer.ingest(buf);
    if (contacts.length > 0) analyzer.heard(contacts);
    engineMs += performance.now() - t;
    buf.length = 0;
    contacts.length = 0;
  };
  const cache = o.cacheDir ? join(o.cacheDir, `city-v3-${o.seed}-${o.enterprises}-${o.days}-${o.start.replace(/[^0-9A-Za-z]/g, '')}-${simulatorHash()}`) : null;
  const meterIds = reg.meters.map((m) => m.id);
  if (cache && existsSync(join(cache, 'done'))) {
    const c = readCache(cache);
    rejected = c.rejected;
    let k = 0;
    for (let b = 0; b < c.batchTs.length; b++) {
      step(c.batchTs[b]!);
      for (const end = k + c.batchCount[b]!; k < end; k++) {
        const id = meterIds[c.meter[k]!]!;
        if (c.flags[k]! & HEARD) { contacts.push({ meter: id, ts: c.ts[k]! }); continue; }
        const r = { meter: id, ts: c.ts[k]!, energyKwh: c.energy[k]!, ...meta.get(id)! } as EnrichedReading;
        if (c.flags[k]! & 1) r.quality = ['estimated'];
        if (!Number.isNaN(c.power[k]!)) r.powerKw = c.power[k]!;
        buf.push(r);
      }
      feed();
    }
  } else {
    const w = cache ? new CacheWriter() : null;
    const meterNo = new Map(meterIds.map((id, i) => [id, i]));
    for (const b of sim.batches()) {
      step(b.ts);
      for (const r of b.readings) {
        const m = valid(r) ? meta.get(r.meter) : undefined;
        if (!m) {
          rejected++;
          // As the pipeline: a registered meter of this gateway whose reading was rejected is alive. Its own
          // time when readable, else arrival (the batch's time).
          const known = typeof r.meter === 'string' ? meta.get(r.meter) : undefined;
          if (known && known.gateway === b.gateway) {
            const ts = typeof r.ts === 'number' && Number.isFinite(r.ts) ? r.ts : b.ts;
            contacts.push({ meter: r.meter, ts });
            w?.reading(meterNo.get(r.meter)!, ts, Number.NaN, Number.NaN, HEARD);
          }
          continue;
        }
        const er = { ...r, ts: r.ts, ...m } as EnrichedReading;
        buf.push(er);
        w?.reading(meterNo.get(r.meter)!, er.ts, er.energyKwh ?? Number.NaN, er.powerKw ?? Number.NaN, er.quality?.includes('estimated') ? 1 : 0);
      }
      w?.batch(b.ts, buf.length + contacts.length);
      feed();
    }
    if (cache && w) w.save(cache, rejected);
  }
  analyzer.tick(stepTs);
  const simMs = performance.now() - t0 - engineMs;
  const score = scoreRun(sim.labels, alerts, {
    intervalMs: sim.intervalMs, runDays: o.days, allMeters: reg.meters.map((m) => m.id),
    meterEnterprise: new Map(reg.meters.map((m) => [m.id, m.enterprise])), meterGateway: new Map(reg.meters.map((m) => [m.id, m.gateway])),
  });
  return { labels: sim.labels, alerts, score, readings, rejected, meters: reg.meters.length, simMs, engineMs };
}

/** A digest of the simulator's code, so a cache never outlives a change to what it would produce. */
function simulatorHash(): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'simulator');
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) if (/\.[jt]s$/.test(f)) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex').slice(0, 12);
}

/** Cache flag of a rejected reading of a known meter (a contact, no data); flag 1 is quality 'estimated'. */
const HEARD = 2;

/** Columnar, append-only store of validated readings (meter number, ts, register, flags) and batch bounds. */
class CacheWriter {
  private n = 0;
  private nb = 0;
  private meter = new Uint32Array(1 << 20);
  private ts = new Float64Array(1 << 20);
  private energy = new Float64Array(1 << 20);
  private power = new Float32Array(1 << 20);
  private flags = new Uint8Array(1 << 20);
  private batchTs = new Float64Array(1 << 16);
  private batchCount = new Uint32Array(1 << 16);

  reading(meter: number, ts: number, energy: number, power: number, flags: number): void {
    if (this.n === this.meter.length) {
      const grow = <T extends Uint32Array | Float64Array | Float32Array | Uint8Array>(a: T): T => { const b = new (a.constructor as new (n: number) => T)(a.length * 2); b.set(a); return b; };
      this.meter = grow(this.meter); this.ts = grow(this.ts); this.energy = grow(this.energy); this.power = grow(this.power); this.flags = grow(this.flags);
    }
    this.meter[this.n] = meter; this.ts[this.n] = ts; this.energy[this.n] = energy; this.power[this.n] = power; this.flags[this.n] = flags;
    this.n++;
  }

  batch(ts: number, count: number): void {
    if (this.nb === this.batchTs.length) {
      const a = new Float64Array(this.nb * 2); a.set(this.batchTs); this.batchTs = a;
      const c = new Uint32Array(this.nb * 2); c.set(this.batchCount); this.batchCount = c;
    }
    this.batchTs[this.nb] = ts; this.batchCount[this.nb] = count;
    this.nb++;
  }

  save(dir: string, rejected: number): void {
    const tmp = `${dir}.tmp-${process.pid}`;
    mkdirSync(tmp, { recursive: true });
    const put = (name: string, a: ArrayBufferView) => writeFileSync(join(tmp, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    put('meter', this.meter.subarray(0, this.n)); put('ts', this.ts.subarray(0, this.n));
    put('energy', this.energy.subarray(0, this.n)); put('power', this.power.subarray(0, this.n)); put('flags', this.flags.subarray(0, this.n));
    put('batchTs', this.batchTs.subarray(0, this.nb)); put('batchCount', this.batchCount.subarray(0, this.nb));
    writeFileSync(join(tmp, 'done'), JSON.stringify({ rejected }));
    renameSync(tmp, dir);
  }
}

function readCache(dir: string) {
  const get = (name: string) => { const b = readFileSync(join(dir, name)); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };
  return {
    meter: new Uint32Array(get('meter')), ts: new Float64Array(get('ts')), energy: new Float64Array(get('energy')), power: new Float32Array(get('power')), flags: new Uint8Array(get('flags')),
    batchTs: new Float64Array(get('batchTs')), batchCount: new Uint32Array(get('batchCount')),
    rejected: (JSON.parse(readFileSync(join(dir, 'done'), 'utf8')) as { rejected: number }).rejected,
  };
}
