/**
 * The benchmark's city: ids, registry, payloads and line protocol, shared by the orchestrator
 * (test/bench/ingest.ts) and the load processes (test/bench/ingest-load.ts) so both sides agree
 * on every meter id without sending lists over IPC.
 *
 * Gateways 0 .. batchGateways-1 carry `metersPerBatchGateway` meters each (phase b); every other
 * gateway carries one meter (phases c, e).
 */
import type { RegistryFileInput } from '../../src/registry/index.js';
import { readingToLine } from '../../src/storage/line-protocol.js';

export const BENCH_PASSWORD = 'bench-password-1';
const COUNTIES = ['nanhu', 'xiuzhou', 'jiashan', 'haiyan', 'haining', 'pinghu', 'tongxiang'];
const CHAINS = ['nev_parts', 'fasteners', 'photovoltaics', 'power_equipment'];

export interface CityShape {
  gateways: number;
  batchGateways: number;
  metersPerBatchGateway: number;
}

export const gatewayId = (g: number) => `bgw${String(g).padStart(5, '0')}`;
export const enterpriseId = (g: number) => `bent${String(g).padStart(5, '0')}`;
export const meterId = (g: number, m: number) => `bm${String(g).padStart(5, '0')}_${String(m).padStart(3, '0')}`;
export const metersOf = (shape: CityShape, g: number) => (g < shape.batchGateways ? shape.metersPerBatchGateway : 1);
export const countyOf = (g: number) => COUNTIES[g % COUNTIES.length]!;
export const chainOf = (g: number) => CHAINS[g % CHAINS.length]!;

/** One scrypt hash (N=1024) reused for every gateway: hashing 10,000 would dominate set-up. */
export function buildRegistry(shape: CityShape, passwordHash: string): RegistryFileInput {
  const reg: RegistryFileInput = { version: 1, enterprises: [], gateways: [], meters: [] };
  for (let g = 0; g < shape.gateways; g++) {
    reg.enterprises!.push({ id: enterpriseId(g), name: `Bench ${g}`, county: countyOf(g), chains: [chainOf(g)] });
    reg.gateways!.push({ id: gatewayId(g), passwordHash, enterprise: enterpriseId(g) });
    for (let m = 0; m < metersOf(shape, g); m++) reg.meters!.push({ id: meterId(g, m), enterprise: enterpriseId(g), gateway: gatewayId(g), ctMultiplier: 1 });
  }
  return reg;
}

/** Register value and power of meter (g, m) at step k: deterministic, plausible, cheap. */
export function readingValues(g: number, m: number, k: number): { energyKwh: number; powerKw: number } {
  const powerKw = 50 + ((g * 7 + m * 13) % 400) + (k % 10);
  return { energyKwh: Math.round((1000 + (g + m) * 3 + k * 0.75) * 100) / 100, powerKw };
}

/** The line the pipeline itself would write for this reading (phase a writes exactly these). */
export function readingLine(g: number, m: number, ts: number, k: number): string {
  const v = readingValues(g, m, k);
  return readingToLine({ meter: meterId(g, m), ts, energyKwh: v.energyKwh, powerKw: v.powerKw, gateway: gatewayId(g), enterprise: enterpriseId(g), county: countyOf(g), chain: chainOf(g), ctMultiplier: 1 });
}

/** A batched payload: every meter of gateway g at step k. */
export function batchPayload(g: number, meters: number, ts: number, k: number): string {
  const readings = [];
  for (let m = 0; m < meters; m++) readings.push({ meter: meterId(g, m), ts, ...readingValues(g, m, k) });
  return JSON.stringify({ readings });
}

/** A single-reading payload (the one-object form of the contract). */
export function singlePayload(g: number, ts: number, k: number): string {
  return JSON.stringify({ meter: meterId(g, 0), ts, ...readingValues(g, 0, k) });
}
