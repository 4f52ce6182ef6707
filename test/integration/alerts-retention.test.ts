import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AlertStore, Retention, type PrunedWhat, type RetentionOptions, type StoredAlert } from '../../alerts/index.js';
import { Lifecycle } from '../../alerts/lifecycle.js';
import { MIGRATIONS } from '../../alerts/migrations.js';
import { alertUpdate } from '../support/alerts.js';
import { tempDir } from '../support/pipeline.js';
import { LineChild } from '../support/line-child.js';
import { loadConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics.js';
import { Registry } from '../../src/registry/index.js';
import { buildAlerts } from '../../src/pipeline/alerts.js';
import { alertStoreFile } from '../../alerts/index.js';
import { pino } from 'pino';

const DAY = 86_400_000;
const CHILD = join(import.meta.dirname, '../support/retention-child.ts');

/** A store on a real file with a lifecycle whose clock the test sets. */
function open(file = join(tempDir('gridpulse-retention-'), 'alerts.sqlite')) {
  const store = new AlertStore(file);
  const clock = { t: 0 };
  const lifecycle = new Lifecycle(store, { flapWindowMs: 0, flapNotifyLimit: 1, locate: (a) => ({ enterprise: a.entity }), channelsFor: () => ['hook'], now: () => clock.t }, () => undefined);
  /** An alert opened at `openedAt` and, unless left open, closed at `closedAt` by the analyzer. */
  const episode = (id: string, openedAt: number, closedAt?: number, change: 'resolved' | 'withdrawn' = 'resolved') => {
    clock.t = openedAt;
    lifecycle.apply(alertUpdate('opened', { id, entity: `ent-${id}` }));
    if (closedAt === undefined) return;
    clock.t = closedAt;
    lifecycle.apply(alertUpdate(change, { id, entity: `ent-${id}` }));
  };
  const retention = (now: number, o: Partial<RetentionOptions> = {}) => {
    const pruned: [PrunedWhat, number][] = [];
    const r = new Retention(store.db, { alertsMs: 400 * DAY, auditMs: 400 * DAY, batchSize: 500, pauseMs: 0, everyMs: 3_600_000, ...o }, { now: () => now }, undefined, (w, n) => pruned.push([w, n]));
    return { r, pruned };
  };
  const count = (table: string) => (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { file, store, clock, lifecycle, episode, retention, count };
}

/** Every alert by paging `list` with a small page: the cursor must still walk the rest after pruning. */
function pageAll(store: AlertStore): StoredAlert[] {
  const all: StoredAlert[] = [];
  let cursor: string | undefined;
  do {
    const page = store.list({}, 2, cursor);
    all.push(...page.alerts);
    cursor = page.next ?? undefined;
  } while (cursor);
  return all;
}

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('alert store retention', () => {
  it('deletes alerts closed before the cutoff with their events, aliases and outbox rows; keeps recent, open and acknowledged ones', async () => {
    const s = open();
    cleanup.push(() => s.store.close());
    const now = Date.UTC(2026, 10, 1);
    s.episode('old-resolved', now - 520 * DAY, now - 500 * DAY);
    s.episode('old-withdrawn', now - 520 * DAY, now - 500 * DAY, 'withdrawn');
    s.episode('old-open', now - 520 * DAY);
    s.episode('old-acked', now - 520 * DAY);
    s.clock.t = now - 519 * DAY;
    s.lifecycle.acknowledge('old-acked', 'ann', 'on it');
    // Opened long ago but closed recently: the close time counts.
    s.episode('long-running', now - 520 * DAY, now - 10 * DAY);
    s.episode('recent', now - 12 * DAY, now - 11 * DAY);
    s.episode('edge-kept', now - 420 * DAY, now - 400 * DAY + 1);
    // Closed long ago; a later analyzer update does not move its close time.
    s.episode('updated-after-close', now - 520 * DAY, now - 500 * DAY);
    s.clock.t = now - 5 * DAY;
    s.lifecycle.apply(alertUpdate('updated', { id: 'updated-after-close', entity: 'ent-updated-after-close' }));

    // Suppression windows: one still shown by a kept alert, one only by an alert that goes, one that
    // no alert refers to, one that ended recently.
    const window = (entity: string, endsAt: number) => s.store.addSuppression({ scope: 'enterprise', entity, startsAt: endsAt - 30 * DAY, endsAt, reason: 'maintenance', createdBy: 'ann' }, endsAt - 31 * DAY);
    const held = window('ent-supp-ongoing', now - 480 * DAY);
    const freed = window('ent-supp-over', now - 480 * DAY);
    const idle = window('ent-nobody', now - 480 * DAY);
    const fresh = window('ent-nobody', now - 30 * DAY);
    s.episode('supp-ongoing', now - 500 * DAY);
    s.episode('supp-over', now - 500 * DAY, now - 490 * DAY);
    expect(s.store.alert('supp-ongoing')!.state).toBe('suppressed');
    expect(s.store.alert('supp-over')!.state).toBe('suppressed');

    for (const [at, path] of [[now - 450 * DAY, '/old'], [now - 350 * DAY, '/recent']] as const) s.store.audit({ at, actor: 'ann', role: 'admin', method: 'POST', path, status: 200 });

    const gone = ['old-resolved', 'old-withdrawn', 'updated-after-close', 'supp-over'];
    const kept = ['old-open', 'old-acked', 'long-running', 'recent', 'edge-kept', 'supp-ongoing'];
    const keptHistory = new Map(kept.map((id) => [id, s.store.history(id)]));
    const outboxOfGone = (s.store.db.prepare(`SELECT count(*) AS n FROM outbox WHERE event_seq IN (SELECT seq FROM alert_events WHERE alert_id IN (${gone.map(() => '?').join(',')}))`).get(...gone) as { n: number }).n;
    expect(outboxOfGone).toBeGreaterThan(0);
    const outboxBefore = s.count('outbox');

    const { r, pruned } = s.retention(now);
    const n = await r.runOnce();

    expect(n).toEqual({ alerts: gone.length, events: expect.any(Number) as number, outbox: outboxOfGone, suppressions: 2, audit: 1 });
    for (const id of gone) {
      expect(s.store.alert(id)).toBeUndefined();
      expect(s.store.history(id)).toEqual([]);
      expect(s.store.alertIdFor(id)).toBeUndefined();
    }
    for (const id of kept) expect(s.store.history(id)).toEqual(keptHistory.get(id));
    expect(s.count('outbox')).toBe(outboxBefore - outboxOfGone);
    expect(s.store.db.prepare('SELECT count(*) AS n FROM alert_events WHERE alert_id NOT IN (SELECT id FROM alerts)').get()).toEqual({ n: 0 });
    expect(s.store.suppression(held.id)).toBeDefined();
    expect(s.store.alert('supp-ongoing')!.suppressedBy?.id).toBe(held.id);
    expect(s.store.suppression(freed.id)).toBeUndefined();
    expect(s.store.suppression(idle.id)).toBeUndefined();
    expect(s.store.suppression(fresh.id)).toBeDefined();
    expect(s.store.auditLog(10).map((a) => a.path)).toEqual(['/recent']);

    // Newest first, and the cursor walks exactly the kept alerts.
    const paged = pageAll(s.store);
    expect(paged.map((a) => a.id).sort()).toEqual([...kept].sort());
    expect(paged.map((a) => a.openedAt)).toEqual([...paged.map((a) => a.openedAt)].sort((x, y) => y - x));
    expect(s.store.list({ from: now - 600 * DAY, to: now - 510 * DAY }, 50).alerts.map((a) => a.id).sort()).toEqual(['long-running', 'old-acked', 'old-open']);
    // SSE replay after a pruned seq still returns the kept events in order.
    const replay = s.store.eventsAfter(0, 1000);
    expect(new Set(replay.map((e) => e.alertId))).toEqual(new Set(kept));
    expect(replay.map((e) => e.seq)).toEqual([...replay.map((e) => e.seq)].sort((x, y) => x - y));

    // The metric hook saw every row, per table.
    const sum = (w: PrunedWhat) => pruned.filter(([x]) => x === w).reduce((t, [, k]) => t + k, 0);
    expect({ alerts: sum('alerts'), events: sum('events'), outbox: sum('outbox'), suppressions: sum('suppressions'), audit: sum('audit') }).toEqual(n);
    // A second pass finds nothing left to do.
    expect(await r.runOnce()).toEqual({ alerts: 0, events: 0, outbox: 0, suppressions: 0, audit: 0 });
  });

  it('keeps everything at 0 days, and clears the close time of an alert that reopens', async () => {
    const s = open();
    cleanup.push(() => s.store.close());
    const now = Date.UTC(2026, 10, 1);
    s.episode('closed', now - 900 * DAY, now - 800 * DAY);
    s.store.audit({ at: now - 900 * DAY, actor: 'ann', role: 'admin', method: 'POST', path: '/x', status: 200 });
    expect(await s.retention(now, { alertsMs: 0, auditMs: 0 }).r.runOnce()).toEqual({ alerts: 0, events: 0, outbox: 0, suppressions: 0, audit: 0 });

    const flappy = open();
    cleanup.push(() => flappy.store.close());
    const lc = new Lifecycle(flappy.store, { flapWindowMs: 1000 * DAY, flapNotifyLimit: 1, locate: (a) => ({ enterprise: a.entity }), channelsFor: () => [], now: () => flappy.clock.t }, () => undefined);
    flappy.clock.t = now - 600 * DAY;
    lc.apply(alertUpdate('opened', { id: 'f-1', entity: 'e' }));
    flappy.clock.t = now - 500 * DAY;
    lc.apply(alertUpdate('resolved', { id: 'f-1', entity: 'e' }));
    flappy.clock.t = now - 450 * DAY;
    lc.apply(alertUpdate('opened', { id: 'f-2', entity: 'e' }));
    expect(flappy.store.alert('f-1')).toMatchObject({ state: 'open', flaps: 1 });
    expect((await flappy.retention(now).r.runOnce()).alerts).toBe(0);
  });

  it('upgrades a version-1 store: close times from the closing event, then pruned by them', async () => {
    const file = join(tempDir('gridpulse-retention-v1-'), 'alerts.sqlite');
    const now = Date.UTC(2026, 10, 1);
    const v1 = new Database(file);
    v1.exec(MIGRATIONS[0]!);
    v1.pragma('user_version = 1');
    const body = (status: string) => JSON.stringify({ ...alertUpdate('opened', { id: 'x' }).alert, status });
    const row = v1.prepare(`INSERT INTO alerts (id, kind, scope, entity, severity, state, opened_at, since, updated_at, drop_pct, body)
      VALUES (?, 'production_halt', 'enterprise', ?, 'critical', ?, ?, ?, ?, 90, ?)`);
    const ev = v1.prepare(`INSERT INTO alert_events (alert_id, change, state, at, actor, notify, alert) VALUES (?, ?, ?, ?, 'analyzer', 1, '{}')`);
    // Resolved 500 days ago but touched by an analyzer update 5 days ago: the event's time counts.
    row.run('v1-resolved', 'e1', 'resolved', now - 520 * DAY, now - 520 * DAY, now - 5 * DAY, body('resolved'));
    ev.run('v1-resolved', 'opened', 'open', now - 520 * DAY);
    ev.run('v1-resolved', 'resolved', 'resolved', now - 500 * DAY);
    ev.run('v1-resolved', 'updated', 'resolved', now - 5 * DAY);
    // No closing event (hand-edited or lost): the last update is the close time.
    row.run('v1-withdrawn', 'e2', 'withdrawn', now - 520 * DAY, now - 520 * DAY, now - 450 * DAY, body('withdrawn'));
    row.run('v1-suppressed-over', 'e3', 'suppressed', now - 520 * DAY, now - 520 * DAY, now - 450 * DAY, body('resolved'));
    row.run('v1-suppressed', 'e4', 'suppressed', now - 520 * DAY, now - 520 * DAY, now - 450 * DAY, body('open'));
    row.run('v1-open', 'e5', 'open', now - 520 * DAY, now - 520 * DAY, now - 450 * DAY, body('open'));
    v1.close();

    const s = open(file);
    cleanup.push(() => s.store.close());
    expect(s.store.schemaVersion).toBe(MIGRATIONS.length);
    expect(s.store.db.pragma('user_version', { simple: true })).toBe(2);
    const closedAt = Object.fromEntries((s.store.db.prepare('SELECT id, closed_at FROM alerts').all() as { id: string; closed_at: number | null }[]).map((r) => [r.id, r.closed_at]));
    expect(closedAt).toEqual({ 'v1-resolved': now - 500 * DAY, 'v1-withdrawn': now - 450 * DAY, 'v1-suppressed-over': now - 450 * DAY, 'v1-suppressed': null, 'v1-open': null });
    // The prune query uses the new index rather than scanning the table.
    const plan = (s.store.db.prepare('EXPLAIN QUERY PLAN SELECT id FROM alerts WHERE closed_at < ? ORDER BY closed_at LIMIT ?').all(0, 1) as { detail: string }[]).map((p) => p.detail).join(' ');
    expect(plan).toContain('alerts_closed');

    expect((await s.retention(now).r.runOnce()).alerts).toBe(3);
    expect(pageAll(s.store).map((a) => a.id).sort()).toEqual(['v1-open', 'v1-suppressed']);
    expect(s.count('alert_events')).toBe(0);
  });

  it('prunes 10,000 old alerts in bounded batches while another process keeps writing, with no busy errors', async () => {
    const s = open();
    cleanup.push(() => s.store.close());
    const now = Date.now();
    s.store.tx(() => {
      for (let i = 0; i < 10_000; i++) s.episode(`bulk-${i}`, now - 520 * DAY + i, now - 500 * DAY + i);
    });
    expect(s.count('alerts')).toBe(10_000);

    const writer = LineChild.start(CHILD, ['write', s.file], 'retention writer');
    cleanup.push(() => writer.kill9());
    await writer.until((l) => l.some((x) => x.startsWith('wrote')), 'first writes');
    const writesAt = (l: string[]) => Number(l.filter((x) => x.startsWith('wrote')).at(-1)?.split(' ')[1] ?? 0);
    const before = writesAt(writer.lines);

    const { r, pruned } = s.retention(now, { batchSize: 500, pauseMs: 20 });
    const t0 = performance.now();
    const n = await r.runOnce();
    const passMs = performance.now() - t0;
    expect(n.alerts).toBe(10_000);
    expect(n.events).toBe(20_000);
    const batches = pruned.filter(([w]) => w === 'alerts').map(([, k]) => k);
    expect(batches.length).toBe(20);
    expect(Math.max(...batches)).toBeLessThanOrEqual(500);
    // The writer got the lock between batches: it went on writing during the pass.
    const during = writesAt(writer.lines) - before;
    expect(during).toBeGreaterThan(0);

    writer.write('stop\n');
    await writer.until((l) => l.some((x) => x.startsWith('done')), 'done');
    const [, writes, errors, slowest] = writer.lines.find((x) => x.startsWith('done'))!.split(' ').map(Number);
    expect(errors, writer.stderr.slice(0, 500)).toBe(0);
    // Well inside the 5 s busy timeout: a batch holds the lock for milliseconds, not the whole pass.
    expect(slowest).toBeLessThan(2000);
    console.log(`retention: 10,000 alerts in ${batches.length} batches, ${Math.round(passMs)} ms; writer meanwhile ${during} alerts, ${writes} in all, slowest write ${Math.round(slowest!)} ms`);
    expect(s.count('alerts')).toBe(writes);
  });

  it('runs at the pipeline start from alerts.retentionDays and counts what it removed in gridpulse_alert_store_pruned_total', async () => {
    const dataDir = tempDir('gridpulse-retention-stage-');
    const s = open(alertStoreFile(dataDir));
    const now = Date.now();
    s.episode('a-200', now - 220 * DAY, now - 200 * DAY);
    s.episode('a-20', now - 30 * DAY, now - 20 * DAY);
    s.store.audit({ at: now - 200 * DAY, actor: 'ann', role: 'admin', method: 'POST', path: '/x', status: 200 });
    s.store.close();

    const cfg = loadConfig({ env: { GRIDPULSE_ALERT_RETENTION_DAYS: '100', GRIDPULSE_ALERT_AUDIT_RETENTION_DAYS: '0' } });
    const metrics = createMetrics();
    const stage = buildAlerts(cfg, dataDir, { registry: new Registry({}), metrics, log: pino({ level: 'silent' }), publish: () => undefined });
    cleanup.push(() => stage.close());
    stage.start();
    const pruned = async () => Object.fromEntries((await metrics.registry.getSingleMetric('gridpulse_alert_store_pruned_total')!.get()).values.map((v) => [v.labels.what, v.value]));
    const deadline = Date.now() + 10_000;
    while (!(await pruned()).alerts && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await pruned()).toEqual({ alerts: 1, events: 2, outbox: 2 });
    expect(stage.store.alert('a-200')).toBeUndefined();
    expect(stage.store.alert('a-20')).toBeDefined();
    expect(stage.store.auditLog(10)).toHaveLength(1);
  });

  it('survives kill -9 in the middle of a pass: whole alerts gone or kept, and the next pass finishes', async () => {
    const s = open();
    const now = Date.now();
    s.store.tx(() => {
      for (let i = 0; i < 5000; i++) s.episode(`k-${i}`, now - 520 * DAY + i, now - 500 * DAY + i);
    });
    s.store.close();

    const pruner = LineChild.start(CHILD, ['prune', s.file, '400', '200'], 'retention pruner');
    cleanup.push(() => pruner.kill9());
    await pruner.until((l) => l.filter((x) => x.startsWith('batch')).length >= 2, 'two batches');
    await pruner.kill9();
    expect(pruner.lines.some((x) => x.startsWith('pruned'))).toBe(false);

    const after = open(s.file);
    cleanup.push(() => after.store.close());
    expect(after.store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    const left = after.count('alerts');
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(5000);
    expect(left % 200).toBe(0);
    // Every alert left has all its events and outbox rows; nothing is left of the ones that went.
    expect(after.count('alert_events')).toBe(2 * left);
    expect(after.store.db.prepare('SELECT count(*) AS n FROM alert_events WHERE alert_id NOT IN (SELECT id FROM alerts)').get()).toEqual({ n: 0 });
    expect(after.store.db.prepare('SELECT count(*) AS n FROM outbox WHERE event_seq NOT IN (SELECT seq FROM alert_events)').get()).toEqual({ n: 0 });
    expect(after.store.db.prepare('SELECT count(*) AS n FROM alert_aliases WHERE alert_id NOT IN (SELECT id FROM alerts)').get()).toEqual({ n: 0 });
    expect((await after.retention(now).r.runOnce()).alerts).toBe(left);
    expect(after.count('alerts')).toBe(0);
  });
});
