import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerSimulate } from '../../simulator/cli.js';
import { STEEL_CSV_CANDIDATES } from '../../simulator/calibrate.js';
import { registrySchema } from '../../src/registry/schema.js';
import { incidentLabelSchema } from '../../src/schemas/incident.js';

const dir = mkdtempSync(join(tmpdir(), 'gridpulse-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<string> {
  const program = new Command().name('gridpulse').exitOverride();
  registerSimulate(program);
  let out = '';
  const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => { out += String(c); return true; });
  const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['node', 'gridpulse', 'simulate', ...args]);
  } finally {
    spyOut.mockRestore();
    spyErr.mockRestore();
  }
  return out;
}

describe('gridpulse simulate (CLI)', () => {
  it('--registry-only writes a registry the pipeline can load, the credentials apart, and the labels', async () => {
    const out = join(dir, 'reg');
    const summary = JSON.parse(await run('--registry-only', '--enterprises', '40', '--days', '30', '--out', out, '--json'));
    const reg = registrySchema.parse(JSON.parse(readFileSync(join(out, 'registry.json'), 'utf8')));
    expect(reg.enterprises).toHaveLength(40);
    const creds = JSON.parse(readFileSync(join(out, 'gateways.credentials.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(creds).sort()).toEqual(reg.gateways.map((g) => g.id).sort());
    expect(JSON.stringify(reg)).not.toContain(Object.values(creds)[0]);
    const labels = readFileSync(join(out, 'labels.jsonl'), 'utf8').trim().split('\n').map((l) => incidentLabelSchema.parse(JSON.parse(l)));
    expect(labels.length).toBeGreaterThan(5);
    expect(summary.incidents.production_halt).toBeGreaterThan(0);
  });

  it('--mode file writes line protocol as the pipeline stores it, and jsonl messages', async () => {
    const out = join(dir, 'file');
    const s = JSON.parse(await run('--mode', 'file', '--format', 'line', '--days', '1', '--enterprises', '15', '--out', out, '--json', '--no-progress'));
    const lines = readFileSync(join(out, 'readings.lp'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(s.linesWritten);
    expect(lines[0]).toMatch(/^reading,chain=[^ ]+,county=[a-z]+,enterprise=ent-\d+,gateway=gw-[a-z]+-\d+,meter=ent-\d+-m\d+ energy_kwh=[\d.]+,register_kwh=[\d.]+,ct=\d+,power_kw=[\d.]+,.* \d{10}$/);
    await run('--mode', 'file', '--format', 'jsonl', '--days', '1', '--enterprises', '15', '--out', out, '--json', '--no-progress');
    const msgs = readFileSync(join(out, 'readings.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { gateway: string; readings: unknown[] });
    expect(msgs.reduce((a, m) => a + m.readings.length, 0)).toBe(s.readings);
  });

  it('--scenario and --inject control the incidents; a bad scenario is refused with the reason', async () => {
    const out = join(dir, 'scn');
    const file = join(dir, 'scenario.json');
    writeFileSync(file, JSON.stringify({ counts: { production_halt: 0, production_cut: 0 }, incidents: [{ kind: 'grid_outage', target: 'haiyan', start: '2025-09-10T10:00:00+08:00', hours: 3 }] }));
    const s = JSON.parse(await run('--registry-only', '--enterprises', '60', '--days', '20', '--scenario', file, '--inject', 'slow_decline=2', '--out', out, '--json'));
    expect(s.incidents.production_halt).toBeUndefined();
    expect(s.incidents.slow_decline).toBe(2);
    const labels = readFileSync(join(out, 'labels.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; entities: string[] });
    expect(labels.some((l) => l.kind === 'grid_outage' && l.entities[0] === 'haiyan')).toBe(true);
    writeFileSync(file, JSON.stringify({ counts: { production_hlt: 3 } }));
    await expect(run('--registry-only', '--scenario', file, '--out', out)).rejects.toThrow(/counts/);
    await expect(run('--registry-only', '--inject', 'nonsense=1', '--out', out)).rejects.toThrow(/unknown kind/);
  });

  it('calibrate prints the side-by-side table', async () => {
    expect(STEEL_CSV_CANDIDATES.some((p) => existsSync(p)), 'the steel plant CSV (shared/data) is missing').toBe(true);
    const out = await run('calibrate', '--plants', '1', '--markdown');
    expect(out).toContain('| weekend / weekday ratio | 0.35 |');
    expect(out).toContain('lunch dip');
  });

  it('ends every line it writes, on stdout and stderr (no "transport_duplicates=1city: …")', async () => {
    const chunks: string[] = [];
    const program = new Command().name('gridpulse').exitOverride();
    registerSimulate(program);
    const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => { chunks.push(String(c)); return true; });
    const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => { chunks.push(String(c)); return true; });
    try {
      await program.parseAsync(['node', 'gridpulse', 'simulate', '--registry-only', '--enterprises', '30', '--out', join(dir, 'lines')]);
    } finally {
      spyOut.mockRestore();
      spyErr.mockRestore();
    }
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(c.endsWith('\n'), JSON.stringify(c)).toBe(true);
    expect(chunks.join('')).toMatch(/^city: 30 enterprises/m);
  });
});
