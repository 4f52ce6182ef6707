#!/usr/bin/env node
import { Command } from 'commander';
import { registerStart } from './start.js';
import { registerSimulate } from '../../simulator/cli.js';
import { registerRegistry } from './registry.js';
import { registerAnalyze } from './analyze.js';
import { registerToken } from './token.js';

const program = new Command();
program
  .name('gridpulse')
  .description('GridPulse: MQTT ingest, durable spool, InfluxDB storage and drop detection for industrial power meters')
  .version('0.1.0')
  .showHelpAfterError();

registerStart(program);
registerSimulate(program);
registerRegistry(program);
registerAnalyze(program);
registerToken(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`gridpulse: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
