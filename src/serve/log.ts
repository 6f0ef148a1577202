/** Structured logs for the long-running service: one JSON line per event on stderr (a static message plus fields). */
import type { Writable } from 'node:stream';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export function jsonLogger(out: Writable, now: () => Date = () => new Date()): Logger {
  return (level, msg, fields = {}) => {
    out.write(`${JSON.stringify({ time: now().toISOString(), level, msg, ...fields })}\n`);
  };
}

export const silentLogger: Logger = () => undefined;

/**
 * At most `perMinute` lines a minute through `log`; the count of those dropped is logged with the first line
 * of a later minute. Bad input from a misconfigured sender (the audit receiver's batches, the admission
 * webhook's unauthenticated callers) arrives with every request: one minute's worth tells.
 */
export function boundedLogger(log: Logger, perMinute: number, now: () => number = Date.now): Logger {
  let windowStart = Number.NEGATIVE_INFINITY;
  let used = 0;
  let suppressed = 0;
  return (level, msg, fields) => {
    const t = now();
    if (t - windowStart >= 60_000) {
      if (suppressed > 0) log('warn', 'log lines suppressed', { suppressed, perMinute });
      windowStart = t;
      used = 0;
      suppressed = 0;
    }
    if (used < perMinute) {
      used++;
      log(level, msg, fields);
    } else suppressed++;
  };
}
