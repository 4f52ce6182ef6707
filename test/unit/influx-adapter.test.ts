import { describe, expect, it } from 'vitest';
import type { Transport, SendOptions } from '@influxdata/influxdb-client';
import { V1WriteTransport } from '../../src/storage/influx.js';

function recorder() {
  const calls: { path: string; options: SendOptions }[] = [];
  const t = {
    send: (path: string, _b: string, options: SendOptions) => void calls.push({ path, options }),
    request: async (path: string, _b: unknown, options: SendOptions) => void calls.push({ path, options }),
    iterate: () => { throw new Error('unused'); },
    chunkCombiner: {} as Transport['chunkCombiner'],
  } as unknown as Transport;
  return { t, calls };
}

describe('V1WriteTransport (InfluxDB < 1.8 adapter)', () => {
  it('rewrites the v2 write path to /write with db, rp and precision', () => {
    const { t, calls } = recorder();
    new V1WriteTransport(t, 'gridpulse', 'autogen').send('/api/v2/write?org=o&bucket=b&precision=s', 'x', { method: 'POST' });
    expect(calls[0]!.path).toBe('/write?db=gridpulse&precision=s&rp=autogen');
  });
  it('passes other paths through and adds basic auth when user:password is configured', async () => {
    const { t, calls } = recorder();
    await new V1WriteTransport(t, 'db', undefined, 'user:pw').request('/query?q=x', '', { method: 'GET', headers: { a: 'b' } });
    expect(calls[0]!.path).toBe('/query?q=x');
    expect(calls[0]!.options.headers).toEqual({ a: 'b', authorization: `Basic ${Buffer.from('user:pw').toString('base64')}` });
  });
});
