import { z } from 'zod';
import { ID_PATTERN, ID_RULE } from '../registry/schema.js';

/**
 * The MQTT payload contract (docs/mqtt.md). One reading is one meter at one device time.
 * Values are as the meter reports them (secondary side where a CT is fitted); the pipeline
 * applies the registry's CT multiplier (倍率) when it stores primary-side energy and power.
 */

/** DL/T 645 registers wrap at 999999.99 kWh (XXXXXX.XX). */
export const REGISTER_MAX_KWH = 999_999.99;

/** Reject codes: the same strings appear in reject messages, metrics labels and docs/mqtt.md. */
export const REJECT_CODES = [
  'invalid_json',
  'too_deep',
  'invalid_payload',
  'invalid_reading',
  'timestamp_out_of_range',
  'unknown_meter',
  'meter_not_on_gateway',
  'payload_too_large',
  'batch_too_large',
] as const;
export type RejectCode = (typeof REJECT_CODES)[number];

const phaseTriple = z.tuple([z.number().finite(), z.number().finite(), z.number().finite()]);

/** Accepts ISO 8601 with offset, or epoch milliseconds. Normalised to epoch ms. */
const timestamp = z.union([
  z.number().int().nonnegative(),
  z.string().refine((s) => !Number.isNaN(Date.parse(s)) && /(Z|[+-]\d\d:?\d\d)$/.test(s), {
    message: 'expected ISO 8601 with a zone (e.g. 2026-11-28T10:15:00+08:00) or epoch milliseconds',
  }),
]).transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

/** Largest interval energy accepted (kWh over one period, secondary side). */
export const INTERVAL_ENERGY_MAX_KWH = 100_000;

export const readingSchema = z.object({
  meter: z.string().regex(ID_PATTERN, `meter id: ${ID_RULE}`),
  ts: timestamp,
  /** Cumulative register (kWh) at ts. A reading carries this or intervalEnergyKwh, not both. */
  energyKwh: z.number().finite().min(0).max(REGISTER_MAX_KWH).optional(),
  /** Energy consumed over the period of intervalMinutes that ends at ts (kWh), as head-end and AMI exports deliver it. */
  intervalEnergyKwh: z.number().finite().min(0).max(INTERVAL_ENERGY_MAX_KWH).optional(),
  intervalMinutes: z.number().int().min(1).max(1440).optional(),
  powerKw: z.number().finite().min(-100_000).max(100_000).optional(),
  voltageV: phaseTriple.optional(),
  currentA: phaseTriple.optional(),
  powerFactor: z.number().finite().min(-1).max(1).optional(),
  quality: z.array(z.string().max(32)).max(16).optional(),
}).strict().superRefine((r, ctx) => {
  const reg = r.energyKwh !== undefined, iv = r.intervalEnergyKwh !== undefined;
  if (reg === iv) ctx.addIssue({ code: 'custom', path: [reg ? 'intervalEnergyKwh' : 'energyKwh'], message: reg ? 'give energyKwh (a register) or intervalEnergyKwh (energy over a period), not both' : 'expected energyKwh (register, kWh) or intervalEnergyKwh with intervalMinutes' });
  else if (iv !== (r.intervalMinutes !== undefined)) ctx.addIssue({ code: 'custom', path: ['intervalMinutes'], message: iv ? 'intervalEnergyKwh needs intervalMinutes (the length of the period ending at ts)' : 'intervalMinutes belongs with intervalEnergyKwh' });
});

export type Reading = z.output<typeof readingSchema>;
export type ReadingInput = z.input<typeof readingSchema>;

/** A reading after registry lookup: the tags it will be stored under and its multiplier. */
export interface EnrichedReading extends Reading {
  gateway: string;
  enterprise: string;
  county: string;
  chain: string;
  ctMultiplier: number;
}

export interface Reject {
  code: RejectCode;
  message: string;
  /** Index in the batch, when the payload was a batch. */
  index?: number;
  meter?: string;
  ts?: number;
}
