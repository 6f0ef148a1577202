/**
 * What the image benches share (bench/layers, bench/catalog, bench/malware): the benchmark image, built
 * once offline by scripts/build-bench-image.sh and cached, and the median of repeated runs.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

/** The OCI layout of the benchmark image (the script's last output line); built on first use, then cached. */
export function buildBenchImage(cacheDir: string | undefined): Promise<string> {
  const script = join(packageRoot(), 'scripts', 'build-bench-image.sh');
  return new Promise((resolve, reject) => {
    const c = spawn('bash', [script, ...(cacheDir === undefined ? [] : [cacheDir])], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.setEncoding('utf8');
    c.stdout.on('data', (s: string) => (out += s));
    c.on('error', reject);
    c.on('close', (code) => {
      const layout = out.trim().split('\n').at(-1);
      if (code !== 0 || layout === undefined || layout === '') reject(new Error(`${script} failed (exit ${String(code)})`));
      else resolve(layout);
    });
  });
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}
