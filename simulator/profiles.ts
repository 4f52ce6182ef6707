import type { DayMode } from './calendar.js';

/**
 * Daily load shapes. A shape is 24 hourly "activity" values in [0, 1] for a working day, a
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
}

// Steel plant 2018, hourly mean kWh per 15 min (weekday), divided by the 09 h mean (70.4).
const STEEL_WD = [7.9, 5.2, 4.4, 4.3, 4.2, 4.3, 4.3, 5.4, 62.0, 70.4, 67.6, 68.5, 8.0, 62.7, 67.8, 67.0, 67.9, 49.6, 48.3, 50.9, 44.7, 12.4, 9.8, 9.4];
const HEAVY_BASE = 4.2 / 70.4;
const toAct = (h: number[], peak: number, base: number) => h.map((v) => Math.max(0, (v / peak - base) / (1 - base)));
const heavyWork = toAct(STEEL_WD, 70.4, HEAVY_BASE);
// A worked weekend day runs the day shift only (the plant's Saturday mean is ~half its weekday day shift).
const heavySat = heavyWork.map((v, h) => (h >= 8 && h < 17 ? v : h === 17 ? v * 0.25 : Math.min(v, 0.06)));

export const SHAPES: Record<ProfileKind, Shape> = {
  one_shift: {
    work: [0, 0, 0, 0, 0, 0, 0.05, 0.35, 1, 1, 1, 0.97, 0.35, 0.95, 1, 1, 0.95, 0.55, 0.15, 0.08, 0.05, 0.03, 0, 0],
    satOn: [0, 0, 0, 0, 0, 0, 0.05, 0.3, 0.9, 0.95, 0.95, 0.9, 0.3, 0.7, 0.7, 0.6, 0.4, 0.15, 0.05, 0, 0, 0, 0, 0],
    rest: new Array(24).fill(0),
    sunWorkP: 0.03,
    holidayKeep: 0,
    baseRange: [0.1, 0.25],
  },
  two_shift: {
    work: [0.08, 0.03, 0, 0, 0, 0.05, 0.45, 0.9, 1, 1, 1, 0.97, 0.6, 0.97, 1, 1, 0.95, 0.75, 0.9, 0.95, 0.95, 0.9, 0.55, 0.2],
    satOn: [0.05, 0, 0, 0, 0, 0.05, 0.4, 0.85, 0.95, 0.95, 0.95, 0.9, 0.55, 0.9, 0.9, 0.9, 0.85, 0.6, 0.5, 0.45, 0.4, 0.3, 0.15, 0.05],
    rest: new Array(24).fill(0),
    sunWorkP: 0.05,
    holidayKeep: 0,
    baseRange: [0.2, 0.4],
  },
  three_shift: {
    work: [0.8, 0.95, 0.95, 0.95, 0.93, 0.93, 0.95, 0.97, 0.8, 1, 1, 1, 0.85, 1, 1, 1, 0.8, 0.97, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95],
    satOn: new Array(24).fill(0.9),
    rest: new Array(24).fill(0.85),
    sunWorkP: 0,
    holidayKeep: 0.7,
    baseRange: [0.75, 0.95],
  },
  heavy: {
    work: heavyWork,
    satOn: heavySat,
    rest: new Array(24).fill(0),
    sunWorkP: 0.17,
    holidayKeep: 0,
    baseRange: [HEAVY_BASE * 0.9, HEAVY_BASE * 1.1],
  },
};

/** Chance a Saturday is worked, per profile (per enterprise it varies around this). */
export const SAT_WORK_P: Record<ProfileKind, number> = { one_shift: 0.35, two_shift: 0.5, three_shift: 1, heavy: 0.5 };

export const PROFILE_INDEX: Record<ProfileKind, number> = { one_shift: 0, two_shift: 1, three_shift: 2, heavy: 3 };

/** Pre-expanded 96-slot tables per profile and day shape (0 work, 1 satOn, 2 rest), for the hot loop. */
const SLOTS = 96;
export const SLOT_TABLE: Float32Array[] = PROFILE_KINDS.map((k) => {
  const s = SHAPES[k];
  const t = new Float32Array(3 * SLOTS);
  [s.work, s.satOn, s.rest].forEach((hours, d) => {
    for (let q = 0; q < SLOTS; q++) {
      const h = Math.floor(q / 4);
      let v = hours[h]!;
      // A shift does not start on the stroke of the hour: the first quarter of a rising hour is part-way up.
      if (q % 4 === 0 && k !== 'heavy') v = 0.5 * (v + hours[(h + 23) % 24]!);
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
