import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { freePort } from '../../src/storage/managed-influxd.js';
import { Receiver } from '../support/receiver.js';
import { startSmtp } from '../support/smtp.js';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { buildCity, simulate, quietScenario } from '../../simulator/index.js';
import { publish } from '../../simulator/publish.js';
import { hashPassword } from '../../src/registry/index.js';
import { startTestPipeline, tempDir, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';

/**
 * The whole product in one run: the simulator publishes four weeks of a small city over MQTT
 * (QoS 1, batches) into the real pipeline; a labelled production halt must come out as a
 * production_halt alert for that enterprise — over the API and on the MQTT alert topic — and
 * every acknowledged reading must be in InfluxDB.
 */
describe('simulator → pipeline → InfluxDB and analyzer', () => {
  let p: TestPipeline | undefined;
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await p?.stop();
    for (const c of cleanup) await c();
  });

  it('stores the simulated city and raises a production_halt alert for the labelled enterprise', async () => {
    // maxInflight bounds how far one gateway runs ahead of another in device time: the data clock
    // (analytics.clock=data) evaluates up to the slowest gateway that is not a straggler (2 h 15 min
    // behind the newest, inside the analyzer's 3 h ring), and moves as readings are filed, so the
    // result does not depend on how the batches interleave with its timer.
    const start = '2026-09-01T00:00:00+08:00';
    const city = buildCity({ seed: 11, enterprises: 12, start, days: 30, metersPerGateway: 10 });
    // Pick an enterprise with a daytime load that a halt visibly removes.
    const target = city.registry.enterprises[0]!.id;
    const halt = { kind: 'production_halt' as const, target, start: '2026-09-22T10:00:00+08:00', hours: 30 };
    const sim = simulate(city, { start, days: 24, scenario: quietScenario({ incidents: [halt], springFestival: false, plannedShutdowns: false, ordinaryVariation: false }), seed: 11 });
    expect(sim.labels.some((l) => l.kind === 'production_halt' && l.entities.includes(target))).toBe(true);

    const influx = testInflux();
    const consumer = { id: 'alerts-reader', passwordHash: hashPassword('alerts-reader-pw', { N: 1024 }), role: 'consumer' as const };
    // Where people are told: a Standard Webhooks receiver that is down at first, a WeCom-shaped robot, an SMTP inbox.
    const secret = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
    const hook = new Receiver(await freePort());
    const wecom = new Receiver(await freePort());
    await wecom.up();
    const smtpPort = await freePort();
    const smtp = await startSmtp(smtpPort, 'alerts', 'smtp-pass-1');
    cleanup.push(() => hook.down(), () => wecom.down(), () => smtp.close());
    const dir = tempDir('gridpulse-e2e-channels-');
    writeFileSync(join(dir, 'channels.json'), JSON.stringify({
      webhooks: [{ name: 'ops', url: `${hook.url}/hook`, secret }],
      wecom: [{ name: 'wecom', url: `${wecom.url}/cgi-bin/webhook/send?key=k`, filter: { kinds: ['production_halt'] } }],
      email: [{ name: 'mail', smtp: `smtp://alerts:smtp-pass-1@127.0.0.1:${smtpPort}`, from: 'gridpulse@example.cn', to: ['duty@example.cn'], filter: { kinds: ['production_halt'] } }],
    }));
    p = await startTestPipeline({
      city: { registry: { ...city.registry, gateways: [...city.registry.gateways, consumer] }, passwords: city.credentials, meters: {} },
      influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token },
      overrides: { 'analytics.clock': 'data', 'mqtt.maxMessagesPerSecond': 100_000, 'alerts.channelsFile': join(dir, 'channels.json'), 'alerts.retryBaseMs': 100, 'alerts.retryMaxMs': 500 },
    });
    const sub = await mqtt.connectAsync(p.mqttUrl, { clientId: 'alerts-reader', username: 'alerts-reader', password: 'alerts-reader-pw' });
    await sub.subscribeAsync('gridpulse/v1/alerts/#', { qos: 1 });
    const mqttAlerts: { seq: number; change: string; alert: { kind: string; entity: string } }[] = [];
    sub.on('message', (_t, m) => mqttAlerts.push(JSON.parse(m.toString())));

    // An analyst's live feed: Server-Sent Events read by curl.
    const sse = spawn('curl', ['-sN', `${p.httpUrl}/api/v1/alerts/stream`]);
    let sseText = '';
    sse.stdout.on('data', (b) => (sseText += b));

    const summary = await publish(city, sim, { url: p.mqttUrl, qos: 1, single: false, rate: 0, mode: 'accelerated', speed: 0, maxInflight: 16 });
    expect(summary.connectFailed).toBe(0);
    expect(summary.rejected).toBe(0);
    expect(summary.readingsAcked).toBe(summary.readingsSent);

    await p.pipeline.ingest.drained();
    const stored = Number((await influx.client.query('SELECT count(register_kwh) FROM reading'))[0]?.count);
    expect(stored).toBe(summary.readingsAcked);

    const alert = await waitFor(async () => {
      const res = await fetch(`${p!.httpUrl}/api/v1/alerts?kind=production_halt`);
      const list = (await res.json() as { alerts: { id: string; entity: string; alert: { dropPct: number; since: number; baselineKwh: number; actualKwh: number } }[] }).alerts;
      // The eval's matching rule finds it (an alert of the right kind on the entity, starting within
      // the incident); the start is checked exactly below.
      const from = Date.parse(halt.start) - 3_600_000, to = Date.parse(halt.start) + halt.hours * 3_600_000;
      const found = list.find((a) => a.entity === target && a.alert.since >= from && a.alert.since <= to);
      return found ? { ...found.alert, id: found.id } : undefined;
    }, 30_000, `production_halt alert for ${target} starting at ${halt.start}`);
    // Every interval was evaluated with its registers in the analyzer's ring: the episode is dated
    // from the labelled start (within one interval), and no reading came too late to be filed.
    expect(Math.abs(alert.since - Date.parse(halt.start))).toBeLessThanOrEqual(15 * 60_000);
    expect(p.pipeline.analyzer!.counters().tooLate).toBe(0);
    expect(p.pipeline.dataClock!.stats()).toMatchObject({ stragglers: 0, forcedIntervals: 0 });
    expect(alert.dropPct).toBeGreaterThan(50);
    expect(alert.baselineKwh).toBeGreaterThan(alert.actualKwh);
    // An analyst acknowledges it; the acknowledgement shows on the alert.
    const id = alert.id;
    const ackRes = await fetch(`${p.httpUrl}/api/v1/alerts/${encodeURIComponent(id)}/ack`, {
      method: 'POST', headers: { authorization: 'Bearer test-token-0123456789', 'content-type': 'application/json' }, body: JSON.stringify({ by: 'analyst-1', comment: 'called the plant: boiler failure' }),
    });
    expect(ackRes.status).toBe(200);
    const listed = (await (await fetch(`${p.httpUrl}/api/v1/alerts?kind=production_halt`)).json() as { alerts: { id: string; state: string; acknowledged?: { by: string } }[] }).alerts;
    expect(listed.find((a) => a.id === id)).toMatchObject({ acknowledged: { by: 'analyst-1' } });
    await waitFor(async () => mqttAlerts.some((u) => u.alert.kind === 'production_halt' && u.alert.entity === target && u.change === 'acknowledged'), 10_000, 'alert on MQTT');
    // Every MQTT message carries the store's sequence, increasing.
    const seqs = mqttAlerts.map((u) => u.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    await sub.endAsync();
    await waitFor(async () => sseText.includes('"kind":"production_halt"') && sseText.includes(target), 10_000, 'alert on the SSE stream');
    expect(sseText).toMatch(/^: gridpulse alerts/);
    sse.kill();

    // Grafana's panels read what the pipeline wrote (nothing here writes points): the production index,
    // the enterprise's judged actual against expected, and the alert annotations, through the dashboards' own queries.
    type Dash = { panels: { targets?: { query?: string }[]; panels?: { targets?: { query?: string }[] }[] }[]; annotations: { list: { query?: string; target?: { query?: string } }[] } };
    const dashboard = (file: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'grafana', 'dashboards', file), 'utf8')) as Dash;
    const queriesOf = (d: Dash) => [...d.panels, ...d.panels.flatMap((x) => x.panels ?? [])].flatMap((x) => x.targets ?? []).map((t) => t.query ?? '');
    const dash = dashboard('gridpulse-city.json');
    const queries = queriesOf(dash);
    const haltFrom = Date.parse(halt.start);
    const range = (from: number, to: number) => `time >= ${from}ms and time <= ${to}ms`;
    const grafana = (q: string, from = Date.parse(start), to = Date.parse(start) + 30 * 86_400_000) => q.replaceAll('$timeFilter', range(from, to)).replaceAll("'$resolution'", "'hour'")
      .replaceAll('$__interval_ms', '3600000').replaceAll('$__interval', '1h').replaceAll(`/^$enterprise$/`, `/^${target}$/`).replace(/\/\^\$\w+\$\//g, '/^.*$/');
    const chainIndex = queries.find((q) => q.includes('production_index') && q.includes("'chain'"))!;
    const rows = await waitFor(async () => {
      const r = await influx.client.query(grafana(chainIndex));
      return r.length > 0 ? r : undefined;
    }, 20_000, 'production index points in InfluxDB');
    expect(rows.some((r) => typeof r.index === 'number')).toBe(true);
    // The enterprise dashboard's "actual vs expected": during the halt the analyzer judged a fraction of what it expected.
    const judged = queriesOf(dashboard('gridpulse-enterprise.json')).find((q) => q.includes('"judged_kw"'))!;
    const during = await waitFor(async () => {
      const r = await influx.client.query(grafana(judged, haltFrom + 3_600_000, haltFrom + 5 * 3_600_000));
      return r.length >= 3 ? r : undefined;
    }, 20_000, 'enterprise_expected points of the halted enterprise in InfluxDB');
    for (const r of during) expect(Number(r.judged_kw)).toBeLessThan(0.2 * Number(r.expected_kw));
    const annotation = dash.annotations.list.map((a) => a.target?.query ?? a.query).find((q) => q?.includes('FROM "alert"'))!;
    const notes = await waitFor(async () => {
      const r = await influx.client.query(grafana(annotation));
      return r.some((x) => x.kind === 'production_halt' && x.entity === target) ? r : undefined;
    }, 20_000, 'alert annotations in InfluxDB');
    expect(notes.length).toBeGreaterThan(0);

    // The halt reached the people channels: the webhook once it came back up (verified, in sequence order), the robot, the inbox.
    await hook.up();
    await waitFor(async () => (await (await fetch(`${p!.httpUrl}/api/v1/channels`)).json() as { queued: number }[]).every((c) => c.queued === 0), 20_000, 'outbox drained');
    const wh = new Webhook(secret);
    const delivered = hook.got.map((r) => wh.verify(r.body, r.headers as Record<string, string>) as { data: { seq: number; change: string; alert: { id: string } } });
    expect(delivered.some((d) => d.data.alert.id === id && d.data.change === 'opened')).toBe(true);
    expect(delivered.some((d) => d.data.alert.id === id && d.data.change === 'acknowledged')).toBe(true);
    const seqOrder = delivered.map((d) => d.data.seq);
    expect(seqOrder).toEqual([...seqOrder].sort((a, b) => a - b));
    expect(new Set(hook.got.map((r) => r.headers['webhook-id'])).size).toBe(hook.got.length);
    expect(wecom.got.some((r) => (JSON.parse(r.body) as { markdown: { content: string } }).markdown.content.includes(target))).toBe(true);
    expect(smtp.mails.some((m) => m.to.includes('duty@example.cn') && m.raw.includes(target))).toBe(true);
  });
});
