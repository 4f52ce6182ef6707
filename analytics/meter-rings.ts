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
/**
 * A register spread evenly between a coarse meter's two readings is provisional, kept as −(r+1) − SPREAD
 * until its interval has been learned from (then plain provisional): the engine learns a spread interval
 * once, in the replay that follows the fill (its first evaluation had no data). Bands: real ≥ 0,
 * provisional (−1e8−1, −1], stuck (−STUCK−1e8−1, −STUCK−1], spread (−SPREAD−1e8−1, −SPREAD−1], EMPTY.
 */
const SPREAD = 0x20000000;
/**
 * A meter whose readings come less often than the analyzer's interval: it is judged at its own spacing,
 * its consumption between two readings spread evenly over the intervals in between (up to an hour).
 */
export interface CoarseMeter {
  meter: string;
  /** Spacing of its readings (ms): from the registry's intervalMinutes, or the spacing that showed it. */
  spacingMs: number;
  /** The analyzer's interval (ms). */
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

/** The register (centi-kWh) a ring slot holds, real, provisional or spread; −1 when empty or stuck. */
function registerValue(x: number): number {
  if (x >= 0) return x;
  if (x > -STUCK) return -x - 1;
  if (x <= -SPREAD && x !== EMPTY) return -x - 1 - SPREAD;
  return -1;
}

/** What the rings count (the engine's counters object). */
type RingCounters = Record<'readings' | 'duplicates' | 'tooLate' | 'lateFilled' | 'resets' | 'stuckRegister' | 'coarseMeters' | 'unusableEnergy' | 'spreadIntervals', number>;

export interface RingDeps {
  logger?: { info: (o: object, m?: string) => void; warn: (o: object, m?: string) => void };
  onCoarseData?: (c: CoarseMeter) => void;
}

export class MeterRings {
  mReg = new Int32Array(0); // W per meter; register in centi-kWh (exact to 999999.99); EMPTY, −(r+1) provisional (quality 'estimated'), −(r+1) − STUCK, or −(r+1) − SPREAD
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
  private readonly perHour: number;

  constructor(private readonly o: Pick<ResolvedOptions, 'intervalMs' | 'windowIntervals' | 'stuckRegisterMinKwh'>, private readonly counters: RingCounters, private readonly deps: RingDeps) {
    this.I = o.intervalMs;
    this.W = o.windowIntervals;
    this.intervalHours = o.intervalMs / 3_600_000;
    this.perHour = 3_600_000 / o.intervalMs;
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

  /**
   * The registry says meter m is read every spacingMs (or its interval energy says its period), coarser
   * than the interval: listed at once (logged, counted), so its silence between readings is allowed for.
   */
  declaredCoarse(meter: string, spacingMs: number, ts: number, by: 'registry' | 'interval energy' = 'registry'): void {
    if (spacingMs <= this.I || this.coarse.has(meter)) return;
    const c: CoarseMeter = { meter, spacingMs, intervalMs: this.I, sinceTs: ts };
    this.coarse.set(meter, c);
    this.counters.coarseMeters++;
    this.deps.logger?.warn({ ...c, by }, 'analytics: meter read less often than the interval: judged at its own interval, its consumption spread evenly between readings');
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
    if (span > 1 && !this.coarse.has(r.meter)) this.declaredCoarse(r.meter, span * I, r.ts, 'interval energy');
    const cents = Math.round((energy ? r.intervalEnergyKwh! : r.energyKwh!) * 100);
    let v = provisional ? -cents - 1 : cents;
    // Power as a cross-check of the register: a register that has not moved over an interval while the
    // meter reports load at its end is stuck (a meter fault), not a stop. Its value is not used (a gap:
    // nothing is invented), so the fault cannot read as a halt.
    if (!energy && !provisional && r.powerKw !== undefined && r.powerKw * this.intervalHours >= this.o.stuckRegisterMinKwh && k - 1 > last - W && k - 1 <= last) {
      const p = this.mReg[base + ((k - 1) % W)]!;
      const prev = p >= 0 ? p : p < -STUCK && p > -SPREAD ? -p - 1 - STUCK : -1;
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
      // A coarse period (hourly energy, or hourly registers of a coarse meter) is spread over its intervals.
      // Interval energy says its own period; registers are spread only for a meter known to be coarse.
      const from = energy ? this.spread(base, k - span, k, Math.min(span, this.perHour))
        : gap > 1 && gap < W && !wasEnergy ? this.spread(base, last, k, this.spreadLimit(r.meter)) : k;
      return from <= evalBin ? from : NONE;
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
        if (cur !== EMPTY) this.rebase(base, k, last, registerValue(v) - registerValue(cur));
      }
      this.mReg[base + (k % W)] = v;
      this.counters.lateFilled++;
      return k <= evalBin ? k : NONE;
    }
    this.counters.duplicates++;
    return NONE;
  }

  /**
   * Intervals a register gap may be spread over for this meter: its spacing (registry or inferred) up to an
   * hour; 1 (nothing spread) for a meter not known to be coarse. A longer gap is a real gap.
   */
  private spreadLimit(meter: string): number {
    const c = this.coarse.get(meter);
    return c === undefined ? 1 : Math.min(Math.round(c.spacingMs / this.I), this.perHour);
  }

  /**
   * Fills the boundaries between lo and k with the register interpolated linearly, flagged spread
   * (provisional: a real reading for one of them still wins). Only over a whole period of at most `limit`
   * intervals whose two ends are known and did not fall (a reset or a wrap stays a gap). Returns the first
   * boundary whose interval gained data (k when nothing was spread).
   */
  private spread(base: number, lo: number, k: number, limit: number): number {
    const W = this.W, g = k - lo;
    if (g < 2 || g > limit || lo < k - W + 1) return k;
    const r0 = registerValue(this.mReg[base + (lo % W)]!), r1 = registerValue(this.mReg[base + (k % W)]!);
    if (r0 < 0 || r1 < r0) return k;
    for (let i = 1; i < g; i++) {
      if (this.mReg[base + ((lo + i) % W)] !== EMPTY) return k;
    }
    for (let i = 1; i < g; i++) this.mReg[base + ((lo + i) % W)] = -(r0 + Math.round(((r1 - r0) * i) / g)) - 1 - SPREAD;
    this.counters.spreadIntervals += g - 1;
    return lo + 1;
  }

  /**
   * A provisional synthetic register at k (a chain started with its predecessor unknown, or an estimated
   * period) was replaced by a known one: the registers chained onto it after k move by d (centi-kWh), up to
   * the next gap or provisional register, so the periods after it keep their energy and the one at k is
   * used instead of reading as a fallen register.
   */
  private rebase(base: number, k: number, last: number, d: number): void {
    if (d === 0) return;
    const W = this.W;
    for (let j = k + 1; j <= last; j++) {
      const x = this.mReg[base + (j % W)]!;
      const spread = x <= -SPREAD && x !== EMPTY;
      if (x < 0 && !spread) return;
      const r = (((registerValue(x) + d) % WRAP_CENTS) + WRAP_CENTS) % WRAP_CENTS;
      this.mReg[base + (j % W)] = spread ? -r - 1 - SPREAD : r;
    }
  }

  /**
   * Interval b of meter m was spread (a coarse meter) and not yet learned from: true once, then it is an
   * ordinary provisional register. The engine learns such an interval in the replay after the fill.
   */
  settle(m: number, b: number): boolean {
    const j = m * this.W + (b % this.W);
    const x = this.mReg[j]!;
    if (x > -SPREAD || x === EMPTY) return false;
    this.mReg[j] = x + SPREAD;
    return true;
  }

  /** A rejected reading of meter m at ts: it is alive. Not beyond the window ahead of evaluation (a clock far off must not keep a meter "alive"). */
  heard(m: number, ts: number, evalBin: number): void {
    const k = Math.round(ts / this.I);
    if (k > this.mHeard[m]! && (evalBin === NONE || k <= evalBin + this.W)) this.mHeard[m] = k;
  }

  /**
   * The synthetic register at boundary k: the one at k − span plus the period's energy (wrapping like a
   * DL/T 645 register). With no register at k − span, a live reading starts a chain there at a provisional
   * 0 (a late period ending there still replaces it: rebase); a late one is not used (EMPTY): an
   * out-of-order period whose predecessor is unknown is a gap, never invented.
   */
  private chainEnergy(base: number, k: number, span: number, cents: number, provisional: boolean, start: boolean): number {
    const j = base + ((k - span) % this.W);
    let p = registerValue(this.mReg[j]!);
    if (p < 0) {
      if (!start) return EMPTY;
      p = 0;
      this.mReg[j] = -1;
    }
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
    this.deps.logger?.warn(c, 'analytics: meter data coarser than the interval: judged at its own interval, its consumption spread evenly between readings');
    this.deps.onCoarseData?.(c);
  }

  private fineReading(m: number, meter: string): void {
    this.mCoarse[m] &= ENERGY_MODE;
    if (this.coarse.delete(meter)) this.deps.logger?.info({ meter }, 'analytics: meter data at the interval again');
  }

  /**
   * Intervals between the readings of meter m (silence and outages allow for it): a coarse meter's spacing;
   * an hour's worth while it is unknown — its last reading followed a gap, or was its first, so it may be a
   * coarse meter not yet recognised (four readings); else 1.
   */
  spacing(m: number, meter: string | undefined): number {
    const c = this.coarse.size === 0 || meter === undefined ? undefined : this.coarse.get(meter);
    if (c !== undefined) return Math.max(1, Math.round(c.spacingMs / this.I));
    const last = this.mLast[m]!;
    return last !== NONE && this.mReg[m * this.W + ((last - 1) % this.W)] === EMPTY ? this.perHour : 1;
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
    const r1 = registerValue(this.mReg[m * W + (b % W)]!);
    const r0 = registerValue(this.mReg[m * W + ((b - 1) % W)]!);
    if (r1 < 0 || r0 < 0) return Number.NaN; // missing or stuck
    const d = r1 >= r0 ? (r1 - r0) / 100 : registerDelta(r0 / 100, r1 / 100);
    if (Number.isNaN(d)) {
      this.counters.resets++;
      return d;
    }
    return d * this.mCt[m]!;
  }
}
