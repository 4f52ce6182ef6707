import type { EnrichedReading } from '../src/schemas/reading.js';
import type { ResolvedOptions } from './options.js';
import { registerDelta } from './stats.js';
import { grow } from './typed-arrays.js';

/**
 * Each meter's register ring (W boundaries, centi-kWh in an Int32Array), the last boundary it sent data
 * and the last it was heard through a rejected reading, its CT, and whether its data is coarser than the
 * interval or interval energy. Struct-of-arrays by the engine's dense meter number; field names are the
 * checkpoint's (analytics/checkpoint.ts). Consumption in interval b is register(b) − register(b−1) × CT.
 */

/** Empty register slot (registers are stored as centi-kWh in an Int32Array). */
const EMPTY = -0x80000000;
/** A register judged stuck is kept (to recognise the next stuck reading) as −(r+1) − STUCK; deltas treat it as a gap. */
const STUCK = 0x10000000;
/** A meter whose readings come less often than the analyzer's interval: its consumption cannot be split into intervals. */
export interface CoarseMeter {
  meter: string;
  /** Spacing of its last readings (ms). */
  spacingMs: number;
  /** The analyzer's interval (ms): set analytics.intervalMinutes to the spacing (or finer data) to judge it. */
  intervalMs: number;
  /** Device time of the reading that showed it. */
  sinceTs: number;
}

/** mCoarse: low 7 bits the run of coarse readings, the top bit set while the meter sends interval energy. */
const COARSE_COUNT = 0x7f;
const ENERGY_MODE = 0x80;
/** Synthetic registers (interval energy chained) wrap like a DL/T 645 register: 999999.99 + 0.01 kWh in centi-kWh. */
const WRAP_CENTS = 100_000_000;
/** Readings in a row spaced wider than the interval before a meter counts as coarse (one hour of hourly data is not enough to tell a gap). */
const COARSE_AFTER = 4;

const NONE = -1;

/** What the rings count (the engine's counters object). */
type RingCounters = Record<'readings' | 'duplicates' | 'tooLate' | 'lateFilled' | 'resets' | 'stuckRegister' | 'coarseMeters' | 'unusableEnergy', number>;

export interface RingDeps {
  logger?: { info: (o: object, m?: string) => void; warn: (o: object, m?: string) => void };
  onCoarseData?: (c: CoarseMeter) => void;
}

export class MeterRings {
  mReg = new Int32Array(0); // W per meter; register in centi-kWh (exact to 999999.99); EMPTY, −(r+1) provisional (quality 'estimated'), or −(r+1) − STUCK
  mLast = new Int32Array(0); // last boundary with data
  mHeard = new Int32Array(0); // last boundary it sent a reading the pipeline rejected (alive, no usable data)
  mCt = new Float32Array(0);
  /** Readings in a row that came more than one interval after the previous one (saturating), and the interval-energy bit. */
  mCoarse = new Uint8Array(0);
  /** Meters currently sending coarse data (few; bounded by the meters). */
  private readonly coarse = new Map<string, CoarseMeter>();
  private readonly unusableWarned = new Set<string>();
  private readonly I: number;
  private readonly W: number;
  private readonly intervalHours: number;

  constructor(private readonly o: Pick<ResolvedOptions, 'intervalMs' | 'windowIntervals' | 'stuckRegisterMinKwh'>, private readonly counters: RingCounters, private readonly deps: RingDeps) {
    this.I = o.intervalMs;
    this.W = o.windowIntervals;
    this.intervalHours = o.intervalMs / 3_600_000;
  }

  grow(n: number): void {
    this.mReg = grow(this.mReg, n * this.W, EMPTY);
    this.mLast = grow(this.mLast, n, NONE);
    this.mHeard = grow(this.mHeard, n, NONE);
    this.mCt = grow(this.mCt, n, 1);
    this.mCoarse = grow(this.mCoarse, n);
  }

  /** A new meter in slot m. */
  reset(m: number): void {
    this.mReg.fill(EMPTY, m * this.W, m * this.W + this.W);
    this.mLast[m] = NONE;
    this.mHeard[m] = NONE;
    this.mCoarse[m] = 0;
  }

  /** The registry says meter m is read every spacingMs, coarser than the interval: listed at once (logged, counted). */
  declaredCoarse(meter: string, spacingMs: number, ts: number): void {
    if (spacingMs <= this.I || this.coarse.has(meter)) return;
    const c: CoarseMeter = { meter, spacingMs, intervalMs: this.I, sinceTs: ts };
    this.coarse.set(meter, c);
    this.counters.coarseMeters++;
    this.deps.logger?.warn(c, 'analytics: the registry reads this meter less often than the interval, its consumption cannot be judged: set analytics.intervalMinutes to its interval');
    this.deps.onCoarseData?.(c);
  }

  /** An evicted meter. */
  forget(meter: string): void {
    this.coarse.delete(meter);
  }

  /**
   * Files one reading of meter m (O(1), no allocation). Returns the boundary its enterprise must be
   * re-evaluated from when it lands at or before evalBin, else NONE.
   */
  file(m: number, r: EnrichedReading, evalBin: number): number {
    const I = this.I, W = this.W;
    this.mCt[m] = r.ctMultiplier;
    const k = Math.round(r.ts / I);
    const last = this.mLast[m]!;
    const base = m * W;
    const provisional = r.quality !== undefined && r.quality.includes('estimated');
    this.counters.readings++;
    // Interval energy (kWh over the period ending at ts) is chained onto the meter's register ring as a
    // synthetic register: the period must be whole intervals, shorter than the window.
    const energy = r.energyKwh === undefined;
    const span = energy ? ((r.intervalMinutes ?? 0) * 60_000) / I : 0;
    if (energy && (!Number.isInteger(span) || span < 1 || span >= W)) { this.unusableEnergy(r); return NONE; }
    const cents = Math.round((energy ? r.intervalEnergyKwh! : r.energyKwh!) * 100);
    let v = provisional ? -cents - 1 : cents;
    // Power as a cross-check of the register: a register that has not moved over an interval while the
    // meter reports load at its end is stuck (a meter fault), not a stop. Its value is not used (a gap:
    // nothing is invented), so the fault cannot read as a halt.
    if (!energy && !provisional && r.powerKw !== undefined && r.powerKw * this.intervalHours >= this.o.stuckRegisterMinKwh && k - 1 > last - W && k - 1 <= last) {
      const p = this.mReg[base + ((k - 1) % W)]!;
      const prev = p >= 0 ? p : p < -STUCK && p !== EMPTY ? -p - 1 - STUCK : -1;
      if (prev === cents) { v = -cents - 1 - STUCK; this.counters.stuckRegister++; }
    }
    if (k > last) {
      const gap = last === NONE ? W : k - last;
      if (gap > 1 && gap < W) this.spacedReading(m, r, gap);
      else if (gap === 1 && (this.mCoarse[m]! & COARSE_COUNT) !== 0) this.fineReading(m, r.meter);
      const wasEnergy = (this.mCoarse[m]! & ENERGY_MODE) !== 0;
      // Back from interval energy to a register: the register is not the synthetic one, start afresh (a gap, nothing invented).
      if (gap >= W || (wasEnergy && !energy)) this.mReg.fill(EMPTY, base, base + W);
      else for (let j = last + 1; j < k; j++) this.mReg[base + (j % W)] = EMPTY;
      if (wasEnergy !== energy) this.mCoarse[m] = (this.mCoarse[m]! & COARSE_COUNT) | (energy ? ENERGY_MODE : 0);
      if (energy) v = this.chainEnergy(base, k, span, cents, provisional, true);
      this.mReg[base + (k % W)] = v;
      this.mLast[m] = k;
      return k <= evalBin ? k : NONE;
    }
    if (k <= last - W) {
      this.counters.tooLate++;
      return NONE;
    }
    const cur = this.mReg[base + (k % W)]!;
    // First real value wins; a real value replaces a provisional (estimated) one.
    if (cur === EMPTY || (cur < 0 && !provisional)) {
      if (energy) {
        if (k - span <= last - W || (this.mCoarse[m]! & ENERGY_MODE) === 0) { this.counters.duplicates++; return NONE; }
        v = this.chainEnergy(base, k, span, cents, provisional, false);
        if (v === EMPTY) { this.counters.duplicates++; return NONE; }
      }
      this.mReg[base + (k % W)] = v;
      this.counters.lateFilled++;
      return k <= evalBin ? k : NONE;
    }
    this.counters.duplicates++;
    return NONE;
  }

  /** A rejected reading of meter m at ts: it is alive. Not beyond the window ahead of evaluation (a clock far off must not keep a meter "alive"). */
  heard(m: number, ts: number, evalBin: number): void {
    const k = Math.round(ts / this.I);
    if (k > this.mHeard[m]! && (evalBin === NONE || k <= evalBin + this.W)) this.mHeard[m] = k;
  }

  /**
   * The synthetic register at boundary k: the one at k − span plus the period's energy (wrapping like a
   * DL/T 645 register). With no register at k − span, a live reading starts a chain there at 0; a late one
   * is not used (EMPTY): an out-of-order period is a gap, never invented.
   */
  private chainEnergy(base: number, k: number, span: number, cents: number, provisional: boolean, start: boolean): number {
    const j = base + ((k - span) % this.W);
    let p = this.mReg[j]!;
    if (p === EMPTY || p < -STUCK) {
      if (!start) return EMPTY;
      p = 0;
      this.mReg[j] = 0;
    } else if (p < 0) p = -p - 1;
    const s = (p + cents) % WRAP_CENTS;
    return provisional ? -s - 1 : s;
  }

  /** Interval energy over a period that is not whole intervals (or longer than the window): counted, logged once per meter. */
  private unusableEnergy(r: EnrichedReading): void {
    this.counters.unusableEnergy++;
    if (this.unusableWarned.has(r.meter) || this.unusableWarned.size > 10_000) return;
    this.unusableWarned.add(r.meter);
    this.deps.logger?.warn({ meter: r.meter, intervalMinutes: r.intervalMinutes, analyzerIntervalMinutes: this.I / 60_000 }, 'analytics: interval energy over a period that is not a whole number of analyzer intervals (shorter than its window): not used');
  }

  /**
   * A reading more than one interval after the previous one. Several in a row (hourly data at 15 minutes):
   * no interval has both its registers, so nothing can be judged. Said once per meter, never silently.
   */
  private spacedReading(m: number, r: EnrichedReading, gap: number): void {
    const n = this.mCoarse[m]! & COARSE_COUNT;
    if (n < COARSE_COUNT) this.mCoarse[m] = (this.mCoarse[m]! & ENERGY_MODE) | (n + 1);
    if (n + 1 !== COARSE_AFTER || this.coarse.has(r.meter)) return;
    const c: CoarseMeter = { meter: r.meter, spacingMs: gap * this.I, intervalMs: this.I, sinceTs: r.ts };
    this.coarse.set(r.meter, c);
    this.counters.coarseMeters++;
    this.deps.logger?.warn(c, 'analytics: meter data coarser than the interval, its consumption cannot be judged: set analytics.intervalMinutes (or the meter\'s intervalMinutes) to its spacing');
    this.deps.onCoarseData?.(c);
  }

  private fineReading(m: number, meter: string): void {
    this.mCoarse[m] &= ENERGY_MODE;
    if (this.coarse.delete(meter)) this.deps.logger?.info({ meter }, 'analytics: meter data at the interval again');
  }

  /** Meters whose data is coarser than the interval (for the API and /readyz). */
  coarseMeters(): CoarseMeter[] {
    return [...this.coarse.values()];
  }

  loadCoarse(cs: readonly CoarseMeter[] | undefined): void {
    this.coarse.clear();
    for (const c of cs ?? []) this.coarse.set(c.meter, c);
  }

  /** Consumption (primary kWh) of meter m in interval b, NaN when it cannot be claimed. */
  delta(m: number, b: number): number {
    const W = this.W;
    const last = this.mLast[m]!;
    if (b > last || b - 1 <= last - W) return Number.NaN;
    let r1 = this.mReg[m * W + (b % W)]!;
    let r0 = this.mReg[m * W + ((b - 1) % W)]!;
    if (r1 < -STUCK || r0 < -STUCK) return Number.NaN; // missing or stuck
    if (r1 < 0) r1 = -r1 - 1;
    if (r0 < 0) r0 = -r0 - 1;
    const d = r1 >= r0 ? (r1 - r0) / 100 : registerDelta(r0 / 100, r1 / 100);
    if (Number.isNaN(d)) {
      this.counters.resets++;
      return d;
    }
    return d * this.mCt[m]!;
  }
}
