import { describe, expect, it } from 'vitest';
import { calendarFromSpec, createAnalyzer, type Alert } from '../../analytics/index.js';
import { rng } from '../../analytics/eval/synth.js';
import { readingSchema, type EnrichedReading } from '../../src/schemas/reading.js';
import { readingToLine } from '../../src/storage/line-protocol.js';

/**
 * Interval energy beside the register: kWh over a period ending at ts. The analyzer chains it into a
 * synthetic register, so a stop reads the same either way, and a meter switching between the two forms
 * invents no consumption.
 */
const I = 900_000;
const H = 3_600_000;
const TZ = 8 * H;
const START = Date.parse('2025-03-03T00:00:00+08:00');
const STOP = Date.parse('2025-03-26T10:00:00+08:00'); // a Wednesday, after 3 weeks

const tags = { gateway: 'g', enterprise: 'e', county: 'c', chain: 'x', ctMultiplier: 1 };
/** kWh in the interval starting at ms (08–18 weekdays), stopped from STOP for 6 h when `stop`. */
function load(ms: number, r: () => number, stop: boolean): number {
  const t = new Date(ms + TZ);
  const work = t.getUTCDay() >= 1 && t.getUTCDay() <= 5 && t.getUTCHours() >= 8 && t.getUTCHours() < 18;
  const off = stop && ms >= STOP && ms < STOP + 6 * H;
  return (off ? 1 : work ? 30 : 3) * (1 + 0.05 * (r() * 2 - 1));
}

/** Feeds `days` days at step `stepMs`; form(ts) says which reading form the meter sends at ts. */
function run(o: { intervalMs: number; stepMs: number; days: number; stop: boolean; form: (ts: number) => 'register' | 'energy' }) {
  const an = createAnalyzer({ intervalMs: o.intervalMs, graceMs: 0, windowIntervals: 32 }, { registry: () => undefined, calendar: calendarFromSpec('none', 'k') });
  const alerts: Alert[] = [];
  an.on('alert', (a) => alerts.push(a));
  const r = rng(9);
  let reg = 999_000; // wraps at 999999.99 during the run
  let period = 0;
  for (let ts = START; ts <= START + o.days * 86_400_000; ts += I) {
    if (ts > START) { const kwh = load(ts - I, r, o.stop); reg += kwh; period += kwh; }
    if (reg > 999_999.99) reg -= 1_000_000;
    if ((ts - START) % o.stepMs !== 0) continue;
    const rd: EnrichedReading = o.form(ts) === 'register'
      ? { meter: 'm', ts, energyKwh: Math.round(reg * 100) / 100, ...tags }
      : { meter: 'm', ts, intervalEnergyKwh: Math.round(period * 100) / 100, intervalMinutes: o.stepMs / 60_000, ...tags };
    period = 0;
    an.ingest([rd]);
    an.tick(ts);
  }
  return { an, alerts: alerts.filter((a) => a.kind === 'production_halt' || a.kind === 'production_cut') };
}

describe('interval energy', () => {
  it('15-minute interval energy: the stop is a halt, as with registers', () => {
    for (const form of ['register', 'energy'] as const) {
      const { alerts } = run({ intervalMs: I, stepMs: I, days: 24, stop: true, form: () => form });
      expect(alerts.map((a) => [a.kind, a.since])).toEqual([['production_halt', STOP]]);
    }
  });

  it('hourly interval energy at a 60-minute interval: the same stop', () => {
    const { alerts } = run({ intervalMs: H, stepMs: H, days: 24, stop: true, form: () => 'energy' });
    expect(alerts.map((a) => [a.kind, a.since])).toEqual([['production_halt', STOP]]);
  });

  it('a meter switching register → energy → register invents nothing: no alert, every interval either right or a gap', () => {
    const sw1 = Date.parse('2025-03-26T10:00:00+08:00'), sw2 = Date.parse('2025-03-26T12:00:00+08:00');
    const form = (ts: number) => (ts >= sw1 && ts < sw2 ? 'energy' as const : 'register' as const);
    const { an, alerts } = run({ intervalMs: I, stepMs: I, days: 23.6, stop: false, form });
    expect(alerts).toEqual([]);
    const bins = (an.inspect('e') as { bins: { ts: number; actualKwh: number }[] }).bins;
    const around = bins.filter((b) => b.ts > sw1 - H && b.ts <= sw2 + H);
    expect(around.length).toBeGreaterThan(8);
    for (const b of around) {
      if (b.ts === sw2) expect(Number.isNaN(b.actualKwh)).toBe(true); // back to the register: a gap
      else expect(b.actualKwh).toBeGreaterThan(28), expect(b.actualKwh).toBeLessThan(32);
    }
  });

  it('the payload accepts either form, never both or half of one; InfluxDB gets its own fields', () => {
    const ok = readingSchema.safeParse({ meter: 'm', ts: 1_700_000_000_000, intervalEnergyKwh: 12.5, intervalMinutes: 15 });
    expect(ok.success).toBe(true);
    const bad = [
      [{ meter: 'm', ts: 1, energyKwh: 1, intervalEnergyKwh: 1, intervalMinutes: 15 }, 'intervalEnergyKwh', /not both/],
      [{ meter: 'm', ts: 1, intervalEnergyKwh: 1 }, 'intervalMinutes', /needs intervalMinutes/],
      [{ meter: 'm', ts: 1 }, 'energyKwh', /expected energyKwh .* or intervalEnergyKwh/],
      [{ meter: 'm', ts: 1, energyKwh: 5, intervalMinutes: 15 }, 'intervalMinutes', /belongs with intervalEnergyKwh/],
      [{ meter: 'm', ts: 1, intervalEnergyKwh: -1, intervalMinutes: 15 }, 'intervalEnergyKwh', /./],
    ] as const;
    for (const [x, path, msg] of bad) {
      const r = readingSchema.safeParse(x);
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]!.path.join('.')).toBe(path);
      expect(r.error!.issues[0]!.message).toMatch(msg);
    }
    const line = readingToLine({ meter: 'm', ts: 1_700_000_000_000, intervalEnergyKwh: 12.5, intervalMinutes: 15, ...tags, ctMultiplier: 40 });
    expect(line).toMatch(/ interval_kwh=500,interval_min=15i,ct=40 1700000000$/);
  });

  it('an hour of 15-minute energy delivered after the next hour: every period is used, nothing counted as a reset', () => {
    const an = createAnalyzer({ graceMs: 0 }, { registry: () => undefined, calendar: calendarFromSpec('none', 'k') });
    const at = (ts: number): EnrichedReading => ({ meter: 'm', ts, intervalEnergyKwh: 2 + ((ts / I) % 4) / 4, intervalMinutes: 15, ...tags });
    const day = START + 15 * 86_400_000; // the baseline has every hour of the day by then
    const held: EnrichedReading[] = [];
    for (let ts = START; ts <= day + 3 * H; ts += I) {
      // The readings ending in the second hour of the day arrive as one batch after the third hour's (within the window).
      if (ts > day + H && ts <= day + 2 * H) { held.push(at(ts)); continue; }
      an.ingest([at(ts)]);
      an.tick(ts);
    }
    an.ingest(held);
    an.tick(day + 3 * H);
    // Each bin is named by the end of its interval, whose energy is the reading at that time.
    const bins = (an.inspect('e') as { bins: { ts: number; actualKwh: number | null }[] }).bins;
    expect(bins.filter((b) => b.ts > day + H).map((b) => [b.ts, b.actualKwh])).toEqual(Array.from({ length: 8 }, (_, i) => [day + H + (i + 1) * I, at(day + H + (i + 1) * I).intervalEnergyKwh]));
    expect(an.counters()).toMatchObject({ resets: 0, duplicates: 0, lateFilled: 4 });
  });

  it('an estimated period replaced by the real one keeps the periods chained after it', () => {
    const an = createAnalyzer({ graceMs: 0 }, { registry: () => undefined, calendar: calendarFromSpec('none', 'k') });
    const day = START + 15 * 86_400_000;
    const at = (ts: number): EnrichedReading => ({ meter: 'm', ts, intervalEnergyKwh: 2 + ((ts / I) % 4) / 4, intervalMinutes: 15, ...tags });
    const est = day + H + I;
    for (let ts = START; ts <= day + 2 * H; ts += I) {
      // One period first arrives as an estimate of 5 kWh; the meter's real value follows after four more.
      an.ingest([ts === est ? { ...at(ts), intervalEnergyKwh: 5, quality: ['estimated'] } : at(ts)]);
      an.tick(ts);
    }
    an.ingest([at(est)]);
    an.tick(day + 2 * H);
    const bins = (an.inspect('e') as { bins: { ts: number; actualKwh: number | null }[] }).bins;
    expect(bins.filter((b) => b.ts >= est).map((b) => [b.ts, b.actualKwh])).toEqual(Array.from({ length: 4 }, (_, i) => [est + i * I, at(est + i * I).intervalEnergyKwh]));
  });

  it('a period that is not whole intervals is counted and not used', () => {
    const an = createAnalyzer({ graceMs: 0 }, { registry: () => undefined });
    an.ingest([{ meter: 'm', ts: START, intervalEnergyKwh: 3, intervalMinutes: 5, ...tags }]);
    expect(an.counters().unusableEnergy).toBe(1);
  });
});
