import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCity, startTestPipeline, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';

const run = promisify(execFile);
const H = 3_600_000;

/**
 * Data coarser than the analyzer's interval never silently yields nothing (issue 9): hourly readings
 * published with mosquitto_pub to a pipeline at 15 minutes show up as a Prometheus gauge and counter,
 * a /readyz reason that leaves the pipeline ready, and the meter's API entry; a meter read every
 * 15 minutes beside it is not listed.
 */
describe('coarse data: hourly readings at a 15-minute analyzer → metric, /readyz, meter entry', () => {
  const city = makeCity(1, 2);
  const influx = testInflux();
  let p: TestPipeline;
  const metrics = async () => (await fetch(`${p.httpUrl}/metrics`)).text();
  const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);

  beforeAll(async () => {
    p = await startTestPipeline({ city, influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token } });
    await waitFor(async () => p.pipeline.readiness().ready, 20_000, 'pipeline ready');
    // The warm-up from (empty) InfluxDB replaces the analyzer's state: let it finish before publishing.
    await waitFor(async () => metric(await metrics(), 'gridpulse_analytics_state\\{source="warmup"\\}') === 1, 20_000, 'analyzer warm-up done');
  });
  afterAll(async () => p?.stop());

  it('lists the hourly meter, not the 15-minute one, without making the pipeline unready', async () => {
    const end = Math.floor(Date.now() / H) * H - H;
    const hourly = Array.from({ length: 6 }, (_, i) => ({ meter: 'm0000000', ts: end - (5 - i) * H, energyKwh: 1000 + 40 * i }));
    const quarter = Array.from({ length: 21 }, (_, i) => ({ meter: 'm0000001', ts: end - 5 * H + i * (H / 4), energyKwh: 500 + 10 * i }));
    const payload = JSON.stringify({ readings: [...hourly, ...quarter] });
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(p.pipeline.ports.mqtt), '-i', 'gw0000', '-u', 'gw0000', '-P', city.passwords.gw0000!, '-q', '1', '-t', 'gridpulse/v1/gw0000/readings', '-m', payload]);

    const text = await waitFor(async () => {
      const t = await metrics();
      return metric(t, 'gridpulse_analytics_coarse_meters') === 1 ? t : undefined;
    }, 10_000, 'gridpulse_analytics_coarse_meters 1');
    expect(metric(text, 'gridpulse_analytics_coarse_found_total')).toBe(1);

    const readyz = await fetch(`${p.httpUrl}/readyz`);
    const ready = await readyz.json() as { ready: boolean; reasons: string[]; checks: { coarseMeters: { count: number; meters: { meter: string; spacingMs: number }[] } } };
    expect(readyz.status).toBe(200);
    expect(ready.ready).toBe(true);
    expect(ready.reasons).toEqual([expect.stringMatching(/^1 meter\(s\) send data coarser than the analyzer's 15-minute interval \(m0000000 every 60 min\): their consumption is not judged/)]);
    expect(ready.checks.coarseMeters).toEqual({ count: 1, meters: [expect.objectContaining({ meter: 'm0000000', spacingMs: H })] });

    const coarse = await (await fetch(`${p.httpUrl}/api/v1/meters/m0000000`)).json() as Record<string, unknown>;
    expect(coarse).toMatchObject({ meter: 'm0000000', gateway: 'gw0000', analytics: { intervalMinutes: 15, coarse: true, spacingMinutes: 60, coarseSince: new Date(end - H).toISOString() } });
    const fine = await (await fetch(`${p.httpUrl}/api/v1/meters/m0000001`)).json() as Record<string, unknown>;
    expect(fine).toMatchObject({ meter: 'm0000001', analytics: { intervalMinutes: 15, coarse: false } });
    expect(fine.analytics).not.toHaveProperty('spacingMinutes');
  });
});
