import { pino, type Logger } from 'pino';

/** JSON logs on stdout; pretty printing is a separate tool (`| npx pino-pretty`). */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'gridpulse', ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}

export type { Logger };
