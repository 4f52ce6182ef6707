import { z } from 'zod';
import { STAGES } from './city.js';

/**
 * The registry file (JSON). `gridpulse simulate` writes it, `gridpulse start` loads it, and the
 * HTTP API edits it. Chains and counties are free ids so a registry can describe another city;
 * the model city's ids are in city.ts.
 */
/**
 * The one id pattern (meters, enterprises, gateways, counties, chains): 1–64 characters of letters,
 * digits and `_ . : -`, starting with a letter or digit, so `.` and `..` (or `%2e%2e` once a URL is
 * decoded) are never ids. The HTTP API validates path parameters with `idSchema`.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
export const ID_RULE = '1-64 letters, digits, _ . : - starting with a letter or digit';
export const idSchema = z.string().regex(ID_PATTERN, ID_RULE);
export const isValidId = (s: string): boolean => ID_PATTERN.test(s);

/**
 * Gateway and consumer ids are MQTT topic levels (`gridpulse/v1/<id>/...`): ids that are, or may
 * become, levels of the topic tree are reserved (compared case-insensitively).
 */
export const RESERVED_PRINCIPAL_IDS = ['alerts', 'gridpulse', 'v1', 'v2', 'readings', 'rejects', 'status', 'sys', 'admin', 'api'] as const;
export const isReservedPrincipalId = (s: string): boolean => (RESERVED_PRINCIPAL_IDS as readonly string[]).includes(s.toLowerCase());
const principalId = idSchema.refine((s) => !isReservedPrincipalId(s), { message: `reserved: collides with the MQTT topic tree (${RESERVED_PRINCIPAL_IDS.join(', ')})` });

const id = idSchema;
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 time');

export const shutdownWindowSchema = z.object({
  start: isoTime,
  end: isoTime,
  reason: z.string().max(200).optional(),
});

export const enterpriseSchema = z.object({
  id,
  name: z.string().max(200).default(''),
  county: id,
  /** First chain is the primary one: it is the `chain` tag on stored points. */
  chains: z.array(id).default([]),
  stage: z.enum(STAGES).optional(),
  /** Chain leader (链主). */
  leader: z.boolean().default(false),
  /** Enterprises this one buys from (supply-chain edges supplier → customer). */
  suppliers: z.array(id).default([]),
  /** Planned shutdown windows: drops inside them are expected, not alerts. */
  plannedShutdowns: z.array(shutdownWindowSchema).default([]),
  /** Working calendar of this enterprise when not the pipeline's analytics.calendar: cn, none or a holiday file. */
  calendar: z.string().max(500).regex(/^(cn|none|.+\.(json|ics))$/i, 'expected cn, none or a holiday file (.json or .ics)').optional(),
});

export const gatewaySchema = z.object({
  id: principalId,
  /** scrypt hash in the form `scrypt$N$r$p$saltB64$hashB64` (see src/registry/password.ts). */
  passwordHash: z.string().startsWith('scrypt$'),
  enterprise: id.optional(),
  /** `gateway` publishes readings under its own prefix; `consumer` may only subscribe to alerts. */
  role: z.enum(['gateway', 'consumer']).default('gateway'),
});

export const meterSchema = z.object({
  id,
  enterprise: id,
  gateway: id,
  /** CT (× PT) multiplier, 倍率: primary energy = register difference × ctMultiplier. */
  ctMultiplier: z.number().positive().max(100_000).default(1),
  /** How often the meter is read (minutes), when known: data coarser than analytics.intervalMinutes is listed as coarse from its first reading. */
  intervalMinutes: z.number().int().min(1).max(1440).optional(),
});

export const registrySchema = z.object({
  version: z.literal(1).default(1),
  enterprises: z.array(enterpriseSchema).default([]),
  gateways: z.array(gatewaySchema).default([]),
  meters: z.array(meterSchema).default([]),
});

export type Enterprise = z.output<typeof enterpriseSchema>;
export type Gateway = z.output<typeof gatewaySchema>;
export type Meter = z.output<typeof meterSchema>;
export type RegistryFile = z.output<typeof registrySchema>;
export type RegistryFileInput = z.input<typeof registrySchema>;
