import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { freePort } from '../../src/storage/managed-influxd.js';
import { makeCity, startTestPipeline, tempDir, waitFor, type TestPipeline } from '../support/pipeline.js';
import { alertUpdate } from '../support/alerts.js';
import { Receiver, type Received } from '../support/receiver.js';

const TOKEN = 'test-token-0123456789';
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const DING_SECRET = 'SEC0123456789abcdef';
const WECOM_KEY = 'wecom-key-do-not-leak';

interface Delivery { type: string; data: { seq: number; change: string; alert: { id: string; kind: string; state: string } } }

/**
 * Delivery from the durable outbox to real HTTP receivers: a Standard Webhooks endpoint that is down
 * and then up, a second endpoint with a filter, a WeCom-shaped and a DingTalk-shaped robot.
 */
describe('alert delivery (webhooks, WeCom, DingTalk)', () => {
  let p: TestPipeline;
  let hook: Receiver, robots: Receiver;
  const dir = tempDir('gridpulse-channels-');

  beforeAll(async () => {
    hook = new Receiver(await freePort());
    robots = new Receiver(await freePort());
    await robots.up();
    const channels = {
      webhooks: [
        { name: 'ops', url: `${hook.url}/ops`, secret: SECRET },
        { name: 'halts', url: `${hook.url}/halts`, secret: SECRET, filter: { kinds: ['production_halt'], minSeverity: 'critical' } },
      ],
      wecom: [{ name: 'wecom', url: `${robots.url}/cgi-bin/webhook/send?key=${WECOM_KEY}` }],
      dingtalk: [{ name: 'ding', url: `${robots.url}/robot/send?access_token=ding-token-do-not-leak`, secret: DING_SECRET, locale: 'en' }],
    };
    writeFileSync(join(dir, 'channels.json'), JSON.stringify(channels));
    p = await startTestPipeline({
      city: makeCity(2, 1), influx: 'none', dataDir: dir,
      overrides: { 'alerts.channelsFile': join(dir, 'channels.json'), 'alerts.retryBaseMs': 50, 'alerts.retryMaxMs': 300, 'alerts.publicUrl': 'https://gridpulse.example.cn' },
    });
  });
  afterAll(async () => {
    await p?.stop();
    await hook?.down();
    await robots?.down();
  });

  it('delivers every change once per idempotency key, in order, signed, after the receiver comes back', async () => {
    const { lifecycle } = p.pipeline.alerts!;
    // The analyzer's updates (input), an analyst's acknowledgement and hand resolution over the API.
    lifecycle.apply(alertUpdate('opened', { id: 'a-halt', entity: 'ent0000', kind: 'production_halt' }));
    lifecycle.apply(alertUpdate('opened', { id: 'a-cut', entity: 'ent0001', kind: 'production_cut', dropPct: 40 }));
    const post = (path: string, body: object) => fetch(`${p.httpUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/api/v1/alerts/a-halt/ack', { by: 'analyst-1', comment: '电话确认：锅炉故障' })).status).toBe(200);
    expect((await post('/api/v1/alerts/a-cut/resolve', { by: 'analyst-2', comment: 'approved 限电 order' })).status).toBe(200);
    expect((await post('/api/v1/alerts/a-cut/resolve', { comment: 'again' })).status).toBe(409);

    // The receiver is down: the channel reports failing, with an error that carries no secret.
    const failing = await waitFor(async () => {
      const cs = await (await fetch(`${p.httpUrl}/api/v1/channels`)).json() as { name: string; queued: number; failingSince: number | null; lastError: string | null }[];
      const ops = cs.find((c) => c.name === 'ops');
      return ops && ops.failingSince !== null && ops.queued === 4 ? cs : undefined;
    }, 10_000, 'ops channel failing with 4 queued');
    expect(JSON.stringify(failing)).not.toMatch(/whsec_|wecom-key|ding-token|SEC0123/);
    const metrics = await (await fetch(`${p.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/gridpulse_alert_channel_failing\{channel="ops"\} 1/);
    expect(metrics).toMatch(/gridpulse_alert_channel_queued\{channel="ops"\} 4/);
    const since = Number(/^gridpulse_alert_channel_failing_since_seconds\{channel="ops"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(since).toBe(Math.floor(failing.find((c) => c.name === 'ops')!.failingSince! / 1000));
    expect(Number(/^gridpulse_alert_delivery_failures_total\{channel="ops"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);

    // Up again; the first request to /ops is answered 500 after being received, so that one is redelivered.
    let failedOnce = false;
    hook.answer = (r) => (failedOnce || r.url !== '/ops' ? { status: 204 } : ((failedOnce = true), { status: 500, body: { error: 'try later' } }));
    await hook.up();
    await waitFor(async () => new Set(hook.got.filter((r) => r.url === '/ops').map((r) => r.headers['webhook-id'])).size === 4 && hook.got.filter((r) => r.url === '/halts').length >= 2, 15_000, 'all deliveries');

    const wh = new Webhook(SECRET);
    const byEndpoint = (path: string) => hook.got.filter((r) => r.url === path);
    const verified = (rs: Received[]) => rs.map((r) => wh.verify(r.body, r.headers as Record<string, string>) as Delivery);
    const ops = byEndpoint('/ops');
    expect(ops.length).toBe(5); // one redelivery, same id
    expect(ops[0]!.headers['webhook-id']).toBe(ops[1]!.headers['webhook-id']);
    const unique = verified(ops.slice(1));
    expect(unique.map((d) => `${d.data.alert.id}:${d.data.change}`)).toEqual(['a-halt:opened', 'a-cut:opened', 'a-halt:acknowledged', 'a-cut:resolved']);
    const seqs = unique.map((d) => d.data.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // The filtered endpoint gets only the critical halt.
    expect(verified(byEndpoint('/halts')).map((d) => `${d.data.alert.id}:${d.data.change}`)).toEqual(['a-halt:opened', 'a-halt:acknowledged']);
    // A tampered body does not verify.
    expect(() => wh.verify(ops[1]!.body.replace('a-halt', 'a-evil'), ops[1]!.headers as Record<string, string>)).toThrow();

    const states = await (await fetch(`${p.httpUrl}/api/v1/channels`)).json() as { name: string; queued: number; delivered: number; failingSince: number | null }[];
    expect(states.find((c) => c.name === 'ops')).toMatchObject({ queued: 0, delivered: 4, failingSince: null });
    expect(await (await fetch(`${p.httpUrl}/metrics`)).text()).toMatch(/^gridpulse_alert_channel_failing_since_seconds\{channel="ops"\} 0$/m);
  });

  it('sends WeCom and DingTalk robots Markdown in their shapes, DingTalk signed, Chinese by default', async () => {
    await waitFor(async () => robots.got.filter((r) => r.url.startsWith('/cgi-bin')).length >= 4 && robots.got.filter((r) => r.url.startsWith('/robot')).length >= 4, 10_000, 'robot messages');
    const wecom = robots.got.filter((r) => r.url.startsWith('/cgi-bin')).map((r) => JSON.parse(r.body) as { msgtype: string; markdown: { content: string } });
    for (const m of wecom) expect(Object.keys(m).sort()).toEqual(['markdown', 'msgtype']);
    expect(wecom[0]!.msgtype).toBe('markdown');
    expect(wecom[0]!.markdown.content).toContain('停产');
    expect(wecom[0]!.markdown.content).toContain('ent0000');
    expect(wecom[0]!.markdown.content).toContain('90%');
    expect(wecom[0]!.markdown.content).toContain('https://gridpulse.example.cn/api/v1/alerts/a-halt');
    expect(wecom[2]!.markdown.content).toContain('锅炉故障');

    for (const r of robots.got.filter((x) => x.url.startsWith('/robot'))) {
      const u = new URL(r.url, robots.url);
      const ts = u.searchParams.get('timestamp')!;
      const want = createHmac('sha256', DING_SECRET).update(`${ts}\n${DING_SECRET}`).digest('base64');
      expect(u.searchParams.get('sign')).toBe(want);
      expect(Math.abs(Date.now() - Number(ts))).toBeLessThan(3_600_000);
      const m = JSON.parse(r.body) as { msgtype: string; markdown: { title: string; text: string } };
      expect(m.msgtype).toBe('markdown');
      expect(m.markdown.title).toMatch(/Production (halt|cut)/);
    }
  });

  it('retries a robot that answers errcode ≠ 0', async () => {
    let refused = 0;
    robots.answer = (r) => (r.url.startsWith('/robot') && refused++ === 0 ? { status: 200, body: { errcode: 310000, errmsg: 'sign not match' } } : { status: 200, body: { errcode: 0 } });
    const before = robots.got.filter((r) => r.url.startsWith('/robot')).length;
    p.pipeline.alerts!.lifecycle.apply(alertUpdate('opened', { id: 'a-grid', entity: 'ent0001', kind: 'grid_outage', scope: 'enterprise' }));
    await waitFor(async () => robots.got.filter((r) => r.url.startsWith('/robot')).length === before + 2, 10_000, 'robot retried');
    const cs = await (await fetch(`${p.httpUrl}/api/v1/channels`)).json() as { name: string; queued: number }[];
    expect(cs.find((c) => c.name === 'ding')!.queued).toBe(0);
  });
});
