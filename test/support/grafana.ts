import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * The Grafana files as the dashboard tests read them, and the way Grafana's InfluxDB datasource
 * turns a raw InfluxQL query into the request it sends (variables, $timeFilter, $__interval).
 */
export const ROOT = join(import.meta.dirname, '..', '..');
export const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

export interface DsRef { type?: string; uid?: string }
export interface Target { refId: string; datasource?: DsRef; query?: string; rawQuery?: boolean; resultFormat?: string; alias?: string; expr?: string; legendFormat?: string }
export interface FieldLink { title: string; url: string }
export interface Panel {
  id: number; type: string; title: string; description?: string; datasource?: DsRef; targets?: Target[]; interval?: string; panels?: Panel[];
  gridPos: { x: number; y: number; w: number; h: number }; options?: Record<string, unknown>;
  fieldConfig?: { defaults: { unit?: string; custom?: Record<string, unknown>; links?: FieldLink[]; thresholds?: { steps: { color: string; value: number | null }[] } }; overrides: unknown[] };
}
export interface Variable { type: string; name: string; label?: string; datasource?: DsRef; query?: string; includeAll?: boolean; multi?: boolean; allValue?: string; hide?: number }
export interface Annotation { name: string; datasource?: DsRef; target?: Target & { titleColumn?: string; textColumn?: string; tagsColumn?: string }; builtIn?: number }
export interface DashLink { title: string; type: string; url?: string; includeVars?: boolean; keepTime?: boolean }
export interface Dashboard {
  uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: Variable[] }; annotations: { list: Annotation[] }; links: DashLink[];
}

export const DASHBOARD_DIR = 'grafana/dashboards';
export const dashboardFiles = (): string[] => readdirSync(join(ROOT, DASHBOARD_DIR)).filter((f) => f.endsWith('.json')).sort();
export const dashboards: Record<string, Dashboard> = Object.fromEntries(dashboardFiles().map((f) => [f, JSON.parse(read(join(DASHBOARD_DIR, f))) as Dashboard]));
export const byUid = (uid: string): Dashboard => Object.values(dashboards).find((d) => d.uid === uid)!;

export interface Datasource { name: string; uid: string; type: string; url: string; jsonData?: Record<string, unknown> }
export const datasourcesFile = parseYaml(read('grafana/provisioning/datasources/datasources.yaml')) as { apiVersion: number; datasources: Datasource[] };
export const influxUid = datasourcesFile.datasources.find((d) => d.type === 'influxdb')!.uid;
export const promUid = datasourcesFile.datasources.find((d) => d.type === 'prometheus')!.uid;

export const allPanels = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

// ----------------------------------------------------------------- Grafana's interpolation

const INTERVALS: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
export function parseInterval(s: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(s);
  if (!m) throw new Error(`not a Grafana interval: ${s}`);
  return Number(m[1]) * INTERVALS.find(([u]) => u === m[2])![1];
}
/** The way Grafana's kbn.secondsToHms names an interval: 15m, 1h, 30s. */
export function formatInterval(ms: number): string {
  for (const [u, n] of INTERVALS) if (ms % n === 0 && ms >= n) return `${ms / n}${u}`;
  return `${ms}ms`;
}
/** Grafana's regex escaping for a variable value used inside /…/ (lodash escapeRegExp + '/'). */
const escapeRegex = (v: string) => v.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

export type VarValue = { all: true } | { values: string[] };
export interface Scope { vars: Record<string, VarValue>; fromMs: number; toMs: number; intervalMs: number; options?: Record<string, string[]> }

/**
 * What Grafana's InfluxDB datasource sends for a raw InfluxQL query: `$timeFilter` becomes
 * `time >= <from>ms and time <= <to>ms`, `$__interval` the interval (`15m`), `$__interval_ms` its
 * milliseconds; a variable inside a regex becomes its escaped value, `(a|b)` for several; "All" is the
 * variable's allValue or, without one, every value it offers; outside a regex (inside quotes) the raw value.
 */
export function interpolate(q: string, s: Scope, defs: Variable[]): string {
  let out = q
    .replaceAll('$timeFilter', `time >= ${s.fromMs}ms and time <= ${s.toMs}ms`)
    .replaceAll('$__interval_ms', String(s.intervalMs))
    .replaceAll('$__interval', formatInterval(s.intervalMs));
  const names = Object.keys(s.vars).sort((a, b) => b.length - a.length);
  for (const name of names) {
    const v = s.vars[name]!;
    const def = defs.find((d) => d.name === name);
    out = out.replace(new RegExp(`(/\\^)?\\$${name}(?![A-Za-z0-9_])`, 'g'), (_m, inRegex: string | undefined) => {
      const prefix = inRegex ?? '';
      let values: string[];
      if ('all' in v) {
        if (def?.allValue) return prefix + def.allValue;
        values = s.options?.[name] ?? [];
        if (values.length === 0) throw new Error(`$${name} is All without allValue and has no options`);
      } else values = v.values;
      if (!inRegex) return values[0]!;
      return prefix + (values.length === 1 ? escapeRegex(values[0]!) : `(${values.map(escapeRegex).join('|')})`);
    });
  }
  const left = /\$(?!\/)[A-Za-z_]\w*/.exec(out);
  if (left) throw new Error(`uninterpolated ${left[0]} in ${out}`);
  return out;
}

/** Built-in names Grafana substitutes itself (query macros, alias patterns, data-link fields). */
export const BUILT_IN = /^(timeFilter|__\w+|tag_\w+|col|m|measurement)$/;
/** Every variable a string refers to: $name, ${name} and ${name:format}. */
export function variableRefs(text: string): string[] {
  return [...text.matchAll(/\$\{?([A-Za-z_]\w*)/g)].map((m) => m[1]!).filter((n) => !BUILT_IN.test(n));
}

// ------------------------------------------------------------------- InfluxQL over HTTP

export type Row = Record<string, unknown>;
/**
 * The request Grafana's InfluxDB datasource sends in InfluxQL mode with `httpMode: POST`:
 * POST /query?db=…&epoch=ms with the query in a form body and the datasource's Authorization
 * header (`Token …`, what a 2.x token needs; 1.x without auth ignores it). Rows as objects, tags included.
 */
export async function influxQuery(target: { url: string; db: string; token?: string | undefined }, q: string): Promise<Row[]> {
  const ds = datasourcesFile.datasources.find((d) => d.uid === influxUid)!;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (target.token) headers[String(ds.jsonData!.httpHeaderName1)] = `Token ${target.token}`;
  const res = await fetch(new URL(`/query?${new URLSearchParams({ db: target.db, epoch: 'ms' })}`, target.url), { method: 'POST', headers, body: new URLSearchParams({ q }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${text}`);
  const body = JSON.parse(text) as { results: { error?: string; series?: { tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[] };
  const rows: Row[] = [];
  for (const r of body.results) {
    if (r.error) throw new Error(`InfluxQL error: ${r.error}`);
    for (const series of r.series ?? []) for (const v of series.values) rows.push({ ...series.tags, ...Object.fromEntries(series.columns.map((c, i) => [c, v[i]])) });
  }
  return rows;
}
