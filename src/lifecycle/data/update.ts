/**
 * `runwarden lifecycle update` (and `db update`): refresh the stored release cycles from the
 * endoflife.date API or a mirror. The URL decides the shape of the requests:
 *   - containing `{product}`: one GET per product with the name substituted
 *     (default `https://endoflife.date/api/v1/products/{product}`);
 *   - ending in `.json`: one GET of a whole snapshot file (the bundled `eol.json` shape), for mirrors;
 *   - anything else: `<url>/<product>.json` (the v0 API layout).
 * Replies are recognised by shape: a v0 array of cycles, a v1 `{ result: { releases } }` object, or a
 * snapshot. A product that fails keeps its previous rows; each failure is an issue.
 */
import { z } from 'zod';
import { AppError, errorMessage } from '../../core/errors.js';
import { issue, type Issue } from '../../core/issue.js';
import type { Db } from '../../store/db.js';
import { parseReleases, parseSnapshot, readLifecycle, writeProducts, loadLifecycle } from './store.js';
import type { Product } from './schema.js';

export const DEFAULT_LIFECYCLE_URL = 'https://endoflife.date/api/v1/products/{product}';

const V1Release = z.object({
  name: z.union([z.string(), z.number()]).transform(String),
  codename: z.string().nullish(),
  label: z.string().nullish(),
  releaseDate: z.string().nullish(),
  isLts: z.boolean().optional(),
  ltsFrom: z.string().nullish(),
  isEoas: z.boolean().nullish(),
  eoasFrom: z.string().nullish(),
  isEol: z.boolean().optional(),
  eolFrom: z.string().nullish(),
  isEoes: z.boolean().nullish(),
  eoesFrom: z.string().nullish(),
  latest: z.object({ name: z.string(), date: z.string().nullish() }).nullish(),
});
const V1Reply = z.object({ result: z.object({ name: z.string().optional(), label: z.string().optional(), releases: z.array(z.unknown()) }) });

/** endoflife.date API v1 release → the v0/snapshot field names. */
function fromV1(raw: unknown): unknown {
  const r = V1Release.safeParse(raw);
  if (!r.success) return raw;
  const v = r.data;
  const out: Record<string, unknown> = { cycle: v.name, eol: v.eolFrom ?? v.isEol ?? false };
  if (v.codename != null) out.codename = v.codename;
  if (v.releaseDate != null) out.releaseDate = v.releaseDate;
  if (v.eoasFrom != null || v.isEoas != null) out.eoas = v.eoasFrom ?? v.isEoas;
  if (v.eoesFrom != null || v.isEoes != null) out.eoes = v.eoesFrom ?? v.isEoes;
  if (v.ltsFrom != null || v.isLts !== undefined) out.lts = v.ltsFrom ?? v.isLts;
  if (v.latest != null) {
    out.latest = v.latest.name;
    if (v.latest.date != null) out.latestReleaseDate = v.latest.date;
  }
  return out;
}

export interface UpdateOptions {
  url?: string | undefined;
  /** Products to refresh; default: every product stored (or bundled). */
  products?: readonly string[] | undefined;
  now?: Date | undefined;
  signal?: AbortSignal | undefined;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number | undefined;
}

export interface UpdateResult {
  url: string;
  updated: string[];
  failed: string[];
  cycles: number;
  issues: Issue[];
}

const MAX_BYTES = 32 * 1024 * 1024;

async function getJson(url: string, options: UpdateOptions): Promise<unknown> {
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 30_000)];
  if (options.signal !== undefined) signals.push(options.signal);
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json', 'user-agent': 'runwarden' }, signal: AbortSignal.any(signals) });
  } catch (error) {
    throw new AppError('lifecycle-fetch', `Cannot fetch lifecycle data from ${url}: ${errorMessage(error)}`, { hint: 'Check the network or proxy, or point --url at a reachable mirror.', cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new AppError('lifecycle-fetch', `Lifecycle data ${url} answered HTTP ${response.status}`, { hint: response.status === 404 ? 'The product or path does not exist there; check --url.' : 'Retry later, or use a mirror.' });
  }
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_BYTES) throw new AppError('lifecycle-fetch', `Lifecycle data ${url} is ${length} bytes, more than the ${MAX_BYTES} accepted`);
  const text = await response.text();
  if (text.length > MAX_BYTES) throw new AppError('lifecycle-fetch', `Lifecycle data ${url} is larger than the ${MAX_BYTES} bytes accepted`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('lifecycle-data-invalid', `Lifecycle data ${url} is not JSON: ${errorMessage(error)}`, { cause: error });
  }
}

/** One product's reply (v0 array or v1 object) → its cycles. */
function productReply(name: string, json: unknown, url: string): { releases: Product['releases']; title: string | undefined; issues: Issue[] } {
  if (Array.isArray(json)) return { ...parseReleases(name, json, url), title: undefined };
  const v1 = V1Reply.safeParse(json);
  if (v1.success) return { ...parseReleases(name, v1.data.result.releases.map(fromV1), url), title: v1.data.result.label };
  throw new AppError('lifecycle-data-invalid', `Lifecycle data ${url} for ${name} is neither a list of cycles (API v0) nor {"result": {"releases": [...]}} (API v1)`, { hint: 'Check that --url points at the endoflife.date API or a mirror of it.' });
}

/** Fetch and store; the database keeps what it had for every product that failed. */
export async function updateLifecycle(db: Db, options: UpdateOptions = {}): Promise<UpdateResult> {
  const url = options.url ?? DEFAULT_LIFECYCLE_URL;
  const fetchedAt = (options.now ?? new Date()).toISOString();
  const current = readLifecycle(db)?.data ?? (await loadLifecycle(db)).data;
  const result: UpdateResult = { url, updated: [], failed: [], cycles: 0, issues: [] };
  if (!url.includes('{product}') && /\.json(?:\?.*)?$/.test(url)) {
    const snap = parseSnapshot(await getJson(url, options), url);
    const wanted = options.products === undefined ? snap.products : snap.products.filter((p) => options.products?.includes(p.name) === true);
    const merged = wanted.map((p) => ({ ...p, purls: p.purls.length > 0 ? p.purls : (current.products.get(p.name)?.purls ?? []) }));
    writeProducts(db, merged, url, fetchedAt);
    result.updated = merged.map((p) => p.name);
    result.cycles = merged.reduce((n, p) => n + p.releases.length, 0);
    result.issues = snap.issues;
    return result;
  }
  const names = options.products ?? [...current.products.keys()];
  const fresh: Product[] = [];
  // Sequential on purpose: ~40 small requests, and endoflife.date asks clients to be gentle.
  for (const name of names) {
    const productUrl = url.includes('{product}') ? url.replaceAll('{product}', encodeURIComponent(name)) : `${url.replace(/\/+$/, '')}/${encodeURIComponent(name)}.json`;
    try {
      const reply = productReply(name, await getJson(productUrl, options), productUrl);
      result.issues.push(...reply.issues);
      if (reply.releases.length === 0) throw new AppError('lifecycle-data-invalid', `Lifecycle data ${productUrl} has no valid cycle for ${name}`);
      const before = current.products.get(name);
      fresh.push({ name, title: reply.title ?? before?.title ?? name, purls: before?.purls ?? [], releases: reply.releases });
      result.updated.push(name);
      result.cycles += reply.releases.length;
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      result.failed.push(name);
      result.issues.push(issue('lifecycle-update-failed', `${name}: ${errorMessage(error)}; the stored cycles are kept`, productUrl, error instanceof AppError ? error.hint : undefined));
    }
  }
  writeProducts(db, fresh, url, fetchedAt);
  return result;
}
