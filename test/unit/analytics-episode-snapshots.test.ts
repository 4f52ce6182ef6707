import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DropDetector, KIND_CUT, KIND_HALT, type DropGates } from '../../analytics/drops.js';
import { createAnalyzer, type Alert, type AlertUpdate } from '../../analytics/index.js';
import { synthBatches, type SynthMeter } from '../../analytics/eval/synth.js';
import { resolveOptions } from '../../analytics/options.js';
import { EnterpriseSeries } from '../../analytics/series.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';

/**
 * Episode snapshots (start, sums, kind, recovery run) are kept in a pool of rings, one per enterprise with
 * an episode in the window (analytics/drops.ts): replay and checkpoints must see them exactly as the dense
 * per-enterprise rings did.
 */

const NONE = -1;

describe('episode snapshot pool (drop detector)', () => {
  const o = resolveOptions({});
  const W = o.windowIntervals;
  // snapshot/restore read none of the gates.
  const gates: DropGates = {
    learning: () => false, declining: () => false, slideExplains: () => false, workEndsSoon: () => false, weekendSoFar: () => [0, 0],
  };
  function detector(n: number): DropDetector {
    const d = new DropDetector(o, new EnterpriseSeries(W, 4), gates);
    d.grow(n);
    for (let e = 0; e < n; e++) d.reset(e);
    return d;
  }
  function open(d: DropDetector, e: number, start: number, a: number, kind: number, rec: number): void {
    d.dEp[e] = start; d.dEpA[e] = a; d.dEpE[e] = 2 * a; d.dKind[e] = kind; d.dRec[e] = rec;
  }
  const state = (d: DropDetector, e: number) => [d.dEp[e], d.dEpA[e], d.dEpE[e], d.dKind[e], d.dRec[e]];

  it('holds a ring only while an episode is in the window, restores every interval of it, then gives the ring back', () => {
    const d = detector(1000);
    for (let b = 100; b < 100 + W; b++) for (let e = 0; e < 1000; e++) d.snapshot(e, b);
    expect(d.pLast.length).toBe(0); // no episode anywhere: no pool at all
    const e = 7, start = 100 + W;
    for (let b = start; b < start + 5; b++) {
      open(d, e, start, b - start + 0.5, KIND_CUT, b - start);
      d.snapshot(e, b);
      if (b === start) { d.restore(e, start - 1); expect(d.dEp[e]).toBe(NONE); } // a fresh ring: no episode before
    }
    d.dEp[e] = NONE; // recovered
    const end = start + 5;
    // The window now holds the intervals start … start + W − 1: the whole episode and after.
    for (let b = end; b < start + W; b++) d.snapshot(e, b);
    expect(d.epRing[e]).toBeGreaterThanOrEqual(0);
    for (let b = start; b < start + 5; b++) {
      d.restore(e, b);
      expect(state(d, e)).toEqual([start, b - start + 0.5, 2 * (b - start + 0.5), KIND_CUT, b - start]);
    }
    d.restore(e, end);
    expect(state(d, e)).toEqual([NONE, 0, 0, 0, 0]);
    d.restore(e, start + W - 1); // the current state again (restore sets it)
    expect(d.dEp[e]).toBe(NONE);
    // W intervals after its last episode snapshot the ring goes back to the pool.
    for (let b = start + W; b < start + 4 + W; b++) d.snapshot(e, b);
    expect(d.epRing[e]).toBeGreaterThanOrEqual(0);
    d.restore(e, start + 4); // still in the window
    expect(d.dEp[e]).toBe(start);
    d.restore(e, start + 3 + W); // restore sets the current state: back to the last interval's
    expect(d.dEp[e]).toBe(NONE);
    d.snapshot(e, start + 4 + W);
    expect(d.epRing[e]).toBe(NONE);
    expect(d.pLast.length).toBe(16);
  });

  it('many enterprises in an episode at once each keep their own ring; a replayed interval rewrites its own', () => {
    const d = detector(100);
    const b = 500;
    for (let e = 0; e < 40; e++) { open(d, e, b - e, e + 0.25, e % 2 ? KIND_HALT : KIND_CUT, e % 3); d.snapshot(e, b); }
    expect(d.pLast.length).toBe(64); // doubled from 16
    expect(new Set(Array.from(d.epRing.subarray(0, 40))).size).toBe(40);
    expect(Array.from(d.epRing.subarray(40))).toEqual(new Array(60).fill(NONE));
    for (let e = 39; e >= 0; e--) {
      d.restore(e, b);
      expect(state(d, e)).toEqual([b - e, e + 0.25, 2 * (e + 0.25), e % 2 ? KIND_HALT : KIND_CUT, e % 3]);
    }
    // A replay of interval b finds no episode there after all.
    d.dEp[3] = NONE;
    d.snapshot(3, b);
    d.restore(3, b);
    expect(d.dEp[3]).toBe(NONE);
    d.restore(4, b);
    expect(d.dEp[4]).toBe(b - 4);
    // A reused enterprise slot starts without a ring; the ring is free for the next episode.
    const ring = d.epRing[5]!;
    d.reset(5);
    expect(d.epRing[5]).toBe(NONE);
    open(d, 60, b, 1, KIND_HALT, 0);
    d.snapshot(60, b);
    expect(d.epRing[60]).toBe(ring);
  });
});

describe('episode snapshots through the engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-episodes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const START = Date.parse('2025-03-02T16:00:00Z');
  const I = 900_000;
  const H = 3_600_000;
  const T0 = Date.parse('2025-03-19T02:00:00Z');
  const ms: SynthMeter[] = Array.from({ length: 10 }, (_, i) => ({
    meter: `M${i}`, enterprise: `E${i}`, gateway: `G${i}`, county: 'nanhu', chain: 'fasteners', peak: 40 + ((i * 37) % 60), shifts: (1 + (i % 2)) as 1 | 2,
  }));
  const shape = (m: SynthMeter, t: number) => (m.enterprise === 'E7' && t >= T0 && t < T0 + 6 * H ? 0.02 : 1);

  it('a checkpoint taken in the middle of a halt, then late data replayed from inside the episode: the restored analyzer says what the one that never stopped says', async () => {
    // More than a window (W = 12 intervals) into the halt: a replay cannot rebuild the episode from the window.
    const cut = T0 + 4 * H;
    // E7's gateway holds back 3 intervals of the episode; they arrive together, so the enterprise is
    // re-evaluated from a snapshot inside the episode.
    const held: EnrichedReading[] = [];
    const deliver = (ts: number, rs: EnrichedReading[]): EnrichedReading[] => {
      if (ts > cut && ts <= cut + 3 * I) { held.push(...rs.filter((r) => r.gateway === 'G7')); return rs.filter((r) => r.gateway !== 'G7'); }
      if (ts === cut + 4 * I) return [...held.splice(0), ...rs];
      return rs;
    };
    const batches = [...synthBatches({ meters: ms, start: START, intervals: 21 * 96, shape, seed: 3 })];
    const a1 = createAnalyzer({ graceMs: 0, springFestivalAfterDays: 21 }, { registry: () => undefined });
    for (const b of batches) {
      if (b.ts > cut) break;
      a1.ingest(b.readings);
      a1.tick(b.ts);
    }
    expect(a1.alerts().filter((a) => a.status === 'open').map((a) => [a.kind, a.entity])).toEqual([['production_halt', 'E7']]);
    const path = join(dir, 'mid-episode.json');
    await a1.checkpoint(path);
    const a2 = createAnalyzer({ graceMs: 0, springFestivalAfterDays: 21 }, { registry: () => undefined });
    await a2.restore(path);
    const rest = (an: typeof a1) => {
      const updates: AlertUpdate[] = [];
      an.on('alertUpdate', (u) => updates.push(u));
      for (const b of batches) {
        if (b.ts <= cut) continue;
        an.ingest(deliver(b.ts, b.readings.map((r) => ({ ...r }))));
        an.tick(b.ts);
      }
      return updates;
    };
    const u1 = rest(a1);
    held.length = 0;
    const u2 = rest(a2);
    expect(a1.counters().reEvaluations).toBeGreaterThan(0);
    expect(a2.counters().reEvaluations).toBe(a1.counters().reEvaluations);
    const view = (a: Alert) => [a.kind, a.entity, a.since, a.status, a.updatedAt, a.actualKwh, a.baselineKwh];
    const resolved = u1.filter((u) => u.change === 'resolved' && u.alert.scope === 'enterprise').map((u) => view(u.alert));
    expect(resolved).toEqual([['production_halt', 'E7', T0, 'resolved', expect.any(Number), expect.any(Number), expect.any(Number)]]);
    expect(u2.map((u) => [u.change, ...view(u.alert)])).toEqual(u1.map((u) => [u.change, ...view(u.alert)]));
    expect(a2.alerts().map(view)).toEqual(a1.alerts().map(view));
    // The replay from inside the episode continued it: the halt's sums are those of data that came on time.
    const a0 = createAnalyzer({ graceMs: 0, springFestivalAfterDays: 21 }, { registry: () => undefined });
    for (const b of batches) { a0.ingest(b.readings); a0.tick(b.ts); }
    const e7 = (an: typeof a1) => an.alerts().filter((a) => a.entity === 'E7').map((a) => [a.kind, a.since, a.status, a.actualKwh, a.baselineKwh]);
    expect(e7(a0)).toEqual([['production_halt', T0, 'resolved', expect.any(Number), expect.any(Number)]]);
    expect(e7(a1)).toEqual(e7(a0));
  });
});
