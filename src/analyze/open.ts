import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UsageError } from './rows.js';

export interface OpenedInput {
  /** Decompressed bytes. */
  stream: Readable;
  /** Raw bytes read so far (compressed for gzip), and the file size when known: for the progress bar. */
  bytesRead: () => number;
  size: number | undefined;
  name: string;
}

/** A file (or `-` for stdin), gunzipped when it starts with the gzip magic bytes, whatever its name. */
export async function openInput(path: string): Promise<OpenedInput> {
  const name = path === '-' ? 'stdin' : path;
  let size: number | undefined;
  if (path !== '-') {
    try {
      const st = statSync(path);
      if (!st.isFile()) throw new UsageError(`cannot read ${path}: not a file`);
      size = st.size;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  }
  const src: Readable = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  const first = await new Promise<Buffer | null>((resolve, reject) => {
    const onErr = (e: Error) => reject(new UsageError(`cannot read ${name}: ${e.message}`));
    src.once('error', onErr);
    src.once('readable', () => {
      src.off('error', onErr);
      resolve(src.read() as Buffer | null);
    });
  });
  if (first) {
    src.unshift(first);
  }
  src.on('data', (b: Buffer) => (bytes += b.length));
  const gz = first !== null && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  let stream: Readable = src;
  if (gz) {
    const gunzip = createGunzip();
    src.on('error', (e) => gunzip.destroy(e));
    stream = src.pipe(gunzip);
  }
  return { stream, bytesRead: () => bytes, size, name };
}
