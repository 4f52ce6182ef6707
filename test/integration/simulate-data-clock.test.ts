import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../analytics/index.js';
import { startTestPipeline, tempDir, type TestPipeline } from '../support/pipeline.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const gridpulse = (args: string[]) => run(process.execPath, [CLI, 'simulate', ...args], { maxBuffer: 16 << 20 });

/**
 * `gridpulse simulate --speed 0` (as fast as acknowledged) against the pipeline on the data clock,
 * with the simulator's default QoS. Its messages must reach the analyzer with the gateways in step:
 * when publish callbacks fired on the socket write instead of the PUBACK (the default QoS was the
 * string '1'), the whole history sat in the sockets at once, the broker read it gateway by gateway,
 * and most gateways became data-clock stragglers (spurious gateway_offline alerts, late data).
 */
describe('gridpulse simulate --speed 0 → pipeline on the data clock', () => {
  const dir = tempDir('gridpulse-sim-clock-');
  let p: TestPipeline | undefined;
  afterAll(async () => {
    await p?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every gateway inside the data clock window: no stragglers, no offline alerts, no re-evaluations', async () => {
    expect(existsSync(CLI), `${CLI} missing: run npm run build`).toBe(true);
    const city = ['--seed', '1', '--enterprises', '20', '--out', dir];
    await gridpulse(['--registry-only', ...city]);
    const registry = JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8'));
    const passwords = JSON.parse(readFileSync(join(dir, 'gateways.credentials.json'), 'utf8')) as Record<string, string>;
    // The default per-client rate limit (200 messages/s), as in the demo.
    p = await startTestPipeline({ city: { registry, passwords, meters: {} }, influx: 'none', overrides: { 'analytics.clock': 'data' } });
    const clock = p.pipeline.dataClock!;
    const alerts: Alert[] = [];
    p.pipeline.analyzer!.on('alert', (a) => alerts.push(a));
    // Sampled on every reading batch the clock files (synchronously, so no state is missed).
    let maxStragglers = 0;
    const file = clock.file.bind(clock);
    clock.file = (rs) => {
      file(rs);
      maxStragglers = Math.max(maxStragglers, clock.stats().stragglers);
    };

    // No --qos: the default is what is under test. No incidents: nobody is offline.
    const { stdout } = await gridpulse(['--mode', 'accelerated', '--speed', '0', '--start', '2025-09-01T00:00:00+08:00', '--days', '3', '--no-incidents', ...city, '--url', p.mqttUrl, '--json', '--no-progress']);
    const s = JSON.parse(stdout.trim().split('\n').pop()!) as { connected: number; readingsSent: number; readingsAcked: number; messages: number };
    expect(s.connected).toBe(registry.gateways.length);
    expect(s.readingsAcked).toBe(s.readingsSent);
    expect(p.pipeline.analyzer!.counters().readings).toBeGreaterThan(0.99 * s.readingsSent);

    expect(maxStragglers).toBe(0);
    expect(clock.stats()).toMatchObject({ stragglers: 0, forcedIntervals: 0, gateways: registry.gateways.length });
    expect(alerts.filter((a) => a.kind === 'gateway_offline' || a.kind === 'grid_outage' || a.kind === 'meter_offline')).toEqual([]);
    // Readings filed behind the clock are re-evaluated as late data; in step, almost none are.
    expect(p.pipeline.analyzer!.counters().tooLate).toBe(0);
  });
});
