/**
 * endoflife.date release-cycle data as runwarden stores it. The bundled snapshot
 * (`testdata/upstream/endoflife/eol.json`, products' front matter) and the public API
 * (`https://endoflife.date/api/<product>.json`, the v0 shape) use the same field names: `eol`,
 * `eoas`, `eoes`, `lts`, `support`, `extendedSupport` are an ISO date, or `true`/`false` when no date
 * is known (endoflife.date "Product data" conventions).
 */
import { z } from 'zod';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** An ISO date or a boolean; anything else is rejected (never read as "supported"). */
export const DateOrBool = z.union([z.boolean(), z.string().regex(DATE, 'expected YYYY-MM-DD or a boolean')]);
export type DateOrBool = z.infer<typeof DateOrBool>;

/** Cycles and versions are strings in the data, but YAML-born numbers (`3.10`) happen: kept as written. */
const Label = z.union([z.string().min(1), z.number()]).transform((v) => String(v));

export const ReleaseCycle = z.object({
  cycle: Label,
  codename: z.string().nullish().transform((v) => v ?? undefined),
  releaseLabel: z.string().nullish().transform((v) => v ?? undefined),
  releaseDate: z.string().regex(DATE).nullish().transform((v) => v ?? undefined),
  eol: DateOrBool,
  eoas: DateOrBool.optional(),
  eoes: DateOrBool.nullish().transform((v) => v ?? undefined),
  lts: DateOrBool.optional(),
  support: DateOrBool.optional(),
  extendedSupport: DateOrBool.nullish().transform((v) => v ?? undefined),
  discontinued: DateOrBool.optional(),
  latest: Label.nullish().transform((v) => v ?? undefined),
  latestReleaseDate: z.string().regex(DATE).nullish().transform((v) => v ?? undefined),
});
export type ReleaseCycle = z.infer<typeof ReleaseCycle>;

const Identifier = z.record(z.string(), z.string());

export const ProductEntry = z.object({
  title: z.string().optional(),
  permalink: z.string().optional(),
  identifiers: z.array(Identifier).optional(),
  releases: z.array(z.unknown()),
});
export type ProductEntry = z.infer<typeof ProductEntry>;

/** The snapshot file: `{ "_source": "...", "products": { "<name>": { title, identifiers, releases } } }`. */
export const Snapshot = z.object({
  _source: z.string().optional(),
  products: z.record(z.string(), ProductEntry),
});
export type Snapshot = z.infer<typeof Snapshot>;

/** One product after validation: unknown fields dropped, bad cycles left out (an issue says which). */
export interface Product {
  name: string;
  title: string;
  /** purl identifiers without version (`pkg:docker/library/node`, `pkg:deb/debian/nginx`). */
  purls: string[];
  /** Newest first, as endoflife.date lists them. */
  releases: ReleaseCycle[];
}

export interface LifecycleData {
  products: ReadonlyMap<string, Product>;
  /** Where the data came from (snapshot commit or update URL) and when it was fetched. */
  source: string;
  fetchedAt: string;
}
