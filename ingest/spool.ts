import { EventEmitter } from 'node:events';
import { mkdir, open, readdir, rename, unlink, writeFile, readFile, type FileHandle } from 'node:fs/promises';
import { closeSync, fsyncSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';

/**
 * The durable spool: an append-only write-ahead log of accepted readings (as line protocol),
 * between the broker and InfluxDB. A reading is acknowledged to its gateway only after the
 * record holding it is on disk (fdatasync, by group commit), and leaves the spool only after
 * InfluxDB has confirmed it. Nothing else holds readings: the InfluxDB client's retry buffer is
 * a transport, not a store.
 *
 * Layout: `<dir>/<base>.wal` segment files, named by the global byte position of their first
 * record (as Kafka names log segments), and `<dir>/ack.json`, the position below which every
 * record is confirmed in InfluxDB. Record: u32 length, u32 crc32(body), u32 line count, body.
 * A torn tail (crash mid-write) fails its length or CRC check and is cut off at open; it was
 * never acknowledged, so its sender still holds it and will publish it again.
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

const HEADER = 12;
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
    try {
      this.ackPos = JSON.parse(await readFile(join(this.opts.dir, 'ack.json'), 'utf8')).ackPos ?? 0;
    } catch {
      this.ackPos = 0;
    }
    for (const name of names) {
      const base = Number(name.slice(0, 20));
      const fd = openSync(join(this.opts.dir, name), 'r');
      this.segments.push({ base, size: 0, fd });
    }
    // Scan every unconfirmed record: counts the depth, and finds the valid end of each segment.
    for (const seg of this.segments) {
      seg.size = this.scanSegment(seg, this.segments.at(-1) === seg);
    }
    if (this.segments.length === 0) this.segments.push({ base: Math.max(this.ackPos, 0), size: 0, fd: -1 });
    const first = this.segments[0]!;
    if (this.ackPos < first.base) this.ackPos = first.base;
    const last = this.segments.at(-1)!;
    this.durablePos = this.appendPos = last.base + last.size;
    if (this.ackPos > this.durablePos) this.ackPos = this.durablePos;
    this.readPos = this.ackPos;
    await this.openWriter(last);
    await this.deleteConfirmedSegments();
    if (this.depthLines > 0) {
      this.log?.info({ depthLines: this.depthLines, depthBytes: this.durablePos - this.ackPos }, 'spool: replaying readings not yet confirmed in InfluxDB');
    }
  }

  /** Returns the length of the valid prefix; counts lines of records at or after ackPos. */
  private scanSegment(seg: Segment, verify: boolean): number {
    const header = Buffer.alloc(HEADER);
    let off = 0;
    for (;;) {
      if (readSync(seg.fd, header, 0, HEADER, off) < HEADER) break;
      const len = header.readUInt32LE(0);
      const crc = header.readUInt32LE(4);
      const lines = header.readUInt32LE(8);
      if (len === 0 || len > 256 * 1024 * 1024) break;
      if (verify || seg.base + off >= this.ackPos) {
        const body = Buffer.allocUnsafe(len);
        if (readSync(seg.fd, body, 0, len, off + HEADER) < len) break;
        if (crc32(body) !== crc) {
          this.log?.warn({ segment: seg.base, offset: off }, 'spool: torn record at the tail, cut off (it was never acknowledged)');
          break;
        }
      }
      if (seg.base + off >= this.ackPos) {
        this.depthLines += lines;
      }
      off += HEADER + len;
    }
    return off;
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
      await new Promise<void>((resolve) => this.once('space', resolve));
      if (this.closed) throw new Error('spool is closed');
    }
    const buf = Buffer.from(body, 'utf8');
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32LE(buf.length, 0);
    header.writeUInt32LE(crc32(buf), 4);
    header.writeUInt32LE(lines, 8);
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
        if (off + HEADER + len > block.length) {
          if (records.length > 0) break;
          // A single record larger than the block: read it whole.
          block = Buffer.allocUnsafe(HEADER + len);
          readSync(seg.fd, block, 0, block.length, start - seg.base);
          continue;
        }
        records.push(block.toString('utf8', off + HEADER, off + HEADER + len));
        lines += block.readUInt32LE(off + 8);
        off += HEADER + len;
      }
      this.readPos = start + off;
      this.outstanding.push({ start, end: this.readPos, lines, done: false });
      return { start, end: this.readPos, records, lines };
    }
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
    if (!this.full) this.emit('space');
    this.scheduleAckPersist();
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
    await writeFile(tmp, JSON.stringify({ ackPos: pos }));
    await rename(tmp, join(this.opts.dir, 'ack.json'));
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
    this.emit('space');
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    await this.persistAck();
    await this.writer.close();
    for (const s of this.segments) if (s.fd >= 0) closeSync(s.fd);
    this.segments = [];
  }
}
