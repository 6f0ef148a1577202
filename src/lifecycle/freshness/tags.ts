/**
 * Tags as versions: `1.25.3-alpine3.19` is version 1.25.3 in the suffix family `alpine#` (numbers in
 * the suffix stand for any number, so `alpine3.20` is the same family), `3.12-slim-bookworm` is 3.12
 * in `slim-bookworm`. Newer tags are looked for among tags of the same family *and precision*: the
 * floating `1.27-alpine` is not a newer build of the pinned `1.25.3-alpine`, and `22-alpine` is no
 * patch of `1.25.3-alpine`. Tags that do not start with a version (`latest`, `mainline`, a commit
 * hash) are ignored.
 */

export interface TagVersion {
  tag: string;
  numbers: number[];
  /** The suffix with every run of digits/dots replaced by `#`: `-alpine3.19` → `alpine#`. */
  family: string;
  /** The suffix as written (`alpine3.19`). */
  suffix: string;
}

// Bounded: at most 4 numeric components of at most 9 digits; the suffix is read by slicing.
const HEAD = /^v?(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?=$|[-_+])/;

export function parseTagVersion(tag: string): TagVersion | undefined {
  const m = HEAD.exec(tag);
  if (m === null) return undefined;
  const numbers = [m[1], m[2], m[3], m[4]].filter((n): n is string => n !== undefined).map(Number);
  // A date or commit-like number (`20240101`, `1700000000`) is a build stamp, not a version.
  if ((numbers[0] ?? 0) >= 1_000_000) return undefined;
  const suffix = tag.slice(m[0].length).replace(/^[-_+]/, '');
  return { tag, numbers, family: suffix.replace(/\d+(?:\.\d+)*/g, '#'), suffix };
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface NewerTags {
  current: TagVersion;
  /** Newest tag with the same major.minor and a higher patch (precision ≥ 3). */
  patch: string | undefined;
  /** Newest tag with the same major and a higher minor (precision ≥ 2). */
  minor: string | undefined;
  /** Newest tag with a higher major. */
  major: string | undefined;
  /** The newest tag of the family overall. */
  newest: string | undefined;
}

/** Newer tags of the same suffix family and precision as `current`; undefined when `current` is no version. */
export function newerTags(current: string, tags: readonly string[]): NewerTags | undefined {
  const cur = parseTagVersion(current);
  if (cur === undefined) return undefined;
  const out: NewerTags = { current: cur, patch: undefined, minor: undefined, major: undefined, newest: undefined };
  const best: { patch?: TagVersion; minor?: TagVersion; major?: TagVersion; newest?: TagVersion } = {};
  const n = cur.numbers;
  for (const tag of tags) {
    const t = parseTagVersion(tag);
    if (t === undefined || t.family !== cur.family || t.numbers.length !== n.length) continue;
    if (compare(t.numbers, n) <= 0) continue;
    // Of two tags of one version (`1.27.3-alpine3.19`, `1.27.3-alpine3.20`) the one with the running suffix is the smaller change.
    const better = (prev: TagVersion | undefined): boolean => prev === undefined || compare(t.numbers, prev.numbers) > 0 || (compare(t.numbers, prev.numbers) === 0 && t.suffix === cur.suffix);
    if (better(best.newest)) best.newest = t;
    if (t.numbers[0] !== n[0]) {
      if (better(best.major)) best.major = t;
    } else if (n.length >= 2 && t.numbers[1] !== n[1]) {
      if (better(best.minor)) best.minor = t;
    } else if (n.length >= 3) {
      if (better(best.patch)) best.patch = t;
    }
  }
  out.patch = best.patch?.tag;
  out.minor = best.minor?.tag;
  out.major = best.major?.tag;
  out.newest = best.newest?.tag;
  return out;
}
