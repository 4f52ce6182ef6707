import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { configMarkdownTable } from '../../src/config/index.js';

describe('README', () => {
  it('has the configuration table the code documents (run `gridpulse config` to regenerate)', () => {
    const readme = readFileSync('README.md', 'utf8');
    const table = readme.split('<!-- config:start -->')[1]!.split('<!-- config:end -->')[0]!.trim();
    expect(table).toBe(configMarkdownTable());
  });
  it('starts with the run and test commands', () => {
    const head = readFileSync('README.md', 'utf8').split('\n').slice(0, 15).join('\n');
    expect(head).toContain('npm start');
    expect(head).toContain('npm test');
  });
});
