import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { buildCity, quietScenario, simulate } from '../../simulator/index.js';
import { publish } from '../../simulator/publish.js';
import { saveRegistry } from '../../src/registry/index.js';
import { freePort } from '../../src/storage/managed-influxd.js';
import { CLI, spawnGridpulse, type SpawnedGridpulse } from '../support/cli.js';
import { tempDir, waitFor } from '../support/pipeline.js';
import { Receiver } from '../support/receiver.js';
import { startSmtp } from '../support/smtp.js';

/**
 * Issue 10's "done when" in one run of `gridpulse start` as a process: the simulator publishes 24 days
 * of a 30-enterprise city with a chain disruption (the nev_parts leader stops, a customer cuts back)
 * and two production halts. Both the disruption and the first halt reach a Standard Webhooks
 * receiver, a WeCom-shaped robot and an SMTP inbox; a suppression window created over the API keeps
 * the second halt from opening; an analyst (a role token made with `gridpulse token create`)
 * acknowledges the halt; then `kill -9` with the webhook deliveries still queued (its receiver is
 * down); after the restart the analyst resolves the disruption by hand, and every change arrives
 * once per idempotency key, signed, in order. (The kill falls after the readings: the analyzer's
 * own restart is covered by the checkpoint tests.)
 */
const START = '2026-08-03T00:00:00+08:00';
const DAYS = 24;

interface Listed { id: string; state: string; kind: string; scope: string; entity: string; suppressedBy?: { reason: string }; acknowledged?: { by: string }; resolved?: { by: string; comment?: string } }
interface Delivery { data: { seq: number; change: string; alert: { id: string; kind: string; entity: string } } }

describe('issue 10 done when: halt and chain disruption to every channel, analyst actions, suppression, kill -9', () => {
  const running: SpawnedGridpulse[] = [];
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const g of running) await g.stop('SIGKILL');
    for (const c of cleanup) await c();
  });

  it('delivers, records and survives', async () => {
    const city = buildCity({ seed: 12, enterprises: 30, start: START, days: DAYS, metersPerGateway: 10 });
    const reg = city.registry;
    // The leader of the largest chain triggers the disruption; two enterprises of other chains halt.
    const size = (c: string | undefined) => reg.enterprises.filter((e) => e.chains[0] === c).length;
    const leader = reg.enterprises.filter((e) => e.leader).sort((a, b) => size(b.chains[0]) - size(a.chains[0]))[0]!;
    const chain = leader.chains[0]!;
    const others = reg.enterprises.filter((e) => e.chains[0] !== chain);
    const halted = others[0]!.id, suppressed = others[1]!.id;
    const sim = simulate(city, {
      start: START, days: DAYS, seed: 12,
      scenario: quietScenario({ springFestival: false, plannedShutdowns: false, ordinaryVariation: false, incidents: [
        { kind: 'chain_disruption', target: leader.id, start: '2026-08-24T09:00:00+08:00', hours: 72 },
        { kind: 'production_halt', target: halted, start: '2026-08-25T10:00:00+08:00', hours: 48 },
        { kind: 'production_halt', target: suppressed, start: '2026-08-26T10:00:00+08:00', hours: 20 },
      ] }),
    });

    const dir = tempDir('gridpulse-done-when-');
    saveRegistry(join(dir, 'registry.json'), reg);
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const hook = new Receiver(await freePort()); // down until after the kill
    const wecom = new Receiver(await freePort());
    await wecom.up();
    const smtpPort = await freePort();
    const smtp = await startSmtp(smtpPort, 'alerts', 'smtp-pass-2');
    cleanup.push(() => hook.down(), () => wecom.down(), () => smtp.close());
    writeFileSync(join(dir, 'channels.json'), JSON.stringify({
      webhooks: [{ name: 'ops', url: `${hook.url}/hook`, secret }],
      wecom: [{ name: 'wecom', url: `${wecom.url}/cgi-bin/webhook/send?key=k` }],
      email: [{ name: 'mail', smtp: `smtp://alerts:smtp-pass-2@127.0.0.1:${smtpPort}`, from: 'gridpulse@example.cn', to: ['duty@example.cn'] }],
    }));
    const made = spawnSync(process.execPath, [CLI, 'token', 'create', '--name', 'analyst-li', '--role', 'analyst', '--data-dir', dir], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const token = made.stdout.trim();
    const env = {
      GRIDPULSE_DATA_DIR: dir, GRIDPULSE_REGISTRY: join(dir, 'registry.json'), GRIDPULSE_INFLUX_MANAGE: 'never', GRIDPULSE_ANALYTICS_CLOCK: 'data',
      GRIDPULSE_MQTT_MAX_MSG_RATE: '100000', GRIDPULSE_ALERT_CHANNELS: join(dir, 'channels.json'), GRIDPULSE_ALERT_RETRY_BASE_MS: '100', GRIDPULSE_ALERT_RETRY_MAX_MS: '500',
    };
    const g1 = await spawnGridpulse(env);
    running.push(g1);
    let http = `http://127.0.0.1:${g1.ports.http}`;
    const write = (path: string, body: object) => fetch(`${http}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const list = async () => (await (await fetch(`${http}/api/v1/alerts?limit=500`)).json() as { alerts: Listed[] }).alerts;

    // A known shutdown of the second enterprise (an approved 限电 order), from now for two hours.
    const window = await write('/api/v1/suppressions', { scope: 'enterprise', entity: suppressed, startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 7_200_000).toISOString(), reason: 'approved 限电 order' });
    expect(window.status, await window.clone().text()).toBeLessThan(300);

    const summary = await publish(city, sim, { url: `mqtt://127.0.0.1:${g1.ports.mqtt}`, qos: 1, single: false, rate: 0, mode: 'accelerated', speed: 0, maxInflight: 16 });
    expect(summary.readingsAcked).toBe(summary.readingsSent);
    const found = await waitFor(async () => {
      const as = await list();
      const disruption = as.find((a) => a.kind === 'chain_disruption' && a.entity === chain);
      const halt = as.find((a) => a.kind === 'production_halt' && a.entity === halted);
      const quiet = as.find((a) => a.entity === suppressed);
      return disruption && halt && quiet ? { disruption, halt, quiet } : undefined;
    }, 30_000, `chain_disruption of ${chain}, a halt of ${halted}, and the halt of ${suppressed}`);
    expect(found.disruption.state).toBe('open');
    expect(found.halt.state).toBe('open');
    expect(found.quiet).toMatchObject({ state: 'suppressed', suppressedBy: { reason: 'approved 限电 order' } });

    // The analyst acknowledges the halt; a viewer-less request is refused.
    expect((await fetch(`${http}/api/v1/alerts/${found.halt.id}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    expect((await write(`/api/v1/alerts/${found.halt.id}/ack`, { comment: '电话确认：设备检修' })).status).toBe(200);
    // The robot and the inbox got both alerts; the webhook's deliveries wait in the outbox.
    // Markdown escapes the underscores of a name (nev\\_parts).
    const names = (name: string) => [name, name.replaceAll('_', '\\_')];
    const robotSaid = (name: string) => wecom.got.some((r) => names(name).some((n) => (JSON.parse(r.body) as { markdown: { content: string } }).markdown.content.includes(n)));
    const mailSaid = (name: string) => smtp.mails.some((m) => m.to.includes('duty@example.cn') && names(name).some((n) => m.raw.includes(n)));
    const told = (name: string) => robotSaid(name) && mailSaid(name);
    await waitFor(async () => told(halted) && told(chain), 15_000, 'WeCom and e-mail messages of both alerts');
    await waitFor(async () => {
      const cs = await (await fetch(`${http}/api/v1/channels`)).json() as { name: string; queued: number; failingSince: number | null }[];
      return cs.some((c) => c.name === 'ops' && c.queued >= 3 && c.failingSince !== null);
    }, 10_000, 'webhook deliveries queued and failing');

    await g1.stop('SIGKILL');
    await hook.up();
    const g2 = await spawnGridpulse(env);
    running.push(g2);
    http = `http://127.0.0.1:${g2.ports.http}`;
    expect((await write(`/api/v1/alerts/${found.disruption.id}/resolve`, { comment: 'supplier back, confirmed by the chain office' })).status).toBe(200);

    const wh = new Webhook(secret);
    const delivered = () => hook.got.map((r) => wh.verify(r.body, r.headers as Record<string, string>) as Delivery);
    const changes = (id: string) => delivered().filter((d) => d.data.alert.id === id).map((d) => d.data.change);
    await waitFor(async () => changes(found.halt.id).includes('acknowledged') && changes(found.disruption.id).includes('resolved'), 20_000, 'webhook deliveries after the restart');
    // Escalations (the disruption widening as customers cut back) are told too, between the two.
    const handled = (id: string) => changes(id).filter((c) => c !== 'escalated');
    expect(handled(found.halt.id)).toEqual(['opened', 'acknowledged']);
    expect(handled(found.disruption.id)).toEqual(['opened', 'resolved']);
    expect(changes(found.quiet.id)).toEqual([]);
    // Once per idempotency key, in the store's order.
    expect(new Set(hook.got.map((r) => r.headers['webhook-id'])).size).toBe(hook.got.length);
    const seqs = delivered().map((d) => d.data.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // The suppressed halt reached no one.
    expect(robotSaid(suppressed) || mailSaid(suppressed)).toBe(false);

    // What the analyst did is on the alerts, after the kill.
    const one = async (id: string) => (await (await fetch(`${http}/api/v1/alerts/${id}`)).json()) as Listed;
    expect(await one(found.halt.id)).toMatchObject({ state: 'acknowledged', acknowledged: { by: 'analyst-li' } });
    expect(await one(found.disruption.id)).toMatchObject({ state: 'resolved', resolved: { by: 'analyst-li', comment: 'supplier back, confirmed by the chain office' } });
    expect(await one(found.quiet.id)).toMatchObject({ state: 'suppressed' });
  });
});
