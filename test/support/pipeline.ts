import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger } from '../../src/log.js';
import { startPipeline, type Pipeline } from '../../src/pipeline/index.js';
import { hashPassword, saveRegistry, type RegistryFileInput } from '../../src/registry/index.js';
import { createInfluxClient, type InfluxClient } from '../../src/storage/influx.js';

export interface TestCity {
  registry: RegistryFileInput;
  /** gateway id → password */
  passwords: Record<string, string>;
  /** gateway id → its meter ids */
  meters: Record<string, string[]>;
}

/** A small registry: `gateways` gateways of `metersPerGateway` meters, one enterprise per gateway. */
export function makeCity(gateways: number, metersPerGateway: number, opts: { ct?: number } = {}): TestCity {
  const counties = ['nanhu', 'xiuzhou', 'jiashan', 'haiyan', 'haining', 'pinghu', 'tongxiang'];
  const chains = ['nev_parts', 'fasteners', 'photovoltaics'];
  const city: TestCity = { registry: { version: 1, enterprises: [], gateways: [], meters: [] }, passwords: {}, meters: {} };
  // One hash for all: scrypt per gateway would dominate test set-up time.
  const password = 'test-password-1';
  const hash = hashPassword(password, { N: 1024 });
  for (let g = 0; g < gateways; g++) {
    const gw = `gw${String(g).padStart(4, '0')}`;
    const ent = `ent${String(g).padStart(4, '0')}`;
    city.registry.enterprises!.push({ id: ent, name: `Enterprise ${g}`, county: counties[g % counties.length]!, chains: [chains[g % chains.length]!] });
    city.registry.gateways!.push({ id: gw, passwordHash: hash, enterprise: ent });
    city.passwords[gw] = password;
    city.meters[gw] = [];
    for (let m = 0; m < metersPerGateway; m++) {
      const id = `m${String(g).padStart(4, '0')}${String(m).padStart(3, '0')}`;
      city.registry.meters!.push({ id, enterprise: ent, gateway: gw, ctMultiplier: opts.ct ?? 1 });
      city.meters[gw]!.push(id);
    }
  }
  return city;
}

export function tempDir(prefix = 'gridpulse-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function uniqueDb(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/** The test run's InfluxDB (see global-setup.ts), as a client on a fresh database. */
export function testInflux(db = uniqueDb(), url?: string): { client: InfluxClient; db: string; url: string; apiVersion: 'v1' | 'v2'; token?: string } {
  const i = inject('influx');
  const target = { url: url ?? i.url, apiVersion: url ? 'v1' as const : i.apiVersion, token: url ? undefined : i.token, org: i.org, bucket: db, timeoutMs: 10_000 };
  return { client: createInfluxClient(target), db, url: target.url, apiVersion: target.apiVersion, token: target.token };
}

export interface TestPipeline {
  pipeline: Pipeline;
  dataDir: string;
  mqttUrl: string;
  httpUrl: string;
  config: Config;
  stop(): Promise<void>;
}

/** The real pipeline, in process, on free ports, with its data in a temporary folder. */
export async function startTestPipeline(opts: {
  city: TestCity;
  influx?: { url: string; db: string; apiVersion?: 'v1' | 'v2'; token?: string } | 'none';
  dataDir?: string;
  overrides?: Record<string, unknown>;
  env?: Record<string, string>;
}): Promise<TestPipeline> {
  const dataDir = opts.dataDir ?? tempDir();
  const registryFile = join(dataDir, 'registry.json');
  saveRegistry(registryFile, opts.city.registry);
  const influx = opts.influx === 'none' ? undefined : opts.influx;
  const config = loadConfig({
    env: { GRIDPULSE_INFLUX_MANAGE: 'never', ...opts.env },
    overrides: {
      dataDir, registryFile,
      'mqtt.host': '127.0.0.1', 'mqtt.port': 0, 'mqtt.wsPort': 'off', 'http.host': '127.0.0.1', 'http.port': 0,
      'http.token': 'test-token-0123456789',
      'influx.url': influx?.url, 'influx.bucket': influx?.db, 'influx.apiVersion': influx?.apiVersion, 'influx.token': influx?.token,
      'spool.commitDelayMs': 0, logLevel: process.env.GRIDPULSE_TEST_LOG ?? 'silent',
      ...opts.overrides,
    },
  });
  const pipeline = await startPipeline(config, createLogger(config.logLevel));
  return {
    pipeline, dataDir, config,
    mqttUrl: `mqtt://127.0.0.1:${pipeline.ports.mqtt}`,
    httpUrl: `http://127.0.0.1:${pipeline.ports.http}`,
    async stop() {
      await pipeline.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export async function countPoints(client: InfluxClient, where = ''): Promise<number> {
  const rows = await client.query(`SELECT count(energy_kwh) FROM reading ${where}`);
  return Number(rows[0]?.count ?? 0);
}
