import type { Logger } from 'pino';
import type { AlertStore, OutboxRow } from './store.js';
import type { Channel } from './channels/types.js';

/** Time for the outbox: real by default; the drain benchmark runs it accelerated. */
export interface Clock {
  now(): number;
  /** Waits `ms` of this clock's time (or less, when woken). */
  sleep(ms: number, wake: Promise<void>): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, wake) => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    void wake.then(() => {
      clearTimeout(t);
      resolve();
    });
  }),
};

export interface OutboxOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Delivered rows are kept this long (the API shows them), then pruned. */
  keepDeliveredMs: number;
}

export interface ChannelState {
  name: string;
  type: Channel['type'];
  queued: number;
  delivered: number;
  /** When the current run of failures began; null when the last attempt succeeded. */
  failingSince: number | null;
  lastError: string | null;
  lastDeliveredAt: number | null;
  oldestQueuedAt: number | null;
}

/** Exponential backoff with jitter (half to full of base × 2^attempt), capped. */
export function backoff(attempt: number, o: Pick<OutboxOptions, 'baseDelayMs' | 'maxDelayMs'>, rnd = Math.random): number {
  const d = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(d * (0.5 + rnd() / 2));
}

/**
 * Delivers outbox rows, at least once: one loop per channel takes its oldest undelivered row (so a
 * channel is strictly in order, and one slow receiver holds up only its own channel), delivers it,
 * and marks it delivered; a failure leaves the row in place with its next attempt time. Rows survive
 * restarts and kill -9 (they are SQLite rows written with the alert change).
 */
export class Outbox {
  private running = false;
  private loops: Promise<void>[] = [];
  private wakers = new Map<string, () => void>();
  private readonly state = new Map<string, { failingSince: number | null; lastError: string | null; lastDeliveredAt: number | null }>();

  constructor(private readonly store: AlertStore, readonly channels: readonly Channel[], private readonly o: OutboxOptions, private readonly log: Logger | undefined, private readonly clock: Clock = realClock, private readonly onDelivered?: (channel: string, createdAt: number) => void, private readonly onFailed?: (channel: string) => void) {
    for (const c of channels) this.state.set(c.name, { failingSince: null, lastError: null, lastDeliveredAt: null });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const c of this.channels) this.loops.push(this.loop(c));
  }

  /** New rows were committed: look now rather than at the next timer. */
  wake(): void {
    for (const w of [...this.wakers.values()]) w();
  }

  private wakeSignal(name: string): Promise<void> {
    return new Promise<void>((resolve) => this.wakers.set(name, () => {
      this.wakers.delete(name);
      resolve();
    }));
  }

  private scrub(c: Channel, msg: string): string {
    let out = msg;
    for (const s of c.secrets) if (s) out = out.split(s).join('***');
    return out.replace(/(access_token|key|sign)=[^&\s]+/gi, '$1=***');
  }

  private async loop(c: Channel): Promise<void> {
    const st = this.state.get(c.name)!;
    let lastPrune = 0;
    while (this.running) {
      const wake = this.wakeSignal(c.name);
      if (c.digest) {
        await this.digestStep(c, wake);
        continue;
      }
      const row = this.store.nextPending(c.name);
      const now = this.clock.now();
      if (!row) {
        if (now - lastPrune > 3_600_000) {
          lastPrune = now;
          this.store.pruneDelivered(now - this.o.keepDeliveredMs);
        }
        await this.clock.sleep(60_000, wake);
        continue;
      }
      if (row.next_at > now) {
        await this.clock.sleep(row.next_at - now, wake);
        continue;
      }
      const e = this.store.event(row.event_seq);
      try {
        if (e) await c.deliver(e, row.idempotency_key);
        const at = this.clock.now();
        this.store.markDelivered(row.id, at);
        st.failingSince = null;
        st.lastError = null;
        st.lastDeliveredAt = at;
        this.onDelivered?.(c.name, row.created_at);
      } catch (err) {
        this.failed(c, err, [row]);
      }
    }
  }

  private failed(c: Channel, err: unknown, rows: OutboxRow[]): void {
    const st = this.state.get(c.name)!;
    const msg = this.scrub(c, (err as Error).message + ((err as { cause?: Error }).cause ? `: ${(err as { cause: Error }).cause.message}` : ''));
    const at = this.clock.now();
    if (st.failingSince === null) this.log?.warn({ channel: c.name, err: msg }, 'alert delivery failing; retrying with backoff');
    st.failingSince ??= at;
    st.lastError = msg;
    this.onFailed?.(c.name);
    const next = at + backoff(rows[0]!.attempts, this.o);
    for (const r of rows) this.store.markFailed(r.id, msg, next);
  }

  /** A digest channel: everything created before the latest due time goes out as one message. */
  private async digestStep(c: Channel, wake: Promise<void>): Promise<void> {
    const d = c.digest!;
    const now = this.clock.now();
    const due = d.dueAt(now);
    const rows = this.store.pendingBefore(c.name, due, 5000);
    if (rows.length === 0) return this.clock.sleep(Math.min(d.nextAt(now) - now, 3_600_000), wake);
    const retryAt = Math.max(...rows.map((r) => r.next_at));
    if (retryAt > now) return this.clock.sleep(retryAt - now, wake);
    const events = rows.map((r) => this.store.event(r.event_seq)).filter((e): e is NonNullable<typeof e> => e !== undefined);
    try {
      await d.deliverMany(events, `${c.name}:digest:${due}:${rows[0]!.id}`);
      const at = this.clock.now();
      for (const r of rows) this.store.markDelivered(r.id, at);
      const st = this.state.get(c.name)!;
      st.failingSince = null;
      st.lastError = null;
      st.lastDeliveredAt = at;
      for (const r of rows) this.onDelivered?.(c.name, r.created_at);
    } catch (err) {
      this.failed(c, err, rows);
    }
  }

  states(): ChannelState[] {
    const counts = new Map(this.store.channelCounts().map((c) => [c.channel, c]));
    return this.channels.map((c) => {
      const n = counts.get(c.name);
      const st = this.state.get(c.name)!;
      return { name: c.name, type: c.type, queued: n?.queued ?? 0, delivered: n?.delivered ?? 0, oldestQueuedAt: n?.oldestQueuedAt ?? null, ...st };
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await Promise.all(this.loops);
    this.loops = [];
    await Promise.all(this.channels.map((c) => c.close?.()));
  }
}
