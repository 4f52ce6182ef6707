import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { makeCity, startTestPipeline, tempDir, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';
import { saveRegistry } from '../../src/registry/index.js';
import { alertsOf, plantRows, runAnalyze, stamp } from './analyze-data.js';

/**
 * The offline command and the live pipeline agree: the same registers go (a) over MQTT into the real
 * pipeline with the data clock (analytics.clock=data), one QoS 1 message per gateway and instant, and
 * (b) through `gridpulse analyze` as a CSV with the same registry, and (c) through `gridpulse analyze
 * --influx` reading back what the pipeline stored in the real InfluxDB. The three alert sets must be
 * equal and hold the injected stop.
 */
describe('gridpulse analyze = the pipeline with the data clock', () => {
  let p: TestPipeline | undefined;
  afterAll(async () => p?.stop());

  it('raises the same alerts as the pipeline on the same readings, from a CSV and from InfluxDB', async () => {
    const city = makeCity(2, 1);
    const meters = city.registry.meters!.map((m) => m.id);
    const start = '2026-10-12T00:00:00+08:00';
    const stopAt = '2026-10-28T10:00:00+08:00';
    const rows = plantRows({ meters, start, days: 18, intervalMin: 15, kind: 'register', stop: { meter: meters[0]!, at: stopAt, hours: 6 } });
    const first = meters.map((m, i) => ({ meter: m, ts: Date.parse(start), registerKwh: 5000 + 1000 * i }));
    const all = [...first, ...rows];

    const dir = tempDir();
    const registryFile = join(dir, 'registry.json');
    saveRegistry(registryFile, city.registry);
    const csv = join(dir, 'readings.csv');
    writeFileSync(csv, `meter_id,timestamp,register_kwh\n${all.map((r) => `${r.meter},${stamp(r.ts)},${r.registerKwh.toFixed(2)}`).join('\n')}\n`);

    const influx = testInflux();
    p = await startTestPipeline({
      city, influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token },
      overrides: { 'analytics.clock': 'data', 'mqtt.maxMessagesPerSecond': 100_000 },
    });
    const byGw = new Map(city.registry.meters!.map((m) => [m.id, m.gateway]));
    const clients = new Map(await Promise.all(city.registry.gateways!.map(async (g) =>
      [g.id, await mqtt.connectAsync(p!.mqttUrl, { clientId: g.id, username: g.id, password: city.passwords[g.id]! })] as const)));
    // Gateways publish side by side in device time, two hours (8 readings) per QoS 1 message, as
    // store-and-forward gateways do: the data clock leaves a gateway more than 2 h 15 min behind the
    // newest out of its watermark, so neither may run further ahead than that.
    const instants = [...new Set(all.map((r) => r.ts))].sort((a, b) => a - b);
    for (let i = 0; i < instants.length; i += 8) {
      const from = instants[i]!, to = instants[Math.min(i + 7, instants.length - 1)]!;
      const slice = all.filter((r) => r.ts >= from && r.ts <= to);
      await Promise.all([...clients].map(([gw, c]) => {
        const readings = slice.filter((r) => byGw.get(r.meter) === gw).map((r) => ({ meter: r.meter, ts: r.ts, energyKwh: r.registerKwh }));
        return c.publishAsync(`gridpulse/v1/${gw}/readings`, JSON.stringify({ readings }), { qos: 1 });
      }));
    }
    for (const c of clients.values()) await c.endAsync();
    const last = all[all.length - 1]!.ts;
    await waitFor(async () => p!.pipeline.dataClock!.stats().clockMs >= last - 15 * 60_000 && p!.pipeline.analyzer!.counters().readings >= all.length, 30_000, 'the pipeline analyzer to catch up with the data');
    // The alerts API pages the store; each entry carries the analyzer's latest view of the episode.
    type Episode = { kind: string; scope: string; entity: string; status: string; since: number; openedAt: number; dropPct: number };
    const live: Episode[] = [];
    for (let cursor: string | null = ''; cursor !== null;) {
      const page = (await (await fetch(`${p.httpUrl}/api/v1/alerts?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json()) as { alerts: { alert: Episode }[]; next: string | null };
      live.push(...page.alerts.map((s) => s.alert));
      cursor = page.next;
    }
    const key = (a: { kind: string; scope: string; entity: string; since: number; openedAt: number; dropPct: number }) => `${a.kind} ${a.scope} ${a.entity} since ${a.since} raised ${a.openedAt} drop ${a.dropPct}`;
    const liveKeys = live.map(key).sort();
    expect(live.length).toBeGreaterThan(0);
    expect(liveKeys.some((k) => k.startsWith(`production_halt enterprise ${city.registry.enterprises![0]!.id} since ${Date.parse(stopAt)}`)), liveKeys.join('\n')).toBe(true);

    const fromCsv = await runAnalyze([csv, '--registry', registryFile]);
    expect(fromCsv.code, fromCsv.stderr).toBe(0);
    const offline = (out: string) => alertsOf(out).map((a) => key({ ...a, since: Date.parse(a.since), openedAt: Date.parse(a.raisedAt) })).sort();
    expect(offline(fromCsv.stdout)).toEqual(liveKeys);

    await p.pipeline.ingest.drained();
    const fromInflux = await runAnalyze(['--influx', influx.url, '--db', influx.db, ...(influx.token ? ['--influx-token', influx.token] : []),
      '--start', start, '--end', new Date(last + 1000).toISOString(), '--registry', registryFile]);
    expect(fromInflux.code, fromInflux.stderr).toBe(0);
    expect(fromInflux.stderr).toMatch(new RegExp(`${all.length.toLocaleString('en-US')} readings of 2 meters`));
    expect(offline(fromInflux.stdout)).toEqual(liveKeys);
  });
});
