import type { EnrichedReading } from '../schemas/reading.js';

/** What the data clock drives: the analyzer's hot path, its clock, and the options that bound its memory. */
export interface ClockedAnalyzer {
  ingest(readings: readonly EnrichedReading[]): void;
  tick(nowMs: number): void;
  readonly options: { readonly intervalMs: number; readonly graceMs: number; readonly windowIntervals: number };
}

export interface DataClockStats {
  /** Device time the analyzer was last ticked to (0 before the first tick). */
  clockMs: number;
  /** Newest device time seen from any gateway. */
  newestMs: number;
  /** Gateways seen, and those currently left out of the watermark (more than `stragglerMs` behind the newest). */
  gateways: number;
  stragglers: number;
  /** Ticks made before filing readings, so they would not overwrite registers still needed. */
  roomTicks: number;
  /** Intervals evaluated ahead of the watermark because one batch jumped further ahead than the analyzer's window. */
  forcedIntervals: number;
}

/**
 * The analyzer's event time for replays and accelerated simulation (`analytics.clock=data`): the low
 * watermark of device time, the oldest newest-reading among gateways that are not far behind the
 * rest. Intervals are evaluated one by one up to it, never skipped.
 *
 * The analyzer keeps the last `windowIntervals` registers of each meter in a ring. A reading more
 * than that ahead of the interval being evaluated overwrites the registers that interval needs, and
 * the interval is then evaluated as missing data — so the clock may never fall that far behind the
 * data it has been given. Two rules keep it there, both read from the analyzer's options:
 * - before readings are filed, the clock is brought up to the watermark whenever they would land
 *   beyond the ring, not only on the periodic tick: how many batches arrive between two timer ticks
 *   no longer changes what the analyzer sees;
 * - a gateway more than `stragglerMs` behind the newest (2 h 15 min at the defaults: 15 min intervals,
 *   5 min grace, a ring of 12) does not hold the watermark back, so bringing the clock up to the
 *   watermark always makes room. Its readings arrive as late data (re-evaluated within the window,
 *   like any late reading).
 */
export class DataClock {
  /** A gateway further than this behind the newest is left out of the watermark. */
  readonly stragglerMs: number;
  private readonly I: number;
  private readonly graceMs: number;
  private readonly W: number;
  private readonly gatewayNewest = new Map<string, number>();
  private newest = 0;
  private ticked = 0;
  private roomTicks = 0;
  private forcedIntervals = 0;

  constructor(private readonly analyzer: ClockedAnalyzer) {
    const { intervalMs, graceMs, windowIntervals } = analyzer.options;
    this.I = intervalMs;
    this.graceMs = graceMs;
    this.W = windowIntervals;
    // At clock t the analyzer has evaluated up to bin floor((t − grace) / I), i.e. up to
    // ceil(grace / I) bins under t; interval b needs the registers at b − 1 and b, and the ring keeps
    // the last W. Device time may therefore run W − 1 − ceil(grace / I) intervals ahead of a clock on
    // the interval grid; one interval less, because the clock sits up to one interval under the
    // watermark and a gateway's next reading is one interval on.
    this.stragglerMs = (windowIntervals - 2 - Math.ceil(graceMs / intervalMs)) * intervalMs;
    if (this.stragglerMs <= 0) {
      throw new Error(`analytics: windowIntervals (${windowIntervals}) too small for graceMs (${graceMs}) at intervalMs ${intervalMs}: the data clock needs windowIntervals > 2 + ceil(graceMs / intervalMs)`);
    }
  }

  /**
   * Files one gateway's batch into the analyzer: first makes room for it (ticks up to the watermark,
   * or past it for a batch that alone spans more than the window), then ingests, then records the
   * gateway's newest device time. The first batch starts the clock.
   */
  file(rs: EnrichedReading[]): void {
    if (rs.length === 0) return;
    let max = 0;
    for (const r of rs) if (r.ts > max) max = r.ts;
    const gw = rs[0]!.gateway;
    if (this.ticked !== 0 && !this.fits(max)) {
      this.roomTicks++;
      this.advance(Math.max(this.newest, max));
      if (!this.fits(max)) {
        // One batch reaching further ahead than the window (a gateway's store-and-forward burst ahead
        // of the others): file it in time order, moving the clock as it goes.
        this.fileInOrder(rs, gw);
        return;
      }
    }
    this.analyzer.ingest(rs);
    this.seen(gw, max);
    if (this.ticked === 0) this.advance();
  }

  /** Ticks the analyzer up to the watermark (called after filing, and periodically). */
  advance(newest = this.newest): void {
    let low = Infinity;
    for (const t of this.gatewayNewest.values()) if (t >= newest - this.stragglerMs && t < low) low = t;
    if (!Number.isFinite(low)) return;
    this.tickTo(low);
  }

  stats(): DataClockStats {
    let stragglers = 0;
    for (const t of this.gatewayNewest.values()) if (t < this.newest - this.stragglerMs) stragglers++;
    return { clockMs: this.ticked, newestMs: this.newest, gateways: this.gatewayNewest.size, stragglers, roomTicks: this.roomTicks, forcedIntervals: this.forcedIntervals };
  }

  /** Whether a reading at device time ts leaves the registers that intervals not yet evaluated need (the analyzer's own arithmetic). */
  private fits(ts: number): boolean {
    return Math.round(ts / this.I) <= Math.floor((this.ticked - this.graceMs) / this.I) + this.W - 1;
  }

  private fileInOrder(rs: EnrichedReading[], gw: string): void {
    const sorted = [...rs].sort((a, b) => a.ts - b.ts);
    let i = 0;
    while (i < sorted.length) {
      const ts = sorted[i]!.ts;
      if (!this.fits(ts)) this.advance(Math.max(this.newest, ts));
      if (!this.fits(ts)) {
        // This gateway itself holds the watermark and jumps ahead (a gap in its backlog): evaluate up
        // to the first clock on the grid that makes room, (n − W + 1)·I + grace; the intervals in
        // between have nothing more to come from it.
        const before = this.ticked;
        this.tickTo((Math.round(ts / this.I) - this.W + 1) * this.I + this.graceMs + this.I - 1);
        this.forcedIntervals += Math.round((this.ticked - before) / this.I);
      }
      let j = i;
      while (j < sorted.length && this.fits(sorted[j]!.ts)) j++;
      this.analyzer.ingest(sorted.slice(i, j));
      this.seen(gw, sorted[j - 1]!.ts);
      i = j;
    }
    this.advance();
  }

  private seen(gw: string, ts: number): void {
    if (ts > (this.gatewayNewest.get(gw) ?? 0)) this.gatewayNewest.set(gw, ts);
    if (ts > this.newest) this.newest = ts;
  }

  private tickTo(low: number): void {
    // The first interval with readings has no register before it: the analyzer's first tick comes one
    // interval later, so the interval it would evaluate as all-silent ("input stalled") is never judged.
    if (this.ticked === 0) this.ticked = low;
    for (let t = this.ticked + this.I; t <= low; t += this.I) {
      this.analyzer.tick(t);
      this.ticked = t;
    }
  }
}
