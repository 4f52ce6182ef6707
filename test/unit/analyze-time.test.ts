import { describe, expect, it } from 'vitest';
import { createTimeParser, zoneOffset } from '../../src/analyze/time.js';
import { isoIn } from '../../src/analyze/output.js';

describe('analyze: timestamps', () => {
  it('reads ISO 8601 with offsets, Z, a space for T, fractions, and epoch ms', () => {
    const p = createTimeParser('Asia/Shanghai');
    expect(p('2018-01-01T00:15:00+09:00')).toBe(Date.parse('2017-12-31T15:15:00Z'));
    expect(p('2018-01-01 00:15:00Z')).toBe(Date.parse('2018-01-01T00:15:00Z'));
    expect(p('2018-01-01T00:15+0530')).toBe(Date.parse('2017-12-31T18:45:00Z'));
    expect(p('2018-01-01T00:15:00.250-02:00')).toBe(Date.parse('2018-01-01T02:15:00.250Z'));
    expect(p('1514765700000')).toBe(1514765700000);
  });

  it('reads naive times in the zone (no age limit: 1997 is fine)', () => {
    expect(createTimeParser('Asia/Shanghai')('1997-03-01 08:00')).toBe(Date.parse('1997-03-01T00:00:00Z'));
    expect(createTimeParser('UTC')('1997-03-01T08:00:00')).toBe(Date.parse('1997-03-01T08:00:00Z'));
  });

  it('is DST-correct: gap rejected, fall-back hour mapped in order for one meter', () => {
    const p = createTimeParser('Europe/Berlin');
    expect(p('2024-03-31 01:30')).toBe(Date.parse('2024-03-31T00:30:00Z'));
    expect(p('2024-03-31 02:30')).toBe('nonexistent_local_time');
    expect(p('2024-03-31 03:30')).toBe(Date.parse('2024-03-31T01:30:00Z'));
    // 02:30 happens twice on 2024-10-27: first in CEST (+02), then in CET (+01).
    const first = p('2024-10-27 02:30');
    expect(first).toBe(Date.parse('2024-10-27T00:30:00Z'));
    expect(p('2024-10-27 02:30', first as number)).toBe(Date.parse('2024-10-27T01:30:00Z'));
  });

  it('rejects what it cannot read', () => {
    const p = createTimeParser('Asia/Shanghai');
    for (const s of ['13/10/2026 01:30', '2026-13-01T00:00', 'yesterday', '', '2026-10-01T25:00']) expect(p(s), s).toBe('bad_timestamp');
  });

  it('prints instants with the zone offset of that instant', () => {
    const off = zoneOffset('Europe/Berlin');
    expect(isoIn(off, Date.parse('2024-07-01T10:00:00Z'))).toBe('2024-07-01T12:00:00+02:00');
    expect(isoIn(off, Date.parse('2024-12-01T10:00:00Z'))).toBe('2024-12-01T11:00:00+01:00');
    expect(isoIn(zoneOffset('UTC'), 0)).toBe('1970-01-01T00:00:00Z');
    expect(() => zoneOffset('Mars/Olympus')).toThrow(/unknown time zone/);
  });
});
