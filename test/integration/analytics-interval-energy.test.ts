import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCity, startTestPipeline, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';

const run = promisify(execFile);

/**
 * Interval energy end to end: mosquitto_pub publishes a batch with an interval-energy reading, a register
 * reading and two malformed ones; the pipeline stores the good ones in InfluxDB (interval_kwh / interval_min
 * for the first, CT-scaled) and answers the bad ones on the reject topic, naming the field.
 */
describe('interval energy: mosquitto_pub → broker → InfluxDB, rejects on the reject topic', () => {
  const city = makeCity(1, 3, { ct: 20 });
  const influx = testInflux();
  let p: TestPipeline;

  beforeAll(async () => {
    p = await startTestPipeline({ city, influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token } });
    await waitFor(async () => p.pipeline.readiness().ready, 20_000, 'pipeline ready');
  });
  afterAll(async () => p?.stop());

  it('stores interval energy and a register side by side; half a form or both forms are rejected naming the field', async () => {
    const sub = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000-rejects', username: 'gw0000', password: city.passwords.gw0000 });
    const rejects: Array<{ rejects: Array<{ code: string; message: string; index?: number }> }> = [];
    sub.on('message', (_t, m) => rejects.push(JSON.parse(m.toString())));
    await sub.subscribeAsync('gridpulse/v1/gw0000/rejects', { qos: 1 });
    const ts = '2026-11-27T09:00:00+08:00';
    const payload = JSON.stringify({ readings: [
      { meter: 'm0000000', ts, intervalEnergyKwh: 20.5, intervalMinutes: 60 },
      { meter: 'm0000001', ts, energyKwh: 4321.25 },
      { meter: 'm0000002', ts, intervalEnergyKwh: 3 },
      { meter: 'm0000002', ts, energyKwh: 1, intervalEnergyKwh: 1, intervalMinutes: 15 },
    ] });
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(p.pipeline.ports.mqtt), '-i', 'gw0000', '-u', 'gw0000', '-P', city.passwords.gw0000!, '-q', '1', '-t', 'gridpulse/v1/gw0000/readings', '-m', payload]);
    const rows = await waitFor(async () => {
      const r = await influx.client.query(`SELECT * FROM reading WHERE gateway = 'gw0000'`);
      return r.length >= 2 ? r : undefined;
    }, 20_000, 'two readings in InfluxDB');
    expect(rows).toHaveLength(2);
    const energy = rows.find((r) => r.meter === 'm0000000')!;
    expect(energy.time).toBe(Date.parse(ts));
    expect(energy.interval_kwh).toBe(20.5 * 20);
    expect(energy.interval_min).toBe(60);
    expect(energy.energy_kwh ?? null).toBeNull();
    expect(rows.find((r) => r.meter === 'm0000001')!.register_kwh).toBe(4321.25);
    const got = await waitFor(async () => (rejects.length > 0 ? rejects[0] : undefined), 10_000, 'the rejects message');
    await sub.endAsync();
    expect(got.rejects.map((r) => [r.code, r.index, r.message.split(':')[0]])).toEqual([
      ['invalid_reading', 2, 'intervalMinutes'],
      ['invalid_reading', 3, 'intervalEnergyKwh'],
    ]);
  });
});
