/**
 * One input row after parsing, before the analyzer: what every reader (CSV, simulator files, InfluxDB)
 * produces. A reader may reuse one object for every row: a sink that keeps a row copies it.
 */
export interface InputRow {
  meter: string;
  /** Instant the value refers to (end of the interval for energy), epoch ms. */
  ts: number;
  /** `energy`: consumption over the interval ending at ts; `register`: the cumulative register at ts. */
  kind: 'energy' | 'register';
  /** kWh, as the meter reports it (secondary side where the registry gives a CT multiplier). */
  value: number;
  powerKw?: number | undefined;
  /** Optional grouping from the input (CSV `enterprise_id`); the registry wins when given. */
  enterprise?: string | undefined;
  /** Gateway and CT multiplier where the input carries them (simulator files, InfluxDB); the registry wins. */
  gateway?: string;
  ct?: number;
  /** Where the row came from, for messages: `source:line` (line 0: the source says it all). */
  source: string;
  line: number;
}

export const REJECT_REASONS = [
  'bad_number', 'bad_timestamp', 'nonexistent_local_time', 'negative_energy', 'register_out_of_range', 'duplicate',
  'out_of_order', 'missing_meter', 'unknown_meter', 'wrong_column_count', 'malformed_line',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

const REASON_TEXT: Record<RejectReason, string> = {
  bad_number: 'not a number',
  bad_timestamp: 'unknown timestamp format',
  nonexistent_local_time: 'local time that does not exist in the time zone (DST gap)',
  negative_energy: 'negative energy',
  register_out_of_range: 'register outside 0–999999.99 kWh',
  duplicate: 'duplicate reading (same meter and time)',
  out_of_order: 'interval energy earlier than the meter\'s previous reading (sort the input by time)',
  missing_meter: 'empty meter id',
  unknown_meter: 'meter not in the registry',
  wrong_column_count: 'wrong number of columns',
  malformed_line: 'malformed line',
};

export const whereOf = (r: { source: string; line: number }): string => (r.line > 0 ? `${r.source}:${r.line}` : r.source);

/** Rejected rows counted by reason; the first few kept with where they were, for the summary. */
export class Rejects {
  readonly byReason = new Map<RejectReason, number>();
  readonly first: string[] = [];
  total = 0;
  constructor(private readonly keep = 10) {}

  add(reason: RejectReason, where: string, detail?: string): void {
    this.total++;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
    if (this.first.length < this.keep) this.first.push(`${where}: ${REASON_TEXT[reason]}${detail ? ` (${detail})` : ''}`);
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.byReason].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** Bad usage or unreadable input: the command stops with this message and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
