import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A child process (a TypeScript file run with tsx) that speaks lines on stdout: tests write commands to its
 * stdin and wait on its lines with a deadline (woken by each line or its exit, never by polling).
 */
export class LineChild {
  readonly lines: string[] = [];
  stderr = '';
  exited = false;
  private waiters: (() => void)[] = [];

  constructor(readonly proc: ChildProcess, private readonly name: string, onLine?: (line: string) => void) {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      onLine?.(l);
      this.lines.push(l);
      this.wake();
    });
    proc.stderr!.on('data', (b: Buffer) => (this.stderr += b.toString()));
    proc.once('exit', () => {
      this.exited = true;
      this.wake();
    });
  }

  /** Runs `script` (a .ts file) with tsx and these arguments. */
  static start(script: string, args: string[], name: string, onLine?: (line: string) => void): LineChild {
    return new LineChild(spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }), name, onLine);
  }

  write(text: string): void {
    this.proc.stdin!.write(text);
  }

  /** Waits until done(lines) holds; fails naming `what` when the child exits first or the deadline passes. */
  async until(done: (lines: string[]) => boolean, what: string, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done(this.lines)) {
      if (this.exited) throw new Error(`${this.name} exited while waiting for ${what}: ${this.stderr.slice(-2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no ${what} within ${ms} ms; stderr: ${this.stderr.slice(-2000)}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }

  async kill9(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await gone;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
