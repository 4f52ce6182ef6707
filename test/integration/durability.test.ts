import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startManagedInfluxd, type ManagedInfluxd } from '../../src/storage/managed-influxd.js';
import { saveRegistry } from '../../src/registry/index.js';
import { spawnGridpulse } from '../support/cli.js';
import { makeCity, startTestPipeline, tempDir, testInflux, uniqueDb, waitFor } from '../support/pipeline.js';

const T0 = Date.parse('2026-11-20T00:00:00Z');

/** Publishes reading i of each meter as (meter, T0 + i minutes); resolves with the keys PUBACKed. */
function publisher(client: MqttClient, gateway: string, meters: string[]) {
  const acked = new Set<string>();
  let i = 0;
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const ts = T0 + i * 60_000;
      const readings = meters.map((meter) => ({ meter, ts, energyKwh: 1000 + i }));
      const n = i++;
      client.publish(`gridpulse/v1/${gateway}/readings`, JSON.stringify({ readings }), { qos: 1 }, (err) => {
        if (!err) for (const m of meters) acked.add(`${m}|${T0 + n * 60_000}`);
      });
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return { acked, stop: async () => { stop = true; await done; } };
}

async function storedKeys(client: ReturnType<typeof testInflux>['client'], gateway: string): Promise<{ keys: Set<string>; rows: number }> {
  const rows = await client.query(`SELECT register_kwh, meter FROM reading WHERE gateway = '${gateway}'`);
  return { keys: new Set(rows.map((r) => `${r.meter}|${r.time}`)), rows: rows.length };
}

describe('durability: nothing acknowledged is lost', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('keeps acknowledging while InfluxDB is down, then replays the spool in order when it returns', async () => {
    const influxDir = tempDir('gridpulse-influx-down-');
    const influxd: ManagedInfluxd = await startManagedInfluxd({ dataDir: influxDir });
    cleanup.push(async () => { await influxd.stop(); rmSync(influxDir, { recursive: true, force: true }); });
    const db = uniqueDb();
    const influx = testInflux(db, influxd.url);
    const city = makeCity(1, 20);
    const p = await startTestPipeline({ city, influx: { url: influxd.url, db, apiVersion: 'v1' }, overrides: { 'influx.maxRetryDelayMs': 1000 } });
    cleanup.push(() => p.stop());
    await waitFor(async () => p.pipeline.readiness().ready, 20_000, 'ready');

    const client = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000', username: 'gw0000', password: city.passwords.gw0000 });
    const pub = publisher(client, 'gw0000', city.meters.gw0000!);
    await waitFor(async () => pub.acked.size >= 100, 20_000, 'readings acknowledged before the outage');
    await influxd.kill();
    // The pipeline notices the outage and keeps acknowledging into the spool.
    await waitFor(async () => !p.pipeline.readiness().ready && p.pipeline.ingest.spoolStats().depthLines > 0, 30_000, 'not ready, readings spooled');
    const during = p.pipeline.readiness();
    const ackedWhileDown = pub.acked.size;
    await waitFor(async () => pub.acked.size > ackedWhileDown + 100, 20_000, 'acknowledgements while InfluxDB is down');
    expect(pub.acked.size).toBeGreaterThan(ackedWhileDown);
    expect(during.ready).toBe(false);
    expect(during.reasons.join(' ')).toMatch(/InfluxDB/);
    expect((during.checks.spool as { depthLines: number }).depthLines).toBeGreaterThan(0);
    await pub.stop();
    await client.endAsync();

    await influxd.restart();
    const t = Date.now();
    await waitFor(async () => p.pipeline.ingest.spoolStats().depthLines === 0, 60_000, 'spool drained');
    const replayMs = Date.now() - t;
    const stored = await storedKeys(influx.client, 'gw0000');
    const missing = [...pub.acked].filter((k) => !stored.keys.has(k));
    expect(missing).toEqual([]);
    expect(stored.rows).toBe(stored.keys.size);
    expect(stored.rows).toBeGreaterThan(100);
    console.log(`influx outage: ${pub.acked.size} acknowledged readings, all stored once; spool replay took ${replayMs} ms after influxd came back`);
  });

  it('loses no acknowledged reading when the pipeline process is SIGKILLed mid-stream and restarted', async () => {
    const influx = testInflux();
    const city = makeCity(2, 25);
    const dataDir = tempDir('gridpulse-kill-');
    saveRegistry(join(dataDir, 'registry.json'), city.registry);
    cleanup.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env = {
      GRIDPULSE_DATA_DIR: dataDir,
      INFLUX_URL: influx.url, INFLUX_BUCKET: influx.db, INFLUX_API_VERSION: influx.apiVersion, ...(influx.token ? { INFLUX_TOKEN: influx.token } : {}),
    };
    const launch = async () => {
      const g = await spawnGridpulse(env, 30_000);
      cleanup.push(async () => void (await g.stop('SIGKILL')));
      return g;
    };
    let g = await launch();
    const mqttPort = g.ports.mqtt;

    const clients = await Promise.all(['gw0000', 'gw0001'].map((gw) =>
      mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: gw, username: gw, password: city.passwords[gw], reconnectPeriod: 0 })));
    clients.forEach((c) => c.on('error', () => undefined));
    const pubs = clients.map((c, i) => publisher(c, `gw000${i}`, city.meters[`gw000${i}`]!));
    await waitFor(async () => pubs.every((p) => p.acked.size > 2000), 30_000, 'readings acknowledged');
    await g.stop('SIGKILL');
    await Promise.all(pubs.map((p) => p.stop()));
    clients.forEach((c) => c.end(true));
    const acked = pubs.flatMap((p) => [...p.acked]);

    g = await launch();
    await waitFor(async () => {
      const r = await (await fetch(`http://127.0.0.1:${g.ports.http}/readyz`)).json() as { checks: { spool: { depthLines: number } }; ready: boolean };
      return r.ready && r.checks.spool.depthLines === 0;
    }, 60_000, 'spool replayed after restart');
    expect(await g.stop()).toBe(0);

    const stored = new Set([...(await storedKeys(influx.client, 'gw0000')).keys, ...(await storedKeys(influx.client, 'gw0001')).keys]);
    const missing = acked.filter((k) => !stored.has(k));
    expect(missing).toEqual([]);
    console.log(`SIGKILL: ${acked.length} acknowledged readings before the kill, all in InfluxDB after restart`);
  });
});
