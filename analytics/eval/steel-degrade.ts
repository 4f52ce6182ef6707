import type { EnrichedReading } from '../../src/schemas/reading.js';
import type { Alert } from '../types.js';

/**
 * The steel replay's data degraded the way real meter exports are (seeded, deterministic): readings
 * dropped alone, data-link outages, an hour delivered after the next, noise on each interval's energy.
 * The stops and the plant are the same as in the clean rows; only the delivery changes.
 */
export interface Degradation {
  /** Share of readings dropped at random, each alone (never two in a row). */
  dropShare?: number;
  /** Data-link outages of 3–8 h with no readings, away from the injected stops (ticks go on: wall time passes). */
  linkOutages?: number;
  /**
   * Share of hours whose readings are held and delivered as one batch right after the next hour's. No tick
   * while an hour is held: the analyzer's now follows the data (the pipeline's data clock), so the batch is late
   * data inside the window, not silence.
   */
  lateHourShare?: number;
  /** Each interval's energy × (1 + u·noise), u uniform in [−1, 1]. */
  noise?: number;
  seed?: number;
}

const HOUR = 3_600_000;

/** A small LCG (numerical recipes); the degradation's own stream, so the stops' values do not move. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
}

/** Outage windows [start, end) of 3–8 whole hours, 24 h clear of every stop window and of each other, after the learning weeks. */
export function planOutages(n: number, rnd: () => number, start: number, stops: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const clear = (s: number, e: number, w: ReadonlyArray<readonly [number, number]>) => w.every(([a, b]) => e + 24 * HOUR <= a || s >= b + 24 * HOUR);
  for (let tries = 0; out.length < n && tries < 10_000; tries++) {
    const s = start + (15 + Math.floor(rnd() * 345)) * 24 * HOUR + Math.floor(rnd() * 24) * HOUR;
    const e = s + (3 + Math.floor(rnd() * 6)) * HOUR;
    if (clear(s, e, stops) && clear(s, e, out)) out.push([s, e]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

interface Sink {
  ingest(rs: readonly EnrichedReading[]): void;
  tick(now: number): void;
}

/** Delivers the replay's readings to the analyzer through a degradation. */
export class Delivery {
  readonly rnd: () => number;
  readonly outages: Array<[number, number]>;
  private lastDropped = true; // the first reading is never dropped
  private held: EnrichedReading[] = [];
  private heldUntil = Number.NaN;
  private heldHour = Number.NaN;
  private curHour = Number.NaN;
  /** Readings dropped, held late, lost in outages. */
  readonly counts = { dropped: 0, late: 0, inOutage: 0 };

  constructor(private readonly d: Degradation, private readonly sink: Sink, start: number, stops: ReadonlyArray<readonly [number, number]>) {
    this.rnd = seeded(d.seed ?? 7);
    this.outages = d.linkOutages ? planOutages(d.linkOutages, this.rnd, start, stops) : [];
  }

  /** The interval's energy with noise applied (kWh). */
  noisy(kwh: number): number {
    return this.d.noise ? kwh * (1 + this.d.noise * (2 * this.rnd() - 1)) : kwh;
  }

  /** One reading ending at ts (undefined: none due at ts, the clock only moves). */
  deliver(r: EnrichedReading | undefined, ts: number): void {
    if (r && this.outages.some(([s, e]) => ts > s && ts <= e)) { this.counts.inOutage++; r = undefined; }
    if (r && this.d.dropShare) {
      // Drop with q after a kept reading: the long-run share is q / (1 + q) = dropShare.
      const q = this.d.dropShare / (1 - this.d.dropShare);
      if (!this.lastDropped && this.rnd() < q) { this.counts.dropped++; this.lastDropped = true; r = undefined; }
      else this.lastDropped = false;
    }
    if (this.d.lateHourShare) {
      const hour = Math.floor((ts - 1) / HOUR) * HOUR;
      const first = hour !== this.curHour;
      this.curHour = hour;
      if (first && Number.isNaN(this.heldUntil) && this.rnd() < this.d.lateHourShare) {
        this.heldHour = hour;
        this.heldUntil = hour + 2 * HOUR;
      }
      if (hour === this.heldHour && !Number.isNaN(this.heldUntil)) {
        if (r) { this.held.push(r); this.counts.late++; }
        return;
      }
    }
    if (r) this.sink.ingest([r]);
    this.sink.tick(ts);
    if (ts >= this.heldUntil) {
      this.sink.ingest(this.held);
      this.sink.tick(ts);
      this.held = [];
      this.heldUntil = Number.NaN;
    }
  }
}

/** What the degraded rows add to a result: false alarms by kind, flaps, withdrawals, outages seen as offline. */
export interface Robustness {
  kinds: Record<string, number>;
  /** A drop alert of the plant opened within an hour of its previous one closing. */
  flaps: number;
  withdrawn: number;
  outages: number;
  outagesSeenOffline: number;
  counts: Delivery['counts'];
}

/** Offline alerts dated inside a link outage are its detection, not false alarms: returns their ids. */
export function outageAlerts(alerts: readonly Alert[], outages: ReadonlyArray<readonly [number, number]>): { ids: Set<string>; seen: number } {
  const ids = new Set<string>();
  let seen = 0;
  for (const [s, e] of outages) {
    const own = alerts.filter((a) => (a.kind === 'gateway_offline' || a.kind === 'meter_offline') && a.since >= s - HOUR && a.since < e);
    if (own.length > 0) seen++;
    for (const a of own) ids.add(a.id);
  }
  return { ids, seen };
}

/** Counts drop alerts reopened within an hour of the previous one closing, and withdrawals, from the update stream. */
export class FlapCounter {
  flaps = 0;
  withdrawn = 0;
  private lastClose = new Map<string, number>();
  on(change: string, a: Alert): void {
    const drop = a.kind === 'production_halt' || a.kind === 'production_cut';
    if (change === 'withdrawn') this.withdrawn++;
    if (!drop) return;
    if (change === 'resolved' || change === 'withdrawn') this.lastClose.set(a.entity, a.updatedAt);
    else if (change === 'opened') {
      const c = this.lastClose.get(a.entity);
      if (c !== undefined && a.openedAt - c <= HOUR) this.flaps++;
    }
  }
}
