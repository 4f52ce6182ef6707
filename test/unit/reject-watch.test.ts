import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RejectWatch } from '../../src/pipeline/reject-watch.js';

function watch() {
  const lines: { level: number; msg: string; gateway?: string }[] = [];
  const log = pino(new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } }));
  let now = 1_000_000;
  const w = new RejectWatch(log, { windowMs: 60_000, share: 0.5, minReadings: 10 }, () => now);
  return { w, lines, advance: (ms: number) => (now += ms) };
}

describe('RejectWatch (bulk rejects per gateway)', () => {
  it('flags a gateway with more than half its readings rejected over the minute, once, and clears it after', () => {
    const { w, lines, advance } = watch();
    w.record('gw-a', 20, []);
    w.record('gw-b', 2, Array(18).fill('timestamp_out_of_range') as string[]);
    const bulk = w.check();
    expect(bulk).toEqual([{ gateway: 'gw-b', rejected: 18, received: 20, codes: { timestamp_out_of_range: 18 } }]);
    expect(w.senders()).toBe(2);
    w.check();
    const warns = lines.filter((l) => l.level === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toBe('gateway gw-b: 90 % of its readings rejected over the last minute (18 of 20: timestamp_out_of_range 18)');
    // A minute later, good readings only: no longer flagged, and said so.
    advance(70_000);
    w.record('gw-b', 20, []);
    expect(w.check()).toEqual([]);
    expect(lines.filter((l) => l.level === 30).map((l) => l.msg)).toEqual(['gateway gw-b: readings accepted again']);
  });

  it('ignores a few rejects, and forgets gateways that stopped sending', () => {
    const { w, advance } = watch();
    w.record('gw-c', 0, ['invalid_reading', 'invalid_reading']);
    expect(w.check()).toEqual([]);
    w.record('gw-d', 4, Array(6).fill('invalid_reading') as string[]);
    expect(w.check().map((b) => b.gateway)).toEqual(['gw-d']);
    advance(80_000);
    expect(w.check()).toEqual([]);
    expect(w.senders()).toBe(0);
  });
});
