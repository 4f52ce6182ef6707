import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeadLetterStore } from '../../ingest/dead-letter.js';
import { MAX_JSON_DEPTH, decodeReadings, nestsDeeperThan } from '../../ingest/decode.js';
import { Authenticator, clientIdOwner } from '../../ingest/auth.js';
import { Registry, hashPassword } from '../../src/registry/index.js';
import { tempDir } from '../support/pipeline.js';

function deepArray(levels: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

describe('ingest guards', () => {
  it('the dead-letter store writes a line for any value, however deep, and never throws', async () => {
    const dir = tempDir();
    const store = new DeadLetterStore(dir, 'rejects', 1 << 20, 4);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => store.add({ code: 'invalid_reading', raw: deepArray(200_000) })).not.toThrow();
    expect(() => store.add({ code: 'invalid_reading', raw: cyclic, n: 10n })).not.toThrow();
    await store.close();
    const lines = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('').trim().split('\n').map((l) => JSON.parse(l) as { code: string; raw: string });
    expect(lines).toHaveLength(2);
    expect(lines[0]!.code).toBe('invalid_reading');
    expect(lines[0]!.raw).toMatch(/not serialisable/);
  });

  it('measures JSON nesting in one pass, ignoring brackets inside strings', () => {
    const b = (s: string) => Buffer.from(s);
    expect(nestsDeeperThan(b('{"readings":[{"voltageV":[1,2,3]}]}'), 4)).toBe(false);
    expect(nestsDeeperThan(b('{"readings":[{"voltageV":[[1],2,3]}]}'), 4)).toBe(true);
    expect(nestsDeeperThan(b(`{"meter":"${'['.repeat(100)}\\"${'{'.repeat(100)}"}`), 2)).toBe(false);
    expect(nestsDeeperThan(b('['.repeat(MAX_JSON_DEPTH)), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(b('['.repeat(MAX_JSON_DEPTH + 1)), MAX_JSON_DEPTH)).toBe(true);
  });

  it('readings name meters by the registry\'s one id pattern: .. and .x are invalid_reading, not unknown meters', () => {
    for (const meter of ['..', '.x', '-m1']) {
      const d = decodeReadings(Buffer.from(JSON.stringify({ meter, ts: Date.now(), energyKwh: 1 })), 'gw1', () => undefined, { maxBatchReadings: 10, maxClockSkewMs: 600_000, maxAgeMs: 86_400_000 }, Date.now());
      expect(d.rejects.map((r) => r.code), meter).toEqual(['invalid_reading']);
    }
  });

  it('gives a client id to the longest registered id it starts with, at a separator', () => {
    const ids = new Set(['gw', 'gw-demo', 'gw0001']);
    const has = (id: string) => ids.has(id);
    expect(clientIdOwner('gw-demo', has)).toBe('gw-demo');
    expect(clientIdOwner('gw-demo-rejects', has)).toBe('gw-demo');
    expect(clientIdOwner('gw-x', has)).toBe('gw');
    expect(clientIdOwner('gw0001/2', has)).toBe('gw0001');
    expect(clientIdOwner('gw00012', has)).toBeUndefined();
    expect(clientIdOwner('gw-demo2', has)).toBe('gw');
    expect(clientIdOwner('mosq-abc', has)).toBeUndefined();
    expect(clientIdOwner('', has)).toBeUndefined();
    expect(clientIdOwner(`gw-demo-${'x'.repeat(57)}`, has)).toBeUndefined();
  });

  it('locks out a guessing (source, user name) pair and a spraying source, never the account elsewhere', async () => {
    const hash = hashPassword('right-password', { N: 1024 });
    const reg = new Registry({ gateways: ['gw1', 'gw2', 'gw3', 'gw4'].map((id) => ({ id, passwordHash: hash })) });
    let t = 0;
    const auth = new Authenticator(reg, 3, 60_000, () => t);
    const pw = (s: string) => Buffer.from(s);
    for (let i = 0; i < 3; i++) expect((await auth.check('gw1', 'gw1', pw('bad'), '10.0.0.9')).ok).toBe(false);
    expect(await auth.check('gw1', 'gw1', pw('right-password'), '10.0.0.9')).toEqual({ ok: false, reason: 'locked_out' });
    expect((await auth.check('gw1', 'gw1', pw('right-password'), '10.0.0.1')).ok).toBe(true);
    // The lockout ends with its time.
    t += 60_001;
    expect((await auth.check('gw1', 'gw1', pw('right-password'), '10.0.0.9')).ok).toBe(true);
    // A source guessing across user names is stopped at 4 × the limit in all.
    for (let i = 0; i < 12; i++) await auth.check(`user${i}`, `user${i}`, pw(`bad-${i}`), '10.0.0.7');
    expect(await auth.check('gw4', 'gw4', pw('right-password'), '10.0.0.7')).toEqual({ ok: false, reason: 'locked_out' });
    // A client id of another account is refused even with the right password.
    expect(await auth.check('gw2', 'gw1', pw('right-password'), '10.0.0.1')).toEqual({ ok: false, reason: 'client_id_not_owned' });
  });

  it('keeps its failure records bounded when bad logins come from ever new addresses', async () => {
    const reg = new Registry({ gateways: [{ id: 'gw1', passwordHash: hashPassword('right-password', { N: 1024 }) }] });
    const auth = new Authenticator(reg, 5, 60_000, () => 0);
    // Unknown user names cost no hash, so this is fast; each adds two records.
    for (let i = 0; i < 60_000; i++) await auth.check(`c${i}`, `nobody${i}`, Buffer.from('x'), `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect(auth.trackedFailures).toBeLessThanOrEqual(Authenticator.MAX_ENTRIES);
  });
});
