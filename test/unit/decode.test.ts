import { describe, expect, it } from 'vitest';
import { decodeReadings } from '../../ingest/decode.js';
import type { MeterTags } from '../../src/registry/index.js';

const tags: Record<string, MeterTags> = {
  m1: { meter: 'm1', gateway: 'gw1', enterprise: 'e1', county: 'nanhu', chain: 'fasteners', ctMultiplier: 20, seriesKey: 'reading,m1' },
  m2: { meter: 'm2', gateway: 'gw2', enterprise: 'e2', county: 'haiyan', chain: 'fasteners', ctMultiplier: 1, seriesKey: 'reading,m2' },
};
const limits = { maxBatchReadings: 3, maxClockSkewMs: 600_000, maxAgeMs: 86_400_000 };
const now = Date.parse('2026-11-28T00:00:00Z');
const decode = (p: unknown) => decodeReadings(Buffer.from(typeof p === 'string' ? p : JSON.stringify(p)), 'gw1', (m) => tags[m], limits, now);

describe('decodeReadings', () => {
  it('accepts one reading, with an ISO timestamp normalised to epoch ms, and enriches it from the registry', () => {
    const d = decode({ meter: 'm1', ts: '2026-11-27T08:00:00+08:00', energyKwh: 5 });
    expect(d.rejects).toEqual([]);
    expect(d.accepted[0]).toMatchObject({ meter: 'm1', ts: Date.parse('2026-11-27T00:00:00Z'), gateway: 'gw1', enterprise: 'e1', ctMultiplier: 20 });
    expect(d.seriesKeys).toEqual(['reading,m1']);
  });
  it.each([
    ['not json', '{x', 'invalid_json'],
    ['a string', '"hello"', 'invalid_payload'],
    ['a batch too large', { readings: [1, 2, 3, 4] }, 'batch_too_large'],
  ])('rejects %s as a whole', (_n, payload, code) => {
    const d = decode(payload);
    expect(d.accepted).toEqual([]);
    expect(d.rejects.map((r) => [r.code, r.index])).toEqual([[code, undefined]]);
  });
  it.each([
    [{ meter: 'm1', ts: now, energyKwh: -1 }, 'invalid_reading', /energyKwh/],
    [{ meter: 'm1', ts: now, energyKwh: 1_000_000 }, 'invalid_reading', /energyKwh/],
    [{ meter: 'm1', ts: '2026-11-27 08:00', energyKwh: 1 }, 'invalid_reading', /ISO 8601/],
    [{ meter: 'm1', ts: now, energyKwh: 1, extra: 1 }, 'invalid_reading', /extra/],
    [{ meter: 'm1', ts: now, energyKwh: 1, powerFactor: 1.5 }, 'invalid_reading', /powerFactor/],
    [{ meter: 'm1', ts: now, energyKwh: 1, voltageV: [230, 231] }, 'invalid_reading', /voltageV/],
    [{ meter: 'm1', ts: now + 3_600_000, energyKwh: 1 }, 'timestamp_out_of_range', /future/],
    [{ meter: 'm1', ts: now - 2 * 86_400_000, energyKwh: 1 }, 'timestamp_out_of_range', /older/],
    [{ meter: 'm9', ts: now, energyKwh: 1 }, 'unknown_meter', /not in the registry/],
    [{ meter: 'm2', ts: now, energyKwh: 1 }, 'meter_not_on_gateway', /gw2/],
  ])('rejects %j with %s', (reading, code, message) => {
    const d = decode({ readings: [{ meter: 'm1', ts: now, energyKwh: 1 }, reading] });
    expect(d.accepted).toHaveLength(1);
    expect(d.rejects).toHaveLength(1);
    expect(d.rejects[0]!.code).toBe(code);
    expect(d.rejects[0]!.index).toBe(1);
    expect(d.rejects[0]!.message).toMatch(message);
  });
  it('keeps unknown meters apart with their raw reading', () => {
    const d = decode([{ meter: 'm9', ts: now, energyKwh: 1 }]);
    expect(d.unknown).toEqual([{ index: 0, reading: { meter: 'm9', ts: now, energyKwh: 1 } }]);
  });
});
