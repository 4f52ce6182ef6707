import { runCity } from './city.js';
import { formatScore } from './score.js';
import { runSteel, formatSteel } from './steel.js';

/**
 * `npm run eval [-- --enterprises 2000 --days 60 --start 2025-03-17 --seed 1 --no-steel --no-city --sf | --only-sf --misses --false-alarms --cache DIR --sensitivity low|normal|high]`
 * Runs the simulated city (and, with --sf, a second run across the Spring Festival) and the steel-plant
 * replay through the analyzer offline, and prints markdown tables.
 */
function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const enterprises = Number(arg('enterprises', '2000'));
const days = Number(arg('days', '60'));
const seed = Number(arg('seed', '1'));
const start = arg('start', '2025-03-17');

const out: string[] = [];
if (!['low', 'normal', 'high'].includes(arg('sensitivity', 'normal'))) throw new Error('--sensitivity: expected low, normal or high');
if (!flag('no-city')) {
  const runs: Array<[string, string]> = flag('only-sf') ? [] : [[`${start}T00:00:00+08:00`, `city: ${enterprises} enterprises, ${days} days from ${start}, seed ${seed}`]];
  if (flag('sf') || flag('only-sf')) runs.push(['2025-01-06T00:00:00+08:00', `city across the Spring Festival: ${enterprises} enterprises, ${days} days from 2025-01-06, seed ${seed}`]);
  for (const [s, title] of runs) {
    const sensitivity = arg('sensitivity', 'normal') as 'low' | 'normal' | 'high';
    const r = runCity({ enterprises, days, start: s, seed, cacheDir: flag('cache') ? arg('cache', '') : undefined, options: { sensitivity } });
    out.push(formatScore(title, r.score));
    out.push(`- ${r.readings.toLocaleString('en')} readings on ${r.meters} meters (${r.rejected} malformed dropped as the pipeline would); engine ${(r.engineMs / 1000).toFixed(1)} s, simulator ${(r.simMs / 1000).toFixed(1)} s`);
    if (flag('misses')) out.push('', 'misses:', ...r.score.misses.map((m) => `- ${m.id} ${m.kind} ${m.entity} ${m.start} got: ${m.got}`));
    if (flag('false-alarms')) out.push('', 'false alarms:', ...r.score.falseAlarmList.map((a) => `- ${a.kind} ${a.entity} since ${a.since} opened ${a.opened} drop ${a.dropPct.toFixed(0)}% ${a.status}${a.explainedBy ? ` (involved in ${a.explainedBy})` : ''}`));
    out.push('');
  }
}
if (!flag('no-steel')) {
  const path = arg('steel', '../shared/data/steel_industry_15min.csv');
  const runs = [
    runSteel({ path }),
    runSteel({ path, options: { sensitivity: 'low' } }),
    runSteel({ path, options: { sensitivity: 'high' } }),
    runSteel({ path, form: 'energy60' }),
    runSteel({ path, form: 'register60' }),
    runSteel({ path, form: 'energy60at15' }),
    runSteel({ path, form: 'register60at15' }),
    // Messy real data (steel-degrade.ts): coarser exports, missing readings, link outages, late batches, noise.
    runSteel({ path, form: 'energy15' }),
    runSteel({ path, form: 'energy30' }),
    runSteel({ path, form: 'register30' }),
    runSteel({ path, form: 'energy30at15' }),
    runSteel({ path, form: 'register30at15' }),
    runSteel({ path, degrade: { dropShare: 0.02 } }),
    runSteel({ path, degrade: { dropShare: 0.1 } }),
    runSteel({ path, form: 'energy15', degrade: { dropShare: 0.02 } }),
    runSteel({ path, form: 'energy15', degrade: { dropShare: 0.1 } }),
    runSteel({ path, degrade: { linkOutages: 6 } }),
    runSteel({ path, form: 'energy15', degrade: { linkOutages: 6 } }),
    runSteel({ path, degrade: { lateHourShare: 0.05 } }),
    runSteel({ path, form: 'energy15', degrade: { lateHourShare: 0.05 } }),
    runSteel({ path, degrade: { noise: 0.1 } }),
    runSteel({ path, degrade: { noise: 0.2 } }),
  ];
  out.push(formatSteel(runs));
}
console.log(out.join('\n'));
