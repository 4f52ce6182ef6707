#!/usr/bin/env node
// `npm start` / `npm run bench:*`: compile only when a source is newer than the last build, and say so.
// (tsc itself, even incremental, takes seconds just to find that nothing changed.)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = 'dist/.build-stamp';
const INPUTS = ['src', 'ingest', 'analytics', 'alerts', 'simulator', 'grafana', 'test', 'tsconfig.json', 'package.json'];
const CONSOLE_INPUTS = ['console', 'package.json'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return /\.(ts|json)$/.test(path) ? st.mtimeMs : 0;
  let max = 0;
  for (const e of readdirSync(path)) if (e !== 'node_modules') max = Math.max(max, newest(join(path, e)));
  return max;
}

// The last build: this script's stamp, or tsc's build info (`npm run build` writes it).
const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);
const built = existsSync('dist/src/cli/main.js') ? Math.max(mtime(STAMP), mtime('dist/.tsbuildinfo')) : 0;
// The analyst console (Vite): rebuilt when its sources are newer than its built page.
const consoleBuilt = mtime('dist/console/index.html');
if (consoleBuilt === 0 || Math.max(...CONSOLE_INPUTS.map(newest)) >= consoleBuilt) {
  process.stderr.write('gridpulse: building the analyst console (vite)…\n');
  const c = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'console/tsconfig.json'], { stdio: 'inherit' });
  if (c.status !== 0) process.exit(c.status ?? 1);
  const v = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '-c', 'console/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (v.status !== 0) process.exit(v.status ?? 1);
}
if (built > 0 && Math.max(...INPUTS.map(newest)) < built) process.exit(0);
process.stderr.write(built > 0 ? 'gridpulse: sources changed, compiling TypeScript (tsc, a few seconds)…\n' : 'gridpulse: first start, compiling TypeScript (tsc, 15–30 s)…\n');
const t0 = Date.now();
const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo'], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
process.stderr.write(`gridpulse: compiled in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
