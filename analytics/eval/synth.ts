import type { EnrichedReading } from '../../src/schemas/reading.js';

/**
 * A small, deterministic factory-load generator for unit tests and quick checks: 1- or 2-shift plants
 * with a lunch dip, weaker Saturdays, Sundays off, ~5 % noise. Not the city simulator (simulator/).
 */
export interface SynthMeter {
  meter: string;
  enterprise: string;
  gateway: string;
  county: string;
  chain: string;
  /** Peak kWh per 15 minutes (primary). */
  peak: number;
  ct?: number;
  shifts?: 1 | 2 | 3;
}

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

const TZ = 8 * 3_600_000;

/** Expected kWh in the 15 minutes starting at `ms` (China time) for a plant of this shape. */
export function factoryLoad(ms: number, peak: number, shifts: 1 | 2 | 3 = 1): number {
  const local = new Date(ms + TZ);
  const dow = local.getUTCDay();
  const h = local.getUTCHours();
  const dayFactor = dow === 0 ? 0.12 : dow === 6 ? 0.45 : 1;
  let f: number;
  if (shifts === 3) f = 0.85;
  else if (h >= 8 && h < 17) f = h === 12 ? 0.3 : 1;
  else if (shifts === 2 && h >= 17 && h < 24) f = 0.85;
  else f = 0.15;
  if (dow === 0 || dow === 6) f = Math.max(0.15, f * dayFactor);
  return peak * f;
}

export interface SynthOptions {
  meters: SynthMeter[];
  start: number;
  intervals: number;
  intervalMs?: number;
  seed?: number;
  noise?: number;
  /** Multiplier applied to a meter's load in the interval starting at `ms` (1 = normal). */
  shape?: (m: SynthMeter, ms: number) => number;
}

/** Yields, per interval boundary, the readings of all meters (registers cumulative, secondary side). */
export function* synthBatches(o: SynthOptions): Generator<{ ts: number; readings: EnrichedReading[] }> {
  const I = o.intervalMs ?? 900_000;
  const r = rng(o.seed ?? 1);
  const reg = new Map<string, number>(o.meters.map((m, i) => [m.meter, 1000 + i * 10]));
  for (let k = 0; k <= o.intervals; k++) {
    const ts = o.start + k * I;
    const readings: EnrichedReading[] = [];
    for (const m of o.meters) {
      const ct = m.ct ?? 1;
      if (k > 0) {
        const startMs = ts - I;
        const base = factoryLoad(startMs, m.peak, m.shifts ?? 1);
        const mult = o.shape ? o.shape(m, startMs) : 1;
        const noise = 1 + (o.noise ?? 0.05) * (r() * 2 - 1) * 1.7;
        const kwh = Math.max(0, base * mult * noise);
        reg.set(m.meter, reg.get(m.meter)! + kwh / ct);
      }
      readings.push({
        meter: m.meter, ts, energyKwh: Math.round(reg.get(m.meter)! * 100) / 100,
        gateway: m.gateway, enterprise: m.enterprise, county: m.county, chain: m.chain, ctMultiplier: ct,
      });
    }
    yield { ts, readings };
  }
}

/** Meters for n enterprises spread over counties and chains (one meter each unless metersPer > 1). */
export function synthCity(n: number, opts: { counties?: string[]; chains?: string[]; metersPer?: number; seed?: number } = {}): SynthMeter[] {
  const counties = opts.counties ?? ['nanhu', 'xiuzhou', 'jiashan'];
  const chains = opts.chains ?? ['photovoltaics', 'fasteners', 'textiles_chemical_fibre', 'furniture'];
  const r = rng(opts.seed ?? 7);
  const out: SynthMeter[] = [];
  for (let i = 0; i < n; i++) {
    const enterprise = `E${i}`;
    for (let j = 0; j < (opts.metersPer ?? 1); j++) {
      out.push({
        meter: `M${i}_${j}`, enterprise, gateway: `G${i}`, county: counties[i % counties.length]!, chain: chains[Math.floor(i / counties.length) % chains.length]!,
        peak: 20 + Math.floor(r() * 80), shifts: (1 + (i % 2)) as 1 | 2,
      });
    }
  }
  return out;
}
