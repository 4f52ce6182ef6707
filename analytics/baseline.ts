import type { ResolvedOptions } from './options.js';
import { robustUpdate } from './stats.js';
import { grow } from './typed-arrays.js';

/** Profile slots per meter: 7 weekday patterns + holiday + Spring Festival, 24 hours each. */
export const SLOTS = 9 * 24;
/** Quarter-of-day shape of working days (96 quarters, factor = u × SHAPE_UNIT); other days use the hour level. */
export const SHAPES = 96;
const SHAPE_UNIT = 0.01;
const UNKNOWN = 0xffff;
const Q_MAX = 60_000;

/** Quarter index into the shape for working-day patterns, −1 for other days. */
export function shapeIndex(pattern: number, qod: number): number {
  return pattern >= 1 && pattern <= 5 ? qod : -1;
}

/**
 * Each meter's calendar-aware baseline, struct-of-arrays by dense meter number (the engine's): an
 * hour-of-week level per day pattern (`mProf`, quantised × `mScale`), a quarter-of-day shape of working
 * days (`mShape`), and the intervals of data seen (`mObs`, the meter's age, saturating). Field names are the
 * checkpoint's (analytics/checkpoint.ts).
 */
export class MeterBaselines {
  mProf = new Uint16Array(0); // SLOTS per meter, quantised kWh per interval
  mScale = new Float32Array(0);
  mShape = new Uint8Array(0); // SHAPES per meter
  mObs = new Uint16Array(0); // saturates at 65535: only compared with learnIntervals (≤ 65000)

  constructor(private readonly o: Pick<ResolvedOptions, 'learnIntervals' | 'baselineAlphaPerInterval' | 'baselineClip'>) {}

  grow(n: number): void {
    this.mProf = grow(this.mProf, n * SLOTS, UNKNOWN);
    this.mScale = grow(this.mScale, n);
    this.mShape = grow(this.mShape, n * SHAPES, 100);
    this.mObs = grow(this.mObs, n);
  }

  /** A new meter in slot m: nothing learned. */
  reset(m: number): void {
    this.mProf.fill(UNKNOWN, m * SLOTS, m * SLOTS + SLOTS);
    this.mScale[m] = 0;
    this.mShape.fill(100, m * SHAPES, m * SHAPES + SHAPES);
    this.mObs[m] = 0;
  }

  /** Still in its learning phase (drop alerts wait for it). */
  young(m: number): boolean {
    return this.mObs[m]! < this.o.learnIntervals;
  }

  /** Counts one interval of data. */
  observe(m: number): void {
    if (this.mObs[m]! < 0xffff) this.mObs[m]!++;
  }

  observations(m: number): number {
    return this.mObs[m]!;
  }

  /** Expected kWh of meter m in an interval of this slot (pattern × 24 + hour), day pattern and quarter; NaN before it is known. */
  expected(m: number, slot: number, pattern: number, q: number): number {
    const p = this.mProf;
    const base = m * SLOTS;
    let u = p[base + slot]!;
    if (u === UNKNOWN && pattern >= 1 && pattern <= 5) {
      // Cold start: another weekday's same hour stands in until this slot has been seen.
      const hour = slot % 24;
      for (let d = 1; d <= 5 && u === UNKNOWN; d++) u = p[base + d * 24 + hour]!;
    }
    if (u === UNKNOWN) return Number.NaN;
    return q < 0 ? u * this.mScale[m]! : u * this.mScale[m]! * this.mShape[m * SHAPES + q]! * SHAPE_UNIT;
  }

  /**
   * Learns one interval. The hour slot holds the hour's level, the quarter shape (per day class) how
   * each quarter of the hour departs from it (a shift that starts at 08:00 is part-way there at 08:15):
   * expected = level(hour-of-week) × shape(day class, quarter of day).
   */
  learn(m: number, slot: number, q: number, x0: number, noise: number): void {
    const base = m * SLOTS;
    let scale = this.mScale[m]!;
    const u0 = this.mProf[base + slot]!;
    const sj = m * SHAPES + q;
    let f = q < 0 ? 1 : this.mShape[sj]! * SHAPE_UNIT;
    if (q >= 0 && u0 !== UNKNOWN && scale > 0) {
      const lvl = u0 * scale;
      if (lvl > 1e-6) {
        const target = Math.min(2.5, Math.max(0.05, x0 / lvl));
        const rate = this.mObs[m]! < this.o.learnIntervals ? 0.3 : 0.05;
        f = f + rate * (target - f);
        this.mShape[sj] = Math.max(1, Math.min(255, Math.round(f / SHAPE_UNIT)));
        f = this.mShape[sj]! * SHAPE_UNIT;
      }
    }
    const x = x0 / f;
    if (scale === 0) {
      scale = Math.max(x, 0.01) * 8 / Q_MAX;
      this.mScale[m] = scale;
    }
    const u = this.mProf[base + slot]!;
    let v: number;
    if (u === UNKNOWN) v = x;
    else {
      const b = u * scale;
      const obs = this.mObs[m]!;
      if (obs < this.o.learnIntervals) {
        // Learning phase (first two weeks of a meter): a plain running mean, no clipping, so the first
        // (possibly unrepresentative) observation of a slot is forgotten fast.
        v = b + 0.35 * (x - b);
      } else {
        const sigma = Math.max(noise * b, 0.02 * scale * Q_MAX / 8);
        v = robustUpdate(b, x, this.o.baselineAlphaPerInterval, this.o.baselineClip * sigma);
      }
    }
    if (v / scale > Q_MAX) {
      // Rescale this meter's profile so the new value fits (rare: a plant that grew several-fold).
      const ns = (v * 2) / Q_MAX;
      for (let s = 0; s < SLOTS; s++) {
        const w = this.mProf[base + s]!;
        if (w !== UNKNOWN) this.mProf[base + s] = Math.round((w * scale) / ns);
      }
      scale = ns;
      this.mScale[m] = ns;
    }
    this.mProf[base + slot] = Math.min(UNKNOWN - 1, Math.max(0, Math.round(v / scale)));
  }
}
