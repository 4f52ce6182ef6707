import type { AlertKind, IncidentLabel } from '../../src/schemas/incident.js';
import type { Alert } from '../types.js';

/**
 * Scoring against ground-truth labels (issue 4's matching rule): the first alert of the right kind and
 * scope on the incident's entity between its start and its end plus a grace period is a hit; later alerts
 * of that kind on that entity within the same window merge into it; every other alert is a false alarm.
 * A second, lenient count also forgives alerts on an entity an incident involves (a chain disruption's
 * contributors, an outage's enterprises) — reported apart, never instead.
 */
export interface ScoreContext {
  intervalMs: number;
  /** Enterprise of each meter and gateway of each meter (to say which alerts concern which incident). */
  meterEnterprise: Map<string, string>;
  meterGateway: Map<string, string>;
  /** Number of meters on incident-free enterprises and the run length, for false alarms per meter-month. */
  runDays: number;
  allMeters: string[];
  graceMs?: number;
}

export interface KindRow {
  kind: string;
  incidents: number;
  hits: number;
  alerts: number;
  falseAlarms: number;
  lenientFalseAlarms: number;
  precision: number;
  recall: number;
  f1: number;
  lenientPrecision: number;
  delayMedian: number;
  delayP90: number;
}

export interface Score {
  rows: KindRow[];
  classificationAccuracy: number;
  classified: number;
  outageClassified: number;
  chainContributorsNamed: number;
  chainRightChain: number;
  falseAlarmsPerMeterMonth: number;
  /** Every unmatched meter or enterprise alert, on any meter (incident or not) ÷ all meters × months. */
  falseAlarmsPerMeterMonthAll: number;
  incidentFreeMeters: number;
  alertsOnHolidays: number;
  alertsOnSpringFestival: number;
  alertsOnPlannedShutdowns: number;
  withdrawn: number;
  /** Enterprise alerts the engine filed under a chain disruption that matched its incident. */
  merged: number;
  misses: Array<{ id: string; kind: string; entity: string; start: string; got: string }>;
  /** Every unmatched alert, with the incident that explains it on the lenient count (if any). */
  falseAlarmList: Array<{ kind: string; entity: string; since: string; opened: string; dropPct: number; status: string; explainedBy: string }>;
}

const GRACE: Partial<Record<string, number>> = { slow_decline: 14 * 86_400_000 };

function scopeOf(kind: AlertKind): Alert['scope'] {
  switch (kind) {
    case 'meter_offline': return 'meter';
    case 'gateway_offline': return 'gateway';
    case 'grid_outage': case 'county_slowdown': return 'county';
    case 'chain_disruption': return 'chain';
    default: return 'enterprise';
  }
}

/** When the alert said what it says now: a cut re-classified as a halt counts from the re-classification. */
function at(a: Alert): number {
  return a.evidence.reclassifiedAt ?? a.openedAt;
}

function q(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const a = [...xs].sort((x, y) => x - y);
  const h = (a.length - 1) * p, lo = Math.floor(h), hi = Math.min(a.length - 1, lo + 1);
  return a[lo]! + (h - lo) * (a[hi]! - a[lo]!);
}

export function scoreRun(labels: IncidentLabel[], alerts: Alert[], ctx: ScoreContext): Score {
  const grace = ctx.graceMs ?? 6 * 3_600_000;
  const positives = labels.filter((l) => l.expected !== 'none');
  const matched = new Set<string>();
  const explained = new Map<string, string>();
  const byKind = new Map<string, KindRow>();
  const delays = new Map<string, number[]>();
  const row = (k: string): KindRow => {
    let r = byKind.get(k);
    if (!r) byKind.set(k, (r = { kind: k, incidents: 0, hits: 0, alerts: 0, falseAlarms: 0, lenientFalseAlarms: 0, precision: 0, recall: 0, f1: 0, lenientPrecision: 0, delayMedian: Number.NaN, delayP90: Number.NaN }));
    return r;
  };
  const sorted = [...alerts].sort((a, b) => a.openedAt - b.openedAt);
  const entOfAlert = (a: Alert): Set<string> => {
    // The enterprises an alert concerns (for the lenient count and for classification).
    if (a.scope === 'enterprise') return new Set([a.entity]);
    if (a.scope === 'meter') return new Set([ctx.meterEnterprise.get(a.entity) ?? '']);
    if (a.scope === 'gateway') return new Set([...ctx.meterGateway].filter(([, g]) => g === a.entity).map(([m]) => ctx.meterEnterprise.get(m)!));
    return new Set(a.contributors.map((c) => c.enterprise));
  };
  let classified = 0, correct = 0, outageOk = 0, outageN = 0;
  const chainNamed: number[] = [];
  let chainRight = 0, chainN = 0;
  const misses: Score['misses'] = [];
  for (const l of positives) {
    const kind = l.expected as AlertKind;
    const r = row(kind);
    r.incidents++;
    const t0 = Date.parse(l.start), t1 = Date.parse(l.end) + (GRACE[kind] ?? grace);
    const entity = l.entities[0] ?? '';
    const scope = scopeOf(kind);
    const inWin = (a: Alert) => at(a) >= t0 && at(a) <= t1;
    const same = sorted.filter((a) => inWin(a) && a.kind === kind && a.scope === scope && a.entity === entity);
    if (same.length > 0) {
      r.hits++;
      for (const a of same) matched.add(a.id);
      let d = delays.get(kind);
      if (!d) delays.set(kind, (d = []));
      d.push((at(same[0]!) - t0) / ctx.intervalMs);
      if (kind === 'chain_disruption') {
        const named = new Set(same.flatMap((a) => a.contributors.map((c) => c.enterprise)));
        chainNamed.push(l.contributors.length ? l.contributors.filter((c) => named.has(c)).length / l.contributors.length : 1);
      }
    }
    // Entities the incident involves: its own entity, its contributors, the meters/gateway's enterprises.
    const involved = new Set<string>([entity, ...l.contributors]);
    if (l.scope === 'meter') involved.add(ctx.meterEnterprise.get(entity) ?? '');
    if (l.scope === 'gateway') for (const [m, g] of ctx.meterGateway) if (g === entity) { involved.add(ctx.meterEnterprise.get(m)!); involved.add(m); }
    const related = sorted.filter((a) => inWin(a) && (a.entity === entity || [...entOfAlert(a)].some((e) => involved.has(e)) || involved.has(a.entity)));
    for (const a of related) if (!matched.has(a.id) && !explained.has(a.id)) explained.set(a.id, `${l.kind}:${entity}`);
    // Classification: of the incidents that drew an alert on their own entity, was the first one the right kind?
    const own = sorted.filter((a) => inWin(a) && (a.entity === entity || (scope === 'enterprise' && a.scope === 'enterprise' && a.entity === entity)));
    if (own.length > 0 || same.length > 0) {
      classified++;
      if (same.length > 0 && (own.length === 0 || own[0]!.kind === kind)) correct++;
    }
    if (kind === 'grid_outage') { outageN++; if (same.length > 0) outageOk++; }
    if (kind === 'chain_disruption') { chainN++; if (same.length > 0) chainRight++; }
    if (same.length === 0) misses.push({ id: l.id, kind, entity, start: l.start, got: own.map((a) => a.kind).join(',') || related.slice(0, 3).map((a) => `${a.kind}:${a.entity}`).join(',') || '-' });
  }
  // Calendar windows where nothing may alert.
  const windows = (k: string) => labels.filter((l) => l.kind === k).map((l) => [Date.parse(l.start), Date.parse(l.end)] as const);
  const hol = windows('holiday'), sf = windows('spring_festival');
  const planned = labels.filter((l) => l.kind === 'planned_shutdown');
  let onHol = 0, onSf = 0, onPlanned = 0, withdrawn = 0;
  const falseAlarmList: Score['falseAlarmList'] = [];
  const dropKinds = new Set<AlertKind>(['production_halt', 'production_cut', 'chain_disruption', 'county_slowdown', 'slow_decline', 'grid_outage']);
  let merged = 0;
  for (const a of sorted) {
    if (a.status === 'withdrawn') withdrawn++;
    // "Alerts within an episode merge": an enterprise alert the engine itself filed under a chain
    // disruption that is a hit is part of that hit, counted apart and in no kind's precision.
    if (a.parentId !== undefined && matched.has(a.parentId) && !matched.has(a.id)) { merged++; continue; }
    const r = row(a.kind);
    r.alerts++;
    if (matched.has(a.id)) continue;
    r.falseAlarms++;
    falseAlarmList.push({ kind: a.kind, entity: a.entity, since: new Date(a.since).toISOString(), opened: new Date(a.openedAt).toISOString(), dropPct: a.dropPct, status: a.status, explainedBy: explained.get(a.id) ?? '' });
    if (!explained.has(a.id)) r.lenientFalseAlarms++;
    if (dropKinds.has(a.kind)) {
      // A sudden drop is "on" a holiday when it began there; a trend alert when it was raised there.
      const t = a.kind === 'slow_decline' ? a.openedAt : a.since;
      if (hol.some(([s, e]) => t >= s && t < e)) onHol++;
      if (sf.some(([s, e]) => t >= s && t < e)) onSf++;
      if (a.scope === 'enterprise' && planned.some((l) => l.entities[0] === a.entity && a.since >= Date.parse(l.start) - 6 * 3_600_000 && a.since < Date.parse(l.end) + 6 * 3_600_000)) onPlanned++;
    }
  }
  for (const r of byKind.values()) {
    const tp = r.alerts - r.falseAlarms;
    r.precision = r.alerts > 0 ? tp / r.alerts : Number.NaN;
    r.lenientPrecision = r.alerts > 0 ? (r.alerts - r.lenientFalseAlarms) / r.alerts : Number.NaN;
    r.recall = r.incidents > 0 ? r.hits / r.incidents : Number.NaN;
    r.f1 = r.precision + r.recall > 0 ? (2 * r.precision * r.recall) / (r.precision + r.recall) : Number.NaN;
    const d = delays.get(r.kind) ?? [];
    r.delayMedian = q(d, 0.5);
    r.delayP90 = q(d, 0.9);
  }
  // False alarms per meter-month on meters no incident touches.
  const touched = new Set<string>();
  for (const l of labels) {
    if (l.scope === 'city') continue;
    for (const x of [...l.entities, ...l.contributors]) touched.add(x);
  }
  const freeMeters = ctx.allMeters.filter((m) => !touched.has(m) && !touched.has(ctx.meterEnterprise.get(m)!) && !touched.has(ctx.meterGateway.get(m)!));
  const freeSet = new Set(freeMeters);
  const freeEnts = new Set(freeMeters.map((m) => ctx.meterEnterprise.get(m)!));
  let faFree = 0, faAll = 0;
  for (const a of sorted) {
    if (matched.has(a.id)) continue;
    if ((a.scope === 'meter' || a.scope === 'enterprise') && !(a.parentId !== undefined && matched.has(a.parentId))) faAll++;
    if ((a.scope === 'meter' && freeSet.has(a.entity)) || (a.scope === 'enterprise' && freeEnts.has(a.entity))) faFree++;
  }
  const months = ctx.runDays / 30;
  return {
    rows: [...byKind.values()].sort((a, b) => a.kind.localeCompare(b.kind)),
    classificationAccuracy: classified > 0 ? correct / classified : Number.NaN,
    classified,
    outageClassified: outageN > 0 ? outageOk / outageN : Number.NaN,
    chainContributorsNamed: chainNamed.length ? chainNamed.reduce((a, b) => a + b, 0) / chainNamed.length : Number.NaN,
    chainRightChain: chainN > 0 ? chainRight / chainN : Number.NaN,
    falseAlarmsPerMeterMonth: freeMeters.length > 0 ? faFree / (freeMeters.length * months) : Number.NaN,
    falseAlarmsPerMeterMonthAll: ctx.allMeters.length > 0 ? faAll / (ctx.allMeters.length * months) : Number.NaN,
    incidentFreeMeters: freeMeters.length,
    alertsOnHolidays: onHol,
    alertsOnSpringFestival: onSf,
    alertsOnPlannedShutdowns: onPlanned,
    withdrawn,
    merged,
    misses,
    falseAlarmList,
  };
}

const f = (x: number, d = 2) => (Number.isNaN(x) ? '—' : x.toFixed(d));

export function formatScore(title: string, s: Score): string {
  const lines = [
    `### ${title}`,
    '',
    '| alert kind | incidents | hits | alerts | false alarms (strict / lenient) | precision (strict / lenient) | recall | F1 | delay median / p90 (intervals) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...s.rows.map((r) => `| ${r.kind} | ${r.incidents} | ${r.hits} | ${r.alerts} | ${r.falseAlarms} / ${r.lenientFalseAlarms} | ${f(r.precision)} / ${f(r.lenientPrecision)} | ${f(r.recall)} | ${f(r.f1)} | ${f(r.delayMedian, 1)} / ${f(r.delayP90, 1)} |`),
    '',
    `- classification accuracy (first alert on the incident's entity has the right kind): ${f(s.classificationAccuracy)} of ${s.classified}`,
    `- grid outages classified as outages: ${f(s.outageClassified)}; chain disruptions with the right chain: ${f(s.chainRightChain)}, contributors named: ${f(s.chainContributorsNamed)}`,
    `- false alarms per meter-month on ${s.incidentFreeMeters} incident-free meters: ${f(s.falseAlarmsPerMeterMonth, 4)}; counting every unmatched meter or enterprise alert over all meters: ${f(s.falseAlarmsPerMeterMonthAll, 4)}`,
    `- drop alerts starting on holidays: ${s.alertsOnHolidays}, in the Spring Festival: ${s.alertsOnSpringFestival}, in planned shutdowns: ${s.alertsOnPlannedShutdowns}; alerts withdrawn: ${s.withdrawn}`,
    `- enterprise alerts filed under a matched chain disruption (merged into its hit, in no row above): ${s.merged}`,
  ];
  return lines.join('\n');
}
