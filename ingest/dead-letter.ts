import { createWriteStream, mkdirSync, readdirSync, statSync, unlinkSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

/**
 * Rejected input, kept for inspection: JSON lines in `<dir>/<name>-<seq>.jsonl`, rotated at
 * maxFileBytes, at most maxFiles kept (the oldest file goes first). Unknown meters are a separate
 * store so they can be replayed once the meter is registered.
 */
export class DeadLetterStore {
  private stream: WriteStream | undefined;
  private size = 0;
  private seq = 0;

  constructor(private readonly dir: string, private readonly name: string, private readonly maxFileBytes: number, private readonly maxFiles: number) {
    mkdirSync(dir, { recursive: true });
    const existing = this.files();
    const last = existing.at(-1);
    if (last) {
      this.seq = Number(/-(\d+)\.jsonl$/.exec(last)![1]);
      this.size = statSync(join(dir, last)).size;
    }
  }

  private files(): string[] {
    const re = new RegExp(`^${this.name}-(\\d+)\\.jsonl$`);
    return readdirSync(this.dir).filter((f) => re.test(f)).sort();
  }

  private path(seq: number): string {
    return join(this.dir, `${this.name}-${String(seq).padStart(6, '0')}.jsonl`);
  }

  /** Never throws on a value JSON cannot write (too deep, cyclic, BigInt): it is kept as a note. */
  add(entry: Record<string, unknown>): void {
    let json: string;
    try {
      json = JSON.stringify(entry);
    } catch (err) {
      const flat: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(entry)) flat[k] = v === null || typeof v !== 'object' ? v : `[not serialisable: ${(err as Error).message}]`;
      json = JSON.stringify(flat, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    }
    const line = `${json}\n`;
    if (!this.stream || this.size + line.length > this.maxFileBytes) this.rotate();
    this.stream!.write(line);
    this.size += Buffer.byteLength(line);
  }

  private rotate(): void {
    if (this.stream) {
      this.stream.end();
      this.seq++;
      this.size = 0;
    }
    this.stream = createWriteStream(this.path(this.seq), { flags: 'a' });
    const files = this.files();
    for (const f of files.slice(0, Math.max(0, files.length - this.maxFiles + 1))) {
      if (f !== this.path(this.seq).split('/').pop()) unlinkSync(join(this.dir, f));
    }
  }

  async close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    if (s) await new Promise<void>((res) => s.end(res));
  }
}
