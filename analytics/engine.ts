import type { EnrichedReading } from '../src/schemas/reading.js';
import { AlertBook } from './alerts.js';
import { MeterBaselines, shapeIndex } from './baseline.js';
import { HOLIDAY, ordinaryPattern, PATTERN_MASK, SF_RETURN, SF_WINDOW, type Calendar } from './calendar.js';
import { ChainRollup, type ChainHost } from './chains.js';
import { checkFormat, CHECKPOINT_VERSION, decodeTyped, encodeTyped } from './checkpoint.js';
import { CountySlowdown, type CountyHost } from './county.js';
import { DAY_RING, DeclineWatch, type DeclineHost } from './decline.js';
import type { ResolvedOptions } from './options.js';
import { OutageDetector, type OutageHost } from './outages.js';
import { ProductionIndex } from './production-index.js';
import { RegistryView } from './registry-view.js';
import { OfflineAlerts, type SilenceHost } from './silence.js';
import { cusumStep, registerDelta, round2 } from './stats.js';
import { grow } from './typed-arrays.js';
import type { Alert, IndexPoint, RegistryLike } from './types.js';

/**
 * The streaming analyzer's core: struct-of-arrays state indexed by dense meter and enterprise numbers
 * (one typed-array cell per entity per field, no object per meter), evaluated interval by interval.
 *
 * Interval b is the 15-minute interval that ENDS at b·I; a meter's consumption in it is
 * register(b) − register(b−1) × CT. Registers live in a ring of W boundaries per meter, so late readings
 * within W intervals fill their slot and the enterprise is re-evaluated from there.
 */

/** Empty register slot (registers are stored as centi-kWh in an Int32Array). */
const EMPTY = -0x80000000;
/** A register judged stuck is kept (to recognise the next stuck reading) as −(r+1) − STUCK; deltas treat it as a gap. */
const STUCK = 0x10000000;
const NONE = -1;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const KIND_HALT = 1;
const KIND_CUT = 2;

export interface EngineDeps {
  calendar: Calendar;
  registry?: () => RegistryLike | undefined;
  logger?: { info: (o: object, m?: string) => void; warn: (o: object, m?: string) => void };
}

export interface EngineCounters {
  readings: number;
  duplicates: number;
  tooLate: number;
  lateFilled: number;
  resets: number;
  reEvaluations: number;
  evicted: number;
  /** Readings whose register had not moved since the previous interval while their power said the load ran. */
  stuckRegister: number;
}

function toOffset(b: number, start: number): number {
  return start === NONE ? -1 : Math.min(32767, b - start);
}
function fromOffset(b: number, off: number): number {
  return off < 0 ? NONE : b - off;
}

export class Engine {
  readonly book: AlertBook;
  readonly counters: EngineCounters = { readings: 0, duplicates: 0, tooLate: 0, lateFilled: 0, resets: 0, reEvaluations: 0, evicted: 0, stuckRegister: 0 };
  private readonly I: number;
  private readonly intervalHours: number;
  private readonly W: number;
  private readonly tz: number;

  // ---- meters (dense index m) ----
  private mCap = 0;
  private mHigh = 0;
  private readonly meterIndex = new Map<string, number>();
  private meterIds: (string | undefined)[] = [];
  private freeM: number[] = [];
  private mReg = new Int32Array(0); // W per meter; register in centi-kWh (exact to 999999.99); EMPTY, −(r+1) provisional (quality 'estimated'), or −(r+1) − STUCK
  private mLast = new Int32Array(0); // last boundary with data
  private mHeard = new Int32Array(0); // last boundary it sent a reading the pipeline rejected (alive, no usable data)
  private mEnt = new Int32Array(0);
  private mGw = new Int32Array(0);
  private mNext = new Int32Array(0); // next meter of the same enterprise
  private mCt = new Float32Array(0);
  private readonly baselines: MeterBaselines;

  // ---- gateways ----
  private readonly gwIndex = new Map<string, number>();
  private gwIds: string[] = [];

  // ---- enterprises (dense index e) ----
  private eCap = 0;
  private eHigh = 0;
  private readonly entIndex = new Map<string, number>();
  private entIds: (string | undefined)[] = [];
  private freeE: number[] = [];
  private eHead = new Int32Array(0);
  private eCounty = new Int32Array(0);
  private eChain = new Int32Array(0);
  private eNoise = new Float32Array(0);
  /** Running 2 % quantile of the enterprise's 1-hour actual/expected ratio: how low it goes in ordinary times. */
  private eQlo = new Float32Array(0);
  /** Relative noise per hour of working days (24 per enterprise), × 200 in a byte; other days use eNoise. */
  private eHourNoise = new Uint8Array(0);
  private ePeak = new Float32Array(0);
  /** Day number of the last drop episode (slow decline is kept apart from sudden drops). */
  private eLastEp = new Int32Array(0);
  private eA = new Float32Array(0); // W per enterprise: actual kWh of covered meters; NaN no data
  private eE = new Float32Array(0); // W per enterprise: expected kWh of the same meters; NaN unknown
  // detector state, current + one snapshot per interval of the window (for replay)
  private dS = new Float32Array(0); private sS = new Float32Array(0);
  private dLow = new Uint8Array(0); private sLow = new Uint8Array(0);
  private dRec = new Uint8Array(0); private sRec = new Uint8Array(0);
  // Snapshots keep the episode / CUSUM-run starts as offsets back from their interval (Int16, −1 none):
  // 24 bytes less per enterprise; a start more than 341 days back is clamped there.
  private dEp = new Int32Array(0); private sEp = new Int16Array(0);
  private dRun = new Int32Array(0); private sRun = new Int16Array(0);
  private dEpA = new Float32Array(0); private sEpA = new Float32Array(0);
  private dEpE = new Float32Array(0); private sEpE = new Float32Array(0);
  private dKind = new Uint8Array(0); private sKind = new Uint8Array(0);
  private eDirty = new Int32Array(0); // first boundary to re-evaluate, or NONE
  private eOutage = new Uint8Array(0);
  private eDayA = new Float32Array(0);
  private eDayE = new Float32Array(0);
  private eDayR = new Uint8Array(0); // DAY_RING daily ratios per enterprise (ring by day): 0 none, else 1 + round(100·ratio)
  // Spring Festival return: the day (+1; 0 = not yet) an enterprise is judged as an ordinary week again,
  // and the run of working days back at its ordinary level. Today's actual vs ordinary-pattern expected
  // accumulate in eDayA/eDayE, which the window's unjudged days do not use otherwise.
  private eSfBack = new Uint16Array(0);
  private eSfRun = new Uint8Array(0);
  private eAlert: (Alert | undefined)[] = [];
  private readonly dirty = new Set<number>();
  private readonly inEpisode = new Set<number>();
  /** Recent drop episodes (for chain roll-up): start and last interval, energy over the episode. */
  private readonly recentEp = new Map<number, { start: number; last: number; A: number; E: number; active: boolean }>();

  // ---- registry-derived: planned shutdowns, leaders, supply-chain neighbours ----
  private readonly registry: RegistryView;

  // ---- chains and counties (few: dense indexes into the concerns' own state) ----
  private readonly chainIndex = new Map<string, number>();
  private chainIds: string[] = [];
  private readonly countyIndex = new Map<string, number>();

  // ---- concerns judged after the enterprises, each in its own file ----
  private readonly chains: ChainRollup;
  private readonly offline: OfflineAlerts;
  private readonly outages: OutageDetector;
  private readonly county: CountySlowdown;
  private readonly decline: DeclineWatch;
  private readonly index: ProductionIndex;

  /** Last evaluated boundary (interval end / I). */
  evalBin = NONE;
  private curHour = NONE;
  private curDay = NONE;
  private nowMs = 0;

  constructor(private readonly o: ResolvedOptions, private readonly deps: EngineDeps) {
    this.I = o.intervalMs;
    this.intervalHours = o.intervalMs / 3_600_000;
    this.W = o.windowIntervals;
    this.tz = o.tzOffsetMinutes * 60_000;
    this.book = new AlertBook(o.maxRecentAlerts);
    this.baselines = new MeterBaselines(o);
    // Typed arrays start empty and grow to the initial capacity: one place says each one's size and fill.
    this.growMeters(o.initialCapacity);
    this.growEnterprises(o.initialCapacity);
    this.registry = new RegistryView(o);
    const view = this.view();
    this.chains = new ChainRollup(o, view, this.book);
    this.offline = new OfflineAlerts(o, view, this.book);
    this.outages = new OutageDetector(o, view, this.book);
    this.county = new CountySlowdown(o, view, this.book);
    this.decline = new DeclineWatch(o, view, this.book);
    this.index = new ProductionIndex(o, this.book);
    this.refreshRegistry();
  }

  /**
   * The concerns' view of the enterprises and meters, one object that each sees through its own narrow host
   * type. Closures read the current arrays (they are replaced on growth).
   */
  private view(): ChainHost & SilenceHost & OutageHost & CountyHost & DeclineHost {
    const I = this.I, W = this.W;
    return {
      intervalMs: I, window: W, tzMs: this.tz,
      episodes: this.recentEp,
      enterprises: () => this.eHigh,
      entId: (e) => this.entIds[e],
      chainOf: (e) => this.eChain[e]!,
      chainId: (c) => this.chainIds[c] ?? '',
      countyOf: (e) => this.eCounty[e]!,
      counties: () => this.countyIndex.size,
      countyId: (c) => this.county.id(c),
      inOutage: (e) => this.eOutage[e] === 1,
      meterInOutage: (m) => this.eOutage[this.mEnt[m]!] === 1,
      countyInOutage: (c) => this.outages.active(c),
      neighbours: (e) => {
        const out: number[] = [];
        for (const id of this.registry.neighbours(this.entIds[e]!)) {
          const n = this.entIndex.get(id);
          if (n !== undefined) out.push(n);
        }
        return out;
      },
      isLeader: (e) => this.registry.isLeader(this.entIds[e]!),
      workingHourRatio: (e, b) => {
        const code = this.codeFor(e, b, this.codeOf(b));
        const pattern = code & PATTERN_MASK;
        if (pattern < 1 || pattern > 5 || (code & SF_WINDOW) !== 0 || this.eOutage[e] === 1 || this.learning(e)) return Number.NaN;
        if (this.registry.hasShutdowns() && this.registry.inShutdown(this.entIds[e]!, b * this.I - this.I)) return Number.NaN;
        const j = e * this.W + (b % this.W);
        if (!this.hourSums(e, b, this.eA[j]!, this.eE[j]!)) return Number.NaN;
        const [sa, se] = this.sums;
        return se / 4 >= this.o.minPeakShare * this.ePeak[e]! && se > 0 ? sa / se : Number.NaN;
      },
      actual: (e, b) => this.eA[e * W + (b % W)]!,
      expected: (e, b) => this.eE[e * W + (b % W)]!,
      enterpriseAlert: (e) => this.eAlert[e],
      dayCode: (b) => this.codeOf(b),
      codeFor: (e, b, code) => this.codeFor(e, b, code),
      learning: (e) => this.learning(e),
      inEpisode: (e) => this.dEp[e] !== NONE,
      evalBin: () => this.evalBin,
      dayRatios: () => this.eDayR,
      takeDay: (e, out) => {
        out[0] = this.eDayA[e]!; out[1] = this.eDayE[e]!;
        this.eDayA[e] = 0; this.eDayE[e] = 0;
      },
      meterSlots: () => this.mHigh,
      meterCount: () => this.meterIndex.size,
      meterId: (m) => this.meterIds[m],
      firstMeter: (e) => this.eHead[e]!,
      nextMeter: (m) => this.mNext[m]!,
      lastBin: (m) => this.mLast[m]!,
      heardBin: (m) => this.mHeard[m]!,
      gatewayOf: (m) => this.mGw[m]!,
      gatewayCount: () => this.gwIds.length,
      gatewayId: (g) => this.gwIds[g]!,
      // A grid outage: the detector starts afresh after it, and the alerts it explains are withdrawn.
      setOutage: (e, on) => {
        this.eOutage[e] = on ? 1 : 0;
        this.recentEp.delete(e);
      },
      resetDetector: (e) => {
        this.dS[e] = 0; this.dEp[e] = NONE; this.dRun[e] = NONE; this.dLow[e] = 0; this.dRec[e] = 0;
        this.inEpisode.delete(e);
      },
      withdrawEnterprise: (e, now) => {
        const a = this.eAlert[e];
        if (a && a.status === 'open') this.book.close(a, 'withdrawn', now, 'explained by a grid outage');
        this.eAlert[e] = undefined;
      },
      withdrawOffline: (m, now) => this.offline.explainedByOutage(m, now),
      warn: (x, msg) => this.deps.logger?.warn(x, msg),
    };
  }

  refreshRegistry(): void {
    this.registry.refresh(this.deps.registry?.());
  }

  // ------------------------------------------------------------------ dense indexes

  private chainOf(id: string): number {
    let c = this.chainIndex.get(id);
    if (c === undefined) {
      c = this.chainIds.length;
      this.chainIndex.set(id, c);
      this.chainIds.push(id);
      this.index.addChain();
    }
    return c;
  }

  private countyOf(id: string): number {
    let c = this.countyIndex.get(id);
    if (c === undefined) {
      c = this.countyIndex.size;
      this.countyIndex.set(id, c);
      this.county.add(id);
      this.index.addCounty();
    }
    return c;
  }

  private gatewayOf(id: string): number {
    let g = this.gwIndex.get(id);
    if (g === undefined) {
      g = this.gwIds.length;
      this.gwIndex.set(id, g);
      this.gwIds.push(id);
    }
    return g;
  }

  private growEnterprises(n = this.eCap * 2): void {
    const W = this.W;
    this.eHead = grow(this.eHead, n, NONE);
    this.eCounty = grow(this.eCounty, n);
    this.eChain = grow(this.eChain, n);
    this.eNoise = grow(this.eNoise, n, this.o.noiseInit);
    this.eQlo = grow(this.eQlo, n, this.o.qloInit);
    this.eHourNoise = grow(this.eHourNoise, n * 24);
    this.ePeak = grow(this.ePeak, n);
    this.eLastEp = grow(this.eLastEp, n, NONE);
    this.eA = grow(this.eA, n * W, Number.NaN);
    this.eE = grow(this.eE, n * W, Number.NaN);
    this.dS = grow(this.dS, n); this.sS = grow(this.sS, n * W);
    this.dLow = grow(this.dLow, n); this.sLow = grow(this.sLow, n * W);
    this.dRec = grow(this.dRec, n); this.sRec = grow(this.sRec, n * W);
    this.dEp = grow(this.dEp, n, NONE); this.sEp = grow(this.sEp, n * W, NONE);
    this.dRun = grow(this.dRun, n, NONE); this.sRun = grow(this.sRun, n * W, NONE);
    this.dEpA = grow(this.dEpA, n); this.sEpA = grow(this.sEpA, n * W);
    this.dEpE = grow(this.dEpE, n); this.sEpE = grow(this.sEpE, n * W);
    this.dKind = grow(this.dKind, n); this.sKind = grow(this.sKind, n * W);
    this.eDirty = grow(this.eDirty, n, NONE);
    this.eOutage = grow(this.eOutage, n);
    this.eDayA = grow(this.eDayA, n);
    this.eDayE = grow(this.eDayE, n);
    this.eDayR = grow(this.eDayR, n * DAY_RING);
    this.eSfBack = grow(this.eSfBack, n);
    this.eSfRun = grow(this.eSfRun, n);
    this.eCap = n;
  }

  private enterpriseOf(id: string, county: string, chain: string): number {
    let e = this.entIndex.get(id);
    if (e !== undefined) return e;
    e = this.freeE.pop() ?? this.eHigh++;
    if (e >= this.eCap) this.growEnterprises();
    this.entIndex.set(id, e);
    this.entIds[e] = id;
    this.eHead[e] = NONE;
    this.eCounty[e] = this.countyOf(county);
    this.county.join(this.eCounty[e]!);
    this.eChain[e] = this.chainOf(chain || 'none');
    this.resetEnterprise(e);
    return e;
  }

  private resetEnterprise(e: number): void {
    const W = this.W;
    this.eNoise[e] = this.o.noiseInit;
    this.eQlo[e] = this.o.qloInit;
    this.eHourNoise.fill(0, e * 24, e * 24 + 24);
    this.ePeak[e] = 0;
    this.eLastEp[e] = NONE;
    this.eA.fill(Number.NaN, e * W, e * W + W);
    this.eE.fill(Number.NaN, e * W, e * W + W);
    this.dS[e] = 0; this.dLow[e] = 0; this.dRec[e] = 0; this.dEp[e] = NONE; this.dRun[e] = NONE;
    this.dEpA[e] = 0; this.dEpE[e] = 0; this.dKind[e] = 0;
    this.sEp.fill(NONE, e * W, e * W + W);
    this.eDirty[e] = NONE;
    this.eOutage[e] = 0;
    this.eDayA[e] = 0; this.eDayE[e] = 0;
    this.eDayR.fill(0, e * DAY_RING, e * DAY_RING + DAY_RING);
    this.eSfBack[e] = 0; this.eSfRun[e] = 0;
    this.eAlert[e] = undefined;
    this.decline.reset(e);
  }

  private growMeters(n = this.mCap * 2): void {
    this.mReg = grow(this.mReg, n * this.W, EMPTY);
    this.mLast = grow(this.mLast, n, NONE);
    this.mHeard = grow(this.mHeard, n, NONE);
    this.mEnt = grow(this.mEnt, n, NONE);
    this.mGw = grow(this.mGw, n, NONE);
    this.mNext = grow(this.mNext, n, NONE);
    this.mCt = grow(this.mCt, n, 1);
    this.baselines.grow(n);
    this.mCap = n;
  }

  private meterOf(r: EnrichedReading): number {
    let m = this.meterIndex.get(r.meter);
    if (m !== undefined) return m;
    m = this.freeM.pop() ?? this.mHigh++;
    if (m >= this.mCap) this.growMeters();
    const e = this.enterpriseOf(r.enterprise, r.county, r.chain);
    this.meterIndex.set(r.meter, m);
    this.meterIds[m] = r.meter;
    this.mReg.fill(EMPTY, m * this.W, m * this.W + this.W);
    this.mLast[m] = NONE;
    this.mHeard[m] = NONE;
    this.mEnt[m] = e;
    this.mGw[m] = this.gatewayOf(r.gateway);
    this.mNext[m] = this.eHead[e]!;
    this.eHead[e] = m;
    this.baselines.reset(m);
    return m;
  }

  // ------------------------------------------------------------------ hot path

  /** Files readings into the per-meter register rings. O(1) per reading, no allocation for known meters. */
  ingest(rs: readonly EnrichedReading[]): void {
    const I = this.I, W = this.W;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      const m = this.meterOf(r);
      this.mCt[m] = r.ctMultiplier;
      const k = Math.round(r.ts / I);
      const last = this.mLast[m]!;
      const base = m * W;
      const provisional = r.quality !== undefined && r.quality.includes('estimated');
      const cents = Math.round(r.energyKwh * 100);
      let v = provisional ? -cents - 1 : cents;
      this.counters.readings++;
      // Power as a cross-check of the register: a register that has not moved over an interval while the
      // meter reports load at its end is stuck (a meter fault), not a stop. Its value is not used (a gap:
      // nothing is invented), so the fault cannot read as a halt.
      if (!provisional && r.powerKw !== undefined && r.powerKw * this.intervalHours >= this.o.stuckRegisterMinKwh && k - 1 > last - W && k - 1 <= last) {
        const p = this.mReg[base + ((k - 1) % W)]!;
        const prev = p >= 0 ? p : p < -STUCK && p !== EMPTY ? -p - 1 - STUCK : -1;
        if (prev === cents) { v = -cents - 1 - STUCK; this.counters.stuckRegister++; }
      }
      if (k > last) {
        const gap = last === NONE ? W : k - last;
        if (gap >= W) this.mReg.fill(EMPTY, base, base + W);
        else for (let j = last + 1; j < k; j++) this.mReg[base + (j % W)] = EMPTY;
        this.mReg[base + (k % W)] = v;
        this.mLast[m] = k;
        if (k <= this.evalBin) this.markDirty(this.mEnt[m]!, k);
      } else if (k <= last - W) {
        this.counters.tooLate++;
      } else {
        const cur = this.mReg[base + (k % W)]!;
        // First real value wins; a real value replaces a provisional (estimated) one.
        if (cur === EMPTY || (cur < 0 && !provisional)) {
          this.mReg[base + (k % W)] = v;
          this.counters.lateFilled++;
          if (k <= this.evalBin) this.markDirty(this.mEnt[m]!, k);
        } else this.counters.duplicates++;
      }
    }
  }

  /**
   * Meters that sent readings the pipeline rejected, at device (or arrival) time ts: they are talking, so
   * their silence is not a dead link (see OfflineAlerts). Only meters the analyzer already knows count.
   */
  heard(contacts: readonly { meter: string; ts: number }[]): void {
    for (let i = 0; i < contacts.length; i++) {
      const c = contacts[i]!;
      const m = this.meterIndex.get(c.meter);
      if (m === undefined) continue;
      const k = Math.round(c.ts / this.I);
      // Not beyond the window ahead of evaluation: a clock far off must not keep a meter "alive".
      if (k > this.mHeard[m]! && (this.evalBin === NONE || k <= this.evalBin + this.W)) this.mHeard[m] = k;
    }
  }

  private markDirty(e: number, k: number): void {
    const d = this.eDirty[e]!;
    if (d === NONE || k < d) this.eDirty[e] = k;
    this.dirty.add(e);
  }

  /** Consumption (primary kWh) of meter m in interval b, NaN when it cannot be claimed. */
  private meterDelta(m: number, b: number): number {
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

  // ------------------------------------------------------------------ calendar

  private dayOf(ms: number): number {
    return Math.floor((ms + this.tz) / DAY_MS);
  }
  private hourOf(ms: number): number {
    return Math.floor(((ms + this.tz) % DAY_MS) / HOUR_MS);
  }
  /** Calendar code of interval b (by its start time). */
  private codeOf(b: number): number {
    return this.deps.calendar.dayClass(this.dayOf(b * this.I - this.I));
  }

  // ------------------------------------------------------------------ evaluation

  /** Advances time: evaluates every interval whose grace has passed, re-evaluates late data, checks silence. */
  tick(nowMs: number): void {
    this.nowMs = nowMs;
    this.refreshRegistry();
    if (this.dirty.size > 0) this.reEvaluate();
    const target = Math.floor((nowMs - this.o.graceMs) / this.I);
    if (this.evalBin === NONE) {
      this.evalBin = target;
      return;
    }
    if (target <= this.evalBin) return;
    let b = Math.max(this.evalBin + 1, target - this.W + 1);
    for (; b <= target; b++) this.evaluateInterval(b);
    this.offline.check(target, this.nowMs);
  }

  private evaluateInterval(b: number): void {
    const I = this.I;
    const startMs = b * I - I;
    const code = this.codeOf(b);
    const hour = this.hourOf(startMs);
    const day = this.dayOf(startMs);
    if (this.curDay !== NONE && day !== this.curDay) this.closeDay();
    if (this.curHour !== NONE && Math.floor((startMs + this.tz) / HOUR_MS) !== this.curHour) this.closeHour();
    this.curDay = day;
    this.curHour = Math.floor((startMs + this.tz) / HOUR_MS);
    this.county.clear(b);
    const qod = this.quarterOfDay(b);
    this.deferOpen = true;
    for (let e = 0; e < this.eHigh; e++) {
      if (this.entIds[e] === undefined) continue;
      this.evalEnterprise(e, b, code, hour, qod, true);
    }
    this.evalBin = b;
    this.outages.step(b, this.nowMs);
    this.chains.step(b, this.nowMs);
    this.flushPending(b);
    this.county.step(b, this.nowMs);
  }

  private quarterOfDay(b: number): number {
    return Math.floor(((((b * this.I - this.I + this.tz) % DAY_MS) + DAY_MS) % DAY_MS) / 900_000);
  }

  /** The day class for enterprise e: an enterprise back from the Spring Festival follows its ordinary week. */
  private codeFor(e: number, b: number, code: number): number {
    if ((code & SF_WINDOW) === 0 || this.eSfBack[e] === 0) return code;
    return this.dayOf(b * this.I - this.I) + 1 >= this.eSfBack[e]! ? ordinaryPattern(code) : code;
  }

  private evalEnterprise(e: number, b: number, dayCode: number, hour: number, qod: number, first: boolean): void {
    const W = this.W, o = this.o;
    const code = this.codeFor(e, b, dayCode);
    // After the festival's statutory week, measure each working day against the ordinary week to see
    // when this enterprise is back (plants return one by one over weeks).
    const ord = ordinaryPattern(code);
    const sfCheck = first && (code & SF_RETURN) !== 0 && ord >= 1 && ord <= 5;
    const ordSlot = ord * 24 + hour, ordQ = shapeIndex(ord, qod);
    let Eo = 0, Ao = 0;
    const pattern = code & PATTERN_MASK;
    const slot = pattern * 24 + hour;
    const startMs = b * this.I - this.I;
    const q = shapeIndex(pattern, qod);
    const planned = this.registry.hasShutdowns() && this.registry.inShutdown(this.entIds[e]!, startMs);
    const suspect = this.dEp[e]! >= 0 || this.dS[e]! > o.cusumH / 2 || this.eOutage[e] === 1 || this.decline.declining(e);
    const noise = this.eNoise[e]!;
    let A = 0, E = 0, n = 0, any = false;
    for (let m = this.eHead[e]!; m !== NONE; m = this.mNext[m]!) {
      const c = this.meterDelta(m, b);
      if (Number.isNaN(c)) continue;
      any = true;
      const ex = this.baselines.expected(m, slot, pattern, q);
      if (first) {
        // The learning phase ignores detector suspicion.
        const young = this.baselines.young(m);
        this.baselines.observe(m);
        if ((!suspect || (young && this.dEp[e] === NONE)) && !planned && !((code & SF_WINDOW) && pattern < HOLIDAY)) this.baselines.learn(m, slot, q, c, noise);
      }
      if (sfCheck) {
        const eo = this.baselines.expected(m, ordSlot, ord, ordQ);
        if (!Number.isNaN(eo)) { Eo += eo; Ao += c; }
      }
      if (Number.isNaN(ex)) continue;
      A += c;
      E += ex;
      n++;
    }
    if (sfCheck && Eo > 0) { this.eDayA[e]! += Ao; this.eDayE[e]! += Eo; }
    const j = e * W + (b % W);
    this.eA[j] = any ? A : Number.NaN;
    this.eE[j] = n > 0 ? E : Number.NaN;
    this.weekendPattern = pattern === 0 || pattern === 6;
    const judged = n > 0 && !planned && pattern < HOLIDAY && (code & SF_WINDOW) === 0 && E >= o.minExpectedKwh;
    if (judged) {
      this.detect(e, b, A, E, pattern >= 1 && pattern <= 5 ? hour : -1);
      if (first && this.eOutage[e] === 0) this.county.record(this.eCounty[e]!, b, A, E);
    }
    if (first && n > 0 && !planned) {
      this.index.add(this.eChain[e]!, this.eCounty[e]!, A, E);
      // Daily ratios for the slow-decline test: working-day patterns only (weekend work is optional).
      if (pattern >= 1 && pattern <= 5 && (code & SF_WINDOW) === 0 && !this.learning(e)) {
        this.eDayA[e]! += A;
        this.eDayE[e]! += E;
      }
    }
    // Snapshot the detector after interval b so a replay can start from here.
    this.sS[j] = this.dS[e]!; this.sLow[j] = this.dLow[e]!; this.sRec[j] = this.dRec[e]!;
    this.sEp[j] = toOffset(b, this.dEp[e]!); this.sRun[j] = toOffset(b, this.dRun[e]!); this.sEpA[j] = this.dEpA[e]!;
    this.sEpE[j] = this.dEpE[e]!; this.sKind[j] = this.dKind[e]!;
  }

  /** One step of the enterprise detector: CUSUM + k-in-a-row near zero, recovery rule. */
  private detect(e: number, b: number, A: number, E: number, hs: number): void {
    const o = this.o;
    const ratio = A / E;
    // Noise in force: the enterprise's, or this hour's if that hour is usually less regular (shift starts
    // that vary day to day, an evening shift worked some days only).
    const hn = hs < 0 ? -1 : e * 24 + hs;
    const noise = hn < 0 ? this.eNoise[e]! : Math.max(this.eNoise[e]!, this.eHourNoise[hn]! / 200);
    // Slowly decaying peak of expected energy per interval (about a week's memory).
    this.ePeak[e] = Math.max(E, this.ePeak[e]! * 0.9993);
    const z = (E - A) / Math.max(noise * E, o.minExpectedKwh * 0.5);
    const S = cusumStep(this.dS[e]!, z, o.cusumK, o.zCap);
    this.dS[e] = S;
    if (S === 0) this.dRun[e] = NONE;
    else if (this.dRun[e] === NONE) this.dRun[e] = b;
    // Near zero, and clearly so for this enterprise and hour (z ≥ 2).
    const low = ratio < o.nearZeroRatio && z >= 2 ? Math.min(255, this.dLow[e]! + 1) : 0;
    this.dLow[e] = low;
    if (this.dEp[e] === NONE) {
      if (S === 0 && z > -4) {
        // Noise: EWMA of the relative absolute residual while calm (×1.25 ≈ σ for a normal error).
        const rel = Math.abs(A - E) / E;
        const en = this.eNoise[e]!;
        this.eNoise[e] = Math.min(o.noiseMax, Math.max(o.noiseMin, en + 0.02 * (1.25 * rel - en)));
      }
      if (z > -4 && hn >= 0) {
        // Hour noise learns from every interval outside an episode, unusual ones included: an hour that is
        // often far from its level (a shift worked some days only) is an irregular hour, not a run of alarms.
        const rel = Math.min(1.2, Math.abs(A - E) / E);
        const h = this.eHourNoise[hn]! / 200;
        this.eHourNoise[hn] = Math.min(255, Math.round(200 * (h + 0.05 * (1.25 * rel - h))));
      }
      // Ordinary depth: a stochastic-approximation quantile of the last hour's ratio (p = qloP).
      const r4 = this.hourRatio(e, b, A, E);
      if (!Number.isNaN(r4) && S < o.cusumH) {
        const q = this.eQlo[e]!;
        this.eQlo[e] = r4 < q ? q - o.qloRate * (1 - o.qloP) : q + o.qloRate * o.qloP;
      }
      // A cliff: this interval at or below cliffRatio right after one already below expected (a stop ramping
      // down over half an hour shows as ~0.8 then ~0.3): opens at the second interval.
      const jp = e * this.W + ((b - 1) % this.W);
      const prevRatio = this.eA[jp]! / this.eE[jp]!;
      const cliff = ratio <= o.cliffRatio && prevRatio <= 0.9 && z >= o.cliffZ;
      const trig = S >= o.cusumH || low >= o.nearZeroRun || cliff;
      if (!trig) return;
      // Weekend work is optional in many plants (Saturdays worked some weeks only): a drop that starts on a
      // weekend pattern is not opened there; if it lasts, the next working day opens it.
      if (this.weekendPattern && !o.judgeWeekends) { this.reject(e, b); return; }
      // Learning phase: the baseline is not trusted yet.
      if (this.learning(e)) { this.reject(e, b); return; }
      // An hour this plant works some days only (an evening shift run on demand) cannot tell a stop from a
      // day off; the next regular hour does. (Near-zero k-in-a-row and cliffs are judged the same way.)
      if (hn >= 0 && this.eHourNoise[hn]! / 200 > o.irregularHourNoise) { this.reject(e, b); return; }
      const start = low >= o.nearZeroRun ? b - low + 1 : cliff ? b - 1 : Math.max(this.dRun[e]!, b - this.W + 1);
      let sa = 0, se = 0, la = 0, le = 0;
      for (let k = Math.max(start, b - this.W + 1); k <= b; k++) {
        const j = e * this.W + (k % this.W);
        const a = k === b ? A : this.eA[j]!, x = k === b ? E : this.eE[j]!;
        if (Number.isNaN(a) || Number.isNaN(x)) continue;
        sa += a; se += x;
        if (k >= b - 1) { la += a; le += x; }
      }
      const epRatio = se > 0 ? sa / se : 1;
      // A drop in the plant's low-load hours says little about production; it is judged when the shift starts.
      const nBins = Math.max(1, b - Math.max(start, b - this.W + 1) + 1);
      if (le / Math.min(2, nBins) < o.minPeakShare * this.ePeak[e]!) { this.reject(e, b); return; }
      const lastRatio = le > 0 ? la / le : 1;
      // Deeper than this enterprise's ordinary dips (a noisy plant must fall further), or near zero for k intervals.
      const gate = Math.min(o.minDropRatio, this.eQlo[e]! - o.qloMargin);
      if (low < o.nearZeroRun && (epRatio > gate || lastRatio > gate)) { this.reject(e, b); return; }
      // A known slow decline explains a moderate shortfall: it is not a new sudden drop.
      if (lastRatio > o.haltRatio && this.decline.declining(e)) { this.reject(e, b); return; }
      this.dEp[e] = start;
      this.dEpA[e] = sa;
      this.dEpE[e] = se;
      this.dRec[e] = 0;
      // Halt: near zero / base load now, or still falling steeply through haltRatio (a stop half-way down its
      // ramp). A deep cut that has settled at ~30 % is not falling any more: it stays a cut.
      this.dKind[e] = ratio <= o.nearZeroRatio || (ratio <= o.haltRatio && prevRatio - ratio >= o.haltFall) ? KIND_HALT : KIND_CUT;
      // A cut on an enterprise whose working days have been sliding for a week is the trend showing, not a new drop.
      // (Only when this drop is about as deep as the slide: a step far below it is a cut of its own.)
      if (this.dKind[e] === KIND_CUT && lastRatio >= this.decline.recentRatio(e, this.curDay) - o.declineMaxStep && this.decline.trendShortfall(e, this.curDay)) {
        this.decline.open(e, this.curDay, 'a cut on top of a week-long slide', this.nowMs);
        this.dEp[e] = NONE; this.dS[e] = 0; this.dRun[e] = NONE; this.dKind[e] = 0;
        return;
      }
      this.onTrigger(e, b);
    } else {
      this.dEpA[e]! += A;
      this.dEpE[e]! += E;
      // Low-load hours (nights, an unworked weekend) say nothing about recovery: a stopped plant at base
      // load matches a night's expectation. Only hours that would be judged count, either way.
      if (E < o.minPeakShare * this.ePeak[e]!) { this.onProgress(e, b); return; }
      const rec = ratio >= o.recoverRatio ? this.dRec[e]! + 1 : 0;
      this.dRec[e] = Math.min(255, rec);
      if (rec >= o.recoverRun) {
        this.dEp[e] = NONE;
        this.dS[e] = 0;
        this.dRun[e] = NONE;
        this.dLow[e] = 0;
        this.dRec[e] = 0;
        this.onRecover(e, b);
      } else this.onProgress(e, b);
    }
  }

  private weekendPattern = false;

  private learning(e: number): boolean {
    for (let m = this.eHead[e]!; m !== NONE; m = this.mNext[m]!) if (this.baselines.young(m)) return true;
    return false;
  }

  /** actual/expected over the last four intervals (this one included), NaN when any is unknown. */
  private hourRatio(e: number, b: number, A: number, E: number): number {
    if (!this.hourSums(e, b, A, E)) return Number.NaN;
    const [sa, se] = this.sums;
    return se > 0 ? sa / se : Number.NaN;
  }

  /** actual and expected over the last four intervals (b's given) into `sums`; false when any is unknown. */
  private hourSums(e: number, b: number, A: number, E: number): boolean {
    let sa = A, se = E;
    for (let k = b - 3; k < b; k++) {
      const j = e * this.W + (k % this.W);
      const a = this.eA[j]!, x = this.eE[j]!;
      if (Number.isNaN(a) || Number.isNaN(x)) return false;
      sa += a; se += x;
    }
    this.sums[0] = sa; this.sums[1] = se;
    return true;
  }
  private readonly sums: [number, number] = [0, 0];

  /**
   * The CUSUM crossed h but the gates said no (weekend, learning, low-load hour, not deep enough): restart
   * the run at h/2 so a lasting small shortfall neither accumulates for ever (a later stop would be dated
   * from its start and diluted) nor blocks baseline learning (which pauses above h/2).
   */
  private reject(e: number, b: number): void {
    if (this.dS[e]! >= this.o.cusumH) {
      this.dS[e] = this.o.cusumH / 2;
      this.dRun[e] = b;
    }
  }

  private replaying = false;
  private replayTransitions = 0;

  private onTrigger(e: number, b: number): void {
    this.inEpisode.add(e);
    if (this.eOutage[e] === 0) this.recentEp.set(e, { start: this.dEp[e]!, last: b, A: this.dEpA[e]!, E: this.dEpE[e]!, active: true });
    this.eLastEp[e] = this.dayOf(b * this.I);
    this.replayTransitions++;
    if (this.eOutage[e] === 1) return; // explained by a grid outage
    // Within an interval's evaluation, the outage detector runs after the enterprises: hold the alert
    // until it has had its say, so a county-wide cliff is one grid_outage and not a hundred halts.
    if (this.deferOpen) { this.pendingOpen.add(e); return; }
    this.raiseEnterprise(e, b);
  }

  private deferOpen = false;
  private readonly pendingOpen = new Set<number>();

  private flushPending(b: number): void {
    this.deferOpen = false;
    for (const e of this.pendingOpen) if (this.eOutage[e] === 0 && this.dEp[e]! >= 0) this.raiseEnterprise(e, b);
    this.pendingOpen.clear();
  }

  private raiseEnterprise(e: number, b: number): void {
    const since = this.dEp[e]! * this.I - this.I;
    const kind = this.dKind[e] === KIND_HALT ? 'production_halt' : 'production_cut';
    const evidence = {
      detectedAtTs: b * this.I, intervals: b - this.dEp[e]! + 1, cusum: round2(this.dS[e]!),
      nearZeroRun: this.dLow[e]!, noise: round2(this.eNoise[e]!), dayPattern: this.codeOf(b) & PATTERN_MASK,
    };
    const cur = this.eAlert[e];
    if (cur && cur.status === 'open') {
      this.book.update(cur, this.nowMs, { since, kind, baselineKwh: this.dEpE[e]!, actualKwh: this.dEpA[e]!, evidence });
      return;
    }
    const parentId = this.chains.parentOf(e);
    this.eAlert[e] = this.book.create({
      kind, scope: 'enterprise', entity: this.entIds[e]!, since,
      baselineKwh: this.dEpE[e]!, actualKwh: this.dEpA[e]!, evidence, ...(parentId ? { parentId } : {}),
    }, this.nowMs);
  }

  private onProgress(e: number, b: number): void {
    this.eLastEp[e] = this.dayOf(b * this.I);
    const ep = this.recentEp.get(e);
    if (ep && !this.replaying) { ep.last = b; ep.A = this.dEpA[e]!; ep.E = this.dEpE[e]!; }
    this.maybeReclassify(e, b);
    const a = this.eAlert[e];
    if (!a || a.status !== 'open' || this.replaying) return;
    // Evidence refresh without an event per interval: consumers see it through alerts().
    this.book.update(a, this.nowMs, { baselineKwh: this.dEpE[e]!, actualKwh: this.dEpA[e]!, evidence: { detectedAtTs: b * this.I, intervals: b - this.dEp[e]! + 1 } }, false);
  }

  private onRecover(e: number, b: number): void {
    this.inEpisode.delete(e);
    const ep = this.recentEp.get(e);
    if (ep) { ep.active = false; ep.last = b; }
    this.replayTransitions++;
    const a = this.eAlert[e];
    if (a && a.status === 'open') {
      this.book.update(a, this.nowMs, { evidence: { detectedAtTs: b * this.I } }, false);
      this.book.close(a, 'resolved', this.nowMs, 'consumption back at or above the recovery ratio');
    }
    this.eAlert[e] = undefined;
  }

  /** A halt often ramps down over an hour: an episode opened as a cut becomes a halt if it deepens early on. */
  private maybeReclassify(e: number, b: number): void {
    if (this.dKind[e] !== KIND_CUT || b - this.dEp[e]! > this.o.reclassifyIntervals) return;
    const j = e * this.W + (b % this.W);
    const la = this.eA[j]!, le = this.eE[j]!;
    if (!(le > 0) || la / le > this.o.nearZeroRatio) return;
    this.dKind[e] = KIND_HALT;
    const a = this.eAlert[e];
    if (a && a.status === 'open') this.book.update(a, this.nowMs, { kind: 'production_halt', evidence: { reclassifiedAt: this.nowMs, reason: 'deepened to a halt' } });
  }

  /** Late readings: restore each dirty enterprise's detector snapshot and replay up to evalBin. */
  private reEvaluate(): void {
    const W = this.W;
    for (const e of this.dirty) {
      const from = Math.max(this.eDirty[e]!, this.evalBin - W + 2);
      this.eDirty[e] = NONE;
      if (from > this.evalBin || this.entIds[e] === undefined) continue;
      this.counters.reEvaluations++;
      const j = e * W + ((from - 1) % W);
      this.dS[e] = this.sS[j]!; this.dLow[e] = this.sLow[j]!; this.dRec[e] = this.sRec[j]!;
      this.dEp[e] = fromOffset(from - 1, this.sEp[j]!); this.dRun[e] = fromOffset(from - 1, this.sRun[j]!); this.dEpA[e] = this.sEpA[j]!;
      this.dEpE[e] = this.sEpE[j]!; this.dKind[e] = this.sKind[j]!;
      const before = this.eAlert[e];
      const inEpBefore = this.dEp[e]! >= 0;
      this.replaying = true;
      this.replayTransitions = 0;
      for (let b = from; b <= this.evalBin; b++) {
        const code = this.codeOf(b);
        this.evalEnterprise(e, b, code, this.hourOf(b * this.I - this.I), this.quarterOfDay(b), false);
      }
      this.replaying = false;
      if (this.dEp[e]! >= 0) this.inEpisode.add(e);
      else this.inEpisode.delete(e);
      if (before && before.status === 'open' && this.dEp[e] === NONE && !inEpBefore && this.replayTransitions === 0) {
        // The backlog shows there was no drop: the alert was raised on data that has been superseded.
        this.book.close(before, 'withdrawn', this.nowMs, 'late data shows no drop');
        this.eAlert[e] = undefined;
      } else if (before && before.status === 'open' && this.dEp[e] === NONE && this.replayTransitions === 0 && inEpBefore) {
        // unchanged episode state: nothing to do
      }
    }
    this.dirty.clear();
  }

  // ------------------------------------------------------------------ hour/day close: index, daily ratios, eviction

  private closeHour(): void {
    this.index.closeHour(this.curHour * HOUR_MS - this.tz, this.chainIds, this.county.ids());
  }

  private closeDay(): void {
    const d = this.curDay;
    this.index.closeDay(d * DAY_MS - this.tz, this.chainIds, this.county.ids());
    const inSf = (this.deps.calendar.dayClass(d) & SF_WINDOW) !== 0;
    this.decline.closeDay(d, (e) => this.checkSfReturn(e, d, inSf), this.nowMs);
    this.evictIdle();
  }

  /** Back from the Spring Festival: sfReturnDays working days in a row at sfReturnRatio of an ordinary week. */
  private checkSfReturn(e: number, d: number, inSf: boolean): boolean {
    if (!inSf) {
      if (this.eSfBack[e] !== 0) { this.eSfBack[e] = 0; this.eSfRun[e] = 0; }
      return false;
    }
    if (this.eSfBack[e] !== 0) return false; // back: eDayA/eDayE hold an ordinary day
    const A = this.eDayA[e]!, E = this.eDayE[e]!;
    this.eDayA[e] = 0; this.eDayE[e] = 0;
    this.decline.setDayRatio(e, d, Number.NaN);
    if (E > this.o.minExpectedKwh * 24) {
      this.eSfRun[e] = A / E >= this.o.sfReturnRatio ? Math.min(255, this.eSfRun[e]! + 1) : 0;
      if (this.eSfRun[e]! >= this.o.sfReturnDays) this.eSfBack[e] = d + 2; // judged from tomorrow (stored +1)
    }
    return true;
  }

  /** Entities silent for evictAfterMs give their dense index back (state does not grow with new tag values). */
  private evictIdle(): void {
    const limit = this.evalBin - Math.ceil(this.o.evictAfterMs / this.I);
    for (let m = 0; m < this.mHigh; m++) {
      const id = this.meterIds[m];
      if (id === undefined || this.mLast[m]! === NONE || this.mLast[m]! >= limit) continue;
      const e = this.mEnt[m]!;
      // unlink from the enterprise's meter list
      if (this.eHead[e] === m) this.eHead[e] = this.mNext[m]!;
      else for (let p = this.eHead[e]!; p !== NONE; p = this.mNext[p]!) if (this.mNext[p] === m) { this.mNext[p] = this.mNext[m]!; break; }
      this.offline.evicted(m, this.nowMs);
      this.meterIndex.delete(id);
      this.meterIds[m] = undefined;
      this.freeM.push(m);
      this.counters.evicted++;
      if (this.eHead[e] === NONE) {
        const eid = this.entIds[e]!;
        for (const a of [this.eAlert[e], this.decline.alert(e)]) if (a) this.book.close(a, 'resolved', this.nowMs, 'enterprise evicted after long silence');
        this.entIndex.delete(eid);
        this.county.leave(this.eCounty[e]!);
        this.entIds[e] = undefined;
        this.inEpisode.delete(e);
        this.outages.forget(e);
        this.freeE.push(e);
      }
    }
  }

  // ------------------------------------------------------------------ views

  /** The detector's view of one enterprise: last W intervals of actual/expected and the detector state. */
  inspect(enterprise: string): object | undefined {
    const e = this.entIndex.get(enterprise);
    if (e === undefined) return undefined;
    const W = this.W;
    const bins = [];
    for (let b = this.evalBin - W + 1; b <= this.evalBin; b++) {
      const j = e * W + (b % W);
      bins.push({ ts: b * this.I, actualKwh: round2(this.eA[j]!), expectedKwh: round2(this.eE[j]!) });
    }
    return {
      enterprise, bins, cusum: this.dS[e], nearZeroRun: this.dLow[e], episodeSince: this.dEp[e] === NONE ? null : this.dEp[e]! * this.I - this.I,
      noise: this.eNoise[e], lowQuantile: this.eQlo[e], peakKwh: this.ePeak[e], outage: this.eOutage[e] === 1,
      dailyRatios: Array.from({ length: DAY_RING }, (_, k) => round2(this.decline.dayRatio(e, this.curDay - DAY_RING + 1 + k))),
      meters: (() => { const out = []; for (let m = this.eHead[e]!; m !== NONE; m = this.mNext[m]!) out.push({ meter: this.meterIds[m], observations: this.baselines.observations(m) }); return out; })(),
    };
  }

  alerts(): Alert[] {
    return this.book.list();
  }
  productionIndex(): IndexPoint[] {
    return this.index.list();
  }
  stats(): { meters: number; enterprises: number; meterCapacity: number; enterpriseCapacity: number } {
    return { meters: this.meterIndex.size, enterprises: this.entIndex.size, meterCapacity: this.mCap, enterpriseCapacity: this.eCap };
  }

  // ------------------------------------------------------------------ checkpoint

  /** Format and typed-array codec: analytics/checkpoint.ts; each concern writes and reads its own part. */
  toJSON(): object {
    return {
      v: CHECKPOINT_VERSION, intervalMs: this.I, W: this.W, mCap: this.mCap, mHigh: this.mHigh, eCap: this.eCap, eHigh: this.eHigh,
      evalBin: this.evalBin, curHour: this.curHour, curDay: this.curDay, nowMs: this.nowMs,
      meterIds: this.meterIds, entIds: this.entIds, gwIds: this.gwIds, chainIds: this.chainIds,
      counties: this.county.toJSON(),
      typed: encodeTyped([this, this.baselines] as unknown as Record<string, ArrayBufferView>[]), alerts: this.book.snapshot(),
      eAlert: this.eAlert.map((a) => (a && a.status === 'open' ? a.id : null)), eDecl: this.decline.toJSON(),
      gwAlerts: this.offline.gatewaysJSON(), meterAlerts: this.offline.metersJSON(),
      chains: this.chains.toJSON(), inEpisode: [...this.inEpisode],
      recentEp: [...this.recentEp], ...this.index.toJSON(),
      outages: this.outages.toJSON(this.countyIndex.size),
    };
  }

  load(s: any): void {
    checkFormat(s, this.I, this.W);
    decodeTyped([this, this.baselines] as unknown as Record<string, unknown>[], s.typed);
    this.mCap = s.mCap; this.mHigh = s.mHigh; this.eCap = s.eCap; this.eHigh = s.eHigh;
    this.evalBin = s.evalBin; this.curHour = s.curHour; this.curDay = s.curDay; this.nowMs = s.nowMs;
    this.meterIds = s.meterIds.map((x: string | null) => x ?? undefined);
    this.entIds = s.entIds.map((x: string | null) => x ?? undefined);
    this.meterIndex.clear(); this.entIndex.clear(); this.freeM = []; this.freeE = [];
    this.meterIds.forEach((id, i) => (id === undefined ? this.freeM.push(i) : this.meterIndex.set(id, i)));
    this.entIds.forEach((id, i) => (id === undefined ? this.freeE.push(i) : this.entIndex.set(id, i)));
    this.gwIds = []; this.gwIndex.clear();
    for (const g of s.gwIds as string[]) this.gatewayOf(g);
    this.chainIds = []; this.chainIndex.clear(); this.index.reset();
    for (const c of s.chainIds as string[]) this.chainOf(c);
    this.countyIndex.clear(); this.county.reset();
    this.book.load(s.alerts);
    const byId = (id: string | null) => (id ? this.book.get(id) : undefined);
    for (const c of s.counties) this.county.restore(this.countyOf(c.id), c, byId);
    this.eAlert = s.eAlert.map(byId);
    this.decline.load(s.eDecl, byId);
    this.offline.load(s.gwAlerts, s.meterAlerts, byId);
    this.chains.load(s.chains, byId);
    this.inEpisode.clear();
    for (const e of s.inEpisode) this.inEpisode.add(e);
    this.recentEp.clear();
    for (const [e, ep] of s.recentEp) this.recentEp.set(e, ep);
    this.index.load(s.chainIdx, s.countyIdx);
    this.outages.load(s.outages, byId);
    for (let e = 0; e < this.eHigh; e++) if (this.entIds[e] !== undefined) this.county.join(this.eCounty[e]!);
  }
}
