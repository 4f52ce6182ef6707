import type { Database } from 'better-sqlite3';

/**
 * Versioned schema of the alert store, applied in order inside one transaction each; the version is
 * SQLite's `user_version`. Append new versions; never edit a released one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: alerts with their evidence, every state change, the delivery outbox, points for InfluxDB,
  // suppression windows, API tokens and the audit log.
  `
  CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    entity TEXT NOT NULL,
    enterprise TEXT,
    chain TEXT,
    county TEXT,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    since INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    drop_pct REAL NOT NULL,
    flaps INTEGER NOT NULL DEFAULT 0,
    suppressed_by TEXT,
    ack TEXT,
    resolution TEXT,
    body TEXT NOT NULL
  );
  CREATE INDEX alerts_opened ON alerts (opened_at, id);
  CREATE INDEX alerts_entity ON alerts (kind, scope, entity, updated_at);
  CREATE TABLE alert_aliases (analyzer_id TEXT PRIMARY KEY, alert_id TEXT NOT NULL);
  CREATE TABLE alert_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL,
    change TEXT NOT NULL,
    state TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    comment TEXT,
    notify INTEGER NOT NULL,
    alert TEXT NOT NULL
  );
  CREATE INDEX alert_events_alert ON alert_events (alert_id, seq);
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    event_seq INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_error TEXT,
    delivered_at INTEGER
  );
  CREATE INDEX outbox_pending ON outbox (channel, delivered_at, id);
  CREATE TABLE influx_points (id INTEGER PRIMARY KEY AUTOINCREMENT, line TEXT NOT NULL);
  CREATE TABLE suppressions (
    id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    entity TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
  );
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL
  );
  `,
  // 2: retention. When an alert closed (resolved or withdrawn, or suppressed with its episode over),
  // so old ones can be found by an index; backfilled from the closing event, else the last update.
  // Indexes for deleting an alert's aliases and outbox rows, for keeping windows an alert refers to,
  // and for pruning the audit by time.
  `
  ALTER TABLE alerts ADD COLUMN closed_at INTEGER;
  UPDATE alerts SET closed_at = coalesce(
    (SELECT max(e.at) FROM alert_events e WHERE e.alert_id = alerts.id AND e.change = alerts.state), updated_at)
    WHERE state IN ('resolved', 'withdrawn')
      OR (state = 'suppressed' AND json_extract(body, '$.status') IN ('resolved', 'withdrawn'));
  CREATE INDEX alerts_closed ON alerts (closed_at) WHERE closed_at IS NOT NULL;
  CREATE INDEX alerts_suppressed_by ON alerts (suppressed_by) WHERE suppressed_by IS NOT NULL;
  CREATE INDEX alert_aliases_alert ON alert_aliases (alert_id);
  CREATE INDEX outbox_event ON outbox (event_seq);
  CREATE INDEX audit_at ON audit (at);
  `,
];

export function migrate(db: Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) throw new Error(`alert store schema version ${current} is newer than this GridPulse (${MIGRATIONS.length}); upgrade GridPulse`);
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return MIGRATIONS.length;
}
