import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Webhook } from 'standardwebhooks';
import { saveRegistry } from '../../src/registry/index.js';
import { freePort } from '../../src/storage/managed-influxd.js';
import { spawnGridpulse, type SpawnedGridpulse } from '../support/cli.js';
import { makeCity, tempDir, waitFor } from '../support/pipeline.js';
import { Receiver } from '../support/receiver.js';

const TOKEN = 'e2e-admin-token-0123456789';

/**
 * `gridpulse start` as a process: a real gateway_offline alert (one of four gateways stops sending),
 * acknowledged over the API while the webhook receiver is down, then `kill -9`; after a restart the
 * outbox delivers both changes, once each, signed, in order, and the acknowledgement is still there.
 */
describe('alerts survive kill -9 of the pipeline', () => {
  const running: SpawnedGridpulse[] = [];
  const receiver = { r: undefined as Receiver | undefined };
  afterAll(async () => {
    for (const g of running) await g.stop('SIGKILL');
    await receiver.r?.down();
  });

  it('delivers what was committed before the kill, after the restart', async () => {
    const dir = tempDir('gridpulse-alerts-kill-');
    const city = makeCity(4, 2);
    saveRegistry(join(dir, 'registry.json'), city.registry);
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const hook = (receiver.r = new Receiver(await freePort()));
    writeFileSync(join(dir, 'channels.json'), JSON.stringify({ webhooks: [{ name: 'ops', url: `${hook.url}/hook`, secret }] }));
    const env = {
      GRIDPULSE_DATA_DIR: dir, GRIDPULSE_REGISTRY: join(dir, 'registry.json'), GRIDPULSE_INFLUX_MANAGE: 'never', GRIDPULSE_ANALYTICS_CLOCK: 'data',
      GRIDPULSE_MQTT_MAX_MSG_RATE: '100000', GRIDPULSE_ALERT_CHANNELS: join(dir, 'channels.json'), GRIDPULSE_ALERT_RETRY_BASE_MS: '100',
      GRIDPULSE_ALERT_RETRY_MAX_MS: '500', GRIDPULSE_API_TOKEN: TOKEN,
    };
    const g1 = await spawnGridpulse(env);
    running.push(g1);
    const http = `http://127.0.0.1:${g1.ports.http}`;
    const clients = await Promise.all(Object.keys(city.meters).map((gw) => mqtt.connectAsync(`mqtt://127.0.0.1:${g1.ports.mqtt}`, { clientId: gw, username: gw, password: city.passwords[gw] })));
    const t0 = Math.floor((Date.now() - 2 * 86_400_000) / 900_000) * 900_000;
    for (let i = 0; i < 40; i++) {
      // gw0003 stops after three hours of device time.
      await Promise.all(Object.keys(city.meters).map((gw, k) => (k === 3 && i >= 12 ? undefined
        : clients[k]!.publishAsync(`gridpulse/v1/${gw}/readings`, JSON.stringify({ readings: city.meters[gw]!.map((m) => ({ meter: m, ts: t0 + i * 900_000, energyKwh: 100 + i * 10 })) }), { qos: 1 }))));
    }
    for (const c of clients) await c.endAsync();
    const alert = await waitFor(async () => {
      const r = await (await fetch(`${http}/api/v1/alerts?kind=gateway_offline`)).json() as { alerts: { id: string; entity: string }[] };
      return r.alerts.find((a) => a.entity === 'gw0003');
    }, 20_000, 'gateway_offline for gw0003');
    const ack = await fetch(`${http}/api/v1/alerts/${alert.id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ by: 'analyst-7', comment: 'site visit booked' }) });
    expect(ack.status).toBe(200);
    await waitFor(async () => {
      const cs = await (await fetch(`${http}/api/v1/channels`)).json() as { name: string; queued: number; failingSince: number | null }[];
      return cs.some((c) => c.name === 'ops' && c.queued >= 2 && c.failingSince !== null);
    }, 10_000, 'two deliveries queued and failing');

    await g1.stop('SIGKILL');
    await hook.up();
    const g2 = await spawnGridpulse(env);
    running.push(g2);
    await waitFor(async () => hook.got.length >= 2, 15_000, 'deliveries after the restart');
    const wh = new Webhook(secret);
    const got = hook.got.map((r) => wh.verify(r.body, r.headers as Record<string, string>) as { data: { seq: number; change: string; alert: { id: string } } });
    const mine = got.filter((d) => d.data.alert.id === alert.id);
    expect(mine.map((d) => d.data.change)).toEqual(['opened', 'acknowledged']);
    expect(new Set(hook.got.map((r) => r.headers['webhook-id'])).size).toBe(hook.got.length);
    const after = await (await fetch(`http://127.0.0.1:${g2.ports.http}/api/v1/alerts/${alert.id}`)).json() as { state: string; acknowledged: { by: string; comment: string } };
    expect(after).toMatchObject({ state: 'acknowledged', acknowledged: { by: 'analyst-7', comment: 'site visit booked' } });
  });
});
