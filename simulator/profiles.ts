import type { DayMode } from './calendar.js';

/**
 * Daily load shapes. A shape is 24 hourly (or 96 quarter-hourly) "activity" values in [0, 1] for a working day, a
 * Saturday and a rest day (Sunday or holiday); an enterprise's load as a share of its peak is
 * `base + (1 − base) × activity`, where `base` is its night base load (share of peak).
 *
 * - one_shift / two_shift / three_shift follow the 1-, 2- and 3-shift types of Sandhaas et al.
 *   (Energies 15(10):3683, 2022) with the unsourced defaults of shared domain.md §4 (night base
 *   10–25 % / 20–40 % / 75–95 % of peak, Sunday off for 1- and 2-shift plants).
 * - heavy is fitted to the real steel plant in shared/data/steel_industry_15min.csv (hourly
 *   means of 2018 divided by the weekday 09 h mean): day shift 08–17 with a deep lunch hour, a
 *   lighter evening shift 17–21, light nights; Saturdays and Sundays work only some weeks. See
 *   `gridpulse simulate calibrate` and docs/simulator.md for the side-by-side check.
 */
export const PROFILE_KINDS = ['one_shift', 'two_shift', 'three_shift', 'heavy'] as const;
export type ProfileKind = (typeof PROFILE_KINDS)[number];

type Hours = readonly number[];
interface Shape {
  work: Hours;
  /** A Saturday that is worked; `satWorkP` is the chance that it is. */
  satOn: Hours;
  rest: Hours;
  /** Chance a rest day (Sunday) is worked anyway with the satOn shape. */
  sunWorkP: number;
  /** Activity kept through statutory holidays (continuous processes keep running). */
  holidayKeep: number;
  baseRange: readonly [number, number];
  /** Interval-to-interval noise of the plant's load (σ, share of load). */
  noise: number;
}

// Steel plant 2018: mean kWh per 15-minute slot over weekdays (slot 0 = 00:00–00:15), as read by
// simulator/calibrate.ts. Working-day activity is this curve relative to its day-shift level.
const STEEL_WD_96 = [
  7.5, 8.2, 7.9, 8.2, 6.8, 5.1, 4.5, 4.3, 4.5, 4.5, 4.4, 4.4, 4.3, 4.4, 4.3, 4.3, 4.3, 4.3, 4.2, 4.2, 4.2, 4.3, 4.4, 4.3,
  4.3, 4.4, 4.3, 4.3, 4.3, 4.7, 5.7, 6.7, 38.6, 66.5, 70.1, 72.9, 72.0, 70.7, 70.0, 68.8, 66.9, 67.3, 67.6, 68.5, 70.6, 69.7, 68.5, 65.1,
  11.3, 6.9, 6.8, 7.1, 45.3, 68.1, 68.9, 68.4, 68.1, 68.2, 67.3, 67.6, 65.5, 66.4, 68.7, 67.2, 68.1, 67.3, 69.5, 66.5, 65.5, 62.0, 37.8, 33.0,
  40.1, 51.1, 50.4, 51.5, 49.8, 51.2, 51.6, 51.1, 51.4, 51.7, 45.9, 29.8, 15.2, 12.3, 11.4, 10.9, 10.4, 9.6, 9.8, 9.4, 9.3, 9.6, 9.2, 9.4,
];
const STEEL_LEVEL = 70;
const HEAVY_BASE = 4.3 / STEEL_LEVEL;
const heavyWork = STEEL_WD_96.map((v) => Math.max(0, (v / STEEL_LEVEL - HEAVY_BASE) / (1 - HEAVY_BASE)));
// A worked weekend day runs the day shift only (08–17 h).
const heavySat = heavyWork.map((v, q) => (q >= 32 && q < 68 ? v : Math.min(v, 0.02)));

export const SHAPES: Record<ProfileKind, Shape> = {
  one_shift: {
    work: [0, 0, 0, 0, 0, 0, 0.05, 0.35, 1, 1, 1, 0.97, 0.35, 0.95, 1, 1, 0.95, 0.55, 0.15, 0.08, 0.05, 0.03, 0, 0],
    satOn: [0, 0, 0, 0, 0, 0, 0.05, 0.3, 0.9, 0.95, 0.95, 0.9, 0.3, 0.7, 0.7, 0.6, 0.4, 0.15, 0.05, 0, 0, 0, 0, 0],
    rest: new Array(24).fill(0),
    sunWorkP: 0.03,
    holidayKeep: 0,
    baseRange: [0.1, 0.25],
    noise: 0.04,
  },
  two_shift: {
    work: [0.08, 0.03, 0, 0, 0, 0.05, 0.45, 0.9, 1, 1, 1, 0.97, 0.6, 0.97, 1, 1, 0.95, 0.75, 0.9, 0.95, 0.95, 0.9, 0.55, 0.2],
    satOn: [0.05, 0, 0, 0, 0, 0.05, 0.4, 0.85, 0.95, 0.95, 0.95, 0.9, 0.55, 0.9, 0.9, 0.9, 0.85, 0.6, 0.5, 0.45, 0.4, 0.3, 0.15, 0.05],
    rest: new Array(24).fill(0),
    sunWorkP: 0.05,
    holidayKeep: 0,
    baseRange: [0.2, 0.4],
    noise: 0.04,
  },
  three_shift: {
    work: [0.8, 0.95, 0.95, 0.95, 0.93, 0.93, 0.95, 0.97, 0.8, 1, 1, 1, 0.85, 1, 1, 1, 0.8, 0.97, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95],
    satOn: new Array(24).fill(0.9),
    rest: new Array(24).fill(0.85),
    sunWorkP: 0,
    holidayKeep: 0.7,
    baseRange: [0.75, 0.95],
    noise: 0.03,
  },
  heavy: {
    work: heavyWork,
    satOn: heavySat,
    rest: new Array(24).fill(0),
    sunWorkP: 0.12,
    holidayKeep: 0,
    baseRange: [HEAVY_BASE * 0.9, HEAVY_BASE * 1.1],
    // Arc furnaces and rolling mills: the plant's 15-minute steps within the day shift have σ ≈ 17 kWh on ~70.
    noise: 0.17,
  },
};

/** Interval noise σ per profile index (hot loop). */
export const NOISE_BY_INDEX = Float32Array.from(PROFILE_KINDS.map((k) => SHAPES[k].noise));

/** Chance a Saturday is worked, per profile (per enterprise it varies around this). */
export const SAT_WORK_P: Record<ProfileKind, number> = { one_shift: 0.35, two_shift: 0.5, three_shift: 1, heavy: 0.5 };

export const PROFILE_INDEX: Record<ProfileKind, number> = { one_shift: 0, two_shift: 1, three_shift: 2, heavy: 3 };

/** Pre-expanded 96-slot tables per profile and day shape (0 work, 1 satOn, 2 rest), for the hot loop. */
const SLOTS = 96;
export const SLOT_TABLE: Float32Array[] = PROFILE_KINDS.map((k) => {
  const s = SHAPES[k];
  const t = new Float32Array(3 * SLOTS);
  [s.work, s.satOn, s.rest].forEach((curve, d) => {
    for (let q = 0; q < SLOTS; q++) {
      if (curve.length === SLOTS) { t[d * SLOTS + q] = curve[q]!; continue; }
      const h = Math.floor(q / 4);
      let v = curve[h]!;
      // A shift does not start on the stroke of the hour: the first quarter of an hour is part-way there.
      if (q % 4 === 0) v = 0.5 * (v + curve[(h + 23) % 24]!);
      t[d * SLOTS + q] = v;
    }
  });
  return t;
});

/**
 * Which of the three day shapes an enterprise runs on a day, given the calendar mode and two
 * per-day random draws (so worked Saturdays and overtime Sundays vary week to week).
 * Returns 0 work, 1 satOn, 2 rest.
 */
export function dayShape(kind: number, mode: DayMode, satWorkP: number, uSat: number, uSun: number): number {
  const shape = SHAPES[PROFILE_KINDS[kind]!];
  switch (mode) {
    case 'work': return 0;
    case 'sat': return uSat < satWorkP ? 1 : 2;
    case 'sun': return uSun < shape.sunWorkP ? 1 : 2;
    case 'holiday': return 2;
  }
}

/** Load as a share of peak for one 15-minute slot (0–95) of a day shape. */
export function shapeLevel(kind: number, shape: number, slot: number, base: number, holiday: boolean): number {
  let act = SLOT_TABLE[kind]![shape * SLOTS + slot]!;
  if (holiday) act = Math.min(act, SHAPES[PROFILE_KINDS[kind]!].holidayKeep);
  return base + (1 - base) * act;
}
