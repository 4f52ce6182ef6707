import type { AlertEvent, Severity } from '../types.js';

/** A people channel: where the outbox delivers notified events, at least once, in order. */
export interface Channel {
  readonly name: string;
  readonly type: 'webhook' | 'wecom' | 'dingtalk' | 'email';
  accepts(e: AlertEvent): boolean;
  /** Throws on failure (retried with backoff); `key` is the delivery's idempotency key. */
  deliver(e: AlertEvent, key: string): Promise<void>;
  /** Secrets this channel holds, scrubbed from any error text it reports. */
  readonly secrets: readonly string[];
  /** A digest channel: rows created before the latest due time go out together, once per period. */
  digest?: {
    dueAt(now: number): number;
    nextAt(now: number): number;
    deliverMany(events: AlertEvent[], key: string): Promise<void>;
  };
  close?(): Promise<void>;
}

export interface ChannelFilter {
  kinds?: string[];
  minSeverity?: Severity;
  counties?: string[];
  chains?: string[];
  enterprises?: string[];
}

const RANK: Record<Severity, number> = { minor: 0, major: 1, critical: 2 };

export function matches(f: ChannelFilter | undefined, e: AlertEvent): boolean {
  if (!f) return true;
  const a = e.alert;
  if (f.kinds?.length && !f.kinds.includes(a.kind)) return false;
  if (f.minSeverity && RANK[a.severity] < RANK[f.minSeverity]) return false;
  const area = (list: string[] | undefined, v: string | undefined, scope: string) => !list?.length || (v !== undefined && list.includes(v)) || (a.scope === scope && list.includes(a.entity));
  return area(f.counties, a.location.county, 'county') && area(f.chains, a.location.chain, 'chain') && area(f.enterprises, a.location.enterprise, 'enterprise');
}

/** POST JSON; a non-2xx answer is an error that names the status, never the URL (robot URLs carry keys). */
export async function postJson(url: string, body: unknown, headers: Record<string, string>, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status} ${text.slice(0, 200)}`);
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}
