import { describe, expect, it } from 'vitest';
import { createAnalyzer, type Analyzer } from '../../analytics/index.js';
import { synthBatches, type SynthMeter } from '../../analytics/eval/synth.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';

/**
 * Late data replays the detector from a snapshot (docs/analytics.md, "Late data"). The snapshot holds the
 * CUSUM and episode, not what the detector learns (noise, each hour's noise, the ordinary-dip quantile,
 * the peak): a replayed interval that was judged live must not be learned a second time, or a late batch
 * moves the gates by itself (on the steel plant: a stop's low intervals learned twice made its hour
 * "irregular" and withdrew the open halt).
 */

const START = Date.parse('2025-03-03T00:00:00+08:00'); // a Monday
const I = 900_000;
const meters: SynthMeter[] = [
  { meter: 'm1', enterprise: 'E1', gateway: 'g1', county: 'c1', chain: 'ch1', peak: 40 },
  { meter: 'm2', enterprise: 'E1', gateway: 'g2', county: 'c1', chain: 'ch1', peak: 30 },
];

function analyzer(): Analyzer {
  return createAnalyzer({ graceMs: 0, springFestivalAfterDays: 21 }, { registry: () => undefined });
}

const learned = (a: Analyzer) => {
  const v = a.inspect('E1') as { noise: number; lowQuantile: number; peakKwh: number } | undefined;
  return v ? [v.noise, v.lowQuantile, v.peakKwh] : [];
};

describe('late-data replay learns each interval once', () => {
  const batches = [...synthBatches({ meters, start: START, intervals: 17 * 96, seed: 5, noise: 0.08 })];
  // Working hours of day 17 (Wednesday), after the learning weeks.
  const from = START + 16 * 96 * I + 9 * 4 * I;

  it('a replay over intervals already judged live leaves the learned state as in-order delivery does', () => {
    const plain = analyzer(), replayed = analyzer();
    const held: EnrichedReading[] = [];
    for (const b of batches) {
      plain.ingest(b.readings);
      plain.tick(b.ts);
      if (b.ts > from && b.ts <= from + 4 * I) {
        // m1's readings arrive first as estimates, then the meter confirms the same values an hour later.
        replayed.ingest(b.readings.map((r) => (r.meter === 'm1' ? { ...r, quality: ['estimated'] } : r)));
        held.push(...b.readings.filter((r) => r.meter === 'm1'));
      } else replayed.ingest(b.readings);
      replayed.tick(b.ts);
      if (b.ts === from + 8 * I) {
        replayed.ingest(held);
        replayed.tick(b.ts);
      }
    }
    expect(replayed.counters().reEvaluations).toBeGreaterThan(0);
    expect(learned(plain)[0]).toBeGreaterThan(0);
    expect(learned(replayed)).toEqual(learned(plain));
  });

  it('an interval first seen in the replay (the whole plant\'s gap filled late) is still learned from', () => {
    const gapOnly = analyzer(), filled = analyzer();
    const late: EnrichedReading[] = [];
    for (const b of batches) {
      const inGap = b.ts > from && b.ts <= from + 4 * I;
      const rs = inGap ? [] : b.readings;
      if (inGap) late.push(...b.readings);
      gapOnly.ingest(rs);
      gapOnly.tick(b.ts);
      filled.ingest(rs);
      filled.tick(b.ts);
      if (b.ts === from + 8 * I) {
        filled.ingest(late);
        filled.tick(b.ts);
      }
    }
    expect(filled.counters().lateFilled).toBe(8);
    expect(learned(filled)).not.toEqual(learned(gapOnly));
  });
});
