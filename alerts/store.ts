import Database from 'better-sqlite3';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrations.js';
import type { Alert, AlertChange, AlertEvent, AlertFilter, AlertLocation, AlertState, Handled, Severity, StoredAlert, Suppression, SuppressionScope } from './types.js';

interface AlertRow {
  id: string; kind: string; scope: string; entity: string; enterprise: string | null; chain: string | null; county: string | null;
  severity: string; state: string; opened_at: number; since: number; updated_at: number; drop_pct: number; flaps: number;
  suppressed_by: string | null; ack: string | null; resolution: string | null; body: string;
}
interface SuppressionRow { id: string; scope: string; entity: string; starts_at: number; ends_at: number; reason: string; created_by: string; created_at: number }
interface EventRow { seq: number; alert_id: string; change: string; state: string; at: number; actor: string; comment: string | null; notify: number; alert: string }

export interface OutboxRow { id: number; channel: string; event_seq: number; idempotency_key: string; created_at: number; attempts: number; next_at: number; last_error: string | null }
export interface ChannelCounts { channel: string; queued: number; delivered: number; oldestQueuedAt: number | null }
export interface ApiToken { id: string; name: string; role: string; createdAt: number; revokedAt?: number }

const encodeCursor = (openedAt: number, id: string) => Buffer.from(`${openedAt}:${id}`).toString('base64url');
function decodeCursor(c: string): { openedAt: number; id: string } {
  const s = Buffer.from(c, 'base64url').toString('utf8');
  const i = s.indexOf(':');
  const openedAt = Number(s.slice(0, i));
  if (i < 1 || !Number.isFinite(openedAt)) throw new StoreError('invalid_cursor', 'cursor is not one this API returned');
  return { openedAt, id: s.slice(i + 1) };
}

/**
 * Closed for retention: resolved or withdrawn, or suppressed with the analyzer's episode over (a
 * suppressed alert stays `suppressed` when it recovers, so its state alone never says it ended).
 */
export function isClosed(a: StoredAlert): boolean {
  return a.state === 'resolved' || a.state === 'withdrawn' || (a.state === 'suppressed' && (a.alert.status === 'resolved' || a.alert.status === 'withdrawn'));
}

export class StoreError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The alert store: one SQLite file (WAL, synchronous=FULL so a committed change survives kill -9 and
 * power loss). Everything that must not be lost about alerts lives here: the alerts, every change,
 * the outbox rows of each change (same transaction), analyzer points waiting for InfluxDB,
 * suppression windows, API tokens (sha256 of 32 random bytes) and the audit log.
 */
export class AlertStore {
  readonly db: Database.Database;
  /**
   * A second connection for delivery bookkeeping (delivered, failed), synchronous=NORMAL: in WAL mode
   * a commit still survives kill -9, and one lost on power loss only means a redelivery under the same
   * idempotency key, so these marks need not cost an fsync each.
   */
  private readonly marks: Database.Database;
  readonly schemaVersion: number;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.schemaVersion = migrate(this.db);
    this.marks = file === ':memory:' ? this.db : new Database(file);
    if (this.marks !== this.db) {
      this.marks.pragma('synchronous = NORMAL');
      this.marks.pragma('busy_timeout = 5000');
    }
  }

  close(): void {
    if (this.marks.open && this.marks !== this.db) this.marks.close();
    if (this.db.open) this.db.close();
  }

  /**
   * IMMEDIATE: the write lock is taken at BEGIN, where the busy timeout applies. A deferred
   * transaction that reads first fails at once with SQLITE_BUSY when another connection (retention in
   * another process, the token CLI) committed in between.
   */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ------------------------------------------------------------------ alerts

  private toAlert(r: AlertRow): StoredAlert {
    const loc: AlertLocation = {};
    if (r.enterprise) loc.enterprise = r.enterprise;
    if (r.chain) loc.chain = r.chain;
    if (r.county) loc.county = r.county;
    const a: StoredAlert = {
      id: r.id, state: r.state as AlertState, severity: r.severity as Severity, kind: r.kind as Alert['kind'], scope: r.scope as Alert['scope'],
      entity: r.entity, location: loc, openedAt: r.opened_at, updatedAt: r.updated_at, flaps: r.flaps, alert: JSON.parse(r.body) as Alert,
    };
    if (r.suppressed_by) {
      const s = this.suppression(r.suppressed_by);
      if (s) a.suppressedBy = s;
    }
    if (r.ack) a.acknowledged = JSON.parse(r.ack) as Handled;
    if (r.resolution) a.resolved = JSON.parse(r.resolution) as Handled;
    return a;
  }

  alert(id: string): StoredAlert | undefined {
    const r = this.db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
    return r ? this.toAlert(r) : undefined;
  }

  /** The stored alert an analyzer id belongs to (itself, or the episode it was folded into as a flap). */
  alertIdFor(analyzerId: string): string | undefined {
    const r = this.db.prepare('SELECT alert_id FROM alert_aliases WHERE analyzer_id = ?').get(analyzerId) as { alert_id: string } | undefined;
    return r?.alert_id;
  }

  /** The latest episode of the same kind and entity that recovered at or after `since` (flap detection). */
  recentlyRecovered(a: Alert, since: number): StoredAlert | undefined {
    const r = this.db.prepare(`SELECT * FROM alerts WHERE kind = ? AND scope = ? AND entity = ? AND state = 'resolved' AND updated_at >= ? ORDER BY updated_at DESC LIMIT 1`)
      .get(a.kind, a.scope, a.entity, since) as AlertRow | undefined;
    if (!r || !r.resolution || (JSON.parse(r.resolution) as Handled).by !== 'analyzer') return undefined;
    return this.toAlert(r);
  }

  /** A stored episode of the same kind and entity that is still open (acknowledged, suppressed). */
  openEpisode(a: Alert): StoredAlert | undefined {
    const r = this.db.prepare(`SELECT * FROM alerts WHERE kind = ? AND scope = ? AND entity = ? AND state IN ('open', 'acknowledged', 'suppressed') ORDER BY updated_at DESC LIMIT 1`)
      .get(a.kind, a.scope, a.entity) as AlertRow | undefined;
    return r ? this.toAlert(r) : undefined;
  }

  saveAlert(a: StoredAlert, analyzerId: string): void {
    // closed_at keeps the first close time while the alert stays closed (later analyzer updates do not
    // move it) and is cleared by a reopen: retention counts from it.
    this.db.prepare(`INSERT INTO alerts (id, kind, scope, entity, enterprise, chain, county, severity, state, opened_at, since, updated_at, drop_pct, flaps, suppressed_by, ack, resolution, body, closed_at)
      VALUES (@id, @kind, @scope, @entity, @enterprise, @chain, @county, @severity, @state, @opened_at, @since, @updated_at, @drop_pct, @flaps, @suppressed_by, @ack, @resolution, @body, @closed_at)
      ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, severity = excluded.severity, state = excluded.state, updated_at = excluded.updated_at, drop_pct = excluded.drop_pct,
        flaps = excluded.flaps, suppressed_by = excluded.suppressed_by, ack = excluded.ack, resolution = excluded.resolution, body = excluded.body,
        closed_at = CASE WHEN excluded.closed_at IS NULL THEN NULL ELSE coalesce(alerts.closed_at, excluded.closed_at) END`).run({
      id: a.id, kind: a.kind, scope: a.scope, entity: a.entity, enterprise: a.location.enterprise ?? null, chain: a.location.chain ?? null, county: a.location.county ?? null,
      severity: a.severity, state: a.state, opened_at: a.openedAt, since: a.alert.since, updated_at: a.updatedAt, drop_pct: a.alert.dropPct, flaps: a.flaps,
      suppressed_by: a.suppressedBy?.id ?? null, ack: a.acknowledged ? JSON.stringify(a.acknowledged) : null, resolution: a.resolved ? JSON.stringify(a.resolved) : null,
      body: JSON.stringify(a.alert), closed_at: isClosed(a) ? a.updatedAt : null,
    });
    this.db.prepare('INSERT OR IGNORE INTO alert_aliases (analyzer_id, alert_id) VALUES (?, ?)').run(analyzerId, a.id);
  }

  addEvent(e: Omit<AlertEvent, 'seq'>): AlertEvent {
    const info = this.db.prepare('INSERT INTO alert_events (alert_id, change, state, at, actor, comment, notify, alert) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.alertId, e.change, e.state, e.at, e.actor, e.comment ?? null, e.notify ? 1 : 0, JSON.stringify(e.alert));
    return { ...e, seq: Number(info.lastInsertRowid) };
  }

  private toEvent(r: EventRow): AlertEvent {
    const e: AlertEvent = { seq: r.seq, alertId: r.alert_id, change: r.change as AlertChange, state: r.state as AlertState, at: r.at, actor: r.actor, notify: r.notify === 1, alert: JSON.parse(r.alert) as StoredAlert };
    if (r.comment !== null) e.comment = r.comment;
    return e;
  }

  event(seq: number): AlertEvent | undefined {
    const r = this.db.prepare('SELECT * FROM alert_events WHERE seq = ?').get(seq) as EventRow | undefined;
    return r ? this.toEvent(r) : undefined;
  }

  /** Events after `seq`, in order (SSE replay), at most `limit`. */
  eventsAfter(seq: number, limit: number): AlertEvent[] {
    return (this.db.prepare('SELECT * FROM alert_events WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit) as EventRow[]).map((r) => this.toEvent(r));
  }

  history(alertId: string): AlertEvent[] {
    return (this.db.prepare('SELECT * FROM alert_events WHERE alert_id = ? ORDER BY seq').all(alertId) as EventRow[]).map((r) => this.toEvent(r));
  }

  lastSeq(): number {
    return (this.db.prepare('SELECT coalesce(max(seq), 0) AS s FROM alert_events').get() as { s: number }).s;
  }

  /** Newest first, filtered, `limit` per page; `next` is the cursor of the following page. */
  list(f: AlertFilter, limit: number, cursor?: string): { alerts: StoredAlert[]; next: string | null } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const inList = (col: string, vs: readonly string[] | undefined) => {
      if (!vs?.length) return;
      where.push(`${col} IN (${vs.map(() => '?').join(',')})`);
      args.push(...vs);
    };
    inList('state', f.state);
    inList('kind', f.kind);
    inList('scope', f.scope);
    inList('severity', f.severity);
    for (const [col, v] of [['county', f.county], ['chain', f.chain], ['enterprise', f.enterprise], ['entity', f.entity]] as const) {
      if (v !== undefined) {
        // An alert about a county (chain) matches that county (chain) filter too.
        where.push(col === 'entity' ? 'entity = ?' : `(${col} = ? OR (scope = '${col}' AND entity = ?))`);
        args.push(v);
        if (col !== 'entity') args.push(v);
      }
    }
    if (f.from !== undefined) { where.push('opened_at >= ?'); args.push(f.from); }
    if (f.to !== undefined) { where.push('opened_at < ?'); args.push(f.to); }
    if (cursor) {
      const c = decodeCursor(cursor);
      where.push('(opened_at < ? OR (opened_at = ? AND id < ?))');
      args.push(c.openedAt, c.openedAt, c.id);
    }
    const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC, id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, limit + 1) as AlertRow[];
    const more = rows.length > limit;
    const page = rows.slice(0, limit).map((r) => this.toAlert(r));
    const last = page[page.length - 1];
    return { alerts: page, next: more && last ? encodeCursor(last.openedAt, last.id) : null };
  }

  // ------------------------------------------------------------------ outbox

  enqueue(channel: string, eventSeq: number, now: number): void {
    this.db.prepare('INSERT OR IGNORE INTO outbox (channel, event_seq, idempotency_key, created_at, next_at) VALUES (?, ?, ?, ?, ?)')
      .run(channel, eventSeq, `${channel}:${eventSeq}`, now, now);
  }

  /** The oldest undelivered row of a channel: delivery is in order per channel. */
  nextPending(channel: string): OutboxRow | undefined {
    return this.db.prepare('SELECT * FROM outbox WHERE channel = ? AND delivered_at IS NULL ORDER BY id LIMIT 1').get(channel) as OutboxRow | undefined;
  }

  /** Undelivered rows of a channel created before `before`, oldest first (digests). */
  pendingBefore(channel: string, before: number, limit: number): OutboxRow[] {
    return this.db.prepare('SELECT * FROM outbox WHERE channel = ? AND delivered_at IS NULL AND created_at < ? ORDER BY id LIMIT ?').all(channel, before, limit) as OutboxRow[];
  }

  markDelivered(id: number, at: number): void {
    this.marks.prepare('UPDATE outbox SET delivered_at = ?, last_error = NULL WHERE id = ?').run(at, id);
  }

  markFailed(id: number, error: string, nextAt: number): void {
    this.marks.prepare('UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_at = ? WHERE id = ?').run(error.slice(0, 500), nextAt, id);
  }

  /** Delivered rows older than `before` are dropped (the events themselves stay). */
  pruneDelivered(before: number): void {
    this.db.prepare('DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?').run(before);
  }

  channelCounts(): ChannelCounts[] {
    return (this.db.prepare(`SELECT channel, sum(delivered_at IS NULL) AS queued, sum(delivered_at IS NOT NULL) AS delivered,
      min(CASE WHEN delivered_at IS NULL THEN created_at END) AS oldestQueuedAt FROM outbox GROUP BY channel`).all() as ChannelCounts[]);
  }

  // ------------------------------------------------------------------ points for InfluxDB

  /** One transaction per call: a batch is queued whole or not at all (and one fsync, not one per line). */
  addPoints(lines: readonly string[]): void {
    const ins = this.db.prepare('INSERT INTO influx_points (line) VALUES (?)');
    this.db.transaction(() => { for (const l of lines) ins.run(l); })();
  }

  takePoints(limit: number): { lastId: number; lines: string[] } {
    const rows = this.db.prepare('SELECT id, line FROM influx_points ORDER BY id LIMIT ?').all(limit) as { id: number; line: string }[];
    return { lastId: rows.length ? rows[rows.length - 1]!.id : 0, lines: rows.map((r) => r.line) };
  }

  confirmPoints(lastId: number): void {
    this.marks.prepare('DELETE FROM influx_points WHERE id <= ?').run(lastId);
  }

  pointsDepth(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM influx_points').get() as { n: number }).n;
  }

  // ------------------------------------------------------------------ suppression windows

  private toSuppression(r: SuppressionRow): Suppression {
    return { id: r.id, scope: r.scope as SuppressionScope, entity: r.entity, startsAt: r.starts_at, endsAt: r.ends_at, reason: r.reason, createdBy: r.created_by, createdAt: r.created_at };
  }

  addSuppression(s: Omit<Suppression, 'id' | 'createdAt'>, now: number): Suppression {
    const full: Suppression = { ...s, id: randomUUID(), createdAt: now };
    this.db.prepare('INSERT INTO suppressions (id, scope, entity, starts_at, ends_at, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(full.id, full.scope, full.entity, full.startsAt, full.endsAt, full.reason, full.createdBy, full.createdAt);
    return full;
  }

  suppression(id: string): Suppression | undefined {
    const r = this.db.prepare('SELECT * FROM suppressions WHERE id = ?').get(id) as SuppressionRow | undefined;
    return r ? this.toSuppression(r) : undefined;
  }

  suppressions(includeEndedAfter: number): Suppression[] {
    return (this.db.prepare('SELECT * FROM suppressions WHERE deleted_at IS NULL AND ends_at > ? ORDER BY starts_at').all(includeEndedAfter) as SuppressionRow[]).map((r) => this.toSuppression(r));
  }

  deleteSuppression(id: string, now: number): boolean {
    return this.db.prepare('UPDATE suppressions SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL').run(now, id).changes > 0;
  }

  /** The window covering this location at `at`, if any. */
  activeSuppression(loc: AlertLocation, at: number): Suppression | undefined {
    const r = this.db.prepare(`SELECT * FROM suppressions WHERE deleted_at IS NULL AND starts_at <= ? AND ends_at > ?
      AND ((scope = 'enterprise' AND entity = ?) OR (scope = 'chain' AND entity = ?) OR (scope = 'county' AND entity = ?)) ORDER BY created_at LIMIT 1`)
      .get(at, at, loc.enterprise ?? null, loc.chain ?? null, loc.county ?? null) as SuppressionRow | undefined;
    return r ? this.toSuppression(r) : undefined;
  }

  // ------------------------------------------------------------------ API tokens and audit

  /** A new token; only its sha256 is kept, so the secret is shown once. */
  createToken(name: string, role: string, now: number): { token: string; id: string } {
    const id = randomBytes(4).toString('hex');
    const token = `gp_${id}_${randomBytes(24).toString('base64url')}`;
    this.db.prepare('INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)').run(id, name, role, hashToken(token), now);
    return { token, id };
  }

  verifyToken(token: string): { name: string; role: string } | undefined {
    return this.db.prepare('SELECT name, role FROM api_tokens WHERE hash = ? AND revoked_at IS NULL').get(hashToken(token)) as { name: string; role: string } | undefined;
  }

  tokens(): ApiToken[] {
    return (this.db.prepare('SELECT id, name, role, created_at, revoked_at FROM api_tokens ORDER BY created_at').all() as { id: string; name: string; role: string; created_at: number; revoked_at: number | null }[])
      .map((r) => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at, ...(r.revoked_at ? { revokedAt: r.revoked_at } : {}) }));
  }

  revokeToken(id: string, now: number): boolean {
    return this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes > 0;
  }

  audit(e: { at: number; actor: string; role: string; method: string; path: string; status: number }): void {
    this.db.prepare('INSERT INTO audit (at, actor, role, method, path, status) VALUES (@at, @actor, @role, @method, @path, @status)').run(e);
  }

  auditLog(limit: number): { at: number; actor: string; role: string; method: string; path: string; status: number }[] {
    return this.db.prepare('SELECT at, actor, role, method, path, status FROM audit ORDER BY id DESC LIMIT ?').all(limit) as { at: number; actor: string; role: string; method: string; path: string; status: number }[];
  }
}
