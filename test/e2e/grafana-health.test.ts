import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { OPTION_DOCS } from '../../src/config/schema.js';
import { freePort } from '../../src/storage/managed-influxd.js';
import { allPanels, byUid, promUid, read } from '../support/grafana.js';
import { countPoints, makeCity, startTestPipeline, tempDir, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';

/**
 * The pipeline-health dashboard against the real pipeline's /metrics, evaluated by a real Prometheus
 * (Debian's `prometheus`) scraping it with the provisioned scrape config; the documented alert rules
 * checked by promtool.
 */
const QUARTER = 15 * 60_000;
const end = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
/** Alert-delivery metrics (the alerts stage, per channel): their panels are empty until alerts are delivered. */
const DELIVERY = /gridpulse_alert_(channel_|deliver)/;

const healthDash = () => byUid('gridpulse-pipeline-health');
const hasBinary = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
/** A test that needs a tool fails and says what to install; it never skips. */
const requireBinary = (cmd: string, pkg: string) => {
  if (!hasBinary(cmd)) throw new Error(`${cmd} is not installed: apt-get install -y --no-install-recommends ${pkg} (.ci/run does)`);
};

describe('pipeline health dashboard on the real pipeline\'s /metrics', () => {
  const city = makeCity(1, 1);
  const influx = testInflux();
  let p: TestPipeline;
  let metrics = '';
  beforeAll(async () => {
    await influx.client.ensureDatabase();
    p = await startTestPipeline({ city, influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token }, overrides: { 'analytics.enabled': false } });
    // Traffic, so counters, the write histogram and a reject reason have samples: one good
    // reading (written to InfluxDB) and one out-of-range one (rejected).
    const client = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000', username: 'gw0000', password: city.passwords.gw0000 });
    const meter = city.meters.gw0000![0]!;
    await client.publishAsync('gridpulse/v1/gw0000/readings', JSON.stringify({ readings: [
      { meter, ts: end, energyKwh: 100, powerKw: 1 },
      { meter, ts: Date.now() + 86_400_000, energyKwh: 101, powerKw: 1 },
    ] }), { qos: 1 });
    await client.endAsync();
    await waitFor(async () => (await countPoints(influx.client)) === 1, 20_000, 'the reading in InfluxDB');
    metrics = await (await fetch(`${p.httpUrl}/metrics`)).text();
  });
  afterAll(async () => p?.stop());

  it('reads only metrics the pipeline exports', () => {
    const exported = new Set([...metrics.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!])));
    const used = new Set<string>();
    for (const panel of allPanels(healthDash().panels)) {
      for (const t of panel.targets ?? []) {
        expect((t.datasource ?? panel.datasource)?.uid).toBe(promUid);
        expect(t.expr, panel.title).toBeTruthy();
        for (const [name] of t.expr!.matchAll(/\bgridpulse_[a-z0-9_]+/g)) used.add(name);
      }
    }
    expect(used.size).toBeGreaterThan(15);
    for (const name of used) if (!DELIVERY.test(name)) expect(exported, `${name} is not exported by /metrics`).toContain(name);
    for (const required of ['gridpulse_mqtt_connections', 'gridpulse_readings_rejected_total', 'gridpulse_spool_depth_readings', 'gridpulse_spool_full', 'gridpulse_influx_write_duration_seconds_bucket', 'gridpulse_influx_errors_total', 'gridpulse_influx_up']) {
      expect(used, `the health dashboard should show ${required}`).toContain(required);
    }
    expect(metrics).toMatch(/^gridpulse_readings_rejected_total\{reason="timestamp_out_of_range"\} 1$/m);
  });

  // The alerts stage's delivery state (durable outbox), by channel: queued, delivered, failed attempts, failing since.
  it('reads the alert-delivery metrics of every channel from /metrics (issue 10)', () => {
    const used = new Set(allPanels(healthDash().panels).flatMap((p) => (p.targets ?? []).flatMap((t) => [...(t.expr ?? '').matchAll(/\bgridpulse_alert_(?:channel|deliver)[a-z0-9_]*/g)].map((m) => m[0]))));
    expect([...used].sort()).toEqual(['gridpulse_alert_channel_failing_since_seconds', 'gridpulse_alert_channel_queued', 'gridpulse_alert_deliveries_total', 'gridpulse_alert_delivery_failures_total']);
    const exported = new Set([...metrics.matchAll(/^# TYPE (\S+) /gm)].map(([, name]) => name!));
    const missing = [...used].filter((n) => !exported.has(n));
    expect(missing, `not exported by this pipeline's /metrics yet: ${missing.join(', ')}`).toEqual([]);
  });

  it('scrapes the port and path the pipeline serves metrics on', () => {
    const prom = parseYaml(read('grafana/prometheus.yml')) as { scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[] };
    const job = prom.scrape_configs.find((j) => j.job_name === 'gridpulse')!;
    expect(job.metrics_path ?? '/metrics').toBe('/metrics');
    expect(job.static_configs.flatMap((s) => s.targets)).toContain('gridpulse:8080');
    expect(OPTION_DOCS.find((o) => o.key === 'http.port')!.default).toBe(8080);
  });

  // A real Prometheus (Debian's `prometheus` package) scraping the real pipeline, where one is
  // installed: every expression of the dashboard is evaluated by it. Fails, naming the package, where it is missing.
  it('evaluates every panel expression in a real Prometheus scraping the pipeline', async () => {
    requireBinary('prometheus', 'prometheus');
    const dir = tempDir('gridpulse-prom-');
    const port = await freePort();
    const jobs = parseYaml(read('grafana/prometheus.yml')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    // The provisioned scrape config, pointed at this pipeline and scraping every second.
    for (const j of jobs.scrape_configs) j.static_configs = [{ targets: [new URL(p.httpUrl).host] }];
    writeFileSync(join(dir, 'prometheus.yml'), stringifyYaml({ ...jobs, global: { scrape_interval: '1s', evaluation_interval: '1s' } }));
    const prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' });
    const api = async (path: string, params: Record<string, string>) => (await (await fetch(`http://127.0.0.1:${port}${path}?${new URLSearchParams(params)}`)).json()) as { status: string; error?: string; data: { result: unknown[] } };
    try {
      const t0 = Date.now() / 1000;
      // Enough scrapes for rate() over Grafana's $__rate_interval (4 × the scrape interval).
      await waitFor(async () => (await api('/api/v1/query', { query: 'count_over_time(up{job="gridpulse"}[1m])' })).data?.result.length === 1 && Date.now() / 1000 - t0 > 6, 30_000, 'Prometheus scrapes');
      // A second batch after the first scrapes: the accepted counter rises inside the window.
      const acceptedNow = async () => Number(/^gridpulse_readings_accepted_total (\S+)$/m.exec(await (await fetch(`${p.httpUrl}/metrics`)).text())?.[1] ?? 0);
      const before = await acceptedNow();
      const client = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000', username: 'gw0000', password: city.passwords.gw0000 });
      await client.publishAsync('gridpulse/v1/gw0000/readings', JSON.stringify({ meter: city.meters.gw0000![0]!, ts: end + QUARTER, energyKwh: 110, powerKw: 1 }), { qos: 1 });
      await client.endAsync();
      // Wait until Prometheus has scraped the risen counter, so rate() over the window sees the increase.
      await waitFor(async () => (await acceptedNow()) > before, 20_000, 'the second reading accepted');
      const accepted = await acceptedNow();
      await waitFor(async () => {
        const r = await api('/api/v1/query', { query: 'max(gridpulse_readings_accepted_total)' });
        const v = (r.data?.result[0] as { value?: [number, string] } | undefined)?.value?.[1];
        return v !== undefined && Number(v) >= accepted;
      }, 30_000, 'Prometheus scraping the risen accepted counter');
      const now = Date.now() / 1000;
      for (const panel of allPanels(healthDash().panels)) {
        const results: number[] = [];
        for (const t of panel.targets ?? []) {
          const expr = t.expr!.replaceAll('$__rate_interval', '4s').replaceAll('$__interval', '1s');
          const r = await api('/api/v1/query_range', { query: expr, start: String(Math.floor(t0)), end: String(Math.ceil(now)), step: '1' });
          expect(r.status, `${panel.title}: ${expr}: ${r.error}`).toBe('success');
          results.push(r.data.result.length);
        }
        // Every panel shows something, except alerts (the analyzer is off here).
        const delivery = (panel.targets ?? []).some((t) => DELIVERY.test(t.expr ?? ''));
        if (!panel.title.includes('Alerts opened') && panel.type !== 'row' && !delivery) expect(Math.max(...results), `${panel.title} shows no data`).toBeGreaterThan(0);
      }
    } finally {
      prom.kill('SIGTERM');
      await once(prom, 'exit');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('documents alert rules that Prometheus accepts (promtool check rules)', () => {
    requireBinary('promtool', 'prometheus');
    const block = /```yaml\n(groups:[\s\S]*?)```/.exec(read('docs/operations.md'))?.[1];
    expect(block, 'docs/operations.md has the rules block').toBeDefined();
    const dir = tempDir('gridpulse-rules-');
    try {
      writeFileSync(join(dir, 'rules.yml'), block!);
      const r = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});


// ------------------------------------------------------------------ docker-compose.yml

