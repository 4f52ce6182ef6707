import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AlertAck {
  by: string;
  at: string;
  note?: string;
}

/**
 * Analysts' acknowledgements of alerts, kept beside the analyzer's state (the analyzer decides when
 * an alert opens and resolves; people record that they have seen and handled it). At most
 * `limit` entries, oldest dropped first; saved atomically on each change.
 */
export class AlertAcks {
  private acks = new Map<string, AlertAck>();

  constructor(private readonly file: string, private readonly limit = 10_000) {
    try {
      this.acks = new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, AlertAck>));
    } catch {
      this.acks = new Map();
    }
  }

  get(id: string): AlertAck | undefined {
    return this.acks.get(id);
  }

  set(id: string, ack: AlertAck): void {
    this.acks.delete(id);
    this.acks.set(id, ack);
    while (this.acks.size > this.limit) this.acks.delete(this.acks.keys().next().value!);
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, JSON.stringify(Object.fromEntries(this.acks)));
    renameSync(`${this.file}.tmp`, this.file);
  }
}
