import type { AlertUpdate } from '../../analytics/index.js';
import type { Pipeline } from '../pipeline/index.js';

/** How often the demo prints its progress line. */
export const DEMO_PROGRESS_MS = 10_000;
/** Alerts printed one by one; past this only the counts in the progress line. */
const ALERT_LINES = 25;

const cst = (ms: number) => `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ')} CST`;

async function counter(p: Pipeline, name: 'accepted' | 'rejected'): Promise<{ total: number; byLabel: Record<string, number> }> {
  const m = await p.metrics[name].get();
  const byLabel: Record<string, number> = {};
  let total = 0;
  for (const v of m.values) {
    total += v.value;
    const l = Object.values(v.labels)[0];
    if (l !== undefined) byLabel[String(l)] = (byLabel[String(l)] ?? 0) + v.value;
  }
  return { total, byLabel };
}

/**
 * What a newcomer watching `gridpulse start --simulate` sees on stdout: a line per alert as it opens
 * and, every DEMO_PROGRESS_MS, device time (catching up or live), readings accepted and rejected,
 * and the alerts so far. Returns a stop function.
 */
export function startDemoProgress(p: Pipeline, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): () => void {
  const alerts: Record<string, number> = {};
  let printed = 0;
  const onAlert = (u: AlertUpdate) => {
    if (u.change !== 'opened') return;
    const a = u.alert;
    alerts[a.kind] = (alerts[a.kind] ?? 0) + 1;
    if (printed++ < ALERT_LINES) {
      write(`demo: alert ${a.kind} ${a.scope} ${a.entity}: ${a.dropPct} % under its baseline since ${cst(a.since)}${printed === ALERT_LINES ? ' (further alerts: counts only)' : ''}`);
    }
  };
  p.analyzer?.on('alertUpdate', onAlert);
  const tick = async () => {
    const [acc, rej] = await Promise.all([counter(p, 'accepted'), counter(p, 'rejected')]);
    const device = p.dataClock?.stats().newestMs ?? 0;
    const behindMs = Date.now() - device;
    const when = device === 0 ? 'waiting for the first readings'
      : behindMs > 30 * 60_000 ? `${cst(device)} (catching up, ${(behindMs / 86_400_000).toFixed(1)} d behind)` : `${cst(device)} (live)`;
    const rejects = Object.entries(rej.byLabel).map(([k, v]) => `${k} ${v}`).join(', ');
    const nAlerts = Object.values(alerts).reduce((a, b) => a + b, 0);
    write(`demo: device time ${when} | readings accepted ${acc.total}, rejected ${rej.total}${rejects ? ` (${rejects})` : ''} | alerts ${nAlerts}${nAlerts ? ` (${Object.entries(alerts).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`);
  };
  const timer = setInterval(() => void tick(), DEMO_PROGRESS_MS);
  return () => {
    clearInterval(timer);
    p.analyzer?.off('alertUpdate', onAlert);
  };
}

/** Resolves once the analyzer's state is settled (checkpoint, warm-up done or failed), or after timeoutMs. */
export async function waitForWarmAnalyzer(p: Pipeline, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (p.analyzer && performance.now() < deadline) {
    const m = await p.metrics.analyticsState.get();
    const source = m.values.find((v) => v.value === 1)?.labels.source;
    if (source === 'checkpoint' || source === 'warmup') return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
