import { EventEmitter } from 'node:events';
import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { closeSync, fsyncSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import { HEADER, badHeader, logDamage, readAckFile, recordHeader, scanSegment } from './spool-format.js';

/**
 * The durable spool: an append-only write-ahead log of accepted readings (as line protocol),
 * between the broker and InfluxDB. A reading is acknowledged to its gateway only after the
 * record holding it is on disk (fdatasync, by group commit), and leaves the spool only after
 * InfluxDB has confirmed it. Nothing else holds readings: the InfluxDB client's retry buffer is
 * a transport, not a store.
 *
 * Layout: `<dir>/<base>.wal` segment files, named by the global byte position of their first
 * record (as Kafka names log segments), and `<dir>/ack.json`, the position below which every
 * record is confirmed in InfluxDB. Record: u32 length, u32 crc32(body), u32 line count, body
 * (spool-format.ts). A torn tail (crash mid-write) fails its length or CRC check and is cut off at
 * open, with a log line saying whether it held unconfirmed readings. Every position kept (read,
 * ack) is a record boundary found by walking records from a segment's start, and a position
 * recovery moves is saved before the first append, so new records never land below a saved ack.
 */
export interface SpoolOptions {
  dir: string;
  /** Unconfirmed bytes at which appends wait (and PUBACKs are withheld). */
  maxBytes: number;
  segmentBytes: number;
  /** Extra wait before each fsync to gather more records per fsync. */
  commitDelayMs: number;
  fsync: boolean;
}

export interface SpoolChunk {
  start: number;
  end: number;
  /** Record bodies: each is one or more lines of line protocol joined by \n. */
  records: string[];
  lines: number;
}

export interface SpoolStats {
  /** Readings (lines) not yet confirmed in InfluxDB. */
  depthLines: number;
  /** Bytes not yet confirmed in InfluxDB. */
  depthBytes: number;
  /** Bytes on disk, including confirmed records of segments not yet deleted. */
  diskBytes: number;
  segments: number;
  full: boolean;
  fsyncs: number;
  appendedRecords: number;
}

const READ_BLOCK = 4 * 1024 * 1024;

interface Segment {
  base: number;
  size: number;
  fd: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Outstanding {
  start: number;
  end: number;
  lines: number;
  done: boolean;
}

export class Spool extends EventEmitter<{ durable: []; space: []; confirmed: [] }> {
  private segments: Segment[] = [];
  private writer!: FileHandle;
  /** End of what is on disk and fsynced. Readers never read past it. */
  private durablePos = 0;
  /** End of what was appended, durable or not. */
  private appendPos = 0;
  private readPos = 0;
  private ackPos = 0;
  private persistedAckPos = -1;
  private depthLines = 0;
  private pending: Buffer[] = [];
  private pendingWaiters: Waiter[] = [];
  private flushing = false;
  private outstanding: Outstanding[] = [];
  private ackTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private failure: Error | undefined;
  private fsyncs = 0;
  private appendedRecords = 0;
  /** Appends waiting at the cap: one array, not one 'space' listener each. */
  private spaceWaiters: (() => void)[] = [];

  private constructor(private readonly opts: SpoolOptions, private readonly log?: Logger) {
    super();
  }

  static async open(opts: SpoolOptions, log?: Logger): Promise<Spool> {
    const s = new Spool(opts, log);
    await s.recover();
    return s;
  }

  private async recover(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    const names = (await readdir(this.opts.dir)).filter((n) => /^\d{20}\.wal$/.test(n)).sort();
    const savedAck = await readAckFile(this.opts.dir, this.log);
    for (const name of names) {
      const base = Number(name.slice(0, 20));
      const fd = openSync(join(this.opts.dir, name), 'r');
      this.segments.push({ base, size: 0, fd });
    }
    // Walk every segment from its start: counts the depth, finds each valid end and the record
    // boundary at or below the saved ack position. The last segment is checked whole (it may be
    // torn); earlier ones from the ack position on.
    let ackInside: number | undefined;
    for (const seg of this.segments) {
      const last = this.segments.at(-1) === seg;
      const scan = scanSegment(seg.fd, seg.base, savedAck, (pos) => last || pos >= savedAck);
      seg.size = scan.size;
      this.depthLines += scan.lines;
      ackInside ??= scan.ackInside;
      if (scan.damage) logDamage(this.log, scan.damage, savedAck, last);
    }
    if (this.segments.length === 0) this.segments.push({ base: savedAck, size: 0, fd: -1 });
    const first = this.segments[0]!;
    const last = this.segments.at(-1)!;
    this.durablePos = this.appendPos = last.base + last.size;
    let ack = Math.max(savedAck, first.base);
    if (ackInside !== undefined) {
      this.log?.warn({ savedAck, recordStart: ackInside }, 'spool: the saved ack position is inside a record; moved back to its start (that record is written again; InfluxDB overwrites the same points)');
      ack = ackInside;
    }
    if (ack > this.durablePos) {
      this.log?.warn({ savedAck: ack, spoolEnd: this.durablePos }, 'spool: the spool ends before the saved ack position (its tail was truncated after InfluxDB confirmed it); ack position moved back to the end');
      ack = this.durablePos;
    }
    this.ackPos = this.readPos = ack;
    await this.openWriter(last);
    // New records will start at durablePos: a saved ack above it would point into them.
    if (ack !== savedAck) await this.persistAck();
    await this.deleteConfirmedSegments();
    if (this.depthLines > 0) {
      this.log?.info({ depthLines: this.depthLines, depthBytes: this.durablePos - this.ackPos }, 'spool: replaying readings not yet confirmed in InfluxDB');
    }
  }

  private async openWriter(seg: Segment): Promise<void> {
    const path = join(this.opts.dir, `${String(seg.base).padStart(20, '0')}.wal`);
    this.writer = await open(path, 'a');
    // Cut a torn tail so new records follow the last valid one.
    await this.writer.truncate(seg.size);
    if (seg.fd < 0) seg.fd = openSync(path, 'r');
    this.fsyncDir();
  }

  private fsyncDir(): void {
    if (!this.opts.fsync) return;
    const fd = openSync(this.opts.dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  }

  /** Unconfirmed bytes at or above the cap: appends wait until InfluxDB confirms older records. */
  get full(): boolean {
    return this.appendPos - this.ackPos >= this.opts.maxBytes;
  }

  /** Resolves once the record is on disk (fsynced when fsync is on). Waits while the spool is full. */
  async append(body: string, lines: number): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error('spool is closed');
    while (this.full) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
      if (this.closed) throw new Error('spool is closed');
    }
    const buf = Buffer.from(body, 'utf8');
    const header = recordHeader(buf, lines);
    this.appendPos += HEADER + buf.length;
    this.pending.push(header, buf);
    this.depthLines += lines;
    this.appendedRecords++;
    return new Promise<void>((resolve, reject) => {
      this.pendingWaiters.push({ resolve, reject });
      if (!this.flushing) void this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        if (this.opts.commitDelayMs > 0) await new Promise((r) => setTimeout(r, this.opts.commitDelayMs));
        const bufs = this.pending;
        const waiters = this.pendingWaiters;
        this.pending = [];
        this.pendingWaiters = [];
        let bytes = 0;
        for (const b of bufs) bytes += b.length;
        try {
          let seg = this.segments.at(-1)!;
          if (seg.size > 0 && seg.size + bytes > this.opts.segmentBytes) seg = await this.rotate();
          await this.writer.writev(bufs);
          if (this.opts.fsync) {
            await this.writer.datasync();
            this.fsyncs++;
          }
          seg.size += bytes;
          this.durablePos += bytes;
        } catch (err) {
          // A failed write leaves the file in an unknown state: stop accepting, refuse the waiters
          // (their senders never got a PUBACK and will resend), and say so on /readyz.
          this.failure = err as Error;
          this.log?.error({ err }, 'spool: write failed; no further readings are acknowledged');
          for (const w of waiters) w.reject(this.failure);
          for (const w of this.pendingWaiters) w.reject(this.failure);
          this.pendingWaiters = [];
          this.pending = [];
          return;
        }
        for (const w of waiters) w.resolve();
        this.emit('durable');
      }
    } finally {
      this.flushing = false;
    }
  }

  private async rotate(): Promise<Segment> {
    await this.writer.close();
    const seg: Segment = { base: this.durablePos, size: 0, fd: -1 };
    this.segments.push(seg);
    await this.openWriter(seg);
    return seg;
  }

  /**
   * The next durable, not yet handed out records, up to maxLines lines (at least one record).
   * Synchronous: recent records are in the page cache; a replay reads 4 MiB blocks.
   */
  readChunk(maxLines: number): SpoolChunk | null {
    for (;;) {
      if (this.readPos >= this.durablePos) return null;
      const seg = this.segmentAt(this.readPos);
      const segEnd = seg.base + seg.size;
      if (this.readPos >= segEnd) {
        const next = this.segments[this.segments.indexOf(seg) + 1];
        if (!next) return null;
        this.readPos = next.base;
        continue;
      }
      const start = this.readPos;
      const available = Math.min(segEnd, this.durablePos) - start;
      let block = Buffer.allocUnsafe(Math.min(available, READ_BLOCK));
      readSync(seg.fd, block, 0, block.length, start - seg.base);
      const records: string[] = [];
      let off = 0;
      let lines = 0;
      while (off + HEADER <= block.length && lines < maxLines) {
        const len = block.readUInt32LE(off);
        const lineCount = block.readUInt32LE(off + 8);
        // Never trust a header: a length from inside a record once asked for 758 MB.
        const bad = badHeader(len, lineCount, segEnd - (start + off) - HEADER);
        if (bad) return this.corrupt(start + off, bad);
        if (off + HEADER + len > block.length) {
          if (records.length > 0) break;
          // A single record larger than the block: read it whole.
          block = Buffer.allocUnsafe(HEADER + len);
          readSync(seg.fd, block, 0, block.length, start - seg.base);
          continue;
        }
        if (crc32(block.subarray(off + HEADER, off + HEADER + len)) !== block.readUInt32LE(off + 4)) return this.corrupt(start + off, 'checksum mismatch');
        records.push(block.toString('utf8', off + HEADER, off + HEADER + len));
        lines += lineCount;
        off += HEADER + len;
      }
      this.readPos = start + off;
      this.outstanding.push({ start, end: this.readPos, lines, done: false });
      return { start, end: this.readPos, records, lines };
    }
  }

  /**
   * A record that recovery checked no longer reads back (disk damage, or a position off a record
   * boundary): stop handing out and accepting rather than send or trust garbage; /readyz says so.
   */
  private corrupt(pos: number, why: string): null {
    if (!this.failure) {
      this.failure = new Error(`spool: unreadable record at position ${pos} (${why}); restart to cut the spool at the last good record`);
      this.log?.error({ position: pos, why }, 'spool: unreadable record; no further readings are acknowledged until a restart');
    }
    return null;
  }

  private segmentAt(pos: number): Segment {
    for (let i = this.segments.length - 1; i >= 0; i--) if (this.segments[i]!.base <= pos) return this.segments[i]!;
    return this.segments[0]!;
  }

  /** InfluxDB confirmed this chunk. The ack position moves past every leading confirmed chunk. */
  confirm(chunk: SpoolChunk): void {
    const o = this.outstanding.find((x) => x.start === chunk.start);
    if (!o) return;
    o.done = true;
    const wasFull = this.full;
    while (this.outstanding.length > 0 && this.outstanding[0]!.done) {
      const head = this.outstanding.shift()!;
      this.ackPos = head.end;
      this.depthLines -= head.lines;
    }
    this.emit('confirmed');
    if (wasFull && !this.full) this.log?.info('spool: below its cap again, acknowledging readings');
    if (!this.full) this.wakeSpace();
    this.scheduleAckPersist();
  }

  private wakeSpace(): void {
    const waiting = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiting) w();
    this.emit('space');
  }

  /** Hand a chunk back (e.g. on shutdown before it was confirmed): it will be read again. */
  rewind(): void {
    this.outstanding = this.outstanding.filter((o) => o.done);
    this.readPos = this.ackPos;
  }

  private scheduleAckPersist(): void {
    if (this.ackTimer || this.closed) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      this.persistAck().catch((err: Error) => this.log?.warn({ err: err.message }, 'spool: could not save the ack position (it is saved again on the next confirmation)'));
    }, 200);
  }

  /** Saves the confirmed position now (tests, shutdown); resolves once it is on disk. */
  saveAckNow(): Promise<void> {
    return this.persistAck();
  }

  /** One save at a time: the timer and close() must not race on the temp file. */
  private persisting: Promise<void> = Promise.resolve();
  private persistAck(): Promise<void> {
    this.persisting = this.persisting.catch(() => undefined).then(() => this.saveAck());
    return this.persisting;
  }

  private async saveAck(): Promise<void> {
    if (this.ackPos === this.persistedAckPos) return;
    const pos = this.ackPos;
    const tmp = join(this.opts.dir, 'ack.json.tmp');
    const f = await open(tmp, 'w');
    try {
      await f.writeFile(JSON.stringify({ ackPos: pos }));
      if (this.opts.fsync) await f.datasync();
    } finally {
      await f.close();
    }
    await rename(tmp, join(this.opts.dir, 'ack.json'));
    this.fsyncDir();
    this.persistedAckPos = pos;
    await this.deleteConfirmedSegments();
  }

  private async deleteConfirmedSegments(): Promise<void> {
    while (this.segments.length > 1) {
      const seg = this.segments[0]!;
      if (seg.base + seg.size > Math.min(this.ackPos, this.persistedAckPos < 0 ? this.ackPos : this.persistedAckPos)) break;
      this.segments.shift();
      closeSync(seg.fd);
      await unlink(join(this.opts.dir, `${String(seg.base).padStart(20, '0')}.wal`)).catch(() => undefined);
    }
  }

  get error(): Error | undefined {
    return this.failure;
  }

  stats(): SpoolStats {
    let disk = 0;
    for (const s of this.segments) disk += s.size;
    return {
      depthLines: this.depthLines,
      depthBytes: this.appendPos - this.ackPos,
      diskBytes: disk,
      segments: this.segments.length,
      full: this.full,
      fsyncs: this.fsyncs,
      appendedRecords: this.appendedRecords,
    };
  }

  /** True when every durable record has been confirmed. */
  get drained(): boolean {
    return this.ackPos >= this.durablePos && this.pending.length === 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.flushing) await new Promise((r) => setTimeout(r, 1));
    this.closed = true;
    this.wakeSpace();
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    await this.persistAck();
    await this.writer.close();
    for (const s of this.segments) if (s.fd >= 0) closeSync(s.fd);
    this.segments = [];
  }
}
