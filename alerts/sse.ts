import type { ServerResponse } from 'node:http';

export interface SseEvent {
  /** Monotonic sequence (the alert store's event seq): the SSE `id:`, resumed from with Last-Event-ID. */
  seq: number;
  event: string;
  data: unknown;
}

export interface SseHubOptions {
  /** Bytes a client may have unsent in the socket buffer; past it the client is dropped. */
  maxBufferedBytes: number;
  /** How long a client may stay behind (write() returned false, no 'drain') before it is dropped. */
  maxStallMs: number;
  heartbeatMs: number;
  onDrop?: (reason: 'buffer' | 'stall') => void;
}

interface Client {
  res: ServerResponse;
  stalledSince: number | undefined;
}

export function formatEvent(e: SseEvent): string {
  return `id: ${e.seq}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/**
 * Fan-out of alert events to Server-Sent Events clients. One subscription upstream, whatever the
 * number of clients (no listener per client on a shared emitter). A client that does not keep up
 * (its socket buffer past maxBufferedBytes, or no 'drain' within maxStallMs) is disconnected: it
 * reconnects with Last-Event-ID and is replayed from the store, so nothing is lost and a slow reader
 * costs the server bounded memory.
 */
export class SseHub {
  private readonly clients = new Set<Client>();
  private readonly timer: NodeJS.Timeout;
  private lastPing = Date.now();

  constructor(private readonly o: SseHubOptions) {
    this.timer = setInterval(() => this.heartbeat(), Math.max(10, Math.min(o.heartbeatMs, o.maxStallMs / 2))).unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Starts a stream on `res`, writes `replay` (events missed since Last-Event-ID) and then live events. */
  add(res: ServerResponse, replay: Iterable<SseEvent>, o: { live?: boolean } = {}): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const c: Client = { res, stalledSince: undefined };
    this.clients.add(c);
    res.once('close', () => this.clients.delete(c));
    this.write(c, ': gridpulse alerts\n\n');
    for (const e of replay) if (!this.write(c, formatEvent(e))) return;
    if (o.live === false) {
      this.clients.delete(c);
      res.end();
    }
  }

  broadcast(e: SseEvent): void {
    if (this.clients.size === 0) return;
    const text = formatEvent(e);
    for (const c of this.clients) this.write(c, text);
  }

  private write(c: Client, text: string): boolean {
    if (c.res.destroyed) return false;
    if (c.res.writableLength > this.o.maxBufferedBytes) {
      this.drop(c, 'buffer');
      return false;
    }
    if (!c.res.write(text) && c.stalledSince === undefined) {
      c.stalledSince = Date.now();
      c.res.once('drain', () => (c.stalledSince = undefined));
    }
    return true;
  }

  private heartbeat(): void {
    const now = Date.now();
    const ping = now - this.lastPing >= this.o.heartbeatMs;
    if (ping) this.lastPing = now;
    for (const c of this.clients) {
      if (c.stalledSince !== undefined && now - c.stalledSince > this.o.maxStallMs) this.drop(c, 'stall');
      else if (ping && c.stalledSince === undefined) this.write(c, ': ping\n\n');
    }
  }

  private drop(c: Client, reason: 'buffer' | 'stall'): void {
    this.clients.delete(c);
    this.o.onDrop?.(reason);
    c.res.destroy();
  }

  close(): void {
    clearInterval(this.timer);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }
}
