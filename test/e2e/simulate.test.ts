import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { countPoints, startTestPipeline, tempDir, testInflux, type TestPipeline } from '../support/pipeline.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const gridpulse = (args: string[]) => run(process.execPath, [CLI, 'simulate', ...args], { maxBuffer: 16 << 20 });

/**
 * `gridpulse simulate` as a user runs it, against the real pipeline: the registry it writes is
 * the one the pipeline loads, every gateway logs in with its credentials, QoS 1 acknowledgements
 * match what InfluxDB holds, and the malformed readings come back as rejects. File mode, run with
 * the same flags, writes exactly the points MQTT mode got stored.
 */
describe('gridpulse simulate → gridpulse pipeline → InfluxDB', () => {
  const dir = tempDir('gridpulse-sim-e2e-');
  let p: TestPipeline | undefined;
  afterAll(async () => {
    await p?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const city = ['--seed', '5', '--enterprises', '40', '--meters-per-gateway', '8'];
  const when = ['--start', '2025-09-01T00:00:00+08:00', '--days', '2'];

  it('fills InfluxDB with the simulated city and counts the rejects', async () => {
    expect(existsSync(CLI), `${CLI} missing: run npm run build`).toBe(true);
    await gridpulse(['--registry-only', ...city, '--out', dir]);
    const registry = JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8'));
    const passwords = JSON.parse(readFileSync(join(dir, 'gateways.credentials.json'), 'utf8')) as Record<string, string>;
    const gw = registry.gateways[0].id as string;
    writeFileSync(join(dir, 'scenario.json'), JSON.stringify({
      counts: {},
      incidents: [{ kind: 'transport_malformed', target: gw, start: '2025-09-01T06:00:00+08:00', hours: 12, magnitude: 0.3 }],
    }));
    const scenario = ['--scenario', join(dir, 'scenario.json')];

    const influx = testInflux();
    p = await startTestPipeline({
      city: { registry, passwords, meters: {} },
      influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token },
      overrides: { 'mqtt.maxMessagesPerSecond': 100_000 },
    });
    const { stdout } = await gridpulse(['--mode', 'accelerated', '--speed', '0', '--qos', '1', ...city, ...when, ...scenario, '--url', p.mqttUrl, '--out', dir, '--json', '--no-progress']);
    const s = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(s.connected).toBe(registry.gateways.length);
    expect(s.connectFailed).toBe(0);
    expect(s.readingsAcked).toBe(s.readingsSent);
    expect(s.rejected).toBeGreaterThan(0);
    expect(s.incidents.transport_malformed).toBe(1);
    await p.pipeline.ingest.drained();

    const file = JSON.parse((await gridpulse(['--mode', 'file', '--format', 'line', ...city, ...when, ...scenario, '--out', dir, '--json', '--no-progress'])).stdout.trim().split('\n').pop()!);
    expect(file.readings).toBe(s.readingsSent);
    expect(await countPoints(influx.client)).toBe(file.linesWritten);
    // Rejected readings are exactly the ones file mode could not write (bad payloads and readings).
    expect(s.rejected).toBe(file.skippedMalformed + s.generator.rawMalformed);
  });
});
