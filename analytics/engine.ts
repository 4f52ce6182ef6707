import type { EnrichedReading } from '../src/schemas/reading.js';
import { AlertBook } from './alerts.js';
import { MeterBaselines, SHAPES, shapeIndex } from './baseline.js';
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
import type { IntervalDetector } from './detector.js';
import { DropDetector, KIND_HALT, Step } from './drops.js';
import { IdIndex } from './id-index.js';
import { EnterpriseSeries } from './series.js';
import { round2 } from './stats.js';
import { MeterRings, type CoarseMeter } from './meter-rings.js';
import { grow } from './typed-arrays.js';
import { fixedZone, ianaZone, type Zone } from './zone.js';
import type { Alert, IndexPoint, RegistryLike } from './types.js';

/**
 * The streaming analyzer's core: struct-of-arrays state indexed by dense meter and enterprise numbers
 * (one typed-array cell per entity per field, no object per meter), evaluated interval by interval.
 *
 * Interval b is the interval that ENDS at b·I (I = intervalMs); a meter's consumption in it is
 * register(b) − register(b−1) × CT. Registers live in a ring of W boundaries per meter, so late readings
 * within W intervals fill their slot and the enterprise is re-evaluated from there.
 */

const NONE = -1;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The baselines' quarter-of-day shape resolution (analytics/baseline.ts SHAPES). */
const SHAPE_MS = DAY_MS / SHAPES;

export interface EngineDeps {
  calendar: Calendar;
  registry?: () => RegistryLike | undefined;
  logger?: { info: (o: object, m?: string) => void; warn: (o: object, m?: string) => void };
  /** Metric hook: a meter's readings are spaced wider than the interval (see coarseMeters()). */
  onCoarseData?: (c: CoarseMeter) => void;
  /** Calendars per county id, below an enterprise's own (registry-view.ts). */
  countyCalendars?: ReadonlyMap<string, Calendar>;
}

export type { CoarseMeter } from './meter-rings.js';

/** One meter's learning progress (Analyzer.learningOf). */
export interface MeterLearning {
  /** Intervals with data the meter's baseline has seen (saturates at 65,535). */
  observedIntervals: number;
  /** Intervals of the learning period (learnDays at the interval); drop alerts wait for them. */
  neededIntervals: number;
  /** Its enterprise still learns: one of its meters has fewer intervals than needed, so it is not judged yet. */
  enterpriseLearning: boolean;
  /** Device time of the meter's newest interval boundary with data (ms), null before any. */
  lastDataTs: number | null;
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
  /** Meters found sending data coarser than the interval (each time one is found). */
  coarseMeters: number;
  /** Interval-energy readings whose period is not whole intervals (or longer than the window): not used. */
  unusableEnergy: number;
  /** Intervals given a coarse meter's consumption spread evenly between two of its readings. */
  spreadIntervals: number;
}

export class Engine {
  readonly book: AlertBook;
  readonly counters: EngineCounters = { readings: 0, duplicates: 0, tooLate: 0, lateFilled: 0, resets: 0, reEvaluations: 0, evicted: 0, stuckRegister: 0, coarseMeters: 0, unusableEnergy: 0, spreadIntervals: 0 };
  private readonly I: number;
  /** Intervals in one hour (the interval divides the hour: options.ts). */
  private readonly perHour: number;
  private readonly W: number;
  /** The plants' local time (IANA zone, DST-correct, or a fixed offset). */
  private readonly zone: Zone;

  // ---- meters (dense index m) ----
  private mCap = 0;
  private mHigh = 0;
  private readonly meterIndex = new Map<string, number>();
  private meterIds: (string | undefined)[] = [];
  private freeM: number[] = [];
  private mEnt = new Int32Array(0);
  private mGw = new Int32Array(0);
  private mNext = new Int32Array(0); // next meter of the same enterprise
  /** Each meter's register ring, last boundaries heard, CT, coarse / interval-energy state (meter-rings.ts). */
  private readonly rings: MeterRings;
  private readonly baselines: MeterBaselines;

  // ---- gateways ----
  private readonly gwIndex = new Map<string, number>();
  private gwIds: string[] = [];

  // ---- enterprises (dense index e) ----
  private eCap = 0;
  private eHigh = 0;
  /** Not a Map: ~40 bytes less per enterprise (id-index.ts); looked up only for new meters, never per reading. */
  private readonly entIndex = new IdIndex((e) => this.entIds[e]);
  private entIds: (string | undefined)[] = [];
  private freeE: number[] = [];
  private eHead = new Int32Array(0);
  private eCounty = new Int32Array(0);
  private eChain = new Int32Array(0);
  /** Day number of the last drop episode (slow decline is kept apart from sudden drops). */
  private eLastEp = new Int32Array(0);
  /** Actual/expected of each enterprise's last W intervals (written here, read by the detectors). */
  private readonly series: EnterpriseSeries;
  private readonly drops: DropDetector;
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
  private readonly afterEnterprises: ReadonlyArray<readonly [string, IntervalDetector]>;

  /** Last evaluated boundary (interval end / I). */
  evalBin = NONE;
  private curHour = NONE;
  private curDay = NONE;
  private nowMs = 0;

  constructor(private readonly o: ResolvedOptions, private readonly deps: EngineDeps) {
    this.I = o.intervalMs;
    this.perHour = HOUR_MS / o.intervalMs;
    this.W = o.windowIntervals;
    this.zone = o.tzOffsetMinutes !== undefined ? fixedZone(o.tzOffsetMinutes) : ianaZone(o.timeZone);
    this.book = new AlertBook(o.maxRecentAlerts);
    this.baselines = new MeterBaselines(o);
    this.rings = new MeterRings(o, this.counters, deps);
    this.series = new EnterpriseSeries(this.W, this.perHour);
    this.drops = new DropDetector(o, this.series, {
      learning: (e) => this.learning(e),
      declining: (e) => this.decline.declining(e),
      slideExplains: (e, lastRatio) => lastRatio >= this.decline.recentRatio(e, this.curDay) - o.declineMaxStep && this.decline.trendShortfall(e, this.curDay),
      workEndsSoon: (e, b, low) => this.workEndsSoon(e, b, low),
      weekendSoFar: (e) => { this.pair[0] = this.eDayA[e]!; this.pair[1] = this.eDayE[e]!; return this.pair; },
    });
    // Typed arrays start empty and grow to the initial capacity: one place says each one's size and fill.
    this.growMeters(o.initialCapacity);
    this.growEnterprises(o.initialCapacity);
    this.registry = new RegistryView(o, (x, msg) => this.deps.logger?.warn(x, msg), this.deps.countyCalendars);
    this.chains = new ChainRollup(o, this.chainHost(), this.book);
    this.offline = new OfflineAlerts(o, this.silenceHost(), this.book);
    this.outages = new OutageDetector(o, this.outageHost(), this.book);
    this.county = new CountySlowdown(o, this.countyHost(), this.book);
    this.decline = new DeclineWatch(o, this.declineHost(), this.book);
    // The interval-level detectors, in this order (docs/analytics.md, "Detectors"): the outage first, so the
    // halts it explains are withdrawn or never raised; the chain roll-up before the held enterprise alerts
    // are raised (they name their disruption); the county last (it skips counties in an outage).
    this.afterEnterprises = [
      ['grid outage', this.outages],
      ['chain roll-up', this.chains],
      ['held enterprise alerts', { step: (b) => this.flushPending(b) }],
      ['county slowdown', this.county],
    ];
    this.index = new ProductionIndex(o, this.book);
    this.refreshRegistry();
  }

  // Each concern sees the engine through its own narrow host (its file declares what it reads); closures
  // read the current arrays, which are replaced on growth.
  private readonly entId = (e: number): string | undefined => this.entIds[e];
  private readonly actual = (e: number, b: number): number => this.series.actual(e, b);
  private readonly expected = (e: number, b: number): number => this.series.expected(e, b);

  private chainHost(): ChainHost {
    return {
      intervalMs: this.I, episodes: this.recentEp, entId: this.entId, actual: this.actual, expected: this.expected,
      chainOf: (e) => this.eChain[e]!,
      chainId: (c) => this.chainIds[c] ?? '',
      inOutage: (e) => this.eOutage[e] === 1,
      neighbours: (e) => {
        const out: number[] = [];
        for (const id of this.registry.neighbours(this.entIds[e]!)) {
          const n = this.entIndex.get(id);
          if (n !== undefined) out.push(n);
        }
        return out;
      },
      isLeader: (e) => this.registry.isLeader(this.entIds[e]!),
      workingHourRatio: (e, b) => this.workingHourRatio(e, b),
      enterpriseAlert: (e) => this.eAlert[e],
    };
  }

  private silenceHost(): SilenceHost {
    return {
      intervalMs: this.I,
      meterSlots: () => this.mHigh,
      meterCount: () => this.meterIndex.size,
      meterId: (m) => this.meterIds[m],
      lastBin: (m) => this.rings.mLast[m]!,
      heardBin: (m) => this.rings.mHeard[m]!,
      spacing: (m) => this.rings.spacing(m, this.meterIds[m]),
      gatewayOf: (m) => this.mGw[m]!,
      gatewayCount: () => this.gwIds.length,
      gatewayId: (g) => this.gwIds[g]!,
      meterInOutage: (m) => this.eOutage[this.mEnt[m]!] === 1,
    };
  }

  private outageHost(): OutageHost {
    return {
      intervalMs: this.I, window: this.W, entId: this.entId, actual: this.actual, expected: this.expected,
      enterprises: () => this.eHigh,
      countyOf: (e) => this.eCounty[e]!,
      chainOf: (e) => this.eChain[e]!,
      counties: () => this.countyIndex.size,
      countyId: (c) => this.county.id(c),
      dayCode: (b) => this.codeOf(b),
      codeFor: (e, b, code) => this.codeFor(e, b, code),
      firstMeter: (e) => this.eHead[e]!,
      nextMeter: (m) => this.mNext[m]!,
      meterSlots: () => this.mHigh,
      meterId: (m) => this.meterIds[m],
      gatewayOf: (m) => this.mGw[m]!,
      // A coarse meter's last reading covers its spacing: it is not silent before its next one is due.
      lastBin: (m) => { const l = this.rings.mLast[m]!; return l === NONE ? l : l + this.rings.spacing(m, this.meterIds[m]) - 1; },
      // A grid outage explains what happens under it (cross-detector rules): the drop detector starts afresh
      // after it, and the enterprise and meter alerts it explains are withdrawn.
      setOutage: (e, on) => {
        this.eOutage[e] = on ? 1 : 0;
        this.recentEp.delete(e);
      },
      resetDetector: (e) => {
        this.drops.clear(e);
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

  private countyHost(): CountyHost {
    return {
      intervalMs: this.I, window: this.W, entId: this.entId, actual: this.actual, expected: this.expected,
      enterprises: () => this.eHigh,
      countyOf: (e) => this.eCounty[e]!,
      countyInOutage: (c) => this.outages.active(c),
    };
  }

  private declineHost(): DeclineHost {
    return {
      intervalMs: this.I, dayStart: (d) => this.zone.toUtc(d * DAY_MS), entId: this.entId,
      enterprises: () => this.eHigh,
      dayRatios: () => this.eDayR,
      takeDay: (e, out) => {
        out[0] = this.eDayA[e]!; out[1] = this.eDayE[e]!;
        this.eDayA[e] = 0; this.eDayE[e] = 0;
      },
      inEpisode: (e) => this.drops.inEpisode(e),
      learning: (e) => this.learning(e),
      evalBin: () => this.evalBin,
    };
  }

  /**
   * The working day of e ends within shiftTailMs after b: its expected energy (its meters' baselines) falls
   * below `low` there and stays low for two hours (a lunch break is not the end of the day).
   */
  private workEndsSoon(e: number, b: number, low: number): boolean {
    const n = Math.round(this.o.shiftTailMs / this.I), off = Math.round(2 * HOUR_MS / this.I);
    let run = 0;
    for (let k = b + 1; k <= b + n + off - 1; k++) {
      const code = this.codeFor(e, k, this.codeOf(k));
      const pattern = code & PATTERN_MASK;
      const slot = pattern * 24 + this.hourOf(k * this.I - this.I), q = shapeIndex(pattern, this.quarterOfDay(k));
      let E = 0;
      for (let m = this.eHead[e]!; m !== NONE; m = this.mNext[m]!) {
        const x = this.baselines.expected(m, slot, pattern, q);
        if (!Number.isNaN(x)) E += x;
      }
      if (E >= low) { run = 0; if (k >= b + n) return false; continue; }
      if (++run >= off) return true;
    }
    return false;
  }

  /** Last hour's actual/expected of a judged working hour (chain roll-up names soft neighbours by it); NaN otherwise. */
  private workingHourRatio(e: number, b: number): number {
    const code = this.codeFor(e, b, this.codeOf(b));
    const pattern = code & PATTERN_MASK;
    if (pattern < 1 || pattern > 5 || (code & SF_WINDOW) !== 0 || this.eOutage[e] === 1 || this.learning(e)) return Number.NaN;
    if (this.registry.hasShutdowns() && this.registry.inShutdown(this.entIds[e]!, b * this.I - this.I)) return Number.NaN;
    const s = this.series;
    if (!s.hourSums(e, b, s.actual(e, b), s.expected(e, b))) return Number.NaN;
    const [sa, se] = s.sums;
    return se / this.perHour >= this.o.minPeakShare * this.drops.peak(e) && se > 0 ? sa / se : Number.NaN;
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
    this.eHead = grow(this.eHead, n, NONE);
    this.eCounty = grow(this.eCounty, n);
    this.eChain = grow(this.eChain, n);
    this.eLastEp = grow(this.eLastEp, n, NONE);
    this.series.grow(n);
    this.drops.grow(n);
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
    this.eLastEp[e] = NONE;
    this.series.reset(e);
    this.drops.reset(e);
    this.eDirty[e] = NONE;
    this.eOutage[e] = 0;
    this.eDayA[e] = 0; this.eDayE[e] = 0;
    this.eDayR.fill(0, e * DAY_RING, e * DAY_RING + DAY_RING);
    this.eSfBack[e] = 0; this.eSfRun[e] = 0;
    this.eAlert[e] = undefined;
    this.decline.reset(e);
  }

  private growMeters(n = this.mCap * 2): void {
    this.rings.grow(n);
    this.mEnt = grow(this.mEnt, n, NONE);
    this.mGw = grow(this.mGw, n, NONE);
    this.mNext = grow(this.mNext, n, NONE);
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
    this.rings.reset(m);
    const every = this.registry.readingInterval(r.meter);
    if (every !== undefined) this.rings.declaredCoarse(r.meter, every, r.ts);
    this.mEnt[m] = e;
    this.mGw[m] = this.gatewayOf(r.gateway);
    this.mNext[m] = this.eHead[e]!;
    this.eHead[e] = m;
    this.baselines.reset(m);
    return m;
  }

  // ------------------------------------------------------------------ hot path

  /** Files readings into the per-meter register rings (meter-rings.ts). O(1) per reading, no allocation for known meters. */
  ingest(rs: readonly EnrichedReading[]): void {
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      const m = this.meterOf(r);
      const k = this.rings.file(m, r, this.evalBin);
      if (k !== NONE) this.markDirty(this.mEnt[m]!, k);
    }
  }

  /**
   * Meters that sent readings the pipeline rejected, at device (or arrival) time ts: they are talking, so
   * their silence is not a dead link (see OfflineAlerts). Only meters the analyzer already knows count.
   */
  heard(contacts: readonly { meter: string; ts: number }[]): void {
    for (let i = 0; i < contacts.length; i++) {
      const m = this.meterIndex.get(contacts[i]!.meter);
      if (m !== undefined) this.rings.heard(m, contacts[i]!.ts, this.evalBin);
    }
  }

  /** Meters whose data is coarser than the interval (for the API and /readyz). */
  coarseMeters(): CoarseMeter[] {
    return this.rings.coarseMeters();
  }

  private readonly pair: [number, number] = [0, 0];

  private markDirty(e: number, k: number): void {
    const d = this.eDirty[e]!;
    if (d === NONE || k < d) this.eDirty[e] = k;
    this.dirty.add(e);
  }

  // ------------------------------------------------------------------ calendar

  private dayOf(ms: number): number {
    return Math.floor((ms + this.zone.offset(ms)) / DAY_MS);
  }
  private hourOf(ms: number): number {
    return Math.floor((((ms + this.zone.offset(ms)) % DAY_MS) + DAY_MS) % DAY_MS / HOUR_MS);
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
    const localHour = Math.floor((startMs + this.zone.offset(startMs)) / HOUR_MS);
    if (this.curHour !== NONE && localHour !== this.curHour) this.closeHour();
    this.curDay = day;
    this.curHour = localHour;
    this.county.clear(b);
    const qod = this.quarterOfDay(b);
    this.deferOpen = true;
    this.index.openInterval();
    for (let e = 0; e < this.eHigh; e++) {
      if (this.entIds[e] === undefined) continue;
      this.evalEnterprise(e, b, code, hour, qod, true);
    }
    this.index.closeInterval();
    this.evalBin = b;
    for (const [, d] of this.afterEnterprises) d.step(b, this.nowMs);
  }

  private quarterOfDay(b: number): number {
    const ms = b * this.I - this.I;
    return Math.floor(((((ms + this.zone.offset(ms)) % DAY_MS) + DAY_MS) % DAY_MS) / SHAPE_MS);
  }

  /** The day class for enterprise e: an enterprise back from the Spring Festival follows its ordinary week. */
  private codeFor(e: number, b: number, code: number): number {
    if (this.registry.hasCalendars()) {
      const own = this.registry.calendarOf(this.entIds[e]!);
      if (own) code = own.dayClass(this.dayOf(b * this.I - this.I));
    }
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
    const drops = this.drops;
    const suspect = drops.suspect(e) || this.eOutage[e] === 1 || this.decline.declining(e);
    const noise = drops.noise(e);
    let A = 0, E = 0, n = 0, any = false;
    // A coarse meter's interval spread since its first evaluation (which had no data) is learned from in
    // this replay, once; As/Es are its part of the enterprise's sums, added to the day's and hour's below.
    let As = 0, Es = 0;
    for (let m = this.eHead[e]!; m !== NONE; m = this.mNext[m]!) {
      const c = this.rings.delta(m, b);
      if (Number.isNaN(c)) continue;
      any = true;
      const ex = this.baselines.expected(m, slot, pattern, q);
      const fresh = this.rings.settle(m, b) && !first;
      if (first || fresh) {
        // The learning phase ignores detector suspicion.
        const young = this.baselines.young(m);
        this.baselines.observe(m);
        if ((!suspect || (young && !drops.inEpisode(e))) && !planned && !((code & SF_WINDOW) && pattern < HOLIDAY)) this.baselines.learn(m, slot, q, c, noise);
      }
      if (sfCheck) {
        const eo = this.baselines.expected(m, ordSlot, ord, ordQ);
        if (!Number.isNaN(eo)) { Eo += eo; Ao += c; }
      }
      if (Number.isNaN(ex)) continue;
      A += c;
      E += ex;
      n++;
      if (fresh) { As += c; Es += ex; }
    }
    if (sfCheck && Eo > 0) { this.eDayA[e]! += Ao; this.eDayE[e]! += Eo; }
    const j = e * W + (b % W);
    // A replayed interval the detector judged live (its expected was judgeable then) is not learned again.
    const judgedLive = !first && this.series.eE[j]! >= o.minExpectedKwh;
    this.series.eA[j] = any ? A : Number.NaN;
    this.series.eE[j] = n > 0 ? E : Number.NaN;
    const judged = n > 0 && !planned && pattern < HOLIDAY && (code & SF_WINDOW) === 0 && E >= o.minExpectedKwh;
    if (judged) {
      const wk = pattern === 6 ? 0 : pattern === 0 ? 1 : -1;
      // Weekend days use the daily sums (eDayA/eDayE, otherwise for working days) for their working hours.
      if (first && wk >= 0 && drops.weekendHour(e, E)) { this.eDayA[e]! += A; this.eDayE[e]! += E; }
      this.onStep(e, b, drops.step(e, b, A, E, pattern >= 1 && pattern <= 5 ? hour : -1, wk, !judgedLive));
      if (first && this.eOutage[e] === 0) this.county.record(this.eCounty[e]!, b, A, E);
      else if (Es > 0 && this.eOutage[e] === 0) this.county.record(this.eCounty[e]!, b, As, Es);
    } else if (drops.inEpisode(e) && (planned || pattern >= HOLIDAY || (code & SF_WINDOW) !== 0)) {
      this.suspend(e, b, planned ? 'a planned shutdown' : (code & SF_WINDOW) !== 0 ? 'the Spring Festival window' : 'a holiday');
    }
    if (!first && Es > 0 && !planned) this.addSpread(e, b, startMs, code, As, Es);
    if (first && n > 0 && !planned) {
      this.index.add(this.eChain[e]!, this.eCounty[e]!, A, E);
      if (this.index.collecting) this.index.judge(this.entIds[e]!, startMs, A, E);
      // Daily ratios for the slow-decline test: working-day patterns only (weekend work is optional).
      if (pattern >= 1 && pattern <= 5 && (code & SF_WINDOW) === 0 && !this.learning(e)) {
        this.eDayA[e]! += A;
        this.eDayE[e]! += E;
      }
    }
    // Snapshot the detector after interval b so a replay can start from here.
    drops.snapshot(e, b);
  }

  /**
   * A replayed interval gained a coarse meter's spread consumption: its part joins the production index and
   * the daily sums when the interval's hour and day are still open (they close one interval into the next).
   */
  private addSpread(e: number, b: number, startMs: number, code: number, As: number, Es: number): void {
    if (Math.floor((startMs + this.zone.offset(startMs)) / HOUR_MS) === this.curHour) this.index.add(this.eChain[e]!, this.eCounty[e]!, As, Es);
    const pattern = code & PATTERN_MASK;
    if (this.dayOf(startMs) === this.curDay && pattern >= 1 && pattern <= 5 && (code & SF_WINDOW) === 0 && !this.learning(e)) {
      this.eDayA[e]! += As;
      this.eDayE[e]! += Es;
    }
  }

  private learning(e: number): boolean {
    for (let m = this.eHead[e]!; m !== NONE; m = this.mNext[m]!) if (this.baselines.young(m)) return true;
    return false;
  }

  private replaying = false;
  private replayTransitions = 0;

  /**
   * Cross-detector rules, in one place: what a drop-detector step means for alerts, episodes (chain roll-up)
   * and the slow-decline watch. An open grid outage explains the halts under it (no alert).
   */
  private onStep(e: number, b: number, step: Step): void {
    switch (step) {
      case Step.Opened: this.onTrigger(e, b); break;
      case Step.Progress: this.onProgress(e, b); break;
      case Step.Recovered: this.onRecover(e, b); break;
      case Step.ToDecline:
        this.decline.open(e, this.curDay, 'a cut on top of a week-long slide', this.nowMs);
        this.drops.dropEpisode(e);
        break;
      default: break;
    }
  }

  private onTrigger(e: number, b: number): void {
    const d = this.drops;
    this.inEpisode.add(e);
    if (this.eOutage[e] === 0) this.recentEp.set(e, { start: d.dEp[e]!, last: b, A: d.dEpA[e]!, E: d.dEpE[e]!, active: true });
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
    for (const e of this.pendingOpen) if (this.eOutage[e] === 0 && this.drops.inEpisode(e)) this.raiseEnterprise(e, b);
    this.pendingOpen.clear();
  }

  private raiseEnterprise(e: number, b: number): void {
    const d = this.drops;
    const since = d.dEp[e]! * this.I - this.I;
    const kind = d.dKind[e] === KIND_HALT ? 'production_halt' : 'production_cut';
    const evidence = {
      detectedAtTs: b * this.I, intervals: b - d.dEp[e]! + 1, cusum: round2(d.dS[e]!),
      nearZeroRun: d.dLow[e]!, noise: round2(d.eNoise[e]!), dayPattern: this.codeOf(b) & PATTERN_MASK,
    };
    const cur = this.eAlert[e];
    if (cur && cur.status === 'open') {
      this.book.update(cur, this.nowMs, { since, kind, baselineKwh: d.dEpE[e]!, actualKwh: d.dEpA[e]!, evidence });
      return;
    }
    const parentId = this.chains.parentOf(e);
    this.eAlert[e] = this.book.create({
      kind, scope: 'enterprise', entity: this.entIds[e]!, since,
      baselineKwh: d.dEpE[e]!, actualKwh: d.dEpA[e]!, evidence, ...(parentId ? { parentId } : {}),
    }, this.nowMs);
  }

  private onProgress(e: number, b: number): void {
    this.eLastEp[e] = this.dayOf(b * this.I);
    const d = this.drops;
    const ep = this.recentEp.get(e);
    if (ep && !this.replaying) { ep.last = b; ep.A = d.dEpA[e]!; ep.E = d.dEpE[e]!; }
    // A halt often ramps down over an hour: an episode opened as a cut becomes a halt if it deepens early on.
    if (d.reclassify(e, b)) {
      const a = this.eAlert[e];
      if (a && a.status === 'open') this.book.update(a, this.nowMs, { kind: 'production_halt', evidence: { reclassifiedAt: this.nowMs, reason: 'deepened to a halt' } });
    }
    const a = this.eAlert[e];
    if (!a || a.status !== 'open' || this.replaying) return;
    // Evidence refresh without an event per interval: consumers see it through alerts().
    this.book.update(a, this.nowMs, { baselineKwh: d.dEpE[e]!, actualKwh: d.dEpA[e]!, evidence: { detectedAtTs: b * this.I, intervals: b - d.dEp[e]! + 1 } }, false);
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

  /**
   * Judging is suspended (holiday, Spring Festival window, planned shutdown) while an episode is open: it
   * ends here and its alert is closed with the reason, so nothing stays open through the window; if the
   * plant is still down afterwards, the first judged interval opens a new episode.
   */
  private suspend(e: number, b: number, why: string): void {
    this.drops.clear(e);
    this.inEpisode.delete(e);
    const ep = this.recentEp.get(e);
    if (ep) { ep.active = false; ep.last = b; }
    this.replayTransitions++;
    const a = this.eAlert[e];
    if (a && a.status === 'open') this.book.close(a, 'resolved', this.nowMs, `judging suspended: ${why}; re-judged after it`);
    this.eAlert[e] = undefined;
  }

  /** Late readings: restore each dirty enterprise's detector snapshot and replay up to evalBin. */
  private reEvaluate(): void {
    const W = this.W;
    for (const e of this.dirty) {
      const from = Math.max(this.eDirty[e]!, this.evalBin - W + 2);
      this.eDirty[e] = NONE;
      if (from > this.evalBin || this.entIds[e] === undefined) continue;
      this.counters.reEvaluations++;
      this.drops.restore(e, from - 1);
      const before = this.eAlert[e];
      const inEpBefore = this.drops.inEpisode(e);
      this.replaying = true;
      this.replayTransitions = 0;
      for (let b = from; b <= this.evalBin; b++) {
        const code = this.codeOf(b);
        this.evalEnterprise(e, b, code, this.hourOf(b * this.I - this.I), this.quarterOfDay(b), false);
      }
      this.replaying = false;
      if (this.drops.inEpisode(e)) this.inEpisode.add(e);
      else this.inEpisode.delete(e);
      if (before && before.status === 'open' && !this.drops.inEpisode(e) && !inEpBefore && this.replayTransitions === 0) {
        // The backlog shows there was no drop: the alert was raised on data that has been superseded.
        this.book.close(before, 'withdrawn', this.nowMs, 'late data shows no drop');
        this.eAlert[e] = undefined;
      } else if (before && before.status === 'open' && !this.drops.inEpisode(e) && this.replayTransitions === 0 && inEpBefore) {
        // unchanged episode state: nothing to do
      }
    }
    this.dirty.clear();
  }

  // ------------------------------------------------------------------ hour/day close: index, daily ratios, eviction

  private closeHour(): void {
    this.index.closeHour(this.zone.toUtc(this.curHour * HOUR_MS), this.chainIds, this.county.ids());
  }

  private closeDay(): void {
    const d = this.curDay;
    this.index.closeDay(this.zone.toUtc(d * DAY_MS), this.chainIds, this.county.ids());
    const cls = this.deps.calendar.dayClass(d);
    const inSf = (cls & SF_WINDOW) !== 0;
    // Weekend sums are taken here, before the decline watch reads the day (it judges working days only). A
    // weekend in the Spring Festival window counts for enterprises already back (the ordinary pattern).
    const weekend = (c: number) => { const ord = ordinaryPattern(c); return ord === 6 ? 0 : ord === 0 ? 1 : -1; };
    const wk = weekend(cls), own = this.registry.hasCalendars();
    if (wk >= 0 || own) {
      for (let e = 0; e < this.eHigh; e++) {
        const id = this.entIds[e];
        if (id === undefined) continue;
        const cal = own ? this.registry.calendarOf(id) : undefined;
        const w = cal ? weekend(cal.dayClass(d)) : wk;
        if (w < 0) continue;
        this.drops.closeWeekend(e, w, this.eDayA[e]!, this.eDayE[e]!);
        this.eDayA[e] = 0; this.eDayE[e] = 0;
      }
    }
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
    if (E > this.o.minExpectedKwhPerHour * 6) { // a quarter of a day at the minimum
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
      if (id === undefined || this.rings.mLast[m]! === NONE || this.rings.mLast[m]! >= limit) continue;
      const e = this.mEnt[m]!;
      // unlink from the enterprise's meter list
      if (this.eHead[e] === m) this.eHead[e] = this.mNext[m]!;
      else for (let p = this.eHead[e]!; p !== NONE; p = this.mNext[p]!) if (this.mNext[p] === m) { this.mNext[p] = this.mNext[m]!; break; }
      this.offline.evicted(m, this.nowMs);
      this.rings.forget(id);
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
    const W = this.W, d = this.drops;
    const bins = [];
    for (let b = this.evalBin - W + 1; b <= this.evalBin; b++) {
      const j = e * W + (b % W);
      bins.push({ ts: b * this.I, actualKwh: round2(this.series.eA[j]!), expectedKwh: round2(this.series.eE[j]!) });
    }
    return {
      enterprise, bins, cusum: d.dS[e], nearZeroRun: d.dLow[e], episodeSince: d.dEp[e] === NONE ? null : d.dEp[e]! * this.I - this.I,
      noise: d.eNoise[e], lowQuantile: d.eQlo[e], peakKwh: d.ePeak[e], outage: this.eOutage[e] === 1,
      dailyRatios: Array.from({ length: DAY_RING }, (_, k) => round2(this.decline.dayRatio(e, this.curDay - DAY_RING + 1 + k))),
      meters: (() => { const out = []; for (let m = this.eHead[e]!; m !== NONE; m = this.mNext[m]!) out.push({ meter: this.meterIds[m], observations: this.baselines.observations(m) }); return out; })(),
    };
  }

  /**
   * A meter's learning state: intervals with data counted so far against the learning period, and
   * whether its enterprise is still learning (any of its meters young: drop alerts wait for all of them).
   */
  learningOf(meter: string): MeterLearning | undefined {
    const m = this.meterIndex.get(meter);
    if (m === undefined) return undefined;
    const last = this.rings.mLast[m]!;
    return { observedIntervals: this.baselines.observations(m), neededIntervals: this.o.learnIntervals, enterpriseLearning: this.learning(this.mEnt[m]!), lastDataTs: last === NONE ? null : last * this.I };
  }

  /** Meters still in their learning phase, of all meters (for /readyz): O(meters), not for the hot path. */
  learningCount(): { learning: number; meters: number } {
    let learning = 0;
    for (const m of this.meterIndex.values()) if (this.baselines.young(m)) learning++;
    return { learning, meters: this.meterIndex.size };
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
      typed: encodeTyped([this, this.rings, this.baselines, this.series, this.drops] as unknown as Record<string, ArrayBufferView>[]), alerts: this.book.snapshot(),
      eAlert: this.eAlert.map((a) => (a && a.status === 'open' ? a.id : null)), eDecl: this.decline.toJSON(),
      gwAlerts: this.offline.gatewaysJSON(), meterAlerts: this.offline.metersJSON(),
      chains: this.chains.toJSON(), inEpisode: [...this.inEpisode],
      recentEp: [...this.recentEp], ...this.index.toJSON(),
      outages: this.outages.toJSON(this.countyIndex.size),
      coarse: this.rings.coarseMeters(),
    };
  }

  load(s: any): void {
    checkFormat(s, this.I, this.W);
    decodeTyped([this, this.rings, this.baselines, this.series, this.drops] as unknown as Record<string, unknown>[], s.typed);
    this.drops.loaded();
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
    this.rings.loadCoarse(s.coarse as CoarseMeter[]);
    for (let e = 0; e < this.eHigh; e++) if (this.entIds[e] !== undefined) this.county.join(this.eCounty[e]!);
  }
}
