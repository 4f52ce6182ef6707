import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { makeCity, startTestPipeline, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';

const run = promisify(execFile);

describe('ingest: gateways → broker → spool → InfluxDB', () => {
  const city = makeCity(3, 4, { ct: 50 });
  const influx = testInflux();
  let p: TestPipeline;
  const port = () => String(p.pipeline.ports.mqtt);

  beforeAll(async () => {
    p = await startTestPipeline({ city, influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token } });
    await waitFor(async () => p.pipeline.readiness().ready, 20_000, 'pipeline ready');
  });
  afterAll(async () => p?.stop());

  it('stores a QoS 1 reading from mqtt.js with registry tags, CT-scaled values and the device timestamp', async () => {
    const client = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000', username: 'gw0000', password: city.passwords.gw0000 });
    const ts = Date.parse('2026-11-27T08:15:00+08:00');
    await client.publishAsync('gridpulse/v1/gw0000/readings', JSON.stringify({
      meter: 'm0000000', ts, energyKwh: 1234.5, powerKw: 1.5, voltageV: [229.1, 230.2, 231.3], currentA: [2.1, 2.2, 2.3], powerFactor: 0.93,
    }), { qos: 1 });
    await client.endAsync();
    const rows = await waitFor(async () => {
      const r = await influx.client.query(`SELECT * FROM reading WHERE meter = 'm0000000'`);
      return r.length > 0 ? r : undefined;
    }, 20_000, 'the reading in InfluxDB');
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.time).toBe(ts);
    expect(row).toMatchObject({ meter: 'm0000000', gateway: 'gw0000', enterprise: 'ent0000', county: 'nanhu', chain: 'nev_parts' });
    expect(row.register_kwh).toBe(1234.5);
    expect(row.energy_kwh).toBe(1234.5 * 50);
    expect(row.power_kw).toBe(75);
    expect(row.voltage_b).toBe(230.2);
    expect(row.pf).toBe(0.93);
  });

  it('stores the documented batch example published by mosquitto_pub, and a redelivery overwrites instead of duplicating', async () => {
    const payload = JSON.stringify({ readings: [
      { meter: 'm0001000', ts: '2026-11-27T08:15:00+08:00', energyKwh: 100.25, powerKw: 12.5 },
      { meter: 'm0001001', ts: '2026-11-27T08:15:00+08:00', energyKwh: 200.5, powerKw: 20 },
      { meter: 'm0001002', ts: '2026-11-27T08:15:00+08:00', energyKwh: 300.75, powerKw: 30.25, quality: ['estimated'] },
    ] });
    for (let i = 0; i < 2; i++) {
      await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port(), '-i', 'gw0001', '-u', 'gw0001', '-P', city.passwords.gw0001!, '-q', '1', '-t', 'gridpulse/v1/gw0001/readings', '-m', payload]);
    }
    const rows = await waitFor(async () => {
      const r = await influx.client.query(`SELECT * FROM reading WHERE gateway = 'gw0001'`);
      return r.length >= 3 ? r : undefined;
    }, 20_000, 'three readings of gw0001');
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.register_kwh).sort()).toEqual([100.25, 200.5, 300.75]);
    expect(rows.find((r) => r.meter === 'm0001002')!.quality).toBe('estimated');
  });

  it('lands the good readings of a batch and answers each bad one with a reason on the reject topic', async () => {
    // The analyzer hears of this gateway's registered meters whose readings were rejected (alive, no usable data).
    const an = p.pipeline.analyzer!;
    const heard: { meter: string; ts: number }[] = [];
    const hear = an.heard;
    an.heard = (cs) => { heard.push(...cs); hear(cs); };
    // -d: mosquitto_sub reports its SUBACK (line-buffered by stdbuf), so the batch is published only once it listens.
    const sub = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', port(), '-i', 'gw0002-sub', '-u', 'gw0002', '-P', city.passwords.gw0002!, '-t', 'gridpulse/v1/gw0002/rejects', '-C', '1', '-W', '20', '-d']);
    let subOut = '';
    sub.stdout.on('data', (b: Buffer) => (subOut += b.toString()));
    const subExit = once(sub, 'exit');
    await waitFor(async () => subOut.includes('received SUBACK'), 20_000, 'mosquitto_sub subscribed');
    const client = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0002', username: 'gw0002', password: city.passwords.gw0002 });
    const ts = Date.parse('2026-11-27T09:00:00Z');
    await client.publishAsync('gridpulse/v1/gw0002/readings', JSON.stringify({ readings: [
      { meter: 'm0002000', ts, energyKwh: 10 },
      { meter: 'm0002001', ts, energyKwh: -5 },
      { meter: 'm0002002', ts, energyKwh: 30 },
      { meter: 'unknown-9', ts, energyKwh: 1 },
      { meter: 'm0000001', ts, energyKwh: 1 },
      { meter: 'm0002003', ts: Date.now() + 86_400_000, energyKwh: 1 },
    ] }), { qos: 1 });
    await subExit;
    await client.endAsync();
    const answer = JSON.parse(subOut.split('\n').find((l) => l.startsWith('{')) ?? 'null');
    expect(answer.accepted).toBe(2);
    expect(answer.rejects.map((r: { index: number; code: string }) => [r.index, r.code])).toEqual([
      [1, 'invalid_reading'], [3, 'unknown_meter'], [4, 'meter_not_on_gateway'], [5, 'timestamp_out_of_range'],
    ]);
    expect(answer.rejects[0].message).toMatch(/energyKwh/);
    an.heard = hear;
    // Its own time when readable; arrival time for the one whose time was out of range. Not the unknown
    // meter, not another gateway's meter.
    expect(heard.map((c) => c.meter)).toEqual(['m0002001', 'm0002003']);
    expect(heard[0]!.ts).toBe(ts);
    expect(Math.abs(heard[1]!.ts - Date.now())).toBeLessThan(60_000);
    const rows = await waitFor(async () => {
      const r = await influx.client.query(`SELECT * FROM reading WHERE gateway = 'gw0002'`);
      return r.length >= 2 ? r : undefined;
    }, 20_000, 'the good readings');
    expect(rows.map((r) => r.meter).sort()).toEqual(['m0002000', 'm0002002']);

    // Counted by reason, and kept for inspection (unknown meters apart).
    const metrics = await (await fetch(`${p.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/gridpulse_readings_rejected_total\{reason="invalid_reading"\} 1/);
    expect(metrics).toMatch(/gridpulse_readings_rejected_total\{reason="unknown_meter"\} 1/);
    const dl = join(p.dataDir, 'dead-letter');
    const deadLetters = (prefix: string) => readdirSync(dl).filter((f) => f.startsWith(prefix)).map((f) => readFileSync(join(dl, f), 'utf8')).join('');
    // The dead-letter files are written after the answer: wait for both kinds to land.
    await waitFor(async () => deadLetters('rejects-').includes('"energyKwh":-5') && deadLetters('unknown-meters-').length > 0, 10_000, 'the dead-letter files');
    const rejects = deadLetters('rejects-');
    expect(rejects).toContain('"code":"invalid_reading"');
    expect(rejects).toContain('"energyKwh":-5');
    const unknown = deadLetters('unknown-meters-');
    expect(unknown).toContain('unknown-9');
  });

  it('answers a payload that is not JSON with invalid_json and keeps the connection', async () => {
    const client = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0002-b', username: 'gw0002', password: city.passwords.gw0002 });
    await client.subscribeAsync('gridpulse/v1/gw0002/rejects', { qos: 1 });
    const got = new Promise<string>((res) => client.once('message', (_t, m) => res(m.toString())));
    await client.publishAsync('gridpulse/v1/gw0002/readings', '{not json', { qos: 1 });
    expect(JSON.parse(await got).rejects[0].code).toBe('invalid_json');
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  describe('auth', () => {
    it('refuses a wrong password', async () => {
      await expect(run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port(), '-i', 'gw0000', '-u', 'gw0000', '-P', 'wrong-password', '-q', '1', '-t', 'gridpulse/v1/gw0000/readings', '-m', '{}']))
        .rejects.toThrow(/not authori[sz]ed|bad user name or password|Connection Refused/i);
    });
    it('refuses an unknown gateway', async () => {
      await expect(mqtt.connectAsync(p.mqttUrl, { clientId: 'nobody', username: 'gw9999', password: 'test-password-1', reconnectPeriod: 0 }))
        .rejects.toThrow(/Bad username or password/i);
    });
    it('refuses publishing under another gateway\'s prefix and closes the connection; nothing is stored', async () => {
      const client = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000-evil', username: 'gw0000', password: city.passwords.gw0000, reconnectPeriod: 0 });
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      client.publish('gridpulse/v1/gw0001/readings', JSON.stringify({ meter: 'm0001003', ts: Date.now(), energyKwh: 1 }), { qos: 1 });
      await closed;
      client.end(true);
      const rows = await influx.client.query(`SELECT * FROM reading WHERE meter = 'm0001003'`);
      expect(rows).toHaveLength(0);
    });
    it('refuses publishing on an alert topic', async () => {
      const client = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000-alert', username: 'gw0000', password: city.passwords.gw0000, reconnectPeriod: 0 });
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      client.publish('gridpulse/v1/alerts/production_halt', '{}', { qos: 1 });
      await closed;
      client.end(true);
      const metrics = await (await fetch(`${p.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/gridpulse_mqtt_publish_denied_total [2-9]/);
    });
    it('locks a client id out after repeated failures, even with the right password', async () => {
      for (let i = 0; i < 5; i++) {
        await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0001-guess', username: 'gw0001', password: `guess-${i}`, reconnectPeriod: 0 }).catch(() => undefined);
      }
      await expect(mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0001-guess', username: 'gw0001', password: city.passwords.gw0001, reconnectPeriod: 0 }))
        .rejects.toThrow(/Not authorized/i);
      const metrics = await (await fetch(`${p.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/gridpulse_mqtt_connections_refused_total\{reason="locked_out"\} 1/);
    });
  });
});
