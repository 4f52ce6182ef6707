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

  add(entry: Record<string, unknown>): void {
    const line = `${JSON.stringify(entry)}\n`;
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
