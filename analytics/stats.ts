import { median as ssMedian } from 'simple-statistics';
import { REGISTER_MAX_KWH } from '../src/schemas/reading.js';

/** Pure maths of the analyzer (style.md §10): no state, no I/O, tested with tables of known answers. */

/** One register step: the register wraps from 999999.99 to 0 (DL/T 645 XXXXXX.XX). */
const WRAP = REGISTER_MAX_KWH + 0.01;

/**
 * Register difference between two consecutive readings, in register kWh (secondary side).
 * Returns NaN when no consumption can be claimed: a fall that is not a wrap is a reset or a meter
 * replacement, and a rise beyond `maxStepKwh` is implausible. Never invents consumption.
 */
export function registerDelta(prev: number, cur: number, maxStepKwh = Infinity): number {
  let d = cur - prev;
  if (d < 0) {
    // Wrap only when the old value was near the top and the new one near zero.
    if (prev > WRAP * 0.9 && cur < WRAP * 0.1) d += WRAP;
    else return Number.NaN;
  }
  if (d > maxStepKwh) return Number.NaN;
  return Math.round(d * 1000) / 1000;
}

/** Median of the numbers that are not NaN (simple-statistics); NaN when none. */
export function median(xs: ArrayLike<number>): number {
  const a = Array.from(xs).filter((x) => !Number.isNaN(x));
  return a.length === 0 ? Number.NaN : ssMedian(a);
}

/** Linear-interpolated quantile (R type 7). */
export function quantile(xs: ArrayLike<number>, q: number): number {
  const a = Array.from(xs).filter((x) => !Number.isNaN(x)).sort((p, r) => p - r);
  if (a.length === 0) return Number.NaN;
  const h = (a.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(a.length - 1, lo + 1);
  return a[lo]! + (h - lo) * (a[hi]! - a[lo]!);
}

/**
 * One step of a one-sided (downward) CUSUM on a normalised residual z = (expected − actual) / σ:
 * S ← max(0, S + min(z, zCap) − k). Winsorising z bounds what one interval can add, so no single
 * interval opens an alert when h > zCap − k.
 */
export function cusumStep(s: number, z: number, k: number, zCap = Infinity): number {
  const v = s + Math.min(z, zCap) - k;
  return v > 0 ? v : 0;
}

/** Normalised downward residual with a relative noise floor. */
export function residual(actual: number, expected: number, relNoise: number, absFloor = 1e-6): number {
  const sigma = Math.max(relNoise * expected, absFloor);
  return (expected - actual) / sigma;
}

/**
 * Huber-clipped exponential update of a baseline value: b + α·clip(x − b, ±c·σ). With a small α this
 * behaves like a running median of the slot (an M-estimator): a single outlier moves it by at most α·c·σ.
 */
export function robustUpdate(b: number, x: number, alpha: number, clip: number): number {
  let d = x - b;
  if (d > clip) d = clip;
  else if (d < -clip) d = -clip;
  return b + alpha * d;
}

/** Two decimals, for alert evidence and index points. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
