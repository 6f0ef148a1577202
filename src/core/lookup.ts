/**
 * `table[key]` when the table itself holds `key`. The keys runwarden looks up in its constant tables (release
 * codenames, purl types and namespaces, VEX states) come from images, SBOMs and feeds, and a plain lookup of one
 * such as `constructor` or `toString` reads an Object property instead of nothing: matching then threw while
 * binding that "release" to SQL.
 */
export function ownEntry<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
