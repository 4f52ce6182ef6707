import { SingleBar } from 'cli-progress';

/** Progress on stderr (cli-progress): rows, rows/s and, when the input size is known, an ETA. */
export interface Progress {
  stop(): void;
}

export function startProgress(o: { rows: () => number; bytes: () => number; totalBytes: number | undefined; stream: NodeJS.WriteStream }): Progress {
  const known = o.totalBytes !== undefined && o.totalBytes > 0;
  const bar = new SingleBar({
    stream: o.stream,
    format: known ? '{bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}' : '{rows} rows | {rate} rows/s',
    hideCursor: false, noTTYOutput: !o.stream.isTTY, notTTYSchedule: 10_000, etaBuffer: 20, fps: 5,
  });
  const t0 = Date.now();
  bar.start(known ? o.totalBytes! : 1, 0, { rows: 0, rate: 0 });
  const tick = () => {
    const rows = o.rows();
    const s = (Date.now() - t0) / 1000;
    bar.update(known ? Math.min(o.bytes(), o.totalBytes!) : 0, { rows: rows.toLocaleString('en-US'), rate: s > 0 ? Math.round(rows / s).toLocaleString('en-US') : 0 });
  };
  const timer = setInterval(tick, 200);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      tick();
      bar.stop();
    },
  };
}
