import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { IncidentLabel } from '../src/schemas/incident.js';
import { calibrate, formatCalibration } from './calibrate.js';
import { buildCity } from './city.js';
import { simulate } from './engine.js';
import { DEMO, demoScenario } from './demo.js';
import { FILES, writeCityFiles, writeReadingsFile } from './files.js';
import { publish, type PublishProgress } from './publish.js';
import { defaultScenario, loadScenario, parseInjectFlag, quietScenario, type Scenario } from './scenario.js';

/** Defaults of `gridpulse simulate`, in one place (docs/simulator.md lists the same). */
export const SIMULATE_DEFAULTS = {
  seed: 1,
  enterprises: 2000,
  metersPerGateway: 60,
  start: '2025-09-01T00:00:00+08:00',
  daysByMode: { realtime: 1, accelerated: 7, file: 60 },
  interval: 15,
  out: 'data/sim',
  mode: 'accelerated',
  speed: 3600,
  format: 'line',
  url: 'mqtt://localhost:1883',
  qos: 1,
  rate: 0,
} as const;

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number ≥ ${min}`);
  return n;
};
const num = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${name} must be a number ≥ ${min}`);
  return n;
};

/**
 * A number, default included: commander passes a default through untouched, and mqtt.js treats a
 * string '1' as QoS 0 for its callback (fired on the socket write, not the PUBACK), which removed
 * all backpressure from publishing (docs/simulator.md#the-demo).
 */
export const parseQos = (v: string): 0 | 1 => {
  if (v !== '0' && v !== '1') throw new InvalidArgumentError('--qos must be 0 or 1');
  return v === '1' ? 1 : 0;
};

interface SimulateFlags {
  seed: number; enterprises: number; metersPerGateway: number; start?: string; days?: number; interval: number;
  scenario?: string; inject?: string; incidents: boolean; transportRate?: number; out: string;
  mode: 'realtime' | 'accelerated' | 'file'; speed: number; format: 'jsonl' | 'line'; url: string; qos: 0 | 1;
  single: boolean; batch: boolean; maxBatch: number; connections?: number; rate: number; registryOnly: boolean;
  catchUp: boolean; demo: boolean; progress: boolean; json: boolean; calibrate: boolean; data?: string; plants: number; markdown: boolean;
}

export function registerSimulate(program: Command): Command {
  const d = SIMULATE_DEFAULTS;
  return program
    .command('simulate')
    .description('Simulate a city of industrial power meters with labelled incidents: publish over MQTT or write files; `simulate calibrate` compares the load model with the real steel plant')
    .argument('[action]', 'run (default) or calibrate', 'run')
    .option('--seed <n>', 'seed: same seed, same city, same readings, same labels', int('--seed', 0), d.seed)
    .option('--enterprises <n>', 'enterprises in the city (1–3 meters each)', int('--enterprises', 1), d.enterprises)
    .option('--meters-per-gateway <n>', 'mean meters per gateway (lower it for more MQTT connections)', int('--meters-per-gateway', 1), d.metersPerGateway)
    .option('--start <iso>', `device time of the first reading (default: now in realtime mode, else ${d.start})`)
    .option('--days <n>', 'days to simulate (default: realtime 1, accelerated 7, file 60)', num('--days', 0))
    .option('--interval <minutes>', 'reading interval in minutes', num('--interval', 0.05), d.interval)
    .option('--scenario <file>', 'scenario JSON (counts and/or exact incidents; docs/simulator.md)')
    .option('--inject <kind=n,...>', 'incident counts, e.g. production_halt=10,grid_outage=2 (overrides the scenario)')
    .option('--no-incidents', 'inject no incidents (calendar, Spring Festival and planned shutdowns remain)')
    .option('--transport-rate <r>', 'share of a faulty gateway\'s readings affected in a transport-fault window', num('--transport-rate', 0))
    .option('--out <dir>', `where ${FILES.registry}, ${FILES.credentials}, ${FILES.labels} (and file-mode readings) go`, d.out)
    .addOption(new Option('--mode <mode>', 'realtime | accelerated | file').choices(['realtime', 'accelerated', 'file']).default(d.mode))
    .option('--speed <factor>', 'accelerated mode: simulated seconds per wall second (0 = as fast as possible)', num('--speed', 0), d.speed)
    .option('--catch-up', 'accelerated mode: never run past the wall clock (once device time reaches now, continue in real time)', false)
    .option('--demo', `the demo of \`gridpulse start --simulate\`: ${DEMO.historyDays} days of history as fast as acknowledged, then real time for ${DEMO.futureDays} days (--catch-up), with incidents alerted in the first minutes`, false)
    .addOption(new Option('--format <format>', 'file mode: line (InfluxDB line protocol) | jsonl (MQTT messages)').choices(['line', 'jsonl']).default(d.format))
    .option('--url <url>', 'MQTT broker', d.url)
    .addOption(new Option('--qos <qos>', 'MQTT QoS (0 or 1)').default(d.qos).argParser(parseQos))
    .option('--batch', 'batched payloads {"readings":[…]} (default)', true)
    .option('--single', 'one reading per message', false)
    .option('--max-batch <n>', 'readings per batched message (the contract allows 1,000)', int('--max-batch', 1), 1000)
    .option('--connections <n>', 'connect only the first N gateways (default: every gateway, one connection each)', int('--connections', 1))
    .option('--rate <msgs>', 'limit to this many messages per second (0 = no limit)', num('--rate', 0), d.rate)
    .option('--registry-only', 'write the registry, credentials and labels, then stop', false)
    .option('--no-progress', 'no progress bar / progress lines')
    .option('--json', 'print the summary as JSON', false)
    .option('--calibrate', 'same as the calibrate action', false)
    .option('--data <file>', 'calibrate: the steel plant CSV (default shared/data/steel_industry_15min.csv)')
    .option('--plants <n>', 'calibrate: simulated heavy plants to take the median of', int('--plants', 1), 5)
    .option('--markdown', 'calibrate: print a Markdown table', false)
    .addHelpText('after', `
Examples:
  gridpulse simulate --registry-only --out data/sim
  gridpulse simulate --mode file --days 60 --format line --out data/sim
  gridpulse simulate --mode accelerated --speed 3600 --url mqtt://localhost:1883 --qos 1
  gridpulse simulate --mode realtime --interval 1 --enterprises 50000
  gridpulse simulate calibrate`)
    .action(async (action: string, flags: SimulateFlags, cmd: Command) => {
      if (action === 'calibrate' || flags.calibrate) {
        const r = calibrate({ data: flags.data, seed: flags.seed, plants: flags.plants });
        process.stdout.write(`${formatCalibration(r, flags.markdown)}\n`);
        return;
      }
      if (action !== 'run') throw new InvalidArgumentError(`unknown action '${action}' (run or calibrate)`);
      await runSimulate(flags.demo ? demoFlags(flags, cmd) : flags);
    });
}

/** --demo: start DEMO.historyDays back, as fast as acknowledged, then hold at the wall clock (flags given explicitly win). */
function demoFlags(flags: SimulateFlags, cmd: Command): SimulateFlags {
  const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
  const intervalMs = flags.interval * 60_000;
  const startMs = Math.floor((Date.now() - DEMO.historyDays * 86_400_000) / intervalMs) * intervalMs;
  return {
    ...flags,
    mode: 'accelerated',
    catchUp: true,
    start: flags.start ?? new Date(startMs).toISOString(),
    days: flags.days ?? DEMO.historyDays + DEMO.futureDays,
    speed: given('speed') ? flags.speed : DEMO.speed,
  };
}

function buildScenario(flags: SimulateFlags, startMs: number): Scenario {
  let sc: Scenario = flags.scenario ? loadScenario(flags.scenario) : flags.demo ? demoScenario(startMs, Date.now(), flags.interval * 60_000) : defaultScenario();
  if (!flags.incidents) sc = quietScenario({ ...sc, counts: {}, incidents: [] });
  if (flags.inject) sc = { ...sc, counts: { ...sc.counts, ...parseInjectFlag(flags.inject) } };
  if (flags.transportRate !== undefined) sc = { ...sc, transportRate: Math.min(1, flags.transportRate) };
  return sc;
}

async function runSimulate(flags: SimulateFlags): Promise<void> {
  const err = (s: string) => process.stderr.write(`${s}\n`);
  const intervalMs = flags.interval * 60_000;
  const start = flags.start ?? (flags.mode === 'realtime' ? new Date(Math.floor(Date.now() / intervalMs) * intervalMs).toISOString() : SIMULATE_DEFAULTS.start);
  if (Number.isNaN(Date.parse(start))) throw new InvalidArgumentError(`--start: not an ISO time: ${start}`);
  const days = flags.days ?? SIMULATE_DEFAULTS.daysByMode[flags.mode];
  const scenario = buildScenario(flags, Date.parse(start));

  let t = performance.now();
  const city = buildCity({ seed: flags.seed, enterprises: flags.enterprises, start, days: Math.max(days, 14), metersPerGateway: flags.metersPerGateway });
  const sim = simulate(city, { start, days, intervalMinutes: flags.interval, scenario, seed: flags.seed, maxBatch: flags.maxBatch });
  const written = writeCityFiles(city, flags.out, sim.labels);
  err(`city: ${city.registry.enterprises.length} enterprises, ${city.registry.meters.length} meters, ${city.registry.gateways.length} gateways (seed ${flags.seed}) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  err(`wrote ${written.join(', ')}`);
  const incidents = countLabels(sim.labels);
  if (flags.registryOnly) {
    printSummary(flags, { incidents });
    return;
  }
  const bar = makeProgress(flags, sim.steps);
  t = Date.now();
  if (flags.mode === 'file') {
    const r = await writeReadingsFile(city, sim, flags.out, flags.format, (ts) => bar.update({ step: Math.round((ts - sim.startMs) / sim.intervalMs), steps: sim.steps, messages: 0, readingsSent: sim.stats.readings, acked: 0, rejected: 0, elapsedS: (Date.now() - t) / 1000 }));
    bar.stop();
    const seconds = (Date.now() - t) / 1000;
    printSummary(flags, { mode: 'file', file: r.path, messages: r.messages, readings: r.readings, linesWritten: r.lines, skippedMalformed: r.skipped, seconds, readingsPerSecond: Math.round(r.readings / seconds), generator: { ...sim.stats }, incidents });
    return;
  }
  const summary = await publish(city, sim, {
    url: flags.url, qos: flags.qos, single: flags.single, connections: flags.connections, rate: flags.rate,
    mode: flags.mode, speed: flags.speed, holdAtWallClock: flags.catchUp, onProgress: (p) => bar.update(p), log: (l) => bar.log(l),
  });
  bar.stop();
  const out = { mode: flags.mode, ...summary, generator: { ...sim.stats }, incidents };
  writeFileSync(join(flags.out, 'summary.json'), `${JSON.stringify(out, null, 1)}\n`);
  printSummary(flags, out);
  if (summary.connected === 0) process.exitCode = 1;
}

function countLabels(labels: IncidentLabel[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const l of labels) c[l.kind] = (c[l.kind] ?? 0) + 1;
  return c;
}

function printSummary(flags: SimulateFlags, summary: Record<string, unknown>): void {
  if (flags.json) { process.stdout.write(`${JSON.stringify(summary)}\n`); return; }
  const lines: string[] = ['summary:'];
  for (const [k, v] of Object.entries(summary)) {
    if (v && typeof v === 'object') lines.push(`  ${k}: ${Object.entries(v).map(([a, b]) => `${a}=${b}`).join(' ') || '-'}`);
    else lines.push(`  ${k}: ${v}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

interface Progress { update(p: PublishProgress): void; log(line: string): void; stop(): void }

/** A cli-progress bar on a TTY; plain lines every 5 s otherwise (logs, CI). */
function makeProgress(flags: SimulateFlags, steps: number): Progress {
  const rate = (p: PublishProgress) => Math.round(p.readingsSent / Math.max(0.001, p.elapsedS));
  if (!flags.progress) return { update() {}, log: (l) => process.stderr.write(`${l}\n`), stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream: process.stderr,
      format: 'simulate |{bar}| {percentage}% | step {value}/{total} | {readings} readings | {acked} acked | {rejected} rejected | {rate}/s',
      hideCursor: true,
    }, cliProgress.Presets.shades_classic);
    bar.start(steps, 0, { readings: 0, acked: 0, rejected: 0, rate: 0 });
    return {
      update: (p) => bar.update(p.step, { readings: p.readingsSent, acked: p.acked, rejected: p.rejected, rate: rate(p) }),
      log: (l) => { bar.stop(); process.stderr.write(`${l}\n`); bar.start(steps, 0); },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < 5000 && p.step < p.steps) return;
      last = now;
      const device = p.deviceTs ? ` device=${new Date(p.deviceTs).toISOString().slice(0, 16)}Z${p.live ? ' (live)' : ''}` : '';
      process.stderr.write(`simulate: step ${p.step}/${p.steps}${device} readings=${p.readingsSent} acked=${p.acked} rejected=${p.rejected} rate=${rate(p)}/s\n`);
    },
    log: (l) => process.stderr.write(`${l}\n`),
    stop() {},
  };
}
