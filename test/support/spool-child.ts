/**
 * A spool in a child process, driven over stdin, so a test can kill -9 it at a known point.
 * stdin lines: `append <id>` (one record, one line `r <id>`), `drain` (read and confirm everything,
 * as the InfluxDB writer does, then save the ack position). stdout lines: `ready`, `acked <id>` once
 * the record is durable, `confirmed <id>` for each record drained, `drained` once the ack is saved.
 * The spool's log goes to stderr as pino JSON.
 */
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { Spool } from '../../ingest/spool.js';

const dir = process.argv[2]!;
const log = pino({ level: 'info' }, pino.destination(2));
const spool = await Spool.open({ dir, maxBytes: 1 << 30, segmentBytes: 1 << 20, commitDelayMs: 0, fsync: true }, log);
const out = (line: string) => process.stdout.write(`${line}\n`);
out('ready');

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.split(' ');
  if (cmd === 'append') {
    void spool.append(`r ${arg}`, 1).then(() => out(`acked ${arg}`), (err: Error) => out(`failed ${arg} ${err.message}`));
  } else if (cmd === 'drain') {
    for (let c = spool.readChunk(1000); c; c = spool.readChunk(1000)) {
      for (const r of c.records) out(`confirmed ${r.slice(2)}`);
      spool.confirm(c);
    }
    await spool.saveAckNow();
    out('drained');
  }
}
