import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const CLI = join(process.cwd(), 'dist/src/cli/main.js');

export interface SpawnedGridpulse {
  child: ChildProcess;
  ports: { mqtt: number; http: number };
  /** Everything the process wrote to stdout (pino JSON lines) so far. */
  log(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * `gridpulse start` as a child process with the MQTT and HTTP listeners on port 0, so that no
 * test can lose a race for a port picked in advance; the ports come from its "gridpulse started"
 * log line. Fails at once, with the process's stderr, when it exits before starting.
 */
export async function spawnGridpulse(env: Record<string, string>, timeoutMs = 40_000, args: string[] = []): Promise<SpawnedGridpulse> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it first)`);
  const child = spawn(process.execPath, [CLI, 'start', ...args], {
    env: {
      ...process.env, GRIDPULSE_MQTT_HOST: '127.0.0.1', GRIDPULSE_HTTP_HOST: '127.0.0.1', GRIDPULSE_MQTT_WS_PORT: 'off',
      ...env, GRIDPULSE_MQTT_PORT: '0', GRIDPULSE_HTTP_PORT: '0', GRIDPULSE_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b;
    process.stderr.write(b);
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const started = new Promise<{ mqtt: number; http: number }>((res) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log += line + '\n';
      if (!line.includes('"gridpulse started"')) return;
      const { mqtt, http } = JSON.parse(line) as { mqtt: number; http: number };
      res({ mqtt, http });
    });
  });
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, rej) => {
    void exited.then((code) => rej(new Error(`gridpulse start exited with code ${code} before it started: ${stderr.trim() || '(no stderr)'}`)));
    timer = setTimeout(() => rej(new Error(`gridpulse start did not log "gridpulse started" within ${timeoutMs} ms`)), timeoutMs);
  });
  failed.catch(() => undefined); // settles after a successful start too; only the race reads it
  let ports: { mqtt: number; http: number };
  try {
    ports = await Promise.race([started, failed]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return {
    child,
    ports,
    log: () => log,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
