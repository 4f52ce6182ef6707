import type { AlertBook } from './alerts.js';
import type { ResolvedOptions } from './options.js';
import type { Alert } from './types.js';

const NONE = -1;
const OUTAGE = 'explained by a grid outage';

/** What offline detection reads of the meters (dense indexes, as the engine keeps them). */
export interface SilenceHost {
  readonly intervalMs: number;
  /** Meter slots in use, free ones included (they have no id). */
  meterSlots(): number;
  /** Live meters. */
  meterCount(): number;
  meterId(m: number): string | undefined;
  gatewayOf(m: number): number;
  gatewayCount(): number;
  gatewayId(g: number): string;
  /** Last interval with data, −1 when none. */
  lastBin(m: number): number;
  /** Last interval it sent a reading the pipeline rejected, −1 when none. */
  heardBin(m: number): number;
  /** Intervals between its readings (1; a coarse meter's spacing): it is not silent between two of them. */
  spacing(m: number): number;
  /** The meter's enterprise is in a grid outage: its silence is the outage's. */
  meterInOutage(m: number): boolean;
}

type SilenceOptions = Pick<ResolvedOptions, 'offlineAfterIntervals' | 'gatewayOfflineAfterIntervals'>;

/**
 * Offline alerts. A meter alone may lag or lose a message, so it is meter_offline only after
 * offlineAfterIntervals; a whole concentrator silent is clear sooner (gatewayOfflineAfterIntervals) and is
 * one gateway_offline, not one alert per meter. Silence inside a grid outage is the outage's, and most of
 * the city silent at once is our own input stalling, which raises nothing.
 *
 * A meter still sending readings that the pipeline rejects is talking: a burst of bad readings is
 * the rejects' business (the sender is told why, they are counted and kept), not a dead link. Such a
 * meter counts as silent only when it has sent nothing at all for as long, or nothing usable for twice
 * as long (then meter_offline with `rejectedOnly` in its evidence).
 */
export class OfflineAlerts {
  private readonly gwAlerts = new Map<number, Alert>();
  private readonly meterAlerts = new Map<number, Alert>();
  private gwTotal = new Int32Array(0);
  private gwSilent = new Int32Array(0);

  constructor(private readonly o: SilenceOptions, private readonly host: SilenceHost, private readonly book: AlertBook) {}

  /** Meters silent for offlineAfterIntervals: the whole gateway → gateway_offline, else meter_offline. */
  check(nowBin: number, now: number): void {
    const h = this.host, I = h.intervalMs;
    const lim = this.o.offlineAfterIntervals, gwLim = Math.min(lim, this.o.gatewayOfflineAfterIntervals);
    const G = h.gatewayCount();
    if (this.gwTotal.length < G) { this.gwTotal = new Int32Array(G * 2); this.gwSilent = new Int32Array(G * 2); }
    const total = this.gwTotal, silentN = this.gwSilent;
    total.fill(0, 0, G); silentN.fill(0, 0, G);
    // A meter alone may lag or lose a message; a whole concentrator silent is clear sooner (gwLim).
    const silentMeters: number[] = [];
    const rejectedOnly: number[] = [];
    for (let m = 0, n = h.meterSlots(); m < n; m++) {
      if (h.meterId(m) === undefined) continue;
      const g = h.gatewayOf(m);
      total[g]!++;
      const last = h.lastBin(m);
      if (last === NONE || nowBin - last < gwLim || h.meterInOutage(m)) continue;
      const slack = h.spacing(m) - 1;
      if (this.quietFor(m, nowBin) >= gwLim) {
        silentN[g]!++;
        silentMeters.push(m);
      } else if (nowBin - last - slack >= 2 * lim) rejectedOnly.push(m);
    }
    if (this.meterAlerts.size > 0) {
      for (const [m, a] of this.meterAlerts) {
        const last = h.lastBin(m);
        if (h.meterId(m) === undefined || nowBin - last < lim) {
          this.book.close(a, 'resolved', now, 'data resumed');
          this.meterAlerts.delete(m);
        }
      }
    }
    for (const [g, ga] of this.gwAlerts) {
      if (silentN[g] !== total[g] || total[g] === 0) {
        this.book.close(ga, 'resolved', now, 'data resumed');
        this.gwAlerts.delete(g);
      }
    }
    for (const m of rejectedOnly) this.raiseMeter(m, nowBin, now, true);
    if (silentMeters.length === 0) return;
    // The whole city silent is our input stalling (pipeline down, end of data), not thousands of gateways.
    if (silentMeters.length > 20 && silentMeters.length > h.meterCount() / 2) return;
    const byGw = new Map<number, number[]>();
    for (const m of silentMeters) {
      const g = h.gatewayOf(m);
      let l = byGw.get(g);
      if (!l) byGw.set(g, (l = []));
      l.push(m);
    }
    for (const [g, ms] of byGw) {
      if (ms.length === total[g]) {
        if (!this.gwAlerts.has(g)) {
          const lastBin = Math.max(...ms.map((m) => h.lastBin(m)));
          this.gwAlerts.set(g, this.book.create({
            kind: 'gateway_offline', scope: 'gateway', entity: h.gatewayId(g), since: lastBin * I, baselineKwh: 0, actualKwh: 0,
            evidence: { detectedAtTs: nowBin * I, intervals: nowBin - lastBin, lastSeenTs: lastBin * I, meters: ms.map((m) => h.meterId(m)!) },
          }, now));
        }
        continue;
      }
      for (const m of ms) if (this.quietFor(m, nowBin) >= lim) this.raiseMeter(m, nowBin, now, false);
    }
  }

  /** Intervals since the meter last sent anything, usable or rejected, beyond its own spacing. */
  private quietFor(m: number, nowBin: number): number {
    return nowBin - Math.max(this.host.lastBin(m), this.host.heardBin(m)) - (this.host.spacing(m) - 1);
  }

  private raiseMeter(m: number, nowBin: number, now: number, rejectedOnly: boolean): void {
    if (this.meterAlerts.has(m)) return;
    const h = this.host, I = h.intervalMs, last = h.lastBin(m), heard = h.heardBin(m);
    this.meterAlerts.set(m, this.book.create({
      kind: 'meter_offline', scope: 'meter', entity: h.meterId(m)!, since: last * I, baselineKwh: 0, actualKwh: 0,
      evidence: {
        detectedAtTs: nowBin * I, intervals: nowBin - last, lastSeenTs: last * I, gateways: [h.gatewayId(h.gatewayOf(m))],
        ...(heard > last ? { lastHeardTs: heard * I } : {}), ...(rejectedOnly ? { rejectedOnly: true } : {}),
      },
    }, now));
  }

  /** Meter m's enterprise joined a grid outage: its own and its gateway's offline alerts are withdrawn. */
  explainedByOutage(m: number, now: number): void {
    const ma = this.meterAlerts.get(m);
    if (ma) { this.book.close(ma, 'withdrawn', now, OUTAGE); this.meterAlerts.delete(m); }
    const g = this.host.gatewayOf(m);
    const ga = this.gwAlerts.get(g);
    if (ga) { this.book.close(ga, 'withdrawn', now, OUTAGE); this.gwAlerts.delete(g); }
  }

  /** Meter m gives its dense index back. */
  evicted(m: number, now: number): void {
    const ma = this.meterAlerts.get(m);
    if (ma) { this.book.close(ma, 'resolved', now, 'meter evicted after long silence'); this.meterAlerts.delete(m); }
  }

  /** Checkpoint parts: [index, alert id] pairs (gateways, meters). */
  gatewaysJSON(): Array<[number, string]> {
    return [...this.gwAlerts].map(([g, a]) => [g, a.id]);
  }
  metersJSON(): Array<[number, string]> {
    return [...this.meterAlerts].map(([m, a]) => [m, a.id]);
  }

  load(gateways: Array<[number, string]>, meters: Array<[number, string]>, byId: (id: string) => Alert | undefined): void {
    this.gwAlerts.clear(); this.meterAlerts.clear();
    for (const [g, id] of gateways) { const a = byId(id); if (a) this.gwAlerts.set(g, a); }
    for (const [m, id] of meters) { const a = byId(id); if (a) this.meterAlerts.set(m, a); }
  }
}
