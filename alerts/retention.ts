import type { Database, Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Clock } from './outbox.js';

export const PRUNED_WHAT = ['alerts', 'events', 'outbox', 'suppressions', 'audit'] as const;
export type PrunedWhat = (typeof PRUNED_WHAT)[number];
export type PruneCounts = Record<PrunedWhat, number>;

export interface RetentionOptions {
  /** Closed alerts, with their events, aliases and outbox rows, and ended suppression windows, go this long after they closed (ended); 0 keeps them. */
  alertsMs: number;
  /** Audit rows go this long after they were written; 0 keeps them. */
  auditMs: number;
  /** Rows per transaction: the write lock is held for one batch only. */
  batchSize: number;
  /** Between batches, so writers on other connections (their busy handler polls) get the lock. */
  pauseMs: number;
  /** How often a pass runs after the one at start. */
  everyMs: number;
}

export const DEFAULT_RETENTION: Omit<RetentionOptions, 'alertsMs' | 'auditMs'> = { batchSize: 500, pauseMs: 20, everyMs: 3_600_000 };

const zero = (): PruneCounts => ({ alerts: 0, events: 0, outbox: 0, suppressions: 0, audit: 0 });

/**
 * Deletes what is past retention from the alert store, in batches of one IMMEDIATE transaction each
 * (the write lock is taken at BEGIN, so a concurrent writer makes it wait out the busy timeout
 * instead of failing on a stale snapshot, and kill -9 loses at most the batch in flight, whole).
 * Open, acknowledged and still-suppressed alerts are never deleted; a suppression window is kept
 * while an alert still refers to it.
 */
export class Retention {
  private readonly closedBefore: Statement<[number, number], { id: string }>;
  private readonly delOutbox: Statement<[string]>;
  private readonly delEvents: Statement<[string]>;
  private readonly delAliases: Statement<[string]>;
  private readonly delAlert: Statement<[string]>;
  private readonly delSuppressions: Statement<[number, number, number]>;
  private readonly delAudit: Statement<[number, number]>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PruneCounts> | undefined;
  private stopped = false;

  constructor(private readonly db: Database, private readonly o: RetentionOptions, private readonly clock: Pick<Clock, 'now'>, private readonly log?: Logger, private readonly onPruned?: (what: PrunedWhat, n: number) => void) {
    this.closedBefore = db.prepare('SELECT id FROM alerts WHERE closed_at < ? ORDER BY closed_at LIMIT ?');
    this.delOutbox = db.prepare('DELETE FROM outbox WHERE event_seq IN (SELECT seq FROM alert_events WHERE alert_id = ?)');
    this.delEvents = db.prepare('DELETE FROM alert_events WHERE alert_id = ?');
    this.delAliases = db.prepare('DELETE FROM alert_aliases WHERE alert_id = ?');
    this.delAlert = db.prepare('DELETE FROM alerts WHERE id = ?');
    // Ended (or deleted) before the cutoff, and no alert left that shows it as its window.
    this.delSuppressions = db.prepare(`DELETE FROM suppressions WHERE id IN (SELECT s.id FROM suppressions s
      WHERE (s.ends_at < ? OR s.deleted_at < ?) AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.suppressed_by = s.id) LIMIT ?)`);
    this.delAudit = db.prepare('DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? ORDER BY at LIMIT ?)');
  }

  /** One batch of closed alerts with everything hanging off them. */
  pruneAlertsBatch(cutoff: number): Pick<PruneCounts, 'alerts' | 'events' | 'outbox'> {
    return this.db.transaction(() => {
      const n = { alerts: 0, events: 0, outbox: 0 };
      for (const { id } of this.closedBefore.all(cutoff, this.o.batchSize)) {
        n.outbox += this.delOutbox.run(id).changes;
        n.events += this.delEvents.run(id).changes;
        this.delAliases.run(id);
        n.alerts += this.delAlert.run(id).changes;
      }
      return n;
    }).immediate();
  }

  pruneSuppressionsBatch(cutoff: number): number {
    return this.db.transaction(() => this.delSuppressions.run(cutoff, cutoff, this.o.batchSize).changes).immediate();
  }

  pruneAuditBatch(cutoff: number): number {
    return this.db.transaction(() => this.delAudit.run(cutoff, this.o.batchSize).changes).immediate();
  }

  /** A whole pass, batch by batch until nothing is left (or stop()); one log line when it removed anything. */
  runOnce(): Promise<PruneCounts> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<PruneCounts> {
    const t0 = Date.now();
    const now = this.clock.now();
    const total = zero();
    let batches = 0;
    const add = (what: PrunedWhat, k: number) => {
      total[what] += k;
      if (k > 0) this.onPruned?.(what, k);
    };
    const loop = async (step: () => number) => {
      while (!this.stopped) {
        batches++;
        if (step() < this.o.batchSize) return;
        await new Promise((r) => setTimeout(r, this.o.pauseMs));
      }
    };
    if (this.o.alertsMs > 0) {
      const cutoff = now - this.o.alertsMs;
      await loop(() => {
        const n = this.pruneAlertsBatch(cutoff);
        for (const w of ['alerts', 'events', 'outbox'] as const) add(w, n[w]);
        return n.alerts;
      });
      await loop(() => {
        const n = this.pruneSuppressionsBatch(cutoff);
        add('suppressions', n);
        return n;
      });
    }
    if (this.o.auditMs > 0) {
      const cutoff = now - this.o.auditMs;
      await loop(() => {
        const n = this.pruneAuditBatch(cutoff);
        add('audit', n);
        return n;
      });
    }
    if (PRUNED_WHAT.some((w) => total[w] > 0)) this.log?.info({ ...total, batches, ms: Date.now() - t0 }, 'alert store: pruned past retention');
    return total;
  }

  /** A pass now (in the background) and then every `everyMs`. */
  start(): void {
    if (this.timer || (this.o.alertsMs <= 0 && this.o.auditMs <= 0)) return;
    this.stopped = false;
    const run = () => void this.runOnce().catch((err: unknown) => this.log?.error({ err: (err as Error).message }, 'alert store: pruning failed; retried at the next pass'));
    run();
    this.timer = setInterval(run, this.o.everyMs);
    this.timer.unref();
  }

  /** Stops after the batch in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
