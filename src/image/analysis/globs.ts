/**
 * Analyser globs compiled once per layer pass into ONE regular expression per analyser. picomatch
 * gives a matcher per glob and tests them in turn through a wrapper that allocates a result object
 * per call; with a dozen analysers and several globs each, over every file of every layer, that was
 * most of the runner's own time (bench/catalog). The regular expressions are picomatch's own
 * (`picomatch.makeRe`, same options), joined with `|`, and picomatch's exact-string shortcut (a path
 * equal to the glob text matches) is kept, so the answers are picomatch's.
 */
import picomatch from 'picomatch';

export type PathMatcher = (path: string) => boolean;

export function compileGlobs(globs: readonly string[], options: { dot: boolean } = { dot: true }): PathMatcher {
  const regexes = globs.map((g) => picomatch.makeRe(g, options));
  const flags = regexes[0]?.flags ?? '';
  // Different flags cannot share one expression: keep picomatch's own matcher (never happens with
  // the options used here, which set none).
  if (regexes.some((r) => r.flags !== flags)) return picomatch([...globs], options);
  const exact = new Set(globs);
  const combined = new RegExp(regexes.map((r) => `(?:${r.source})`).join('|'), flags);
  return (path) => path !== '' && (exact.has(path) || combined.test(path));
}
