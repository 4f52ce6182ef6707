import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { factoryLoad } from '../../analytics/eval/synth.js';

/** Test data for `gridpulse analyze`: a synthetic plant (analytics/eval/synth.ts shape) with a stop. */
export interface PlantOptions {
  meters: readonly string[];
  /** First interval start, ISO with offset. */
  start: string;
  days: number;
  intervalMin: 15 | 60;
  /** Load falls to 3 % of normal from `at` for `hours`. */
  stop?: { meter?: string; at: string; hours: number };
  kind: 'energy' | 'register';
  /** Offset written on each timestamp, e.g. '+08:00'; '' writes naive local time (UTC+8 wall clock). */
  offset?: string;
}

export interface PlantRow { meter: string; ts: number; energyKwh: number; registerKwh: number }

export function plantRows(o: PlantOptions): PlantRow[] {
  const I = o.intervalMin * 60_000;
  const start = Date.parse(o.start);
  const stop = o.stop ? [Date.parse(o.stop.at), Date.parse(o.stop.at) + o.stop.hours * 3_600_000] as const : undefined;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const regs = o.meters.map((_, i) => 5000 + 1000 * i);
  const out: PlantRow[] = [];
  for (let b = 0; b < (o.days * 86_400_000) / I; b++) {
    const begin = start + b * I;
    o.meters.forEach((meter, i) => {
      let kwh = 0;
      for (let q = 0; q < I; q += 900_000) kwh += factoryLoad(begin + q, 80 + 20 * i) * (0.97 + 0.06 * rnd());
      if (stop && (!o.stop!.meter || o.stop!.meter === meter) && begin >= stop[0] && begin < stop[1]) kwh *= 0.03;
      kwh = Math.round(kwh * 100) / 100;
      regs[i] = Math.round((regs[i]! + kwh) * 100) / 100;
      out.push({ meter, ts: begin + I, energyKwh: kwh, registerKwh: regs[i]! });
    });
  }
  return out;
}

export function stamp(ts: number, offset = '+08:00'): string {
  const local = new Date(ts + 8 * 3_600_000).toISOString().slice(0, 19);
  return offset === '' ? local.replace('T', ' ') : `${local}${offset}`;
}

export function plantCsv(o: PlantOptions): string {
  const col = o.kind === 'energy' ? 'energy_kwh' : 'register_kwh';
  const lines = [`meter_id,timestamp,${col}`];
  // Registers: the reading at the start too, so the first interval counts as it does with energy.
  if (o.kind === 'register') o.meters.forEach((m, i) => lines.push(`${m},${stamp(Date.parse(o.start), o.offset)},${(5000 + 1000 * i).toFixed(2)}`));
  for (const r of plantRows(o)) lines.push(`${r.meter},${stamp(r.ts, o.offset)},${o.kind === 'energy' ? r.energyKwh.toFixed(2) : r.registerKwh.toFixed(2)}`);
  return `${lines.join('\n')}\n`;
}

export function tempFile(name: string, text: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'gridpulse-analyze-'));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export const CLI = join(process.cwd(), 'dist/src/cli/main.js');

/** `gridpulse analyze …` as a user runs it; resolves with its exit code and output. */
export function runAnalyze(args: string[], stdin?: Buffer | string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'analyze', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (stdin !== undefined) child.stdin.end(stdin);
    else child.stdin.end();
  });
}

export interface OutAlert { kind: string; scope: string; entity: string; status: string; since: string; raisedAt: string; resolvedAt: string | null; dropPct: number; baselineKwh: number; actualKwh: number }
export const alertsOf = (stdout: string): OutAlert[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as OutAlert);
