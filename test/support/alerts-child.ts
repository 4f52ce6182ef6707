/**
 * A child process for the kill -9 test: opens the alerts stage on a store file, records `count`
 * alert openings from analyzer-shaped updates (the stage writes the outbox rows), says so on stdout,
 * and keeps trying to deliver to a receiver that is down until it is killed.
 */
import { createAlerts } from '../../alerts/index.js';
import { alertUpdate } from './alerts.js';

const [file, url, secret, countArg] = process.argv.slice(2);
const stage = createAlerts({
  file: file!, locale: 'en', flapWindowMs: 0, flapNotifyLimit: 1, retryBaseMs: 50, retryMaxMs: 200,
  webhook: { url: url!, secret: secret! }, sse: { maxBufferedBytes: 65_536, maxStallMs: 1000 },
}, { locate: () => ({ enterprise: 'ent0000', county: 'nanhu' }) });
stage.start();
const count = Number(countArg);
for (let i = 0; i < count; i++) stage.lifecycle.apply(alertUpdate('opened', { id: `k-${i}`, entity: `ent${String(i).padStart(4, '0')}` }));
process.stdout.write(`committed ${count}\n`);
setInterval(() => undefined, 1000);
