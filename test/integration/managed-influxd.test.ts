import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, startManagedInfluxd, type ManagedInfluxd } from '../../src/storage/managed-influxd.js';
import { tempDir, waitFor } from '../support/pipeline.js';

/** Running, and not a zombie waiting for whoever adopted it to reap it. */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
};

/** The influxd processes started with this data directory's config, by their command line. */
function influxdsOn(dir: string): number[] {
  const conf = join(dir, 'influxdb.conf');
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(conf) && alive(pid);
    } catch {
      return false;
    }
  });
}

describe('managed influxd: one per data directory, never orphaned for good', () => {
  it('stops the influxd a kill -9ed owner left behind before starting its own, and refuses a second one while the owner lives', async () => {
    const dir = tempDir('gridpulse-influxd-');
    // A fixed port, as `gridpulse start` uses by default (8086): the orphan holds it.
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test/support/influxd-child.ts'), dir, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const first = await new Promise<{ url: string }>((res, rej) => {
      createInterface({ input: child.stdout! }).once('line', (l) => res(JSON.parse(l) as { url: string }));
      child.once('exit', (code) => rej(new Error(`influxd child exited with ${code}`)));
    });
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    // The owner is dead; its influxd is an orphan, still answering.
    const orphans = influxdsOn(dir);
    expect(orphans).toHaveLength(1);
    const orphan = orphans[0]!;
    expect((await fetch(`${first.url}/ping`)).status).toBe(204);

    let second: ManagedInfluxd | undefined;
    try {
      second = await startManagedInfluxd({ dataDir: dir, port });
      expect(second.url).toBe(first.url);
      await waitFor(async () => !alive(orphan), 15_000, 'the orphaned influxd to be gone');
      expect(influxdsOn(dir)).toEqual([second.pid]);
      expect((await fetch(`${second.url}/ping`)).status).toBe(204);
      expect(second.pid).toBeDefined();
      // A live owner (this process) keeps its influxd; a second start on the directory is refused.
      await expect(startManagedInfluxd({ dataDir: dir, port: 0 })).rejects.toThrow(/already runs an influxd on .*(pid \d+)/);
      expect(influxdsOn(dir)).toEqual([second.pid]);
    } finally {
      await second?.stop();
      for (const pid of influxdsOn(dir)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
