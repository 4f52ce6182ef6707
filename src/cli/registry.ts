import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { Registry, hashPassword, saveRegistry } from '../registry/index.js';

export function registerRegistry(program: Command): void {
  const reg = program.command('registry').description('Inspect and edit registry files (meters, enterprises, gateways)');
  reg.command('validate <file>').description('Check a registry JSON or meters CSV and print its counts')
    .action((file: string) => {
      const r = Registry.load(file);
      process.stdout.write(`${JSON.stringify(r.counts())}\n`);
    });
  reg.command('hash-password').description('Read a password from stdin and print its scrypt hash for the registry')
    .action(() => {
      const pw = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
      if (pw.length < 8) throw new Error('password must be at least 8 characters');
      process.stdout.write(`${hashPassword(pw)}\n`);
    });
  reg.command('add-gateway <file> <id>').description('Add a gateway (password from stdin) to a registry JSON file')
    .option('--enterprise <id>', 'enterprise the gateway belongs to')
    .option('--role <role>', 'gateway or consumer', 'gateway')
    .action((file: string, id: string, o: { enterprise?: string; role: string }) => {
      const r = Registry.load(file);
      const pw = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
      if (pw.length < 8) throw new Error('password must be at least 8 characters');
      r.upsert({ gateways: [{ id, passwordHash: hashPassword(pw), enterprise: o.enterprise, role: o.role }] });
      saveRegistry(file, r.snapshot());
      process.stdout.write(`gateway ${id} saved to ${file}\n`);
    });
}
