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
