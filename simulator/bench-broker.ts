/**
 * A stand-in broker for measuring the simulator's publishing alone: Aedes with the pipeline's
 * login rule (gateway id + scrypt password from a registry file), counting readings, storing
 * nothing. Not part of the product; `gridpulse start` is the real broker.
 *
 *   node dist/simulator/bench-broker.js data/sim/registry.json 18830
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import { verifyPassword } from '../src/registry/password.js';

const [file, portArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: bench-broker <registry.json> [port]\n');
  process.exit(2);
}
const reg = JSON.parse(readFileSync(file, 'utf8')) as { gateways: { id: string; passwordHash: string }[] };
const hashes = new Map(reg.gateways.map((g) => [g.id, g.passwordHash]));
let readings = 0, messages = 0, clients = 0, badLogins = 0;
const refuse = () => Object.assign(new Error('bad user name or password'), { returnCode: 4 as const });
const broker = await Aedes.createBroker({
  concurrency: 1000,
  authenticate: (_client, username, password, done) => {
    const h = hashes.get(username ?? '');
    if (!h || !password) { badLogins++; return done(refuse(), false); }
    verifyPassword(password.toString(), h).then((ok) => { if (!ok) badLogins++; done(ok ? null : refuse(), ok); }, () => done(refuse(), false));
  },
  authorizePublish: (_client, packet, done) => {
    messages++;
    try {
      const b = JSON.parse(packet.payload.toString()) as { readings?: unknown[] };
      readings += Array.isArray(b.readings) ? b.readings.length : 1;
    } catch { /* a garbled message: counted as a message only */ }
    done(null);
  },
});
broker.on('client', () => clients++);
broker.on('clientDisconnect', () => clients--);
const port = Number(portArg ?? 18830);
createServer(broker.handle).listen(port, '127.0.0.1', () => process.stdout.write(`bench-broker on mqtt://127.0.0.1:${port}, ${hashes.size} gateways\n`));
let last = 0;
setInterval(() => {
  process.stdout.write(`bench-broker: clients=${clients} messages=${messages} readings=${readings} (+${readings - last} in 5 s) badLogins=${badLogins}\n`);
  last = readings;
}, 5000).unref();
