/**
 * The CLI run as a child process by the benches that measure a whole command (bench/serve's baseline scan,
 * bench/scan-images): its wall time, its peak RSS and its stderr. Linux only (/proc).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** VmRSS and VmHWM (peak) of a process, from /proc. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** The CLI's entry point: compiled next to the compiled benches, or the TypeScript source under tsx. */
export function cliScript(): string {
  const compiled = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  return existsSync(compiled) ? compiled : fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
}

export interface CliRun {
  ms: number;
  /** Peak RSS (VmHWM, polled every 50 ms; it only grows). */
  peak: number;
  stderr: string;
}

/**
 * `runwarden <args>` with `nodeFlags` (e.g. a heap limit). Exit 0, or 1 (findings at or above --fail-on), resolves;
 * anything else (a crash, out of memory) rejects with the end of its stderr.
 */
export function runCli(args: readonly string[], nodeFlags: readonly string[] = []): Promise<CliRun> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, ...nodeFlags, cliScript(), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (stderr += s));
    let peak = 0;
    const timer = setInterval(() => {
      try {
        peak = Math.max(peak, memoryOf(child.pid ?? 0).peak);
      } catch {
        // exited between polls
      }
    }, 50);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code === 0 || code === 1) resolve({ ms: performance.now() - t0, peak, stderr });
      else reject(new Error(`runwarden ${args.join(' ')} exited ${String(code)}:\n${stderr.slice(-2000)}`));
    });
  });
}
