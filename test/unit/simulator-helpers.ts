import { buildCity, simulate, type City, type SimBatch, type Simulation } from '../../simulator/index.js';
import type { ReadingInput } from '../../src/schemas/reading.js';

/** A delivered reading with where and when (in yield order) it arrived. */
export interface Delivered { r: ReadingInput; gateway: string; batchTs: number; seq: number }

export function smallCity(seed = 7, enterprises = 150, start = '2025-03-03T00:00:00+08:00'): City {
  return buildCity({ seed, enterprises, start, metersPerGateway: 12 });
}

export function collect(sim: Simulation): { batches: SimBatch[]; delivered: Delivered[] } {
  const batches: SimBatch[] = [];
  const delivered: Delivered[] = [];
  let seq = 0;
  for (const b of sim.batches()) {
    batches.push(b);
    for (const r of b.readings) delivered.push({ r, gateway: b.gateway, batchTs: b.ts, seq: seq++ });
  }
  return { batches, delivered };
}

/** Primary-side mean power (kW) of an enterprise's meters over [from, to), from unique well-formed readings. */
export function entMeanKw(city: City, delivered: Delivered[], enterprise: string, from: number, to: number): number {
  const meters = new Map(city.registry.meters.filter((m) => m.enterprise === enterprise).map((m) => [m.id, m.ctMultiplier]));
  const seen = new Set<string>();
  let sum = 0;
  const perTs = new Set<number>();
  for (const d of delivered) {
    const ct = meters.get(d.r.meter as string);
    const ts = d.r.ts as number;
    if (ct === undefined || typeof ts !== 'number' || ts < from || ts >= to) continue;
    const key = `${d.r.meter}@${ts}`;
    if (seen.has(key)) continue;
    seen.add(key);
    perTs.add(ts);
    sum += (d.r.powerKw ?? 0) * ct;
  }
  return perTs.size === 0 ? NaN : sum / perTs.size;
}

/** Primary-side mean power (kW) of the whole city over [from, to), from unique well-formed readings. */
export function cityMeanKw(city: City, delivered: Delivered[], from: number, to: number): number {
  const ct = new Map(city.registry.meters.map((m) => [m.id, m.ctMultiplier]));
  const seen = new Set<string>();
  const perTs = new Set<number>();
  let sum = 0;
  for (const d of delivered) {
    const ts = d.r.ts as number;
    const c = ct.get(d.r.meter as string);
    if (c === undefined || typeof ts !== 'number' || ts < from || ts >= to) continue;
    const key = `${d.r.meter}@${ts}`;
    if (seen.has(key)) continue;
    seen.add(key);
    perTs.add(ts);
    sum += (d.r.powerKw ?? 0) * c;
  }
  return sum / Math.max(1, perTs.size);
}

export { simulate };
