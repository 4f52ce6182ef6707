/**
 * Every call the console makes to the pipeline, in one place: when the alert-delivery API (issue
 * 10: alert store, lifecycle routes, roles, SSE with Last-Event-ID) lands, this file is what
 * changes. Types come from the analyzer itself, so a changed Alert shape fails the console's build.
 */
import type { Alert, IndexPoint } from '../../analytics/types.js';
import { ackBody, normalizeAlert, normalizeEvent, normalizeList, type ApiFlavor, type InboxAlert } from './normalize.js';

export type { Alert, IndexPoint, InboxAlert, ApiFlavor };
export type Role = 'viewer' | 'analyst' | 'admin';
export interface ChannelState { name: string; type: string; queued: number; delivered: number; failingSince: number | null; lastError: string | null; lastDeliveredAt: number | null }
export type AlertEventMsg = ReturnType<typeof normalizeEvent>;
/** Most alerts the inbox reads (v2 pages of 500). */
const MAX_ALERTS = 5000;

/** expectedBasis: the analyzer's judged value (enterprise_expected) or the 3-week median where it judged nothing. */
export interface SeriesPoint { ts: number; actualKwh: number | null; expectedKwh: number | null; expectedBasis?: 'judged' | 'median' | null }
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
  /** Which alert API answered the last list (v1 until one has been read). */
  flavor(): ApiFlavor;
  config(): Promise<ConsoleConfig>;
  whoami(): Promise<{ role: Role; canWrite: boolean }>;
  alerts(): Promise<InboxAlert[]>;
  /** v2: one alert with its history; v1 has no such route (undefined). */
  alert(id: string): Promise<InboxAlert | undefined>;
  acknowledge(id: string, by: string, comment?: string): Promise<InboxAlert>;
  /** v2 only. */
  resolve(id: string, by: string, comment: string): Promise<InboxAlert>;
  /** v2 only: a window from now for `hours`. */
  suppress(scope: 'enterprise' | 'chain' | 'county', entity: string, hours: number, reason: string): Promise<void>;
  /** v2 only: delivery channels. */
  channels(): Promise<ChannelState[]>;
  /** Live alert changes; onReconnect fires when the stream comes back after a drop (catch up then). */
  stream(onUpdate: (u: AlertEventMsg) => void, onReconnect: () => void, onState: (live: boolean) => void): () => void;
  series(scope: 'enterprise' | 'chain' | 'county' | 'meter' | 'gateway', entity: string, range: { from?: number; to?: number; spanMs?: number; stepMs?: number }): Promise<Series>;
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
  async function post<T>(path: string, body: unknown): Promise<T> {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: headers(true), body: JSON.stringify(body) });
    if (!res.ok) throw new ApiError(res.status, await errorText(res));
    return res.json() as Promise<T>;
  }
  let flavor: ApiFlavor = 'v1';
  const qs = (o: Record<string, string | number | undefined>) =>
    new URLSearchParams(Object.entries(o).filter((e): e is [string, string | number] => e[1] !== undefined).map(([k, v]) => [k, String(v)])).toString();

  return {
    token,
    flavor: () => flavor,
    config: () => get('/api/v1/console/config'),
    whoami: () => get('/api/v1/console/whoami'),
    async alerts() {
      const out: InboxAlert[] = [];
      let cursor: string | null = null;
      do {
        const page = normalizeList(await get(`/api/v1/alerts?${qs({ limit: 500, cursor: cursor ?? undefined })}`));
        flavor = page.flavor;
        out.push(...page.alerts);
        cursor = page.next;
      } while (cursor && out.length < MAX_ALERTS);
      return out;
    },
    async alert(id) {
      if (flavor === 'v1') return undefined;
      return normalizeAlert(await get(`/api/v1/alerts/${encodeURIComponent(id)}`));
    },
    acknowledge: async (id, by, comment) => normalizeAlert(await post(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, ackBody(flavor, by, comment))),
    resolve: async (id, by, comment) => normalizeAlert(await post(`/api/v1/alerts/${encodeURIComponent(id)}/resolve`, { comment, ...(by ? { by } : {}) })),
    async suppress(scope, entity, hours, reason) {
      const now = Date.now();
      await post('/api/v1/suppressions', { scope, entity, startsAt: new Date(now).toISOString(), endsAt: new Date(now + hours * 3_600_000).toISOString(), reason });
    },
    channels: () => get('/api/v1/channels'),
    stream(onUpdate, onReconnect, onState) {
      // Without a token, EventSource reconnects by itself and sends Last-Event-ID when the server
      // numbers events (v2 replays what was missed); v1 does not, so a reconnect re-reads the list.
      // With a token (needed when reads need one), each connection opens with a fresh one-use
      // ticket in the URL, as EventSource cannot send the header: on an error the console closes
      // the stream and reconnects itself with a new ticket and ?lastEventId=.
      let es: EventSource | undefined;
      let opened = false, stopped = false, lastId = '', delay = 1000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const retry = () => {
        if (stopped) return;
        timer = setTimeout(() => void connect(), delay);
        delay = Math.min(15_000, delay * 2);
      };
      const connect = async () => {
        const params = new URLSearchParams();
        if (token) {
          try {
            params.set('ticket', (await post<{ ticket: string }>('/api/v1/console/stream-ticket', {})).ticket);
          } catch (err) {
            // An API without tickets (404) takes the stream as before; anything else: try again later.
            if (!(err instanceof ApiError && err.status === 404)) { onState(false); retry(); return; }
          }
          if (lastId) params.set('lastEventId', lastId);
        }
        if (stopped) return;
        const q = params.toString();
        const source = es = new EventSource(`${base}/api/v1/alerts/stream${q ? `?${q}` : ''}`);
        source.addEventListener('open', () => {
          delay = 1000;
          onState(true);
          if (opened) onReconnect();
          opened = true;
        });
        source.addEventListener('error', () => {
          onState(false);
          if (!token) return;
          source.close();
          retry();
        });
        source.addEventListener('alert', (e) => {
          const m = e as MessageEvent<string>;
          if (m.lastEventId) lastId = m.lastEventId;
          onUpdate(normalizeEvent(JSON.parse(m.data)));
        });
      };
      void connect();
      return () => {
        stopped = true;
        clearTimeout(timer);
        es?.close();
      };
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
