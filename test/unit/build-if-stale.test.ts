import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/pipeline.js';

const SCRIPT = resolve('scripts/build-if-stale.mjs');

/** `npm start` runs scripts/build-if-stale.mjs: tsc only when a source is newer than the last build, and it says so. */
describe('npm start: compile only when stale', () => {
  const dir = tempDir('gridpulse-stale-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = () => spawnSync(process.execPath, [SCRIPT], { cwd: dir, encoding: 'utf8' });
  const at = (file: string, s: number) => utimesSync(join(dir, file), s, s);

  it('skips tsc when the build is newer than every source, and compiles (saying so) when one changed', () => {
    mkdirSync(join(dir, 'src'), { recursive: true });
    mkdirSync(join(dir, 'dist/src/cli'), { recursive: true });
    mkdirSync(join(dir, 'dist/console'), { recursive: true });
    mkdirSync(join(dir, 'console'), { recursive: true });
    writeFileSync(join(dir, 'src/a.ts'), 'export {};\n');
    writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
    writeFileSync(join(dir, 'dist/src/cli/main.js'), '\n');
    writeFileSync(join(dir, 'dist/.build-stamp'), 'x\n');
    writeFileSync(join(dir, 'console/main.ts'), 'export {};\n');
    writeFileSync(join(dir, 'dist/console/index.html'), '\n');
    at('src/a.ts', 1_000_000);
    at('console/main.ts', 1_000_000);
    at('dist/console/index.html', 2_000_000);
    at('tsconfig.json', 1_000_000);
    at('dist/.build-stamp', 2_000_000);
    const fresh = run();
    expect(fresh.status).toBe(0);
    expect(fresh.stderr).toBe('');

    at('src/a.ts', 3_000_000);
    // This folder has no TypeScript installed: the attempt itself shows the decision.
    const stale = run();
    expect(stale.stderr).toContain('gridpulse: sources changed, compiling TypeScript');
    expect(stale.status).not.toBe(0);
    expect(stale.stderr).not.toContain('analyst console');

    // The console is built on its own clock: a console source newer than its page rebuilds it first.
    at('src/a.ts', 1_000_000);
    at('console/main.ts', 3_000_000);
    const page = run();
    expect(page.stderr).toContain('gridpulse: building the analyst console');
    expect(page.status).not.toBe(0);
  });
});
