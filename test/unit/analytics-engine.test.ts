import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAnalyzer, type Alert, type AlertUpdate, type ExpectedPoint, type RegistryLike } from '../../analytics/index.js';
import { synthBatches, type SynthMeter } from '../../analytics/eval/synth.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';

/**
 * (The scenarios start on 3 March 2025, 33 days after 初一: the Spring Festival window is set to 21 days after.)
 * Each alert kind from a small constructed scenario (analytics/eval/synth.ts: 1-/2-shift plants with a
 * lunch dip, 5 % noise). Runs start on Monday 2025-03-03 00:00 China time; the analyzer learns for two
 * weeks; incidents are placed in the third week (Wednesday 2025-03-19, 10:00 CST = 02:00Z).
 */
const START = Date.parse('2025-03-02T16:00:00Z');
const I = 900_000;
const H = 3_600_000;
const T0 = Date.parse('2025-03-19T02:00:00Z');

function meters(n: number, o: { county?: (i: number) => string; chain?: (i: number) => string; metersPer?: number } = {}): SynthMeter[] {
  const out: SynthMeter[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < (o.metersPer ?? 1); j++) {
      out.push({
        meter: `M${i}_${j}`, enterprise: `E${i}`, gateway: `G${i}`, county: o.county?.(i) ?? 'nanhu', chain: o.chain?.(i) ?? ['photovoltaics', 'fasteners', 'furniture', 'textiles_chemical_fibre'][i % 4]!,
        peak: 40 + ((i * 37) % 60), shifts: (1 + (i % 2)) as 1 | 2,
      });
    }
  }
  return out;
}

/** The synthetic meters send registers; a reading without one would make the scenario meaningless. */
function registerOf(r: EnrichedReading): number {
  if (r.energyKwh === undefined) throw new Error(`synthetic reading of ${r.meter} has no register`);
  return r.energyKwh;
}

interface RunOpts {
  ms: SynthMeter[];
  days: number;
  shape?: (m: SynthMeter, ms: number) => number;
  registry?: RegistryLike;
  /** Rewrites what is delivered at each step (drop, delay, replace readings). */
  deliver?: (ts: number, rs: EnrichedReading[]) => EnrichedReading[];
  /** Readings the pipeline rejected at this step, as contacts (before deliver drops them). */
  rejected?: (ts: number, rs: EnrichedReading[]) => EnrichedReading[];
  analyzer?: ReturnType<typeof createAnalyzer>;
  from?: number;
}

function run(o: RunOpts) {
  const an = o.analyzer ?? createAnalyzer({ graceMs: 0, springFestivalAfterDays: 21 }, { registry: () => o.registry });
  const alerts: Alert[] = [];
  const updates: AlertUpdate[] = [];
  an.on('alert', (a) => alerts.push(a));
  an.on('alertUpdate', (u) => updates.push(u));
  for (const b of synthBatches({ meters: o.ms, start: START, intervals: o.days * 96, shape: o.shape, seed: 3 })) {
    if (o.from !== undefined && b.ts < o.from) continue;
    if (o.rejected) an.heard(o.rejected(b.ts, b.readings).map((r) => ({ meter: r.meter, ts: r.ts })));
    an.ingest(o.deliver ? o.deliver(b.ts, b.readings) : b.readings);
    an.tick(b.ts);
  }
  return { an, alerts, updates };
}

const drops = (alerts: Alert[]) => alerts.filter((a) => !['meter_offline', 'gateway_offline'].includes(a.kind));

describe('production halt and cut (enterprise below its calendar-aware baseline)', () => {
  it('a stop to ~0 opens a production_halt within 2 intervals, with evidence, and resolves on recovery', () => {
    const { alerts, updates } = run({ ms: meters(12), days: 22, shape: (m, t) => (m.enterprise === 'E3' && t >= T0 && t < T0 + 6 * H ? 0.02 : 1) });
    expect(drops(alerts).map((a) => [a.kind, a.entity])).toEqual([['production_halt', 'E3']]);
    const a = alerts[0]!;
    expect(a.since).toBe(T0);
    expect((a.openedAt - T0) / I).toBeLessThanOrEqual(2);
    expect(a.dropPct).toBeGreaterThan(80);
    expect(a.baselineKwh).toBeGreaterThan(a.actualKwh);
    expect(updates.some((u) => u.change === 'resolved' && u.alert.id === a.id)).toBe(true);
  });

  it('a partial drop (−50 %) opens a production_cut', () => {
    const { alerts } = run({ ms: meters(12), days: 22, shape: (m, t) => (m.enterprise === 'E5' && t >= T0 && t < T0 + 8 * H ? 0.5 : 1) });
    expect(drops(alerts).map((a) => [a.kind, a.entity])).toEqual([['production_cut', 'E5']]);
    expect(alerts[0]!.dropPct).toBeGreaterThan(35);
    expect(alerts[0]!.dropPct).toBeLessThan(65);
  });

  it('a statutory holiday (Qingming, 4 April 2025) with the plants closed raises nothing', () => {
    const hol = [Date.parse('2025-04-03T16:00:00Z'), Date.parse('2025-04-04T16:00:00Z')];
    const { alerts } = run({ ms: meters(12), days: 40, shape: (_m, t) => (t >= hol[0]! && t < hol[1]! ? 0.1 : 1) });
    expect(drops(alerts)).toEqual([]);
  });

  it('a planned shutdown window from the registry raises nothing', () => {
    const registry: RegistryLike = { enterprises: [{ id: 'E2', county: 'nanhu', plannedShutdowns: [{ start: new Date(T0 - H).toISOString(), end: new Date(T0 + 10 * H).toISOString() }] }] };
    const { alerts } = run({ ms: meters(12), days: 22, registry, shape: (m, t) => (m.enterprise === 'E2' && t >= T0 && t < T0 + 8 * H ? 0.02 : 1) });
    expect(drops(alerts)).toEqual([]);
  });
});

describe('power as a cross-check of the register', () => {
  const freeze = (powerKw: number) => {
    let frozen: number | undefined;
    return (ts: number, rs: EnrichedReading[]) => rs.map((r) => {
      if (r.meter !== 'M3_0' || ts < T0 || ts > T0 + 6 * H) return r;
      frozen ??= r.energyKwh;
      return { ...r, energyKwh: frozen, powerKw };
    });
  };
  it('a register stuck while the meter reports load is a meter fault, not a halt', () => {
    const { alerts, an } = run({ ms: meters(12), days: 22, deliver: freeze(55) });
    expect(drops(alerts)).toEqual([]);
    expect(an.counters().stuckRegister).toBe(24);
  });
  it('the same still register with no power is a halt', () => {
    const { alerts, an } = run({ ms: meters(12), days: 22, deliver: freeze(0) });
    expect(drops(alerts).map((a) => [a.kind, a.entity])).toEqual([['production_halt', 'E3']]);
    expect(an.counters().stuckRegister).toBe(0);
  });
});

describe('no data is not a drop', () => {
  it('one silent meter of a gateway that still reports: meter_offline, no halt', () => {
    const { alerts } = run({
      ms: meters(6, { metersPer: 2 }), days: 22,
      deliver: (ts, rs) => rs.filter((r) => !(r.meter === 'M1_0' && ts > T0 && ts <= T0 + 5 * H)),
    });
    expect(alerts.map((a) => [a.kind, a.entity])).toEqual([['meter_offline', 'M1_0']]);
    expect(alerts[0]!.since).toBe(T0);
  });

  it('a whole gateway silent: one gateway_offline, no meter or drop alerts', () => {
    const { alerts } = run({
      ms: meters(6, { metersPer: 2 }), days: 22,
      deliver: (ts, rs) => rs.filter((r) => !(r.gateway === 'G4' && ts > T0 && ts <= T0 + 5 * H)),
    });
    expect(alerts.map((a) => [a.kind, a.entity])).toEqual([['gateway_offline', 'G4']]);
    // A whole concentrator silent is clear after two intervals (gatewayOfflineAfterIntervals).
    expect(alerts[0]!.openedAt).toBe(T0 + 2 * I);
  });

  describe('a meter still sending, but only readings the pipeline rejects', () => {
    const badFor = (who: (r: EnrichedReading) => boolean, ms: number) => {
      const bad = (ts: number, r: EnrichedReading) => who(r) && ts > T0 && ts <= T0 + ms;
      return {
        deliver: (ts: number, rs: EnrichedReading[]) => rs.filter((r) => !bad(ts, r)),
        rejected: (ts: number, rs: EnrichedReading[]) => rs.filter((r) => bad(ts, r)),
      };
    };
    it('for 1.5 h is alive: no meter_offline (the same silence without the rejects raises one)', () => {
      const { alerts } = run({ ms: meters(6, { metersPer: 2 }), days: 22, ...badFor((r) => r.meter === 'M1_0', 6 * I) });
      expect(alerts).toEqual([]);
      const silent = run({ ms: meters(6, { metersPer: 2 }), days: 22, deliver: badFor((r) => r.meter === 'M1_0', 6 * I).deliver });
      expect(silent.alerts.map((a) => [a.kind, a.entity])).toEqual([['meter_offline', 'M1_0']]);
    });
    it('for 5 h: meter_offline after twice the silence limit, saying it still sends', () => {
      const { alerts } = run({ ms: meters(6, { metersPer: 2 }), days: 22, ...badFor((r) => r.meter === 'M1_0', 5 * H) });
      expect(alerts.map((a) => [a.kind, a.entity])).toEqual([['meter_offline', 'M1_0']]);
      expect(alerts[0]!.since).toBe(T0);
      expect(alerts[0]!.openedAt).toBe(T0 + 8 * I);
      expect(alerts[0]!.evidence.rejectedOnly).toBe(true);
      expect(alerts[0]!.evidence.lastHeardTs).toBe(T0 + 8 * I);
    });
    it('a whole gateway sending only rejected readings is not gateway_offline', () => {
      const { alerts } = run({ ms: meters(6, { metersPer: 2 }), days: 22, ...badFor((r) => r.gateway === 'G4', 5 * I) });
      expect(alerts).toEqual([]);
    });
  });

  it('a meter whose messages lag 45 minutes raises nothing; its gateway silent 30 minutes does', () => {
    const { alerts } = run({
      ms: meters(6, { metersPer: 2 }), days: 22,
      deliver: (ts, rs) => rs.filter((r) => !(r.meter === 'M1_0' && ts > T0 && ts <= T0 + 3 * I) && !(r.gateway === 'G3' && ts > T0 + 10 * H && ts <= T0 + 10 * H + 2 * I)),
    });
    expect(alerts.map((a) => [a.kind, a.entity])).toEqual([['gateway_offline', 'G3']]);
  });
});

describe('grid outage', () => {
  it('many enterprises of one county to ~0 in the same minutes: one grid_outage, their halts suppressed', () => {
    const county = (i: number) => (i < 14 ? 'jiashan' : 'nanhu');
    const { alerts } = run({
      ms: meters(20, { county }), days: 22,
      shape: (m, t) => (Number(m.enterprise.slice(1)) < 10 && t >= T0 && t < T0 + 2 * H ? 0 : 1),
    });
    const open = alerts.filter((a) => a.status !== 'withdrawn');
    expect(open.map((a) => [a.kind, a.entity])).toEqual([['grid_outage', 'jiashan']]);
    expect(open[0]!.contributors.length).toBe(10);
    expect((open[0]!.openedAt - T0) / I).toBeLessThanOrEqual(1);
  });
});

describe('chain disruption', () => {
  it('a chain leader halts and two suppliers follow with a lag: chain_disruption naming them with shares', () => {
    const ms = meters(16, { chain: (i) => (i < 6 ? 'nev_parts' : 'furniture') });
    const registry: RegistryLike = {
      enterprises: [
        { id: 'E0', county: 'nanhu', chains: ['nev_parts'], leader: true, suppliers: ['E1', 'E2'] },
        { id: 'E1', county: 'nanhu', chains: ['nev_parts'] },
        { id: 'E2', county: 'nanhu', chains: ['nev_parts'] },
      ],
    };
    const shape = (m: SynthMeter, t: number) => {
      if (m.enterprise === 'E0' && t >= T0) return 0.03;
      if (m.enterprise === 'E1' && t >= T0 + 5 * H) return 0.45;
      if (m.enterprise === 'E2' && t >= T0 + 6 * H) return 0.5;
      return 1;
    };
    const { alerts, updates } = run({ ms, days: 21, registry, shape });
    const chain = alerts.filter((a) => a.kind === 'chain_disruption');
    expect(chain.map((a) => a.entity)).toEqual(['nev_parts']);
    const final = chain[0]!;
    expect(final.contributors.map((c) => c.enterprise).sort()).toEqual(['E0', 'E1', 'E2']);
    const shares = final.contributors.map((c) => c.share);
    expect(shares).toEqual([...shares].sort((x, y) => y - x)); // the enterprise that lost most energy first
    expect(final.contributors.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 2);
    expect(final.evidence.leader).toBe('E0');
    expect(updates.some((u) => u.change === 'updated' && u.alert.kind === 'chain_disruption')).toBe(true);
    // The members' own alerts are filed under the disruption: one story, not three.
    const own = alerts.filter((a) => a.scope === 'enterprise' && ['E0', 'E1', 'E2'].includes(a.entity));
    expect(own.length).toBeGreaterThan(0);
    for (const a of own) expect(a.parentId).toBe(final.id);
  });

  it('drops of unrelated firms of one chain, days apart, are not a disruption', () => {
    const ms = meters(16, { chain: (i) => (i < 8 ? 'nev_parts' : 'furniture') });
    const registry: RegistryLike = { enterprises: [{ id: 'E0', county: 'nanhu', chains: ['nev_parts'], leader: true, suppliers: ['E1'] }] };
    // E3, E5 and E7 share a chain but no supply edge with each other or with E0.
    const stop = (e: string, from: number) => (m: SynthMeter, t: number) => m.enterprise === e && t >= T0 + from * H && t < T0 + (from + 6) * H;
    const stops = [stop('E3', 0), stop('E5', 24), stop('E7', 48)];
    const shape = (m: SynthMeter, t: number) => (stops.some((s) => s(m, t)) ? 0.03 : 1);
    const { alerts } = run({ ms, days: 21, registry, shape });
    expect(alerts.filter((a) => a.kind === 'production_halt').map((a) => a.entity).sort()).toEqual(['E3', 'E5', 'E7']);
    expect(alerts.filter((a) => a.kind === 'chain_disruption')).toEqual([]);
  });
});

describe('slow decline is kept apart from sudden drops', () => {
  it('a plant losing ~1.5 %/day over weeks raises slow_decline', () => {
    const d0 = Date.parse('2025-03-17T00:00:00Z');
    const { alerts } = run({
      ms: meters(8), days: 42,
      shape: (m, t) => (m.enterprise === 'E6' && t > d0 ? Math.max(0.45, 1 - (0.015 * (t - d0)) / 86_400_000) : 1),
    });
    const kinds = drops(alerts).filter((a) => a.entity === 'E6').map((a) => a.kind);
    expect(kinds).toContain('slow_decline');
    expect(drops(alerts).filter((a) => a.entity !== 'E6')).toEqual([]);
  });
});

describe('late data is re-evaluated', () => {
  it('a halt hidden behind a gateway outage opens late, when the backlog arrives, with the true start', () => {
    const back = T0 + 2 * H; // within the 3-hour re-evaluation window (windowIntervals 12)
    const held: EnrichedReading[] = [];
    const { alerts } = run({
      ms: meters(8), days: 21,
      shape: (m, t) => (m.enterprise === 'E2' && t >= T0 ? 0.02 : 1),
      deliver: (ts, rs) => {
        if (ts > T0 - I && ts <= back) { held.push(...rs.filter((r) => r.gateway === 'G2')); return rs.filter((r) => r.gateway !== 'G2'); }
        if (ts === back + I) return [...held.splice(0), ...rs];
        return rs;
      },
    });
    const halt = alerts.find((a) => a.kind === 'production_halt');
    expect(halt?.entity).toBe('E2');
    expect(halt!.openedAt).toBeGreaterThan(back);
    expect(halt!.since).toBeLessThanOrEqual(T0 + I);
    expect(alerts.find((a) => a.kind === 'gateway_offline')?.entity).toBe('G2');
  });

  it('a halt raised on estimated readings is withdrawn when the real registers arrive', () => {
    const last = new Map<string, number>();
    const real: EnrichedReading[] = [];
    const { updates } = run({
      ms: meters(8), days: 21,
      deliver: (ts, rs) => rs.flatMap((r) => {
        if (r.meter !== 'M4_0') return [r];
        if (ts <= T0) { last.set(r.meter, registerOf(r)); return [r]; }
        if (ts <= T0 + 4 * I) {
          // The concentrator could not read the meter and sent a flat estimate, flagged as such.
          real.push(r);
          return [{ ...r, energyKwh: last.get(r.meter)!, quality: ['estimated'] }];
        }
        if (ts === T0 + 5 * I) return [...real.splice(0), r];
        return [r];
      }),
    });
    const opened = updates.find((u) => u.change === 'opened' && u.alert.entity === 'E4');
    expect(opened?.alert.kind).toBe('production_halt');
    const closed = updates.find((u) => u.alert.id === opened!.alert.id && u.change !== 'opened' && u.change !== 'updated');
    expect(closed?.change).toBe('withdrawn');
    expect(closed?.alert.evidence.reason).toMatch(/late data/);
  });
});

describe('interval deltas do not invent consumption', () => {
  it('duplicates, a register rollover and a meter replacement raise nothing and count as such', () => {
    const ms = meters(6);
    const { alerts, an } = run({
      ms, days: 21,
      deliver: (ts, rs) => rs.flatMap((r) => {
        if (r.meter === 'M1_0') return [r, { ...r }]; // every reading twice
        if (r.meter === 'M2_0') return [{ ...r, energyKwh: (registerOf(r) + 999_000) % 1_000_000 }]; // wraps during the run
        if (r.meter === 'M3_0' && ts >= T0) return [{ ...r, energyKwh: registerOf(r) - 2_000 }]; // replaced: register restarts lower
        return [r];
      }),
    });
    expect(drops(alerts)).toEqual([]);
    expect(an.counters().duplicates).toBeGreaterThan(1_000);
    expect(an.counters().resets).toBeGreaterThan(0);
  });
});

describe('checkpoint and restore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-analytics-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a restored analyzer continues exactly like the one that never stopped', async () => {
    const ms = meters(10);
    const shape = (m: SynthMeter, t: number) => (m.enterprise === 'E7' && t >= T0 && t < T0 + 5 * H ? 0.02 : 1);
    const cut = T0 - 24 * H;
    const a1 = createAnalyzer({ graceMs: 0, springFestivalAfterDays: 21 }, { registry: () => undefined });
    for (const b of synthBatches({ meters: ms, start: START, intervals: 21 * 96, shape, seed: 3 })) {
      if (b.ts >= cut) break;
      a1.ingest(b.readings);
      a1.tick(b.ts);
    }
    const path = join(dir, 'state.json');
    await a1.checkpoint(path);
    const a2 = createAnalyzer({ graceMs: 0, springFestivalAfterDays: 21 }, { registry: () => undefined });
    await a2.restore(path);
    const r1 = run({ ms, days: 21, shape, analyzer: a1, from: cut });
    const r2 = run({ ms, days: 21, shape, analyzer: a2, from: cut });
    const view = (as: Alert[]) => as.map((a) => [a.kind, a.entity, a.since, a.openedAt, a.dropPct]);
    expect(view(r1.alerts)).toEqual([['production_halt', 'E7', T0, expect.any(Number), expect.any(Number)]]);
    expect(view(r2.alerts)).toEqual(view(r1.alerts));
    const after = (an: typeof a1) => an.productionIndex().filter((p) => p.ts >= cut);
    expect(after(a2)).toEqual(after(a1));
  });
});

describe('production index', () => {
  it('hourly and daily points per chain and county near 100 on ordinary days, lower on a halt', () => {
    const { an } = run({ ms: meters(12), days: 22, shape: (m, t) => (m.enterprise === 'E3' && t >= T0 && t < T0 + 6 * H ? 0.02 : 1) });
    const pts = an.productionIndex();
    const daily = pts.filter((p) => p.resolution === 'day' && p.scope === 'county' && p.ts > START + 15 * 86_400_000);
    expect(daily.length).toBeGreaterThan(3);
    for (const p of daily) expect(p.index).toBeGreaterThan(80);
    const hourly = pts.filter((p) => p.resolution === 'hour' && p.scope === 'chain');
    expect(hourly.length).toBeGreaterThan(100);
  });

  it('keeps only the latest maxIndexPoints points, oldest first', () => {
    const full = run({ ms: meters(8), days: 16 }).an.productionIndex();
    const bounded = run({ ms: meters(8), days: 16, analyzer: createAnalyzer({ graceMs: 0, springFestivalAfterDays: 21, maxIndexPoints: 50 }, { registry: () => undefined }) }).an.productionIndex();
    expect(full.length).toBeGreaterThan(200);
    expect(bounded).toEqual(full.slice(-50));
  });

  it('emits, per interval, what it judged each enterprise against; the index sums the same values', () => {
    const an = createAnalyzer({ graceMs: 0, springFestivalAfterDays: 21 }, { registry: () => undefined });
    const batches: ExpectedPoint[][] = [];
    an.on('expected', (ps) => batches.push(ps));
    run({ ms: meters(12), days: 22, analyzer: an, shape: (m, t) => (m.enterprise === 'E3' && t >= T0 && t < T0 + 6 * H ? 0.02 : 1) });
    expect(batches.length).toBeGreaterThan(14 * 96);
    for (const b of batches) expect(new Set(b.map((p) => p.ts)).size).toBe(1); // one interval per batch
    const pts = batches.flat();
    for (const p of pts) expect(p.ts % I).toBe(0);
    const e3 = (t: number) => pts.find((p) => p.enterprise === 'E3' && p.ts === t);
    // During the halt E3 delivers a few percent of what was expected; the week before, about all of it.
    expect(e3(T0 + 2 * H)!.actualKwh).toBeLessThan(0.1 * e3(T0 + 2 * H)!.expectedKwh);
    expect(e3(T0 - 7 * 24 * H + 2 * H)!.actualKwh).toBeGreaterThan(0.8 * e3(T0 - 7 * 24 * H + 2 * H)!.expectedKwh);
    // The county index of an hour is the sum of its enterprises' points in that hour.
    const hourPt = an.productionIndex().find((p) => p.scope === 'county' && p.resolution === 'hour' && p.ts === T0 + 2 * H)!;
    const inHour = pts.filter((p) => p.ts >= T0 + 2 * H && p.ts < T0 + 3 * H);
    expect(inHour.reduce((s, p) => s + p.expectedKwh, 0)).toBeCloseTo(hourPt.expectedKwh, 0);
    expect(inHour.reduce((s, p) => s + p.actualKwh, 0)).toBeCloseTo(hourPt.actualKwh, 0);
  });
});

describe('Spring Festival return', () => {
  it('a plant back from the festival is judged again (its halt alerts); plants still away stay silent', () => {
    // 2025: 初一 is 29 January; the window runs 15 January to 12 March. Everyone stops 22 January to
    // 9 February; E1–E9 are back on Monday 10 February, E10 and E11 only on 3 March. E2 halts on
    // Wednesday 19 February, 10:00 China time, for 8 hours.
    const start = Date.parse('2024-12-29T16:00:00Z');
    const stopFrom = Date.parse('2025-01-21T16:00:00Z'), back = Date.parse('2025-02-09T16:00:00Z'), lateBack = Date.parse('2025-03-02T16:00:00Z');
    const halt = Date.parse('2025-02-19T02:00:00Z');
    const an = createAnalyzer({ graceMs: 0 }, { registry: () => undefined });
    const alerts: Alert[] = [];
    an.on('alert', (a) => alerts.push(a));
    const shape = (m: SynthMeter, t: number) => {
      const late = m.enterprise === 'E10' || m.enterprise === 'E11';
      if (t >= stopFrom && t < (late ? lateBack : back)) return 0.05;
      if (m.enterprise === 'E2' && t >= halt && t < halt + 8 * H) return 0.02;
      return 1;
    };
    for (const b of synthBatches({ meters: meters(12), start, intervals: 58 * 96, shape, seed: 5 })) {
      an.ingest(b.readings);
      an.tick(b.ts);
    }
    const dropAlerts = drops(alerts);
    expect(dropAlerts.map((a) => `${a.kind} ${a.entity}`)).toEqual(['production_halt E2']);
    expect(Math.abs(dropAlerts[0]!.since - halt)).toBeLessThanOrEqual(I);
  });
});
