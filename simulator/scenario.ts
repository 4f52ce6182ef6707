import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { INCIDENT_KINDS } from '../src/schemas/incident.js';

/**
 * A scenario says which incidents to inject: how many of each kind to place at random
 * (`counts`), and/or exact ones (`incidents`). Holidays, Spring Festival and planned shutdowns
 * come from the calendar and the registry; they are always labelled (expected `none`).
 * Every default lives in this file (docs/simulator.md documents the same table).
 */
export const INJECTABLE_KINDS = [
  'production_halt',
  'production_cut',
  'chain_disruption',
  'grid_outage',
  'gateway_offline',
  'meter_offline',
  'slow_decline',
  'transport_duplicates',
  'transport_late',
  'transport_out_of_order',
  'transport_malformed',
] as const satisfies readonly (typeof INCIDENT_KINDS)[number][];
export type InjectableKind = (typeof INJECTABLE_KINDS)[number];

const countsShape = Object.fromEntries(INJECTABLE_KINDS.map((k) => [k, z.number().int().min(0).max(100_000).optional()])) as {
  [K in InjectableKind]: z.ZodOptional<z.ZodNumber>;
};

export const explicitIncidentSchema = z.object({
  kind: z.enum(INJECTABLE_KINDS),
  /** Enterprise id (halt, cut, decline), chain id or leader enterprise id (chain), county id or gateway ids (outage), gateway id, meter id (offline, transport). */
  target: z.union([z.string(), z.array(z.string())]).optional(),
  start: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 time'),
  /** Either `end` or `hours`. */
  end: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 time').optional(),
  hours: z.number().positive().optional(),
  /** Fraction of load lost (cut, decline, chain trigger), or the fault rate for transport kinds. */
  magnitude: z.number().min(0).max(1).optional(),
}).strict();
export type ExplicitIncident = z.output<typeof explicitIncidentSchema>;

export const scenarioSchema = z.object({
  /** Incidents placed at random, per kind. Kinds left out get the default for the run's size. */
  counts: z.object(countsShape).strict().default({}),
  /** Incidents at given times and targets, in addition to `counts`. */
  incidents: z.array(explicitIncidentSchema).default([]),
  /** Share of a faulty gateway's readings affected during a transport-fault window. */
  transportRate: z.number().min(0).max(1).default(0.1),
  /** Apply per-enterprise Spring Festival shutdowns (1–4 weeks plus a ramp). */
  springFestival: z.boolean().default(true),
  /** Apply the registry's planned shutdowns. */
  plannedShutdowns: z.boolean().default(true),
  /** Ordinary, unlabelled variation: day-to-day swings, a line down, overtime. */
  ordinaryVariation: z.boolean().default(true),
  /** Meter replacements (register reset to near zero, quality `meter_replaced`); default ~0.2 % of meters per 60 days. */
  meterReplacements: z.number().int().min(0).optional(),
  /** Share of offline meters whose readings come back as a backlog (the rest are lost). */
  meterBacklogShare: z.number().min(0).max(1).default(0.5),
  /** No random incident starts in the first days (an analyzer needs a baseline). Default min(14, days/4). */
  warmupDays: z.number().min(0).optional(),
  /** Share of enterprises kept free of incidents (default 0.4). */
  incidentFreeShare: z.number().min(0).max(1).default(0.4),
}).strict();
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** Default counts for a 60-day run of a 2,000-enterprise city. */
export const BASE_COUNTS: Record<InjectableKind, number> = {
  production_halt: 30,
  production_cut: 30,
  chain_disruption: 5,
  grid_outage: 3,
  gateway_offline: 10,
  meter_offline: 20,
  slow_decline: 8,
  transport_duplicates: 4,
  transport_late: 4,
  transport_out_of_order: 4,
  transport_malformed: 4,
};

/** Counts scaled to the run: linear in days, with the square root of the city size (capped ×3). */
export function defaultCounts(days: number, enterprises: number): Record<InjectableKind, number> {
  const f = (days / 60) * Math.min(3, Math.sqrt(Math.max(1, enterprises) / 2000));
  const out = {} as Record<InjectableKind, number>;
  for (const k of INJECTABLE_KINDS) out[k] = days >= 3 ? Math.max(1, Math.round(BASE_COUNTS[k] * f)) : 0;
  return out;
}

/** The default scenario: every kind, counts from `defaultCounts` at simulate time. */
export function defaultScenario(overrides: ScenarioInput = {}): Scenario {
  return scenarioSchema.parse(overrides);
}

/** A scenario with no injected incidents (calendar and registry shutdowns only). */
export function quietScenario(overrides: ScenarioInput = {}): Scenario {
  const counts = Object.fromEntries(INJECTABLE_KINDS.map((k) => [k, 0]));
  return scenarioSchema.parse({ ...overrides, counts: { ...counts, ...(overrides.counts ?? {}) } });
}

export function loadScenario(file: string): Scenario {
  const text = readFileSync(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`scenario ${file}: not JSON (${(err as Error).message})`);
  }
  const r = scenarioSchema.safeParse(json);
  if (!r.success) throw new Error(`scenario ${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Parses `--inject production_halt=5,grid_outage=2` into counts. */
export function parseInjectFlag(spec: string): Partial<Record<InjectableKind, number>> {
  const out: Partial<Record<InjectableKind, number>> = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=');
    if (!(INJECTABLE_KINDS as readonly string[]).includes(k!)) throw new Error(`--inject: unknown kind '${k}' (one of ${INJECTABLE_KINDS.join(', ')})`);
    const n = v === undefined ? 1 : Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--inject: '${part}' needs a whole count`);
    out[k as InjectableKind] = n;
  }
  return out;
}
