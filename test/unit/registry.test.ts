import { describe, expect, it } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, RegistryError, hashPassword, verifyPassword } from '../../src/registry/index.js';
import { tempDir } from '../support/pipeline.js';

const hash = hashPassword('secret-pw-1', { N: 1024 });

describe('registry', () => {
  it('loads a meters CSV (with BOM) and derives enterprises and gateways', () => {
    const f = join(tempDir(), 'meters.csv');
    writeFileSync(f, `\ufeffmeter_id,enterprise_id,enterprise_name,county,chains,ct_multiplier,gateway_id,gateway_password_hash
M1,E1,"Fastener Co., Ltd",haiyan,fasteners;nev_parts,50,G1,${hash}
M2,E1,"Fastener Co., Ltd",haiyan,fasteners;nev_parts,,G1,${hash}
`);
    const r = Registry.load(f);
    expect(r.counts()).toEqual({ enterprises: 1, gateways: 1, meters: 2 });
    expect(r.tagsFor('M1')).toEqual({ meter: 'M1', gateway: 'G1', enterprise: 'E1', county: 'haiyan', chain: 'fasteners', ctMultiplier: 50, seriesKey: 'reading,chain=fasteners,county=haiyan,enterprise=E1,gateway=G1,meter=M1' });
    expect(r.tagsFor('M2')!.ctMultiplier).toBe(1);
    expect(r.enterprise('E1')!.name).toBe('Fastener Co., Ltd');
  });

  it('names the row and column of a CSV problem', () => {
    const f = join(tempDir(), 'meters.csv');
    writeFileSync(f, 'meter_id,enterprise_id,county,gateway_id,gateway_password_hash\nM1,E1,,G1,x\n');
    expect(() => Registry.load(f)).toThrow(/row 2: column county is empty/);
  });

  it('refuses a meter that names an unknown enterprise or gateway', () => {
    expect(() => new Registry({ enterprises: [], gateways: [], meters: [{ id: 'M', enterprise: 'E', gateway: 'G' }] })).toThrow(RegistryError);
  });

  it('saves edits atomically to its JSON file, and a bad edit changes nothing', () => {
    const f = join(tempDir(), 'registry.json');
    writeFileSync(f, JSON.stringify({ enterprises: [{ id: 'E1', county: 'nanhu' }], gateways: [{ id: 'G1', passwordHash: hash }], meters: [] }));
    const r = Registry.load(f);
    r.upsert({ meters: [{ id: 'M1', enterprise: 'E1', gateway: 'G1', ctMultiplier: 20 }] });
    expect(JSON.parse(readFileSync(f, 'utf8')).meters).toEqual([{ id: 'M1', enterprise: 'E1', gateway: 'G1', ctMultiplier: 20 }]);
    expect(() => r.upsert({ meters: [{ id: 'M2', enterprise: 'nope', gateway: 'G1' }] })).toThrow(/unknown enterprise nope/);
    expect(r.tagsFor('M2')).toBeUndefined();
    expect(JSON.parse(readFileSync(f, 'utf8')).meters).toHaveLength(1);
  });

  it('refuses ids that are not one documented pattern (., .., leading punctuation, too long) and reserved gateway ids', () => {
    const r = new Registry({ enterprises: [{ id: 'E1', county: 'nanhu' }], gateways: [{ id: 'G1', passwordHash: hash }], meters: [] });
    for (const id of ['..', '.', '.hidden', '-x', ':x', 'a/b', 'a b', 'é', 'x'.repeat(65), '']) {
      expect(() => r.upsert({ meters: [{ id, enterprise: 'E1', gateway: 'G1' }] }), JSON.stringify(id)).toThrow(RegistryError);
      expect(() => r.upsert({ enterprises: [{ id, county: 'nanhu' }] }), JSON.stringify(id)).toThrow(RegistryError);
    }
    for (const id of ['alerts', 'Alerts', 'gridpulse', 'v1', 'status', 'readings', 'rejects']) {
      expect(() => r.upsert({ gateways: [{ id, passwordHash: hash }] }), id).toThrow(/reserved/);
      expect(() => r.upsert({ gateways: [{ id, passwordHash: hash, role: 'consumer' }] }), id).toThrow(/reserved/);
    }
    expect(() => r.remove('meters', '..')).toThrow(RegistryError);
    // The pattern still takes what real registries use.
    r.upsert({ enterprises: [{ id: 'ent-1.a', county: 'nanhu' }], gateways: [{ id: 'gw-demo', passwordHash: hash }], meters: [{ id: 'MTR-000101', enterprise: 'ent-1.a', gateway: 'gw-demo' }, { id: '0:12_ab.c-d', enterprise: 'E1', gateway: 'G1' }] });
    expect(r.counts()).toEqual({ enterprises: 2, gateways: 2, meters: 2 });
    expect(r.gateway('alerts')).toBeUndefined();
  });

  it('verifies scrypt passwords and refuses wrong ones', async () => {
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('secret-pw-1', hash)).toBe(true);
    expect(await verifyPassword('secret-pw-2', hash)).toBe(false);
    expect(await verifyPassword('secret-pw-1', 'plain')).toBe(false);
  });
});
