import type { AlertBook } from './alerts.js';
import type { ResolvedOptions } from './options.js';
import type { Alert, Contributor } from './types.js';

/** An enterprise's latest drop episode, as the detector reports it (bins are interval ends / intervalMs). */
export interface Episode {
  start: number;
  last: number;
  A: number;
  E: number;
  active: boolean;
}

/** What the roll-up needs to know of the enterprises (dense indexes, as the engine keeps them). */
export interface ChainHost {
  readonly intervalMs: number;
  /** Recent episodes by enterprise; the roll-up prunes the ones that have aged out. */
  readonly episodes: Map<number, Episode>;
  entId(e: number): string | undefined;
  chainOf(e: number): number;
  chainId(c: number): string;
  inOutage(e: number): boolean;
  /** Supply-chain neighbours (registry `suppliers`, both ways; a leader's two hops). */
  neighbours(e: number): Iterable<number>;
  isLeader(e: number): boolean;
  /** actual/expected over the last hour when that hour is one the detector judges; NaN otherwise. */
  workingHourRatio(e: number, b: number): number;
  /** actual and expected kWh of interval b, NaN when unknown. */
  actual(e: number, b: number): number;
  expected(e: number, b: number): number;
  enterpriseAlert(e: number): Alert | undefined;
}

interface Member {
  start: number;
  A: number;
  E: number;
  /** Named because it fell below chainSoftRatio next to a member, without a drop episode of its own. */
  soft: boolean;
  /** Last interval whose energy was counted (soft members accumulate one interval at a time). */
  lastBin: number;
}

interface ChainEpisode {
  alert: Alert;
  chain: number;
  trigger: number;
  members: Map<number, Member>;
}

type ChainOptions = Pick<ResolvedOptions, 'chainWindowMs' | 'chainMinLinked' | 'chainMinEnterprises' | 'chainTogetherMs' | 'chainSoftRatio'>;

/**
 * Chain disruption: a drop that travels along the supply graph. It opens when an enterprise in a drop
 * episode has chainMinLinked supply-chain neighbours whose episodes began within chainWindowMs of its own
 * (a leader's suppliers and customers follow with a lag of hours to days), or when chainMinEnterprises of
 * one chain start dropping within chainTogetherMs. While it is open it grows along the graph: neighbours
 * of its members join when their own episode starts, or, named only, when their working hours fall below
 * chainSoftRatio. Each member's enterprise alert points to it (`parentId`): one disruption, one story.
 */
export class ChainRollup {
  private readonly open = new Map<number, ChainEpisode>();
  private readonly memberOf = new Map<number, ChainEpisode>();

  constructor(private readonly o: ChainOptions, private readonly host: ChainHost, private readonly book: AlertBook) {}

  /** The chain disruption alert an enterprise's drop is part of, if any. */
  parentOf(e: number): string | undefined {
    return this.memberOf.get(e)?.alert.id;
  }

  step(b: number, now: number): void {
    const h = this.host;
    const windowBins = Math.ceil(this.o.chainWindowMs / h.intervalMs);
    for (const [e, ep] of h.episodes) {
      if (h.entId(e) === undefined || (!ep.active && b - ep.last > windowBins)) h.episodes.delete(e);
    }
    for (const ce of this.open.values()) this.grow(ce, b, windowBins, now);
    this.openNew(b, windowBins, now);
    for (const ce of [...this.open.values()]) this.refresh(ce, b, now);
  }

  private validChain(c: number): boolean {
    const id = this.host.chainId(c);
    return id !== '' && id !== 'none';
  }

  private free(e: number): boolean {
    return !this.memberOf.has(e) && !this.host.inOutage(e);
  }

  private openNew(b: number, windowBins: number, now: number): void {
    const h = this.host;
    for (const [e, ep] of h.episodes) {
      if (!ep.active || !this.free(e) || !this.validChain(h.chainOf(e))) continue;
      const linked: number[] = [];
      for (const n of h.neighbours(e)) {
        const en = h.episodes.get(n);
        if (en && this.free(n) && Math.abs(en.start - ep.start) <= windowBins) linked.push(n);
      }
      if (linked.length < this.o.chainMinLinked) continue;
      this.start([e, ...linked], b, now, 'supply-chain neighbours dropping together or in sequence');
    }
    if (this.o.chainMinEnterprises <= 0) return;
    const togetherBins = Math.ceil(this.o.chainTogetherMs / h.intervalMs);
    const byChain = new Map<number, number[]>();
    for (const [e, ep] of h.episodes) {
      if (!ep.active || !this.free(e) || b - ep.start > togetherBins) continue;
      const c = h.chainOf(e);
      if (!this.validChain(c)) continue;
      let l = byChain.get(c);
      if (!l) byChain.set(c, (l = []));
      l.push(e);
    }
    for (const group of byChain.values()) {
      if (group.length >= this.o.chainMinEnterprises) this.start(group, b, now, `${group.length} enterprises of the chain dropping within ${this.o.chainTogetherMs / 3_600_000} h`);
    }
  }

  /** Opens a disruption on the chain of its earliest member (a leader first on a tie), or joins the open one. */
  private start(group: number[], b: number, now: number, reason: string): void {
    const h = this.host;
    let trigger = group[0]!;
    for (const e of group) {
      const s = h.episodes.get(e)!.start, st = h.episodes.get(trigger)!.start;
      if (s < st || (s === st && h.isLeader(e) && !h.isLeader(trigger))) trigger = e;
    }
    const chain = h.chainOf(trigger);
    const ce = this.open.get(chain);
    if (ce) {
      for (const e of group) this.join(ce, e, false, b, now);
      this.refresh(ce, b, now);
      return;
    }
    const members = new Map<number, Member>();
    for (const e of group) members.set(e, { start: h.episodes.get(e)!.start, A: 0, E: 0, soft: false, lastBin: b });
    const s = this.summarize(members, b);
    const alert = this.book.create({
      kind: 'chain_disruption', scope: 'chain', entity: h.chainId(chain), since: s.since, baselineKwh: s.E, actualKwh: s.A, contributors: s.contributors,
      evidence: { detectedAtTs: b * h.intervalMs, intervals: s.intervals, reason, ...(h.isLeader(trigger) ? { leader: h.entId(trigger)! } : {}) },
    }, now);
    const created: ChainEpisode = { alert, chain, trigger, members };
    this.open.set(chain, created);
    for (const e of group) this.join(created, e, false, b, now);
  }

  private join(ce: ChainEpisode, e: number, soft: boolean, b: number, now: number): void {
    const ep = this.host.episodes.get(e);
    if (!ce.members.has(e)) ce.members.set(e, { start: soft || !ep ? b : ep.start, A: 0, E: 0, soft, lastBin: b });
    this.memberOf.set(e, ce);
    const a = this.host.enterpriseAlert(e);
    if (a && a.status === 'open' && a.parentId !== ce.alert.id) this.book.update(a, now, { parentId: ce.alert.id });
  }

  /** Neighbours of members join: with an episode of their own (in the window), or named when clearly low. */
  private grow(ce: ChainEpisode, b: number, windowBins: number, now: number): void {
    const h = this.host;
    let first = Infinity;
    for (const m of ce.members.values()) if (!m.soft) first = Math.min(first, m.start);
    for (const [e, m] of [...ce.members]) {
      if (m.soft) continue;
      for (const n of h.neighbours(e)) {
        if (!this.free(n)) continue;
        const en = h.episodes.get(n);
        if (en && en.active && en.start >= first - windowBins) this.join(ce, n, false, b, now);
        else if (h.workingHourRatio(n, b) <= this.o.chainSoftRatio) this.join(ce, n, true, b, now);
      }
    }
  }

  /** Energy of each member over its part of the disruption; active while any member's own episode is. */
  private summarize(members: Map<number, Member>, b: number) {
    const h = this.host;
    let active = false, since = Infinity, A = 0, E = 0, missing = 0;
    for (const [e, m] of members) {
      const ep = h.episodes.get(e);
      if (!m.soft && ep && ep.start >= m.start - 1) {
        m.A = ep.A; m.E = ep.E;
        if (ep.active) active = true;
      } else if (m.soft && b > m.lastBin) {
        const a = h.actual(e, b), x = h.expected(e, b);
        if (!Number.isNaN(a) && !Number.isNaN(x)) { m.A += a; m.E += x; }
      }
      m.lastBin = b;
      since = Math.min(since, m.start);
      A += m.A; E += m.E;
      missing += Math.max(0, m.E - m.A);
    }
    const contributors: Contributor[] = [];
    for (const [e, m] of members) {
      const miss = Math.max(0, m.E - m.A);
      contributors.push({ enterprise: h.entId(e)!, share: missing > 0 ? Math.round((miss / missing) * 1000) / 1000 : 1 / members.size, missingKwh: Math.round(miss * 1000) / 1000 });
    }
    contributors.sort((p, q) => q.share - p.share);
    return { active, since: since * h.intervalMs - h.intervalMs, intervals: b - since + 1, A, E, contributors };
  }

  private refresh(ce: ChainEpisode, b: number, now: number): void {
    const h = this.host;
    const s = this.summarize(ce.members, b);
    if (!s.active) {
      this.book.update(ce.alert, now, { evidence: { detectedAtTs: b * h.intervalMs } }, false);
      this.book.close(ce.alert, 'resolved', now, 'every enterprise of the disruption back to baseline');
      this.open.delete(ce.chain);
      for (const e of ce.members.keys()) this.memberOf.delete(e);
      return;
    }
    const changed = s.contributors.length !== ce.alert.contributors.length;
    this.book.update(ce.alert, now, {
      since: s.since, baselineKwh: s.E, actualKwh: s.A, contributors: s.contributors,
      evidence: { detectedAtTs: b * h.intervalMs, intervals: s.intervals },
    }, changed);
  }

  toJSON(): unknown {
    return [...this.open.values()].map((ce) => ({ alert: ce.alert.id, chain: ce.chain, trigger: ce.trigger, members: [...ce.members] }));
  }

  load(s: unknown, byId: (id: string) => Alert | undefined): void {
    this.open.clear();
    this.memberOf.clear();
    if (!Array.isArray(s)) return;
    for (const x of s as Array<{ alert: string; chain: number; trigger: number; members: Array<[number, Member]> }>) {
      const alert = byId(x.alert);
      if (!alert || alert.status !== 'open') continue;
      const ce: ChainEpisode = { alert, chain: x.chain, trigger: x.trigger, members: new Map(x.members) };
      this.open.set(x.chain, ce);
      for (const e of ce.members.keys()) this.memberOf.set(e, ce);
    }
  }
}
