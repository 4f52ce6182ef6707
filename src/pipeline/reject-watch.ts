import type { Logger } from 'pino';

export interface BulkRejects {
  gateway: string;
  /** Readings rejected and received over the window. */
  rejected: number;
  received: number;
  /** Reject counts by code over the window. */
  codes: Record<string, number>;
}

interface Bucket { at: number; accepted: number; rejected: number; codes: Record<string, number> }

/**
 * Notices a gateway whose readings are being rejected in bulk (a wrong clock, a firmware sending
 * the wrong format): more than `share` of its readings over the last `windowMs`, at least
 * `minReadings` of them. Logs a warning when a gateway starts and an info line when it stops;
 * the pipeline lists the gateways in /readyz. Kept per gateway in 10-second buckets: memory is
 * bounded by the gateways that sent in the last window.
 */
export class RejectWatch {
  private readonly byGateway = new Map<string, Bucket[]>();
  private readonly flagged = new Set<string>();
  private static readonly BUCKET_MS = 10_000;

  constructor(private readonly log: Logger, private readonly opts = { windowMs: 60_000, share: 0.5, minReadings: 10 }, private readonly now = () => Date.now()) {}

  record(gateway: string, accepted: number, rejectCodes: readonly string[]): void {
    const at = Math.floor(this.now() / RejectWatch.BUCKET_MS) * RejectWatch.BUCKET_MS;
    let buckets = this.byGateway.get(gateway);
    if (!buckets) this.byGateway.set(gateway, (buckets = []));
    let b = buckets.at(-1);
    if (!b || b.at !== at) buckets.push((b = { at, accepted: 0, rejected: 0, codes: {} }));
    b.accepted += accepted;
    b.rejected += rejectCodes.length;
    for (const c of rejectCodes) b.codes[c] = (b.codes[c] ?? 0) + 1;
  }

  /** Gateways rejected in bulk over the window (logs the changes since the last call). */
  check(): BulkRejects[] {
    const from = this.now() - this.opts.windowMs;
    const out: BulkRejects[] = [];
    for (const [gateway, buckets] of this.byGateway) {
      while (buckets.length > 0 && buckets[0]!.at + RejectWatch.BUCKET_MS <= from) buckets.shift();
      if (buckets.length === 0) { this.byGateway.delete(gateway); continue; }
      let accepted = 0, rejected = 0;
      const codes: Record<string, number> = {};
      for (const b of buckets) {
        accepted += b.accepted;
        rejected += b.rejected;
        for (const [c, n] of Object.entries(b.codes)) codes[c] = (codes[c] ?? 0) + n;
      }
      const received = accepted + rejected;
      if (received >= this.opts.minReadings && rejected > this.opts.share * received) out.push({ gateway, rejected, received, codes });
    }
    const now = new Set(out.map((o) => o.gateway));
    for (const o of out) {
      if (!this.flagged.has(o.gateway)) this.log.warn({ ...o, windowMs: this.opts.windowMs }, `gateway ${o.gateway}: ${describe(o)}`);
    }
    for (const g of this.flagged) if (!now.has(g)) this.log.info({ gateway: g }, `gateway ${g}: readings accepted again`);
    this.flagged.clear();
    for (const g of now) this.flagged.add(g);
    return out;
  }

  /** Gateways that sent anything over the window. */
  senders(): number {
    return this.byGateway.size;
  }
}

export function describe(o: BulkRejects): string {
  const codes = Object.entries(o.codes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
  return `${Math.round((100 * o.rejected) / o.received)} % of its readings rejected over the last minute (${o.rejected} of ${o.received}: ${codes})`;
}
