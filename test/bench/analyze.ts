import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import Papa from 'papaparse';
import { analyze, parseSettings } from '../../src/analyze/index.js';
import { kst, quarterEnd, STEEL_CSV, steelQuarters } from './analyze-data.js';

/**
 * `npm run bench:analytics` (after the engine bench) or `node dist/test/bench/analyze.js [--rows N] [--meters M] [--no-write] [--compare DIR]`:
 * end-to-end rows/s of `gridpulse analyze` on one CSV file (interval energy, 15 min, the steel plant
 * tiled over M meters with per-meter scaling), beside a same-run baseline: csv-parse alone reading the
 * same file and doing nothing with the rows, and Papa Parse (the parser the command uses) alone. The
 * command is timed twice: in this process (Node's default young generation; rows per wall second and per
 * CPU second of this process) and as users run it, the CLI in a child process (which runs itself with a
 * larger young generation, src/cli/analyze.ts). `--compare DIR`: also an older build's analyze in this
 * process (DIR holds its dist/, e.g. `git archive REV | tar -x -C DIR`, then tsc there). Updates docs/benchmarks.md.
 */
function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const ROWS = Number(arg('rows', '10000000'));
const METERS = Number(arg('meters', '1000'));

async function makeFile(path: string): Promise<void> {
  const src = STEEL_CSV.find((p) => existsSync(p));
  const q = src ? steelQuarters(src) : Float64Array.from({ length: 35_040 }, (_, i) => 30 + 25 * Math.sin((i / 96) * 2 * Math.PI));
  const out = createWriteStream(path);
  out.write('meter_id,timestamp,energy_kwh\n');
  let buf = '';
  const steps = Math.ceil(ROWS / METERS);
  let n = 0;
  for (let i = 0; i < steps && n < ROWS; i++) {
    const ts = kst(quarterEnd(i % q.length) + Math.floor(i / q.length) * 365 * 86_400_000);
    for (let m = 0; m < METERS && n < ROWS; m++, n++) {
      buf += `m${m},${ts},${(q[i % q.length]! * (0.5 + (m % 7) / 7)).toFixed(2)}\n`;
      if (buf.length > 1 << 20) {
        if (!out.write(buf)) await once(out, 'drain');
        buf = '';
      }
    }
  }
  out.end(buf);
  await once(out, 'close');
}

async function csvParseOnly(path: string): Promise<number> {
  let rows = 0;
  const { createReadStream } = await import('node:fs');
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), parse({ on_record: () => { rows++; return null; } }));
  return rows;
}

async function papaOnly(path: string): Promise<number> {
  let rows = 0;
  const { createReadStream } = await import('node:fs');
  const stream = createReadStream(path, { highWaterMark: 1 << 20, encoding: 'utf8' });
  await new Promise<void>((resolve, reject) => Papa.parse<string[]>(stream, { delimiter: ',', chunk: (r) => { rows += r.data.length; }, complete: () => resolve(), error: reject }));
  return rows;
}

const sink = () => new Writable({ write: (_c, _e, cb) => cb() }) as unknown as NodeJS.WritableStream;

interface Timed { rows: number; wall: number; cpu: number; readings: number; alerts: number }

/** `analyze` of a build (this one, or --compare's) in this process: wall and CPU seconds of this process. */
async function inProcess(file: string, mod: Pick<typeof import('../../src/analyze/index.js'), 'analyze' | 'parseSettings'>): Promise<Timed> {
  const settings = mod.parseSettings([file], { calendar: 'none', timezone: 'Asia/Seoul', progress: false });
  const t = performance.now(), c0 = process.cpuUsage();
  const s = await mod.analyze(settings, { stdout: sink(), stderr: process.stderr });
  const c = process.cpuUsage(c0);
  return { rows: s.rows, wall: (performance.now() - t) / 1000, cpu: (c.user + c.system) / 1e6, readings: s.readings, alerts: Object.values(s.alerts).reduce((a, b) => a + b, 0) };
}

/** The CLI as users run it, in a child process: wall seconds, and the peak RSS of its processes (Linux /proc). */
async function cli(file: string): Promise<{ wall: number; peakMiB: number | undefined; summary: string }> {
  const main = resolve('dist/src/cli/main.js');
  const t = performance.now();
  const child = spawn(process.execPath, [main, 'analyze', file, '--calendar', 'none', '--timezone', 'Asia/Seoul', '--no-progress', '--out', '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  let peak: number | undefined;
  const poll = setInterval(() => {
    // The child and the child it starts: each one's high-water mark (VmHWM), the larger kept.
    try {
      const pids = [child.pid, ...readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)];
      for (const pid of pids) {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
        if (kb > 0) peak = Math.max(peak ?? 0, kb / 1024);
      }
    } catch {
      // Not Linux, or the process just ended.
    }
  }, 100);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(poll);
  if (code !== 0) throw new Error(`gridpulse analyze exited ${code}: ${stderr}`);
  return { wall: (performance.now() - t) / 1000, peakMiB: peak, summary: stderr };
}

/** The in-process timing in a child with the CLI's young generation, so its CPU seconds are known. */
async function innerWithYoungGeneration(file: string): Promise<Timed> {
  const child = spawn(process.execPath, ['--max-semi-space-size=64', fileURLToPath(import.meta.url), '--inner', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`inner bench exited ${code}`);
  return JSON.parse(out) as Timed;
}

const inner = process.argv.indexOf('--inner');
if (inner >= 0) {
  process.stdout.write(JSON.stringify(await inProcess(process.argv[inner + 1]!, { analyze, parseSettings })));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'gridpulse-analyze-bench-'));
try {
  const file = join(dir, 'readings.csv');
  let t = performance.now();
  await makeFile(file);
  const mb = statSync(file).size / 2 ** 20;
  console.log(`file: ${ROWS.toLocaleString('en-US')} rows, ${METERS} meters, ${mb.toFixed(0)} MiB, written in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  t = performance.now();
  const baseRows = await csvParseOnly(file);
  const baseS = (performance.now() - t) / 1000;
  t = performance.now();
  const papaRows = await papaOnly(file);
  const papaS = (performance.now() - t) / 1000;

  const compareDir = arg('compare', '');
  const before = compareDir ? await inProcess(file, await import(resolve(compareDir, 'dist/src/analyze/index.js')) as typeof import('../../src/analyze/index.js')) : undefined;
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const mem = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const here = await inProcess(file, { analyze, parseSettings });
  clearInterval(mem);
  const young = await innerWithYoungGeneration(file);
  const child = await cli(file);
  const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en-US');
  const timed = (x: Timed) => `${rate(x.rows, x.wall)} rows/s (${rate(x.rows, x.cpu)} rows per CPU-second)`;
  const cond = (x: Timed) => `${x.wall.toFixed(1)} s, ${x.readings.toLocaleString('en-US')} readings analysed, ${x.alerts} alerts`;
  const rows = [
    ['baseline: csv-parse alone, same file (rows counted, nothing else)', `${rate(baseRows, baseS)} rows/s`, `${baseS.toFixed(1)} s`],
    ['baseline: Papa Parse alone (the parser `analyze` uses), same file', `${rate(papaRows, papaS)} rows/s`, `${papaS.toFixed(1)} s`],
    ...(before ? [[`before: \`analyze\` of ${compareDir} in this process`, timed(before), cond(before)]] : []),
    ['`analyze` in this process (Node\'s default young generation)', timed(here), `${cond(here)}, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`],
    ['`analyze` in a child process with the CLI\'s young generation (`--max-semi-space-size=64`)', timed(young), cond(young)],
    ['`gridpulse analyze` end to end: the CLI in a child process, as users run it (64 MiB semi-space)', `${rate(here.rows, child.wall)} rows/s`, `${child.wall.toFixed(1)} s wall including start-up${child.peakMiB ? `, peak RSS ${child.peakMiB.toFixed(0)} MiB` : ''}`],
  ];
  const table = ['| figure | result | conditions |', '|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(table);
  if (!process.argv.includes('--no-write')) {
    const doc = 'docs/benchmarks.md';
    const body = `<!-- analyze:start -->\n## \`gridpulse analyze\`\n\nRun ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: \`npm run bench:analytics\` (\`node dist/test/bench/analyze.js --rows ${ROWS} --meters ${METERS}${compareDir ? ` --compare ${compareDir}` : ''}\`). Machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores shared with other work (load average ${loadavg()[0]!.toFixed(1)} at the end of the run); Node ${process.version}; one process at a time (the CLI row: the command and the child it starts).\n\nFile: ${ROWS.toLocaleString('en-US')} rows of 15-minute interval energy (the steel plant tiled over ${METERS} meters), ${mb.toFixed(0)} MiB.\n\n${table}\n<!-- analyze:end -->`;
    const cur = existsSync(doc) ? readFileSync(doc, 'utf8') : '';
    const re = /<!-- analyze:start -->[\s\S]*<!-- analyze:end -->/;
    writeFileSync(doc, re.test(cur) ? cur.replace(re, body) : `${cur.trimEnd()}\n\n${body}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
