import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CST_OFFSET_MS } from './calendar.js';
import { buildCity } from './city.js';
import { simulate } from './engine.js';
import { quietScenario } from './scenario.js';

/**
 * Calibration against the real steel plant (shared/data/steel_industry_15min.csv, UCI 851):
 * the same statistics computed on the plant's 2018 and on a simulated `heavy` plant over 2018.
 */

/** One 15-minute interval: its start as local wall-clock time encoded as UTC ms, and its energy. */
export interface Interval { local: number; kwh: number }

export const STEEL_CSV_CANDIDATES = ['shared/data/steel_industry_15min.csv', '../shared/data/steel_industry_15min.csv', '/work/shared/data/steel_industry_15min.csv'];

export function findSteelCsv(explicit?: string): string {
  const c = explicit ? [explicit] : STEEL_CSV_CANDIDATES;
  for (const p of c) if (existsSync(p)) return resolve(p);
  throw new Error(`steel plant CSV not found (tried ${c.join(', ')}); pass --data FILE`);
}

/**
 * Reads the plant's CSV. Quirks (shared/data/README.md): a UTF-8 BOM; `date` is the END of the
 * interval as dd/mm/yyyy HH:MM; the interval ending at midnight is written 00:00 with the SAME
 * day's date, so it belongs to the next day's 00:00.
 */
export function readSteelCsv(path: string): Interval[] {
  const lines = readFileSync(path, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0]!.split(',');
  const iDate = header.indexOf('date'), iUse = header.indexOf('Usage_kWh');
  if (iDate < 0 || iUse < 0) throw new Error(`${path}: expected columns date and Usage_kWh`);
  const out: Interval[] = [];
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const c = line.split(',');
    const m = /^(\d\d)\/(\d\d)\/(\d{4}) (\d\d):(\d\d)$/.exec(c[iDate]!.trim());
    if (!m) continue;
    let end = Date.UTC(+m[3]!, +m[2]! - 1, +m[1]!, +m[4]!, +m[5]!);
    if (m[4] === '00' && m[5] === '00') end += 86_400_000;
    out.push({ local: end - 15 * 60_000, kwh: Number(c[iUse]) });
  }
  return out.sort((a, b) => a.local - b.local);
}

export interface ProfileStats {
  weekdayMean: number;
  saturdayMean: number;
  sundayMean: number;
  weekendWeekdayRatio: number;
  nightDayRatio: number;
  lunchDip: number;
  eveningDayRatio: number;
  /** Percentiles (1, 5, 25, 50, 75, 95, 99) of the 15-minute step, kWh. */
  steps: number[];
}

const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
function percentile(sorted: number[], p: number): number {
  const i = (sorted.length - 1) * p;
  const lo = Math.floor(i), hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}
export const STEP_PERCENTILES = [1, 5, 25, 50, 75, 95, 99];

export function profileStats(series: Interval[]): ProfileStats {
  const wd: number[] = [], sat: number[] = [], sun: number[] = [];
  const night: number[] = [], day: number[] = [], lunch: number[] = [], shoulders: number[] = [], evening: number[] = [];
  for (const { local, kwh } of series) {
    const d = new Date(local);
    const dow = d.getUTCDay(), h = d.getUTCHours();
    if (dow === 6) { sat.push(kwh); continue; }
    if (dow === 0) { sun.push(kwh); continue; }
    wd.push(kwh);
    if (h < 6) night.push(kwh);
    if (h >= 8 && h < 17 && h !== 12) day.push(kwh);
    if (h === 12) lunch.push(kwh);
    if (h === 11 || h === 13) shoulders.push(kwh);
    if (h >= 17 && h < 21) evening.push(kwh);
  }
  const steps: number[] = [];
  for (let i = 1; i < series.length; i++) if (series[i]!.local - series[i - 1]!.local === 15 * 60_000) steps.push(series[i]!.kwh - series[i - 1]!.kwh);
  steps.sort((a, b) => a - b);
  const w = mean(wd);
  return {
    weekdayMean: w,
    saturdayMean: mean(sat),
    sundayMean: mean(sun),
    weekendWeekdayRatio: mean([...sat, ...sun]) / w,
    nightDayRatio: mean(night) / mean(day),
    lunchDip: mean(lunch) / mean(shoulders),
    eveningDayRatio: mean(evening) / mean(day),
    steps: STEP_PERCENTILES.map((p) => percentile(steps, p / 100)),
  };
}

/**
 * Simulated `heavy` plants over the same year, as the pipeline would store them: register deltas
 * × CT multiplier, summed over each plant's meters, per 15-minute interval (local China time).
 * Each is scaled so its weekday day-shift mean equals the real plant's (size is not calibrated).
 */
export function simulatedHeavyPlants(seed: number, year: number, plants: number, realDayMean?: number): Interval[][] {
  const start = `${year}-01-01T00:00:00+08:00`;
  const days = (Date.UTC(year + 1, 0, 1) - Date.UTC(year, 0, 1)) / 86_400_000;
  const city = buildCity({ seed, enterprises: plants, start, profile: 'heavy', days });
  const sim = simulate(city, { start, days: days + 1 / 96, scenario: quietScenario({ meterReplacements: 0 }) });
  const meta = new Map(city.registry.meters.map((m) => [m.id, { ct: m.ctMultiplier, e: city.index.enterprise.get(m.enterprise)! }]));
  const last = new Map<string, number>();
  const byTs: Map<number, number>[] = Array.from({ length: plants }, () => new Map());
  for (const b of sim.batches()) {
    for (const r of b.readings) {
      const ts = r.ts as number, e = r.energyKwh as number;
      const prev = last.get(r.meter as string);
      last.set(r.meter as string, e);
      if (prev === undefined) continue;
      let d = e - prev;
      if (d < 0) d += 1_000_000; // register wrap
      const m = meta.get(r.meter as string)!;
      // Interval (ts − 15 min, ts] in China wall-clock time.
      const local = ts - 15 * 60_000 + CST_OFFSET_MS;
      byTs[m.e]!.set(local, (byTs[m.e]!.get(local) ?? 0) + d * m.ct);
    }
  }
  return byTs.map((map) => {
    const series = [...map.entries()].map(([local, kwh]) => ({ local, kwh })).sort((x, y) => x.local - y.local);
    if (realDayMean === undefined) return series;
    const f = realDayMean / dayMean(series);
    return series.map((x) => ({ local: x.local, kwh: x.kwh * f }));
  });
}

function dayMean(series: Interval[]): number {
  const xs = series.filter(({ local }) => { const d = new Date(local); const h = d.getUTCHours(); return d.getUTCDay() % 6 !== 0 && h >= 8 && h < 17 && h !== 12; }).map((x) => x.kwh);
  return mean(xs);
}

export interface CalibrationResult { real: ProfileStats; sim: ProfileStats; plants: number; rows: [string, string, string][] }

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]! / 2 + s[Math.ceil((s.length - 1) / 2)]! / 2; };

/** Real plant vs the median, metric by metric, of `plants` simulated heavy plants (default 5). */
export function calibrate(opts: { data?: string; seed?: number; plants?: number } = {}): CalibrationResult {
  const realSeries = readSteelCsv(findSteelCsv(opts.data));
  const year = new Date(realSeries[0]!.local).getUTCFullYear();
  const real = profileStats(realSeries);
  const plants = Math.max(1, opts.plants ?? 5);
  const each = simulatedHeavyPlants(opts.seed ?? 1, year, plants, dayMean(realSeries)).map(profileStats);
  const pick = (f: (s: ProfileStats) => number) => median(each.map(f));
  const sim: ProfileStats = {
    weekdayMean: pick((s) => s.weekdayMean), saturdayMean: pick((s) => s.saturdayMean), sundayMean: pick((s) => s.sundayMean),
    weekendWeekdayRatio: pick((s) => s.weekendWeekdayRatio), nightDayRatio: pick((s) => s.nightDayRatio), lunchDip: pick((s) => s.lunchDip),
    eveningDayRatio: pick((s) => s.eveningDayRatio), steps: STEP_PERCENTILES.map((_, i) => pick((s) => s.steps[i]!)),
  };
  const f = (v: number, d = 2) => v.toFixed(d);
  const rows: [string, string, string][] = [
    ['weekday mean, kWh per 15 min', f(real.weekdayMean, 1), f(sim.weekdayMean, 1)],
    ['Saturday mean', f(real.saturdayMean, 1), f(sim.saturdayMean, 1)],
    ['Sunday mean', f(real.sundayMean, 1), f(sim.sundayMean, 1)],
    ['weekend / weekday ratio', f(real.weekendWeekdayRatio), f(sim.weekendWeekdayRatio)],
    ['night / day ratio (00–06 h / 08–17 h, weekdays)', f(real.nightDayRatio), f(sim.nightDayRatio)],
    ['lunch dip (12 h / 11 h and 13 h, weekdays)', f(real.lunchDip), f(sim.lunchDip)],
    ['evening / day ratio (17–21 h / 08–17 h)', f(real.eveningDayRatio), f(sim.eveningDayRatio)],
    ...STEP_PERCENTILES.map((p, i) => [`15-min step p${p}, kWh`, f(real.steps[i]!, 1), f(sim.steps[i]!, 1)] as [string, string, string]),
  ];
  return { real, sim, plants, rows };
}

export function formatCalibration(r: CalibrationResult, markdown = false): string {
  const head: [string, string, string] = ['metric', 'real steel plant (2018)', `simulator, heavy (median of ${r.plants})`];
  if (markdown) return [head, ['---', '---:', '---:'], ...r.rows].map((c) => `| ${c.join(' | ')} |`).join('\n');
  const w0 = Math.max(...[head, ...r.rows].map((c) => c[0].length));
  const w1 = Math.max(...[head, ...r.rows].map((c) => c[1].length));
  return [head, ...r.rows].map((c) => `${c[0].padEnd(w0)}  ${c[1].padStart(w1)}  ${c[2].padStart(w1)}`).join('\n');
}
