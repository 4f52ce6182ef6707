import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { tempDir, waitFor } from '../support/pipeline.js';
import { CLI, spawnGridpulse, type SpawnedGridpulse } from '../support/cli.js';

const run = promisify(execFile);
const gridpulse = (args: string[], env: Record<string, string> = {}) => run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });

describe('gridpulse CLI', () => {
  const started: SpawnedGridpulse[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const g of started) await g.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('is built (npm test builds first)', () => {
    expect(existsSync(CLI), `${CLI} missing: run npm run build`).toBe(true);
  });

  it.each([[[]], [['start']], [['simulate']], [['registry']], [['config']]])('prints --help for %j', async (sub) => {
    const { stdout } = await gridpulse([...sub, '--help']);
    expect(stdout).toMatch(/^Usage: gridpulse/);
  });

  it('stops at start-up on a bad config value with one line naming the key', async () => {
    const err = await gridpulse(['start'], { GRIDPULSE_MQTT_PORT: 'eighty', GRIDPULSE_DATA_DIR: tempDir() }).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr.trim()).toBe('invalid config mqtt.port (GRIDPULSE_MQTT_PORT)="eighty": Invalid input: expected number, received NaN');
  });

  async function startCli(env: Record<string, string>) {
    const dataDir = tempDir('gridpulse-cli-');
    dirs.push(dataDir);
    copyFileSync('docs/examples/registry.json', join(dataDir, 'registry.json'));
    const g = await spawnGridpulse({ GRIDPULSE_DATA_DIR: dataDir, ...env });
    started.push(g);
    return { dataDir, mqttPort: g.ports.mqtt, httpPort: g.ports.http, g, log: g.log };
  }

  it('on a fresh machine with no INFLUX_URL, manages a local influxd, and the documented mosquitto_pub example lands in it', async () => {
    const s = await startCli({ GRIDPULSE_INFLUX_MANAGED_PORT: '0' });
    const ready = await waitFor(async () => {
      const r = await fetch(`http://127.0.0.1:${s.httpPort}/readyz`);
      return r.ok && await r.json() as { checks: { influx: { url: string } } };
    }, 40_000, 'ready');
    const influxUrl = ready.checks.influx.url;
    expect(influxUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.log()).toContain('started a managed influxd');
    expect(existsSync(join(s.dataDir, 'influxdb', 'influxdb.conf'))).toBe(true);
    // The exact command of docs/mqtt.md, with this test's port.
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(s.mqttPort), '-i', 'gw-demo', '-u', 'gw-demo', '-P', 'demo-password-1', '-q', '1', '-t', 'gridpulse/v1/gw-demo/readings', '-f', 'docs/examples/batch.json']);
    const q = new URLSearchParams({ db: 'gridpulse', q: 'SELECT energy_kwh, power_kw FROM reading WHERE gateway = \'gw-demo\'', epoch: 'ms' });
    const series = await waitFor(async () => {
      const body = await (await fetch(`${influxUrl}/query?${q}`)).json() as { results: { series?: { values: unknown[][] }[] }[] };
      const v = body.results[0]?.series?.[0]?.values;
      return v && v.length === 3 ? v : undefined;
    }, 20_000, 'example batch in the managed InfluxDB');
    expect(series.map((r) => r[0])).toEqual([Date.parse('2026-11-27T00:15:00Z'), Date.parse('2026-11-27T00:15:00Z'), Date.parse('2026-11-27T00:15:00Z')]);
    expect(series.map((r) => r[1]).sort((a, b) => Number(a) - Number(b))).toEqual([51125, 62016, 2410663.5]);
    expect(await s.g.stop()).toBe(0);
  });

  it('refuses to start a managed influxd on a port another server holds, naming the key', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const port = (holder.address() as AddressInfo).port;
    try {
      const dataDir = tempDir('gridpulse-cli-');
      dirs.push(dataDir);
      const err = await spawnGridpulse({ GRIDPULSE_DATA_DIR: dataDir, GRIDPULSE_INFLUX_MANAGED_PORT: String(port) }).catch((e: Error) => e);
      expect(String(err)).toMatch(new RegExp(`exited with code 1 .*port ${port} on 127\\.0\\.0\\.1 is already in use.*influx\\.managedPort \\(GRIDPULSE_INFLUX_MANAGED_PORT`));
    } finally {
      holder.close();
    }
  });

  it('without any InfluxDB, keeps readings in the spool and says so in /readyz', async () => {
    const s = await startCli({ GRIDPULSE_INFLUX_MANAGE: 'never' });
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(s.mqttPort), '-i', 'gw-demo', '-u', 'gw-demo', '-P', 'demo-password-1', '-q', '1', '-t', 'gridpulse/v1/gw-demo/readings', '-f', 'docs/examples/batch.json']);
    const res = await fetch(`http://127.0.0.1:${s.httpPort}/readyz`);
    expect(res.status).toBe(503);
    const body = await res.json() as { reasons: string[]; checks: { spool: { depthLines: number } } };
    expect(body.reasons.join(' ')).toMatch(/waiting for InfluxDB/);
    expect(body.checks.spool.depthLines).toBe(3);
    expect(s.log()).toMatch(/readings are kept in the spool, waiting for InfluxDB/);
  });
});
