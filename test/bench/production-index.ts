import { ProductionIndex } from '../../analytics/production-index.js';
import type { AlertBook } from '../../analytics/alerts.js';
import type { IndexPoint } from '../../analytics/types.js';

/**
 * `npm run build && node dist/test/bench/production-index.js [--hours 3000 --chains 300]`
 * The production index's bounded point list under a long run (the default bound, 50,000 points, is
 * reached after a few days of a city with hundreds of chains): ProductionIndex as it is, beside the
 * same workload trimmed with a splice on every point (what it did before) in the same run.
 */
function arg(name: string, def: string): number {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def);
}
const HOURS = arg('hours', '3000'), CHAINS = arg('chains', '300'), COUNTIES = 20, MAX = 50_000;
const chains = Array.from({ length: CHAINS }, (_, i) => `c${i}`), counties = Array.from({ length: COUNTIES }, (_, i) => `k${i}`);

const book = { emitting: false, listenerCount: () => 0 } as unknown as AlertBook;
const pi = new ProductionIndex({ maxIndexPoints: MAX }, book);
for (let i = 0; i < CHAINS; i++) pi.addChain();
for (let i = 0; i < COUNTIES; i++) pi.addCounty();
let t0 = performance.now();
for (let h = 0; h < HOURS; h++) {
  for (let i = 0; i < CHAINS; i++) pi.add(i, i % COUNTIES, 10, 11);
  pi.closeHour(h * 3_600_000, chains, counties);
}
const nowMs = performance.now() - t0;
const kept = pi.list();

// Baseline: the same points pushed into a list trimmed by splice once it holds MAX.
const list: IndexPoint[] = [];
t0 = performance.now();
for (let h = 0; h < HOURS; h++) {
  for (const [scope, ids] of [['chain', chains], ['county', counties]] as const) {
    for (const entity of ids) {
      list.push({ scope, entity, resolution: 'hour', ts: h * 3_600_000, actualKwh: 10, expectedKwh: 11, index: 90.91 });
      if (list.length > MAX) list.splice(0, list.length - MAX);
    }
  }
}
const spliceMs = performance.now() - t0;
if (kept.length !== list.length || kept[0]!.ts !== list[0]!.ts) throw new Error('the two lists differ');
const points = HOURS * (CHAINS + COUNTIES);
console.log(`| ${points.toLocaleString('en')} points, bound ${MAX.toLocaleString('en')} | ProductionIndex (amortised trim) ${nowMs.toFixed(0)} ms | baseline: splice per point ${spliceMs.toFixed(0)} ms |`);
