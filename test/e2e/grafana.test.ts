import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import mqtt from 'mqtt';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { alertToLine, indexPointToLine } from '../../analytics/line-protocol.js';
import type { Alert, IndexPoint } from '../../analytics/types.js';
import { OPTION_DOCS } from '../../src/config/schema.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';
import { readingToLine } from '../../src/storage/line-protocol.js';
import { freePort } from '../../src/storage/managed-influxd.js';
import { registerSimulate } from '../../simulator/cli.js';
import { countPoints, makeCity, startTestPipeline, tempDir, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';

/**
 * The Grafana provisioning, the dashboards and docker-compose.yml, checked against the real parts
 * they depend on: every InfluxQL query of the dashboards runs against the test run's real InfluxDB
 * (template variables resolved by their own SHOW TAG VALUES queries, $timeFilter and $__interval
 * substituted the way Grafana's InfluxDB datasource does), and every metric the pipeline-health
 * dashboard reads is one the real pipeline exports. Grafana and Prometheus themselves are not run
 * here (no Docker engine on this machine): docs/operations.md says what stays untested.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

interface DsRef { type?: string; uid?: string }
interface Target { refId: string; datasource?: DsRef; query?: string; rawQuery?: boolean; resultFormat?: string; expr?: string }
interface Panel { id: number; type: string; title: string; datasource?: DsRef; targets?: Target[]; interval?: string; panels?: Panel[] }
interface Variable { type: string; name: string; datasource?: DsRef; query?: string; includeAll?: boolean; multi?: boolean; allValue?: string }
interface Annotation { name: string; datasource?: DsRef | string; query?: string; target?: { query?: string }; builtIn?: number }
interface Dashboard { uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: Variable[] }; annotations: { list: Annotation[] } }

const DASHBOARD_DIR = 'grafana/dashboards';
const dashboards: Record<string, Dashboard> = Object.fromEntries(
  readdirSync(join(ROOT, DASHBOARD_DIR)).filter((f) => f.endsWith('.json')).map((f) => [f, JSON.parse(read(join(DASHBOARD_DIR, f))) as Dashboard]),
);
const datasourcesFile = parseYaml(read('grafana/provisioning/datasources/datasources.yaml')) as { apiVersion: number; datasources: { name: string; uid: string; type: string; url: string; jsonData?: Record<string, unknown> }[] };
const providersFile = parseYaml(read('grafana/provisioning/dashboards/dashboards.yaml')) as { apiVersion: number; providers: { name: string; type: string; options: { path: string } }[] };
// Compose files use YAML merge keys (<<: *anchor), which YAML 1.2 leaves off by default.
const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };
interface ComposeService {
  image?: string; build?: { context?: string; dockerfile?: string } | string; command?: string | string[]; entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null>; ports?: string[]; volumes?: string[]; profiles?: string[];
  healthcheck?: { test: string | string[] }; depends_on?: Record<string, { condition: string }>;
}

const allPanels = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const dsUid = (d: DsRef | string | undefined) => (typeof d === 'string' ? d : d?.uid);
const influxUid = datasourcesFile.datasources.find((d) => d.type === 'influxdb')!.uid;

// ----------------------------------------------------------------- Grafana's interpolation

const INTERVALS: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
function parseInterval(s: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(s);
  if (!m) throw new Error(`not a Grafana interval: ${s}`);
  return Number(m[1]) * INTERVALS.find(([u]) => u === m[2])![1];
}
/** The way Grafana's kbn.secondsToHms names an interval: 15m, 1h, 30s. */
function formatInterval(ms: number): string {
  for (const [u, n] of INTERVALS) if (ms % n === 0 && ms >= n) return `${ms / n}${u}`;
  return `${ms}ms`;
}
/** Grafana's regex escaping for a single variable value used inside /…/ (lodash escapeRegExp + '/'). */
const escapeRegex = (v: string) => v.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

type VarValue = { all: true } | { values: string[] };
interface Scope { vars: Record<string, VarValue>; fromMs: number; toMs: number; intervalMs: number }

/**
 * What Grafana's InfluxDB datasource sends for a raw InfluxQL query: `$timeFilter` becomes
 * `time >= <from>ms and time <= <to>ms`, `$__interval` the interval (`15m`), `$__interval_ms` its
 * milliseconds; a variable inside a regex becomes its escaped value, `(a|b)` for several, or the
 * variable's allValue for "All"; elsewhere (inside quotes) its raw value.
 */
function interpolate(q: string, s: Scope, defs: Variable[]): string {
  let out = q
    .replaceAll('$timeFilter', `time >= ${s.fromMs}ms and time <= ${s.toMs}ms`)
    .replaceAll('$__interval_ms', String(s.intervalMs))
    .replaceAll('$__interval', formatInterval(s.intervalMs));
  const names = Object.keys(s.vars).sort((a, b) => b.length - a.length);
  for (const name of names) {
    const v = s.vars[name]!;
    const def = defs.find((d) => d.name === name);
    out = out.replace(new RegExp(`(/\\^)?\\$${name}(?![A-Za-z0-9_])`, 'g'), (_m, inRegex: string | undefined) => {
      const prefix = inRegex ?? '';
      if ('all' in v) return prefix + (def?.allValue ?? '.*');
      if (!inRegex) return v.values[0]!;
      return prefix + (v.values.length === 1 ? escapeRegex(v.values[0]!) : `(${v.values.map(escapeRegex).join('|')})`);
    });
  }
  const left = /\$(?!\/)[A-Za-z_]\w*/.exec(out);
  if (left) throw new Error(`uninterpolated ${left[0]} in ${out}`);
  return out;
}

// ----------------------------------------------------------------------- static checks

describe('Grafana provisioning and dashboards', () => {
  it('provisions an InfluxQL datasource on database gridpulse and a Prometheus datasource, with unique uids', () => {
    expect(datasourcesFile.apiVersion).toBe(1);
    const influx = datasourcesFile.datasources.filter((d) => d.type === 'influxdb');
    expect(influx).toHaveLength(1);
    expect(influx[0]!.jsonData).toMatchObject({ version: 'InfluxQL', dbName: 'gridpulse', httpHeaderName1: 'Authorization' });
    expect(datasourcesFile.datasources.filter((d) => d.type === 'prometheus')).toHaveLength(1);
    const uids = datasourcesFile.datasources.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(providersFile.providers.map((p) => p.options.path)).toContain('/var/lib/grafana/dashboards');
  });

  it('has the two dashboards, each with a uid, schemaVersion ~39 and unique panel ids', () => {
    const titles = Object.values(dashboards).map((d) => d.title).sort();
    expect(titles).toEqual(['GridPulse — load', 'GridPulse — pipeline health']);
    const uids = Object.values(dashboards).map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const d of Object.values(dashboards)) {
      expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
      expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
      expect(d.schemaVersion).toBeLessThanOrEqual(41);
      const ids = allPanels(d.panels).map((p) => p.id);
      expect(new Set(ids).size, `${d.title}: duplicate panel ids`).toBe(ids.length);
    }
  });

  it('refers only to provisioned datasource uids (panels, targets, variables, annotations)', () => {
    const known = new Set(datasourcesFile.datasources.map((d) => d.uid));
    const builtIn = new Set(['-- Grafana --', 'grafana']);
    const used: string[] = [];
    for (const d of Object.values(dashboards)) {
      for (const p of allPanels(d.panels)) {
        if (p.type === 'row') continue;
        expect(p.datasource?.uid, `${d.title} / ${p.title}`).toBeDefined();
        used.push(p.datasource!.uid!);
        for (const t of p.targets ?? []) if (t.datasource) used.push(t.datasource.uid!);
        expect(p.targets?.length, `${d.title} / ${p.title} has no query`).toBeGreaterThan(0);
      }
      for (const v of d.templating.list) if (v.datasource) used.push(v.datasource.uid!);
      for (const a of d.annotations.list) if (!a.builtIn) used.push(dsUid(a.datasource)!);
    }
    for (const uid of used) if (!builtIn.has(uid)) expect(known, `unknown datasource uid ${uid}`).toContain(uid);
  });
});

// ------------------------------------------------------------- queries on a real InfluxDB

const QUARTER = 15 * 60_000;
/** A small city: 2 counties, 2 chains, 3 enterprises, 4 meters, each at a constant power. */
const METERS = [
  { meter: 'm-101', enterprise: 'ent-a', county: 'nanhu', chain: 'photovoltaics', gateway: 'gw-1', kw: 120, ct: 40 },
  { meter: 'm-102', enterprise: 'ent-a', county: 'nanhu', chain: 'photovoltaics', gateway: 'gw-1', kw: 30, ct: 1 },
  { meter: 'm-201', enterprise: 'ent-b', county: 'nanhu', chain: 'fasteners', gateway: 'gw-2', kw: 60, ct: 20 },
  { meter: 'm-301', enterprise: 'ent-c.co (1)', county: 'xiuzhou', chain: 'fasteners', gateway: 'gw-3', kw: 200, ct: 80 },
];
const HOURS = 12;
const end = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
const start = end - HOURS * 3_600_000;

function lines(): string[] {
  const out: string[] = [];
  for (const m of METERS) {
    for (let t = start; t <= end; t += QUARTER) {
      const primaryKwh = 5000 + (m.kw * (t - start)) / 3_600_000;
      const r: EnrichedReading = {
        meter: m.meter, ts: t, energyKwh: primaryKwh / m.ct, powerKw: m.kw / m.ct, voltageV: [230, 231, 229], currentA: [5, 5, 5], powerFactor: 0.93,
        gateway: m.gateway, enterprise: m.enterprise, county: m.county, chain: m.chain, ctMultiplier: m.ct,
      } as EnrichedReading;
      out.push(readingToLine(r));
    }
  }
  for (let t = start; t < end; t += 3_600_000) {
    for (const [scope, entity] of [['chain', 'photovoltaics'], ['chain', 'fasteners'], ['county', 'nanhu'], ['county', 'xiuzhou']] as const) {
      const p: IndexPoint = { scope, entity, resolution: 'hour', ts: t, actualKwh: 90, expectedKwh: 100, index: 90 };
      out.push(indexPointToLine(p));
    }
  }
  const alert = {
    id: 'a-1', kind: 'production_halt', scope: 'enterprise', entity: 'ent-b', status: 'open', openedAt: end, since: start + 6 * 3_600_000, updatedAt: end,
    baselineKwh: 360, actualKwh: 12, dropPct: 96.7, contributors: [{ enterprise: 'ent-b', share: 1 }], evidence: {},
  } as unknown as Alert;
  out.push(alertToLine(alert));
  return out;
}

describe('every dashboard InfluxQL query on a real InfluxDB', () => {
  const influx = testInflux();
  /**
   * The request Grafana's InfluxDB datasource sends in InfluxQL mode with `httpMode: POST`:
   * POST /query?db=…&epoch=ms with the query in a form body and the datasource's Authorization
   * header (`Token …`, what a 2.x token needs; 1.x without auth ignores it). Rows as objects.
   */
  async function query(q: string): Promise<Record<string, unknown>[]> {
    const ds = datasourcesFile.datasources.find((d) => d.uid === influxUid)!;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (influx.token) headers[String(ds.jsonData!.httpHeaderName1)] = `Token ${influx.token}`;
    const res = await fetch(new URL(`/query?${new URLSearchParams({ db: influx.db, epoch: 'ms' })}`, influx.url), { method: 'POST', headers, body: new URLSearchParams({ q }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${text}`);
    const body = JSON.parse(text) as { results: { error?: string; series?: { tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[] };
    const rows: Record<string, unknown>[] = [];
    for (const r of body.results) {
      if (r.error) throw new Error(`InfluxQL error: ${r.error}`);
      for (const series of r.series ?? []) for (const v of series.values) rows.push({ ...series.tags, ...Object.fromEntries(series.columns.map((c, i) => [c, v[i]])) });
    }
    return rows;
  }
  const loadDash = Object.values(dashboards).find((d) => d.title === 'GridPulse — load')!;
  const defs = loadDash.templating.list;
  const base = { fromMs: start - 3_600_000, toMs: end + 3_600_000 };

  beforeAll(async () => {
    await influx.client.ensureDatabase();
    const body = lines().join('\n');
    const url = influx.apiVersion === 'v1'
      ? new URL(`/write?${new URLSearchParams({ db: influx.db, precision: 's' })}`, influx.url)
      : new URL(`/api/v2/write?${new URLSearchParams({ org: 'gridpulse', bucket: influx.db, precision: 's' })}`, influx.url);
    const res = await fetch(url, { method: 'POST', body, headers: influx.token ? { authorization: `Token ${influx.token}` } : {} });
    expect(res.status, await res.text()).toBe(204);
  });

  /** Each variable's own query, run in dependency order with the variables before it set to `All`. */
  async function variableValues(): Promise<Record<string, string[]>> {
    const found: Record<string, string[]> = {};
    const vars: Record<string, VarValue> = {};
    for (const v of defs) {
      if (v.type === 'custom') {
        found[v.name] = v.query!.split(',').map((s) => s.trim());
        vars[v.name] = { values: [found[v.name]![0]!] };
        continue;
      }
      expect(v.datasource?.uid).toBe(influxUid);
      const rows = await query(interpolate(v.query!, { vars, ...base, intervalMs: 60_000 }, defs));
      found[v.name] = rows.map((r) => String(r.value));
      expect(found[v.name]!.length, `variable $${v.name} has no values`).toBeGreaterThan(0);
      vars[v.name] = v.includeAll ? { all: true } : { values: [found[v.name]![0]!] };
    }
    return found;
  }

  it('resolves the template variables from SHOW TAG VALUES', async () => {
    const values = await variableValues();
    expect(values.county).toEqual(['nanhu', 'xiuzhou']);
    expect(values.chain).toEqual(['fasteners', 'photovoltaics']);
    expect(values.enterprise).toEqual(['ent-a', 'ent-b', 'ent-c.co (1)']);
    // $meter follows $enterprise, a single enterprise (the first: ent-a).
    expect(values.meter).toEqual(['m-101', 'm-102']);
    expect(values.resolution).toEqual(['hour', 'day']);
  });

  /** Variable settings to run every query under: everything All, and one concrete value each. */
  function selections(values: Record<string, string[]>): Record<string, VarValue>[] {
    const pick = (name: string, i: number): VarValue => ({ values: [values[name]![i % values[name]!.length]!] });
    return [
      { county: { all: true }, chain: { all: true }, enterprise: pick('enterprise', 0), meter: { all: true }, resolution: pick('resolution', 0) },
      // A value with regex and InfluxQL special characters, multi-select, and single values.
      { county: pick('county', 1), chain: pick('chain', 0), enterprise: pick('enterprise', 2), meter: { values: ['m-301', 'm-101'] }, resolution: pick('resolution', 0) },
      { county: { values: ['nanhu', 'xiuzhou'] }, chain: pick('chain', 1), enterprise: pick('enterprise', 0), meter: pick('meter', 1), resolution: pick('resolution', 0) },
    ];
  }

  it('runs every panel query without error, and the load, index and alert panels return rows', async () => {
    const values = await variableValues();
    let ran = 0;
    for (const vars of selections(values)) {
      for (const p of allPanels(loadDash.panels)) {
        for (const t of p.targets ?? []) {
          if (dsUid(t.datasource ?? p.datasource) !== influxUid) continue;
          expect(t.rawQuery, `${p.title}: raw InfluxQL expected`).toBe(true);
          for (const interval of [p.interval ?? '1m', '1h']) {
            const q = interpolate(t.query!, { vars, ...base, intervalMs: Math.max(parseInterval(interval), parseInterval(p.interval ?? '1m')) }, defs);
            const rows = await query(q).catch((err: unknown) => { throw new Error(`${p.title} / ${t.refId}: ${String(err)}\n${q}`); });
            ran++;
            // Every selection above matches some data, so every panel must show something.
            expect(rows.length, `${p.title} / ${t.refId} returned no rows\n${q}`).toBeGreaterThan(0);
          }
        }
      }
    }
    expect(ran).toBeGreaterThanOrEqual(30);
  });

  it('turns the energy register into kW: city load by county is the sum of the meters\' power', async () => {
    const panel = allPanels(loadDash.panels).find((p) => p.title === 'City load by county')!;
    for (const interval of ['15m', '1h', '3h']) {
      const q = interpolate(panel.targets![0]!.query!, { vars: { county: { all: true }, chain: { all: true } }, ...base, intervalMs: parseInterval(interval) }, defs);
      const rows = await query(q);
      const byCounty = (c: string) => rows.filter((r) => r.county === c).map((r) => Math.round(Number(r.load_kw) * 1000) / 1000);
      // Interval buckets fully inside the data: each meter's power (primary side, ct applied).
      expect(new Set(byCounty('nanhu').slice(1, -1)), `${interval}\n${q}`).toEqual(new Set([210]));
      expect(new Set(byCounty('xiuzhou').slice(1, -1))).toEqual(new Set([200]));
    }
  });

  it('ranks enterprises by energy in the range', async () => {
    const panel = allPanels(loadDash.panels).find((p) => p.title === 'Top enterprises by energy')!;
    const q = interpolate(panel.targets![0]!.query!, { vars: { county: { all: true }, chain: { all: true } }, ...base, intervalMs: QUARTER }, defs);
    const rows = (await query(q)).sort((a, b) => Number(b.energy_kwh) - Number(a.energy_kwh));
    expect(rows.map((r) => r.enterprise)).toEqual(['ent-c.co (1)', 'ent-a', 'ent-b']);
    expect(Number(rows[0]!.energy_kwh)).toBeCloseTo(200 * HOURS, 3);
    expect(Number(rows[1]!.energy_kwh)).toBeCloseTo(150 * HOURS, 3);
  });

  it('reads the analyzer\'s alerts as annotations, with title, text and tags', async () => {
    const annotations = loadDash.annotations.list.filter((a) => !a.builtIn);
    expect(annotations.length).toBeGreaterThan(0);
    for (const a of annotations) {
      expect(dsUid(a.datasource)).toBe(influxUid);
      for (const raw of [a.query, a.target?.query].filter(Boolean) as string[]) {
        const rows = await query(interpolate(raw, { vars: {}, ...base, intervalMs: 60_000 }, defs));
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ title: 'production_halt enterprise ent-b', kind: 'production_halt', entity: 'ent-b', status: 'open' });
        expect(String(rows[0]!.text)).toContain('96.7% below baseline');
      }
    }
  });
});

// ------------------------------------------------------- Prometheus metrics of the real pipeline

const healthDash = () => Object.values(dashboards).find((d) => d.title === 'GridPulse — pipeline health')!;
const promUid = datasourcesFile.datasources.find((d) => d.type === 'prometheus')!.uid;
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
        expect(dsUid(t.datasource ?? panel.datasource)).toBe(promUid);
        expect(t.expr, panel.title).toBeTruthy();
        for (const [name] of t.expr!.matchAll(/\bgridpulse_[a-z0-9_]+/g)) used.add(name);
      }
    }
    expect(used.size).toBeGreaterThan(15);
    for (const name of used) expect(exported, `${name} is not exported by /metrics`).toContain(name);
    for (const required of ['gridpulse_mqtt_connections', 'gridpulse_readings_rejected_total', 'gridpulse_spool_depth_readings', 'gridpulse_spool_full', 'gridpulse_influx_write_duration_seconds_bucket', 'gridpulse_influx_errors_total', 'gridpulse_influx_up']) {
      expect(used, `the health dashboard should show ${required}`).toContain(required);
    }
    expect(metrics).toMatch(/^gridpulse_readings_rejected_total\{reason="timestamp_out_of_range"\} 1$/m);
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
      const client = await mqtt.connectAsync(p.mqttUrl, { clientId: 'gw0000', username: 'gw0000', password: city.passwords.gw0000 });
      await client.publishAsync('gridpulse/v1/gw0000/readings', JSON.stringify({ meter: city.meters.gw0000![0]!, ts: end + QUARTER, energyKwh: 110, powerKw: 1 }), { qos: 1 });
      await client.endAsync();
      await new Promise((r) => setTimeout(r, 3000));
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
        if (panel.title !== 'Alerts opened' && panel.type !== 'row') expect(Math.max(...results), `${panel.title} shows no data`).toBeGreaterThan(0);
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

describe('docker-compose.yml (parsed; no Docker engine here to run it)', () => {
  const s = compose.services;
  const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(' ') : v ?? '');

  it('names the services, with the simulator behind the "sim" profile', () => {
    expect(Object.keys(s)).toEqual(expect.arrayContaining(['influxdb', 'gridpulse', 'simulator', 'prometheus', 'grafana']));
    expect(s.influxdb!.image).toMatch(/^influxdb:2\.7/);
    expect(s.prometheus!.image).toMatch(/^prom\/prometheus/);
    expect(s.grafana!.image).toMatch(/^grafana\/grafana/);
    expect(s.simulator!.profiles).toContain('sim');
    for (const name of ['influxdb', 'gridpulse', 'prometheus', 'grafana']) expect(s[name]!.profiles, name).toBeUndefined();
  });

  it('builds gridpulse from the Dockerfile, publishes its ports, keeps its data in a volume, and checks /readyz', () => {
    const g = s.gridpulse!;
    expect(typeof g.build === 'string' ? g.build : g.build?.context).toBe('.');
    expect(g.ports!.map((p) => String(p).split(':').at(-1))).toEqual(expect.arrayContaining(['1883', '8083', '8080']));
    expect(g.volumes!.some((v) => v.endsWith(':/app/data'))).toBe(true);
    expect(text(g.healthcheck?.test)).toContain('/readyz');
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-slim/m);
    expect(dockerfile).toContain('npm ci');
    expect(dockerfile).toContain('npm run build');
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/cli\/main\.js", "start"\]$/m);
    expect(readdirSync(join(ROOT, 'src', 'cli'))).toContain('main.ts');
  });

  it('configures gridpulse only with environment variables the config schema knows', () => {
    const known = new Set(OPTION_DOCS.map((o) => o.env));
    for (const svc of ['gridpulse', 'simulator']) {
      for (const key of Object.keys(s[svc]!.environment ?? {})) {
        if (key === 'NODE_ENV' || key.startsWith('SIM_')) continue;
        expect(known, `${svc}: ${key} is not a GridPulse setting`).toContain(key);
      }
    }
    const env = s.gridpulse!.environment!;
    expect(env.INFLUX_URL).toBe('http://influxdb:8086');
    expect(env.INFLUX_API_VERSION).toBe('v2');
    expect(env.INFLUX_BUCKET).toBe(s.influxdb!.environment!.DOCKER_INFLUXDB_INIT_BUCKET);
    expect(env.INFLUX_ORG).toBe(s.influxdb!.environment!.DOCKER_INFLUXDB_INIT_ORG);
    expect(s.gridpulse!.depends_on?.influxdb?.condition).toBe('service_healthy');
  });

  it('runs the simulator with flags `gridpulse simulate` accepts, against the gridpulse broker', () => {
    const cmd = text(s.simulator!.command);
    expect(cmd).toContain('simulate');
    expect(cmd).toContain('--url mqtt://gridpulse:1883');
    const program = new Command();
    registerSimulate(program);
    const simulate = program.commands.find((c) => c.name() === 'simulate')!;
    const flags = new Set(simulate.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[]));
    for (const [flag] of cmd.matchAll(/(?<=\s)--[a-z][a-z-]*/g)) expect(flags, `simulate has no ${flag}`).toContain(flag);
    expect(s.simulator!.depends_on?.gridpulse?.condition).toBe('service_healthy');
  });

  // The schema check of a real Compose implementation, where one is installed (`docker-compose` 1.29
  // from Debian, or the `docker compose` plugin); it needs no engine. Fails, naming the package, where it is missing.
  const composeCli = [['docker-compose'], ['docker', 'compose']].find(([cmd, ...args]) => spawnSync(cmd!, [...args, 'version'], { stdio: 'ignore' }).status === 0);
  it('is a valid Compose file, with and without the "sim" profile (docker compose config)', () => {
    if (!composeCli) throw new Error('no Compose implementation: apt-get install -y --no-install-recommends docker-compose (.ci/run does)');
    for (const profile of [[], ['--profile', 'sim']]) {
      const r = spawnSync(composeCli![0]!, [...composeCli!.slice(1), '-f', join(ROOT, 'docker-compose.yml'), ...profile, 'config', '-q'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
  });

  it('mounts the provisioning, the dashboards and the scrape config where Grafana and Prometheus read them', () => {
    const gv = s.grafana!.volumes!;
    expect(gv).toEqual(expect.arrayContaining(['./grafana/provisioning:/etc/grafana/provisioning:ro', './grafana/dashboards:/var/lib/grafana/dashboards:ro']));
    expect(s.prometheus!.volumes).toContain('./grafana/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    // The datasource file reads these from Grafana's environment.
    const dsText = read('grafana/provisioning/datasources/datasources.yaml');
    for (const [, name] of dsText.matchAll(/^[^#\n]*\$\{(\w+)\}/gm)) expect(Object.keys(s.grafana!.environment ?? {}), `grafana needs ${name}`).toContain(name);
    expect(s.grafana!.environment!.INFLUX_TOKEN).toBe(s.influxdb!.environment!.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
  });
});
