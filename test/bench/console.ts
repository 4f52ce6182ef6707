/**
 * Console benchmark (`npm run bench:console`; issue 12 closing note), in one run on this machine:
 *
 *  (a) page weight: the built JS and CSS (dist/console/assets), raw and gzipped (level 6, what a
 *      reverse proxy or @fastify/compress would send), what index.html loads and what loads on demand
 *      (the charts);
 *  (b) time to first render of the inbox in headless Chromium: from navigation start to the
 *      `inbox-rendered` performance mark (list fetched, rows in the DOM), with 1,000 alerts
 *      against a same-run baseline of 10, median of --runs fresh pages each.
 *
 * The alerts are synthetic (this measures the page, not the analyzer): the real console plugin
 * serves the page, and three small routes here answer the alert list (today's shape), the
 * enterprises and an idle alert stream, so the bench does not depend on how the API is wired.
 *
 *   npm run bench:console                      prints the figures
 *   options: --alerts N (1000) --baseline N (10) --runs N (7)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import type { Alert } from '../../analytics/types.js';
import { ALERT_KINDS } from '../../src/schemas/incident.js';
import Fastify from 'fastify';
import { consolePlugin } from '../../src/api/console.js';
import { createMetrics } from '../../src/metrics.js';
import { Registry } from '../../src/registry/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/browser.js';

const here = dirname(fileURLToPath(import.meta.url));
const ASSETS = resolve(here, '../../../dist/console/assets');
const { values: args } = parseArgs({ options: { alerts: { type: 'string', default: '1000' }, baseline: { type: 'string', default: '10' }, runs: { type: 'string', default: '7' } } });

/** Every built JS/CSS file, raw and gzipped; `initial` marks those index.html loads (the rest load on demand). */
function pageWeight() {
  const html = readFileSync(join(ASSETS, '..', 'index.html'), 'utf8');
  return readdirSync(ASSETS).filter((f) => /\.(js|css)$/.test(f)).map((f) => {
    const b = readFileSync(join(ASSETS, f));
    return { file: f, raw: b.length, gzip: gzipSync(b, { level: 6 }).length, initial: html.includes(`assets/${f}`) };
  });
}

const COUNTIES = ['nanhu', 'xiuzhou', 'jiashan', 'haiyan', 'haining', 'pinghu', 'tongxiang'];
const CHAINS = ['nev_parts', 'fasteners', 'photovoltaics', 'integrated_circuits'];

function syntheticAlerts(n: number): Alert[] {
  const t0 = Date.parse('2026-09-01T00:00:00+08:00');
  return Array.from({ length: n }, (_, i): Alert => {
    const kind = ALERT_KINDS[i % ALERT_KINDS.length]!;
    const ent = `ent${String(i % 200).padStart(4, '0')}`;
    const scope = kind === 'chain_disruption' ? 'chain' : kind === 'county_slowdown' ? 'county' : 'enterprise';
    const entity = scope === 'chain' ? CHAINS[i % CHAINS.length]! : scope === 'county' ? COUNTIES[i % COUNTIES.length]! : ent;
    const since = t0 + i * 900_000;
    return {
      id: `a${i}`, kind, scope, entity, status: i % 3 === 0 ? 'resolved' : 'open', openedAt: since + 1_800_000, since, updatedAt: since + 3_600_000,
      baselineKwh: 1000, actualKwh: 400, dropPct: 60, contributors: [{ enterprise: ent, share: 0.7, missingKwh: 420 }, { enterprise: `ent${String((i + 1) % 200).padStart(4, '0')}`, share: 0.3, missingKwh: 180 }],
      // Some enterprise drops belong to the latest chain disruption before them (kind index 5).
      ...(scope === 'enterprise' && i % 5 === 0 && i > 5 ? { parentId: `a${i - ((((i - 5) % 8) + 8) % 8)}` } : {}),
      evidence: { detectedAtTs: since + 1_800_000, intervals: 2, cusum: 4.2 },
    };
  });
}

async function firstRender(n: number, runs: number, browser: import('playwright-core').Browser): Promise<number[]> {
  const alerts = syntheticAlerts(n);
  const registry = new Registry({
    enterprises: Array.from({ length: 200 }, (_, i) => ({ id: `ent${String(i).padStart(4, '0')}`, name: `企业 ${i}`, county: COUNTIES[i % COUNTIES.length]!, chains: [CHAINS[i % CHAINS.length]!] })),
  });
  const app = Fastify({ logger: false, forceCloseConnections: true });
  await app.register(consolePlugin, { registry, metrics: createMetrics(), readiness: () => ({ ready: true, reasons: [], checks: {} }), influx: () => undefined, timeZone: 'Asia/Shanghai', intervalMs: 900_000 });
  app.get('/api/v1/alerts', async () => alerts.map((a) => ({ ...a, acknowledged: null })));
  app.get('/api/v1/enterprises', async () => registry.snapshot().enterprises);
  app.get('/api/v1/alerts/stream', (_req, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    reply.raw.write(': bench\n\n');
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/`;
  const times: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      await ctx.addInitScript('sessionStorage.setItem("gridpulse.token", "")');
      const page = await ctx.newPage();
      await page.goto(url);
      await page.waitForFunction('performance.getEntriesByName("inbox-rendered").length > 0', undefined, { timeout: 30_000 });
      const rows = await page.locator('.alert-row').count();
      if (rows !== n) throw new Error(`expected ${n} rows, the inbox shows ${rows}`);
      times.push(await page.evaluate('performance.getEntriesByName("inbox-rendered")[0].startTime') as number);
      await ctx.close();
    }
  } finally {
    await app.close();
  }
  return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

const files = pageWeight();
for (const f of files) console.log(`  ${f.file.padEnd(28)} ${kb(f.raw).padStart(10)} raw ${kb(f.gzip).padStart(10)} gzipped${f.initial ? '  (loaded by index.html)' : '  (loaded on demand)'}`);
const total = (fs: typeof files) => `${kb(fs.reduce((s, f) => s + f.raw, 0))} raw, ${kb(fs.reduce((s, f) => s + f.gzip, 0))} gzipped`;
console.log(`page weight: first load (inbox) ${total(files.filter((f) => f.initial))}; everything ${total(files)}`);
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const runs = Number(args.runs);
  const n = Number(args.alerts), base = Number(args.baseline);
  // One throw-away page first: the first Chromium page pays for process start-up.
  await firstRender(base, 1, browser);
  const b = await firstRender(base, runs, browser);
  const t = await firstRender(n, runs, browser);
  console.log(`inbox first render (navigation start → rows in the DOM), median of ${runs}: ${base} alerts ${median(b).toFixed(0)} ms (baseline) | ${n} alerts ${median(t).toFixed(0)} ms`);
  console.log(`  runs, ${base}: ${b.map((x) => x.toFixed(0)).join(' ')} ms; ${n}: ${t.map((x) => x.toFixed(0)).join(' ')} ms`);
} finally {
  await browser.close();
}
