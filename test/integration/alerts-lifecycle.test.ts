import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { createAlerts, type AlertEvent, type StoredAlert } from '../../alerts/index.js';
import { freePort } from '../../src/storage/managed-influxd.js';
import { CLI } from '../support/cli.js';
import { makeCity, startTestPipeline, tempDir, waitFor, type TestPipeline } from '../support/pipeline.js';
import { alertUpdate } from '../support/alerts.js';
import { Receiver } from '../support/receiver.js';

const run = promisify(execFile);

/** Reads an SSE stream with fetch; events by id. */
async function sse(url: string, headers: Record<string, string> = {}) {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  const events: { id: number; data: { seq: number; change: string; alert: StoredAlert } }[] = [];
  let buf = '';
  const done = (async () => {
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const id = /^id: (\d+)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id && data) events.push({ id: Number(id), data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, close: async () => { ac.abort(); await done; } };
}

describe('alert lifecycle, history, roles and the SSE sequence', () => {
  let p: TestPipeline;
  const city = makeCity(3, 1);
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    p = await startTestPipeline({ city, influx: 'none', overrides: { 'alerts.flapWindowMinutes': 60, 'alerts.flapNotifyLimit': 1 } });
    // Tokens made by the real CLI against the running pipeline's store (WAL: both processes use it).
    for (const role of ['viewer', 'analyst', 'admin']) {
      const { stdout } = await run(process.execPath, [CLI, 'token', 'create', '--name', `${role}-1`, '--role', role, '--data-dir', p.dataDir]);
      tokens[role] = stdout.trim();
    }
  });
  afterAll(async () => p?.stop());

  const api = (path: string, init: { method?: string; token?: string; body?: object } = {}) => fetch(`${p.httpUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });

  it('enforces roles: no token 401, viewer 403, analyst acknowledges; writes are audited; tokens are stored hashed', async () => {
    p.pipeline.alerts!.lifecycle.apply(alertUpdate('opened', { id: 'r-1', entity: 'ent0000' }));
    expect((await api('/api/v1/alerts/r-1/ack', { method: 'POST', body: {} })).status).toBe(401);
    const viewer = await api('/api/v1/alerts/r-1/ack', { method: 'POST', token: tokens.viewer, body: {} });
    expect(viewer.status).toBe(403);
    expect((await viewer.json() as { code: string; message: string }).message).toMatch(/analyst/);
    const ok = await api('/api/v1/alerts/r-1/ack', { method: 'POST', token: tokens.analyst, body: { comment: 'seen' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ state: 'acknowledged', acknowledged: { by: 'analyst-1', comment: 'seen' } });
    expect((await api('/api/v1/meters/m-new', { method: 'PUT', token: tokens.analyst, body: { enterprise: 'ent0000', gateway: 'gw0000' } })).status).toBe(403);
    expect((await api('/api/v1/audit', { token: tokens.analyst })).status).toBe(403);
    const audit = await (await api('/api/v1/audit', { token: tokens.admin })).json() as { actor: string; path: string; status: number }[];
    expect(audit).toEqual(expect.arrayContaining([
      expect.objectContaining({ actor: 'analyst-1', path: '/api/v1/alerts/r-1/ack', status: 200 }),
      expect.objectContaining({ actor: 'viewer-1', path: '/api/v1/alerts/r-1/ack', status: 403 }),
      expect.objectContaining({ actor: 'anonymous', status: 401 }),
    ]));
    const stored = p.pipeline.alerts!.store.db.prepare('SELECT hash FROM api_tokens').all() as { hash: string }[];
    for (const t of Object.values(tokens)) expect(JSON.stringify(stored)).not.toContain(t);
    // Revoked by the CLI: refused at once.
    const { stdout } = await run(process.execPath, [CLI, 'token', 'list', '--data-dir', p.dataDir]);
    const viewerId = stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; name: string }).find((k) => k.name === 'viewer-1')!.id;
    await run(process.execPath, [CLI, 'token', 'revoke', viewerId, '--data-dir', p.dataDir]);
    expect((await api('/api/v1/suppressions', { method: 'POST', token: tokens.viewer, body: {} })).status).toBe(401);
  });

  it('keeps one alert per episode: escalation, resolution by recovery, a flap reopens the same alert', async () => {
    const { lifecycle } = p.pipeline.alerts!;
    lifecycle.apply(alertUpdate('opened', { id: 'e-1', entity: 'ent0001', kind: 'production_cut', dropPct: 35 }));
    lifecycle.apply(alertUpdate('updated', { id: 'e-1', entity: 'ent0001', kind: 'production_cut', dropPct: 36 }));
    lifecycle.apply(alertUpdate('updated', { id: 'e-1', entity: 'ent0001', kind: 'production_cut', dropPct: 80 }));
    lifecycle.apply(alertUpdate('resolved', { id: 'e-1', entity: 'ent0001', kind: 'production_cut', dropPct: 80, evidence: { detectedAtTs: 0, intervals: 4, reason: 'back to baseline' } }));
    // The same kind on the same enterprise again within the flap window: a new analyzer id, the same alert.
    lifecycle.apply(alertUpdate('opened', { id: 'e-2', entity: 'ent0001', kind: 'production_cut', dropPct: 40 }));
    const one = await (await api('/api/v1/alerts/e-2')).json() as StoredAlert & { history: AlertEvent[] };
    expect(one.id).toBe('e-1');
    expect(one).toMatchObject({ state: 'open', flaps: 1, severity: 'critical' });
    expect(one.history.map((h) => `${h.change}:${h.notify}`)).toEqual(['opened:true', 'updated:false', 'escalated:true', 'resolved:true', 'reopened:true']);
    expect(one.history[3]).toMatchObject({ actor: 'analyzer', comment: 'back to baseline' });
    // A second flap is recorded but not sent to people.
    lifecycle.apply(alertUpdate('resolved', { id: 'e-2', entity: 'ent0001', kind: 'production_cut' }));
    lifecycle.apply(alertUpdate('opened', { id: 'e-3', entity: 'ent0001', kind: 'production_cut' }));
    const again = await (await api('/api/v1/alerts/e-1')).json() as StoredAlert & { history: AlertEvent[] };
    expect(again.flaps).toBe(2);
    expect(again.history.slice(-2).map((h) => `${h.change}:${h.notify}`)).toEqual(['resolved:true', 'reopened:false']);
    // Resolved by hand with a comment.
    const r = await api('/api/v1/alerts/e-1/resolve', { method: 'POST', token: tokens.analyst, body: { comment: 'plant confirmed normal output' } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ state: 'resolved', resolved: { by: 'analyst-1', comment: 'plant confirmed normal output' } });
    expect((await api('/api/v1/alerts/e-1/resolve', { method: 'POST', token: tokens.analyst, body: {} })).status).toBe(400);
  });

  it('a suppression window created over the API keeps an alert from opening and is shown on it', async () => {
    const now = Date.now();
    const w = await api('/api/v1/suppressions', { method: 'POST', token: tokens.analyst, body: { scope: 'county', entity: 'haiyan', startsAt: new Date(now - 60_000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), reason: '限电 order 2026-17' } });
    expect(w.status).toBe(201);
    const win = await w.json() as { id: string };
    expect((await api('/api/v1/suppressions', { method: 'POST', token: tokens.analyst, body: { scope: 'county', entity: 'x', startsAt: 'soon', endsAt: 'later', reason: 'r' } })).status).toBe(400);
    // makeCity(3) puts no enterprise in haiyan: a county-scope alert there.
    p.pipeline.alerts!.lifecycle.apply(alertUpdate('opened', { id: 's-1', scope: 'county', entity: 'haiyan', kind: 'county_slowdown' }));
    const a = await (await api('/api/v1/alerts/s-1')).json() as StoredAlert;
    expect(a.state).toBe('suppressed');
    expect(a.suppressedBy).toMatchObject({ id: win.id, reason: '限电 order 2026-17', createdBy: 'analyst-1' });
    const ch = p.pipeline.alerts!.store.db.prepare("SELECT count(*) AS n FROM outbox o JOIN alert_events e ON e.seq = o.event_seq WHERE e.alert_id = 's-1'").get() as { n: number };
    expect(ch.n).toBe(0);
  });

  it('lists history with filters and cursor paging', async () => {
    const { lifecycle } = p.pipeline.alerts!;
    // Seven episodes on one enterprise (one per kind: the same kind and entity would be one episode).
    const kinds = ['production_cut', 'production_halt', 'slow_decline', 'grid_outage', 'county_slowdown', 'chain_disruption', 'gateway_offline'] as const;
    kinds.forEach((kind, i) => lifecycle.apply(alertUpdate('opened', { id: `h-${i}`, entity: 'ent0002', kind, dropPct: 35 })));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await (await api(`/api/v1/alerts?enterprise=ent0002&limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json() as { alerts: StoredAlert[]; next: string | null };
      expect(page.alerts.length).toBeLessThanOrEqual(3);
      seen.push(...page.alerts.map((a) => a.id));
      cursor = page.next;
    } while (cursor);
    expect(seen.sort()).toEqual(['h-0', 'h-1', 'h-2', 'h-3', 'h-4', 'h-5', 'h-6']);
    const halts = await (await api('/api/v1/alerts?enterprise=ent0002&kind=production_halt,grid_outage,production_cut&severity=critical&state=open')).json() as { alerts: StoredAlert[] };
    expect(halts.alerts.map((a) => a.id).sort()).toEqual(['h-1', 'h-3']);
    expect((await api('/api/v1/alerts?state=bogus')).status).toBe(400);
    expect((await api('/api/v1/alerts?cursor=bm9wZQ')).status).toBe(400);
    expect(await (await api(`/api/v1/alerts?from=${Date.now() + 86_400_000}`)).json()).toMatchObject({ alerts: [] });
  });

  it('replays exactly the missed events to an SSE client reconnecting with Last-Event-ID', async () => {
    const { lifecycle } = p.pipeline.alerts!;
    const first = await sse(`${p.httpUrl}/api/v1/alerts/stream`);
    await waitFor(async () => p.pipeline.alerts!.sse.size >= 1, 5000, 'connected');
    lifecycle.apply(alertUpdate('opened', { id: 'x-1', entity: 'ent0000', kind: 'grid_outage' }));
    lifecycle.apply(alertUpdate('opened', { id: 'x-2', entity: 'ent0001', kind: 'grid_outage' }));
    await waitFor(async () => first.events.length >= 2, 5000, 'two live events');
    await first.close();
    const last = first.events.at(-1)!.id;
    // Missed while disconnected:
    lifecycle.apply(alertUpdate('updated', { id: 'x-1', entity: 'ent0000', kind: 'grid_outage', dropPct: 95 }));
    lifecycle.apply(alertUpdate('resolved', { id: 'x-2', entity: 'ent0001', kind: 'grid_outage' }));
    lifecycle.apply(alertUpdate('opened', { id: 'x-3', scope: 'county', entity: 'nanhu', kind: 'grid_outage' }));
    const second = await sse(`${p.httpUrl}/api/v1/alerts/stream`, { 'last-event-id': String(last) });
    await waitFor(async () => second.events.length >= 3, 5000, 'replayed events');
    lifecycle.apply(alertUpdate('opened', { id: 'x-4', entity: 'ent0000', kind: 'meter_offline', scope: 'meter' }));
    await waitFor(async () => second.events.length >= 4, 5000, 'live after replay');
    await second.close();
    expect(second.events.map((e) => e.id)).toEqual([last + 1, last + 2, last + 3, last + 4]);
    expect(second.events.map((e) => `${e.data.alert.id}:${e.data.change}`)).toEqual(['x-1:updated', 'x-2:resolved', 'x-3:opened', 'x-4:opened']);
    expect(second.events.every((e) => e.data.seq === e.id)).toBe(true);
  });
});

describe('outbox durability', () => {
  it('delivers every alert committed before a kill -9, after the restart', async () => {
    const dir = tempDir('gridpulse-outbox-kill-');
    const file = join(dir, 'alerts.sqlite');
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const receiver = new Receiver(await freePort());
    const count = 20;
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'support', 'alerts-child.ts'), file, `${receiver.url}/hook`, secret, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    expect(line).toBe(`committed ${count}`);
    child.kill('SIGKILL');
    await once(child, 'exit');

    await receiver.up();
    const stage = createAlerts({
      file, locale: 'en', flapWindowMs: 0, flapNotifyLimit: 1, retryBaseMs: 50, retryMaxMs: 200,
      webhook: { url: `${receiver.url}/hook`, secret }, sse: { maxBufferedBytes: 65_536, maxStallMs: 1000 },
    }, { locate: () => ({}) });
    stage.start();
    try {
      await waitFor(async () => receiver.got.length >= count, 15_000, `${count} deliveries after restart`);
      const wh = new Webhook(secret);
      const ids = receiver.got.map((r) => (wh.verify(r.body, r.headers as Record<string, string>) as { data: { alert: { id: string } } }).data.alert.id);
      expect(ids).toEqual(Array.from({ length: count }, (_, i) => `k-${i}`));
      expect(stage.channels()[0]).toMatchObject({ queued: 0, delivered: count });
    } finally {
      await stage.close();
      await receiver.down();
    }
  });
});

describe('one alert per episode across an analyzer restart', () => {
  it('folds a re-detected open episode (new analyzer id) into the stored alert without notifying again', async () => {
    const dir = tempDir('gridpulse-episode-');
    const stage = createAlerts({
      file: join(dir, 'a.sqlite'), locale: 'en', flapWindowMs: 0, flapNotifyLimit: 1, retryBaseMs: 50, retryMaxMs: 200,
      webhook: { url: 'http://127.0.0.1:9/unused' }, sse: { maxBufferedBytes: 65_536, maxStallMs: 1000 },
    }, { locate: () => ({}) });
    try {
      stage.lifecycle.apply(alertUpdate('opened', { id: 'before-restart', entity: 'ent0009' }));
      const e = stage.lifecycle.apply(alertUpdate('opened', { id: 'after-restart', entity: 'ent0009', dropPct: 95 }))!;
      expect(e).toMatchObject({ alertId: 'before-restart', change: 'updated', notify: false });
      expect(stage.store.alertIdFor('after-restart')).toBe('before-restart');
      expect(stage.store.list({ entity: 'ent0009' }, 10).alerts.length).toBe(1);
    } finally {
      await stage.close();
    }
  });
});

describe('escalation when a drop joins a chain disruption', () => {
  it('escalates a halt once the analyzer links it to a chain disruption', async () => {
    const stage = createAlerts({
      file: join(tempDir('gridpulse-esc-'), 'a.sqlite'), locale: 'en', flapWindowMs: 0, flapNotifyLimit: 1, retryBaseMs: 50, retryMaxMs: 200,
      sse: { maxBufferedBytes: 65_536, maxStallMs: 1000 },
    }, { locate: () => ({}) });
    try {
      stage.lifecycle.apply(alertUpdate('opened', { id: 'm-h', entity: 'ent0005', kind: 'production_halt' }));
      const e = stage.lifecycle.apply(alertUpdate('updated', { id: 'm-h', entity: 'ent0005', kind: 'production_halt', parentId: 'chain-1' }))!;
      expect(e).toMatchObject({ change: 'escalated', notify: true });
    } finally {
      await stage.close();
    }
  });
});
