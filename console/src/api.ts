/**
 * Every call the console makes to the pipeline, in one place: when the alert-delivery API (issue
 * 10: alert store, lifecycle routes, roles, SSE with Last-Event-ID) lands, this file is what
 * changes. Types come from the analyzer itself, so a changed Alert shape fails the console's build.
 */
import type { Alert, AlertUpdate, IndexPoint } from '../../analytics/types.js';

export type { Alert, AlertUpdate, IndexPoint };
export type Role = 'viewer' | 'analyst' | 'admin';

export interface Ack { by: string; at: string; note?: string }
export type InboxAlert = Alert & { acknowledged: Ack | null };

export interface SeriesPoint { ts: number; actualKwh: number | null; expectedKwh: number | null }
export interface Series { scope: string; entity: string; from: number; to: number; stepMs: number; points: SeriesPoint[] }

export interface Enterprise {
  id: string; name: string; county: string; chains: string[]; leader: boolean; stage?: string;
  plannedShutdowns: { start: string; end: string; reason?: string }[];
  meters: { id: string; gateway: string; ctMultiplier: number }[];
}
export interface RegistryEnterprise { id: string; name: string; county: string; chains: string[] }
export interface Completeness { to: number; spanMs: number; meters: { meter: string; readings: number; expected: number; ratio: number }[] }
export interface MetricValue { labels: Record<string, string | number>; value: number }
export interface PipelineState {
  at: number;
  readiness: { ready: boolean; reasons: string[]; checks: { broker?: { listening?: Record<string, number | undefined> }; influx?: { url: string | null; connected: boolean; lastError?: string }; spool?: Record<string, unknown> } };
  registry: { enterprises: number; gateways: number; meters: number };
  metrics: Record<string, MetricValue[]>;
}
export interface ConsoleConfig { timeZone: string; intervalMs: number; writesEnabled: boolean }

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface Client {
  readonly token: string | undefined;
  config(): Promise<ConsoleConfig>;
  whoami(): Promise<{ role: Role; canWrite: boolean }>;
  alerts(): Promise<InboxAlert[]>;
  acknowledge(id: string, by: string, note?: string): Promise<InboxAlert>;
  /** Live alert changes; onReconnect fires when the stream comes back after a drop (catch up then). */
  stream(onUpdate: (u: AlertUpdate) => void, onReconnect: () => void, onState: (live: boolean) => void): () => void;
  series(scope: 'enterprise' | 'chain' | 'county', entity: string, range: { from?: number; to?: number; spanMs?: number; stepMs?: number }): Promise<Series>;
  enterprises(): Promise<RegistryEnterprise[]>;
  enterprise(id: string): Promise<Enterprise>;
  completeness(id: string): Promise<Completeness>;
  productionIndex(): Promise<IndexPoint[]>;
  pipeline(): Promise<PipelineState>;
}

export function createClient(token: string | undefined, base = ''): Client {
  const headers = (json = false): Record<string, string> => ({
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(json ? { 'content-type': 'application/json' } : {}),
  });
  async function get<T>(path: string): Promise<T> {
    const res = await fetch(`${base}${path}`, { headers: headers() });
    if (!res.ok) throw new ApiError(res.status, await errorText(res));
    return res.json() as Promise<T>;
  }
  const qs = (o: Record<string, string | number | undefined>) =>
    new URLSearchParams(Object.entries(o).filter((e): e is [string, string | number] => e[1] !== undefined).map(([k, v]) => [k, String(v)])).toString();

  return {
    token,
    config: () => get('/api/v1/console/config'),
    whoami: () => get('/api/v1/console/whoami'),
    alerts: () => get('/api/v1/alerts'),
    async acknowledge(id, by, note) {
      const res = await fetch(`${base}/api/v1/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST', headers: headers(true), body: JSON.stringify({ by, ...(note ? { note } : {}) }) });
      if (!res.ok) throw new ApiError(res.status, await errorText(res));
      return res.json() as Promise<InboxAlert>;
    },
    stream(onUpdate, onReconnect, onState) {
      // EventSource reconnects by itself and sends Last-Event-ID when the server numbers events;
      // the current stream does not, so a reconnect re-reads the list (onReconnect).
      const es = new EventSource(`${base}/api/v1/alerts/stream`);
      let opened = false;
      es.addEventListener('open', () => {
        onState(true);
        if (opened) onReconnect();
        opened = true;
      });
      es.addEventListener('error', () => onState(false));
      es.addEventListener('alert', (e) => onUpdate(JSON.parse((e as MessageEvent<string>).data) as AlertUpdate));
      return () => es.close();
    },
    series: (scope, entity, r) => get(`/api/v1/console/series?${qs({ scope, entity, ...r })}`),
    enterprises: () => get('/api/v1/enterprises'),
    enterprise: (id) => get(`/api/v1/enterprises/${encodeURIComponent(id)}`),
    completeness: (id) => get(`/api/v1/console/enterprises/${encodeURIComponent(id)}/completeness`),
    productionIndex: () => get('/api/v1/production-index'),
    pipeline: () => get('/api/v1/console/pipeline'),
  };
}

async function errorText(res: Response): Promise<string> {
  try {
    const b = await res.json() as { message?: string };
    return b.message ?? res.statusText;
  } catch {
    return res.statusText;
  }
}
