import { buildCity, quietScenario, simulate } from '../../simulator/index.js';
import { publish } from '../../simulator/publish.js';
import { startTestPipeline, testInflux, waitFor, type TestPipeline } from './pipeline.js';
import { allPanels, dashboards, influxQuery, interpolate, type Dashboard, type Row, type Scope, type VarValue } from './grafana.js';

/**
 * A simulated city run through the real pipeline for the dashboard tests and pictures: 12 enterprises,
 * 17 days at 15-minute readings over MQTT (QoS 1), two weeks for the analyzer to learn, then a
 * production halt of one enterprise and a meter of another going silent. Nothing here writes to
 * InfluxDB: every point the dashboards read is the pipeline's.
 */
export const START = '2026-09-01T00:00:00+08:00';
export const DAYS = 17;
/** The dashboards' time range: the last three simulated days (judged by the analyzer). */
export const RANGE = { fromMs: Date.parse('2026-09-15T00:00:00+08:00'), toMs: Date.parse('2026-09-17T23:59:59+08:00') };
/** Measurements the dashboards read, each written by the pipeline. */
export const MEASUREMENTS = ['reading', 'alert', 'production_index', 'enterprise_expected'] as const;

export interface CityRun {
  p: TestPipeline;
  influx: ReturnType<typeof testInflux>;
  halted: { enterprise: string; county: string; chain: string };
  silentMeter: { meter: string; enterprise: string; from: number; to: number };
  meters: number;
  /** Measurements that had points when the run settled (the rest the pipeline does not write). */
  present: Set<string>;
  query(q: string): Promise<Row[]>;
}

export async function runCity(settleMs = Number(process.env.GRIDPULSE_GRAFANA_SETTLE_MS ?? 75_000)): Promise<CityRun> {
  const city = buildCity({ seed: 11, enterprises: 12, start: START, days: DAYS, metersPerGateway: 4 });
  const ents = city.registry.enterprises;
  const target = ents[0]!;
  const other = ents.find((e) => e.county !== target.county && city.registry.meters.some((m) => m.enterprise === e.id))!;
  const silent = city.registry.meters.find((m) => m.enterprise === other.id)!;
  const halt = { kind: 'production_halt' as const, target: target.id, start: '2026-09-16T10:00:00+08:00', hours: 20 };
  const offline = { kind: 'meter_offline' as const, target: silent.id, start: '2026-09-15T08:00:00+08:00', hours: 6 };
  const sim = simulate(city, { start: START, days: DAYS, scenario: quietScenario({ incidents: [halt, offline], springFestival: false, plannedShutdowns: false, ordinaryVariation: false, meterBacklogShare: 0 }), seed: 11 });

  const influx = testInflux();
  await influx.client.ensureDatabase();
  const p = await startTestPipeline({
    city: { registry: city.registry, passwords: city.credentials, meters: {} },
    influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token },
    overrides: { 'analytics.clock': 'data', 'mqtt.maxMessagesPerSecond': 100_000 },
  });
  const summary = await publish(city, sim, { url: p.mqttUrl, qos: 1, single: false, rate: 0, mode: 'accelerated', speed: 0, maxInflight: 16 });
  if (summary.readingsAcked !== summary.readingsSent || summary.connectFailed) throw new Error(`publish: ${JSON.stringify(summary)}`);
  await p.pipeline.ingest.drained();

  const query = (q: string) => influxQuery(influx, q);
  const present = new Set<string>();
  // The analyzer's outputs reach InfluxDB on their own path (the alert store's point queue): wait until
  // the analyzer judged the last interval and the queue is empty, then for every measurement, up to a deadline.
  const lastTs = Date.parse(START) + DAYS * 86_400_000 - 15 * 60_000;
  await waitFor(async () => {
    if (p.pipeline.dataClock!.stats().clockMs < lastTs - 15 * 60_000 || p.pipeline.alerts.store.pointsDepth() > 0) return false;
    for (const m of MEASUREMENTS) if (!present.has(m) && (await query(`SELECT * FROM "${m}" LIMIT 1`)).length > 0) present.add(m);
    return present.size === MEASUREMENTS.length;
  }, settleMs, 'the pipeline\'s measurements').catch(() => undefined);
  return {
    p, influx, query, present, meters: city.registry.meters.length,
    halted: { enterprise: target.id, county: target.county, chain: target.chains?.[0] ?? 'none' },
    silentMeter: { meter: silent.id, enterprise: other.id, from: Date.parse(offline.start), to: Date.parse(offline.start) + offline.hours * 3_600_000 },
  };
}

/**
 * The variables of a dashboard as Grafana resolves them: each one's own query, in order, with the
 * ones before it set: All where offered, else the `prefer`red value, else the first.
 */
export async function resolveVariables(run: CityRun, d: Dashboard, prefer: Record<string, string>): Promise<{ vars: Record<string, VarValue>; options: Record<string, string[]> }> {
  const vars: Record<string, VarValue> = {};
  const options: Record<string, string[]> = {};
  for (const v of d.templating.list) {
    let values: string[];
    if (v.type === 'custom') values = v.query!.split(',').map((s) => s.trim());
    else values = (await run.query(interpolate(v.query!, { vars, options, ...RANGE, intervalMs: 60_000 }, d.templating.list))).map((r) => String(r.value));
    if (values.length === 0) throw new Error(`${d.uid}: variable $${v.name} has no values`);
    options[v.name] = values;
    const want = prefer[v.name];
    vars[v.name] = v.includeAll ? { all: true } : want !== undefined && values.includes(want) ? { values: [want] } : { values: [values[0]!] };
  }
  return { vars, options };
}

/** The selection that shows the incident: the halted enterprise, its county and chain. */
export const incidentSelection = (run: CityRun): Record<string, string> => ({ ...run.halted, resolution: 'hour' });

/** Every InfluxDB query of a dashboard (panels, then annotations) with Grafana's interpolation. */
export function dashboardQueries(d: Dashboard, scope: Omit<Scope, 'intervalMs'>, minIntervalMs = 60_000): { panel: string; refId: string; type: string; q: string }[] {
  const out: { panel: string; refId: string; type: string; q: string }[] = [];
  for (const p of allPanels(d.panels)) {
    for (const t of p.targets ?? []) {
      if (!t.query) continue;
      const intervalMs = Math.max(minIntervalMs, p.interval ? parseIntervalMs(p.interval) : 60_000);
      out.push({ panel: p.title, refId: t.refId, type: p.type, q: interpolate(t.query, { ...scope, intervalMs }, d.templating.list) });
    }
  }
  return out;
}
const parseIntervalMs = (s: string) => Number(/^\d+/.exec(s)![0]) * ({ m: 60_000, h: 3_600_000, d: 86_400_000 } as Record<string, number>)[s.replace(/^\d+/, '')]!;

export const influxDashboards = (): Dashboard[] => Object.values(dashboards).filter((d) => d.uid !== 'gridpulse-pipeline-health');
