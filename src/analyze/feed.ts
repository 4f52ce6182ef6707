import { DataClock } from '../pipeline/data-clock.js';
import { REGISTER_MAX_KWH, type EnrichedReading } from '../schemas/reading.js';
import type { Analyzer } from '../../analytics/index.js';
import { whereOf, type InputRow, type Rejects } from './rows.js';

/** Where a meter's readings go in the analyzer: what the registry (or the synthetic one) says. */
export interface MeterTags {
  gateway: string;
  enterprise: string;
  county: string;
  chain: string;
  ctMultiplier: number;
}
export type TagLookup = (meter: string, row: InputRow) => MeterTags | undefined;

interface MeterState {
  tags: MeterTags;
  /** First and newest reading filed, and how many (for the summary's coverage). */
  firstTs: number;
  readings: number;
  lastTs: number;
  /** Register built from interval energy, in cents (see toRegisters). */
  regCents: number;
}

/** Registers wrap like a DL/T 645 meter (999999.99 → 0): the engine already handles that. */
const WRAP_CENTS = Math.round((REGISTER_MAX_KWH + 0.01) * 100);
/** A register built from energy starts here, not at 0, so an early fall never reads as a wrap. */
const START_CENTS = 10_000_000;

/**
 * THE SEAM between interval energy and the engine, which today takes cumulative registers only: each
 * meter's energy is summed into a register (in cents, so no float drift) and the register is what the
 * engine sees. A meter's first reading, and the first after a gap of two intervals or more, also files
 * the register at the start of its interval, so that interval is counted; after a gap of exactly one
 * interval the first interval is lost (nothing would say what the missing one consumed, and no
 * consumption is ever invented). When the engine accepts interval energy natively, this function
 * becomes `out(reading with the energy)` and nothing else changes.
 */
export function toRegisters(st: Pick<MeterState, 'lastTs' | 'regCents'>, r: InputRow, intervalMs: number, out: (ts: number, registerKwh: number) => void): void {
  if (r.kind === 'register') {
    out(r.ts, r.value);
    return;
  }
  const gap = st.lastTs === -Infinity ? Infinity : r.ts - st.lastTs;
  if (gap >= 3 * intervalMs) out(r.ts - intervalMs, st.regCents / 100);
  st.regCents = (st.regCents + Math.round(r.value * 100)) % WRAP_CENTS;
  out(r.ts, st.regCents / 100);
}

export interface FeedStats {
  readings: number;
  meters: number;
  firstTs: number;
  lastTs: number;
  skippedAfterTo: number;
  /** Readings more than the analyzer's window behind the newest one (late data, or an input not sorted by time). */
  late: number;
}

/**
 * Rows → checks (duplicate, order, sign) → registers → the analyzer, under the same data clock as the
 * pipeline with `analytics.clock=data` (src/pipeline/data-clock.ts): readings of one instant are filed
 * as one batch per gateway, as gateways publish them, and the clock is advanced after each instant.
 */
export class Feed {
  private readonly meters = new Map<string, MeterState>();
  private readonly clock: DataClock;
  private readonly I: number;
  /** The current instant's readings: pending[0..n) are in use; the objects are reused for the next instant. */
  private readonly pending: EnrichedReading[] = [];
  private n = 0;
  private pendingTs = Number.NaN;
  private newest = -Infinity;
  private readonly horizonMs: number;
  /** The row being filed, for `file` (one bound function, no closure per row). */
  private cur: InputRow | undefined;
  private curTags: MeterTags | undefined;
  private readonly file = (ts: number, registerKwh: number): void => {
    const r = this.cur!, t = this.curTags!;
    // The engine and the clock copy what they keep (ingest is allocation-free), so a reading object
    // lives until the flush: reusing them spares the garbage collector one object per row.
    let x = this.pending[this.n];
    if (x === undefined) {
      x = { meter: r.meter, ts, energyKwh: registerKwh, powerKw: r.powerKw, gateway: t.gateway, enterprise: t.enterprise, county: t.county, chain: t.chain, ctMultiplier: t.ctMultiplier };
      this.pending.push(x);
    } else {
      x.meter = r.meter; x.ts = ts; x.energyKwh = registerKwh; x.powerKw = r.powerKw; x.gateway = t.gateway;
      x.enterprise = t.enterprise; x.county = t.county; x.chain = t.chain; x.ctMultiplier = t.ctMultiplier;
    }
    this.n++;
  };
  readonly stats: FeedStats = { readings: 0, meters: 0, firstTs: Infinity, lastTs: -Infinity, skippedAfterTo: 0, late: 0 };

  constructor(private readonly analyzer: Analyzer, private readonly lookup: TagLookup, private readonly rejects: Rejects, private readonly toMs = Infinity) {
    this.clock = new DataClock(analyzer);
    this.I = analyzer.options.intervalMs;
    // A reading further behind the newest than the analyzer's window comes too late to be judged in full.
    this.horizonMs = (analyzer.options.windowIntervals - 1) * this.I;
  }

  push(r: InputRow): void {
    if (r.meter === '') return this.rejects.add('missing_meter', whereOf(r));
    if (!Number.isFinite(r.value)) return this.rejects.add('bad_number', whereOf(r));
    if (r.ts > this.toMs) {
      this.stats.skippedAfterTo++;
      return;
    }
    let st = this.meters.get(r.meter);
    if (st === undefined) {
      const tags = this.lookup(r.meter, r);
      if (tags === undefined) return this.rejects.add('unknown_meter', whereOf(r), r.meter);
      st = { tags, firstTs: Infinity, readings: 0, lastTs: -Infinity, regCents: START_CENTS };
      this.meters.set(r.meter, st);
      this.stats.meters++;
    }
    if (r.ts === st.lastTs) return this.rejects.add('duplicate', whereOf(r), `${r.meter} at ${new Date(r.ts).toISOString()}`);
    // A register earlier than the meter's last one is late data the engine can still file (as the
    // pipeline does); interval energy cannot be summed out of order.
    const back = r.ts < st.lastTs;
    if (back && r.kind === 'energy') return this.rejects.add('out_of_order', whereOf(r), `${r.meter} at ${new Date(r.ts).toISOString()}`);
    if (r.kind === 'energy' ? r.value < 0 : r.value < 0 || r.value > REGISTER_MAX_KWH) {
      return this.rejects.add(r.kind === 'energy' ? 'negative_energy' : 'register_out_of_range', whereOf(r), String(r.value));
    }
    // Filed all the same, as the pipeline files a gateway's backlog; counted so an unsorted input shows.
    if (back || r.ts < this.newest - this.horizonMs) this.stats.late++;
    if (r.ts !== this.pendingTs) this.flush();
    this.pendingTs = r.ts;
    this.cur = r;
    this.curTags = st.tags;
    toRegisters(st, r, this.I, this.file);
    if (!back) st.lastTs = r.ts;
    if (r.ts < st.firstTs) st.firstTs = r.ts;
    st.readings++;
    this.stats.readings++;
    if (r.ts < this.stats.firstTs) this.stats.firstTs = r.ts;
    if (r.ts > this.stats.lastTs) this.stats.lastTs = r.ts;
    if (r.ts > this.newest) this.newest = r.ts;
  }

  /** Files the readings of the current instant, one batch per gateway, and advances the clock. */
  private flush(): void {
    if (this.n === 0) return;
    // The batch is a view of the first n reused objects (one small array per instant, not per row).
    const rs = this.n === this.pending.length ? this.pending : this.pending.slice(0, this.n);
    this.n = 0;
    let one = true;
    for (let i = 1; i < rs.length && one; i++) one = rs[i]!.gateway === rs[0]!.gateway;
    if (one) this.clock.file(rs);
    else {
      const byGw = new Map<string, EnrichedReading[]>();
      for (const r of rs) {
        const b = byGw.get(r.gateway);
        if (b) b.push(r);
        else byGw.set(r.gateway, [r]);
      }
      for (const b of byGw.values()) this.clock.file(b);
    }
    this.clock.advance();
  }

  /**
   * End of input: files what is pending, then evaluates up to the last interval (its grace passed), on
   * the same interval grid as the clock. The live pipeline would wait for more data instead.
   */
  end(): void {
    this.flush();
    this.clock.advance();
    const { clockMs } = this.clock.stats();
    if (clockMs === 0) return;
    for (let t = clockMs + this.I; t <= this.stats.lastTs + this.analyzer.options.graceMs + this.I - 1; t += this.I) this.analyzer.tick(t);
  }

  lastTs(meter: string): number | undefined {
    const t = this.meters.get(meter)?.lastTs;
    return t === undefined || t === -Infinity ? undefined : t;
  }

  /** Each meter filed: its enterprise, first and newest reading, and how many readings. */
  *meterSpans(): IterableIterator<{ meter: string; enterprise: string; firstTs: number; lastTs: number; readings: number }> {
    for (const [meter, st] of this.meters) {
      if (st.readings > 0) yield { meter, enterprise: st.tags.enterprise, firstTs: st.firstTs, lastTs: st.lastTs, readings: st.readings };
    }
  }

  tagsOf(meter: string): MeterTags | undefined {
    return this.meters.get(meter)?.tags;
  }
}
