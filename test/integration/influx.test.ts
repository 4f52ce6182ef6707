import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { detectApiVersion } from '../../src/storage/influx.js';
import { testInflux } from '../support/pipeline.js';

describe('InfluxDB adapter against the real server', () => {
  it('detects the API version from /ping', async () => {
    const i = inject('influx');
    const d = await detectApiVersion(i.url);
    expect(d.apiVersion).toBe(i.apiVersion);
    expect(d.version).not.toBe('unknown');
  });
  it('creates the database, writes through the client WriteApi (gzip) and reads back with InfluxQL', async () => {
    const { client } = testInflux();
    await client.ensureDatabase();
    const api = client.writeApi({ gzipThreshold: 10 });
    api.writeRecords(Array.from({ length: 100 }, (_, i) => `reading,meter=m${i % 10} energy_kwh=${i} ${1_790_000_000 + i}`));
    await api.close();
    const rows = await client.query('SELECT count(energy_kwh) FROM reading GROUP BY meter');
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.count === 10)).toBe(true);
  });
  it('reports an InfluxQL error as an error', async () => {
    const { client } = testInflux();
    await client.ensureDatabase();
    await expect(client.query('SELEKT 1')).rejects.toThrow(/error/i);
  });
});
