import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeReadings } from '../../ingest/decode.js';
import { DeadLetterStore } from '../../ingest/dead-letter.js';
import { REJECT_CODES } from '../../src/schemas/reading.js';
import type { MeterTags } from '../../src/registry/index.js';
import { MessageBuilder, messageArb, type FuzzGateway } from '../support/fuzz.js';
import { tempDir } from '../support/pipeline.js';

const gateways: FuzzGateway[] = [
  { id: 'gw1', password: '', meters: ['m1a', 'm1b', 'm1c'] },
  { id: 'gw2', password: '', meters: ['m2a'] },
];
const tags = new Map<string, MeterTags>(gateways.flatMap((g) => g.meters.map((m) => [m, { meter: m, gateway: g.id, enterprise: 'e', county: 'c', chain: 'x', ctMultiplier: 1, seriesKey: `reading,meter=${m}` }] as const)));
const limits = { maxBatchReadings: 100, maxClockSkewMs: 600_000, maxAgeMs: 1830 * 86_400_000 };
const numRuns = Number(process.env.GRIDPULSE_FUZZ_RUNS ?? 300);

describe('decoder fuzz (fast-check)', () => {
  it('answers every hostile payload without throwing: whole refusals alone, each bad reading by its index and code, each good one accepted once', () => {
    const builder = new MessageBuilder(gateways, { maxPayloadBytes: 1 << 20, maxBatchReadings: limits.maxBatchReadings });
    fc.assert(fc.property(messageArb.filter((t) => t.kind !== 'oversized'), (t) => {
      const m = builder.build(t, gateways[0]!);
      const d = decodeReadings(m.payload, 'gw1', (id) => tags.get(id), limits, Date.now());
      for (const r of d.rejects) {
        expect(REJECT_CODES).toContain(r.code);
        expect(r.message.length).toBeGreaterThan(0);
      }
      if (m.whole) {
        expect(d.accepted).toEqual([]);
        expect(d.rejects).toHaveLength(1);
        expect(m.whole).toContain(d.rejects[0]!.code);
        return;
      }
      expect(d.accepted.map((r) => `${r.meter}@${r.ts}=${r.energyKwh}`)).toEqual(m.good.map((g) => `${g.meter}@${g.ts}=${g.energyKwh}`));
      expect(new Map(d.rejects.map((r) => [r.index ?? -1, r.code]))).toEqual(m.bad);
      expect(d.rejects).toHaveLength(m.bad.size);
    }), { numRuns });
  });

  it('never throws on arbitrary JSON values or bytes, and accounts for every batch item once', () => {
    const payloadArb = fc.oneof(
      fc.jsonValue({ maxDepth: 30 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
      fc.array(fc.jsonValue({ maxDepth: 6 }), { maxLength: 20 }).map((items) => Buffer.from(JSON.stringify({ readings: items }))),
      fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
      fc.string({ maxLength: 2000 }).map((s) => Buffer.from(s)),
    );
    fc.assert(fc.property(payloadArb, (payload) => {
      const d = decodeReadings(payload, 'gw1', (id) => tags.get(id), limits, Date.now());
      const whole = d.rejects.filter((r) => r.index === undefined);
      if (whole.length > 0 && d.accepted.length === 0 && d.unknown.length === 0 && d.rejects.length === 1) return;
      let doc: unknown;
      try {
        doc = JSON.parse(payload.toString('utf8'));
      } catch {
        throw new Error('an unparsable payload must be refused whole');
      }
      const items = Array.isArray(doc) ? doc : (doc as { readings?: unknown[] }).readings;
      if (!Array.isArray(items)) {
        expect(d.accepted.length + d.rejects.length).toBe(1);
        return;
      }
      expect(d.accepted.length + d.rejects.length).toBe(items.length);
      expect(new Set(d.rejects.map((r) => r.index)).size).toBe(d.rejects.length);
    }), { numRuns });
  });

  it('the dead-letter store takes any value a payload can hold', async () => {
    const store = new DeadLetterStore(tempDir(), 'rejects', 1 << 20, 2);
    fc.assert(fc.property(fc.anything({ maxDepth: 8, withBigInt: true, withMap: true, withNullPrototype: true }), (raw) => {
      expect(() => store.add({ code: 'invalid_reading', raw })).not.toThrow();
    }), { numRuns: 200 });
    await store.close();
  });
});
