import { createInfluxClient, detectApiVersion } from '../storage/influx.js';
import { READING_MEASUREMENT } from '../storage/line-protocol.js';
import { UsageError, type InputRow } from './rows.js';

export interface InfluxRange {
  url: string;
  db: string;
  start: number;
  end: number;
  /** v1 `user:password` or v2 token. */
  token?: string;
  /** One query per chunk: memory is bounded by one chunk of readings (default 1 day). */
  chunkMs?: number;
}

/**
 * Stored readings (measurement `reading`, docs/schema.md) in [start, end), chunk by chunk, in time
 * order (then meter), through the same InfluxQL /query path the pipeline's warm-up uses.
 */
export async function readInflux(r: InfluxRange, sink: (row: InputRow) => void): Promise<number> {
  let apiVersion: 'v1' | 'v2';
  try {
    apiVersion = (await detectApiVersion(r.url)).apiVersion;
  } catch (err) {
    throw new UsageError(`--influx ${r.url}: not reachable (${(err as Error).message})`);
  }
  const client = createInfluxClient({ url: r.url, apiVersion, org: 'gridpulse', bucket: r.db, timeoutMs: 60_000, ...(r.token ? { token: r.token } : {}) });
  const chunk = r.chunkMs ?? 86_400_000;
  let n = 0;
  for (let t = r.start; t < r.end; t += chunk) {
    const t1 = Math.min(r.end, t + chunk);
    let rows: Record<string, unknown>[];
    try {
      rows = await client.query(`SELECT register_kwh, power_kw, ct, meter, enterprise, gateway FROM ${READING_MEASUREMENT} WHERE time >= ${t}ms AND time < ${t1}ms`);
    } catch (err) {
      throw new UsageError(`--influx ${r.url} database ${r.db}: ${(err as Error).message}`);
    }
    const out: InputRow[] = [];
    for (const x of rows) {
      const ct = Number(x['ct']);
      const row: InputRow = { meter: String(x['meter'] ?? ''), ts: Number(x['time']), kind: 'register', value: x['register_kwh'] == null ? Number.NaN : Number(x['register_kwh']), source: `influx ${r.db} at ${new Date(Number(x['time'])).toISOString()}`, line: 0 };
      if (x['enterprise'] != null) row.enterprise = String(x['enterprise']);
      if (x['gateway'] != null) row.gateway = String(x['gateway']);
      if (Number.isFinite(ct) && ct > 0) row.ct = ct;
      if (x['power_kw'] != null) row.powerKw = Number(x['power_kw']) / (row.ct ?? 1);
      out.push(row);
    }
    out.sort((a, b) => a.ts - b.ts || (a.meter < b.meter ? -1 : a.meter > b.meter ? 1 : 0));
    for (const row of out) sink(row);
    n += out.length;
  }
  return n;
}
