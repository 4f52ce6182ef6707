/**
 * Writes the generated dashboards to grafana/dashboards/ (`npm run grafana:build`). The pipeline-health
 * dashboard is kept by hand there; test/e2e/grafana-schema.test.ts checks the files equal this output.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dashboard } from '@grafana/schema';
import { area } from './area.js';
import { city } from './city.js';
import { enterprise } from './enterprise.js';

export const GENERATED: Record<string, () => Dashboard> = {
  'gridpulse-city.json': city,
  'gridpulse-county.json': () => area('county'),
  'gridpulse-chain.json': () => area('chain'),
  'gridpulse-enterprise.json': enterprise,
};

export const render = (d: Dashboard) => `${JSON.stringify(d, null, 2)}\n`;

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const dir = join(import.meta.dirname, '..', 'dashboards');
  for (const [file, make] of Object.entries(GENERATED)) writeFileSync(join(dir, file), render(make()));
  console.log(`wrote ${Object.keys(GENERATED).join(', ')} to ${dir}`);
}
