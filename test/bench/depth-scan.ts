/**
 * What the too_deep guard costs (issue 8): the one-pass nesting scan of ingest/decode.ts beside
 * JSON.parse and the whole decode of the same payload, a 5,000-reading batch, in the same run.
 *   npm run build && node dist/test/bench/depth-scan.js
 */
import { decodeReadings, nestsDeeperThan } from '../../ingest/decode.js';
const now = Date.now();
const readings = Array.from({ length: 5000 }, (_, i) => ({ meter: `MTR-${String(i % 50).padStart(6, '0')}`, ts: new Date(now - i * 1000).toISOString(), energyKwh: 1234.5 + i, powerKw: 12.5, voltageV: [230.1, 229.8, 231.0], currentA: [10.1, 9.9, 10.3], powerFactor: 0.93, quality: ['estimated'] }));
const payload = Buffer.from(JSON.stringify({ readings }));
const time = (f: () => void, n: number) => { for (let i = 0; i < 5; i++) f(); const t = performance.now(); for (let i = 0; i < n; i++) f(); return (performance.now() - t) / n; };
const tags = { meter: 'x', gateway: 'gw', enterprise: 'e', county: 'c', chain: 'ch', ctMultiplier: 1, seriesKey: 'reading,meter=x' };
const limits = { maxBatchReadings: 5000, maxClockSkewMs: 600_000, maxAgeMs: 1830 * 86_400_000 };
for (let round = 0; round < 3; round++) {
  const scan = time(() => nestsDeeperThan(payload, 16), 100);
  const parse = time(() => JSON.parse(payload.toString('utf8')), 20);
  const decode = time(() => decodeReadings(payload, 'gw', () => tags, limits, now), 10);
  console.log(`${(payload.length / 1024).toFixed(0)} KiB, 5,000 readings: depth scan ${scan.toFixed(2)} ms, JSON.parse ${parse.toFixed(2)} ms, whole decode (scan included) ${decode.toFixed(2)} ms; scan ${(100 * scan / decode).toFixed(0)} % of the decode`);
}
