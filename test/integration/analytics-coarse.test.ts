import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../analytics/index.js';
import { readingToLine } from '../../src/storage/line-protocol.js';
import { makeCity, startTestPipeline, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';

const run = promisify(execFile);
const H = 3_600_000;

/**
 * Data coarser than the analyzer's interval never silently yields nothing (issue 9): hourly readings
 * published with mosquitto_pub to a pipeline at 15 minutes show up as a Prometheus gauge and counter,
 * a /readyz check (not a reason: such a meter is judged at its own interval) and the meter's API entry;
 * a meter read every 15 minutes beside it is not listed. And the hourly meter is judged: after two weeks
 * of hourly history in InfluxDB (warm-up), a stop published hour by hour is a production halt.
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

  it('lists the hourly meter, not the 15-minute one, as a /readyz check that is not a reason', async () => {
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
    expect(ready.reasons).toEqual([]);
    expect(ready.checks.coarseMeters).toEqual({ count: 1, meters: [expect.objectContaining({ meter: 'm0000000', spacingMs: H })], note: expect.stringMatching(/^judged at their own interval/) });

    const coarse = await (await fetch(`${p.httpUrl}/api/v1/meters/m0000000`)).json() as Record<string, unknown>;
    expect(coarse).toMatchObject({ meter: 'm0000000', gateway: 'gw0000', analytics: { intervalMinutes: 15, coarse: true, spacingMinutes: 60, coarseSince: new Date(end - H).toISOString(), note: expect.stringContaining('judged at its own interval') } });
    const fine = await (await fetch(`${p.httpUrl}/api/v1/meters/m0000001`)).json() as Record<string, unknown>;
    expect(fine).toMatchObject({ meter: 'm0000001', analytics: { intervalMinutes: 15, coarse: false } });
    expect(fine.analytics).not.toHaveProperty('spacingMinutes');

    // Both meters are new: still learning (14 days at 15 minutes = 1,344 intervals). Their hours here are
    // past the wall clock's window, so few or none count yet; the estimate, when there is one, lies ahead.
    const fineLearning = fine.analytics as { learning: boolean; observedIntervals: number; neededIntervals: number; judgedFromEstimate: string | null };
    expect(fineLearning).toMatchObject({ learning: true, neededIntervals: 1344 });
    expect(fineLearning.observedIntervals).toBeLessThanOrEqual(21);
    if (fineLearning.judgedFromEstimate !== null) expect(Date.parse(fineLearning.judgedFromEstimate)).toBeGreaterThan(end + (1344 - 22) * (H / 4));
    expect((ready.checks as unknown as { learningMeters: unknown }).learningMeters).toEqual({ count: 2, of: 2, note: expect.stringMatching(/still learning their baseline \(the first 14 days/) });
  });
});

describe('coarse data judged: hourly history in InfluxDB, then a stop published hour by hour → production_halt', () => {
  const city = makeCity(1, 1);
  const influx = testInflux();
  const meter = city.meters.gw0000![0]!;
  const tags = { meter, gateway: 'gw0000', enterprise: 'ent0000', county: city.registry.enterprises![0]!.county, chain: city.registry.enterprises![0]!.chains![0]!, ctMultiplier: 1 };
  const now = Math.floor(Date.now() / H) * H;
  const firstLive = now - 6 * H;
  const stop = now - 4.5 * H; // mid-hour
  let noise = 7;
  /** A plant running round the clock at ~40 kWh an hour (5 % noise), near zero from `stop`. */
  const hourKwh = (end: number) => (end - H >= stop ? 0.5 : end > stop ? 20 : 40) * (1 + 0.05 * (((noise = (noise * 48271) % 2147483647) / 2147483647) * 2 - 1));
  const registers = new Map<number, number>();
  let reg = 1000;
  for (let t = now - 17 * 86_400_000; t <= now; t += H) {
    reg += hourKwh(t);
    registers.set(t, Math.round(reg * 100) / 100);
  }
  let p: TestPipeline;

  beforeAll(async () => {
    await influx.client.ensureDatabase();
    const w = influx.client.writeApi({ batchSize: 1000 });
    w.writeRecords([...registers].filter(([t]) => t < firstLive).map(([ts, energyKwh]) => readingToLine({ ...tags, ts, energyKwh })));
    await w.close();
    p = await startTestPipeline({
      city, influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token },
      overrides: { 'analytics.clock': 'data', 'analytics.calendar': 'none' },
    });
    await waitFor(async () => p.pipeline.readiness().ready, 20_000, 'pipeline ready');
    await waitFor(async () => /gridpulse_analytics_state\{source="warmup"\} 1/.test(await (await fetch(`${p.httpUrl}/metrics`)).text()), 30_000, 'analyzer warm-up done');
  }, 60_000);
  afterAll(async () => p?.stop());

  it('alerts the stop as a halt dated within its hour, and nothing else', async () => {
    for (let ts = firstLive; ts <= now; ts += H) {
      const payload = JSON.stringify({ readings: [{ meter, ts, energyKwh: registers.get(ts)! }] });
      await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(p.pipeline.ports.mqtt), '-i', 'gw0000', '-u', 'gw0000', '-P', city.passwords.gw0000!, '-q', '1', '-t', 'gridpulse/v1/gw0000/readings', '-m', payload]);
    }
    const analyzer = p.pipeline.analyzer!;
    const halt = await waitFor(async () => analyzer.alerts().find((a: Alert) => a.kind === 'production_halt'), 20_000, 'a production_halt');
    expect(halt.entity).toBe('ent0000');
    expect(halt.since).toBeGreaterThanOrEqual(stop - H / 2);
    expect(halt.since).toBeLessThan(stop + H / 2);
    expect(analyzer.alerts().filter((a: Alert) => a.status === 'open' || a.kind !== 'production_halt').map((a: Alert) => a.kind)).toEqual(['production_halt']);
    expect(analyzer.coarseMeters().map((c) => c.meter)).toEqual([meter]);
    // 17 days of history learned at warm-up: judged, no estimate.
    const entry = await (await fetch(`${p.httpUrl}/api/v1/meters/${meter}`)).json() as { analytics: Record<string, unknown> };
    expect(entry.analytics).toMatchObject({ learning: false, neededIntervals: 1344, judgedFromEstimate: null });
    expect(entry.analytics.observedIntervals as number).toBeGreaterThanOrEqual(1344);
    const ready = await (await fetch(`${p.httpUrl}/readyz`)).json() as { checks: { learningMeters: unknown } };
    expect(ready.checks.learningMeters).toEqual({ count: 0, of: 1 });
  }, 40_000);
});
