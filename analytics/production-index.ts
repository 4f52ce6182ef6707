import type { AlertBook } from './alerts.js';
import type { ResolvedOptions } from './options.js';
import { round2 } from './stats.js';
import type { ExpectedPoint, IndexPoint } from './types.js';

/** Running sums of one chain or county for the hour and the day being filled. */
export interface GroupIndex {
  hourA: number; hourE: number; dayA: number; dayE: number;
}

/**
 * Production index: 100 × actual / expected per chain and per county, hourly and daily. Every interval of
 * data with a baseline counts (weekends and holidays too, planned shutdowns excepted): expected is already
 * calendar-aware, so the index reads as activity against a normal day of that kind. The latest
 * maxIndexPoints points are kept; each one is also emitted as an `index` event. While an `expected`
 * listener exists, each interval's per-enterprise actual and expected are emitted as one batch.
 */
export class ProductionIndex {
  private chains: GroupIndex[] = [];
  private counties: GroupIndex[] = [];
  private points: IndexPoint[] = [];
  /** The interval's enterprise points, collected only while someone listens for `expected`. */
  private judged: ExpectedPoint[] | undefined;

  constructor(private readonly o: Pick<ResolvedOptions, 'maxIndexPoints'>, private readonly book: AlertBook) {}

  /** A new chain or county (the engine's dense index: the next one). */
  addChain(): void {
    this.chains.push({ hourA: 0, hourE: 0, dayA: 0, dayE: 0 });
  }
  addCounty(): void {
    this.counties.push({ hourA: 0, hourE: 0, dayA: 0, dayE: 0 });
  }

  /** Hot path: one enterprise's interval. */
  add(chain: number, county: number, A: number, E: number): void {
    const gi = this.chains[chain]!, ci = this.counties[county]!;
    gi.hourA += A; gi.hourE += E; gi.dayA += A; gi.dayE += E;
    ci.hourA += A; ci.hourE += E; ci.dayA += A; ci.dayE += E;
  }

  /** An interval's evaluation starts: collect enterprise points when they have a listener. */
  openInterval(): void {
    this.judged = this.book.emitting && this.book.listenerCount('expected') > 0 ? [] : undefined;
  }
  get collecting(): boolean {
    return this.judged !== undefined;
  }
  /** One enterprise's interval (starting at ts), when collecting. */
  judge(enterprise: string, ts: number, A: number, E: number): void {
    this.judged?.push({ enterprise, ts, actualKwh: round2(A), expectedKwh: round2(E) });
  }
  /** The interval's evaluation ends: its enterprise points as one `expected` event. */
  closeInterval(): void {
    const batch = this.judged;
    this.judged = undefined;
    if (batch && batch.length > 0) (this.book as unknown as { emit: (n: string, p: ExpectedPoint[]) => void }).emit('expected', batch);
  }

  /** The hour starting at ts ends: one point per chain and county with data (chains first). */
  closeHour(ts: number, chainIds: readonly string[], countyIds: readonly string[]): void {
    this.close('hour', ts, chainIds, countyIds);
  }

  closeDay(ts: number, chainIds: readonly string[], countyIds: readonly string[]): void {
    this.close('day', ts, chainIds, countyIds);
  }

  private close(resolution: 'hour' | 'day', ts: number, chainIds: readonly string[], countyIds: readonly string[]): void {
    const emit = (scope: 'chain' | 'county', ids: readonly string[], g: GroupIndex[]): void => {
      for (let i = 0; i < g.length; i++) {
        const x = g[i]!;
        const A = resolution === 'hour' ? x.hourA : x.dayA, E = resolution === 'hour' ? x.hourE : x.dayE;
        if (E > 0) this.push({ scope, entity: ids[i]!, resolution, ts, actualKwh: round2(A), expectedKwh: round2(E), index: round2((100 * A) / E) });
        if (resolution === 'hour') { x.hourA = 0; x.hourE = 0; } else { x.dayA = 0; x.dayE = 0; }
      }
    };
    emit('chain', chainIds, this.chains);
    emit('county', countyIds, this.counties);
  }

  private push(p: IndexPoint): void {
    this.points.push(p);
    // Amortised trim: drop the oldest once the list holds twice the bound (a splice per point cost O(n) each).
    if (this.points.length >= 2 * this.o.maxIndexPoints) this.points = this.points.slice(this.points.length - this.o.maxIndexPoints);
    if (this.book.emitting) (this.book as unknown as { emit: (n: string, p: IndexPoint) => void }).emit('index', p);
  }

  /** The latest maxIndexPoints points, oldest first. */
  list(): IndexPoint[] {
    return this.points.slice(Math.max(0, this.points.length - this.o.maxIndexPoints));
  }

  /** Checkpoint part: the sums being filled (the points themselves are not kept). */
  toJSON(): { chainIdx: GroupIndex[]; countyIdx: GroupIndex[] } {
    return { chainIdx: this.chains, countyIdx: this.counties };
  }

  /** Forgets every chain and county; the engine adds them back in checkpoint order, then load() fills them. */
  reset(): void {
    this.chains = [];
    this.counties = [];
  }
  load(chainIdx: GroupIndex[], countyIdx: GroupIndex[]): void {
    chainIdx.forEach((g, i) => Object.assign(this.chains[i]!, g));
    countyIdx.forEach((g, i) => Object.assign(this.counties[i]!, g));
  }
}
