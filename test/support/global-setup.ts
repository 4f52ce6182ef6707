import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { findInfluxd, startManagedInfluxd } from '../../src/storage/managed-influxd.js';

declare module 'vitest' {
  export interface ProvidedContext {
    influx: { url: string; apiVersion: 'v1' | 'v2'; token?: string; org: string; kind: string };
  }
}

function dockerEngine(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * One real InfluxDB for the whole run: an InfluxDB 2.x container through testcontainers where a
 * Docker engine answers (so the v2 path is exercised there), else a local influxd 1.x on a free
 * loopback port with a temporary data folder. With neither, the run fails and says what to install.
 */
export default async function setup(project: TestProject) {
  if (dockerEngine() && process.env.GRIDPULSE_TEST_INFLUX !== 'local') {
    const { GenericContainer, Wait } = await import('testcontainers');
    const token = 'gridpulse-test-token-0123456789';
    const c = await new GenericContainer('influxdb:2.7')
      .withEnvironment({
        DOCKER_INFLUXDB_INIT_MODE: 'setup', DOCKER_INFLUXDB_INIT_USERNAME: 'gridpulse', DOCKER_INFLUXDB_INIT_PASSWORD: 'gridpulse-test',
        DOCKER_INFLUXDB_INIT_ORG: 'gridpulse', DOCKER_INFLUXDB_INIT_BUCKET: 'gridpulse', DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: token,
      })
      .withExposedPorts(8086)
      .withWaitStrategy(Wait.forHttp('/ping', 8086).forStatusCode(204))
      .start();
    project.provide('influx', { url: `http://${c.getHost()}:${c.getMappedPort(8086)}`, apiVersion: 'v2', token, org: 'gridpulse', kind: 'influxdb:2.7 (testcontainers)' });
    return async () => void (await c.stop());
  }
  if (!findInfluxd()) {
    throw new Error('The integration tests need a real InfluxDB: install Debian\'s influxdb package (apt-get install -y influxdb) or run a Docker engine for testcontainers. Not skipping.');
  }
  const dir = mkdtempSync(join(tmpdir(), 'gridpulse-influx-'));
  const influxd = await startManagedInfluxd({ dataDir: dir });
  project.provide('influx', { url: influxd.url, apiVersion: 'v1', org: 'gridpulse', kind: 'influxd 1.x (local)' });
  return async () => {
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
