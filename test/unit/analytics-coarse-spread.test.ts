import { describe, expect, it } from 'vitest';
import { calendarFromSpec, createAnalyzer, type Alert } from '../../analytics/index.js';
import { rng } from '../../analytics/eval/synth.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';

/**
 * A meter read hourly inside a 15-minute analyzer is judged at its own interval: its consumption between
 * two readings is spread evenly over the quarter-hours in between (provisional, learned once in the replay
 * the reading triggers). The analyzer ticks every 15 minutes, as in the pipeline, so the hourly reading
 * arrives after three of its quarter-hours were evaluated without it.
 */
const I = 900_000;
const H = 3_600_000;
const TZ = 8 * H;
const START = Date.parse('2025-03-03T00:00:00+08:00');
const DAYS = 24;
const STOP = Date.parse('2025-03-26T10:30:00+08:00'); // a Wednesday, after three weeks; mid-hour
const HOUR_OF_STOP = Date.parse('2025-03-26T10:00:00+08:00');

const tags = { gateway: 'g', enterprise: 'e', county: 'c', chain: 'x', ctMultiplier: 1 };

/** kWh in the quarter-hour starting at ms (08–18 on weekdays), near zero for 6 h from STOP when `stop`. */
function load(ms: number, r: () => number, stop: boolean, scale = 1): number {
  const t = new Date(ms + TZ);
  const work = t.getUTCDay() >= 1 && t.getUTCDay() <= 5 && t.getUTCHours() >= 8 && t.getUTCHours() < 18;
  const off = stop && ms >= STOP && ms < STOP + 6 * H;
  return scale * (off ? 0.5 : work ? 30 : 3) * (1 + 0.05 * (r() * 2 - 1));
}

type Form = 'register' | 'energy';
interface MeterSpec { id: string; everyMs: number; form: Form; scale?: number }

/** Feeds DAYS days, ticking every 15 minutes; each meter sends at its own spacing in its own form. */
function run(meters: MeterSpec[], o: { stop: boolean; registry?: object; skip?: (id: string, ts: number) => boolean }) {
  const an = createAnalyzer({ graceMs: 0 }, { registry: () => o.registry as never, calendar: calendarFromSpec('none', 'k') });
  const alerts: Alert[] = [];
  an.on('alert', (a) => alerts.push(a));
  const state = meters.map((m, i) => ({ m, r: rng(11 + i), reg: 5_000, period: 0 }));
  for (let ts = START; ts <= START + DAYS * 86_400_000; ts += I) {
    const batch: EnrichedReading[] = [];
    for (const s of state) {
      if (ts > START) { const kwh = load(ts - I, s.r, o.stop, s.m.scale); s.reg += kwh; s.period += kwh; }
      if ((ts - START) % s.m.everyMs !== 0 || o.skip?.(s.m.id, ts)) continue;
      batch.push(s.m.form === 'register'
        ? { meter: s.m.id, ts, energyKwh: Math.round(s.reg * 100) / 100, ...tags }
        : { meter: s.m.id, ts, intervalEnergyKwh: Math.round(s.period * 100) / 100, intervalMinutes: s.m.everyMs / 60_000, ...tags });
      s.period = 0;
    }
    an.ingest(batch);
    an.tick(ts);
  }
  return { an, alerts };
}

const hourly = (form: Form): MeterSpec[] => [{ id: 'h', everyMs: H, form }];

describe('coarse meters judged at their own interval (hourly data, 15-minute analyzer)', () => {
  for (const form of ['register', 'energy'] as const) {
    it(`hourly ${form === 'register' ? 'registers' : 'interval energy'}: a stop mid-hour is a halt dated within its hour, and nothing else is raised`, () => {
      const { an, alerts } = run(hourly(form), { stop: true });
      // No meter or gateway offline between readings, the first hours included (spacing not yet known).
      expect(alerts.map((a) => a.kind)).toEqual(['production_halt']);
      const halt = alerts[0]!;
      expect(halt.since).toBeGreaterThanOrEqual(HOUR_OF_STOP);
      expect(halt.since).toBeLessThan(HOUR_OF_STOP + H);
      // Known at the next hourly reading that shows it (the stopped hour 11–12), judged in the replay.
      expect(halt.openedAt - STOP).toBeLessThanOrEqual(90 * 60_000);
      expect(an.counters().spreadIntervals).toBeGreaterThan(3 * 24 * (DAYS - 1));
      expect(an.coarseMeters().map((c) => [c.meter, c.spacingMs])).toEqual([['h', H]]);
    });

    it(`hourly ${form === 'register' ? 'registers' : 'interval energy'}: an ordinary month raises nothing`, () => {
      const { alerts } = run(hourly(form), { stop: false });
      expect(alerts).toEqual([]);
    });
  }

  it('one meter every 15 minutes and one hourly in one plant: the whole plant stopping is a halt', () => {
    const mix: MeterSpec[] = [{ id: 'q', everyMs: I, form: 'register' }, { id: 'h', everyMs: H, form: 'register', scale: 2 }];
    const { alerts } = run(mix, { stop: true });
    expect(alerts.map((a) => a.kind)).toEqual(['production_halt']);
    expect(alerts[0]!.since).toBeGreaterThanOrEqual(HOUR_OF_STOP);
    expect(alerts[0]!.since).toBeLessThan(HOUR_OF_STOP + H);
    // Without the hourly meter judged, two thirds of the plant's load would keep it above a halt.
    const quiet = run(mix, { stop: false });
    expect(quiet.alerts).toEqual([]);
  });

  it('warm-up from stored hourly interval energy keeps its hour (interval_min), so the stop after it is a halt', async () => {
    // What InfluxDB returns for the warm-up's query: a 15-minute group per stored hourly reading.
    const r = rng(3);
    const rows: Array<Record<string, unknown>> = [];
    let hour = 0;
    for (let ts = START + I; ts < STOP - 30 * 60_000; ts += I) {
      hour += load(ts - I, r, false);
      if ((ts - START) % H !== 0) continue;
      rows.push({ time: new Date(ts).toISOString(), meter: 'h', ...tags, interval_kwh: Math.round(hour * 100) / 100, interval_min: 60, ct: 1 });
      hour = 0;
    }
    const query = async (q: string) => {
      const [, a, b] = /time >= (\d+)ms AND time < (\d+)ms/.exec(q)!;
      return rows.filter((x) => Date.parse(String(x.time)) >= Number(a) && Date.parse(String(x.time)) < Number(b));
    };
    const restart = STOP - 30 * 60_000; // 10:00, half an hour before the stop
    const an = createAnalyzer({ graceMs: 0 }, { registry: () => undefined, calendar: calendarFromSpec('none', 'k'), now: () => restart });
    const alerts: Alert[] = [];
    an.on('alert', (a) => alerts.push(a));
    await an.warmUp(query, { historyMs: 23 * 86_400_000 });
    let energy = 0;
    for (let ts = restart + I; ts <= restart + 4 * H; ts += I) {
      energy += load(ts - I, r, true);
      if ((ts - START) % H === 0) {
        an.ingest([{ meter: 'h', ts, intervalEnergyKwh: Math.round(energy * 100) / 100, intervalMinutes: 60, ...tags }]);
        energy = 0;
      }
      an.tick(ts);
    }
    const open = alerts.filter((a) => a.status === 'open');
    expect(open.map((a) => a.kind)).toEqual(['production_halt']);
    expect(open[0]!.since).toBeGreaterThanOrEqual(HOUR_OF_STOP);
    expect(open[0]!.since).toBeLessThan(HOUR_OF_STOP + H);
  });

  it('a real gap (a missed hourly reading) and a register that fell are not filled', () => {
    const registry = { enterprises: [{ id: 'e', county: 'c' }], meters: [{ id: 'h', enterprise: 'e', gateway: 'g', intervalMinutes: 60 }] };
    const an = createAnalyzer({ graceMs: 0 }, { registry: () => registry, calendar: calendarFromSpec('none', 'k') });
    const at = (hh: number) => START + hh * H;
    const regs: Array<[number, number]> = [[0, 100], [1, 110], [2, 120], [3, 130], [5, 150], [6, 20], [7, 30]]; // 04:00 missed; 06:00 reset
    for (let ts = START; ts <= at(7); ts += I) {
      const r = regs.find(([hh]) => at(hh) === ts);
      if (r) an.ingest([{ meter: 'h', ts, energyKwh: r[1], ...tags }]);
      an.tick(ts);
    }
    const bins = (an.inspect('e') as { bins: { ts: number; actualKwh: number }[] }).bins;
    const claimed = bins.filter((b) => !Number.isNaN(b.actualKwh)).map((b) => (b.ts - START) / I);
    // The last 12 intervals end 04:15…07:00: 04:15–06:00 span the missed reading (2 h: not this meter's hour),
    // 06:15–07:00 follow the reset (its 05:00–06:00 fell): only the hour 06–07 is spread.
    expect(claimed).toEqual([25, 26, 27, 28]);
    expect(bins.find((b) => b.ts === at(6) + 2 * I)!.actualKwh).toBeCloseTo(2.5, 5); // (30 − 20) / 4
    expect(an.counters().spreadIntervals).toBe(3 * 3 + 3); // hours 0–1, 1–2, 2–3 and 6–7
    // Silent after 07:00: its 08:00 reading is missed, and the gateway is offline an interval later, as a
    // 15-minute meter's is an interval after its missed reading (gatewayOfflineAfterMs: 30 min since the last).
    const offline: Alert[] = [];
    an.on('alert', (a) => offline.push(a));
    for (let ts = at(7) + I; ts <= at(10); ts += I) an.tick(ts);
    expect(offline.map((a) => [a.kind, a.since, a.openedAt])).toEqual([['gateway_offline', at(7), at(8) + I]]);
  });
});
