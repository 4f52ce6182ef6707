import { describe, expect, it } from 'vitest';
import { readingToLine, seriesKey } from '../../src/storage/line-protocol.js';

describe('line protocol', () => {
  const r = { meter: 'M 1', gateway: 'g,1', enterprise: 'e=1', county: 'nanhu', chain: '', ctMultiplier: 50, ts: 1_795_738_500_123, energyKwh: 100.25, powerKw: 2, powerFactor: 0.9, quality: ['est"imated'] };
  it('escapes tag values, sorts tags, scales by the CT and writes device time in seconds', () => {
    expect(readingToLine(r)).toBe('reading,chain=none,county=nanhu,enterprise=e\\=1,gateway=g\\,1,meter=M\\ 1 energy_kwh=5012.5,register_kwh=100.25,ct=50,power_kw=100,pf=0.9,quality="est\\"imated" 1795738500');
  });
  it('gives the same line with a precomputed series key', () => {
    expect(readingToLine(r, seriesKey(r))).toBe(readingToLine(r));
  });
});
