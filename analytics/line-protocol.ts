import type { Alert, ExpectedPoint, IndexPoint } from './types.js';

/**
 * InfluxDB line protocol for the analyzer's outputs (docs/analytics.md):
 * - `production_index,entity=…,resolution=hour|day,scope=chain|county index=…,actual_kwh=…,expected_kwh=… <s>`
 * - `alert,kind=…,scope=…,entity=…,status=… id="…",title="…",text="…",drop_pct=…,baseline_kwh=…,actual_kwh=… <s>`
 *   one point per lifecycle change, at the alert's `since` (Grafana annotations read title/text/tags).
 * - `enterprise_expected,chain=…,county=…,enterprise=…[,stage=…] actual_kwh=…,expected_kwh=… <s>` one point per
 *   enterprise and interval (its start), what the detector compared (docs/grafana.md).
 * Point identity is measurement + tags + time, so re-writing an index point after a late correction overwrites it.
 */
export const INDEX_MEASUREMENT = 'production_index';
export const ALERT_MEASUREMENT = 'alert';
export const EXPECTED_MEASUREMENT = 'enterprise_expected';

function tag(v: string): string {
  return /[ ,=\\]/.test(v) ? v.replace(/[\\ ,=]/g, (c) => `\\${c}`) : v;
}
function str(v: string): string {
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
function num(v: number): string {
  return Number.isFinite(v) ? `${Math.round(v * 1000) / 1000}` : '0';
}

export function indexPointToLine(p: IndexPoint): string {
  return `${INDEX_MEASUREMENT},entity=${tag(p.entity)},resolution=${p.resolution},scope=${p.scope} index=${num(p.index)},actual_kwh=${num(p.actualKwh)},expected_kwh=${num(p.expectedKwh)} ${Math.floor(p.ts / 1000)}`;
}

/** Where an enterprise sits, from the registry: chain is its first (`none` without one); stage omitted when unknown. */
export interface EnterpriseTags {
  county: string;
  chain?: string;
  stage?: string;
}

export function expectedPointToLine(p: ExpectedPoint, t: EnterpriseTags): string {
  return `${EXPECTED_MEASUREMENT},chain=${tag(t.chain || 'none')},county=${tag(t.county)},enterprise=${tag(p.enterprise)}${t.stage ? `,stage=${tag(t.stage)}` : ''} actual_kwh=${num(p.actualKwh)},expected_kwh=${num(p.expectedKwh)} ${Math.floor(p.ts / 1000)}`;
}

export function alertToLine(a: Alert): string {
  const who = a.contributors.slice(0, 5).map((c) => `${c.enterprise} ${Math.round(c.share * 100)}%`).join(', ');
  const title = `${a.kind} ${a.scope} ${a.entity}`;
  const text = `${a.status}: ${a.dropPct}% below baseline (${num(a.actualKwh)} of ${num(a.baselineKwh)} kWh)${who ? `; contributors: ${who}` : ''}`;
  return `${ALERT_MEASUREMENT},entity=${tag(a.entity)},kind=${a.kind},scope=${a.scope},status=${a.status} id=${str(a.id)},title=${str(title)},text=${str(text)},drop_pct=${num(a.dropPct)},baseline_kwh=${num(a.baselineKwh)},actual_kwh=${num(a.actualKwh)},opened_at=${Math.floor(a.openedAt)}i${a.parentId ? `,parent_id=${str(a.parentId)}` : ''} ${Math.floor(a.since / 1000)}`;
}

/** Both kinds of output as line protocol (timestamps in seconds: write with precision=s). */
export function toLineProtocol(points: readonly IndexPoint[], alerts: readonly Alert[] = []): string[] {
  return [...points.map(indexPointToLine), ...alerts.map(alertToLine)];
}
