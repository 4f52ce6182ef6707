import { fstatSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';

/**
 * The spool's record format, and what recovery reads: the segment scan, ack.json, damage reports.
 * Record: u32 length, u32 crc32(body), u32 line count, body (UTF-8 line protocol).
 */
export const HEADER = 12;
/** No record is larger: a batch is at most mqtt.maxPayloadBytes of JSON, less as line protocol. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export function recordHeader(body: Buffer, lines: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER);
  h.writeUInt32LE(body.length, 0);
  h.writeUInt32LE(crc32(body), 4);
  h.writeUInt32LE(lines, 8);
  return h;
}

/** Why a header cannot start a record `room` bytes before the end of its file, or undefined. */
export function badHeader(len: number, lines: number, room: number): string | undefined {
  if (len === 0 || len > MAX_RECORD_BYTES) return `impossible length ${len}`;
  if (lines === 0 || lines > len) return `impossible line count ${lines} for ${len} bytes`;
  if (len > room) return `length ${len} runs past the end of the file (${room} bytes left)`;
  return undefined;
}

export interface SegmentScan {
  /** Bytes of whole, valid records from the start of the segment. */
  size: number;
  /** Lines of the records that end after `ackPos` (not yet confirmed). */
  lines: number;
  /** Start of the record `ackPos` falls inside, when it is not on a record boundary. */
  ackInside?: number;
  /** Where the valid prefix ends and why, when bytes follow it. */
  damage?: { at: number; bytesAfter: number; kind: 'truncated' | 'checksum' | 'header'; why: string };
}

/**
 * Walks the records of one segment file from its start (so every position it reports is a record
 * boundary), checking each header against the file size and, where `verify` says, the checksum.
 */
export function scanSegment(fd: number, base: number, ackPos: number, verify: (pos: number) => boolean): SegmentScan {
  const fileSize = fstatSync(fd).size;
  const header = Buffer.alloc(HEADER);
  const out: SegmentScan = { size: 0, lines: 0 };
  let off = 0;
  while (off < fileSize) {
    const damage = (kind: 'truncated' | 'checksum' | 'header', why: string) => ({ at: base + off, bytesAfter: fileSize - off, kind, why });
    if (fileSize - off < HEADER) {
      out.damage = damage('truncated', `${fileSize - off} bytes, less than a record header`);
      break;
    }
    readSync(fd, header, 0, HEADER, off);
    const len = header.readUInt32LE(0);
    const lines = header.readUInt32LE(8);
    const bad = badHeader(len, lines, fileSize - off - HEADER);
    if (bad) {
      out.damage = damage(bad.startsWith('length') ? 'truncated' : 'header', bad);
      break;
    }
    const pos = base + off;
    if (verify(pos)) {
      const body = Buffer.allocUnsafe(len);
      readSync(fd, body, 0, len, off + HEADER);
      if (crc32(body) !== header.readUInt32LE(4)) {
        out.damage = damage('checksum', 'checksum mismatch');
        break;
      }
    }
    const end = pos + HEADER + len;
    if (end > ackPos) out.lines += lines;
    if (pos < ackPos && ackPos < end) out.ackInside = pos;
    off += HEADER + len;
  }
  out.size = off;
  return out;
}

/** The confirmed position saved in `<dir>/ack.json`; 0 (replay everything) when missing or unreadable. */
export async function readAckFile(dir: string, log?: Logger): Promise<number> {
  let text: string;
  try {
    text = await readFile(join(dir, 'ack.json'), 'utf8');
  } catch {
    return 0;
  }
  try {
    const pos = (JSON.parse(text) as { ackPos?: unknown }).ackPos;
    if (typeof pos === 'number' && Number.isSafeInteger(pos) && pos >= 0) return pos;
  } catch { /* below */ }
  log?.warn({ file: join(dir, 'ack.json') }, 'spool: ack.json is unreadable; replaying the whole spool (InfluxDB overwrites the same points)');
  return 0;
}

/** One log line per damaged segment tail, saying whether acknowledged readings can be in it. */
export function logDamage(log: Logger | undefined, d: NonNullable<SegmentScan['damage']>, ackPos: number, lastSegment: boolean): void {
  const at = { position: d.at, bytesCut: d.bytesAfter, why: d.why };
  if (d.at + d.bytesAfter <= ackPos) {
    log?.info(at, 'spool: damaged bytes cut off; all of them were confirmed in InfluxDB before, nothing is lost');
  } else if (lastSegment && d.kind === 'truncated') {
    log?.warn(at, 'spool: truncated record at the tail cut off (a write a crash interrupted: with spool.fsync on, not yet acknowledged, and its sender publishes it again)');
  } else {
    log?.error(at, 'spool: damaged record cut off with the bytes after it; readings in them not yet confirmed in InfluxDB may have been acknowledged and are lost (see the dead-letter store and InfluxDB for what arrived)');
  }
}
