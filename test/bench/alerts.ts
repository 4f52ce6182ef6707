/**
 * Alert delivery benchmark (docs/benchmarks.md): `npm run bench:alerts`.
 *
 * 1. Latency from the analyzer's decision (an `alertUpdate`, which the analyzer emits on the tick after
 *    the deciding reading) to a Standard Webhooks POST received and verified by a real local HTTP
 *    receiver: through the alerts stage (SQLite transaction with the outbox row, outbox loop, signing),
 *    beside a same-run baseline: the same signed POST sent straight with fetch (no store, no outbox).
 * 2. Outbox drain after a one-hour receiver outage on an accelerated clock: changes keep coming during
 *    the outage, the outbox retries with backoff (1 s doubling to 5 min, on the accelerated clock), then
 *    the receiver comes back; drain time = receiver up → last row delivered.
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { createAlerts, type Clock } from '../../alerts/index.js';
import type { AlertUpdate } from '../../analytics/index.js';

const N = Number(process.env.BENCH_ALERTS ?? 1000);
const RATE = Number(process.env.BENCH_ALERTS_RATE ?? 100); // changes per second for the latency run
const OUTAGE_CHANGES = Number(process.env.BENCH_OUTAGE_CHANGES ?? 2000);
const SPEED = Number(process.env.BENCH_CLOCK_SPEED ?? 120); // accelerated clock: 1 h in 30 s

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const wh = new Webhook(secret);

function update(i: number, change: AlertUpdate['change'] = 'opened'): AlertUpdate {
  const now = Date.now();
  return {
    change,
    alert: {
      id: `b-${i}`, kind: 'production_cut', scope: 'enterprise', entity: `ent${i % 500}`, status: 'open', openedAt: now, since: now - 3_600_000, updatedAt: now,
      baselineKwh: 1000, actualKwh: 500, dropPct: 50, contributors: [{ enterprise: `ent${i % 500}`, share: 1, missingKwh: 500 }], evidence: { detectedAtTs: now, intervals: 4 },
    },
  };
}

async function receiver(onPost: (body: string, headers: Record<string, string>) => void) {
  let up = false;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (!up) {
        res.writeHead(503).end();
        return;
      }
      wh.verify(body, req.headers as Record<string, string>);
      onPost(body, req.headers as Record<string, string>);
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, setUp: (v: boolean) => (up = v), close: () => new Promise<void>((r) => server.close(() => r())) };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls until cond holds; a stuck delivery stops the bench naming what never happened. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`bench:alerts: ${what} not within ${ms / 1000} s`);
    await sleep(5);
  }
}

async function latency() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-alerts-'));
  const sentAt = new Map<string, number>();
  const outboxLat: number[] = [];
  let measuring = true;
  const rx = await receiver((body) => {
    const d = JSON.parse(body) as { data: { alert: { id: string } } };
    const t = sentAt.get(d.data.alert.id);
    if (measuring && t !== undefined) outboxLat.push(performance.now() - t);
  });
  rx.setUp(true);
  const stage = createAlerts({ file: join(dir, 'a.sqlite'), locale: 'en', flapWindowMs: 0, flapNotifyLimit: 1, retryBaseMs: 1000, retryMaxMs: 300_000, webhook: { url: rx.url, secret }, sse: { maxBufferedBytes: 1 << 20, maxStallMs: 30_000 } }, { locate: () => ({}) });
  stage.start();
  for (let i = 0; i < N; i++) {
    sentAt.set(`b-${i}`, performance.now());
    stage.lifecycle.apply(update(i));
    await sleep(1000 / RATE);
  }
  await until(() => outboxLat.length >= N, 120_000, `${N} verified deliveries`);
  measuring = false;
  await stage.close();

  // Baseline: the same signed POST straight from the decision, no store and no outbox.
  const direct: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const body = JSON.stringify({ type: 'alert.opened', timestamp: new Date().toISOString(), data: { seq: i, change: 'opened', alert: update(i).alert } });
    const at = new Date();
    await fetch(rx.url, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': `x:${i}`, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': wh.sign(`x:${i}`, at, body) }, body });
    direct.push(performance.now() - t0);
    await sleep(1000 / RATE);
  }
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`latency, decision → verified webhook delivery, ${N} changes at ${RATE}/s:`);
  console.log(`  alerts stage (SQLite tx + outbox + sign + POST): p50 ${fmt(pct(outboxLat, 50))}  p99 ${fmt(pct(outboxLat, 99))}  max ${fmt(Math.max(...outboxLat))}`);
  console.log(`  baseline (sign + POST, nothing durable):         p50 ${fmt(pct(direct, 50))}  p99 ${fmt(pct(direct, 99))}  max ${fmt(Math.max(...direct))}`);
}

async function outage() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-alerts-'));
  let attempts = 0;
  const t0 = Date.now();
  const clock: Clock = {
    now: () => t0 + (Date.now() - t0) * SPEED,
    sleep: (ms, wake) => new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms / SPEED);
      void wake.then(() => { clearTimeout(t); resolve(); });
    }),
  };
  let delivered = 0;
  let firstAt = 0;
  const rx = await receiver(() => {
    if (delivered++ === 0) firstAt = clock.now();
  });
  const stage = createAlerts({ file: join(dir, 'a.sqlite'), locale: 'en', flapWindowMs: 0, flapNotifyLimit: 1, retryBaseMs: 1000, retryMaxMs: 300_000, webhook: { url: rx.url, secret }, sse: { maxBufferedBytes: 1 << 20, maxStallMs: 30_000 } }, { locate: () => ({}), clock });
  stage.start();
  const origFetch = globalThis.fetch;
  globalThis.fetch = ((...a: Parameters<typeof fetch>) => (attempts++, origFetch(...a))) as typeof fetch;
  const hourReal = 3_600_000 / SPEED;
  const start = Date.now();
  for (let i = 0; i < OUTAGE_CHANGES; i++) {
    stage.lifecycle.apply(update(i));
    await sleep(hourReal / OUTAGE_CHANGES);
  }
  while (Date.now() - start < hourReal) await sleep(10);
  const attemptsDuringOutage = attempts;
  const queued = stage.channels()[0]!.queued;
  rx.setUp(true);
  const upAt = clock.now();
  const upReal = performance.now();
  await until(() => delivered >= OUTAGE_CHANGES, 300_000, `the ${OUTAGE_CHANGES} changes queued during the outage delivered`);
  const drainClock = clock.now() - upAt;
  const drainReal = performance.now() - upReal;
  globalThis.fetch = origFetch;
  await stage.close();
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`outbox drain after a 1 h receiver outage (clock ×${SPEED}, ${OUTAGE_CHANGES} changes during the outage, ${queued} queued at the end):`);
  console.log(`  attempts during the outage: ${attemptsDuringOutage} (head-of-line row only, backoff 1 s → 5 min)`);
  console.log(`  receiver up → first delivery (the wait for the next retry, ≤ 5 min + jitter): ${((firstAt - upAt) / 1000).toFixed(1)} s on the outage clock`);
  console.log(`  receiver up → all ${OUTAGE_CHANGES} delivered: ${(drainReal / 1000).toFixed(2)} s real; the backlog itself went out at ${Math.round(OUTAGE_CHANGES / ((drainReal - (firstAt - upAt) / SPEED) / 1000))} deliveries/s (work is not accelerated; ${(drainClock / 1000).toFixed(0)} s on the outage clock)`);
}

await latency();
await outage();
