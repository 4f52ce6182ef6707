import type { AlertBook } from './alerts.js';
import type { ResolvedOptions } from './options.js';
import type { Alert, Contributor } from './types.js';

/** County slowdown is judged on a rolling day (its intervals: 96 of 15 minutes, 24 of an hour). */
const DAY_MS = 86_400_000;

/** What the slowdown test reads of the enterprises (dense indexes, as the engine keeps them). */
export interface CountyHost {
  readonly intervalMs: number;
  /** Intervals kept per enterprise (W). */
  readonly window: number;
  /** Enterprise slots in use, free ones included (they have no id). */
  enterprises(): number;
  entId(e: number): string | undefined;
  countyOf(e: number): number;
  /** actual (NaN: no data) and expected (NaN: unknown) kWh of interval b. */
  actual(e: number, b: number): number;
  expected(e: number, b: number): number;
  /** A grid outage is open in the county: the outage is the story, not a slowdown. */
  countyInOutage(c: number): boolean;
}

type CountyOptions = Pick<ResolvedOptions, 'countyMinEnterprises' | 'countySlowRatio' | 'countySlowIntervals' | 'countyRecoverRatio'>;

interface County {
  id: string;
  /** Judged actual and expected per interval of the rolling day (enterprises outside an outage). */
  ringA: Float64Array;
  ringE: Float64Array;
  lowRun: number;
  slow?: Alert;
  /** Enterprises currently in the county (for the minimum size of a county judgement). */
  members: number;
}

/** A county's line in the checkpoint. */
export interface CountyJSON {
  id: string;
  lowRun: number;
  slow: string | null;
  ringA: number[];
  ringE: number[];
}

/**
 * County slowdown: a county's actual/expected over a rolling day below countySlowRatio for
 * countySlowIntervals intervals in a row (counties of at least countyMinEnterprises). It shows a broad
 * fall that no single enterprise's alert does; during a grid outage there the outage is the story. Names
 * the 20 enterprises missing most energy and closes at countyRecoverRatio.
 */
export class CountySlowdown {
  private counties: County[] = [];

  /** Intervals in the rolling day. */
  private readonly ring: number;

  constructor(private readonly o: CountyOptions, private readonly host: CountyHost, private readonly book: AlertBook) {
    this.ring = Math.round(DAY_MS / host.intervalMs);
  }

  /** A new county (the engine's dense index: the next one). */
  add(id: string): void {
    this.counties.push({ id, ringA: new Float64Array(this.ring), ringE: new Float64Array(this.ring), lowRun: 0, members: 0 });
  }
  join(c: number): void {
    this.counties[c]!.members++;
  }
  leave(c: number): void {
    this.counties[c]!.members--;
  }
  id(c: number): string {
    return this.counties[c]!.id;
  }
  ids(): string[] {
    return this.counties.map((c) => c.id);
  }

  /** Interval b starts: its slot of the rolling day is emptied. */
  clear(b: number): void {
    for (const c of this.counties) {
      c.ringA[b % this.ring] = 0;
      c.ringE[b % this.ring] = 0;
    }
  }

  /** Hot path: one judged enterprise's interval. */
  record(c: number, b: number, A: number, E: number): void {
    const cs = this.counties[c]!;
    const k = b % this.ring;
    cs.ringA[k]! += A;
    cs.ringE[k]! += E;
  }

  step(b: number, now: number): void {
    const o = this.o, I = this.host.intervalMs;
    for (let c = 0; c < this.counties.length; c++) {
      const cs = this.counties[c]!;
      // The cheap tests first: a county too small to judge (one per meter in `gridpulse analyze`
      // without a registry) skips the day's sums.
      if (cs.members < o.countyMinEnterprises || this.host.countyInOutage(c)) { cs.lowRun = 0; continue; }
      let A = 0, E = 0;
      for (let k = 0; k < this.ring; k++) { A += cs.ringA[k]!; E += cs.ringE[k]!; }
      if (E <= 0) { cs.lowRun = 0; continue; }
      const r = A / E;
      if (cs.slow) {
        this.book.update(cs.slow, now, { baselineKwh: E, actualKwh: A }, false);
        if (r >= o.countyRecoverRatio) {
          this.book.close(cs.slow, 'resolved', now, 'county back near its expected level');
          cs.slow = undefined;
          cs.lowRun = 0;
        }
        continue;
      }
      cs.lowRun = r < o.countySlowRatio ? cs.lowRun + 1 : 0;
      if (cs.lowRun < o.countySlowIntervals) continue;
      const contrib = this.topContributors(c, b);
      cs.slow = this.book.create({
        kind: 'county_slowdown', scope: 'county', entity: cs.id, since: (b - cs.lowRun - this.ring + 1) * I, baselineKwh: E, actualKwh: A,
        contributors: contrib, evidence: { detectedAtTs: b * I, intervals: cs.lowRun + this.ring - 1 },
      }, now);
    }
  }

  /** The 20 enterprises missing most energy over the window, with their share of what the county misses. */
  private topContributors(county: number, b: number): Contributor[] {
    const h = this.host, W = h.window;
    const out: Contributor[] = [];
    let total = 0;
    for (let e = 0, n = h.enterprises(); e < n; e++) {
      if (h.entId(e) === undefined || h.countyOf(e) !== county) continue;
      let miss = 0;
      for (let k = b - W + 1; k <= b; k++) {
        const a = h.actual(e, k), x = h.expected(e, k);
        if (!Number.isNaN(a) && !Number.isNaN(x)) miss += x - a;
      }
      if (miss > 0) { out.push({ enterprise: h.entId(e)!, share: 0, missingKwh: miss }); total += miss; }
    }
    out.sort((p, q) => q.missingKwh - p.missingKwh);
    const top = out.slice(0, 20);
    for (const c of top) { c.share = Math.round((c.missingKwh / total) * 1000) / 1000; c.missingKwh = Math.round(c.missingKwh * 1000) / 1000; }
    return top;
  }

  toJSON(): CountyJSON[] {
    return this.counties.map((c) => ({ id: c.id, lowRun: c.lowRun, slow: c.slow?.id ?? null, ringA: [...c.ringA], ringE: [...c.ringE] }));
  }

  /** Forgets every county; the engine adds them back in checkpoint order, then restore() fills them. */
  reset(): void {
    this.counties = [];
  }
  restore(c: number, s: CountyJSON, byId: (id: string | null) => Alert | undefined): void {
    const cs = this.counties[c]!;
    cs.lowRun = s.lowRun; cs.ringA.set(s.ringA); cs.ringE.set(s.ringE); cs.slow = byId(s.slow);
  }
}
