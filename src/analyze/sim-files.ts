import { createInterface } from 'node:readline';
import type { OpenedInput } from './open.js';
import type { InputRow, Rejects } from './rows.js';

/** `readings.jsonl` (MQTT messages as the simulator sent them) or `readings.lp` (line protocol as stored). */
export function simulatorFormat(path: string): 'jsonl' | 'lp' | undefined {
  const p = path.replace(/\.gz$/, '');
  return p.endsWith('.jsonl') ? 'jsonl' : p.endsWith('.lp') ? 'lp' : undefined;
}

const TAG = (k: string) => new RegExp(`[, ]${k}=((?:\\\\.|[^,\\\\ ])*)`);
const TAGS = { meter: TAG('meter'), enterprise: TAG('enterprise'), gateway: TAG('gateway') };
const FIELD = (k: string) => new RegExp(`[ ,]${k}=(-?[0-9.eE+-]+)`);
const FIELDS = { register: FIELD('register_kwh'), power: FIELD('power_kw'), ct: FIELD('ct') };
const unescape = (s: string) => s.replace(/\\(.)/g, '$1');

/** One line-protocol point of the `reading` measurement (src/storage/line-protocol.ts), or null. */
function fromLine(line: string, source: string, n: number): InputRow | null {
  if (!line.startsWith('reading,')) return null;
  const meter = TAGS.meter.exec(line)?.[1];
  const reg = FIELDS.register.exec(line)?.[1];
  const ts = /\s(\d+)\s*$/.exec(line)?.[1];
  if (meter === undefined || reg === undefined || ts === undefined) return null;
  const row: InputRow = { meter: unescape(meter), ts: Number(ts) * 1000, kind: 'register', value: Number(reg), source, line: n };
  const ent = TAGS.enterprise.exec(line)?.[1], gw = TAGS.gateway.exec(line)?.[1];
  if (ent !== undefined) row.enterprise = unescape(ent);
  if (gw !== undefined) row.gateway = unescape(gw);
  const ct = Number(FIELDS.ct.exec(line)?.[1]);
  if (Number.isFinite(ct) && ct > 0) row.ct = ct;
  // Stored power is primary (× ct); the analyzer wants it as the meter reported it.
  const p = Number(FIELDS.power.exec(line)?.[1]);
  if (Number.isFinite(p)) row.powerKw = p / (row.ct ?? 1);
  return row;
}

/** Readings of one simulator message line; a garbled message (`raw`) is one malformed line. */
function fromMessage(line: string, source: string, n: number, rejects: Rejects, sink: (r: InputRow) => void): void {
  const where = `${source}:${n}`;
  let msg: { gateway?: unknown; readings?: unknown };
  try {
    msg = JSON.parse(line) as typeof msg;
  } catch {
    return rejects.add('malformed_line', where, 'not JSON');
  }
  if (!Array.isArray(msg.readings)) return rejects.add('malformed_line', where, 'no readings array');
  for (const x of msg.readings as Array<Record<string, unknown>>) {
    const ts = typeof x.ts === 'number' ? x.ts : typeof x.ts === 'string' && /(Z|[+-]\d\d:?\d\d)$/.test(x.ts) ? Date.parse(x.ts) : Number.NaN;
    if (!Number.isFinite(ts)) {
      rejects.add('bad_timestamp', where, String(x.ts));
      continue;
    }
    const row: InputRow = { meter: typeof x.meter === 'string' ? x.meter : '', ts, kind: 'register', value: typeof x.energyKwh === 'number' ? x.energyKwh : Number.NaN, source, line: n };
    if (typeof msg.gateway === 'string') row.gateway = msg.gateway;
    if (typeof x.powerKw === 'number') row.powerKw = x.powerKw;
    sink(row);
  }
}

export async function readSimulatorFile(input: OpenedInput, format: 'jsonl' | 'lp', sink: (r: InputRow) => void, rejects: Rejects): Promise<number> {
  let n = 0, lines = 0;
  for await (const line of createInterface({ input: input.stream, crlfDelay: Infinity })) {
    lines++;
    if (line.length === 0 || line.startsWith('#')) continue;
    n++;
    if (format === 'jsonl') fromMessage(line, input.name, lines, rejects, sink);
    else {
      const r = fromLine(line, input.name, lines);
      if (r) sink(r);
      else rejects.add('malformed_line', `${input.name}:${lines}`, line.slice(0, 60));
    }
  }
  return n;
}
