// Bounded experiment: how far apart gateways reach the analyzer's data clock when `gridpulse simulate
// --demo` sends its history (docs/simulator.md#the-demo). The pipeline runs in this process
// (analytics.clock=data, no InfluxDB: readings wait in a temporary spool), the simulator as a child.
//   npm run build && ENT=200 SPEED=0 node scripts/data-clock-replay.mjs
// ENT enterprises (20), SPEED device seconds per second (0 = as fast as acknowledged), DAYS of history (21).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const dist = resolve(import.meta.dirname, '..', 'dist');
const { loadConfig } = await import(join(dist, 'src/config/index.js'));
const { createLogger } = await import(join(dist, 'src/log.js'));
const { startPipeline } = await import(join(dist, 'src/pipeline/index.js'));
const main = join(dist, 'src/cli/main.js');
const env = (k, d) => process.env[k] ?? d;
const dir = mkdtempSync(join(tmpdir(), 'gridpulse-clock-'));
const simArgs = ['--out', join(dir, 'sim'), '--enterprises', env('ENT', '20'), '--seed', '1'];
const reg = spawnSync(process.execPath, [main, 'simulate', '--registry-only', ...simArgs], { encoding: 'utf8' });
if (reg.status !== 0) throw new Error(reg.stderr);

const cfg = loadConfig({ env: { GRIDPULSE_INFLUX_MANAGE: 'never' }, overrides: {
  dataDir: dir, registryFile: join(dir, 'sim', 'registry.json'), 'analytics.clock': 'data', logLevel: env('LOG', 'error'),
  'mqtt.host': '127.0.0.1', 'mqtt.port': 0, 'mqtt.wsPort': 'off', 'http.host': '127.0.0.1', 'http.port': 0,
} });
const p = await startPipeline(cfg, createLogger(cfg.logLevel));
// Observe every batch the data clock files: the spread of the gateways' newest device times.
const clock = p.dataClock, file = clock.file.bind(clock), newest = new Map();
let batches = 0, maxSpread = 0, maxStragglers = 0;
clock.file = (rs) => {
  batches++;
  for (const r of rs) if (r.ts > (newest.get(r.gateway) ?? 0)) newest.set(r.gateway, r.ts);
  const ts = [...newest.values()];
  maxSpread = Math.max(maxSpread, (Math.max(...ts) - Math.min(...ts)) / p.analyzer.options.intervalMs);
  file(rs);
  maxStragglers = Math.max(maxStragglers, clock.stats().stragglers);
};
const alerts = {};
p.analyzer.on('alert', (a) => { alerts[a.kind] = (alerts[a.kind] ?? 0) + 1; });

const t0 = performance.now();
const sim = spawn(process.execPath, [main, 'simulate', '--demo', '--speed', env('SPEED', '0'), '--days', env('DAYS', '21'), '--url', `mqtt://127.0.0.1:${p.ports.mqtt}`, '--no-progress', '--json', ...simArgs], { stdio: ['ignore', 'pipe', 'ignore'] });
let out = '';
sim.stdout.on('data', (b) => (out += b));
await new Promise((res) => sim.once('exit', res));
const summary = JSON.parse(out.trim().split('\n').pop());
console.log(JSON.stringify({
  seconds: Math.round((performance.now() - t0) / 100) / 10, messages: summary.messages, readings: summary.readingsSent, batchesFiled: batches,
  maxGatewaySpreadIntervals: maxSpread, maxStragglers, clock: clock.stats(), counters: p.analyzer.counters(), alerts,
}, null, 1));
await p.stop();
rmSync(dir, { recursive: true, force: true });
