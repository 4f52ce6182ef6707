import type { AlertBook } from './alerts.js';
import type { ResolvedOptions } from './options.js';
import { median, round2 } from './stats.js';
import type { Alert } from './types.js';

const DAY_MS = 86_400_000;
/** Days of daily ratios kept per enterprise: three weeks, so a week of holidays still leaves a trend to read. */
export const DAY_RING = 21;
/** The trend is read from the last valid (working, outside episodes) days of the ring: at least this many. */
const MIN_DAYS = 9;

/** What the trend test reads of the enterprises (dense indexes, as the engine keeps them). */
export interface DeclineHost {
  readonly intervalMs: number;
  /** UTC instant local day d starts. */
  dayStart(d: number): number;
  /** Enterprise slots in use, free ones included (they have no id). */
  enterprises(): number;
  entId(e: number): string | undefined;
  /** The ring of DAY_RING daily ratios per enterprise (replaced on growth: read it per call, never keep it). */
  dayRatios(): Uint8Array;
  /** Today's working-day actual and expected kWh; both are zeroed for tomorrow. */
  takeDay(e: number, out: [number, number]): void;
  inEpisode(e: number): boolean;
  learning(e: number): boolean;
  /** Last evaluated interval. */
  evalBin(): number;
}

type DeclineOptions = Pick<ResolvedOptions, 'minExpectedKwhPerHour' | 'declineMinPeers' | 'declineRatio' | 'declineMinFall' | 'declineMaxStep'>;

/**
 * Slow decline: one enterprise drifting down over days, which no interval-by-interval test sees. It keeps
 * 14 days of peer-normalised daily ratios and opens slow_decline when their shape is a trend (falling block
 * by block) rather than a step; the drop detector asks it whether a cut is that trend showing.
 */
export class DeclineWatch {
  /** Open slow declines by enterprise (few: a dense array would cost a slot per enterprise). */
  private readonly alerts = new Map<number, Alert>();
  private readonly day: [number, number] = [0, 0];

  constructor(private readonly o: DeclineOptions, private readonly host: DeclineHost, private readonly book: AlertBook) {}

  declining(e: number): boolean {
    return this.alerts.has(e);
  }
  alert(e: number): Alert | undefined {
    return this.alerts.get(e);
  }
  reset(e: number): void {
    this.alerts.delete(e);
  }

  dayRatio(e: number, d: number): number {
    const v = this.host.dayRatios()[e * DAY_RING + ((d % DAY_RING) + DAY_RING) % DAY_RING]!;
    return v === 0 ? Number.NaN : (v - 1) / 100;
  }
  setDayRatio(e: number, d: number, r: number): void {
    this.host.dayRatios()[e * DAY_RING + ((d % DAY_RING) + DAY_RING) % DAY_RING] = Number.isNaN(r) ? 0 : Math.min(255, 1 + Math.round(r * 100));
  }

  /**
   * Day d ends. Daily ratios are taken relative to the median enterprise of the day: the business cycle,
   * the season and the weather move everyone (a peer-normalised ratio), a slow decline is one enterprise
   * drifting. `sfDay(e)`: e's day went to the Spring Festival return test instead (no ratio today).
   */
  closeDay(d: number, sfDay: (e: number) => boolean, now: number): void {
    const h = this.host;
    const n = h.enterprises();
    const ratios: number[] = [];
    const day = new Float64Array(n).fill(Number.NaN);
    for (let e = 0; e < n; e++) {
      if (h.entId(e) === undefined || sfDay(e)) continue;
      h.takeDay(e, this.day);
      const [A, E] = this.day;
      if (E > 0 && E > this.o.minExpectedKwhPerHour * 6 && !h.inEpisode(e)) ratios.push((day[e] = A / E));
      else day[e] = -1;
    }
    // Without peers a plant's drift cannot be told from the season or the business cycle: no trend is judged.
    const peers = ratios.length >= this.o.declineMinPeers;
    const common = peers ? median(ratios) : 1;
    for (let e = 0; e < n; e++) {
      const r = day[e]!;
      if (Number.isNaN(r)) continue;
      this.setDayRatio(e, d, r >= 0 && common > 0 ? r / common : Number.NaN);
      if (r >= 0 && peers) this.check(e, d, now);
    }
  }

  /**
   * Slow decline: the valid daily ratios (ordinary working days, outside drop episodes) of the last three
   * weeks, oldest first, in three equal blocks — valid days, not calendar days, so a holiday week does not
   * empty a block. A trend falls block by block, each fall small; a step (a cut) falls at once. Opens when
   * the latest block is at or below declineRatio, at least declineMinFall below the oldest, and no
   * block-to-block fall exceeds declineMaxStep.
   */
  private check(e: number, d: number, now: number): void {
    const o = this.o, h = this.host;
    const days: number[] = [];
    let first = d;
    for (let k = DAY_RING - 1; k >= 0; k--) {
      const v = this.dayRatio(e, d - k);
      if (Number.isNaN(v)) continue;
      if (days.length === 0) first = d - k;
      days.push(v);
    }
    const third = Math.floor(days.length / 3);
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    const [b1, b2, b3] = days.length < MIN_DAYS ? [Number.NaN, Number.NaN, Number.NaN]
      : [mean(days.slice(0, third)), mean(days.slice(third, days.length - third)), mean(days.slice(days.length - third))];
    const a = this.alerts.get(e);
    if (a) {
      const ageDays = (now - a.openedAt) / DAY_MS;
      if ((!Number.isNaN(b3) && b3 >= 0.95) || ageDays > 21) {
        this.book.close(a, 'resolved', now, ageDays > 21 ? 'new level accepted as the baseline' : 'level back to baseline');
        this.alerts.delete(e);
      }
      return;
    }
    if (Number.isNaN(b1) || Number.isNaN(b2) || Number.isNaN(b3) || h.inEpisode(e) || h.learning(e)) return;
    const steady = b1 - b2 <= o.declineMaxStep && b2 - b3 <= o.declineMaxStep && b2 - b3 >= -0.02 && b1 - b2 >= -0.02;
    // Still low at the end: a dip that is recovering (a neighbour's disruption passing) is not a trend.
    let recent = 0, low = true;
    for (let k = 0; k < 7 && recent < 2; k++) {
      const v = this.dayRatio(e, d - k);
      if (Number.isNaN(v)) continue;
      recent++;
      if (v > o.declineRatio + 0.03) low = false;
    }
    if (b3 <= o.declineRatio && b1 - b3 >= o.declineMinFall && steady && low) {
      this.alerts.set(e, this.book.create({
        kind: 'slow_decline', scope: 'enterprise', entity: h.entId(e)!, since: h.dayStart(first),
        baselineKwh: 1, actualKwh: b3,
        evidence: { detectedAtTs: h.dayStart(d + 1), intervals: Math.round(((d + 1 - first) * DAY_MS) / h.intervalMs), reason: `daily actual/expected ${round2(b1)} → ${round2(b2)} → ${round2(b3)} over ${days.length} working days` },
      }, now));
    }
  }

  /** Daily ratios falling: the last 3 working days below 0.93 and at least 3 % under the 5 days before. */
  trendShortfall(e: number, d: number): boolean {
    let s1 = 0, n1 = 0, s0 = 0, n0 = 0;
    for (let k = 1; k <= 8; k++) {
      const v = this.dayRatio(e, d - k);
      if (Number.isNaN(v)) continue;
      if (k <= 3) { s1 += v; n1++; } else { s0 += v; n0++; }
    }
    if (n1 < 2 || n0 < 2) return false;
    const recent = s1 / n1, before = s0 / n0;
    return recent < 0.93 && before - recent >= 0.03;
  }

  /** Opens a slow decline from the drop detector (a cut on top of a slide); no-op when one is open. */
  open(e: number, d: number, reason: string, now: number): void {
    if (this.alerts.has(e)) return;
    const h = this.host;
    this.alerts.set(e, this.book.create({
      kind: 'slow_decline', scope: 'enterprise', entity: h.entId(e)!, since: h.dayStart(d - 13),
      // For a trend the evidence is a ratio: baseline 1 = the calendar-aware expected day, actual = recent days.
      baselineKwh: 1, actualKwh: this.recentRatio(e, d),
      evidence: { detectedAtTs: h.evalBin() * h.intervalMs, intervals: Math.round((14 * DAY_MS) / h.intervalMs), reason },
    }, now));
  }

  /** Mean daily ratio of the last 3 days (1 when none). */
  recentRatio(e: number, d: number): number {
    let s = 0, n = 0;
    for (let k = 1; k <= 3; k++) {
      const v = this.dayRatio(e, d - k);
      if (!Number.isNaN(v)) { s += v; n++; }
    }
    return n > 0 ? s / n : 1;
  }

  /** Checkpoint part: the open alert's id per enterprise, null where none. */
  toJSON(): (string | null)[] {
    return Array.from({ length: this.host.enterprises() }, (_, e) => {
      const a = this.alerts.get(e);
      return a && a.status === 'open' ? a.id : null;
    });
  }
  load(ids: (string | null)[], byId: (id: string | null) => Alert | undefined): void {
    this.alerts.clear();
    ids.forEach((id, e) => {
      const a = byId(id);
      if (a) this.alerts.set(e, a);
    });
  }
}
