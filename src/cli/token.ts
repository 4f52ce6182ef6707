import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadConfig } from '../config/index.js';
import { AlertStore, alertStoreFile } from '../../alerts/index.js';
import { ROLES } from '../api/auth.js';

function openStore(o: { config?: string; dataDir?: string }): AlertStore {
  const cfg = loadConfig({ file: o.config, overrides: { dataDir: o.dataDir } });
  return new AlertStore(alertStoreFile(resolve(cfg.dataDir)));
}

/** `gridpulse token create|list|revoke`: API tokens, kept as sha256 hashes in the alert store. */
export function registerToken(program: Command): void {
  const t = program.command('token').description('API tokens for the HTTP API (roles: viewer, analyst, admin); only their hashes are stored');
  const common = (c: Command) => c.option('-c, --config <file>', 'JSON config file').option('--data-dir <dir>', 'data folder of the pipeline');
  common(t.command('create').description('Create a token and print it once')
    .requiredOption('--name <name>', 'who or what uses it (shown in the audit log)')
    .option('--role <role>', `one of ${ROLES.join(', ')}`, 'viewer'))
    .action((o: { name: string; role: string; config?: string; dataDir?: string }) => {
      if (!(ROLES as readonly string[]).includes(o.role)) throw new Error(`--role must be one of ${ROLES.join(', ')}, not ${o.role}`);
      if (!/^[\w.@-]{1,64}$/.test(o.name)) throw new Error('--name: 1 to 64 letters, digits, _ . @ -');
      const store = openStore(o);
      try {
        const { token, id } = store.createToken(o.name, o.role, Date.now());
        process.stderr.write(`token ${id} for ${o.name} (${o.role}); it is shown only now:\n`);
        process.stdout.write(`${token}\n`);
      } finally {
        store.close();
      }
    });
  common(t.command('list').description('List tokens (never their secrets)')).action((o: { config?: string; dataDir?: string }) => {
    const store = openStore(o);
    try {
      for (const k of store.tokens()) process.stdout.write(`${JSON.stringify(k)}\n`);
    } finally {
      store.close();
    }
  });
  common(t.command('revoke <id>').description('Revoke a token at once')).action((id: string, o: { config?: string; dataDir?: string }) => {
    const store = openStore(o);
    try {
      if (!store.revokeToken(id, Date.now())) throw new Error(`no active token ${id}`);
      process.stdout.write(`token ${id} revoked\n`);
    } finally {
      store.close();
    }
  });
}
