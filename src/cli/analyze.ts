import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Command, Option } from 'commander';
import { analyze, formatSummary, parseSettings, UsageError, type RawAnalyzeOptions } from '../analyze/index.js';

/**
 * V8's young generation for `analyze` (MiB per semi-space; Node's default is 16). Papa Parse hands over
 * a chunk's rows at once (~30k arrays and their strings per MiB of CSV): in a small young generation
 * they survive a scavenge and get copied to the old one. 64 MiB measured ~1.3x the rows per CPU-second
 * for ~70 MiB more peak RSS (docs/benchmarks.md). The flag only takes effect at process start-up, so
 * the command runs itself again with it (once: the child has the flag).
 */
const SEMI_SPACE_MIB = 64;

function rerunWithYoungGeneration(): Promise<number> | undefined {
  if (process.env.GRIDPULSE_ANALYZE_NO_RERUN === '1' || process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) return undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-semi-space-size=${SEMI_SPACE_MIB}`, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
    // The terminal's Ctrl-C reaches both processes; a signal sent to this one alone is passed on.
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('Run the analyzer offline over readings from CSV files, simulator files or InfluxDB; print the alerts')
    .argument('[files...]', 'CSV (meter_id,timestamp,energy_kwh|register_kwh[,power_kw,enterprise_id]; delimiter , ; or tab from the header, decimal commas with ;; gzip ok; - for stdin), or readings.jsonl / readings.lp from `gridpulse simulate`')
    .option('--influx <url>', 'read stored readings from this InfluxDB instead of files (with --start, --end)')
    .option('--db <name>', 'InfluxDB database (v1) or bucket', 'gridpulse')
    .option('--influx-token <token>', 'InfluxDB v2 token or v1 user:password')
    .option('--start <time>', 'with --influx: first instant to read')
    .option('--end <time>', 'with --influx: instant to stop before')
    .option('--registry <file>', 'registry JSON or meters CSV (as `start` takes): enterprises, chains, counties and their roll-ups')
    .option('--meter <id>', 'the meter of a single-meter CSV without a meter_id column')
    .option('--columns <map>', 'CSV header names for the documented columns, NAME=HEADER[,…] (e.g. timestamp=Date,energy_kwh=Usage_kWh; repeatable)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--interval <i>', 'auto | 5m | 15m | 30m | 1h', 'auto')
    .option('--calendar <c>', 'cn | none | FILE (.json list of dates/ranges, or .ics)', 'cn')
    .option('--timezone <iana>', 'zone of naive timestamps and of the working calendar', 'Asia/Shanghai')
    .option('--sensitivity <s>', 'low | normal | high', 'normal')
    .option('--learn-days <n>', 'days each meter learns before it is judged (7 at least: a week shows every kind of day; shorter judges earlier, against a noisier baseline)', '14')
    .option('--from <time>', 'report alerts raised from here on (earlier data is only learned from)')
    .option('--to <time>', 'ignore readings after this')
    .option('--kinds <list>', 'comma-separated alert kinds to report')
    .option('-o, --out <file>', 'write alerts here instead of stdout')
    .addOption(new Option('--format <f>', 'alert output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--progress', 'progress bar on stderr even when it is not a terminal')
    .option('--no-progress', 'no progress bar')
    .option('--explain <meter>', 'print what the analyzer saw for this meter around --at (expected, actual, noise, detector) instead of alerts')
    .option('--at <time>', 'with --explain: the instant to explain')
    // Bad usage (unknown option, missing value) exits 2, like the command's own checks.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .addHelpText('after', '\nTimes: ISO 8601 with an offset, or naive in --timezone. Exit codes: 0 ok, 2 bad usage or unreadable input. README.md#for-analysts.')
    .action(async (files: string[], o: RawAnalyzeOptions & { progress?: boolean }, cmd: Command) => {
      // --progress/--no-progress: only when given explicitly; otherwise a TTY decides.
      const explicit = cmd.getOptionValueSource('progress') === 'cli';
      const rerun = rerunWithYoungGeneration();
      if (rerun) {
        process.exitCode = await rerun;
        return;
      }
      try {
        const settings = parseSettings(files, { ...o, ...(explicit ? {} : { progress: undefined }) });
        const summary = await analyze(settings, { stdout: process.stdout, stderr: process.stderr });
        process.stderr.write(formatSummary(summary, settings));
      } catch (err) {
        if (err instanceof UsageError) {
          process.stderr.write(`gridpulse analyze: ${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
    });
}
