import type { EnterpriseDetector } from './detector.js';
import type { ResolvedOptions } from './options.js';
import type { EnterpriseSeries } from './series.js';
import { cusumStep } from './stats.js';
import { grow } from './typed-arrays.js';

/**
 * The enterprise drop detector (production_halt / production_cut): a one-sided CUSUM on the normalised
 * shortfall, k-in-a-row near zero and a cliff rule, gated by the enterprise's ordinary dips; a recovery
 * rule closes the episode. Struct-of-arrays by dense enterprise number; one snapshot per interval of the
 * window so late data can replay from any of them. It owns its state, options and checkpoint fields; what
 * an episode means for alerts is the engine's (analytics/engine.ts, "cross-detector rules").
 */

const NONE = -1;
export const KIND_HALT = 1;
export const KIND_CUT = 2;

/** What one step did (the engine turns it into alert changes). */
export const enum Step { Nothing, Opened, Progress, Recovered, ToDecline }

/** A relative error's mean absolute value × 1.25 ≈ its σ for a normal error. */
const ABS_TO_SIGMA = 1.25;
/** Hour noise is kept × 200 in a byte (0–1.275). */
const HOUR_NOISE_UNIT = 200;
/** Weekends start irregular (× 200): a plant's weekend is judged once it has proved regular. */
const WEEKEND_NOISE_INIT = 100;
/** A residual this many σ above expected is not a calm interval (noise does not learn from it). */
const CALM_Z = 4;
/** Near zero counts only when clearly so for this enterprise and hour. */
const NEAR_ZERO_Z = 2;

/** What the detector asks of the rest of the analyzer, at trigger time only (off the hot path). */
export interface DropGates {
  /** Any meter of e still learning its baseline. */
  learning(e: number): boolean;
  /** A slow decline is open for e. */
  declining(e: number): boolean;
  /** A cut this deep (last-hour ratio) is the week-long slide showing (decline's rule). */
  slideExplains(e: number, lastRatio: number): boolean;
  /** Expected energy of e falls below `low` within shiftTailMs after interval b (the working day is ending). */
  workEndsSoon(e: number, b: number, low: number): boolean;
  /** Today's weekend working hours so far: [actual, expected] (the engine keeps them). */
  weekendSoFar(e: number): readonly [number, number];
}

function toOffset(b: number, start: number): number {
  return start === NONE ? -1 : Math.min(32767, b - start);
}
function fromOffset(b: number, off: number): number {
  return off < 0 ? NONE : b - off;
}

export class DropDetector implements EnterpriseDetector {
  /** Checkpoint fields (analytics/checkpoint.ts TYPED). */
  readonly fields = ['eNoise', 'eQlo', 'eHourNoise', 'eWkNoise', 'ePeak', 'dS', 'sS', 'dLow', 'sLow', 'dRec', 'dEp', 'dRun', 'sRun', 'dEpA', 'dEpE', 'dKind', 'epRing', 'pLast', 'pEp', 'pEpA', 'pEpE', 'pKind', 'pRec'] as const;

  eNoise = new Float32Array(0);
  /** Running lower quantile (qloP) of the enterprise's 1-hour actual/expected: how low it goes in ordinary times. */
  eQlo = new Float32Array(0);
  /** Relative noise per hour of working days (24 per enterprise), × 200 in a byte; other days use eNoise. */
  eHourNoise = new Uint8Array(0);
  /** Irregularity of Saturdays and Sundays (2 per enterprise, × 200; day-level, max-decayed, see closeWeekend): a weekend worked some weeks only opens nothing. */
  eWkNoise = new Uint8Array(0);
  ePeak = new Float32Array(0);
  // state, current (d*) + one snapshot per interval of the window (s*, for replay). Snapshots keep the
  // episode / CUSUM-run starts as Int16 offsets back from their interval (−1 none; clamped at 32767).
  dS = new Float32Array(0); sS = new Float32Array(0);
  dLow = new Uint8Array(0); sLow = new Uint8Array(0);
  dRun = new Int32Array(0); sRun = new Int16Array(0);
  // Episode state: read only while an episode is open (dEp ≠ NONE), and every opening sets all of it.
  dRec = new Uint8Array(0);
  dEp = new Int32Array(0);
  dEpA = new Float32Array(0);
  dEpE = new Float32Array(0);
  dKind = new Uint8Array(0);
  // Its snapshots live in a pool of W-interval rings, one per enterprise with an episode in the window
  // (most have none: dense rings cost 12 × W bytes per enterprise). epRing: the enterprise's ring or NONE;
  // pLast: the ring's last interval snapshotted in an episode (it is given back W intervals later).
  epRing = new Int32Array(0);
  pLast = new Int32Array(0);
  pEp = new Int16Array(0);
  pEpA = new Float32Array(0);
  pEpE = new Float32Array(0);
  pKind = new Uint8Array(0);
  pRec = new Uint8Array(0);
  private pFree: number[] = [];

  private readonly W: number;

  constructor(private readonly o: ResolvedOptions, private readonly series: EnterpriseSeries, private readonly gates: DropGates) {
    this.W = series.W;
  }

  grow(n: number): void {
    const W = this.W;
    this.eNoise = grow(this.eNoise, n, this.o.noiseInit);
    this.eQlo = grow(this.eQlo, n, this.o.qloInit);
    this.eHourNoise = grow(this.eHourNoise, n * 24);
    this.eWkNoise = grow(this.eWkNoise, n * 2, WEEKEND_NOISE_INIT);
    this.ePeak = grow(this.ePeak, n);
    this.dS = grow(this.dS, n); this.sS = grow(this.sS, n * W);
    this.dLow = grow(this.dLow, n); this.sLow = grow(this.sLow, n * W);
    this.dRun = grow(this.dRun, n, NONE); this.sRun = grow(this.sRun, n * W, NONE);
    this.dRec = grow(this.dRec, n);
    this.dEp = grow(this.dEp, n, NONE);
    this.dEpA = grow(this.dEpA, n);
    this.dEpE = grow(this.dEpE, n);
    this.dKind = grow(this.dKind, n);
    this.epRing = grow(this.epRing, n, NONE);
  }

  /** A ring for e's episode snapshots, all "no episode" (the intervals before it had none). */
  private takeRing(e: number): number {
    if (this.pFree.length === 0) {
      // Doubling: the pool follows the enterprises in an episode at once, never more than the enterprises.
      const cap = this.pLast.length, n = Math.max(16, cap * 2), W = this.W;
      this.pLast = grow(this.pLast, n); this.pEp = grow(this.pEp, n * W); this.pEpA = grow(this.pEpA, n * W);
      this.pEpE = grow(this.pEpE, n * W); this.pKind = grow(this.pKind, n * W); this.pRec = grow(this.pRec, n * W);
      for (let p = n - 1; p >= cap; p--) this.pFree.push(p);
    }
    const p = this.pFree.pop()!;
    this.pEp.fill(NONE, p * this.W, p * this.W + this.W);
    this.epRing[e] = p;
    return p;
  }

  private giveRing(e: number): void {
    this.pFree.push(this.epRing[e]!);
    this.epRing[e] = NONE;
  }

  /** After a checkpoint is loaded: the rings no enterprise holds are free. */
  loaded(): void {
    const held = new Uint8Array(this.pLast.length);
    for (let e = 0; e < this.epRing.length; e++) if (this.epRing[e]! >= 0) held[this.epRing[e]!] = 1;
    this.pFree = [];
    for (let p = held.length - 1; p >= 0; p--) if (held[p] === 0) this.pFree.push(p);
  }

  /** A new enterprise in slot e: nothing learned. */
  reset(e: number): void {
    this.eNoise[e] = this.o.noiseInit;
    this.eQlo[e] = this.o.qloInit;
    this.eHourNoise.fill(0, e * 24, e * 24 + 24);
    this.eWkNoise.fill(WEEKEND_NOISE_INIT, e * 2, e * 2 + 2);
    this.ePeak[e] = 0;
    this.dS[e] = 0; this.dLow[e] = 0; this.dRec[e] = 0; this.dEp[e] = NONE; this.dRun[e] = NONE;
    this.dEpA[e] = 0; this.dEpE[e] = 0; this.dKind[e] = 0;
    if (this.epRing[e]! >= 0) this.giveRing(e);
  }

  /** Starts afresh (after a grid outage, or when the slow-decline watch takes the shortfall). */
  clear(e: number): void {
    this.dS[e] = 0; this.dEp[e] = NONE; this.dRun[e] = NONE; this.dLow[e] = 0; this.dRec[e] = 0;
  }

  inEpisode(e: number): boolean {
    return this.dEp[e] !== NONE;
  }
  /** Suspicious: in an episode or the CUSUM above h/2 (baselines do not learn then). */
  suspect(e: number): boolean {
    return this.dEp[e]! >= 0 || this.dS[e]! > this.o.cusumH / 2;
  }
  /** First interval of the open episode (NONE when none). */
  episodeStart(e: number): number {
    return this.dEp[e]!;
  }
  noise(e: number): number {
    return this.eNoise[e]!;
  }
  peak(e: number): number {
    return this.ePeak[e]!;
  }

  /** Snapshot after interval b, so a replay can start from here. */
  snapshot(e: number, b: number): void {
    const W = this.W, j = e * W + (b % W);
    this.sS[j] = this.dS[e]!; this.sLow[j] = this.dLow[e]!; this.sRun[j] = toOffset(b, this.dRun[e]!);
    const ep = this.dEp[e]!;
    let p = this.epRing[e]!;
    if (ep !== NONE) {
      if (p === NONE) p = this.takeRing(e);
      this.pLast[p] = b;
    } else if (p === NONE) return;
    else if (b - this.pLast[p]! >= W) { this.giveRing(e); return; } // no episode left in the window
    const k = p * W + (b % W);
    this.pEp[k] = toOffset(b, ep); this.pEpA[k] = this.dEpA[e]!; this.pEpE[k] = this.dEpE[e]!;
    this.pKind[k] = this.dKind[e]!; this.pRec[k] = this.dRec[e]!;
  }

  /** State as it was after interval b (its snapshot). */
  restore(e: number, b: number): void {
    const W = this.W, j = e * W + (b % W);
    this.dS[e] = this.sS[j]!; this.dLow[e] = this.sLow[j]!; this.dRun[e] = fromOffset(b, this.sRun[j]!);
    const p = this.epRing[e]!;
    const k = p * W + (b % W);
    if (p === NONE || this.pEp[k]! < 0) {
      // No episode then: its fields are not read until the next opening sets them.
      this.dEp[e] = NONE; this.dEpA[e] = 0; this.dEpE[e] = 0; this.dKind[e] = 0; this.dRec[e] = 0;
      return;
    }
    this.dEp[e] = fromOffset(b, this.pEp[k]!); this.dEpA[e] = this.pEpA[k]!; this.dEpE[e] = this.pEpE[k]!;
    this.dKind[e] = this.pKind[k]!; this.dRec[e] = this.pRec[k]!;
  }

  /**
   * One step for enterprise e at interval b (actual A, expected E, both > 0 judged): hs is the hour of a
   * working day (−1 on other days), wk 0 on a Saturday pattern, 1 on a Sunday one, −1 otherwise. learn is
   * false when a late-data replay steps an interval already judged live: the snapshot restores the CUSUM and
   * the episode but not the noise, hour noise, dip quantile and peak, which learned from it once already.
   */
  step(e: number, b: number, A: number, E: number, hs: number, wk: number, learn = true): Step {
    const o = this.o, W = this.W, s = this.series;
    const ratio = A / E;
    // Noise in force: the enterprise's, or this hour's if that hour is usually less regular (shift starts
    // that vary day to day, an evening shift worked some days only).
    const hn = hs < 0 ? -1 : e * 24 + hs;
    const noise = hn < 0 ? this.eNoise[e]! : Math.max(this.eNoise[e]!, this.eHourNoise[hn]! / HOUR_NOISE_UNIT);
    // Slowly decaying peak of expected energy per interval (about two weeks' memory).
    if (learn) this.ePeak[e] = Math.max(E, this.ePeak[e]! * o.peakDecayPerInterval);
    const z = (E - A) / Math.max(noise * E, o.minExpectedKwh * 0.5);
    const S = cusumStep(this.dS[e]!, z, o.cusumK, o.zCap);
    this.dS[e] = S;
    if (S === 0) this.dRun[e] = NONE;
    else if (this.dRun[e] === NONE) this.dRun[e] = b;
    const low = ratio < o.nearZeroRatio && z >= NEAR_ZERO_Z ? Math.min(255, this.dLow[e]! + 1) : 0;
    this.dLow[e] = low;
    if (this.dEp[e] !== NONE) return this.inEpisodeStep(e, b, A, E, ratio);
    if (learn && S === 0 && z > -CALM_Z) {
      // Noise: EWMA of the relative absolute residual while calm.
      const rel = Math.abs(A - E) / E;
      const en = this.eNoise[e]!;
      this.eNoise[e] = Math.min(o.noiseMax, Math.max(o.noiseMin, en + o.noiseRatePerInterval * (ABS_TO_SIGMA * rel - en)));
    }
    if (learn && z > -CALM_Z && hn >= 0) {
      // Hour noise learns from every interval outside an episode, unusual ones included: an hour that is
      // often far from its level (a shift worked some days only) is an irregular hour, not a run of alarms.
      const rel = Math.min(1.2, Math.abs(A - E) / E);
      const h = this.eHourNoise[hn]! / HOUR_NOISE_UNIT;
      this.eHourNoise[hn] = Math.min(255, Math.round(HOUR_NOISE_UNIT * (h + o.hourNoiseRate * (ABS_TO_SIGMA * rel - h))));
    }
    // Ordinary depth: a stochastic-approximation quantile of the last hour's ratio (p = qloP).
    if (learn && S < o.cusumH && s.hourSums(e, b, A, E) && s.sums[1] > 0) {
      const r = s.sums[0] / s.sums[1];
      const q = this.eQlo[e]!;
      this.eQlo[e] = r < q ? q - o.qloRatePerInterval * (1 - o.qloP) : q + o.qloRatePerInterval * o.qloP;
    }
    // A cliff: this interval at or below cliffRatio right after one already below expected (a stop ramping
    // down over half an hour shows as ~0.8 then ~0.3): opens at the second interval.
    const jp = e * W + ((b - 1) % W);
    const prevRatio = s.eA[jp]! / s.eE[jp]!;
    const cliff = ratio <= o.cliffRatio && prevRatio <= o.cliffPrevRatio && z >= o.cliffZ;
    const trig = S >= o.cusumH || low >= o.nearZeroRun || cliff;
    if (!trig) return Step.Nothing;
    // Weekend work is optional in many plants (Saturdays worked some weeks only): a drop that starts on a
    // weekend this plant does not work regularly is not opened there; if it lasts, the next working day opens it.
    if (wk >= 0 && (!o.judgeWeekends || !this.workedToday(e) || this.eWkNoise[e * 2 + wk]! / HOUR_NOISE_UNIT > o.irregularHourNoise)) return this.reject(e, b);
    // Learning phase: the baseline is not trusted yet.
    if (this.gates.learning(e)) return this.reject(e, b);
    // An hour this plant works some days only (an evening shift run on demand) cannot tell a stop from a
    // day off; the next regular hour does. (Near-zero k-in-a-row and cliffs are judged the same way.)
    if (hn >= 0 && this.eHourNoise[hn]! / HOUR_NOISE_UNIT > o.irregularHourNoise) return this.reject(e, b);
    const start = low >= o.nearZeroRun ? b - low + 1 : cliff ? b - 1 : Math.max(this.dRun[e]!, b - W + 1);
    let sa = 0, se = 0, la = 0, le = 0;
    for (let k = Math.max(start, b - W + 1); k <= b; k++) {
      const j = e * W + (k % W);
      const a = k === b ? A : s.eA[j]!, x = k === b ? E : s.eE[j]!;
      if (Number.isNaN(a) || Number.isNaN(x)) continue;
      sa += a; se += x;
      if (k >= b - 1) { la += a; le += x; }
    }
    const epRatio = se > 0 ? sa / se : 1;
    // A drop in the plant's low-load hours says little about production; it is judged when the shift starts.
    const nBins = Math.max(1, b - Math.max(start, b - W + 1) + 1);
    if (le / Math.min(2, nBins) < o.minPeakShare * this.ePeak[e]!) return this.reject(e, b);
    const lastRatio = le > 0 ? la / le : 1;
    // Deeper than this enterprise's ordinary dips (a noisy plant must fall further), or near zero for k intervals.
    const gate = Math.min(o.minDropRatio, this.eQlo[e]! - o.qloMargin);
    if (low < o.nearZeroRun && (epRatio > gate || lastRatio > gate)) return this.reject(e, b);
    // A known slow decline explains a moderate shortfall: it is not a new sudden drop.
    if (lastRatio > o.haltRatio && this.gates.declining(e)) return this.reject(e, b);
    // The working day ends soon anyway (expected falls to low load within shiftTailMs): a plant that finished
    // early looks like a stop here; if it is one, the next working hours open it.
    if (o.shiftTailMs > 0 && this.gates.workEndsSoon(e, b, o.minPeakShare * this.ePeak[e]!)) return this.reject(e, b);
    // Halt: near zero / base load now, or still falling steeply through haltRatio (a stop half-way down its
    // ramp). A deep cut that has settled at ~30 % is not falling any more: it stays a cut.
    const kind = ratio <= o.nearZeroRatio || (ratio <= o.haltRatio && prevRatio - ratio >= o.haltFall) ? KIND_HALT : KIND_CUT;
    // Weekend hours vary more than working days' (overtime, shifts run long or short): only a stop is news there.
    if (wk >= 0 && kind === KIND_CUT) return this.reject(e, b);
    this.dEp[e] = start;
    this.dEpA[e] = sa;
    this.dEpE[e] = se;
    this.dRec[e] = 0;
    this.dKind[e] = kind;
    // A cut on an enterprise whose working days have been sliding for a week is the trend showing, not a new drop.
    if (this.dKind[e] === KIND_CUT && this.gates.slideExplains(e, lastRatio)) return Step.ToDecline;
    return Step.Opened;
  }

  /** A weekend interval: counts toward the day's regularity when it is a working hour (expected ≥ minPeakShare of the peak). */
  weekendHour(e: number, E: number): boolean {
    return E >= this.o.minPeakShare * this.ePeak[e]!;
  }

  /**
   * The plant started work this weekend day (today's working hours so far): at least an hour of expected
   * work, at least half of it done. A weekend day it never started is a day off, not a stop.
   */
  private workedToday(e: number): boolean {
    const [A, E] = this.gates.weekendSoFar(e);
    return E >= this.ePeak[e]! * this.series.perHour && A >= 0.5 * E;
  }

  /**
   * A weekend day closed (wk 0 Saturday, 1 Sunday; A, E its working hours): they update that day's
   * irregularity, max-decaying (a weekend worked some weeks only stays irregular for weeks after each
   * surprise; a regularly worked one settles within a few).
   */
  closeWeekend(e: number, wk: number, A: number, E: number): void {
    if (!(E > 0) || this.dEp[e] !== NONE) return;
    const wn = e * 2 + wk;
    const rel = Math.min(1.25, Math.abs(A - E) / E);
    this.eWkNoise[wn] = Math.min(255, Math.round(HOUR_NOISE_UNIT * Math.max(rel, (this.eWkNoise[wn]! / HOUR_NOISE_UNIT) * this.o.weekendNoiseDecay)));
  }

  /** The decline watch took the shortfall: no episode. */
  dropEpisode(e: number): void {
    this.dEp[e] = NONE; this.dS[e] = 0; this.dRun[e] = NONE; this.dKind[e] = 0;
  }

  private inEpisodeStep(e: number, b: number, A: number, E: number, ratio: number): Step {
    const o = this.o;
    this.dEpA[e]! += A;
    this.dEpE[e]! += E;
    // Low-load hours (nights, an unworked weekend) say nothing about recovery: a stopped plant at base
    // load matches a night's expectation. Only hours that would be judged count, either way.
    if (E < o.minPeakShare * this.ePeak[e]!) return Step.Progress;
    const rec = ratio >= o.recoverRatio ? this.dRec[e]! + 1 : 0;
    this.dRec[e] = Math.min(255, rec);
    if (rec < o.recoverRun) return Step.Progress;
    this.dEp[e] = NONE;
    this.dS[e] = 0;
    this.dRun[e] = NONE;
    this.dLow[e] = 0;
    this.dRec[e] = 0;
    return Step.Recovered;
  }

  /**
   * The CUSUM crossed h but the gates said no (weekend, learning, low-load hour, not deep enough): restart
   * the run at h/2 so a lasting small shortfall neither accumulates for ever (a later stop would be dated
   * from its start and diluted) nor blocks baseline learning (which pauses above h/2).
   */
  private reject(e: number, b: number): Step {
    if (this.dS[e]! >= this.o.cusumH) {
      this.dS[e] = this.o.cusumH / 2;
      this.dRun[e] = b;
    }
    return Step.Nothing;
  }

  /** A cut that deepened to near zero within reclassifyIntervals of its start becomes a halt (true when it changed). */
  reclassify(e: number, b: number): boolean {
    if (this.dKind[e] !== KIND_CUT || b - this.dEp[e]! > this.o.reclassifyIntervals) return false;
    const la = this.series.actual(e, b), le = this.series.expected(e, b);
    if (!(le > 0) || la / le > this.o.nearZeroRatio) return false;
    this.dKind[e] = KIND_HALT;
    return true;
  }
}
