import type { Client } from 'aedes';
import { verifyPassword, type Registry } from '../src/registry/index.js';

export const TOPIC_ROOT = 'gridpulse/v1';
export const ALERT_TOPIC_ROOT = `${TOPIC_ROOT}/alerts`;
export const readingsTopic = (gateway: string) => `${TOPIC_ROOT}/${gateway}/readings`;
export const rejectsTopic = (gateway: string) => `${TOPIC_ROOT}/${gateway}/rejects`;

/** The identity a connection authenticated as, kept on the Aedes client object. */
export interface Principal {
  id: string;
  role: 'gateway' | 'consumer';
}
const PRINCIPAL = Symbol('gridpulse.principal');
export function principalOf(client: Client | null): Principal | undefined {
  return (client as unknown as Record<symbol, Principal> | null)?.[PRINCIPAL];
}

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; reason: 'bad_credentials' | 'locked_out' | 'client_id_not_owned' };

/** Longer client ids belong to nobody (aedes enforces a limit only for MQTT 3.1). */
export const MAX_CLIENT_ID = 64;

/**
 * The account a client id belongs to: the longest registered id that equals the client id or is
 * followed in it by a character outside [A-Za-z0-9] (`gw-demo`, `gw-demo-rejects`, `gw-demo/2`
 * belong to gw-demo; `gw-demo2` does not). Longest, so that `gw-demo-x` is gw-demo's even when a
 * gateway `gw` exists too.
 */
export function clientIdOwner(clientId: string, exists: (id: string) => boolean): string | undefined {
  if (clientId.length > MAX_CLIENT_ID) return undefined;
  if (exists(clientId)) return clientId;
  for (let i = clientId.length - 1; i > 0; i--) {
    const c = clientId.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alnum && exists(clientId.slice(0, i))) return clientId.slice(0, i);
  }
  return undefined;
}

/**
 * Password checks against the registry's scrypt hashes. Failures are counted per (source address,
 * user name) and per source address: a source that guesses is refused without a hash computed,
 * while the account itself stays usable from any other address, so bad passwords sent from
 * elsewhere cannot lock a gateway out. A client id belongs to one account (clientIdOwner):
 * another account using it is refused and the session holding it stays.
 */
export class Authenticator {
  private failures = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly registry: Registry,
    private readonly limit: number,
    private readonly lockoutMs: number,
    private readonly now: () => number = Date.now,
    /** A source trying many user names is locked out after this many failures in all. */
    private readonly sourceLimit = limit * 4,
  ) {}

  async check(clientId: string, username: string | undefined, password: Buffer | undefined, source = 'unknown'): Promise<AuthOutcome> {
    const keys: [string, number][] = [[`s:${source}|u:${username ?? ''}`, this.limit], [`s:${source}`, this.sourceLimit]];
    const t = this.now();
    for (const [k, limit] of keys) {
      const f = this.failures.get(k);
      if (f && f.count >= limit && f.until > t) return { ok: false, reason: 'locked_out' };
    }
    const gw = username ? this.registry.gateway(username) : undefined;
    const ok = gw !== undefined && password !== undefined && password.length <= 1024 && (await verifyPassword(password.toString('utf8'), gw.passwordHash));
    if (!ok || !gw) {
      for (const [k] of keys) {
        const f = this.failures.get(k);
        const count = f && f.until > t ? f.count + 1 : 1;
        this.failures.set(k, { count, until: t + this.lockoutMs });
      }
      if (this.failures.size > Authenticator.MAX_ENTRIES) this.prune(t);
      return { ok: false, reason: 'bad_credentials' };
    }
    for (const [k] of keys) this.failures.delete(k);
    if (clientIdOwner(clientId, (id) => this.registry.gateway(id) !== undefined) !== gw.id) return { ok: false, reason: 'client_id_not_owned' };
    return { ok: true, principal: { id: gw.id, role: gw.role } };
  }

  /** Expired entries go; past the cap the oldest go too (insertion order), so memory stays bounded. */
  private prune(t: number): void {
    for (const [k, f] of this.failures) if (f.until <= t) this.failures.delete(k);
    for (const k of this.failures.keys()) {
      if (this.failures.size <= Authenticator.MAX_ENTRIES / 2) break;
      this.failures.delete(k);
    }
  }

  static readonly MAX_ENTRIES = 100_000;
  get trackedFailures(): number {
    return this.failures.size;
  }

  static attach(client: Client, principal: Principal): void {
    (client as unknown as Record<symbol, Principal>)[PRINCIPAL] = principal;
  }
}

/** What a publish on `topic` by `p` is: its readings, its status, or refused. */
export function classifyPublish(p: Principal | undefined, topic: string): 'readings' | 'status' | 'deny' {
  if (!p || p.role !== 'gateway') return 'deny';
  const prefix = `${TOPIC_ROOT}/${p.id}/`;
  if (!topic.startsWith(prefix)) return 'deny';
  const rest = topic.slice(prefix.length);
  if (rest === 'readings') return 'readings';
  if (rest === 'status') return 'status';
  return 'deny';
}

/** Gateways subscribe under their own prefix (rejects); consumers to alerts. */
export function maySubscribe(p: Principal | undefined, topic: string): boolean {
  if (!p) return false;
  if (p.role === 'consumer') return topic === `${ALERT_TOPIC_ROOT}/#` || topic.startsWith(`${ALERT_TOPIC_ROOT}/`);
  const prefix = `${TOPIC_ROOT}/${p.id}/`;
  return topic.startsWith(prefix) || topic === `${TOPIC_ROOT}/${p.id}/#`;
}
