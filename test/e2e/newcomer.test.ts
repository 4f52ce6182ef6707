import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnGridpulse, type SpawnedGridpulse } from '../support/cli.js';
import { tempDir, testInflux, waitFor } from '../support/pipeline.js';

const run = promisify(execFile);

/**
 * What a newcomer meets with the documented example: `gridpulse start --registry
 * docs/examples/registry.json` works on a copy in the data folder (the tracked file stays as it is),
 * and a gateway whose readings are all rejected (here: a clock a day fast) is reported — a warning
 * in the log and a reason in /readyz — instead of failing silently.
 */
describe('gridpulse start with the example registry, and a gateway rejected in bulk', () => {
  const dataDir = tempDir('gridpulse-newcomer-');
  const example = readFileSync('docs/examples/registry.json', 'utf8');
  let g: SpawnedGridpulse | undefined;
  afterAll(async () => {
    await g?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('copies the example registry into the data folder and reports the bulk rejects', async () => {
    const influx = testInflux();
    g = await spawnGridpulse({
      GRIDPULSE_DATA_DIR: dataDir, INFLUX_URL: influx.url, INFLUX_BUCKET: influx.db, INFLUX_API_VERSION: influx.apiVersion,
      ...(influx.token ? { INFLUX_TOKEN: influx.token } : {}),
    }, 40_000, ['--registry', 'docs/examples/registry.json']);
    const copy = join(dataDir, 'registry.json');
    expect(readFileSync(copy, 'utf8')).toBe(example);
    expect(g.log()).toContain(`"registryFile":${JSON.stringify(copy)}`);
    const http = `http://127.0.0.1:${g.ports.http}`;
    await waitFor(async () => (await fetch(`${http}/readyz`)).ok, 30_000, 'ready');

    // gw-demo's clock is a day fast: every reading is out of range.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const readings = ['MTR-000101', 'MTR-000102', 'MTR-000201'].flatMap((meter) => Array.from({ length: 4 }, (_, i) => ({ meter, ts: Date.parse(tomorrow) + i * 900_000, energyKwh: 100 + i })));
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(g.ports.mqtt), '-i', 'gw-demo', '-u', 'gw-demo', '-P', 'demo-password-1', '-q', '1',
      '-t', 'gridpulse/v1/gw-demo/readings', '-m', JSON.stringify({ readings })]);

    const ready = await waitFor(async () => {
      const r = await fetch(`${http}/readyz`);
      const body = await r.json() as { ready: boolean; reasons: string[] };
      return body.reasons.length > 0 && { status: r.status, body };
    }, 15_000, 'a /readyz reason');
    expect(ready.body.reasons).toEqual(['gateway gw-demo: 100 % of its readings rejected over the last minute (12 of 12: timestamp_out_of_range 12)']);
    // The only gateway sending is rejected in bulk: nothing is being accepted, so not ready.
    expect(ready.status).toBe(503);
    await waitFor(async () => g!.log().includes('"msg":"gateway gw-demo: 100 % of its readings rejected'), 10_000, 'the warning');
    expect(readFileSync('docs/examples/registry.json', 'utf8')).toBe(example);
  });
});
