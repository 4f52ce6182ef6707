import type { Alert, Analyzer, Calendar } from '../../analytics/index.js';
import type { OffsetFn } from './time.js';
import { isoIn } from './output.js';

interface Inspected {
  bins: Array<{ ts: number; actualKwh: number; expectedKwh: number }>;
  cusum: number;
  nearZeroRun: number;
  episodeSince: number | null;
  noise: number;
  lowQuantile: number;
  peakKwh: number;
  outage: boolean;
  meters: Array<{ meter: string; observations: number }>;
}

const DAY_MS = 86_400_000;
const WEEKDAY = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * `--explain METER --at TIME`: the engine's own view of the meter's enterprise once the interval
 * holding TIME has been judged (Analyzer.inspect: recent intervals, CUSUM, noise, the ordinary-dip
 * quantile, learning progress), the thresholds it compares them with, and the reasons that apply.
 */
export function explain(o: { analyzer: Analyzer; calendar: Calendar; meter: string; enterprise: string; at: number; offset: OffsetFn; alerts: Alert[] }): string {
  const { analyzer, offset } = o;
  const opt = analyzer.options;
  const v = analyzer.inspect(o.enterprise) as Inspected | undefined;
  const iso = (ms: number) => isoIn(offset, ms);
  if (!v) return `${o.meter}: no readings of this meter up to ${iso(o.at)}\n`;
  const I = opt.intervalMs;
  const lines: string[] = [];
  lines.push(`meter ${o.meter} (enterprise ${o.enterprise}) at ${iso(o.at)}, interval ${I / 60_000} min`);
  const local = o.at + offset(o.at);
  const day = Math.floor(local / DAY_MS);
  const code = o.calendar.dayClass(day);
  const pattern = code & 15;
  const dayName = pattern === 7 ? 'holiday' : pattern === 8 ? 'Spring Festival' : WEEKDAY[pattern] ?? String(pattern);
  lines.push(`day: ${new Date(day * DAY_MS).toISOString().slice(0, 10)}, judged as ${dayName} (calendar ${o.calendar.name})`);
  lines.push('', 'interval end                 actual kWh   expected kWh   actual/expected');
  for (const b of v.bins) {
    const ratio = b.expectedKwh > 0 ? (b.actualKwh / b.expectedKwh).toFixed(2) : '—';
    lines.push(`${iso(b.ts).padEnd(28)} ${String(b.actualKwh).padStart(10)}   ${String(b.expectedKwh).padStart(12)}   ${ratio.padStart(15)}`);
  }
  const obs = Math.min(...v.meters.map((m) => m.observations));
  lines.push('', 'detector:');
  lines.push(`  CUSUM ${v.cusum.toFixed(2)} (alerts at ${opt.cusumH}; reference k ${opt.cusumK}, σ units)`);
  lines.push(`  near-zero run ${v.nearZeroRun} intervals (a halt at ${opt.nearZeroRun} below ${opt.nearZeroRatio} × expected)`);
  lines.push(`  noise σ/expected ${v.noise.toFixed(3)}; ordinary-dip lower quantile ${v.lowQuantile.toFixed(2)} (a drop must go ${opt.qloMargin} below it); recent peak ${Math.round(v.peakKwh * 100) / 100} kWh/interval`);
  lines.push(`  learning: ${obs} of ${opt.learnIntervals} intervals observed`);
  lines.push(`  drop episode: ${v.episodeSince === null ? 'none' : `open since ${iso(v.episodeSince)}`}${v.outage ? '; in a grid outage' : ''}`);
  const why: string[] = [];
  if (obs < opt.learnIntervals) why.push(`still learning (${obs} of ${opt.learnIntervals} intervals): no drop alert before that`);
  if ((pattern === 0 || pattern === 6) && !opt.judgeWeekends) why.push('a weekend day: new drops are not opened on weekends (engine option judgeWeekends=false)');
  if (pattern === 7 || pattern === 8 || (code & 16) !== 0) why.push('a holiday or the Spring Festival window in this calendar: load is not judged against a working week');
  const last = v.bins[v.bins.length - 1];
  if (last && last.expectedKwh < opt.minExpectedKwh) why.push(`expected energy ${last.expectedKwh} kWh is below minExpectedKwh ${opt.minExpectedKwh}: too small to judge`);
  if (last && last.expectedKwh > 0 && last.expectedKwh < opt.minPeakShare * v.peakKwh) why.push(`expected energy is below ${opt.minPeakShare} of the recent peak: an off-hour, not judged`);
  const open = o.alerts.filter((a) => a.openedAt <= o.at + I && (a.status === 'open' || a.updatedAt >= o.at) && (a.entity === o.enterprise || a.entity === o.meter || a.contributors.some((c) => c.enterprise === o.enterprise)));
  for (const a of open) why.push(`alert ${a.kind} (${a.scope} ${a.entity}) raised ${iso(a.openedAt)}, since ${iso(a.since)}, drop ${a.dropPct}%`);
  if (why.length === 0) {
    why.push(v.cusum < opt.cusumH && v.nearZeroRun < opt.nearZeroRun
      ? `no alert: CUSUM ${v.cusum.toFixed(2)} < ${opt.cusumH} and no run of ${opt.nearZeroRun} near-zero intervals`
      : 'the detector statistics are past their thresholds: an alert is raised once the drop is also below the ordinary-dip quantile and minDropRatio');
  }
  lines.push('', 'why:', ...why.map((w) => `  - ${w}`));
  return `${lines.join('\n')}\n`;
}
