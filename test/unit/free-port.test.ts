import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { freePort, portIsFree } from '../../src/storage/managed-influxd.js';

describe('freePort', () => {
  it('picks a port below the ephemeral range (outgoing connections cannot take it), free to bind', async () => {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(low);
      const s = createServer().listen(port, '127.0.0.1');
      await once(s, 'listening');
      expect(await portIsFree(port)).toBe(false);
      await new Promise((r) => s.close(r));
      expect(await portIsFree(port)).toBe(true);
    }
  });
});
