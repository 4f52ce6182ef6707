import type { Logger } from 'pino';
import type { InfluxClient } from './influx.js';

/** Durable queue of line-protocol points (the alert store's `influx_points` table). */
export interface PointQueue {
  takePoints(limit: number): { lastId: number; lines: string[] };
  confirmPoints(lastId: number): void;
  pointsDepth(): number;
}

/**
 * Writes the analyzer's points (production index, alert annotations) from their durable queue to
 * InfluxDB: a batch leaves the queue only after InfluxDB confirmed it; a failure is retried with
 * backoff, forever (the queue, on disk, holds the points meanwhile). One WriteApi, reused, with
 * retries off: this loop does the retrying so it knows which batch was confirmed.
 */
export class PointsWriter {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeFn: (() => void) | undefined;
  lastError: string | undefined;
  written = 0;

  constructor(private readonly queue: PointQueue, private readonly influx: () => InfluxClient | undefined, private readonly log: Logger | undefined, private readonly o = { batch: 5000, maxDelayMs: 15_000 }) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  wake(): void {
    this.wakeFn?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeFn = done;
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      const client = this.influx();
      const { lastId, lines } = client ? this.queue.takePoints(this.o.batch) : { lastId: 0, lines: [] };
      if (!client || lines.length === 0) {
        await this.sleep(1000);
        continue;
      }
      const api = client.writeApi({ maxRetries: 0, batchSize: lines.length + 1, flushInterval: 0, gzipThreshold: 1000 });
      try {
        api.writeRecords(lines);
        await api.close();
        this.queue.confirmPoints(lastId);
        this.written += lines.length;
        failures = 0;
        this.lastError = undefined;
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 401 && status !== 403 && status !== 404) {
          // InfluxDB refuses these lines for good (a bad point): waiting would hold up every later point.
          this.log?.error({ err: (err as Error).message, lines: lines.length, first: lines[0]?.slice(0, 200) }, 'InfluxDB refused analyzer points for good; dropped');
          this.queue.confirmPoints(lastId);
          continue;
        }
        failures++;
        this.lastError = (err as Error).message;
        if (failures === 1) this.log?.warn({ err: this.lastError, depth: this.queue.pointsDepth() }, 'analyzer points not written to InfluxDB yet; retrying (they wait in the alert store)');
        await this.sleep(Math.min(this.o.maxDelayMs, 500 * 2 ** Math.min(failures, 10)));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }
}
