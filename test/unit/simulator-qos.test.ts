import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseQos, registerSimulate } from '../../simulator/cli.js';
import { buildCity, simulate } from '../../simulator/index.js';
import { publish } from '../../simulator/publish.js';

/**
 * mqtt.js waits for the PUBACK only when qos is the number 1; with the string '1' it sends a QoS 1
 * packet but calls back on the socket write, and publish() loses its backpressure.
 */
describe('simulate --qos', () => {
  it('is the number 1 by default and a number when given', () => {
    const program = new Command();
    registerSimulate(program);
    const qos = program.commands.find((c) => c.name() === 'simulate')!.options.find((o) => o.long === '--qos')!;
    expect(qos.defaultValue).toBe(1);
    expect(parseQos('0')).toBe(0);
    expect(parseQos('1')).toBe(1);
    expect(() => parseQos('2')).toThrow(/0 or 1/);
  });

  it('publish() refuses a qos that is not the number 0 or 1, before connecting', async () => {
    const city = buildCity({ seed: 1, enterprises: 2, start: '2025-09-01T00:00:00Z', days: 14 });
    const sim = simulate(city, { start: '2025-09-01T00:00:00Z', days: 1, intervalMinutes: 15, seed: 1 });
    const opts = { url: 'mqtt://127.0.0.1:1', qos: '1' as unknown as 1, single: false, rate: 0, mode: 'accelerated' as const, speed: 0 };
    await expect(publish(city, sim, opts)).rejects.toThrow(/qos must be the number 0 or 1/);
  });
});
