import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCity, startTestPipeline, tempDir, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';

/**
 * Where the analyzer's state comes from at start: a checkpoint it can read, or else InfluxDB history.
 * An unreadable or older-format checkpoint must not leave it cold (it used to: the file's presence
 * alone skipped the warm-up).
 */
describe('analyzer state at pipeline start', () => {
  const city = makeCity(1, 2);
  const influx = testInflux();
  const dataDir = tempDir();
  let p: TestPipeline | undefined;
  const state = async (url: string) => {
    const m = await fetch(`${url}/metrics`).then((r) => r.text());
    return [...m.matchAll(/^gridpulse_analytics_state\{source="(\w+)"\} 1$/gm)].map((x) => x[1]);
  };
  const start = () => startTestPipeline({ city, dataDir, influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token } });
  afterAll(async () => { await p?.stop(); rmSync(dataDir, { recursive: true, force: true }); });

  it('an older-format checkpoint: warms up from InfluxDB; a clean stop writes one it restores next time', async () => {
    mkdirSync(join(dataDir, 'analytics'), { recursive: true });
    writeFileSync(join(dataDir, 'analytics', 'checkpoint.json'), JSON.stringify({ v: 1, intervalMs: 900_000, W: 12 }));
    p = await start();
    await waitFor(async () => (await state(p!.httpUrl)).includes('warmup'), 20_000, 'warm-up from InfluxDB after an unreadable checkpoint');
    expect(await state(p.httpUrl)).toEqual(['warmup']);
    expect(await fetch(`${p.httpUrl}/metrics`).then((r) => r.text())).toMatch(/^gridpulse_analytics_warmup_readings 0$/m);
    await p.stop();
    p = await start();
    expect(await state(p.httpUrl)).toEqual(['checkpoint']);
  }, 60_000);
});
