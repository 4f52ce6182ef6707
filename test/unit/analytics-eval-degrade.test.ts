import { describe, expect, it } from 'vitest';
import { Delivery, planOutages, seeded } from '../../analytics/eval/steel-degrade.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';

/** The steel eval's degraded deliveries (analytics/eval/steel-degrade.ts) do what their rows say. */

const I = 900_000;
const H = 3_600_000;
const START = Date.parse('2018-01-01T00:00:00+09:00');
const tags = { gateway: 'g', enterprise: 'e', county: 'c', chain: 'x', ctMultiplier: 1 };

/** Feeds n quarter-hour readings through a delivery; returns what the analyzer would have seen, in order. */
function feed(d: ConstructorParameters<typeof Delivery>[0], n: number, stops: Array<[number, number]> = []) {
  const seen: Array<{ kind: 'ingest'; ts: number[] } | { kind: 'tick'; ts: number }> = [];
  const delivery = new Delivery(d, { ingest: (rs) => { if (rs.length) seen.push({ kind: 'ingest', ts: rs.map((r) => r.ts) }); }, tick: (ts) => seen.push({ kind: 'tick', ts }) }, START, stops);
  for (let i = 1; i <= n; i++) {
    const ts = START + i * I;
    const r: EnrichedReading = { meter: 'm', ts, energyKwh: i, ...tags };
    delivery.deliver(r, ts);
  }
  const ingested = seen.flatMap((s) => (s.kind === 'ingest' ? s.ts : []));
  return { delivery, seen, ingested };
}

describe('steel eval degradations', () => {
  it('drops readings alone (never two in a row), near the share asked, the same ones every run', () => {
    const n = 20_000;
    const a = feed({ dropShare: 0.1, seed: 3 }, n), b = feed({ dropShare: 0.1, seed: 3 }, n);
    expect(a.ingested).toEqual(b.ingested);
    expect(a.delivery.counts.dropped / n).toBeGreaterThan(0.09);
    expect(a.delivery.counts.dropped / n).toBeLessThan(0.11);
    const got = new Set(a.ingested);
    for (let i = 2; i <= n; i++) expect(got.has(START + i * I) || got.has(START + (i - 1) * I)).toBe(true);
  });

  it('plans outages of 3–8 whole hours, a day clear of every stop and of each other', () => {
    const stops: Array<[number, number]> = [[START + 50 * 86_400_000, START + 50 * 86_400_000 + 30 * H]];
    const os = planOutages(6, seeded(7), START, stops);
    expect(os).toHaveLength(6);
    const all = [...os, ...stops].sort((x, y) => x[0] - y[0]);
    for (const [s, e] of os) { expect((e - s) % H).toBe(0); expect(e - s).toBeGreaterThanOrEqual(3 * H); expect(e - s).toBeLessThanOrEqual(8 * H); }
    for (let i = 1; i < all.length; i++) expect(all[i]![0] - all[i - 1]![1]).toBeGreaterThanOrEqual(24 * H);
  });

  it('delivers a held hour as one batch right after the next hour, with no tick while it is held', () => {
    const { seen, delivery } = feed({ lateHourShare: 0.2, seed: 5 }, 96 * 3);
    expect(delivery.counts.late).toBeGreaterThan(0);
    const batches = seen.filter((s) => s.kind === 'ingest' && s.ts.length > 1) as Array<{ kind: 'ingest'; ts: number[] }>;
    expect(batches.length * 4).toBe(delivery.counts.late);
    for (const bt of batches) {
      const hour = bt.ts[0]! - I;
      expect(bt.ts).toEqual([1, 2, 3, 4].map((q) => hour + q * I));
      const at = seen.indexOf(bt);
      // Delivered after the next hour's last reading; no tick inside the held hour.
      expect(seen[at - 1]).toEqual({ kind: 'tick', ts: hour + 2 * H });
      expect(seen.some((s) => s.kind === 'tick' && s.ts > hour && s.ts <= hour + H)).toBe(false);
    }
  });

  it('noise multiplies each interval by 1 ± the amplitude, and leaves it alone when none is asked', () => {
    const noisy = new Delivery({ noise: 0.2, seed: 1 }, { ingest: () => {}, tick: () => {} }, START, []);
    const xs = Array.from({ length: 1000 }, () => noisy.noisy(100));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(80);
    expect(Math.max(...xs)).toBeLessThanOrEqual(120);
    expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(35);
    expect(new Delivery({}, { ingest: () => {}, tick: () => {} }, START, []).noisy(100)).toBe(100);
  });
});
