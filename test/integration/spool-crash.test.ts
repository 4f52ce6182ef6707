import { describe, it } from 'vitest';
import { openSync, readSync, writeSync, closeSync, readdirSync, statSync, truncateSync, appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Spool } from '../../ingest/spool.js';
import { tempDir } from '../support/pipeline.js';
import { LineChild } from '../support/line-child.js';

const CHILD = join(process.cwd(), 'test/support/spool-child.ts');

/** The spool child process (test/support/spool-child.ts): send commands, wait for its lines. */
class SpoolChild {
  readonly acked = new Set<string>();
  readonly confirmed = new Set<string>();
  private readonly child: LineChild;
  private constructor(dir: string) {
    this.child = LineChild.start(CHILD, [dir], 'spool child', (l) => {
      const [what, id] = l.split(' ');
      if (what === 'acked') this.acked.add(id!);
      if (what === 'confirmed') this.confirmed.add(id!);
    });
  }

  get stderr(): string {
    return this.child.stderr;
  }

  static async start(dir: string): Promise<SpoolChild> {
    const c = new SpoolChild(dir);
    await c.child.until((l) => l.includes('ready'), 'ready', 20_000);
    return c;
  }

  async append(ids: string[]): Promise<void> {
    this.child.write(ids.map((id) => `append ${id}\n`).join(''));
    await this.child.until(() => ids.every((id) => this.acked.has(id)), `acks of ${ids.length} records`, 20_000);
  }

  async drain(): Promise<void> {
    const n = this.child.lines.filter((l) => l === 'drained').length;
    this.child.write('drain\n');
    await this.child.until((l) => l.filter((x) => x === 'drained').length > n, 'drained', 20_000);
  }

  kill9(): Promise<void> {
    return this.child.kill9();
  }
}

function lastSegment(dir: string): string {
  return join(dir, readdirSync(dir).filter((f) => f.endsWith('.wal')).sort().at(-1)!);
}

/** Start of the last record of a segment (records: u32 length, u32 crc, u32 lines, body). */
function lastRecordStart(file: string): number {
  const buf = readFileSync(file);
  let off = 0;
  let last = 0;
  while (off + 12 <= buf.length) {
    last = off;
    off += 12 + buf.readUInt32LE(off);
  }
  return last;
}

function patch(file: string, at: number, bytes: number[]): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.from(bytes), 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
}

function readByte(file: string, at: number): number {
  const fd = openSync(file, 'r');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  closeSync(fd);
  return b[0]!;
}

/** Ways a drained spool's tail gets damaged (its records are all confirmed in InfluxDB). */
const damages: Record<string, (file: string) => void> = {
  'truncated inside the last record (shorter than ack.json says)': (f) => truncateSync(f, statSync(f).size - 7),
  'truncated inside the last header': (f) => truncateSync(f, lastRecordStart(f) + 5),
  'checksum mismatch in the last record': (f) => {
    const at = statSync(f).size - 2;
    patch(f, at, [readByte(f, at) ^ 0xff]);
  },
  'a huge length in the last header': (f) => patch(f, lastRecordStart(f), [0xff, 0xff, 0xff, 0x7f]),
  'garbage after the last record': (f) => appendFileSync(f, Buffer.from('-01-00 energy_kwh=1 garbage', 'utf8')),
};

describe.concurrent('spool: a damaged tail, then two kill -9s, loses no acknowledged reading', () => {
  for (const [name, damage] of Object.entries(damages)) {
    it(name, async ({ expect }) => {
      const dir = tempDir('gridpulse-spool-crash-');
      const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `${from + i}-2026-01-00T00:00:00Z-energy`);
      const children: SpoolChild[] = [];

      // 1. A spool that InfluxDB has confirmed to the end; then the process dies.
      let c = await SpoolChild.start(dir);
      children.push(c);
      await c.append(ids(0, 40));
      await c.drain();
      await c.kill9();
      damage(lastSegment(dir));

      // 2. Recovery, new readings acknowledged (InfluxDB down: nothing confirmed), crash 1.
      c = await SpoolChild.start(dir);
      children.push(c);
      await c.append(ids(100, 60));
      await c.kill9();

      // 3. Recovery again, InfluxDB back: everything drained; more acknowledged; crash 2.
      c = await SpoolChild.start(dir);
      children.push(c);
      await c.drain();
      await c.append(ids(200, 30));
      await c.kill9();

      // 4. What is left is replayed; every acknowledged reading is confirmed or still there.
      const s = await Spool.open({ dir, maxBytes: 1 << 30, segmentBytes: 1 << 20, commitDelayMs: 0, fsync: true });
      const left = new Set<string>();
      for (let ch = s.readChunk(1000); ch; ch = s.readChunk(1000)) {
        for (const r of ch.records) left.add(r.slice(2));
        s.confirm(ch);
      }
      await s.close();
      const delivered = new Set([...children.flatMap((x) => [...x.confirmed]), ...left]);
      const acked = children.slice(1).flatMap((x) => [...x.acked]);
      expect(acked).toHaveLength(90);
      expect(acked.filter((id) => !delivered.has(id))).toEqual([]);
      // Nothing but whole records ever came out.
      expect([...delivered].filter((id) => !/^\d+-2026-01-00T00:00:00Z-energy$/.test(id))).toEqual([]);
      const log = children.map((x) => x.stderr).join('');
      expect(log).not.toMatch(/never acknowledged/);
      if (!name.startsWith('garbage')) expect(log).toMatch(/spool: /);
    });
  }
});
