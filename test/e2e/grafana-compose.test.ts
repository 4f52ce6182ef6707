import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { OPTION_DOCS } from '../../src/config/schema.js';
import { registerSimulate } from '../../simulator/cli.js';
import { ROOT, dashboardFiles, read } from '../support/grafana.js';

/** docker-compose.yml, parsed and checked by a real Compose implementation (no Docker engine here to run it). */

// Compose files use YAML merge keys (<<: *anchor), which YAML 1.2 leaves off by default.
const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService>; volumes?: Record<string, unknown>; secrets?: Record<string, unknown> };
interface ComposeService {
  image?: string; build?: { context?: string; dockerfile?: string } | string; command?: string | string[]; entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null>; ports?: string[]; volumes?: string[]; profiles?: string[];
  healthcheck?: { test: string | string[] }; depends_on?: Record<string, { condition: string }>;
}

describe('docker-compose.yml (parsed; no Docker engine here to run it)', () => {
  const s = compose.services;
  const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(' ') : v ?? '');

  it('names the services, with the simulator behind the "sim" profile', () => {
    expect(Object.keys(s)).toEqual(expect.arrayContaining(['influxdb', 'gridpulse', 'simulator', 'prometheus', 'grafana']));
    expect(s.influxdb!.image).toMatch(/^influxdb:2\.7/);
    expect(s.prometheus!.image).toMatch(/^prom\/prometheus/);
    expect(s.grafana!.image).toMatch(/^grafana\/grafana/);
    expect(s.simulator!.profiles).toContain('sim');
    for (const name of ['influxdb', 'gridpulse', 'prometheus', 'grafana']) expect(s[name]!.profiles, name).toBeUndefined();
  });

  it('builds gridpulse from the Dockerfile, publishes its ports, keeps its data in a volume, and checks /readyz', () => {
    const g = s.gridpulse!;
    expect(typeof g.build === 'string' ? g.build : g.build?.context).toBe('.');
    expect(g.ports!.map((p) => String(p).split(':').at(-1))).toEqual(expect.arrayContaining(['1883', '8083', '8080']));
    expect(g.volumes!.some((v) => v.endsWith(':/app/data'))).toBe(true);
    expect(text(g.healthcheck?.test)).toContain('/readyz');
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-slim/m);
    expect(dockerfile).toContain('npm ci');
    expect(dockerfile).toContain('npm run build');
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/cli\/main\.js", "start"\]$/m);
    expect(readdirSync(join(ROOT, 'src', 'cli'))).toContain('main.ts');
  });

  it('configures gridpulse only with environment variables the config schema knows', () => {
    const known = new Set(OPTION_DOCS.map((o) => o.env));
    for (const svc of ['gridpulse', 'simulator']) {
      for (const key of Object.keys(s[svc]!.environment ?? {})) {
        if (key === 'NODE_ENV' || key.startsWith('SIM_')) continue;
        expect(known, `${svc}: ${key} is not a GridPulse setting`).toContain(key);
      }
    }
    const env = s.gridpulse!.environment!;
    expect(env.INFLUX_URL).toBe('http://influxdb:8086');
    expect(env.INFLUX_API_VERSION).toBe('v2');
    expect(env.INFLUX_BUCKET).toBe(s.influxdb!.environment!.DOCKER_INFLUXDB_INIT_BUCKET);
    expect(env.INFLUX_ORG).toBe(s.influxdb!.environment!.DOCKER_INFLUXDB_INIT_ORG);
    expect(s.gridpulse!.depends_on?.influxdb?.condition).toBe('service_healthy');
  });

  it('runs the simulator with flags `gridpulse simulate` accepts, against the gridpulse broker', () => {
    const cmd = text(s.simulator!.command);
    expect(cmd).toContain('simulate');
    expect(cmd).toContain('--url mqtt://gridpulse:1883');
    const program = new Command();
    registerSimulate(program);
    const simulate = program.commands.find((c) => c.name() === 'simulate')!;
    const flags = new Set(simulate.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[]));
    for (const [flag] of cmd.matchAll(/(?<=\s)--[a-z][a-z-]*/g)) expect(flags, `simulate has no ${flag}`).toContain(flag);
    expect(s.simulator!.depends_on?.gridpulse?.condition).toBe('service_healthy');
  });

  // The schema check of a real Compose implementation, where one is installed (`docker-compose` 1.29
  // from Debian, or the `docker compose` plugin); it needs no engine. Fails, naming the package, where it is missing.
  const composeCli = [['docker-compose'], ['docker', 'compose']].find(([cmd, ...args]) => spawnSync(cmd!, [...args, 'version'], { stdio: 'ignore' }).status === 0);
  it('is a valid Compose file, with and without the "sim" profile (docker compose config)', () => {
    if (!composeCli) throw new Error('no Compose implementation: apt-get install -y --no-install-recommends docker-compose (.ci/run does)');
    for (const profile of [[], ['--profile', 'sim']]) {
      const r = spawnSync(composeCli![0]!, [...composeCli!.slice(1), '-f', join(ROOT, 'docker-compose.yml'), ...profile, 'config', '-q'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
  });

  it('mounts the provisioning, the dashboards and the scrape config where Grafana and Prometheus read them', () => {
    const gv = s.grafana!.volumes!;
    expect(gv).toEqual(expect.arrayContaining(['./grafana/provisioning:/etc/grafana/provisioning:ro', './grafana/dashboards:/var/lib/grafana/dashboards:ro']));
    expect(s.prometheus!.volumes).toContain('./grafana/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    // The datasource file reads these from Grafana's environment.
    const dsText = read('grafana/provisioning/datasources/datasources.yaml');
    for (const [, name] of dsText.matchAll(/^[^#\n]*\$\{(\w+)\}/gm)) expect(Object.keys(s.grafana!.environment ?? {}), `grafana needs ${name}`).toContain(name);
    expect(s.grafana!.environment!.INFLUX_TOKEN).toBe(s.influxdb!.environment!.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
    // The home dashboard is one of the provisioned files, and the image is the version whose schema the dashboards are checked against.
    const home = String(s.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH);
    expect(home.startsWith('/var/lib/grafana/dashboards/')).toBe(true);
    expect(dashboardFiles()).toContain(home.split('/').pop());
    const pinned = JSON.parse(read('package.json')).devDependencies['@grafana/schema'] as string;
    expect(s.grafana!.image).toBe(`grafana/grafana:${pinned}`);
  });
});
