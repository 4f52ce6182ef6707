import { InfluxDB, HttpError, setLogger, type Transport, type SendOptions, type CommunicationObserver, type WriteApi, type WriteOptions, type ResponseStartedFn } from '@influxdata/influxdb-client';
import { WRITE_PRECISION } from './line-protocol.js';

export type ApiVersion = 'v1' | 'v2';

/** The client logs each failed attempt to the console; route it to pino (debug: the writer logs its own summary). */
export function routeClientLogs(log: { debug: (o: object, m: string) => void }): void {
  setLogger({
    error: (message: string, error?: unknown) => log.debug({ err: String(error) }, `influxdb-client: ${message}`),
    warn: (message: string, error?: unknown) => log.debug({ err: String(error) }, `influxdb-client: ${message}`),
  });
}

export interface InfluxTarget {
  url: string;
  apiVersion: ApiVersion;
  token?: string;
  org: string;
  /** v2 bucket, or v1 database. */
  bucket: string;
  retentionPolicy?: string;
  timeoutMs: number;
}

/**
 * The InfluxDB 1.x adapter: @influxdata/influxdb-client speaks only the v2 write path
 * (/api/v2/write), which Debian's influxdb 1.6.7 answers 404. This transport rewrites that one
 * path to the v1 /write endpoint (bucket → db, retention policy → rp) and passes everything else
 * through, so batching, gzip and retry stay the client's, on one code path for every version.
 */
export class V1WriteTransport implements Transport {
  constructor(private readonly inner: Transport, private readonly db: string, private readonly rp?: string, private readonly auth?: string) {}

  get chunkCombiner() {
    return this.inner.chunkCombiner;
  }

  private path(path: string): string {
    if (!path.startsWith('/api/v2/write')) return path;
    const q = new URLSearchParams(path.slice(path.indexOf('?') + 1));
    const out = new URLSearchParams({ db: this.db, precision: q.get('precision') ?? 'ns' });
    if (this.rp) out.set('rp', this.rp);
    return `/write?${out}`;
  }

  private options(options: SendOptions): SendOptions {
    if (!this.auth) return options;
    return { ...options, headers: { ...options.headers, authorization: `Basic ${Buffer.from(this.auth).toString('base64')}` } };
  }

  send(path: string, body: string, options: SendOptions, callbacks?: Partial<CommunicationObserver<Uint8Array>>): void {
    this.inner.send(this.path(path), body, this.options(options), callbacks);
  }
  request(path: string, body: unknown, options: SendOptions, responseStarted?: ResponseStartedFn): Promise<unknown> {
    return this.inner.request(this.path(path), body, this.options(options), responseStarted);
  }
  iterate(path: string, body: unknown, options: SendOptions): AsyncIterableIterator<Uint8Array> {
    return this.inner.iterate(this.path(path), body, this.options(options));
  }
}

/** Version from /ping's X-Influxdb-Version: 1.x before 1.8 has no /api/v2/write. */
export async function detectApiVersion(url: string, timeoutMs = 5000): Promise<{ version: string; apiVersion: ApiVersion }> {
  const res = await fetch(new URL('/ping', url), { signal: AbortSignal.timeout(timeoutMs) });
  const version = res.headers.get('x-influxdb-version') ?? 'unknown';
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  const major = m ? Number(m[1]) : 2;
  const minor = m ? Number(m[2]) : 0;
  return { version, apiVersion: major === 1 && minor < 8 ? 'v1' : 'v2' };
}

export interface InfluxClient {
  readonly target: InfluxTarget;
  writeApi(options: Partial<WriteOptions>): WriteApi;
  /** InfluxQL through /query (v1, and v2/v3 through their v1 compatibility API). Rows as objects. */
  query(influxql: string): Promise<Record<string, unknown>[]>;
  ping(): Promise<boolean>;
  /** v1: CREATE DATABASE; v2: create the bucket if it does not exist. */
  ensureDatabase(): Promise<void>;
}

export function createInfluxClient(target: InfluxTarget): InfluxClient {
  const v1 = target.apiVersion === 'v1';
  const base = new InfluxDB({ url: target.url, token: v1 ? undefined : target.token, timeout: target.timeoutMs });
  const transport: Transport = v1 ? new V1WriteTransport(base.transport, target.bucket, target.retentionPolicy, target.token) : base.transport;
  const client = new InfluxDB({ url: target.url, token: v1 ? undefined : target.token, timeout: target.timeoutMs, transport });

  const headers = (): Record<string, string> => {
    if (!target.token) return {};
    return v1 ? { authorization: `Basic ${Buffer.from(target.token).toString('base64')}` } : { authorization: `Token ${target.token}` };
  };

  async function rawQuery(q: string, method: 'GET' | 'POST' = 'GET'): Promise<unknown> {
    const params = new URLSearchParams({ db: target.bucket, q, epoch: 'ms' });
    if (target.retentionPolicy) params.set('rp', target.retentionPolicy);
    const url = new URL(`/query?${params}`, target.url);
    const res = await fetch(url, { method, headers: headers(), signal: AbortSignal.timeout(target.timeoutMs) });
    const text = await res.text();
    if (!res.ok) throw new HttpError(res.status, res.statusText, text);
    const body = JSON.parse(text) as { results?: { error?: string }[]; error?: string };
    const err = body.error ?? body.results?.find((r) => r.error)?.error;
    if (err) throw new Error(`InfluxQL error: ${err}`);
    return body;
  }

  return {
    target,
    writeApi: (options) => client.getWriteApi(target.org, target.bucket, WRITE_PRECISION, options),
    async query(q) {
      const body = (await rawQuery(q)) as { results?: { series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[] };
      const rows: Record<string, unknown>[] = [];
      for (const res of body.results ?? []) {
        for (const s of res.series ?? []) {
          for (const v of s.values) {
            const row: Record<string, unknown> = { ...s.tags };
            s.columns.forEach((c, i) => (row[c] = v[i]));
            rows.push(row);
          }
        }
      }
      return rows;
    },
    async ping() {
      try {
        const res = await fetch(new URL('/ping', target.url), { signal: AbortSignal.timeout(3000) });
        return res.status === 204 || res.ok;
      } catch {
        return false;
      }
    },
    async ensureDatabase() {
      if (v1) {
        await rawQuery(`CREATE DATABASE "${target.bucket.replace(/"/g, '\\"')}"`, 'POST');
        return;
      }
      const api = async (path: string, init: RequestInit = {}) => {
        const res = await fetch(new URL(path, target.url), { ...init, headers: { ...headers(), 'content-type': 'application/json' }, signal: AbortSignal.timeout(target.timeoutMs) });
        if (!res.ok) throw new HttpError(res.status, res.statusText, await res.text());
        return res.json() as Promise<Record<string, unknown>>;
      };
      const found = await api(`/api/v2/buckets?name=${encodeURIComponent(target.bucket)}&org=${encodeURIComponent(target.org)}`);
      if ((found.buckets as unknown[] | undefined)?.length) return;
      const orgs = await api(`/api/v2/orgs?org=${encodeURIComponent(target.org)}`);
      const orgID = (orgs.orgs as { id: string }[] | undefined)?.[0]?.id;
      if (!orgID) throw new Error(`InfluxDB organisation ${target.org} not found (influx.org / INFLUX_ORG)`);
      await api('/api/v2/buckets', { method: 'POST', body: JSON.stringify({ orgID, name: target.bucket, retentionRules: [] }) });
    },
  };
}
