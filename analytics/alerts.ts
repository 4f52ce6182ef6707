import { EventEmitter } from 'node:events';
import type { AlertKind } from '../src/schemas/incident.js';
import type { Alert, AlertChange, AlertEvidence, AlertScope, AnalyzerEvents, Contributor } from './types.js';

/** Typed events (MQTT.js TypedEmitter pattern): `on('alert', a => …)` is checked by the compiler. */
export class TypedEmitter<E extends { [K in keyof E]: (...args: any[]) => void }> {
  private readonly ee = new EventEmitter();
  on<K extends keyof E & string>(event: K, fn: E[K]): this {
    this.ee.on(event, fn);
    return this;
  }
  off<K extends keyof E & string>(event: K, fn: E[K]): this {
    this.ee.off(event, fn);
    return this;
  }
  protected emit<K extends keyof E & string>(event: K, ...args: Parameters<E[K]>): void {
    this.ee.emit(event, ...args);
  }
  listenerCount(event: keyof E & string): number {
    return this.ee.listenerCount(event);
  }
}

export interface AlertDraft {
  kind: AlertKind;
  scope: AlertScope;
  entity: string;
  since: number;
  baselineKwh: number;
  actualKwh: number;
  contributors?: Contributor[];
  parentId?: string;
  evidence: AlertEvidence;
}

function dropPct(baseline: number, actual: number): number {
  return baseline > 0 ? Math.round(1000 * (1 - actual / baseline)) / 10 : 0;
}

/**
 * The alert lifecycle: opened → updated* → resolved | withdrawn. Open alerts are kept until they close;
 * closed ones in a bounded recent list (maxRecent), the oldest dropped first.
 */
export class AlertBook extends TypedEmitter<AnalyzerEvents> {
  private seq = 0;
  private readonly open = new Map<string, Alert>();
  private readonly recent: Alert[] = [];
  /** When false (warm-up), alerts change state but no event is emitted. */
  emitting = true;

  constructor(private readonly maxRecent: number, private readonly idPrefix = 'al') {
    super();
  }

  create(d: AlertDraft, now: number): Alert {
    const a: Alert = {
      id: `${this.idPrefix}-${(++this.seq).toString(36)}-${d.scope}-${d.entity}`,
      kind: d.kind,
      scope: d.scope,
      entity: d.entity,
      status: 'open',
      openedAt: now,
      since: d.since,
      updatedAt: now,
      baselineKwh: round3(d.baselineKwh),
      actualKwh: round3(d.actualKwh),
      dropPct: dropPct(d.baselineKwh, d.actualKwh),
      contributors: d.contributors ?? [],
      ...(d.parentId ? { parentId: d.parentId } : {}),
      evidence: d.evidence,
    };
    this.open.set(a.id, a);
    if (this.emitting) {
      this.emit('alert', a);
      this.emit('alertUpdate', { change: 'opened', alert: a });
    }
    return a;
  }

  update(a: Alert, now: number, patch: Partial<Pick<Alert, 'since' | 'baselineKwh' | 'actualKwh' | 'contributors' | 'kind' | 'parentId'>> & { evidence?: Partial<AlertEvidence> }, notify = true): void {
    if (a.status !== 'open') return;
    if (patch.parentId !== undefined) a.parentId = patch.parentId;
    if (patch.since !== undefined) a.since = patch.since;
    if (patch.kind !== undefined) a.kind = patch.kind;
    if (patch.baselineKwh !== undefined) a.baselineKwh = round3(patch.baselineKwh);
    if (patch.actualKwh !== undefined) a.actualKwh = round3(patch.actualKwh);
    a.dropPct = dropPct(a.baselineKwh, a.actualKwh);
    if (patch.contributors) a.contributors = patch.contributors;
    if (patch.evidence) a.evidence = { ...a.evidence, ...patch.evidence };
    a.updatedAt = now;
    if (notify && this.emitting) this.emit('alertUpdate', { change: 'updated', alert: a });
  }

  close(a: Alert, change: Extract<AlertChange, 'resolved' | 'withdrawn'>, now: number, reason: string): void {
    if (a.status !== 'open') return;
    a.status = change;
    a.updatedAt = now;
    a.evidence = { ...a.evidence, reason };
    this.open.delete(a.id);
    this.recent.push(a);
    if (this.recent.length > this.maxRecent) this.recent.splice(0, this.recent.length - this.maxRecent);
    if (this.emitting) this.emit('alertUpdate', { change, alert: a });
  }

  list(): Alert[] {
    return [...this.open.values(), ...this.recent];
  }
  openAlerts(): IterableIterator<Alert> {
    return this.open.values();
  }
  get(id: string): Alert | undefined {
    return this.open.get(id) ?? this.recent.find((a) => a.id === id);
  }

  snapshot(): { seq: number; open: Alert[]; recent: Alert[] } {
    return { seq: this.seq, open: [...this.open.values()], recent: this.recent };
  }
  load(s: { seq: number; open: Alert[]; recent: Alert[] }): void {
    this.seq = s.seq;
    this.open.clear();
    for (const a of s.open) this.open.set(a.id, a);
    this.recent.length = 0;
    this.recent.push(...s.recent);
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
