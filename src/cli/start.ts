import type { Command } from 'commander';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, ConfigError } from '../config/index.js';
import { createLogger } from '../log.js';
import { startPipeline } from '../pipeline/index.js';
import { DEMO } from '../../simulator/demo.js';
import { startDemoProgress, waitForWarmAnalyzer } from './demo-progress.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run the pipeline: MQTT broker, validation, spool, InfluxDB writer, analyzer and HTTP API')
    .option('-c, --config <file>', 'JSON config file (environment variables override it)')
    .option('--data-dir <dir>', 'data folder (spool, dead letters, managed influxd)')
    .option('--registry <file>', 'registry JSON or meters CSV')
    .option('--mqtt-port <port>', 'MQTT TCP port')
    .option('--http-port <port>', 'HTTP API port')
    .option('--influx-url <url>', 'InfluxDB URL (unset: managed influxd or spool only)')
    .option('--simulate', 'also run the bundled simulator against this pipeline (a small city, accelerated)')
    .option('--simulate-enterprises <n>', 'simulated enterprises with --simulate', '200')
    .option('--simulate-speed <x>', `with --simulate: device seconds per second while the history is sent (default ${DEMO.speed})`)
    .addHelpText('after', '\nEvery option and its environment variable: README.md#configuration, or `gridpulse config`.')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      let cfg;
      try {
        cfg = loadConfig({
          file: o.config as string | undefined,
          overrides: { dataDir: o.dataDir, registryFile: o.registry, 'mqtt.port': o.mqttPort, 'http.port': o.httpPort, 'influx.url': o.influxUrl },
        });
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      const log = createLogger(cfg.logLevel);
      if (cfg.registryFile) cfg = { ...cfg, registryFile: copyExampleRegistry(cfg.registryFile, cfg.dataDir, log) };
      const simDir = join(cfg.dataDir, 'sim');
      // The simulator runs as a child `gridpulse simulate`, the same command a user would run.
      const simArgs = ['--out', simDir, '--enterprises', String(o.simulateEnterprises), '--seed', '1'];
      if (o.simulate) {
        // Quiet: the demo run below prints the city and its own incidents; this one only writes the registry.
        const r = spawnSync(process.execPath, [process.argv[1]!, 'simulate', '--registry-only', ...simArgs], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`gridpulse simulate --registry-only failed:\n${r.stdout}${r.stderr}`);
        cfg = { ...cfg, registryFile: join(simDir, 'registry.json'), analytics: { ...cfg.analytics, clock: 'data' as const } };
      }
      const pipeline = await startPipeline(cfg, log);
      let stopping = false;
      let sim: ChildProcess | undefined;
      let stopProgress: (() => void) | undefined;
      if (o.simulate) {
        // The analyzer learns from what InfluxDB holds when it connects: let that finish on an empty
        // database first, or it races the history the simulator is sending.
        await waitForWarmAnalyzer(pipeline, 60_000);
        // History at DEMO.speed, then real time: never past the wall clock (docs/simulator.md#the-demo).
        const speed = o.simulateSpeed ? ['--speed', String(o.simulateSpeed)] : [];
        sim = spawn(process.execPath, [process.argv[1]!, 'simulate', '--demo', ...speed, '--url', `mqtt://127.0.0.1:${pipeline.ports.mqtt}`, '--no-progress', ...simArgs],
          { stdio: ['ignore', 'inherit', 'inherit'] });
        log.info({ pid: sim.pid, simDir }, `simulator started: ${DEMO.historyDays} days of history at ${o.simulateSpeed ?? DEMO.speed}×, then real time`);
        stopProgress = startDemoProgress(pipeline);
        sim.once('exit', (code, signal) => {
          if (code === 0) log.info({ simDir }, 'simulator finished: the demo city has sent its last reading');
          else if (!stopping) log.error({ code, signal }, 'simulator exited with an error (its message is above); the pipeline keeps running');
        });
      }
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping');
        stopProgress?.();
        sim?.kill('SIGTERM');
        await pipeline.stop();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });

  program
    .command('config')
    .description('Print every configuration key, its environment variable and default (Markdown table)')
    .action(async () => {
      const { configMarkdownTable } = await import('../config/index.js');
      process.stdout.write(`${configMarkdownTable()}\n`);
    });
}

/**
 * A registry under docs/examples/ is a tracked example: API edits would rewrite it. Copy it into the
 * data folder (once: a copy already there, with its edits, is kept) and use the copy.
 */
export function copyExampleRegistry(file: string, dataDir: string, log: Logger): string {
  if (!resolve(file).includes(`${sep}docs${sep}examples${sep}`)) return file;
  const copy = join(resolve(dataDir), 'registry.json');
  if (!existsSync(copy)) {
    mkdirSync(resolve(dataDir), { recursive: true });
    copyFileSync(file, copy);
    log.info({ example: file, registryFile: copy }, 'example registry copied into the data folder: API edits go to the copy');
  } else {
    log.info({ example: file, registryFile: copy }, 'example registry: using the copy already in the data folder (API edits go there)');
  }
  return copy;
}
