import { describe, expect, it } from 'vitest';
import { readingToLine, seriesKey } from '../../src/storage/line-protocol.js';
import { expectedPointToLine } from '../../analytics/line-protocol.js';

describe('line protocol', () => {
  const r = { meter: 'M 1', gateway: 'g,1', enterprise: 'e=1', county: 'nanhu', chain: '', ctMultiplier: 50, ts: 1_795_738_500_123, energyKwh: 100.25, powerKw: 2, powerFactor: 0.9, quality: ['est"imated'] };
  it('escapes tag values, sorts tags, scales by the CT and writes device time in seconds', () => {
    expect(readingToLine(r)).toBe('reading,chain=none,county=nanhu,enterprise=e\\=1,gateway=g\\,1,meter=M\\ 1 energy_kwh=5012.5,register_kwh=100.25,ct=50,power_kw=100,pf=0.9,quality="est\\"imated" 1795738500');
  });
  it('gives the same line with a precomputed series key', () => {
    expect(readingToLine(r, seriesKey(r))).toBe(readingToLine(r));
  });
});

describe('enterprise_expected line protocol', () => {
  const p = { enterprise: 'ent 1', ts: 1_795_738_500_000, actualKwh: 12.345, expectedKwh: 40 };
  it('tags county, chain and stage (sorted, escaped), fields in kWh, time in seconds', () => {
    expect(expectedPointToLine(p, { county: 'nan,hu', chain: 'nev_parts', stage: 'upstream' })).toBe('enterprise_expected,chain=nev_parts,county=nan\\,hu,enterprise=ent\\ 1,stage=upstream actual_kwh=12.345,expected_kwh=40 1795738500');
  });
  it('writes chain none without a chain and leaves stage out when unknown', () => {
    expect(expectedPointToLine(p, { county: 'nanhu' })).toBe('enterprise_expected,chain=none,county=nanhu,enterprise=ent\\ 1 actual_kwh=12.345,expected_kwh=40 1795738500');
  });
});
