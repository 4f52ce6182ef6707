/** Starts a managed influxd on data dir argv[2] (port argv[3], 0 or none: a free one) and prints its pid and url; a test then kill -9s this process. */
import { startManagedInfluxd } from '../../src/storage/managed-influxd.js';

const m = await startManagedInfluxd({ dataDir: process.argv[2]!, port: Number(process.argv[3] ?? 0) });
process.stdout.write(`${JSON.stringify({ url: m.url })}\n`);
setInterval(() => undefined, 60_000);
