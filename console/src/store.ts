import type { AlertEventMsg, Client, InboxAlert, RegistryEnterprise } from './api.js';

/**
 * Alerts as the console knows them: the list read once, then kept current by the SSE stream;
 * after a reconnect the list is read again so nothing that changed meanwhile is missed.
 */
export class AlertStore {
  private readonly byId = new Map<string, InboxAlert>();
  private readonly listeners = new Set<() => void>();
  enterprises = new Map<string, RegistryEnterprise>();
  loaded = false;
  live = false;

  constructor(private readonly client: Client) {}

  async load(): Promise<void> {
    const [list, ents] = await Promise.all([this.client.alerts(), this.client.enterprises()]);
    this.byId.clear();
    for (const a of list) this.byId.set(a.id, a);
    this.enterprises = new Map(ents.map((e) => [e.id, e]));
    this.loaded = true;
    this.emit();
  }

  apply(u: AlertEventMsg): void {
    const prev = this.byId.get(u.alert.id);
    const next = u.keepAck && prev?.acknowledged ? { ...u.alert, acknowledged: prev.acknowledged, state: u.alert.state === 'open' ? 'acknowledged' as const : u.alert.state } : u.alert;
    // A known history (v2, read with the alert) grows by the event itself.
    this.byId.set(u.alert.id, prev?.history && !next.history ? { ...next, history: u.entry ? [...prev.history, u.entry] : prev.history } : next);
    this.emit();
  }

  replace(a: InboxAlert): void {
    this.byId.set(a.id, a);
    this.emit();
  }

  setLive(live: boolean): void {
    if (live === this.live) return;
    this.live = live;
    this.emit();
  }

  get(id: string): InboxAlert | undefined {
    return this.byId.get(id);
  }

  all(): InboxAlert[] {
    return [...this.byId.values()];
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private scheduled = false;
  /** One redraw per 100 ms at most: a busy city sends bursts of updates, and pages redraw whole. */
  private emit(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      for (const fn of this.listeners) fn();
    }, 100);
  }
}

export type { DisplayState } from './normalize.js';

/** Counties and chains an alert concerns: its own entity, or its enterprises' (entity and contributors). */
export function areasOf(a: InboxAlert, ents: ReadonlyMap<string, RegistryEnterprise>): { counties: Set<string>; chains: Set<string>; enterprises: Set<string> } {
  const counties = new Set<string>(), chains = new Set<string>(), enterprises = new Set<string>();
  if (a.scope === 'county') counties.add(a.entity);
  if (a.scope === 'chain') chains.add(a.entity);
  const ids = [...(a.scope === 'enterprise' ? [a.entity] : []), ...a.contributors.map((c) => c.enterprise)];
  for (const id of ids) {
    enterprises.add(id);
    const e = ents.get(id);
    if (!e) continue;
    counties.add(e.county);
    for (const c of e.chains) chains.add(c);
  }
  return { counties, chains, enterprises };
}
