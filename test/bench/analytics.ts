import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createAnalyzer } from '../../analytics/index.js';
import { factoryLoad } from '../../analytics/eval/synth.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';

/**
 * `npm run bench:analytics [-- --sizes 10000,100000 --days 2 --no-write --listen-expected]`
 * Readings per second through the analyzer alone (one core: this process) and bytes of state per meter,
 * at 10,000 and 100,000 meters of 15-minute data (2 meters per enterprise, 7 counties, 12 chains), plus a
 * churn run showing that state does not grow with new tag values. Appends/updates the "Analytics engine"
 * section of docs/benchmarks.md. --listen-expected attaches an `expected` listener, as the pipeline does
 * (the per-enterprise points of every interval are then built; without a listener they are not).
 */
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const sizes = arg('sizes', '10000,100000').split(',').map(Number);
const days = Number(arg('days', '2'));
const listenExpected = process.argv.includes('--listen-expected');
const I = 900_000;
const START = Date.parse('2025-03-02T16:00:00Z');
const COUNTIES = ['nanhu', 'xiuzhou', 'jiashan', 'haiyan', 'haining', 'pinghu', 'tongxiang'];
const CHAINS = ['integrated_circuits', 'semiconductors', 'photovoltaics', 'hydrogen', 'nev_parts', 'fasteners', 'cnc_machine_tools', 'power_equipment', 'communication_equipment', 'textiles_chemical_fibre', 'furniture', 'smart_sensors'];

function mem(): number {
  gc(); gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * One reusable reading object per meter: the generator mutates ts/energyKwh in place (not timed). Registers
 * start with a fractional part, as real ones have: from whole numbers V8 would move each object's energyKwh
 * into a 16-byte heap box at the first step, after `before`, and count the bench's own input as state.
 */
function makeReadings(n: number, idBase = 0): EnrichedReading[] {
  const rs: EnrichedReading[] = [];
  for (let i = 0; i < n; i++) {
    const e = Math.floor(i / 2);
    rs.push({ meter: `m${idBase + i}`, ts: START, energyKwh: 1000.25 + i, gateway: `gw${Math.floor((idBase + i) / 60)}`, enterprise: `ent${idBase / 2 + e}`, county: COUNTIES[e % 7]!, chain: CHAINS[e % 12]!, ctMultiplier: 1 });
  }
  return rs;
}

function step(rs: EnrichedReading[], ts: number): void {
  const load = factoryLoad(ts - I, 1, 1);
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]!;
    r.ts = ts;
    r.energyKwh = Math.round((r.energyKwh! + load * (20 + (i % 50)) * (0.95 + 0.1 * ((i * 7919 + ts / I) % 13) / 13)) * 100) / 100;
  }
}

interface Row { meters: number; readings: number; ingestPerS: number; totalPerS: number; bytesPerMeter: number; enterprises: number }

function bench(n: number): Row {
  const rs = makeReadings(n);
  const batch = 500;
  const before = mem();
  const an = createAnalyzer({ graceMs: 0, initialCapacity: n / 2 }, { registry: () => undefined });
  let expectedPoints = 0;
  if (listenExpected) an.on('expected', (ps) => { expectedPoints += ps.length; });
  const intervals = days * 96;
  let ingestNs = 0n, tickNs = 0n, count = 0;
  for (let k = 0; k <= intervals; k++) {
    const ts = START + k * I;
    step(rs, ts);
    // CPU time of this process (user + system), not wall time: the machine is shared, and the question
    // is what one core does. Gateways publish batches of hundreds (product.md): feed the engine that way.
    const c0 = process.cpuUsage();
    for (let i = 0; i < rs.length; i += batch) an.ingest(rs.slice(i, i + batch));
    const c1 = process.cpuUsage(c0);
    an.tick(ts);
    const c2 = process.cpuUsage(c0);
    ingestNs += BigInt(c1.user + c1.system) * 1000n;
    tickNs += BigInt(c2.user + c2.system - c1.user - c1.system) * 1000n;
    count += rs.length;
  }
  const after = mem();
  const row = {
    meters: n, readings: count, enterprises: an.stats().enterprises,
    ingestPerS: Math.round(count / (Number(ingestNs) / 1e9)),
    totalPerS: Math.round(count / (Number(ingestNs + tickNs) / 1e9)),
    bytesPerMeter: Math.round((after - before) / n),
  };
  if (an.alerts().length > n) throw new Error('unexpected alert flood');
  if (listenExpected) console.error(`${n} meters: ${expectedPoints.toLocaleString('en')} expected points emitted`);
  return row;
}

/** New meter ids every few days; idle ones are evicted: live meters and capacity stay bounded. */
function churn(n: number, generations: number, daysPer: number): string[] {
  const an = createAnalyzer({ graceMs: 0, evictAfterMs: 2 * 86_400_000, initialCapacity: 1024 }, { registry: () => undefined });
  const out: string[] = [];
  let ts = START;
  for (let g = 0; g < generations; g++) {
    const rs = makeReadings(n, g * n);
    for (let k = 0; k < daysPer * 96; k++) {
      ts += I;
      step(rs, ts);
      for (let i = 0; i < rs.length; i += 500) an.ingest(rs.slice(i, i + 500));
      an.tick(ts);
    }
    const s = an.stats();
    out.push(`| ${g + 1} | ${(g + 1) * n} | ${s.meters} | ${s.meterCapacity} | ${s.enterprises} | ${an.counters().evicted} |`);
  }
  return out;
}

const rows = sizes.map(bench);
const churnRows = churn(5_000, 4, 3);
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const table = [
  '| meters | enterprises | readings | ingest only (readings/s) | ingest + interval evaluation (readings/s) | state bytes per meter |',
  '|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.meters.toLocaleString('en')} | ${r.enterprises.toLocaleString('en')} | ${r.readings.toLocaleString('en')} | ${r.ingestPerS.toLocaleString('en')} | ${r.totalPerS.toLocaleString('en')} | ${r.bytesPerMeter} |`),
];
// Marginal cost: what each additional meter costs once fixed costs (code, roll-ups, index points) are paid.
const marginal = rows.length >= 2
  ? Math.round((rows[rows.length - 1]!.bytesPerMeter * rows[rows.length - 1]!.meters - rows[0]!.bytesPerMeter * rows[0]!.meters) / (rows[rows.length - 1]!.meters - rows[0]!.meters))
  : undefined;
const churnTable = [
  '| generation | meter ids seen | live meters | meter capacity | live enterprises | evicted |',
  '|---:|---:|---:|---:|---:|---:|',
  ...churnRows,
];
const section = [
  '<!-- analytics:begin -->',
  '## Analytics engine',
  '',
  `Command: \`npm run bench:analytics\` (node ${process.version}, ${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; one process, so one core; ${new Date().toISOString().slice(0, 10)}).`,
  `Rates are readings per CPU-second of this process (process.cpuUsage: user + system), so a busy shared machine does not understate them. Synthetic 15-minute data, ${days} days, 2 meters per enterprise, batches of 500; bytes per meter = (heapUsed + arrayBuffers after GC, after − before) ÷ meters, with the dense arrays sized to the meter and enterprise counts (initialCapacity = meters ÷ 2; in production doubling growth leaves up to 2× slack).`,
  '',
  ...table,
  ...(marginal !== undefined ? ['', `Marginal state per additional meter between ${rows[0]!.meters.toLocaleString('en')} and ${rows[rows.length - 1]!.meters.toLocaleString('en')} meters: ${marginal} bytes (the rest is fixed cost: compiled code, roll-ups, index points).`] : []),
  '',
  'Churn (5,000 new meter ids every 3 days, eviction after 2 idle days): state stays bounded.',
  '',
  ...churnTable,
  '<!-- analytics:end -->',
].join('\n');
console.log(section);
if (!process.argv.includes('--no-write')) {
  const path = 'docs/benchmarks.md';
  const cur = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const next = /<!-- analytics:begin -->[\s\S]*<!-- analytics:end -->/.test(cur)
    ? cur.replace(/<!-- analytics:begin -->[\s\S]*<!-- analytics:end -->/, section)
    : `${cur.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}
