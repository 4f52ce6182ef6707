import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnGridpulse, type SpawnedGridpulse } from '../support/cli.js';
import { tempDir, testInflux, waitFor } from '../support/pipeline.js';

/** The wall clock of the demo processes runs this many times real time (test/support/fast-clock.ts). */
const SPEED = 240;
const HOUR = 3600_000;
const FAST_CLOCK = join(process.cwd(), 'dist/test/support/fast-clock.js');

async function metric(httpPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) sum += Number(line.split(' ').pop());
  return sum;
}

/**
 * `gridpulse start --simulate` as a newcomer runs it (its default pace; a 30-enterprise city), with
 * the wall clock of both processes (the pipeline and its simulator child) running 240× real time:
 * an hour of demo time is 15 s. The history goes in at its own pace (about 90 s: it is paced by
 * elapsed time, not by the clock), alerts appear while it does, and an hour after start — long past
 * the point where device time used to overtake the wall clock — readings are still accepted, none
 * rejected as out of range. (A faster history would shorten the test, but the analyzer's data
 * clock breaks down when the history arrives much faster: docs/simulator.md#the-demo.)
 */
describe('the demo (gridpulse start --simulate) on an accelerated clock', () => {
  const dataDir = tempDir('gridpulse-demo-');
  let g: SpawnedGridpulse | undefined;
  afterAll(async () => {
    // What a newcomer would have seen: the demo lines and the warnings.
    const seen = (g?.log() ?? '').split('\n').filter((l) => l.startsWith('demo:') || /"level":[456]0/.test(l));
    console.log(seen.slice(-40).join('\n'));
    await g?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows alerts within minutes and still accepts readings an hour of demo time later', async () => {
    const anchor = Date.now();
    const demoNow = () => anchor + (Date.now() - anchor) * SPEED;
    const influx = testInflux();
    const startedAt = performance.now();
    g = await spawnGridpulse({
      GRIDPULSE_DATA_DIR: dataDir, INFLUX_URL: influx.url, INFLUX_BUCKET: influx.db, INFLUX_API_VERSION: influx.apiVersion,
      ...(influx.token ? { INFLUX_TOKEN: influx.token } : {}),
      GRIDPULSE_FAST_CLOCK: `${anchor},${SPEED}`, NODE_OPTIONS: `--import=${FAST_CLOCK}`,
    }, 40_000, ['--simulate', '--simulate-enterprises', '30']);
    const http = g.ports.http;

    // Alerts while the history is sent: the demo prints each as it opens.
    await waitFor(async () => /^demo: alert production_(halt|cut) /m.test(g!.log()), 180_000, 'a production alert');
    const alertAfterS = (performance.now() - startedAt) / 1000;
    expect(alertAfterS).toBeLessThan(300);

    // An hour of demo time, caught up with the wall clock.
    await waitFor(async () => demoNow() >= anchor + HOUR && /^demo: device time .* \(live\)/m.test(g!.log()), 120_000, 'an hour of demo time, live');
    const accepted = await metric(http, 'gridpulse_readings_accepted_total');
    // Two more 15-minute intervals of demo time (7.5 s): more readings accepted.
    await waitFor(async () => (await metric(http, 'gridpulse_readings_accepted_total')) > accepted, 30_000, 'readings accepted after an hour');
    const rows = await influx.client.query(`SELECT last(energy_kwh) FROM reading`) as { time: string | Date }[];
    const newest = new Date(rows[0]!.time).getTime();
    expect(newest).toBeGreaterThanOrEqual(anchor + HOUR - 15 * 60_000);
    expect(newest).toBeLessThanOrEqual(demoNow());
    const outOfRange = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
    expect(outOfRange).not.toMatch(/gridpulse_readings_rejected_total\{reason="timestamp_out_of_range"\} [1-9]/);
    // The analyzer never saw its input stall (it used to, at the first interval of the history).
    expect(g.log()).not.toContain('input stalled');
    const ready = await fetch(`http://127.0.0.1:${http}/readyz`);
    expect(ready.status, await ready.text()).toBe(200);
    console.log(`demo test: first production alert after ${alertAfterS.toFixed(1)} s; ${accepted} readings accepted by an hour of demo time; newest reading ${((newest - anchor) / 60_000).toFixed(0)} demo minutes after start`);
  }, 330_000);
});
