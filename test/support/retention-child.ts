/**
 * A child process for the retention tests, on an existing alert store file:
 * - `write <file>`: opens new alerts through the lifecycle, one transaction each, as the analyzer
 *   would, until "stop" on stdin; prints `wrote <n>` every 20 and at the end
 *   `done <writes> <errors> <slowest ms>` (an error is a write that failed, e.g. SQLITE_BUSY).
 * - `prune <file> <retentionDays> <batchSize>`: one retention pass (clock: now), printing
 *   `batch <alerts>` after each batch of alerts, so the parent can kill -9 it in the middle.
 */
import { AlertStore, Retention } from '../../alerts/index.js';
import { Lifecycle } from '../../alerts/lifecycle.js';
import { alertUpdate } from './alerts.js';

const [mode, file, a, b] = process.argv.slice(2);
const store = new AlertStore(file!);

if (mode === 'write') {
  const lifecycle = new Lifecycle(store, { flapWindowMs: 0, flapNotifyLimit: 1, locate: (x) => ({ enterprise: x.entity }), channelsFor: () => ['hook'], now: () => Date.now() }, () => undefined);
  let writes = 0;
  let errors = 0;
  let slowest = 0;
  let stop = false;
  process.stdin.on('data', (d: Buffer) => { if (d.toString().includes('stop')) stop = true; });
  const step = () => {
    if (stop) {
      process.stdout.write(`done ${writes} ${errors} ${slowest}\n`);
      store.close();
      process.exit(0);
    }
    const t0 = performance.now();
    try {
      lifecycle.apply(alertUpdate('opened', { id: `w-${writes}-${process.pid}`, entity: `went${writes}` }));
      writes++;
      if (writes % 20 === 0) process.stdout.write(`wrote ${writes}\n`);
    } catch (err) {
      errors++;
      process.stderr.write(`write failed: ${(err as Error).message}\n`);
    }
    slowest = Math.max(slowest, performance.now() - t0);
    setImmediate(step);
  };
  step();
} else if (mode === 'prune') {
  const retention = new Retention(store.db, { alertsMs: Number(a) * 86_400_000, auditMs: 0, batchSize: Number(b), pauseMs: 20, everyMs: 3_600_000 }, { now: () => Date.now() }, undefined,
    (what, n) => { if (what === 'alerts') process.stdout.write(`batch ${n}\n`); });
  void retention.runOnce().then((n) => {
    process.stdout.write(`pruned ${n.alerts}\n`);
    store.close();
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
