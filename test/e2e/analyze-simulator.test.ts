import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/pipeline.js';
import { alertsOf, CLI, runAnalyze } from './analyze-data.js';

/** The simulator's file output (line protocol as stored, and MQTT messages as sent) analysed offline. */
describe('gridpulse analyze on `gridpulse simulate --mode file` output', () => {
  it('finds the labelled production halts in readings.lp and readings.jsonl', async () => {
    const out: Record<string, string> = {};
    for (const format of ['line', 'jsonl'] as const) {
      const dir = tempDir();
      const sim = spawnSync(process.execPath, [CLI, 'simulate', '--mode', 'file', '--format', format, '--out', dir, '--enterprises', '12', '--days', '20',
        '--seed', '5', '--start', '2025-09-01T00:00:00+08:00', '--inject', 'production_halt=2', '--no-progress'], { encoding: 'utf8' });
      expect(sim.status, sim.stderr).toBe(0);
      const labels = readFileSync(join(dir, 'labels.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; entities: string[]; start: string; end: string })
        .filter((l) => l.kind === 'production_halt');
      expect(labels.length).toBe(2);
      const file = join(dir, format === 'line' ? 'readings.lp' : 'readings.jsonl');
      const r = await runAnalyze([file, '--registry', join(dir, 'registry.json'), '--kinds', 'production_halt']);
      expect(r.code, r.stderr).toBe(0);
      const alerts = alertsOf(r.stdout);
      for (const l of labels) {
        const hit = alerts.find((a) => l.entities.includes(a.entity) && Date.parse(a.since) >= Date.parse(l.start) - 3_600_000 && Date.parse(a.since) <= Date.parse(l.end));
        expect(hit, `${format}: ${JSON.stringify(l)}\n${r.stdout}`).toBeDefined();
      }
      out[format] = r.stdout;
    }
    // Both files carry the same accepted readings: the same halts.
    const key = (s: string) => alertsOf(s).map((a) => `${a.entity} ${a.since}`).sort();
    expect(key(out.jsonl!)).toEqual(key(out.line!));
  });
});
