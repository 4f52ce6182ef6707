import { readFileSync, writeFileSync, renameSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EventEmitter } from 'node:events';
import { parse as parseCsv } from 'csv-parse/sync';
import { seriesKey } from '../storage/line-protocol.js';
import { isValidId, ID_RULE, registrySchema, type Enterprise, type Gateway, type Meter, type RegistryFile, type RegistryFileInput } from './schema.js';

export * from './schema.js';
export { hashPassword, verifyPassword } from './password.js';

/** Tags a meter's readings are stored under, resolved once per meter. */
export interface MeterTags {
  meter: string;
  gateway: string;
  enterprise: string;
  county: string;
  chain: string;
  ctMultiplier: number;
  /** Line-protocol measurement + tag set for this meter's points (src/storage/line-protocol.ts). */
  seriesKey: string;
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

/**
 * Meters → enterprise → county and chains, gateways and their credentials. Reads are map lookups
 * (the ingest hot path calls `tagsFor` per reading); edits rebuild the lookup and save the file
 * atomically (write + rename) so a crash never leaves half a registry.
 */
export class Registry extends EventEmitter<{ change: [] }> {
  private data: RegistryFile;
  private tags = new Map<string, MeterTags>();
  private gatewaysById = new Map<string, Gateway>();
  private enterprisesById = new Map<string, Enterprise>();

  constructor(data: unknown = {}, private readonly file?: string) {
    super();
    this.data = validate(data, file ?? 'registry');
    this.index();
  }

  static load(file: string): Registry {
    if (!existsSync(file)) throw new RegistryError(`registry file ${file} does not exist`);
    const text = readFileSync(file, 'utf8');
    const input = file.endsWith('.csv') ? fromCsv(text, file) : parseJson(text, file);
    return new Registry(input, file);
  }

  private index(): void {
    this.enterprisesById = new Map(this.data.enterprises.map((e) => [e.id, e]));
    this.gatewaysById = new Map(this.data.gateways.map((g) => [g.id, g]));
    this.tags = new Map();
    for (const m of this.data.meters) {
      const e = this.enterprisesById.get(m.enterprise);
      const t = {
        meter: m.id,
        gateway: m.gateway,
        enterprise: m.enterprise,
        county: e?.county ?? 'unknown',
        chain: e?.chains[0] ?? 'none',
        ctMultiplier: m.ctMultiplier,
      };
      this.tags.set(m.id, { ...t, seriesKey: seriesKey(t) });
    }
  }

  tagsFor(meterId: string): MeterTags | undefined {
    return this.tags.get(meterId);
  }
  gateway(id: string): Gateway | undefined {
    return this.gatewaysById.get(id);
  }
  enterprise(id: string): Enterprise | undefined {
    return this.enterprisesById.get(id);
  }
  snapshot(): RegistryFile {
    return this.data;
  }
  counts() {
    return { enterprises: this.data.enterprises.length, gateways: this.data.gateways.length, meters: this.data.meters.length };
  }

  /** Insert or replace entities by id; validates the whole result before it takes effect. */
  upsert(part: { enterprises?: unknown[]; gateways?: unknown[]; meters?: unknown[] }): void {
    const merge = <T extends { id: string }>(cur: T[], add: unknown[] | undefined): unknown[] => {
      if (!add) return cur;
      const byId = new Map<string, unknown>(cur.map((x) => [x.id, x]));
      for (const a of add) byId.set((a as { id?: string }).id ?? '', a);
      return [...byId.values()];
    };
    const next = validate({
      version: 1,
      enterprises: merge(this.data.enterprises, part.enterprises),
      gateways: merge(this.data.gateways, part.gateways),
      meters: merge(this.data.meters, part.meters),
    } as RegistryFileInput, 'update');
    this.replace(next);
  }

  remove(kind: 'enterprises' | 'gateways' | 'meters', id: string): boolean {
    if (!isValidId(id)) throw new RegistryError(`${JSON.stringify(id.slice(0, 80))} is not an id (${ID_RULE})`);
    const list = this.data[kind] as { id: string }[];
    if (!list.some((x) => x.id === id)) return false;
    this.replace({ ...this.data, [kind]: list.filter((x) => x.id !== id) } as RegistryFile);
    return true;
  }

  private replace(next: RegistryFile): void {
    this.data = next;
    this.index();
    if (this.file && !this.file.endsWith('.csv')) saveRegistry(this.file, next);
    this.emit('change');
  }
}

export function saveRegistry(file: string, data: RegistryFileInput): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 1));
  renameSync(tmp, file);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RegistryError(`registry file ${file}: ${(err as Error).message}`);
  }
}

function validate(input: unknown, where: string): RegistryFile {
  const r = registrySchema.safeParse(input);
  if (!r.success) {
    const first = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new RegistryError(`${where}: invalid registry (${r.error.issues.length} problem(s)): ${first}`);
  }
  const d = r.data;
  const ent = new Set(d.enterprises.map((e) => e.id));
  const gw = new Set(d.gateways.map((g) => g.id));
  for (const m of d.meters) {
    if (!ent.has(m.enterprise)) throw new RegistryError(`${where}: meter ${m.id} names unknown enterprise ${m.enterprise}`);
    if (!gw.has(m.gateway)) throw new RegistryError(`${where}: meter ${m.id} names unknown gateway ${m.gateway}`);
  }
  return d;
}

/**
 * Flat CSV, one row per meter: meter_id,enterprise_id,enterprise_name,county,chains,ct_multiplier,
 * gateway_id,gateway_password_hash (chains separated by `;`). Enterprises and gateways are derived.
 */
function fromCsv(text: string, file: string): RegistryFileInput {
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (err) {
    throw new RegistryError(`registry file ${file}: ${(err as Error).message}`);
  }
  const enterprises = new Map<string, object>();
  const gateways = new Map<string, object>();
  const meters = rows.map((r, i) => {
    for (const col of ['meter_id', 'enterprise_id', 'county', 'gateway_id', 'gateway_password_hash']) {
      if (!r[col]) throw new RegistryError(`registry file ${file} row ${i + 2}: column ${col} is empty`);
    }
    enterprises.set(r.enterprise_id!, {
      id: r.enterprise_id, name: r.enterprise_name ?? '', county: r.county,
      chains: (r.chains ?? '').split(';').filter(Boolean),
    });
    gateways.set(r.gateway_id!, { id: r.gateway_id, passwordHash: r.gateway_password_hash });
    return { id: r.meter_id, enterprise: r.enterprise_id, gateway: r.gateway_id, ctMultiplier: Number(r.ct_multiplier || 1) };
  });
  return { version: 1, enterprises: [...enterprises.values()], gateways: [...gateways.values()], meters } as RegistryFileInput;
}
