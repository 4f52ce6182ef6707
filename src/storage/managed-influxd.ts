import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, createWriteStream, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';

/**
 * A local influxd (InfluxDB 1.x, Debian's `influxdb` package) run as a child process with its
 * data under a folder of ours and every listener on loopback. Used by `gridpulse start` when no
 * INFLUX_URL is configured, and by the test setup.
 */
export interface ManagedInfluxd {
  url: string;
  port: number;
  dataDir: string;
  /** The running influxd's process id (undefined while stopped). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
  /** Stop without removing data (a durability test takes the server away, then brings it back). */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export function findInfluxd(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v influxd'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : undefined;
}

/**
 * A loopback port free now, picked outside the kernel's ephemeral range where one is known: a port
 * handed out by bind(0) comes from that range, and any outgoing connection may take it before the
 * process it is meant for binds it (CI lost a start that way). Below the range only a listener can.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let i = 0; low > 11_000 && i < 50; i++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (await portIsFree(port)) return port;
  }
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 0;
  } catch {
    return 0;
  }
}

/** Whether nothing listens on 127.0.0.1:port now. */
export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** Raised when the managed influxd cannot start; `portInUse` when it lost a race for its port. */
export class ManagedInfluxdError extends Error {
  constructor(message: string, readonly portInUse = false) {
    super(message);
  }
}

/**
 * `port` 0 or unset picks a free loopback port. A picked port is only free when it is picked:
 * another process can take it before influxd binds, so a start that loses that race retries
 * with new ports. A port asked for by number must be free: an InfluxDB already answering there
 * would otherwise be mistaken for ours.
 */
export async function startManagedInfluxd(opts: { dataDir: string; port?: number; binary?: string; startTimeoutMs?: number }): Promise<ManagedInfluxd> {
  const binary = opts.binary ?? findInfluxd();
  if (!binary) throw new Error('influxd is not installed (Debian: apt-get install -y influxdb)');
  const fixedPort = opts.port ? opts.port : undefined;
  // First an influxd a dead gridpulse left on this directory: it may hold the port asked for.
  await takeOverDataDir(resolve(opts.dataDir), join(resolve(opts.dataDir), 'influxdb.conf'));
  if (fixedPort !== undefined && !(await portIsFree(fixedPort))) {
    throw new ManagedInfluxdError(`port ${fixedPort} on 127.0.0.1 is already in use, so a managed influxd cannot listen there: point INFLUX_URL at the server that holds it, or choose another influx.managedPort (GRIDPULSE_INFLUX_MANAGED_PORT; 0 picks a free one)`, true);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, resolve(opts.dataDir), fixedPort ?? (await freePort()), opts.startTimeoutMs ?? 30_000);
    } catch (err) {
      if (!(err instanceof ManagedInfluxdError && err.portInUse) || attempt >= 5) throw err;
    }
  }
}

async function startOnce(binary: string, dataDir: string, port: number, startTimeoutMs: number): Promise<ManagedInfluxd> {
  const rpcPort = await freePort();
  mkdirSync(dataDir, { recursive: true });
  const conf = join(dataDir, 'influxdb.conf');
  writeFileSync(conf, [
    'reporting-disabled = true',
    `bind-address = "127.0.0.1:${rpcPort}"`,
    '[meta]', `  dir = "${join(dataDir, 'meta')}"`,
    '[data]', `  dir = "${join(dataDir, 'data')}"`, `  wal-dir = "${join(dataDir, 'wal')}"`,
    '  query-log-enabled = false', '  max-series-per-database = 0', '  max-values-per-tag = 0',
    '[monitor]', '  store-enabled = false',
    '[http]', `  bind-address = "127.0.0.1:${port}"`, '  log-enabled = false', '  max-body-size = 0',
    '[continuous_queries]', '  enabled = false',
  ].join('\n'));
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const logPath = join(dataDir, 'influxd.log');
  const launch = async () => {
    const log = createWriteStream(logPath, { flags: 'a' });
    const c = spawn(binary, ['-config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (c.pid !== undefined) writeFileSync(join(dataDir, PID_FILE), JSON.stringify({ pid: c.pid, owner: process.pid, config: conf } satisfies PidRecord));
    let tail = '';
    for (const out of [c.stdout!, c.stderr!]) {
      out.pipe(log);
      out.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-4096)));
    }
    child = c;
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (c.exitCode !== null) {
        const inUse = /address already in use/.test(tail);
        throw new ManagedInfluxdError(`influxd exited with code ${c.exitCode}${inUse ? ' (a port it was given was taken before it could bind)' : ''}; see ${logPath}`, inUse);
      }
      try {
        const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
        // A 204 counts only while our child runs: it may be another server that won the port.
        if (res.status === 204 && c.exitCode === null) return;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    c.kill('SIGKILL');
    throw new ManagedInfluxdError(`influxd did not answer /ping on ${url} within ${startTimeoutMs} ms; see ${logPath}`);
  };

  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((res) => {
      c.once('exit', () => res());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
    });
    rmSync(join(dataDir, PID_FILE), { force: true });
  };

  await launch();
  return { url, port, dataDir, get pid() { return child?.exitCode === null ? child.pid : undefined; }, stop: kill, kill, restart: launch };
}

/** `<dataDir>/influxd.pid`: the influxd we started there and the process that started it. */
const PID_FILE = 'influxd.pid';
interface PidRecord { pid: number; owner: number; config: string }

/** Running (a zombie, exited but not yet reaped by whoever adopted it, is not). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true;
  }
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Linux: argv of a process, or undefined when it is gone or /proc is absent. */
function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    // Field 4 of /proc/<pid>/stat, after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

const runsConfig = (argv: string[] | undefined, conf: string) => argv !== undefined && /influxd$/.test(argv[0] ?? '') && argv.includes(conf);

/**
 * Never two influxd on one data directory: an influxd left running there by a dead owner (gridpulse
 * killed with -9) is stopped; one whose owner still runs (this process, or another gridpulse) is a
 * clear refusal. Found by the pid file and, on Linux, by its command line.
 */
async function takeOverDataDir(dataDir: string, conf: string): Promise<void> {
  let rec: PidRecord | undefined;
  try {
    rec = JSON.parse(readFileSync(join(dataDir, PID_FILE), 'utf8')) as PidRecord;
  } catch { /* none, or unreadable: the /proc scan below still finds it */ }
  const found = new Set<number>();
  const procs = (() => {
    try {
      return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
    } catch {
      return undefined;
    }
  })();
  if (procs) {
    for (const pid of procs) if (runsConfig(cmdline(pid), conf)) found.add(pid);
  } else if (rec && isAlive(rec.pid)) {
    found.add(rec.pid); // no /proc: trust the pid file
  }
  for (const pid of found) {
    const owner = parentOf(pid) ?? rec?.owner;
    if (owner !== undefined && (owner === process.pid || (owner === rec?.owner && isAlive(owner)))) {
      throw new ManagedInfluxdError(`process ${owner} already runs an influxd on ${dataDir} (pid ${pid}); a second one would damage its data: stop that gridpulse first, or use another data directory`);
    }
    process.kill(pid, 'SIGTERM');
    if (!(await waitUntil(() => !isAlive(pid), 10_000))) {
      process.kill(pid, 'SIGKILL');
      if (!(await waitUntil(() => !isAlive(pid), 5_000))) throw new ManagedInfluxdError(`the influxd left running on ${dataDir} (pid ${pid}) does not stop; stop it, then start again`);
    }
    // Then reaped by whoever adopted it: only then are all its threads, and its ports, gone.
    await waitUntil(() => !exists(pid), 5_000);
  }
  rmSync(join(dataDir, PID_FILE), { force: true });
}
