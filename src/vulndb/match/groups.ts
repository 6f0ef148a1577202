/**
 * Alias groups: which of one package's hits are the same vulnerability. Hits whose advisories share an id, an
 * alias or a single upstream id (upstreamAlias; compared upper-cased: `ghsa-…` and `GHSA-…` are one id) are
 * one group, transitively. Groups are
 * numbered in the order of their first hit; `groupMembers` gives a group's hits in order.
 *
 * Each key goes into a small open-addressing table of its upper-cased FNV-1a hash (typed arrays, stamped per
 * package, so nothing is cleared or allocated per package); a key that finds its own text already there
 * joins its hit with the hit that put it there (union–find). Why not a `Map`: a package has a few dozen keys,
 * and bench/vulndb groups ~250,000 keys in ~4,800 packages: a map emptied per package took ~60 ms (most of it
 * growing the map again for each package and hashing fresh strings), sorting the (key, hit) pairs about the
 * same, this table ~20 ms (docs/PERFORMANCE.md, "Matching (session 6)"). The key's hash is computed on its
 * upper-cased characters without making the upper-cased string, so only ids with lower-case letters that
 * collide or repeat are upper-cased.
 *
 * The matcher is not re-entered, so the working lists are module state, reused from package to package;
 * `releaseGroups` drops what they still reference when a match is done.
 */

import { empty } from './lists.js';

/** What grouping reads of a hit: its advisory's id, aliases and upstream ids. */
export interface GroupedHit {
  advisory: { id: string; facts: { aliases?: string[] | undefined; upstream?: string[] | undefined } };
}

/**
 * The one vulnerability an advisory is derived from (OSV `upstream` with a single id: DEBIAN-CVE-2024-1 and
 * UBUNTU-CVE-2024-1 from CVE-2024-1), which names the same vulnerability as an alias does; undefined for none or
 * several (a DSA or an RHSA fixing five CVEs is not each of them: its finding lists them as related).
 */
export function upstreamAlias(facts: { upstream?: string[] | undefined }): string | undefined {
  const upstream = facts.upstream;
  return upstream !== undefined && upstream.length === 1 ? upstream[0] : undefined;
}

/** `toUpperCase` that keeps a string without lower-case letters as it is (CVE, PYSEC and GO ids: no copy). */
export function upper(id: string): string {
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if ((c >= 97 && c <= 122) || c > 127) return id.toUpperCase();
  }
  return id;
}

/** FNV-1a (32 bits) of `upper(key)`'s characters; ASCII keys are hashed as they are read, without a copy. */
function upperHash(key: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < key.length; i++) {
    let c = key.charCodeAt(i);
    if (c > 127) return textHash(key.toUpperCase());
    if (c >= 97 && c <= 122) c -= 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h;
}

function textHash(text: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

function sameKey(a: string, b: string): boolean {
  return a === b || upper(a) === upper(b);
}

/** Slots of the key table: a power of two, at least twice a package's keys (grown for a package with more). */
const INITIAL_SLOTS = 1024;

const table = {
  /** A slot is taken for the current package when its stamp is the package's. */
  stamp: new Int32Array(INITIAL_SLOTS),
  hit: new Int32Array(INITIAL_SLOTS),
  key: new Array<string>(INITIAL_SLOTS).fill(''),
  current: 0,
};

const lists = { parent: [] as number[], rootGroup: [] as number[], of: [] as number[], members: [] as unknown[] };

function rootOf(parent: number[], i: number): number {
  let root = i;
  while (parent[root] !== root) root = parent[root] as number;
  parent[i] = root;
  return root;
}

/** A table with room for `keys` keys (at most half full), stamped for a new package. */
function prepareTable(keys: number): void {
  let size = table.stamp.length;
  if (keys * 2 > size) {
    while (keys * 2 > size) size *= 2;
    table.stamp = new Int32Array(size);
    table.hit = new Int32Array(size);
    table.key = new Array<string>(size).fill('');
    table.current = 0;
  }
  table.current++;
  if (table.current === 0x7fffffff) {
    table.stamp.fill(0);
    table.current = 1;
  }
}

/** Put `key` of hit `i` into the table, or join hit `i` with the hit that put the same key there first. */
function claim(key: string, i: number): void {
  const { stamp, hit, current } = table;
  const mask = stamp.length - 1;
  let slot = upperHash(key) & mask;
  for (;;) {
    if (stamp[slot] !== current) {
      stamp[slot] = current;
      hit[slot] = i;
      table.key[slot] = key;
      return;
    }
    if (sameKey(table.key[slot] as string, key)) {
      const { parent } = lists;
      const ra = rootOf(parent, hit[slot] as number);
      const rb = rootOf(parent, i);
      if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
      return;
    }
    slot = (slot + 1) & mask;
  }
}

/** Number the alias groups of `hits` (read them with `groupMembers` before the next call). */
export function aliasGroups(hits: readonly GroupedHit[]): number {
  const { parent, rootGroup, of } = lists;
  empty(parent);
  empty(rootGroup);
  empty(of);
  let keys = 0;
  for (const h of hits) keys += 2 + (h.advisory.facts.aliases?.length ?? 0);
  prepareTable(keys);
  for (let i = 0; i < hits.length; i++) {
    const { id, facts } = (hits[i] as GroupedHit).advisory;
    parent.push(i);
    rootGroup.push(-1);
    claim(id, i);
    const aliases = facts.aliases;
    if (aliases !== undefined) for (const alias of aliases) claim(alias, i);
    const upstream = upstreamAlias(facts);
    if (upstream !== undefined) claim(upstream, i);
  }
  let count = 0;
  for (let i = 0; i < hits.length; i++) {
    const root = rootOf(parent, i);
    if ((rootGroup[root] as number) < 0) rootGroup[root] = count++;
    of.push(rootGroup[root] as number);
  }
  return count;
}

/** Whether an advisory bundles several vulnerabilities (OSV `upstream` with more than one id: a DSA, an RHSA). */
function isBundle(hit: GroupedHit): boolean {
  return (hit.advisory.facts.upstream?.length ?? 0) > 1;
}

/** Of the last aliasGroups call: per group, whether its finding is left out, and the bundle ids its finding lists as related. */
export interface Folded {
  skip: boolean[];
  related: Array<string[] | undefined>;
}

/**
 * Bundles folded into the findings of what they bundle, for the `groups` groups of the last aliasGroups call: a
 * group of bundles only (DSA-5700-1, upstream CVE-2024-1 and CVE-2024-2) whose every upstream id is another
 * group's (the package's findings of CVE-2024-1 and CVE-2024-2, from DEBIAN-CVE records or the tracker) says
 * nothing those findings do not: it is left out, and its ids are listed as related on them. One upstream id
 * that is no finding of the package (that record is missing, or says this version is not affected) keeps the
 * bundle's own finding. Undefined when no hit is a bundle (the usual case: nothing is computed).
 */
export function foldBundles(hits: readonly GroupedHit[], groups: number): Folded | undefined {
  if (!hits.some(isBundle)) return undefined;
  const { of } = lists;
  const bundleOnly = new Array<boolean>(groups).fill(true);
  for (let i = 0; i < hits.length; i++) if (!isBundle(hits[i] as GroupedHit)) bundleOnly[of[i] as number] = false;
  // which group names each id (upper-cased), over the groups that are not bundles only
  const owner = new Map<string, number>();
  for (let i = 0; i < hits.length; i++) {
    const g = of[i] as number;
    if (bundleOnly[g] === true) continue;
    const { id, facts } = (hits[i] as GroupedHit).advisory;
    owner.set(upper(id), g);
    for (const alias of facts.aliases ?? []) owner.set(upper(alias), g);
    const same = upstreamAlias(facts);
    if (same !== undefined) owner.set(upper(same), g);
  }
  const folded: Folded = { skip: new Array<boolean>(groups).fill(false), related: new Array<string[] | undefined>(groups).fill(undefined) };
  for (let g = 0; g < groups; g++) {
    if (bundleOnly[g] !== true) continue;
    const members = hits.filter((_, i) => of[i] === g);
    const owners = members.flatMap((h) => (h.advisory.facts.upstream ?? []).map((u) => owner.get(upper(u))));
    if (owners.some((o) => o === undefined)) continue;
    folded.skip[g] = true;
    for (const o of new Set(owners as number[])) {
      const list = (folded.related[o] ??= []);
      for (const h of members) if (!list.includes(h.advisory.id)) list.push(h.advisory.id);
    }
  }
  return folded;
}

/** The hits of group `g` of the last aliasGroups call, in order (a reused list: read it before the next call). */
export function groupMembers<T extends GroupedHit>(hits: readonly T[], g: number): T[] {
  const members = lists.members as T[];
  empty(members);
  for (let i = 0; i < hits.length; i++) if (lists.of[i] === g) members.push(hits[i] as T);
  return members;
}

/** Drop what the working lists and the key table still reference (after a match). */
export function releaseGroups(): void {
  for (const list of [lists.parent, lists.rootGroup, lists.of, lists.members]) list.length = 0;
  table.key.fill('');
}
