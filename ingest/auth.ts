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

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; reason: 'bad_credentials' | 'locked_out' };

/**
 * Password checks against the registry's scrypt hashes, with a lockout per client id and per
 * username after repeated failures: a guessing client is refused without a hash computed.
 */
export class Authenticator {
  private failures = new Map<string, { count: number; until: number }>();

  constructor(private readonly registry: Registry, private readonly limit: number, private readonly lockoutMs: number, private readonly now: () => number = Date.now) {}

  async check(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<AuthOutcome> {
    const keys = [`c:${clientId}`, `u:${username ?? ''}`];
    const t = this.now();
    for (const k of keys) {
      const f = this.failures.get(k);
      if (f && f.count >= this.limit && f.until > t) return { ok: false, reason: 'locked_out' };
    }
    const gw = username ? this.registry.gateway(username) : undefined;
    const ok = gw !== undefined && password !== undefined && (await verifyPassword(password.toString('utf8'), gw.passwordHash));
    if (!ok || !gw) {
      for (const k of keys) {
        const f = this.failures.get(k);
        const count = f && f.until > t ? f.count + 1 : 1;
        this.failures.set(k, { count, until: t + this.lockoutMs });
      }
      if (this.failures.size > 100_000) this.prune(t);
      return { ok: false, reason: 'bad_credentials' };
    }
    for (const k of keys) this.failures.delete(k);
    return { ok: true, principal: { id: gw.id, role: gw.role } };
  }

  private prune(t: number): void {
    for (const [k, f] of this.failures) if (f.until <= t) this.failures.delete(k);
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
