/**
 * The long fuzz run (`npm run fuzz`; issue 8): ≥ 10,000 hostile messages (test/support/fuzz.ts) over
 * real MQTT connections to `gridpulse start` as a child process, storing into a fresh managed influxd.
 * Checks the contract for every message and every good reading in InfluxDB, then prints the figures:
 * messages by kind, rejects by reason, good readings stored, the process alive, its peak RSS (VmHWM)
 * beside a same-run baseline of the same number of messages of good readings only.
 *
 *   npm run fuzz                             10,000 messages, seed 1
 *   npm run fuzz -- --messages 20000 --seed 7
 * Exit code 1 when a message or a reading broke the contract.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hashPassword, saveRegistry, type RegistryFileInput } from '../../src/registry/index.js';
import { createInfluxClient } from '../../src/storage/influx.js';
import { startManagedInfluxd } from '../../src/storage/managed-influxd.js';
import { spawnGridpulse } from '../support/cli.js';
import { MessageBuilder, messageArb, publishAndCheck, storedProblems, type FuzzGateway, type MessageTemplate } from '../support/fuzz.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '10000' }, seed: { type: 'string', default: '1' }, gateways: { type: 'string', default: '8' } } });
const MESSAGES = Number(values.messages);
const SEED = Number(values.seed);
const GATEWAYS = Number(values.gateways);
const LIMITS = { maxPayloadBytes: 1_048_576, maxBatchReadings: 5000 };

function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

async function run(name: string, root: string, influxUrl: string, templates: MessageTemplate[]) {
  const dataDir = join(root, name);
  const password = 'fuzz-password-1';
  const hash = hashPassword(password, { N: 1024 });
  const reg: RegistryFileInput = { version: 1, enterprises: [{ id: 'ent-fuzz', county: 'nanhu' }], gateways: [], meters: [] };
  const gateways: FuzzGateway[] = [];
  for (let g = 0; g < GATEWAYS; g++) {
    const id = `gwf${g}`;
    const meters = Array.from({ length: 20 }, (_, m) => `mf${g}-${m}`);
    reg.gateways!.push({ id, passwordHash: hash });
    reg.meters!.push(...meters.map((m) => ({ id: m, enterprise: 'ent-fuzz', gateway: id })));
    gateways.push({ id, password, meters });
  }
  saveRegistry(join(dataDir, 'registry.json'), reg);
  const db = `fuzz_${name}`;
  const g = await spawnGridpulse({
    GRIDPULSE_DATA_DIR: dataDir, INFLUX_URL: influxUrl, INFLUX_BUCKET: db, INFLUX_API_VERSION: 'v1',
    GRIDPULSE_MQTT_MAX_MSG_RATE: '100000',
  });
  const pid = g.child.pid!;
  const atStart = memoryOf(pid);
  const started = performance.now();
  let next = 1000;
  const r = await publishAndCheck(`mqtt://127.0.0.1:${g.ports.mqtt}`, gateways, templates, new MessageBuilder(gateways, LIMITS), (done) => {
    if (done >= next) {
      process.stderr.write(`  ${name}: ${done}/${templates.length} messages\n`);
      next += 1000;
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const influx = createInfluxClient({ url: influxUrl, apiVersion: 'v1', org: 'gridpulse', bucket: db, timeoutMs: 30_000 });
  const deadline = Date.now() + 120_000;
  let rows: Awaited<ReturnType<typeof influx.query>> = [];
  while (Date.now() < deadline) {
    rows = await influx.query('SELECT meter, register_kwh FROM reading').catch(() => []);
    if (rows.length >= r.goodSent) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  const stored = storedProblems(r.good, rows);
  const alive = g.child.exitCode === null && g.child.signalCode === null;
  const mem = memoryOf(pid);
  await g.stop();
  return { name, ...r, seconds, storedRows: rows.length, storedProblems: stored, alive, atStart, mem };
}

const root = mkdtempSync(join(tmpdir(), 'gridpulse-fuzz-'));
const influxd = await startManagedInfluxd({ dataDir: join(root, 'influxdb'), port: 0 });
let failed = false;
try {
  const hostile = fc.sample(messageArb, { numRuns: MESSAGES, seed: SEED });
  // The baseline: as many messages, each a batch of good readings only (the mix's average size).
  const baseline = fc.sample(fc.record({ kind: fc.constant('readings' as const), shape: fc.constant('batch' as const), items: fc.array(fc.record({ kind: fc.constant('good' as const), meter: fc.nat(1000), energyKwh: fc.integer({ min: 0, max: 99_999_999 }).map((c) => c / 100) }), { minLength: 1, maxLength: 12 }) }), { numRuns: MESSAGES, seed: SEED });
  const results = [await run('baseline', root, influxd.url, baseline), await run('hostile', root, influxd.url, hostile)];
  for (const r of results) {
    console.log(`\n${r.name}: ${r.messages} messages in ${r.seconds.toFixed(1)} s (${(r.messages / r.seconds).toFixed(0)}/s) over ${GATEWAYS} connections; by kind ${JSON.stringify(r.byKind)}`);
    console.log(`  rejects by reason ${JSON.stringify(r.rejectsByReason)}`);
    console.log(`  good readings sent ${r.goodSent}, stored ${r.storedRows}; bad readings/messages answered ${r.badSent}`);
    console.log(`  gridpulse alive at the end: ${r.alive}; RSS ${r.atStart.rssMiB.toFixed(0)} MiB after start, ${r.mem.rssMiB.toFixed(0)} MiB at the end, peak ${r.mem.peakMiB.toFixed(0)} MiB`);
    for (const p of [...r.problems.slice(0, 10), ...r.storedProblems]) console.log(`  PROBLEM ${p}`);
    if (r.problems.length > 0 || r.storedProblems.length > 0 || !r.alive || r.storedRows !== r.goodSent) failed = true;
  }
  const [b, h] = results as [(typeof results)[0], (typeof results)[0]];
  const reasons = Object.entries(h.rejectsByReason).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ');
  console.log(`\n| run | messages | msgs/s | rejects by reason | good readings sent / stored | contract problems | alive | peak RSS |
|---|---|---|---|---|---|---|---|
| baseline (good batches only) | ${b.messages.toLocaleString('en')} | ${(b.messages / b.seconds).toFixed(0)} | — | ${b.goodSent.toLocaleString('en')} / ${b.storedRows.toLocaleString('en')} | ${b.problems.length + b.storedProblems.length} | ${b.alive ? 'yes' : 'NO'} | ${b.mem.peakMiB.toFixed(0)} MiB |
| hostile mix (seed ${SEED}) | ${h.messages.toLocaleString('en')} | ${(h.messages / h.seconds).toFixed(0)} | ${reasons} | ${h.goodSent.toLocaleString('en')} / ${h.storedRows.toLocaleString('en')} | ${h.problems.length + h.storedProblems.length} | ${h.alive ? 'yes' : 'NO'} | ${h.mem.peakMiB.toFixed(0)} MiB |`);
  console.log(`hostile messages by kind: ${JSON.stringify(h.byKind)}`);
} finally {
  await influxd.stop();
  rmSync(root, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
