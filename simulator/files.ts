import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { IncidentLabel } from '../src/schemas/incident.js';
import { REGISTER_MAX_KWH, readingSchema, type EnrichedReading, type Reading, type ReadingInput } from '../src/schemas/reading.js';
import { readingToLine } from '../src/storage/line-protocol.js';
import type { City } from './city.js';
import type { Simulation } from './engine.js';

export const FILES = {
  registry: 'registry.json',
  credentials: 'gateways.credentials.json',
  labels: 'labels.jsonl',
  readingsLine: 'readings.lp',
  readingsJsonl: 'readings.jsonl',
} as const;

/** registry.json (what `gridpulse start` loads), the plaintext gateway credentials (kept apart), labels.jsonl. */
export function writeCityFiles(city: City, outDir: string, labels: IncidentLabel[] | null): string[] {
  mkdirSync(outDir, { recursive: true });
  const written = [join(outDir, FILES.registry), join(outDir, FILES.credentials)];
  writeFileSync(written[0]!, `${JSON.stringify(city.registry, null, 1)}\n`);
  writeFileSync(written[1]!, `${JSON.stringify(city.credentials, null, 1)}\n`, { mode: 0o600 });
  if (labels) {
    const p = join(outDir, FILES.labels);
    writeFileSync(p, labels.map((l) => JSON.stringify(l)).join('\n') + (labels.length ? '\n' : ''));
    written.push(p);
  }
  return written;
}

export interface FileRunResult { path: string; messages: number; readings: number; lines: number; skipped: number }

/**
 * File mode. `line`: InfluxDB line protocol exactly as the pipeline stores a reading
 * (src/storage/line-protocol.ts), only well-formed readings of known meters (what the pipeline
 * would accept). `jsonl`: one MQTT message per line, `{"gateway","ts","readings"}` or
 * `{"gateway","ts","raw"}` for a garbled one — everything the gateways sent, faults included,
 * so it can be replayed.
 */
export async function writeReadingsFile(city: City, sim: Simulation, outDir: string, format: 'line' | 'jsonl', onBatch?: (ts: number) => void): Promise<FileRunResult> {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, format === 'line' ? FILES.readingsLine : FILES.readingsJsonl);
  const out = createWriteStream(path);
  const meters = new Map(city.registry.meters.map((m) => [m.id, m]));
  const ents = new Map(city.registry.enterprises.map((e) => [e.id, e]));
  let buf = '';
  let messages = 0, readings = 0, lines = 0, skipped = 0;
  const flush = async () => {
    if (!out.write(buf)) await once(out, 'drain');
    buf = '';
  };
  for (const b of sim.batches()) {
    messages++;
    readings += b.readings.length;
    if (format === 'jsonl') {
      buf += `${JSON.stringify(b.raw !== undefined ? { gateway: b.gateway, ts: b.ts, raw: b.raw } : { gateway: b.gateway, ts: b.ts, readings: b.readings })}\n`;
      lines++;
    } else {
      for (const r of b.readings) {
        const parsed = plainReading(r);
        const m = parsed ? meters.get(parsed.meter) : undefined;
        if (!parsed || !m || m.gateway !== b.gateway) { skipped++; continue; }
        const ent = ents.get(m.enterprise)!;
        const enriched: EnrichedReading = {
          meter: parsed.meter, ts: parsed.ts, energyKwh: parsed.energyKwh, powerKw: parsed.powerKw, voltageV: parsed.voltageV,
          currentA: parsed.currentA, powerFactor: parsed.powerFactor, quality: parsed.quality,
          gateway: b.gateway, enterprise: ent.id, county: ent.county, chain: ent.chains[0] ?? '', ctMultiplier: m.ctMultiplier,
        };
        buf += `${readingToLine(enriched)}\n`;
        lines++;
      }
    }
    if (buf.length > 1 << 20) { await flush(); onBatch?.(b.ts); }
  }
  await flush();
  out.end();
  await once(out, 'close');
  return { path, messages, readings, lines, skipped };
}

const KEYS = new Set(['meter', 'ts', 'energyKwh', 'powerKw', 'voltageV', 'currentA', 'powerFactor', 'quality']);
const METER_ID = /^[A-Za-z0-9_.:-]+$/;
function keysOk(x: Record<string, unknown>): boolean {
  for (const k in x) if (!KEYS.has(k)) return false;
  return true;
}
const triple = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * The reading as the pipeline would accept it, or null. A fast path for the simulator's own
 * output (epoch-ms timestamps, plain numbers); anything unusual goes through readingSchema.
 */
function plainReading(r: ReadingInput): Reading | null {
  const x = r as Record<string, unknown>;
  const fast = typeof x.meter === 'string' && x.meter.length <= 64 && METER_ID.test(x.meter)
    && typeof x.ts === 'number' && Number.isInteger(x.ts) && x.ts >= 0
    && typeof x.energyKwh === 'number' && x.energyKwh >= 0 && x.energyKwh <= REGISTER_MAX_KWH
    && (x.powerKw === undefined || (typeof x.powerKw === 'number' && Math.abs(x.powerKw) <= 100_000))
    && (x.voltageV === undefined || triple(x.voltageV)) && (x.currentA === undefined || triple(x.currentA))
    && (x.powerFactor === undefined || (typeof x.powerFactor === 'number' && x.powerFactor >= -1 && x.powerFactor <= 1))
    && (x.quality === undefined || (Array.isArray(x.quality) && x.quality.length <= 16 && x.quality.every((q) => typeof q === 'string' && q.length <= 32)))
    && keysOk(x);
  if (fast) return r as Reading;
  const p = readingSchema.safeParse(r);
  return p.success ? p.data : null;
}
