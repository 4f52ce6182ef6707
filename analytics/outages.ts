import type { AlertBook } from './alerts.js';
import { SF_WINDOW } from './calendar.js';
import type { ResolvedOptions } from './options.js';
import type { Alert } from './types.js';

const NONE = -1;

/** What outage detection reads of the enterprises and their meters (dense indexes, as the engine keeps them). */
export interface OutageHost {
  readonly intervalMs: number;
  /** Intervals kept per enterprise (W). */
  readonly window: number;
  /** Enterprise slots in use, free ones included (they have no id). */
  enterprises(): number;
  entId(e: number): string | undefined;
  countyOf(e: number): number;
  chainOf(e: number): number;
  counties(): number;
  countyId(c: number): string;
  /** actual (NaN: no data) and expected (NaN: unknown) kWh of interval b. */
  actual(e: number, b: number): number;
  expected(e: number, b: number): number;
  /** Calendar code of interval b, and enterprise e's (back from the Spring Festival: its ordinary week). */
  dayCode(b: number): number;
  codeFor(e: number, b: number, dayCode: number): number;
  /** The enterprise's meter list: first, next, −1 at the end. */
  firstMeter(e: number): number;
  nextMeter(m: number): number;
  meterSlots(): number;
  meterId(m: number): string | undefined;
  gatewayOf(m: number): number;
  /** Last interval with data (a coarse meter's reading covers its spacing), −1 when none. */
  lastBin(m: number): number;
  /** Marks e in (or out of) an outage; either way its chain roll-up episode is dropped. */
  setOutage(e: number, on: boolean): void;
  /** The drop detector starts afresh (after an outage, the plant's ramp back is not a drop of its own). */
  resetDetector(e: number): void;
  /** Withdraws what e's drop and its meters' silence raised: the outage explains them. */
  withdrawEnterprise(e: number, now: number): void;
  withdrawOffline(m: number, now: number): void;
  warn(o: object, m: string): void;
}

type OutageOptions = Pick<ResolvedOptions, 'minExpectedKwh' | 'outageDeadRatio' | 'outageMinEnterprises' | 'outageMinReporting' | 'outageMinSilentGateways' | 'outageMinChains'>;

/** Shared, never written: deadPrev of a county with no dead enterprise. */
const NO_ENTERPRISES: readonly number[] = Object.freeze([]);

interface CountyOutage {
  alert: Alert;
  members: Set<number>;
}

/**
 * Grid outage: outageMinEnterprises of one county, across outageMinChains chains, falling to ~0 or silent
 * within the same minutes. Plants stop one by one for their own reasons; a feeder trips them all at once.
 * One grid_outage per county replaces its members' drop and offline alerts, and it ends when 80 % of them
 * draw half their expected load again. Silence alone is a communication fault unless enterprises that still
 * report read ~0 or several whole concentrators fell silent together.
 */
export class OutageDetector {
  private readonly open: (CountyOutage | undefined)[] = [];
  /** Enterprises of each county that went dead in the previous interval. */
  private deadPrev: (readonly number[])[] = [];
  private stallLogged = false;

  constructor(private readonly o: OutageOptions, private readonly host: OutageHost, private readonly book: AlertBook) {}

  active(c: number): boolean {
    return this.open[c] !== undefined;
  }

  step(b: number, now: number): void {
    const o = this.o, h = this.host;
    const nc = h.counties();
    // Arrays only for counties with a dead enterprise: most intervals have none (no allocation per county).
    const deadNow: (number[] | undefined)[] = new Array<number[] | undefined>(nc);
    // Most of the city silent at once is our own input stalling (pipeline, end of data), not an outage.
    // Transformers are suspended and plants stop together over the Spring Festival (domain.md §3): only
    // enterprises already back at work (judged against their ordinary week) can show an outage there.
    const stalled = this.inputStalled(b);
    const dayCode = h.dayCode(b);
    for (let e = 0, n = h.enterprises(); e < n; e++) {
      if (h.entId(e) === undefined) continue;
      const away = (dayCode & SF_WINDOW) !== 0 && (h.codeFor(e, b, dayCode) & SF_WINDOW) !== 0;
      const a = h.actual(e, b), x = h.expected(e, b), ap = h.actual(e, b - 1), xp = h.expected(e, b - 1);
      const aliveBefore = !Number.isNaN(ap) && (Number.isNaN(xp) ? ap > 0 : ap >= 0.5 * xp && xp >= o.minExpectedKwh);
      const m0 = h.firstMeter(e);
      const silentNow = !stalled && Number.isNaN(a) && m0 !== NONE && h.lastBin(m0) < b;
      // Dead: a cliff to ~0 from what it drew a moment ago (an unworked Saturday morning stays at base load).
      const deadNowE = silentNow || (!away && !Number.isNaN(x) && x >= o.minExpectedKwh && a < o.outageDeadRatio * x && a < o.outageDeadRatio * ap);
      // Falling silent needs only to have been heard a moment ago; a cliff needs to have been working.
      const wasAlive = silentNow ? !Number.isNaN(ap) : aliveBefore;
      const c = h.countyOf(e);
      const out = this.open[c];
      if (out) {
        if (deadNowE && wasAlive && !out.members.has(e)) {
          out.members.add(e);
          this.join(e, now);
        }
        continue;
      }
      if (deadNowE && wasAlive) (deadNow[c] ??= []).push(e);
    }
    for (let c = 0; c < nc; c++) {
      if (this.open[c]) {
        this.maybeEnd(c, b, now);
        this.deadPrev[c] = NO_ENTERPRISES;
        continue;
      }
      // "Within minutes": dead in this interval or the previous one, and still dead now.
      const dead = deadNow[c] ?? NO_ENTERPRISES, prev = this.deadPrev[c] ?? NO_ENTERPRISES;
      this.deadPrev[c] = dead;
      // Fewer candidates than an outage needs, whatever the previous ones read now.
      if (dead.length + prev.length < o.outageMinEnterprises) continue;
      const cand = new Set<number>(dead);
      for (const e of prev) {
        const a = h.actual(e, b), x = h.expected(e, b);
        if (Number.isNaN(a) || (!Number.isNaN(x) && a < o.outageDeadRatio * x)) cand.add(e);
      }
      if (cand.size < o.outageMinEnterprises) continue;
      // Silence alone is a communication fault (a concentrator carries many enterprises): an outage needs
      // enterprises that still report and read ~0.
      // …or several concentrators that went silent in the same minutes (one silent gateway is gateway_offline).
      let reporting = 0;
      const silentGw = new Set<number>();
      for (const e of cand) {
        if (!Number.isNaN(h.actual(e, b))) reporting++;
        else for (let m = h.firstMeter(e); m !== NONE; m = h.nextMeter(m)) silentGw.add(h.gatewayOf(m));
      }
      // A silent gateway counts only when all of it has been silent for two intervals: one that is merely
      // late (its backlog arrives next interval) or half-reporting is a communication matter.
      for (const g of silentGw) if (!this.gatewaySilentSince(g, b - 1)) silentGw.delete(g);
      if (reporting < o.outageMinReporting && silentGw.size < o.outageMinSilentGateways) continue;
      const chains = new Set([...cand].map((e) => h.chainOf(e)));
      if (chains.size < o.outageMinChains) continue;
      const members = new Set(cand);
      const ids = [...members].map((e) => h.entId(e)!);
      const alert = this.book.create({
        kind: 'grid_outage', scope: 'county', entity: h.countyId(c), since: (b - 1) * h.intervalMs, baselineKwh: 0, actualKwh: 0,
        contributors: ids.map((id) => ({ enterprise: id, share: 1 / ids.length, missingKwh: 0 })),
        evidence: { detectedAtTs: b * h.intervalMs, intervals: 1, reason: `${ids.length} enterprises across ${chains.size} chains to ~0 or silent in the same minutes` },
      }, now);
      this.open[c] = { alert, members };
      for (const e of members) this.join(e, now);
    }
  }

  /** Every meter of gateway g without data since interval `from` (inclusive). */
  private gatewaySilentSince(g: number, from: number): boolean {
    const h = this.host;
    for (let m = 0, n = h.meterSlots(); m < n; m++) {
      if (h.gatewayOf(m) !== g || h.meterId(m) === undefined) continue;
      if (h.lastBin(m) >= from) return false;
    }
    return true;
  }

  /** True when fewer than half of the live enterprises have any data for interval b. */
  private inputStalled(b: number): boolean {
    const h = this.host;
    let live = 0, silent = 0;
    for (let e = 0, n = h.enterprises(); e < n; e++) {
      if (h.entId(e) === undefined) continue;
      live++;
      if (Number.isNaN(h.actual(e, b))) silent++;
    }
    if (live >= 20 && silent > live / 2) {
      if (!this.stallLogged) h.warn({ interval: b * h.intervalMs, silent, live }, 'analytics: most enterprises silent at once: input stalled, no outage or offline alerts');
      this.stallLogged = true;
      return true;
    }
    this.stallLogged = false;
    return false;
  }

  /** A member's drop, and its meters' and gateways' silence, are the outage's. */
  private join(e: number, now: number): void {
    const h = this.host;
    h.setOutage(e, true);
    h.withdrawEnterprise(e, now);
    for (let m = h.firstMeter(e); m !== NONE; m = h.nextMeter(m)) h.withdrawOffline(m, now);
  }

  private maybeEnd(c: number, b: number, now: number): void {
    const h = this.host, out = this.open[c]!;
    let back = 0;
    for (const e of out.members) {
      const a = h.actual(e, b), x = h.expected(e, b);
      if (!Number.isNaN(a) && (Number.isNaN(x) || a >= 0.5 * x)) back++;
    }
    if (back < 0.8 * out.members.size) return;
    for (const e of out.members) {
      h.setOutage(e, false);
      h.resetDetector(e);
    }
    this.book.close(out.alert, 'resolved', now, 'supply restored');
    this.open[c] = undefined;
  }

  /** An evicted enterprise leaves any outage it was part of. */
  forget(e: number): void {
    for (const out of this.open) out?.members.delete(e);
  }

  /** Checkpoint part: one entry per county, null where no outage is open. */
  toJSON(counties: number): Array<{ alert: string; members: number[] } | null> {
    return Array.from({ length: counties }, (_, c) => {
      const out = this.open[c];
      return out ? { alert: out.alert.id, members: [...out.members] } : null;
    });
  }

  load(s: Array<{ alert: string; members: number[] } | null>, byId: (id: string) => Alert | undefined): void {
    this.open.length = 0;
    this.deadPrev = [];
    s.forEach((x, i) => {
      const a = x ? byId(x.alert) : undefined;
      if (x && a) this.open[i] = { alert: a, members: new Set(x.members) };
    });
  }
}
