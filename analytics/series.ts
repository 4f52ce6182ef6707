import { grow } from './typed-arrays.js';

/**
 * Each enterprise's recent intervals: actual kWh of its covered meters (`eA`) and their expected kWh (`eE`),
 * a ring of W intervals per enterprise (NaN: no data / unknown). The engine writes it once per interval;
 * detectors read it. Field names are the checkpoint's (analytics/checkpoint.ts).
 */
export class EnterpriseSeries {
  eA = new Float32Array(0);
  eE = new Float32Array(0);
  /** actual and expected of the last hour, filled by hourSums. */
  readonly sums: [number, number] = [0, 0];

  /** W: intervals kept; perHour: intervals in one hour (1 for hourly data). */
  constructor(readonly W: number, readonly perHour: number) {}

  grow(n: number): void {
    this.eA = grow(this.eA, n * this.W, Number.NaN);
    this.eE = grow(this.eE, n * this.W, Number.NaN);
  }

  reset(e: number): void {
    this.eA.fill(Number.NaN, e * this.W, e * this.W + this.W);
    this.eE.fill(Number.NaN, e * this.W, e * this.W + this.W);
  }

  actual(e: number, b: number): number {
    return this.eA[e * this.W + (b % this.W)]!;
  }
  expected(e: number, b: number): number {
    return this.eE[e * this.W + (b % this.W)]!;
  }

  /** actual and expected over the hour ending with interval b (b's own values given) into `sums`; false when any is unknown. */
  hourSums(e: number, b: number, A: number, E: number): boolean {
    let sa = A, se = E;
    for (let k = b - this.perHour + 1; k < b; k++) {
      const j = e * this.W + (k % this.W);
      const a = this.eA[j]!, x = this.eE[j]!;
      if (Number.isNaN(a) || Number.isNaN(x)) return false;
      sa += a; se += x;
    }
    this.sums[0] = sa; this.sums[1] = se;
    return true;
  }
}
