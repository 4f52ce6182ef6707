import { createReadStream, statSync } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
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
  const guard = lineGuard(name);
  stream.on('error', (e) => guard.destroy(new UsageError(`cannot read ${name}: ${e.message}`)));
  return { stream: stream.pipe(guard), bytesRead: () => bytes, size, name };
}

/** Longest line accepted: parsers hold a line until its end, so one without an end must not grow forever. */
export const MAX_LINE_BYTES = 1 << 20;

/** Passes bytes through, failing on a line longer than MAX_LINE_BYTES (a binary file, a hostile input). */
function lineGuard(name: string): Transform {
  let run = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const nl = chunk.lastIndexOf(10);
      if (nl < 0) run += chunk.length;
      else {
        // Lines wholly inside the chunk are not measured: a chunk is at most 1 MiB (highWaterMark) anyway.
        if (run + chunk.indexOf(10) > MAX_LINE_BYTES) return cb(new UsageError(`${name}: a line longer than ${MAX_LINE_BYTES} bytes (is it a CSV file?)`));
        run = chunk.length - nl - 1;
      }
      if (run > MAX_LINE_BYTES) return cb(new UsageError(`${name}: a line longer than ${MAX_LINE_BYTES} bytes (is it a CSV file?)`));
      cb(null, chunk);
    },
  });
}
