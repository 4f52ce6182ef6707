import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema, OPTION_DOCS, type Config } from './schema.js';

export { type Config, OPTION_DOCS } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

function describe(input: Record<string, unknown>, path: PropertyKey[]): unknown {
  let node: unknown = input;
  for (const k of path) {
    // A map given in the environment is JSON text (analytics.countyCalendars): show the entry at fault.
    if (typeof node === 'string' && node.startsWith('{')) {
      try {
        node = JSON.parse(node) as unknown;
      } catch {
        return node;
      }
    }
    node = (node as Record<PropertyKey, unknown> | undefined)?.[k];
  }
  return node;
}

/**
 * Config precedence: defaults < config file (JSON) < environment < overrides (CLI flags).
 * A bad value throws a ConfigError whose message is one line per key: key (and its env name),
 * the value given, and what was expected.
 */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): Config {
  const env = opts.env ?? process.env;
  const input: Record<string, unknown> = {};
  const file = opts.file ?? env.GRIDPULSE_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
    }
    Object.assign(input, parsed);
  }
  for (const o of OPTION_DOCS) {
    const v = env[o.env];
    if (v !== undefined && v !== '') setPath(input, o.key, v);
  }
  for (const [k, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) setPath(input, k, v);

  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(formatIssues(result.error, input));
}

function formatIssues(error: z.ZodError, input: Record<string, unknown>): string {
  return error.issues.map((issue) => {
    const key = issue.path.join('.');
    const doc = OPTION_DOCS.find((o) => o.key === key);
    const given = describe(input, issue.path);
    const where = doc ? `${key} (${doc.env})` : key || '(root)';
    const shown = given === undefined ? 'missing' : JSON.stringify(given);
    return `invalid config ${where}=${shown}: ${issue.message}`;
  }).join('\n');
}

export function configMarkdownTable(): string {
  const rows = OPTION_DOCS.map((o) => `| \`${o.key}\` | \`${o.env}\` | ${o.default === undefined ? '—' : `\`${String(o.default)}\``} | ${o.doc} |`);
  return ['| key | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
