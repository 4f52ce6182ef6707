import type { EnrichedReading } from '../schemas/reading.js';

/**
 * The storage schema (docs/schema.md): measurement `reading`, tags meter/enterprise/chain/county/gateway,
 * timestamp = device time in seconds. Point identity is measurement + tags + time, so a redelivered
 * reading overwrites itself instead of duplicating.
 */
export const READING_MEASUREMENT = 'reading';
export const WRITE_PRECISION = 's' as const;

// Line protocol escaping: tag keys/values escape comma, equals and space; string fields escape quote and backslash.
function tag(v: string): string {
  return /[ ,=\\]/.test(v) ? v.replace(/[\\ ,=]/g, (c) => `\\${c}`) : v;
}
function num(v: number): string {
  return Number.isInteger(v) ? `${v}` : `${Math.round(v * 1e6) / 1e6}`;
}

/** Measurement and tag set of a meter's points: the same for every reading, so the registry builds it once. */
export function seriesKey(t: { meter: string; gateway: string; enterprise: string; county: string; chain: string }): string {
  // Tags sorted by key, as InfluxDB prefers: chain, county, enterprise, gateway, meter.
  return `${READING_MEASUREMENT},chain=${tag(t.chain || 'none')},county=${tag(t.county)},enterprise=${tag(t.enterprise)},gateway=${tag(t.gateway)},meter=${tag(t.meter)}`;
}

export function readingToLine(r: EnrichedReading, key: string = seriesKey(r)): string {
  const ct = r.ctMultiplier;
  // A register reading, or energy over a period (interval_kwh primary, interval_min its length).
  let fields = r.energyKwh !== undefined
    ? `energy_kwh=${num(r.energyKwh * ct)},register_kwh=${num(r.energyKwh)},ct=${num(ct)}`
    : `interval_kwh=${num((r.intervalEnergyKwh ?? 0) * ct)},interval_min=${r.intervalMinutes ?? 0}i,ct=${num(ct)}`;
  if (r.powerKw !== undefined) fields += `,power_kw=${num(r.powerKw * ct)}`;
  if (r.voltageV) fields += `,voltage_a=${num(r.voltageV[0])},voltage_b=${num(r.voltageV[1])},voltage_c=${num(r.voltageV[2])}`;
  if (r.currentA) fields += `,current_a=${num(r.currentA[0] * ct)},current_b=${num(r.currentA[1] * ct)},current_c=${num(r.currentA[2] * ct)}`;
  if (r.powerFactor !== undefined) fields += `,pf=${num(r.powerFactor)}`;
  if (r.quality && r.quality.length > 0) fields += `,quality="${r.quality.join(',').replace(/["\\]/g, (c) => `\\${c}`)}"`;
  return `${key} ${fields} ${Math.floor(r.ts / 1000)}`;
}
