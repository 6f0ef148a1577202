/**
 * Lifecycle data in the runwarden database (`lifecycle_products`), seeded from the bundled
 * endoflife.date snapshot the first time it is needed and refreshed by `update.ts`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, errorMessage } from '../../core/errors.js';
import { issue, type Issue } from '../../core/issue.js';
import { packageRoot } from '../../paths.js';
import type { Db } from '../../store/db.js';
import { ReleaseCycle, Snapshot, type LifecycleData, type Product } from './schema.js';

/** The bundled snapshot, shipped with the package (see its SOURCE.md for the upstream commit). */
export function bundledSnapshotPath(): string {
  return join(packageRoot(), 'testdata', 'upstream', 'endoflife', 'eol.json');
}

/** Validate one product's cycles; a bad cycle is left out with an issue, the others are kept. */
export function parseReleases(name: string, releases: readonly unknown[], where: string): { releases: ReleaseCycle[]; issues: Issue[] } {
  const out: ReleaseCycle[] = [];
  const issues: Issue[] = [];
  releases.forEach((raw, i) => {
    const parsed = ReleaseCycle.safeParse(raw);
    if (parsed.success) out.push(parsed.data);
    else {
      const first = parsed.error.issues[0];
      issues.push(issue('lifecycle-invalid-cycle', `${name} release #${i + 1} is invalid at ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'unexpected shape'}; that cycle is left out`, where));
    }
  });
  return { releases: out, issues };
}

/** The snapshot file shape → products (unknown fields dropped, purls without versions). */
export function parseSnapshot(json: unknown, where: string): { products: Product[]; source: string | undefined; issues: Issue[] } {
  const parsed = Snapshot.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new AppError('lifecycle-data-invalid', `Lifecycle data at ${where} is not an endoflife.date snapshot: ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'unexpected shape'}`, {
      hint: 'Expected {"products": {"<name>": {"releases": [...]}}} (the bundled eol.json shape), or an endoflife.date API base URL.',
    });
  }
  const issues: Issue[] = [];
  const products: Product[] = [];
  for (const [name, entry] of Object.entries(parsed.data.products)) {
    const r = parseReleases(name, entry.releases, where);
    issues.push(...r.issues);
    const purls = (entry.identifiers ?? []).flatMap((i) => (i.purl === undefined ? [] : [i.purl]));
    products.push({ name, title: entry.title ?? name, purls, releases: r.releases });
  }
  return { products, source: parsed.data._source, issues };
}

export async function readSnapshotFile(path: string): Promise<{ products: Product[]; source: string | undefined; issues: Issue[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AppError('lifecycle-data-missing', `Cannot read lifecycle data "${path}": ${errorMessage(error)}`, { hint: 'Reinstall runwarden, or run "runwarden lifecycle update" with a reachable --url.', cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError('lifecycle-data-invalid', `Lifecycle data "${path}" is not JSON: ${errorMessage(error)}`, { cause: error });
  }
  return parseSnapshot(json, path);
}

/** Replace the given products' rows (one transaction); other products stay as they were. */
export function writeProducts(db: Db, products: readonly Product[], source: string, fetchedAt: string): void {
  const upsert = db.prepare(`INSERT INTO lifecycle_products (name, title, purls, releases, source, fetched_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET title = excluded.title, purls = excluded.purls, releases = excluded.releases, source = excluded.source, fetched_at = excluded.fetched_at`);
  db.transaction(() => {
    for (const p of products) upsert.run(p.name, p.title, JSON.stringify(p.purls), JSON.stringify(p.releases), source, fetchedAt);
  })();
}

const Row = z.object({ name: z.string(), title: z.string(), purls: z.string(), releases: z.string(), source: z.string(), fetched_at: z.string() });

/** Every stored product; undefined when the table is empty (never imported). */
export function readLifecycle(db: Db): { data: LifecycleData; issues: Issue[] } | undefined {
  // A database opened read-only is not migrated: one from before lifecycle-001 has no table yet.
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lifecycle_products'").get() === undefined) return undefined;
  const rows = z.array(Row).parse(db.prepare('SELECT name, title, purls, releases, source, fetched_at FROM lifecycle_products ORDER BY name').all());
  if (rows.length === 0) return undefined;
  const products = new Map<string, Product>();
  const issues: Issue[] = [];
  let fetchedAt = '';
  const sources = new Set<string>();
  for (const row of rows) {
    const purls = z.array(z.string()).safeParse(JSON.parse(row.purls));
    const releases = z.array(z.unknown()).safeParse(JSON.parse(row.releases));
    if (!purls.success || !releases.success) {
      issues.push(issue('lifecycle-store-corrupt', `Stored lifecycle data of ${row.name} is unreadable; that product is skipped`, 'lifecycle_products', 'Run "runwarden lifecycle update" to refresh it.'));
      continue;
    }
    const r = parseReleases(row.name, releases.data, 'lifecycle_products');
    issues.push(...r.issues);
    products.set(row.name, { name: row.name, title: row.title, purls: purls.data, releases: r.releases });
    if (row.fetched_at > fetchedAt) fetchedAt = row.fetched_at;
    sources.add(row.source);
  }
  return { data: { products, source: [...sources].join(', '), fetchedAt }, issues };
}

/**
 * The lifecycle data to use: what the database holds, else the bundled snapshot, which is then
 * stored so later `update`s refine it (pass `seed: false` for a read-only database).
 */
export async function loadLifecycle(db: Db | undefined, options: { seed?: boolean; snapshotPath?: string } = {}): Promise<{ data: LifecycleData; issues: Issue[] }> {
  if (db !== undefined) {
    const stored = readLifecycle(db);
    if (stored !== undefined) return stored;
  }
  const path = options.snapshotPath ?? bundledSnapshotPath();
  const snap = await readSnapshotFile(path);
  const source = snap.source ?? path;
  const fetchedAt = '';
  if (db !== undefined && options.seed !== false && !db.readonly) writeProducts(db, snap.products, `bundled snapshot: ${source}`, fetchedAt);
  return { data: { products: new Map(snap.products.map((p) => [p.name, p])), source: `bundled snapshot: ${source}`, fetchedAt }, issues: snap.issues };
}

/** For tests and offline use: lifecycle data from products directly. */
export function lifecycleData(products: readonly Product[], source = 'inline', fetchedAt = ''): LifecycleData {
  return { products: new Map(products.map((p) => [p.name, p])), source, fetchedAt };
}
