/**
 * Ingest benchmark (`npm run bench:ingest`; issue #2, "Speed"). One run, side by side, on this machine:
 *
 *  (a) ceiling: line protocol straight to InfluxDB (5,000-line batches, 4 in parallel), points/s;
 *  (b) the pipeline end to end: QoS 1 batched payloads from many gateways → broker → validation →
 *      spool → InfluxDB, from the first publish until every reading is confirmed, readings/s;
 *  (c) intake of single-reading QoS 1 messages from 1,000 gateway connections over a burst,
 *      msgs/s acknowledged, then the time to drain the spool into InfluxDB;
 *  (d) the yardstick for (c): Debian's Mosquitto relaying the same load to one QoS 1 subscriber;
 *  (e) memory per connected gateway at 10,000 idle authenticated connections.
 *
 * Everything is started here: a fresh influxd in a temporary folder, the pipeline as a child
 * process (`node dist/src/cli/main.js start`, the shipped command, so the load does not share its
 * event loop), and the MQTT load in forked processes (test/bench/ingest-load.ts).
 *
 *   npm run bench:ingest                       full run; writes docs/benchmarks.md (Ingest section)
 *   npm run bench:ingest -- --quick            smaller counts, 5 s burst; prints only
 *   npm run bench:ingest -- --profile          also CPU-profile the pipeline (node --cpu-prof) per phase
 *   options: --readings N --burst-seconds S --burst-gateways N --idle-connections N --load-procs N
 *            --window N --batch-window N --phases abcde --analytics --mqttjs-load --main PATH --doc/--no-doc --keep
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hashPassword, saveRegistry } from '../../src/registry/index.js';
import { createInfluxClient, type InfluxClient } from '../../src/storage/influx.js';
import { freePort, startManagedInfluxd, type ManagedInfluxd } from '../../src/storage/managed-influxd.js';
import { BENCH_PASSWORD, buildRegistry, readingLine, type CityShape } from './ingest-city.js';
import type { LoadCommand, LoadReply } from './ingest-load.js';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_MAIN_JS = resolve(here, '../../src/cli/main.js');
const LOAD_JS = resolve(here, 'ingest-load.js');
const REPO = resolve(here, '../../..');
const DOC = join(REPO, 'docs/benchmarks.md');
const START = '<!-- ingest:start -->';
const END = '<!-- ingest:end -->';
const NOTES_START = '<!-- ingest:notes:start -->';
const NOTES_END = '<!-- ingest:notes:end -->';

// ---------------------------------------------------------------- options

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    readings: { type: 'string' },
    'batch-gateways': { type: 'string', default: '40' },
    'batch-size': { type: 'string', default: '500' },
    'batch-window': { type: 'string', default: '2' },
    'burst-seconds': { type: 'string' },
    'burst-gateways': { type: 'string', default: '1000' },
    window: { type: 'string', default: '4' },
    'idle-connections': { type: 'string' },
    'load-procs': { type: 'string', default: '4' },
    phases: { type: 'string', default: 'abcde' },
    analytics: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    doc: { type: 'boolean' },
    'no-doc': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'mqttjs-load': { type: 'boolean', default: false },
    main: { type: 'string' },
  },
  allowPositionals: false,
});
const quick = flags.quick!;
const num = (v: string | undefined, def: number) => (v === undefined ? def : Number(v));
const opt = {
  batchGateways: num(flags['batch-gateways'], 40),
  batchSize: num(flags['batch-size'], 500),
  batchWindow: num(flags['batch-window'], 2),
  readings: num(flags.readings, quick ? 200_000 : 2_000_000),
  burstSeconds: num(flags['burst-seconds'], quick ? 5 : 30),
  burstGateways: num(flags['burst-gateways'], 1000),
  window: num(flags.window, 4),
  idle: num(flags['idle-connections'], quick ? 2000 : 10_000),
  loadProcs: num(flags['load-procs'], 4),
  phases: new Set(flags.phases!.split('')),
  analytics: flags.analytics!,
  profile: flags.profile!,
  writeDoc: flags['no-doc'] ? false : flags.doc ?? !quick,
  keep: flags.keep!,
  /** (c) and (d) publish through a minimal raw-socket MQTT client unless --mqttjs-load. */
  rawLoad: !flags['mqttjs-load'],
  /** The pipeline entry point (default: this build's dist/src/cli/main.js); lets an A/B run try a candidate build. */
  mainJs: flags.main ? resolve(flags.main) : DEFAULT_MAIN_JS,
};
const perStep = opt.batchGateways * opt.batchSize;
const steps = Math.max(1, Math.round(opt.readings / perStep));
const totalReadings = steps * perStep;

// ---------------------------------------------------------------- helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** utime + stime of a process, seconds (Linux /proc). */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // fields 14, 15; USER_HZ = 100
  } catch {
    return 0;
  }
}
function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
/** pid of the process whose command line contains `needle` (the influxd we started). */
function findPid(needle: string): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) return Number(d);
    } catch { /* gone */ }
  }
  return undefined;
}

/** Busy CPU seconds of the whole machine (all cores; /proc/stat, idle and iowait excluded). */
function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((s, x) => s + x, 0);
  return (total - f[3]! - f[4]!) / 100;
}

class CpuMeter {
  private start = new Map<string, number>();
  private busy0 = machineBusySeconds();
  private t0 = performance.now();
  constructor(private readonly pids: () => Record<string, (number | undefined)[]>) {
    for (const [k, ps] of Object.entries(pids())) this.start.set(k, ps.reduce<number>((s, p) => s + cpuSeconds(p), 0));
  }
  /**
   * Cores used per group since construction, and by everything else on the machine ("others":
   * the machine is shared), e.g. "pipeline 0.98, influxd 0.61, load 0.35, others 0.05".
   */
  read(): string {
    const wall = (performance.now() - this.t0) / 1000;
    let mine = 0;
    const parts = Object.entries(this.pids()).map(([k, ps]) => {
      const used = ps.reduce<number>((s, p) => s + cpuSeconds(p), 0) - (this.start.get(k) ?? 0);
      mine += used;
      return `${k} ${(used / wall).toFixed(2)}`;
    });
    const others = Math.max(0, machineBusySeconds() - this.busy0 - mine) / wall;
    return [...parts, `others ${others.toFixed(2)}`].join(', ');
  }
}

// ---------------------------------------------------------------- load processes

class Load {
  readonly proc: ChildProcess;
  private waiting: { resolve: (r: LoadReply) => void; reject: (e: Error) => void }[] = [];
  constructor(readonly name: string) {
    this.proc = fork(LOAD_JS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m: LoadReply) => {
      const w = this.waiting.shift();
      if (!w) return;
      if (m.type === 'error') w.reject(new Error(`${this.name}: ${m.message}`));
      else w.resolve(m);
    });
    this.proc.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`${this.name} exited with ${code}`));
    });
  }
  ask<T extends LoadReply['type']>(c: LoadCommand): Promise<Extract<LoadReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve: resolve as (r: LoadReply) => void, reject });
      this.proc.send(c);
    });
  }
  async close(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    await this.ask({ cmd: 'close' }).catch(() => undefined);
    this.proc.disconnect();
    await new Promise((r) => (this.proc.exitCode !== null ? r(null) : this.proc.once('exit', r)));
  }
}

function spread(items: number[], parts: number): number[][] {
  const out: number[][] = Array.from({ length: parts }, () => []);
  items.forEach((x, i) => out[i % parts]!.push(x));
  return out.filter((p) => p.length > 0);
}
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

async function connectLoads(url: string, gateways: number[], procs: number, label: string, concurrency = 50, raw = false): Promise<Load[]> {
  const parts = spread(gateways, procs);
  const loads = parts.map((_, i) => new Load(`${label}-load${i}`));
  const replies = await Promise.all(loads.map((l, i) => l.ask<'connected'>({ cmd: 'connect', url, gateways: parts[i]!, concurrency, keepalive: 60, raw })));
  const failed = replies.reduce((s, r) => s + r.failed, 0);
  const ms = Math.max(...replies.map((r) => r.ms));
  log(`${label}: ${gateways.length - failed} of ${gateways.length} gateways connected in ${fmt(ms / 1000, 1)} s over ${loads.length} processes${failed ? ` (first error: ${replies.find((r) => r.firstError)?.firstError})` : ''}`);
  if (failed) throw new Error(`${label}: ${failed} connections failed`);
  return loads;
}

// ---------------------------------------------------------------- the pipeline as a child process

/** Unhandled rejections per pipeline run (phase name → count), reported with the results. */
const unhandled: Record<string, number> = {};

interface PipelineChild {
  proc: ChildProcess;
  pid: number;
  http: string;
  mqtt: string;
  profileDir?: string;
  readyz(): Promise<{ ready: boolean; reasons: string[]; checks: { spool: { depthLines: number; depthBytes: number; fsyncs: number; appendedRecords: number } } }>;
  metric(name: string): Promise<number>;
  stop(): Promise<void>;
}

async function startPipelineChild(root: string, name: string, influxUrl: string, db: string, registryFile: string): Promise<PipelineChild> {
  const dataDir = join(root, `pipeline-${name}`);
  mkdirSync(dataDir, { recursive: true });
  const mqttPort = await freePort();
  const httpPort = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(GRIDPULSE_|INFLUX_|NODE_OPTIONS$)/.test(k)) env[k] = v;
  Object.assign(env, {
    GRIDPULSE_DATA_DIR: dataDir, GRIDPULSE_REGISTRY: registryFile,
    GRIDPULSE_MQTT_HOST: '127.0.0.1', GRIDPULSE_MQTT_PORT: String(mqttPort), GRIDPULSE_MQTT_WS_PORT: 'off',
    GRIDPULSE_HTTP_HOST: '127.0.0.1', GRIDPULSE_HTTP_PORT: String(httpPort),
    INFLUX_URL: influxUrl, INFLUX_BUCKET: db, INFLUX_API_VERSION: 'v1', GRIDPULSE_INFLUX_MANAGE: 'never',
    GRIDPULSE_LOG_LEVEL: 'warn', GRIDPULSE_ANALYTICS: opt.analytics ? 'true' : 'false',
    // The per-client limit (default 200/s) would bound (b) and (c) by design; the bench measures the path.
    GRIDPULSE_MQTT_MAX_MSG_RATE: '1000000', GRIDPULSE_MQTT_MAX_CONNECTIONS: '50000',
  });
  const profileDir = opt.profile ? join(root, `profile-${name}`) : undefined;
  // --unhandled-rejections=warn: works around the spool's concurrent persistAck race (ack.json.tmp
  // rename ENOENT, an unhandled rejection that kills the process under load; see the Ingest notes).
  // Each occurrence is counted from the log and reported.
  const args = [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), '--unhandled-rejections=warn', opt.mainJs, 'start'];
  const out = createWriteStream(join(root, `pipeline-${name}.log`));
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.pipe(out);
  proc.stderr!.pipe(out);
  const http = `http://127.0.0.1:${httpPort}`;
  const child: PipelineChild = {
    proc, pid: proc.pid!, http, mqtt: `mqtt://127.0.0.1:${mqttPort}`, profileDir,
    async readyz() {
      if (proc.exitCode !== null) throw new Error(`pipeline ${name} exited with ${proc.exitCode}; see ${join(root, `pipeline-${name}.log`)}`);
      const res = await fetch(`${http}/readyz`, { signal: AbortSignal.timeout(10_000) });
      return res.json() as ReturnType<PipelineChild['readyz']>;
    },
    async metric(m: string) {
      const text = await (await fetch(`${http}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
      const line = text.split('\n').find((l) => l.startsWith(`${m} `));
      return line ? Number(line.split(' ')[1]) : NaN;
    },
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(t);
      }
      await new Promise((r) => out.end(r));
      const text = readFileSync(join(root, `pipeline-${name}.log`), 'utf8');
      const n = text.split('UnhandledPromiseRejectionWarning').length - 1;
      if (n > 0) {
        unhandled[name] = n;
        const first = /Error: .*/.exec(text)?.[0] ?? '';
        log(`pipeline ${name}: ${n} unhandled promise rejection(s) (would have killed the process without --unhandled-rejections=warn): ${first}`);
      }
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`pipeline ${name} exited with ${proc.exitCode}; see ${join(root, `pipeline-${name}.log`)}`);
    try {
      const r = await child.readyz();
      if (r.ready) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`pipeline ${name} not ready within 60 s; see ${join(root, `pipeline-${name}.log`)}`);
    await sleep(200);
  }
  return child;
}

/** Polls /readyz until the spool holds nothing unconfirmed; returns when that was first seen. */
async function waitDrained(p: PipelineChild, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await p.readyz();
    if (r.checks.spool.depthLines === 0) return Date.now();
    if (Date.now() > deadline) throw new Error(`spool not drained after ${timeoutMs} ms: ${JSON.stringify(r.checks.spool)}`);
    await sleep(50);
  }
}

async function countIn(client: InfluxClient): Promise<number> {
  const rows = await client.query('SELECT count(energy_kwh) FROM reading');
  return Number(rows[0]?.count ?? 0);
}

// ---------------------------------------------------------------- CPU profiles

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Top self-time functions of the pipeline's .cpuprofile (idle excluded), as "name (file:line) pct". */
function topSelf(dir: string | undefined, n = 10): string[] {
  if (!dir || !existsSync(dir)) return [];
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return [];
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') return;
    const dt = prof.timeDeltas[i] ?? 0;
    const url = cf.url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '').replace(`${REPO}/`, '');
    const key = url ? `${cf.functionName || '(anonymous)'} (${url}:${cf.lineNumber + 1})` : cf.functionName;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, v]) => `${(100 * v / total).toFixed(1).padStart(5)}%  ${k}`)
    .concat(`(busy CPU time profiled: ${fmt(total / 1e6, 1)} s)`);
}

// ---------------------------------------------------------------- phases

interface Results {
  a?: { points: number; seconds: number; rate: number; cpu: string };
  b?: { readings: number; seconds: number; ackSeconds: number; rate: number; verified: number; cpu: string; fsyncs: number; profile: string[] };
  c?: { acked: number; rate: number; ackedTotal: number; depthAtEnd: number; drainSeconds: number; drainRate: number; verified: number; cpu: string; profile: string[] };
  d?: { received: number; rate: number; acked: number; pubRate: number; drainSeconds: number; cpu: string };
  e?: { connections: number; before: number; after: number; perConn: number; connectSeconds: number };
}

const tsStartBatch = Math.floor((Date.now() - 7 * 86_400_000) / 60_000) * 60_000;

async function phaseA(influx: ManagedInfluxd, influxPid: number | undefined): Promise<Results['a']> {
  const db = 'bench_ceiling';
  const client = createInfluxClient({ url: influx.url, apiVersion: 'v1', org: 'bench', bucket: db, timeoutMs: 300_000 });
  await client.ensureDatabase();
  log(`(a) building ${fmt(totalReadings)} lines (${opt.batchGateways * opt.batchSize} series, ${steps} steps) ...`);
  const bodies: Buffer[] = [];
  let lines: string[] = [];
  for (let k = 0; k < steps; k++) {
    for (let g = 0; g < opt.batchGateways; g++) {
      for (let m = 0; m < opt.batchSize; m++) {
        lines.push(readingLine(g, m, tsStartBatch + k * 60_000, k));
        if (lines.length === 5000) {
          bodies.push(Buffer.from(lines.join('\n')));
          lines = [];
        }
      }
    }
  }
  if (lines.length) bodies.push(Buffer.from(lines.join('\n')));
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const url = new URL(`/write?db=${db}&precision=s`, influx.url);
  const post = (body: Buffer) => new Promise<void>((res, rej) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'text/plain', 'content-length': body.length } }, (r) => {
      let text = '';
      r.on('data', (c) => (text += c));
      r.on('end', () => (r.statusCode === 204 ? res() : rej(new Error(`write ${r.statusCode}: ${text}`))));
    });
    req.on('error', rej);
    req.end(body);
  });
  log(`(a) writing ${bodies.length} batches of 5,000 lines, 4 in parallel ...`);
  const cpu = new CpuMeter(() => ({ influxd: [influxPid], bench: [process.pid] }));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < bodies.length) await post(bodies[next++]!);
  }));
  const seconds = (performance.now() - t0) / 1000;
  const cpuRead = cpu.read();
  agent.destroy();
  const points = await countIn(client);
  if (points !== totalReadings) throw new Error(`(a) InfluxDB holds ${points} points, expected ${totalReadings}`);
  const r = { points, seconds, rate: points / seconds, cpu: cpuRead };
  log(`(a) ${fmt(points)} points in ${fmt(seconds, 2)} s = ${fmt(r.rate)} points/s (cores: ${cpuRead})`);
  return r;
}

async function phaseB(root: string, influx: ManagedInfluxd, influxPid: number | undefined, registryFile: string): Promise<Results['b']> {
  const db = 'bench_pipeline';
  const client = createInfluxClient({ url: influx.url, apiVersion: 'v1', org: 'bench', bucket: db, timeoutMs: 300_000 });
  const p = await startPipelineChild(root, 'b', influx.url, db, registryFile);
  const loads = await connectLoads(p.mqtt, range(0, opt.batchGateways), Math.min(opt.loadProcs, 2), '(b)');
  try {
    const prep = await Promise.all(loads.map((l) => l.ask<'prepared'>({ cmd: 'prepare-batch', meters: opt.batchSize, messages: steps, tsStart: tsStartBatch, stepMs: 60_000 })));
    log(`(b) ${fmt(totalReadings)} readings in ${fmt(steps * opt.batchGateways)} payloads of ${opt.batchSize} (${fmt(prep.reduce((s, x) => s + x.bytes, 0) / 2 ** 20, 1)} MiB of JSON), ${opt.batchWindow} in flight per gateway ...`);
    const fsyncs0 = (await p.readyz()).checks.spool.fsyncs;
    const cpu = new CpuMeter(() => ({ pipeline: [p.pid], influxd: [influxPid], load: loads.map((l) => l.proc.pid) }));
    const startAt = Date.now() + 300;
    const done = await Promise.all(loads.map((l) => l.ask<'batch-done'>({ cmd: 'run-batch', startAt, window: opt.batchWindow })));
    const acked = done.reduce((s, d) => s + d.readings, 0);
    const errors = done.reduce((s, d) => s + d.errors, 0);
    if (errors || acked !== totalReadings) throw new Error(`(b) ${acked} readings acknowledged, ${errors} publish errors; expected ${totalReadings}`);
    const ackSeconds = (Math.max(...done.map((d) => d.lastAckAt)) - startAt) / 1000;
    const drainedAt = await waitDrained(p, 600_000);
    const seconds = (drainedAt - startAt) / 1000;
    const cpuRead = cpu.read();
    const fsyncs = (await p.readyz()).checks.spool.fsyncs - fsyncs0;
    const verified = await countIn(client);
    if (verified !== totalReadings) throw new Error(`(b) InfluxDB holds ${verified} points, expected ${totalReadings}`);
    const r = { readings: totalReadings, seconds, ackSeconds, rate: totalReadings / seconds, verified, cpu: cpuRead, fsyncs, profile: [] as string[] };
    log(`(b) ${fmt(totalReadings)} readings confirmed in InfluxDB in ${fmt(seconds, 2)} s = ${fmt(r.rate)} readings/s (all PUBACKed after ${fmt(ackSeconds, 2)} s; ${fmt(fsyncs)} fsyncs; cores: ${cpuRead})`);
    return r;
  } finally {
    await Promise.all(loads.map((l) => l.close()));
    await p.stop();
  }
}

async function phaseC(root: string, influx: ManagedInfluxd, influxPid: number | undefined, registryFile: string): Promise<Results['c']> {
  const db = 'bench_burst';
  const client = createInfluxClient({ url: influx.url, apiVersion: 'v1', org: 'bench', bucket: db, timeoutMs: 300_000 });
  const p = await startPipelineChild(root, 'c', influx.url, db, registryFile);
  const loads = await connectLoads(p.mqtt, range(opt.batchGateways, opt.burstGateways), opt.loadProcs, '(c)', 50, opt.rawLoad);
  try {
    log(`(c) burst: ${opt.burstGateways} gateways, single-reading QoS 1 messages, ${opt.window} in flight each, ${opt.burstSeconds} s ...`);
    const cpu = new CpuMeter(() => ({ pipeline: [p.pid], influxd: [influxPid], load: loads.map((l) => l.proc.pid) }));
    const startAt = Date.now() + 500;
    const endAt = startAt + opt.burstSeconds * 1000;
    const tsStart = Math.floor((Date.now() - 3 * 86_400_000) / 1000) * 1000;
    const done = await Promise.all(loads.map((l) => l.ask<'burst-done'>({ cmd: 'run-burst', startAt, endAt, window: opt.window, tsStart })));
    const cpuRead = cpu.read();
    const depthAtEnd = (await p.readyz()).checks.spool.depthLines;
    const acked = done.reduce((s, d) => s + d.ackedInWindow, 0);
    const ackedTotal = done.reduce((s, d) => s + d.ackedTotal, 0);
    const errors = done.reduce((s, d) => s + d.errors, 0);
    if (errors) throw new Error(`(c) ${errors} publish errors`);
    const drainedAt = await waitDrained(p, 1_800_000);
    const drainSeconds = Math.max(0, drainedAt - endAt) / 1000;
    const verified = await countIn(client);
    if (verified !== ackedTotal) throw new Error(`(c) InfluxDB holds ${verified} points, ${ackedTotal} were acknowledged`);
    const r = { acked, rate: acked / opt.burstSeconds, ackedTotal, depthAtEnd, drainSeconds, drainRate: depthAtEnd / Math.max(drainSeconds, 1e-3), verified, cpu: cpuRead, profile: [] as string[] };
    log(`(c) ${fmt(acked)} messages PUBACKed in ${opt.burstSeconds} s = ${fmt(r.rate)} msgs/s; spool depth at burst end ${fmt(depthAtEnd)}, drained ${fmt(drainSeconds, 2)} s after; ${fmt(verified)} points verified (cores during burst: ${cpuRead})`);
    return r;
  } finally {
    await Promise.all(loads.map((l) => l.close()));
    await p.stop();
  }
}

async function phaseD(root: string): Promise<Results['d']> {
  const port = await freePort();
  const conf = join(root, 'mosquitto.conf');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest none',
    'max_queued_messages 10000000', 'max_inflight_messages 1000', 'max_connections -1', '',
  ].join('\n'));
  const mosq = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let mosqErr = '';
  mosq.stderr!.on('data', (c) => (mosqErr += c));
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = netConnect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) break;
    if (i > 100 || mosq.exitCode !== null) throw new Error(`mosquitto did not start: ${mosqErr}`);
    await sleep(100);
  }
  const url = `mqtt://127.0.0.1:${port}`;
  const subscriber = new Load('(d)-subscriber');
  let loads: Load[] = [];
  try {
    await subscriber.ask<'subscribed'>({ cmd: 'subscribe', url, topic: 'gridpulse/v1/+/readings' });
    loads = await connectLoads(url, range(opt.batchGateways, opt.burstGateways), opt.loadProcs, '(d)', 50, opt.rawLoad);
    log(`(d) Mosquitto ${spawnSync('/usr/sbin/mosquitto', ['-h']).stdout.toString().split('\n')[0]?.replace('mosquitto version ', '')}: same burst, one QoS 1 subscriber ...`);
    const cpu = new CpuMeter(() => ({ mosquitto: [mosq.pid], subscriber: [subscriber.proc.pid], load: loads.map((l) => l.proc.pid) }));
    const startAt = Date.now() + 500;
    const endAt = startAt + opt.burstSeconds * 1000;
    await subscriber.ask<'window'>({ cmd: 'window', startAt, endAt });
    const tsStart = Math.floor((Date.now() - 3 * 86_400_000) / 1000) * 1000;
    const done = await Promise.all(loads.map((l) => l.ask<'burst-done'>({ cmd: 'run-burst', startAt, endAt, window: opt.window, tsStart })));
    const cpuRead = cpu.read();
    const ackedInWindow = done.reduce((s, d) => s + d.ackedInWindow, 0);
    const ackedTotal = done.reduce((s, d) => s + d.ackedTotal, 0);
    let c = await subscriber.ask<'count'>({ cmd: 'count' });
    const deadline = Date.now() + 600_000;
    while (c.total < ackedTotal && Date.now() < deadline) {
      await sleep(100);
      c = await subscriber.ask<'count'>({ cmd: 'count' });
    }
    const drainSeconds = Math.max(0, c.lastAt - endAt) / 1000;
    const r = { received: c.inWindow, rate: c.inWindow / opt.burstSeconds, acked: ackedInWindow, pubRate: ackedInWindow / opt.burstSeconds, drainSeconds, cpu: cpuRead };
    log(`(d) subscriber received ${fmt(c.inWindow)} in ${opt.burstSeconds} s = ${fmt(r.rate)} msgs/s (publishers PUBACKed ${fmt(r.pubRate)} msgs/s; ${fmt(c.total)} of ${fmt(ackedTotal)} delivered, last ${fmt(drainSeconds, 2)} s after the burst; cores: ${cpuRead})`);
    return r;
  } finally {
    await Promise.all([...loads, subscriber].map((l) => l.close()));
    mosq.kill('SIGTERM');
  }
}

async function phaseE(root: string, influx: ManagedInfluxd, registryFile: string): Promise<Results['e']> {
  const p = await startPipelineChild(root, 'e', influx.url, 'bench_idle', registryFile);
  let loads: Load[] = [];
  try {
    await sleep(3000);
    const before = Math.min(rssBytes(p.pid), (await sleep(500), rssBytes(p.pid)));
    const t0 = Date.now();
    loads = await connectLoads(p.mqtt, range(0, opt.idle), opt.loadProcs, '(e)', 25);
    const connectSeconds = (Date.now() - t0) / 1000;
    const connected = await p.metric('gridpulse_mqtt_connections');
    if (connected !== opt.idle) throw new Error(`(e) the pipeline counts ${connected} connections, expected ${opt.idle}`);
    await sleep(5000);
    const after = rssBytes(p.pid);
    const r = { connections: opt.idle, before, after, perConn: (after - before) / opt.idle, connectSeconds };
    log(`(e) RSS ${fmt(before / 2 ** 20, 1)} MiB → ${fmt(after / 2 ** 20, 1)} MiB with ${fmt(opt.idle)} idle gateways = ${fmt(r.perConn / 1024, 1)} KiB per connection`);
    return r;
  } finally {
    await Promise.all(loads.map((l) => l.close()));
    await p.stop();
  }
}

// ---------------------------------------------------------------- report

function machine(): Record<string, string> {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const influxd = spawnSync('influxd', ['version'], { encoding: 'utf8' }).stdout.trim();
  const mosq = spawnSync('/usr/sbin/mosquitto', ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() ?? '';
  return {
    cpu: model, cores: String(cpus().length), ram: `${fmt(totalmem() / 2 ** 30, 1)} GiB`, node: process.version,
    influxd: influxd || 'unknown', mosquitto: mosq, date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  };
}

function table(r: Results): string {
  const rows: string[][] = [];
  const pf = (ratio: number, target: number) => `${ratio.toFixed(2)} (target ≥ ${target.toFixed(1)}: ${ratio >= target ? 'met' : 'not met'})`;
  if (r.a) rows.push(['(a) ceiling: line protocol → InfluxDB', `${fmt(r.a.rate)} points/s`, `${fmt(r.a.points)} points, ${opt.batchGateways * opt.batchSize} series, 5,000-line batches × 4 in parallel, ${fmt(r.a.seconds, 1)} s`]);
  if (r.b) rows.push(['(b) pipeline end to end (batched QoS 1)', `${fmt(r.b.rate)} readings/s`, `${fmt(r.b.readings)} readings, ${opt.batchGateways} gateways × ${opt.batchSize}-reading payloads, first publish → all confirmed in InfluxDB ${fmt(r.b.seconds, 1)} s (all PUBACKed at ${fmt(r.b.ackSeconds, 1)} s)`]);
  if (r.a && r.b) rows.push(['(b) / (a)', pf(r.b.rate / r.a.rate, 0.9), '']);
  if (r.c) rows.push(['(c) intake, single-reading QoS 1', `${fmt(r.c.rate)} msgs/s`, `${opt.burstGateways} connections, ${opt.window} in flight each, ${opt.burstSeconds} s burst; spool depth at end ${fmt(r.c.depthAtEnd)}`]);
  if (r.c) rows.push(['(c) drain after the burst', `${fmt(r.c.drainSeconds, 1)} s`, `${fmt(r.c.ackedTotal)} readings verified in InfluxDB`]);
  if (r.d) rows.push(['(d) Mosquitto relay → 1 QoS 1 subscriber', `${fmt(r.d.rate)} msgs/s`, `same publishers; Mosquitto PUBACKed ${fmt(r.d.pubRate)} msgs/s`]);
  if (r.c && r.d) rows.push(['(c) / (d)', pf(r.c.rate / r.d.rate, 1.0), '']);
  if (r.e) rows.push(['(e) memory per idle gateway connection', `${fmt(r.e.perConn / 1024, 1)} KiB`, `RSS ${fmt(r.e.before / 2 ** 20)} → ${fmt(r.e.after / 2 ** 20)} MiB at ${fmt(r.e.connections)} authenticated connections`]);
  for (const [name, n] of Object.entries(unhandled)) rows.push([`(${name}) pipeline unhandled rejections`, String(n), 'spool persistAck race (ack.json.tmp rename ENOENT); fatal under Node defaults, survived here with --unhandled-rejections=warn']);
  return ['| figure | result | conditions |', '|---|---|---|', ...rows.map((x) => `| ${x.join(' | ')} |`)].join('\n');
}

function cpuLines(r: Results): string[] {
  const out: string[] = [];
  if (r.a) out.push(`- (a) ${r.a.cpu}`);
  if (r.b) out.push(`- (b) ${r.b.cpu}`);
  if (r.c) out.push(`- (c) burst: ${r.c.cpu}`);
  if (r.d) out.push(`- (d) burst: ${r.d.cpu}`);
  return out;
}

function writeDoc(r: Results, command: string): void {
  const m = machine();
  const body = [
    START,
    `Run ${m.date}: \`${command}\``,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.ram} RAM; Node ${m.node}; ${m.influxd}; ${m.mosquitto}. Everything (influxd, the pipeline, the load processes, Mosquitto) runs on this one machine, over loopback.`,
    '',
    table(r),
    '',
    `The pipeline runs as \`node dist/src/cli/main.js start\` with its defaults (fsync on, 2 ms group commit, 5,000-line writes, 4 in flight) except: per-client rate limit raised (\`GRIDPULSE_MQTT_MAX_MSG_RATE=1000000\`), analytics ${opt.analytics ? 'on' : 'off (`GRIDPULSE_ANALYTICS=false`; `--analytics` turns it on)'}. Readings are counted with \`SELECT count(energy_kwh)\` after each phase. (a) sends pre-built, uncompressed bodies, so it is InfluxDB's own ceiling.`,
    '',
    'Cores used per process group during each timed phase (CPU seconds / wall seconds; the machine has ' + m.cores + '; "others" is every other process on the machine, this orchestrator included — the machine may be shared):',
    '',
    ...cpuLines(r),
  ];
  const prof = [['(b)', r.b?.profile], ['(c)', r.c?.profile]].filter(([, p]) => p && (p as string[]).length) as [string, string[]][];
  if (prof.length) {
    body.push('', 'Top self-time functions in the pipeline process (`node --cpu-prof`, whole process lifetime, idle excluded):', '');
    for (const [name, p] of prof) body.push(`${name}:`, '', '```', ...p, '```', '');
  }
  let old = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n';
  const notes = old.includes(NOTES_START) && old.includes(NOTES_END) ? old.slice(old.indexOf(NOTES_START), old.indexOf(NOTES_END) + NOTES_END.length) : `${NOTES_START}\n${NOTES_END}`;
  body.push('', notes, END);
  const section = body.join('\n');
  if (old.includes(START) && old.includes(END)) {
    old = old.slice(0, old.indexOf(START)) + section + old.slice(old.indexOf(END) + END.length);
  } else {
    old = `${old.trimEnd()}\n\n## Ingest\n\n${section}\n`;
  }
  writeFileSync(DOC, old);
  log(`wrote ${DOC}`);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'gridpulse-bench-'));
  const command = `npm run bench:ingest${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  log(`${command}; temp folder ${root}`);
  const shape: CityShape = { gateways: Math.max(opt.idle, opt.batchGateways + opt.burstGateways), batchGateways: opt.batchGateways, metersPerBatchGateway: opt.batchSize };
  const registryFile = join(root, 'registry.json');
  saveRegistry(registryFile, buildRegistry(shape, hashPassword(BENCH_PASSWORD, { N: 1024 })));
  const influx = await startManagedInfluxd({ dataDir: join(root, 'influxdb') });
  const influxPid = findPid(join(root, 'influxdb', 'influxdb.conf'));
  log(`influxd at ${influx.url} (pid ${influxPid}); registry of ${fmt(shape.gateways)} gateways`);
  const r: Results = {};
  try {
    if (opt.phases.has('a')) r.a = await phaseA(influx, influxPid);
    if (opt.phases.has('b')) r.b = await phaseB(root, influx, influxPid, registryFile);
    if (opt.phases.has('c')) r.c = await phaseC(root, influx, influxPid, registryFile);
    if (opt.phases.has('d')) r.d = await phaseD(root);
    if (opt.phases.has('e')) r.e = await phaseE(root, influx, registryFile);
  } finally {
    await influx.stop();
  }
  if (r.b) r.b.profile = topSelf(join(root, 'profile-b'), 12);
  if (r.c) r.c.profile = topSelf(join(root, 'profile-c'), 12);
  const m = machine();
  process.stdout.write(`\n${m.cpu}, ${m.cores} cores, ${m.ram}; Node ${m.node}; ${m.influxd}\n\n${table(r)}\n\n${cpuLines(r).join('\n')}\n`);
  for (const [name, p] of [['(b)', r.b?.profile], ['(c)', r.c?.profile]] as const) if (p?.length) process.stdout.write(`\npipeline CPU profile ${name}, top self time:\n${p.join('\n')}\n`);
  if (opt.writeDoc) writeDoc(r, command);
  if (opt.keep) log(`kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench:ingest failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
