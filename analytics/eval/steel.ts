import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { calendarFromSpec, createAnalyzer, KOREA_2018_HOLIDAYS, type Analyzer, type AnalyzerOptions } from '../index.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';
import type { Alert } from '../types.js';
import { Delivery, FlapCounter, outageAlerts, type Degradation, type Robustness } from './steel-degrade.js';

/**
 * Replay of a real steel plant (shared/data/steel_industry_15min.csv, UCI 851, CC BY 4.0) through the
 * analyzer with stops injected into ordinary weeks and the 2018 Korean holidays as the calendar.
 * `date` is the END of the interval and each day's midnight row carries that same day's date, so time
 * is taken from the row number: row i ends at 2018-01-01T00:15+09:00 + i·15 min (35,040 rows = 365 days).
 */
const KST = 9 * 3_600_000;
const I = 900_000;
const START = Date.parse('2018-01-01T00:00:00+09:00');

/** Stops injected on ordinary weekdays, 09:00 KST, far from holidays: [date, hours]. */
export const STEEL_STOPS: Array<[string, number]> = [
  ['2018-03-14', 8], ['2018-04-11', 6], ['2018-04-26', 30], ['2018-05-16', 8], ['2018-07-11', 10],
  ['2018-07-25', 4], ['2018-08-22', 8], ['2018-10-17', 8], ['2018-11-07', 24], ['2018-11-28', 6], ['2018-12-12', 8],
];

/** The plant's own days off beyond public holidays (eves, summer shutdown): configured as planned shutdowns. */
export const STEEL_COMPANY_DAYS_OFF: Array<[string, string]> = [
  ['2018-02-14', '2018-02-15'], ['2018-08-01', '2018-08-04'], ['2018-09-21', '2018-09-22'], ['2018-12-31', '2019-01-01'],
];

/**
 * How the plant's data reaches the analyzer: 15-minute registers (as recorded), or resampled to hourly —
 * into a 60-minute analyzer, or (`…at15`) into a 15-minute one ticking every 15 minutes, which judges the
 * coarse meter at its own hour (its consumption spread evenly over the quarter-hours).
 */
export type SteelForm = 'register15' | 'energy60' | 'register60' | 'energy60at15' | 'register60at15'
  | 'energy15' | 'energy30' | 'register30' | 'energy30at15' | 'register30at15';

/** The Korean 2018 holiday file (dates and ranges) the replay uses as its calendar. */
export const KR_2018_FILE = 'holidays-kr-2018.json';

export interface SteelResult {
  form: SteelForm;
  sensitivity: string;
  /** The analyzer interval (ms): delays are counted in it. */
  intervalMs: number;
  available: boolean;
  path: string;
  stops: number;
  hits: number;
  delays: number[];
  falseAlarms: Alert[];
  onHolidays: number;
  onCompanyDaysOff: number;
  alerts: number;
  /** Degraded rows only: what went wrong, by kind. */
  degrade?: Degradation;
  robust?: Robustness;
}

function resolvePath(p: string): string | undefined {
  for (const c of [p, 'shared/data/steel_industry_15min.csv', '../shared/data/steel_industry_15min.csv', '/work/shared/data/steel_industry_15min.csv']) if (existsSync(c)) return c;
  return undefined;
}

function holidayFile(): string {
  // dist/analytics/eval → the JSON stays in the source tree (analytics/eval).
  for (const c of [fileURLToPath(new URL(KR_2018_FILE, import.meta.url)), `analytics/eval/${KR_2018_FILE}`]) if (existsSync(c)) return c;
  throw new Error(`steel replay: ${KR_2018_FILE} not found`);
}

/**
 * One replay. degrade: the messy-data rows (steel-degrade.ts); inspect: called with the analyzer before the
 * first reading, to listen to it (tracing a row's alerts or expected values by hand).
 */
export function runSteel(o: { path: string; companyDaysOff?: boolean; form?: SteelForm; options?: AnalyzerOptions; degrade?: Degradation; inspect?: (a: Analyzer) => void }): SteelResult {
  const path = resolvePath(o.path);
  const form = o.form ?? 'register15';
  // P: quarter-hours per reading of the input (1, 2 or 4).
  const P = form.includes('60') ? 4 : form.includes('30') ? 2 : 1;
  const fineAnalyzer = P === 1 || form.endsWith('at15');
  const energy = form.startsWith('energy');
  const res: SteelResult = { form, sensitivity: o.options?.sensitivity ?? 'normal', intervalMs: P * I, available: false, path: path ?? o.path, stops: STEEL_STOPS.length, hits: 0, delays: [], falseAlarms: [], onHolidays: 0, onCompanyDaysOff: 0, alerts: 0, ...(o.degrade ? { degrade: o.degrade } : {}) };
  if (!path) return res;
  res.available = true;
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0).slice(1);
  const stops = STEEL_STOPS.map(([d, h]) => {
    const s = Date.parse(`${d}T09:00:00+09:00`);
    return [s, s + h * 3_600_000] as const;
  });
  const daysOff = o.companyDaysOff === false ? [] : STEEL_COMPANY_DAYS_OFF;
  const registry = {
    enterprises: [{ id: 'daewoo_steel', county: 'gwangyang', chains: ['steel'], plannedShutdowns: daysOff.map(([a, b]) => ({ start: `${a}T00:00:00+09:00`, end: `${b}T00:00:00+09:00` })) }],
  };
  const analyzer = createAnalyzer(
    { graceMs: 0, timeZone: 'Asia/Seoul', ...(fineAnalyzer ? {} : { intervalMs: P * I }), ...o.options },
    { registry: () => registry, calendar: calendarFromSpec(holidayFile(), 'steel calendar') },
  );
  const alerts: Alert[] = [];
  analyzer.on('alert', (a) => alerts.push(a));
  o.inspect?.(analyzer);
  const flaps = new FlapCounter();
  analyzer.on('alertUpdate', ({ change, alert }) => flaps.on(change, alert));
  let reg = 10_000;
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const tags = { gateway: 'gw-steel', enterprise: 'daewoo_steel', county: 'gwangyang', chain: 'steel', ctMultiplier: 1 };
  let period = 0;
  const delivery = o.degrade ? new Delivery(o.degrade, analyzer, START, stops) : undefined;
  const emit = (ts: number) => {
    if (P > 1 && (ts - START) % (P * I) !== 0) {
      if (fineAnalyzer) {
        if (delivery) delivery.deliver(undefined, ts);
        else analyzer.tick(ts);
      }
      return;
    }
    const r: EnrichedReading = energy
      ? { meter: 'steel-1', ts, intervalEnergyKwh: Math.round(period * 100) / 100, intervalMinutes: 15 * P, ...tags }
      : { meter: 'steel-1', ts, energyKwh: Math.round(reg * 100) / 100, ...tags };
    period = 0;
    if (delivery) return delivery.deliver(r, ts);
    analyzer.ingest([r]);
    analyzer.tick(ts);
  };
  if (!energy) emit(START);
  for (let i = 0; i < lines.length; i++) {
    const end = START + (i + 1) * I;
    let kwh = Number(lines[i]!.split(',')[1]);
    if (!Number.isFinite(kwh)) kwh = 0;
    const begin = end - I;
    // A stop: the plant falls to its overnight base (3–5 kWh per 15 min).
    if (stops.some(([s, e]) => begin >= s && begin < e)) kwh = Math.min(kwh, 3 + 2 * rnd());
    if (delivery) kwh = delivery.noisy(kwh);
    reg += kwh;
    period += kwh;
    emit(end);
  }
  res.alerts = alerts.length;
  const hol = new Set(KOREA_2018_HOLIDAYS);
  const dayOf = (ms: number) => new Date(ms + KST).toISOString().slice(0, 10);
  const offSet = daysOff.map(([a, b]) => [Date.parse(`${a}T00:00:00+09:00`), Date.parse(`${b}T00:00:00+09:00`)] as const);
  const used = new Set<string>();
  const seenOffline = outageAlerts(alerts, delivery?.outages ?? []);
  for (const id of seenOffline.ids) used.add(id);
  for (const [s, e] of stops) {
    const hit = alerts.find((a) => (a.kind === 'production_halt' || a.kind === 'production_cut') && a.openedAt >= s && a.openedAt <= e + 6 * 3_600_000);
    if (hit) {
      res.hits++;
      res.delays.push((hit.openedAt - s) / res.intervalMs);
      for (const a of alerts) if (a.openedAt >= s && a.openedAt <= e + 6 * 3_600_000) used.add(a.id);
    }
  }
  for (const a of alerts) {
    if (used.has(a.id)) continue;
    res.falseAlarms.push(a);
    if (hol.has(dayOf(a.since))) res.onHolidays++;
    if (offSet.some(([s, e]) => a.since >= s && a.since < e)) res.onCompanyDaysOff++;
  }
  if (delivery) {
    const kinds: Record<string, number> = {};
    for (const a of res.falseAlarms) kinds[a.kind] = (kinds[a.kind] ?? 0) + 1;
    res.robust = { kinds, flaps: flaps.flaps, withdrawn: flaps.withdrawn, outages: delivery.outages.length, outagesSeenOffline: seenOffline.seen, counts: delivery.counts };
  }
  return res;
}

const FORM_LABEL: Record<SteelForm, string> = {
  register15: '15-min registers (as recorded)',
  energy60: 'hourly interval energy (resampled)',
  register60: 'hourly registers (resampled)',
  energy60at15: 'hourly interval energy (resampled) into a 15-min analyzer',
  register60at15: 'hourly registers (resampled) into a 15-min analyzer',
  energy15: '15-min interval energy',
  energy30: '30-min interval energy (resampled)',
  register30: '30-min registers (resampled)',
  energy30at15: '30-min interval energy (resampled) into a 15-min analyzer',
  register30at15: '30-min registers (resampled) into a 15-min analyzer',
};

function degradeLabel(d: Degradation | undefined): string {
  if (!d) return '';
  const parts: string[] = [];
  if (d.dropShare) parts.push(`${Math.round(d.dropShare * 100)} % of readings dropped (isolated)`);
  if (d.linkOutages) parts.push(`${d.linkOutages} link outages of 3–8 h`);
  if (d.lateHourShare) parts.push(`${Math.round(d.lateHourShare * 100)} % of hours delivered after the next hour`);
  if (d.noise) parts.push(`energy × (1 ± ${Math.round(d.noise * 100)} %) noise`);
  return parts.length ? `; ${parts.join(', ')}` : '';
}

const label = (r: SteelResult) => `${FORM_LABEL[r.form]}${degradeLabel(r.degrade)}`;

/** The false-alarm cell: the count, and for degraded rows its kinds. */
function falseCell(r: SteelResult): string {
  if (!r.robust) return String(r.falseAlarms.length);
  const k = Object.entries(r.robust.kinds).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([kind, n]) => `${kind} ${n}`);
  return k.length ? `${r.falseAlarms.length} (${k.join(', ')})` : '0';
}

function median(xs: number[]): number {
  const d = [...xs].sort((a, b) => a - b);
  return d.length ? d[Math.floor((d.length - 1) / 2)]! : Number.NaN;
}

/** One table over several replays (forms × sensitivities), then the false alarms of the first. */
export function formatSteel(rs: SteelResult[]): string {
  const r0 = rs[0]!;
  if (!r0.available) return `### steel plant replay\n\nskipped: ${r0.path} not found`;
  const months = 12;
  return [
    '### steel plant replay (UCI 851, 2018, Asia/Seoul, Korean 2018 holiday file)',
    '',
    '| input | sensitivity | injected stops | detected | median delay (intervals of the input) | false alarms | per meter-month | of which on public holidays | on company days off |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rs.map((r) => `| ${label(r)} | ${r.sensitivity} | ${r.stops} | ${r.hits} | ${median(r.delays).toFixed(1)} | ${falseCell(r)} | ${(r.falseAlarms.length / months).toFixed(2)} | ${r.onHolidays} | ${r.onCompanyDaysOff} |`),
    '',
    `false alarms, ${FORM_LABEL[r0.form]}, ${r0.sensitivity}:`,
    ...r0.falseAlarms.slice(0, 20).map((a) => `- false alarm: ${a.kind} since ${new Date(a.since + KST).toISOString().slice(0, 16)} KST, drop ${a.dropPct}%`),
    ...robustLines(rs),
  ].join('\n');
}

/** Per degraded row: what the delivery did, link outages alerted as offline, flaps and withdrawals. */
function robustLines(rs: SteelResult[]): string[] {
  const d = rs.filter((r) => r.robust);
  if (d.length === 0) return [];
  return ['', 'degraded inputs:', ...d.map((r) => {
    const x = r.robust!;
    const parts = [`readings dropped ${x.counts.dropped}, delivered late ${x.counts.late}, lost in link outages ${x.counts.inOutage}`];
    if (x.outages) parts.push(`link outages alerted as meter/gateway offline ${x.outagesSeenOffline}/${x.outages}`);
    parts.push(`drop alerts reopened within an hour of closing ${x.flaps}, withdrawn ${x.withdrawn}`);
    const fa = r.falseAlarms.filter((a) => !rs[0]!.falseAlarms.some((b) => b.kind === a.kind && b.since === a.since));
    if (fa.length) parts.push(`false alarms not in the clean run: ${fa.slice(0, 8).map((a) => `${a.kind} ${new Date(a.since + KST).toISOString().slice(5, 16)}`).join(', ')}${fa.length > 8 ? ', …' : ''}`);
    return `- ${label(r)}: ${parts.join('; ')}`;
  })];
}
