import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics.js';
import { hashPassword, Registry } from '../../src/registry/index.js';
import { testInflux } from '../support/pipeline.js';

const TOKEN = 'console-test-token-0123';
const STEP = 15 * 60_000;
const WEEK = 7 * 86_400_000;
const T = Date.parse('2026-03-02T00:00:00Z');
const JUDGED = T + 3 * WEEK + 2 * 86_400_000;

/**
 * The console plugin's own routes against a real InfluxDB: the consumption series (register
 * differences summed over an enterprise's meters, expected = median of the same slot in the three
 * weeks before), meter completeness, the token's role, the built page itself, and clear 4xx
 * answers to bad or hostile queries.
 */
describe('console routes', () => {
  const influx = testInflux();
  let app: FastifyInstance;
  let url = '';
  let connected = true;

  beforeAll(async () => {
    await influx.client.ensureDatabase();
    // e1: meter m1 uses 1, 2, 3 kWh per interval in weeks 0, 1, 2 and 10 in week 3; m2 always 1.
    // m3 is registered and sends nothing.
    const lines: string[] = [];
    const reg = { m1: 0, m2: 0 };
    for (let ts = T - STEP; ts < T + 4 * WEEK; ts += STEP) {
      const w = Math.floor((ts - T) / WEEK);
      reg.m1 += ts < T ? 0 : [1, 2, 3, 10][w]!;
      reg.m2 += ts < T ? 0 : 1;
      for (const m of ['m1', 'm2'] as const) lines.push(`reading,chain=fasteners,county=nanhu,enterprise=e1,gateway=g1,meter=${m} energy_kwh=${reg[m]} ${ts / 1000}`);
    }
    // The analyzer judged 8 intervals of e1 on day 2 of week 3 (starting one interval before JUDGED):
    // it compared 10.5 kWh against 20 expected in each.
    for (let k = 0; k < 8; k++) lines.push(`enterprise_expected,chain=fasteners,county=nanhu,enterprise=e1 actual_kwh=10.5,expected_kwh=20 ${(JUDGED - STEP + k * STEP) / 1000}`);
    const write = influx.client.writeApi({ batchSize: 5000 });
    write.writeRecords(lines);
    await write.close();
    const registry = new Registry({
      enterprises: [{ id: 'e1', name: '测试紧固件厂', county: 'nanhu', chains: ['fasteners'] }],
      gateways: [{ id: 'g1', passwordHash: hashPassword('gateway-password', { N: 1024 }), enterprise: 'e1' }],
      meters: ['m1', 'm2', 'm3'].map((id) => ({ id, enterprise: 'e1', gateway: 'g1' })),
    });
    app = await buildApp({
      registry, metrics: createMetrics(), token: TOKEN, readiness: () => ({ ready: true, reasons: [], checks: {} }),
      console: { influx: () => (connected ? influx.client : undefined), timeZone: 'Asia/Shanghai', intervalMs: STEP },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => app?.close());

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, { headers });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };

  it('reads actual and expected consumption from InfluxDB', async () => {
    const from = T + 3 * WEEK + 86_400_000;
    const { status, body } = await get(`/api/v1/console/series?scope=enterprise&entity=e1&from=${from}&to=${from + 4 * 3_600_000}`);
    expect(status).toBe(200);
    const points = body.points as { ts: number; actualKwh: number | null; expectedKwh: number | null }[];
    expect(points).toHaveLength(16);
    expect(points[0]!.ts).toBe(from);
    for (const p of points) expect(p).toMatchObject({ actualKwh: 11, expectedKwh: 3 });
    // Without `to`, the window ends at the entity's last reading.
    const latest = await get('/api/v1/console/series?scope=enterprise&entity=e1&spanMs=3600000');
    const lp = latest.body.points as { ts: number; actualKwh: number | null }[];
    expect(lp.at(-1)!.ts).toBe(T + 4 * WEEK - STEP);
    expect(lp.filter((p) => p.actualKwh === 11)).toHaveLength(lp.length);
    // A chain sums its enterprises (one here); an entity with no data has empty slots, not an error.
    const chain = await get(`/api/v1/console/series?scope=chain&entity=fasteners&from=${from}&to=${from + STEP}`);
    expect((chain.body.points as { actualKwh: number }[])[0]!.actualKwh).toBe(11);
    const none = await get(`/api/v1/console/series?scope=county&entity=jiashan&from=${from}&to=${from + STEP}`);
    expect(none.body.points).toEqual([{ ts: from, actualKwh: null, expectedKwh: null, expectedBasis: null }]);
    expect(points.every((p) => (p as { expectedBasis?: string }).expectedBasis === 'median')).toBe(true);
  });

  it("shows the analyzer's judged actual and expected where it has them, the median elsewhere", async () => {
    type P = { ts: number; actualKwh: number | null; expectedKwh: number | null; expectedBasis: string | null };
    // Per interval: the interval starting at s is the energy the register read at s + STEP shows.
    const q = await get(`/api/v1/console/series?scope=enterprise&entity=e1&from=${JUDGED}&to=${JUDGED + 4 * 3_600_000}`);
    const points = q.body.points as P[];
    expect(points).toHaveLength(16);
    expect(points.slice(0, 8)).toEqual(Array.from({ length: 8 }, (_, k) => ({ ts: JUDGED + k * STEP, actualKwh: 10.5, expectedKwh: 20, expectedBasis: 'judged' })));
    for (const p of points.slice(8)) expect(p).toMatchObject({ actualKwh: 11, expectedKwh: 3, expectedBasis: 'median' });
    // Hourly: the judged intervals are summed per hour; hours it did not judge fall back to the median.
    const hourly = (await get(`/api/v1/console/series?scope=enterprise&entity=e1&from=${JUDGED}&to=${JUDGED + 4 * 3_600_000}&stepMs=3600000`)).body.points as P[];
    expect(hourly.map((p) => [p.actualKwh, p.expectedKwh, p.expectedBasis])).toEqual([[42, 80, 'judged'], [42, 80, 'judged'], [44, 12, 'median'], [44, 12, 'median']]);
    // The judged values are an enterprise's: a chain keeps the median.
    const chain = (await get(`/api/v1/console/series?scope=chain&entity=fasteners&from=${JUDGED}&to=${JUDGED + STEP}`)).body.points as P[];
    expect(chain).toEqual([{ ts: JUDGED, actualKwh: 11, expectedKwh: 3, expectedBasis: 'median' }]);
  });

  it('reports completeness per registered meter over the last day of data', async () => {
    const { status, body } = await get('/api/v1/console/enterprises/e1/completeness');
    expect(status).toBe(200);
    expect(body.meters).toEqual([
      { meter: 'm1', readings: 96, expected: 96, ratio: 1 },
      { meter: 'm2', readings: 96, expected: 96, ratio: 1 },
      { meter: 'm3', readings: 0, expected: 96, ratio: 0 },
    ]);
    expect((await get('/api/v1/console/enterprises/nope/completeness')).status).toBe(404);
  });

  it('answers bad and hostile queries with a 400 that names the problem', async () => {
    const cases: [string, RegExp][] = [
      [`/api/v1/console/series?scope=enterprise&entity=${encodeURIComponent("e1' OR 1=1 --")}`, /entity/],
      ['/api/v1/console/series?scope=bucket&entity=e1', /scope/],
      ['/api/v1/console/series?scope=enterprise', /entity/],
      [`/api/v1/console/series?scope=enterprise&entity=e1&from=${T}&to=${T + 60 * 86_400_000}`, /days/],
      [`/api/v1/console/series?scope=enterprise&entity=e1&from=${T + 1000}&to=${T}`, /after/],
      [`/api/v1/console/series?scope=enterprise&entity=e1&from=${T}&to=${T + 20 * 86_400_000}&stepMs=60000`, /5000 points/],
      ['/api/v1/console/series?scope=enterprise&entity=e1&stepMs=1', /stepMs/],
    ];
    for (const [path, message] of cases) {
      const { status, body } = await get(path);
      expect(status, path).toBe(400);
      expect(body.code).toBe('invalid_request');
      expect(String(body.message), path).toMatch(message);
    }
  });

  it('says 503 while InfluxDB is not connected', async () => {
    connected = false;
    try {
      const { status, body } = await get('/api/v1/console/series?scope=enterprise&entity=e1');
      expect(status).toBe(503);
      expect(body.code).toBe('influx_unavailable');
    } finally {
      connected = true;
    }
  });

  it('tells a token its role: none is a viewer, the write token an analyst, another token nobody', async () => {
    expect((await get('/api/v1/console/whoami')).body).toEqual({ role: 'viewer', canWrite: false });
    // The shared token writes: an analyst here, an admin once issue 10's roles name it so.
    const writer = (await get('/api/v1/console/whoami', { authorization: `Bearer ${TOKEN}` })).body;
    expect(writer.canWrite).toBe(true);
    expect(['analyst', 'admin']).toContain(writer.role);
    expect((await get('/api/v1/console/whoami', { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    expect((await get('/api/v1/console/config')).body).toMatchObject({ timeZone: 'Asia/Shanghai', intervalMs: STEP, writesEnabled: true });
  });

  it('serves the built page and its assets from the package, nothing from elsewhere', async () => {
    // curl, a client that is not ours (asynchronous: the server runs in this process).
    const { stdout: html } = await promisify(execFile)('curl', ['-sf', `${url}/`], { encoding: 'utf8' });
    expect(html).toContain('<div id="app">');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(2);
    for (const ref of refs) {
      expect(ref, 'no CDN or absolute URL').not.toMatch(/^(https?:)?\/\//);
      if (ref.startsWith('data:')) continue;
      const res = await fetch(new URL(ref, `${url}/`));
      expect(res.status, ref).toBe(200);
      expect(res.headers.get('content-type')).toMatch(ref.endsWith('.js') ? /javascript/ : /css/);
      expect(res.headers.get('cache-control')).toContain('immutable');
    }
    const pipeline = await get('/api/v1/console/pipeline');
    expect(pipeline.body).toMatchObject({ readiness: { ready: true }, registry: { enterprises: 1, meters: 3 } });
    expect(Object.keys(pipeline.body.metrics as object)).toContain('gridpulse_readings_accepted_total');
    const spec = await get('/openapi.json');
    expect(Object.keys(spec.body.paths as object)).toEqual(expect.arrayContaining(['/api/v1/console/series', '/api/v1/console/whoami', '/api/v1/console/pipeline']));
  });

  it('stops start-up on a time zone that is not one, naming the key', () => {
    expect(loadConfig({ env: {}, overrides: { 'http.timeZone': 'Europe/Berlin' } }).http.timeZone).toBe('Europe/Berlin');
    expect(() => loadConfig({ env: { GRIDPULSE_TIME_ZONE: 'Mars/Olympus_Mons' } })).toThrow(/http\.timeZone/);
  });
});
