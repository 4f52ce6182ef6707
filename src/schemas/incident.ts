import { z } from 'zod';

/** Alert kinds the analyzer raises; simulator labels name the one they expect (or `none`). */
export const ALERT_KINDS = [
  'meter_offline',
  'gateway_offline',
  'grid_outage',
  'production_halt',
  'production_cut',
  'chain_disruption',
  'county_slowdown',
  'slow_decline',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const INCIDENT_KINDS = [
  'production_halt',
  'production_cut',
  'chain_disruption',
  'grid_outage',
  'gateway_offline',
  'meter_offline',
  'slow_decline',
  'holiday',
  'spring_festival',
  'planned_shutdown',
  'transport_duplicates',
  'transport_late',
  'transport_out_of_order',
  'transport_malformed',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export const SCOPES = ['meter', 'gateway', 'enterprise', 'chain', 'county', 'city'] as const;

/** One line of the simulator's labels file (JSONL): the ground truth an evaluation scores against. */
export const incidentLabelSchema = z.object({
  id: z.string(),
  kind: z.enum(INCIDENT_KINDS),
  scope: z.enum(SCOPES),
  /** Ids at that scope (meter, gateway, enterprise, chain or county ids). For chain_disruption: the chain id first. */
  entities: z.array(z.string()),
  /** Enterprises that actually dropped (chain/county incidents), so attribution can be scored. */
  contributors: z.array(z.string()).default([]),
  start: z.string(),
  end: z.string(),
  /** Fraction of baseline lost at the worst point (1 = to zero/base load). */
  magnitude: z.number(),
  /** The alert kind a correct analyzer raises, or `none` when it must not alert. */
  expected: z.union([z.enum(ALERT_KINDS), z.literal('none')]),
});
export type IncidentLabel = z.output<typeof incidentLabelSchema>;
