/**
 * The lifecycle tables of the embedded database (listed in src/store/migrations.ts). One row per
 * endoflife.date product: its release cycles as validated JSON (a product is at most a few dozen
 * cycles, always read whole), the purl identifiers used to recognise it, and where the row came from.
 */
import type { Migration } from '../../store/migrations.js';

export const LIFECYCLE_MIGRATION: Migration = {
  id: 'lifecycle-001-products',
  sql: `CREATE TABLE lifecycle_products (
  name TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  purls TEXT NOT NULL,
  releases TEXT NOT NULL,
  source TEXT NOT NULL,
  fetched_at TEXT NOT NULL
);`,
};
