import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
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

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export async function startManagedInfluxd(opts: { dataDir: string; port?: number; binary?: string; startTimeoutMs?: number }): Promise<ManagedInfluxd> {
  const binary = opts.binary ?? findInfluxd();
  if (!binary) throw new Error('influxd is not installed (Debian: apt-get install -y influxdb)');
  const dataDir = resolve(opts.dataDir);
  const port = opts.port ?? (await freePort());
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

  const launch = async () => {
    const log = createWriteStream(join(dataDir, 'influxd.log'), { flags: 'a' });
    const c = spawn(binary, ['-config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.pipe(log);
    c.stderr!.pipe(log);
    child = c;
    const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (c.exitCode !== null) throw new Error(`influxd exited with code ${c.exitCode}; see ${join(dataDir, 'influxd.log')}`);
      try {
        const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
        if (res.status === 204) return;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    c.kill('SIGKILL');
    throw new Error(`influxd did not answer /ping on ${url} within ${opts.startTimeoutMs ?? 30_000} ms; see ${join(dataDir, 'influxd.log')}`);
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
  };

  await launch();
  return { url, port, dataDir, stop: kill, kill, restart: launch };
}
