import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { GENERATED, render } from '../../grafana/src/build.js';
import { ROOT, allPanels, byUid, dashboards, datasourcesFile, influxUid, promUid, read, variableRefs, type Dashboard, type Panel } from '../support/grafana.js';

/**
 * The dashboards checked statically: against Grafana's published types (@grafana/schema, the version
 * docker-compose.yml runs) turned into JSON Schema, panel by panel with each plugin's own Options and
 * FieldConfig; every datasource provisioned; every variable defined and used; every link landing on a
 * dashboard that has the variables it sets. The queries themselves run in grafana.test.ts.
 */

const providersFile = parseYaml(read('grafana/provisioning/dashboards/dashboards.yaml')) as { apiVersion: number; providers: { name: string; type: string; options: { path: string } }[] };
const list = Object.entries(dashboards);
const panelsOf = (d: Dashboard) => allPanels(d.panels).filter((p) => p.type !== 'row');

describe('Grafana provisioning', () => {
  it('provisions an InfluxQL datasource on database gridpulse and a Prometheus datasource, with unique uids', () => {
    expect(datasourcesFile.apiVersion).toBe(1);
    const influx = datasourcesFile.datasources.filter((d) => d.type === 'influxdb');
    expect(influx).toHaveLength(1);
    expect(influx[0]!.jsonData).toMatchObject({ version: 'InfluxQL', dbName: 'gridpulse', httpHeaderName1: 'Authorization' });
    expect(datasourcesFile.datasources.filter((d) => d.type === 'prometheus')).toHaveLength(1);
    const uids = datasourcesFile.datasources.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(providersFile.providers.map((p) => p.options.path)).toContain('/var/lib/grafana/dashboards');
  });

  it('has the five dashboards, the generated ones exactly as grafana/src builds them', () => {
    expect(list.map(([, d]) => d.uid).sort()).toEqual(['gridpulse-chain', 'gridpulse-city', 'gridpulse-county', 'gridpulse-enterprise', 'gridpulse-pipeline-health']);
    for (const [file, make] of Object.entries(GENERATED)) expect(read(join('grafana/dashboards', file)), `${file} is stale: npm run grafana:build`).toBe(render(make()));
  });
});

describe('dashboards against Grafana\'s published schema (@grafana/schema)', () => {
  const TYPES = ['GridPulseDashboard', 'InfluxQuery', 'PromQuery', 'TimeSeriesOptions', 'TimeSeriesFieldConfig', 'TableOptions', 'TableFieldConfig', 'StatOptions', 'StatusHistoryOptions', 'StatusHistoryFieldConfig'] as const;
  const v = {} as Record<(typeof TYPES)[number], ValidateFunction>;
  const PANEL_TYPES: Record<string, [options: (typeof TYPES)[number], custom?: (typeof TYPES)[number]]> = {
    timeseries: ['TimeSeriesOptions', 'TimeSeriesFieldConfig'], table: ['TableOptions', 'TableFieldConfig'], stat: ['StatOptions'],
    'status-history': ['StatusHistoryOptions', 'StatusHistoryFieldConfig'],
  };
  beforeAll(() => {
    // The published TypeScript types as JSON Schema; unknown keys are errors (additionalProperties: false).
    const gen = createGenerator({ path: join(ROOT, 'grafana/src/schema-entry.ts'), tsconfig: join(ROOT, 'tsconfig.json'), skipTypeCheck: true, additionalProperties: false, expose: 'export', topRef: false });
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const t of TYPES) v[t] = ajv.compile(gen.createSchema(t));
  }, 60_000);
  const errors = (f: ValidateFunction, x: unknown, where: string): string[] =>
    f(x) ? [] : (f.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);

  function check(d: Dashboard): string[] {
    const out = errors(v.GridPulseDashboard, d, d.uid);
    for (const p of panelsOf(d)) {
      const kinds = PANEL_TYPES[p.type];
      if (!kinds) { out.push(`${d.uid} / ${p.title}: panel type ${p.type} has no schema here`); continue; }
      out.push(...errors(v[kinds[0]], p.options ?? {}, `${d.uid} / ${p.title} options`));
      if (kinds[1]) out.push(...errors(v[kinds[1]], p.fieldConfig?.defaults.custom ?? {}, `${d.uid} / ${p.title} fieldConfig.defaults.custom`));
      for (const t of p.targets ?? []) out.push(...errors(t.datasource?.uid === promUid ? v.PromQuery : v.InfluxQuery, t, `${d.uid} / ${p.title} / ${t.refId}`));
    }
    return out;
  }

  for (const [file, d] of list) it(`${file} is a valid Grafana dashboard, panels, options and queries`, () => expect(check(d)).toEqual([]));

  it('rejects what Grafana would not understand (the check is real)', () => {
    const d = structuredClone(byUid('gridpulse-city'));
    const ts = d.panels.find((p) => p.type === 'timeseries')!;
    (ts.options!.legend as Record<string, unknown>).displayMode = 'tabel';
    (ts as unknown as Record<string, unknown>).gridpos = ts.gridPos;
    (d.templating.list[0] as unknown as Record<string, unknown>).refresh = 'often';
    (ts.targets![0] as unknown as Record<string, unknown>).resultFormat = 'csv';
    const found = check(d).join('\n');
    for (const bad of ['legend/displayMode', 'gridpos', 'templating/list/0/refresh', 'resultFormat']) expect(found).toContain(bad);
  });
});

describe('datasources, variables, links and layout', () => {
  const known = new Set(datasourcesFile.datasources.map((d) => d.uid));

  for (const [file, d] of list) {
    it(`${file}: every panel, query, variable and annotation uses a provisioned datasource`, () => {
      const used: string[] = [];
      for (const p of panelsOf(d)) {
        expect(p.datasource?.uid, p.title).toBeDefined();
        expect(p.targets?.length, `${p.title} has no query`).toBeGreaterThan(0);
        used.push(p.datasource!.uid!, ...p.targets!.map((t) => t.datasource?.uid ?? p.datasource!.uid!));
        expect(new Set(p.targets!.map((t) => t.datasource?.uid ?? p.datasource!.uid)), `${p.title}: one datasource per panel`).toEqual(new Set([p.datasource!.uid]));
      }
      for (const x of d.templating.list) if (x.datasource) used.push(x.datasource.uid!);
      for (const a of d.annotations.list) if (!a.builtIn) used.push(a.datasource!.uid!, a.target!.datasource!.uid!);
      for (const uid of used) expect(known, `unknown datasource uid ${uid}`).toContain(uid);
      expect(used).toContain(d.uid === 'gridpulse-pipeline-health' ? promUid : influxUid);
    });

    it(`${file}: every variable referred to is defined, every one defined is used`, () => {
      const defined = d.templating.list.map((x) => x.name);
      const uses = new Map<string, string[]>();
      const add = (text: string | undefined, where: string) => { for (const n of variableRefs(text ?? '')) uses.set(n, [...(uses.get(n) ?? []), where]); };
      for (const x of d.templating.list) add(x.query, `variable ${x.name}`);
      for (const a of d.annotations.list) add(a.target?.query, `annotation ${a.name}`);
      for (const p of allPanels(d.panels)) {
        add(p.title, p.title);
        for (const t of p.targets ?? []) add(t.query ?? t.expr, p.title);
        // Data links name variables of the dashboard they open (var-x=…), which are checked below.
        for (const l of p.fieldConfig?.defaults.links ?? []) add(l.url.replace(/var-\w+=/g, ''), `${p.title} link`);
      }
      for (const [name, where] of uses) expect(defined, `$${name} used in ${where.join(', ')} is not defined`).toContain(name);
      for (const name of defined) {
        const elsewhere = (uses.get(name) ?? []).filter((w) => w !== `variable ${name}`);
        expect(elsewhere.length, `$${name} is defined but never used`).toBeGreaterThan(0);
      }
    });

    it(`${file}: links open GridPulse dashboards with variables they define, keeping time and variables`, () => {
      for (const l of d.links.filter((x) => x.type === 'link')) {
        const uid = /^\/d\/([\w-]+)$/.exec(l.url ?? '')?.[1];
        expect(uid && byUid(uid), `${l.title}: ${l.url}`).toBeTruthy();
        expect(l).toMatchObject({ includeVars: true, keepTime: true });
      }
      for (const p of panelsOf(d)) {
        for (const l of p.fieldConfig?.defaults.links ?? []) {
          const m = /^\/d\/([\w-]+)\?(.*)$/.exec(l.url);
          expect(m, `${p.title}: ${l.url}`).toBeTruthy();
          const target = byUid(m![1]!);
          expect(target, l.url).toBeTruthy();
          expect(m![2]).toContain('${__url_time_range}');
          for (const [, name] of m![2]!.matchAll(/var-(\w+)=/g)) expect(target.templating.list.map((x) => x.name), `${l.url} sets $${name}`).toContain(name);
        }
      }
    });

    it(`${file}: panels have unique ids, a unit, a description and fit the 24-column grid without overlapping`, () => {
      const ps = allPanels(d.panels);
      expect(new Set(ps.map((p) => p.id)).size).toBe(ps.length);
      const cells = new Map<string, string>();
      for (const p of ps) {
        const { x, y, w, h } = p.gridPos;
        expect(x + w, p.title).toBeLessThanOrEqual(24);
        for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
          expect(cells.get(`${i},${j}`), `${p.title} overlaps`).toBeUndefined();
          cells.set(`${i},${j}`, p.title);
        }
        if (p.type === 'row') continue;
        expect(p.description, p.title).toBeTruthy();
        expect(p.fieldConfig?.defaults.unit, `${p.title} has no unit`).toBeTruthy();
      }
    });
  }

  it('titles every panel in Chinese and English', () => {
    for (const [, d] of list) {
      for (const p of panelsOf(d)) expect(p.title, d.uid).toMatch(/[\u4e00-\u9fff].*·.*[A-Za-z]/);
    }
  });
});
