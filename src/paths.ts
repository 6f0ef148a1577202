import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder with runwarden's package.json), from src/ via tsx or from dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'runwarden') return dir;
      } catch {
        // keep walking up
      }
    }
    dir = dirname(dir);
  }
  throw new Error('runwarden package root not found');
}

/** The bundled demo cluster snapshot. */
export function demoSnapshotPath(): string {
  return join(packageRoot(), 'demo', 'cluster');
}
