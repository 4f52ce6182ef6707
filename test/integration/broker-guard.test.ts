import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { Broker } from '../../ingest/broker.js';
import { Authenticator } from '../../ingest/auth.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { Registry, hashPassword } from '../../src/registry/index.js';

describe('broker: an error in one client\'s handler', () => {
  it('disconnects that client, is counted, and leaves the broker serving the others', async () => {
    const hash = hashPassword('pw-123456', { N: 1024 });
    const registry = new Registry({ gateways: [{ id: 'gw1', passwordHash: hash }, { id: 'gw2', passwordHash: hash }] });
    const cfg = loadConfig({ env: {}, overrides: { 'mqtt.host': '127.0.0.1', 'mqtt.port': 0, 'mqtt.wsPort': 0 } });
    const metrics = createMetrics();
    const broker = await Broker.create(cfg.mqtt, new Authenticator(registry, 5, 60_000), {
      onReadings(_gw, packet, done) {
        if (packet.payload.toString() === 'boom') throw new Error('a bug in a handler');
        done();
      },
    }, metrics, createLogger('silent'));
    const { tcp } = await broker.listen();
    try {
      const url = `mqtt://127.0.0.1:${tcp}`;
      const bad = await mqtt.connectAsync(url, { clientId: 'gw1', username: 'gw1', password: 'pw-123456', reconnectPeriod: 0 });
      const good = await mqtt.connectAsync(url, { clientId: 'gw2', username: 'gw2', password: 'pw-123456', reconnectPeriod: 0 });
      const closed = new Promise<void>((r) => bad.once('close', () => r()));
      bad.publish('gridpulse/v1/gw1/readings', 'boom', { qos: 1 });
      await closed;
      bad.end(true);
      await good.publishAsync('gridpulse/v1/gw2/readings', 'fine', { qos: 1 });
      expect(good.connected).toBe(true);
      expect((await metrics.handlerErrors.get()).values[0]?.value).toBe(1);
      await good.endAsync();
    } finally {
      await broker.close();
    }
  });
});
