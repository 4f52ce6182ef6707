import { HttpError, type WriteApi } from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import type { InfluxClient } from '../src/storage/influx.js';
import type { Metrics } from '../src/metrics.js';
import type { Spool, SpoolChunk } from './spool.js';
import type { DeadLetterStore } from './dead-letter.js';

export interface WriterOptions {
  batchLines: number;
  concurrency: number;
  maxRetryDelayMs: number;
}

/**
 * Spool → InfluxDB. Each of `concurrency` slots owns one WriteApi of @influxdata/influxdb-client
 * and has at most one chunk in flight, so the client's writeSuccess callback confirms exactly that
 * chunk. The client does the gzip, the backoff and the retrying (never giving up: its limits are
 * set to effectively infinite, because the spool, not the client's memory buffer, holds the lines).
 * A chunk InfluxDB refuses for good (4xx other than 429) goes to the dead-letter store.
 */
export class InfluxWriter {
  private running = false;
  private loops: Promise<void>[] = [];
  private wake: (() => void) | undefined;
  private apis: WriteApi[] = [];
  lastError: string | undefined;
  lastSuccessAt = 0;

  constructor(
    private readonly spool: Spool,
    private readonly influx: InfluxClient,
    private readonly opts: WriterOptions,
    private readonly metrics: Metrics,
    private readonly deadLetters: DeadLetterStore,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const onDurable = () => this.wake?.();
    this.spool.on('durable', onDurable);
    for (let i = 0; i < this.opts.concurrency; i++) this.loops.push(this.slot(i));
  }

  private async waitForData(): Promise<void> {
    await new Promise<void>((resolve) => {
      const prev = this.wake;
      this.wake = () => {
        this.wake = undefined;
        prev?.();
        resolve();
      };
    });
  }

  private async slot(n: number): Promise<void> {
    let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
    let attemptLogged = 0;
    const api = this.influx.writeApi({
      // One chunk (≤ batchLines records) per request: the buffer must never fill on its own.
      batchSize: this.opts.batchLines + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: Number.MAX_SAFE_INTEGER,
      maxRetryTime: 100 * 365 * 86_400_000,
      maxBufferLines: 10 * this.opts.batchLines,
      minRetryDelay: 250,
      maxRetryDelay: this.opts.maxRetryDelayMs,
      retryJitter: 250,
      gzipThreshold: 1000,
      writeSuccess: () => {
        this.metrics.influxUp.set(1);
        this.lastError = undefined;
        this.lastSuccessAt = Date.now();
        settle?.resolve();
      },
      writeFailed: (error: Error, _lines: string[], attempt: number) => {
        const status = error instanceof HttpError ? error.statusCode : undefined;
        const kind = status === undefined ? 'unreachable' : `http_${Math.floor(status / 100)}xx`;
        this.metrics.influxErrors.inc({ kind });
        this.metrics.influxUp.set(0);
        this.lastError = `${kind}: ${error.message}`;
        if (attempt === 1 || attempt - attemptLogged >= 20) {
          attemptLogged = attempt;
          this.log.warn({ slot: n, attempt, err: error.message, status }, 'influx write failed; retrying with backoff, lines stay in the spool');
        }
        if (status !== undefined && status < 429 && status >= 400) {
          // Permanent refusal: returning a promise stops the client's retries for this batch.
          settle?.reject(error);
          return Promise.resolve();
        }
        return undefined;
      },
    });
    this.apis.push(api);
    while (this.running) {
      const chunk = this.spool.readChunk(this.opts.batchLines);
      if (!chunk) {
        await this.waitForData();
        continue;
      }
      const started = performance.now();
      try {
        await new Promise<void>((resolve, reject) => {
          settle = { resolve, reject };
          api.writeRecords(chunk.records);
          // The flush promise rejects on a failed first attempt while the client keeps retrying;
          // the outcome comes through writeSuccess / writeFailed above.
          api.flush().catch(() => undefined);
        });
        this.metrics.writeBatches.inc();
        this.metrics.writeLines.inc(chunk.lines);
        this.metrics.writeLatency.observe((performance.now() - started) / 1000);
      } catch (err) {
        if (!this.running) break;
        this.poison(chunk, err as Error);
      } finally {
        settle = undefined;
      }
      if (!this.running) break;
      this.spool.confirm(chunk);
    }
  }

  private poison(chunk: SpoolChunk, err: Error): void {
    this.log.error({ lines: chunk.lines, err: err.message }, 'InfluxDB refused a batch for good; kept in the dead-letter store');
    this.metrics.deadLetters.inc({ store: 'influx_rejected' }, 1);
    this.deadLetters.add({ at: new Date().toISOString(), code: 'influx_rejected', message: err.message, lines: chunk.records.join('\n') });
  }

  /** Stops the slots. Chunks in flight are not confirmed: the spool hands them out again next start. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await Promise.all(this.apis.map((a) => a.close().catch(() => undefined)));
    await Promise.race([Promise.all(this.loops), new Promise((r) => setTimeout(r, 2000))]);
    this.spool.rewind();
    this.loops = [];
    this.apis = [];
  }
}
