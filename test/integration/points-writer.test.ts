import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { AlertStore } from '../../alerts/index.js';
import { indexPointToLine } from '../../analytics/index.js';
import { createInfluxClient, type InfluxClient } from '../../src/storage/influx.js';
import { freePort } from '../../src/storage/managed-influxd.js';
import { PointsWriter } from '../../src/storage/points-writer.js';
import { tempDir, testInflux, waitFor } from '../support/pipeline.js';

/** The analyzer's points wait in the alert store while InfluxDB is unreachable, and leave it only once written. */
describe('points writer', () => {
  it('keeps points while InfluxDB is unreachable and writes them all when it answers', async () => {
    const store = new AlertStore(join(tempDir('gridpulse-points-'), 'alerts.sqlite'));
    const influx = testInflux();
    await influx.client.ensureDatabase();
    const dead = createInfluxClient({ ...influx.client.target, url: `http://127.0.0.1:${await freePort()}`, timeoutMs: 1000 });
    let client: InfluxClient = dead;
    const ts = Date.parse('2026-09-01T00:00:00Z');
    store.addPoints(Array.from({ length: 120 }, (_, i) => indexPointToLine({ scope: 'chain', entity: `c${i % 3}`, resolution: 'hour', ts: ts + i * 3_600_000, actualKwh: 90, expectedKwh: 100, index: 90 })));
    const w = new PointsWriter(store, () => client, undefined, { batch: 50, maxDelayMs: 200 });
    w.start();
    try {
      await waitFor(async () => w.lastError !== undefined, 10_000, 'a failed write');
      expect(store.pointsDepth()).toBe(120);
      client = influx.client;
      w.wake();
      await waitFor(async () => store.pointsDepth() === 0, 15_000, 'queue drained');
      const rows = await influx.client.query('SELECT count("index") FROM production_index');
      expect(Number(rows[0]!.count)).toBe(120);
    } finally {
      await w.stop();
      store.close();
    }
  });
});
