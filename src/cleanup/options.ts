/**
 * Parsers for what a user gives `runwarden clean`: durations (`--older-than 7d`, `--interval 6h`)
 * and exclusion lists (`--exclude GLOB`, `--exclude-file F`). Pure: the caller reads the file.
 * Every error names the value, where it came from, what was expected, and a fix.
 */
import picomatch from 'picomatch';
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { UsageError, errorMessage } from '../core/errors.js';
import type { ExclusionRule } from './planner.js';

/** A duration longer than zero (core/duration.ts: `7d`, `36h`, `1w2d`, `90m`, `500ms`), with the text as given, for the plan's reasons. */
export function durationOption(text: string, origin: string): { ms: number; text: string } {
  return { ms: parseDuration(text, origin, { min: 1 }), text: text.trim() };
}

/** A glob must compile (unclosed brackets are errors, not literals) and hold no whitespace: image names have none. */
export function checkGlob(glob: string, origin: string): string {
  const value = glob.trim();
  if (value === '') throw new UsageError(`Invalid exclusion "" (${origin}): empty pattern.`, { hint: 'Give an image glob such as "registry.k8s.io/*" or "docker.io/library/nginx:1.*".' });
  if (/\s/.test(value)) throw new UsageError(`Invalid exclusion "${glob}" (${origin}): contains whitespace, which no image name has.`, { hint: 'One glob per line (or per --exclude), e.g. "docker.io/library/nginx:*".' });
  try {
    picomatch.makeRe(value, { bash: true, dot: true, strictBrackets: true });
  } catch (error) {
    throw new UsageError(`Invalid exclusion "${glob}" (${origin}): ${errorMessage(error)}.`, { hint: 'Escape literal brackets with "\\", e.g. "repo\\[1\\]:*".' });
  }
  return value;
}

/** Eraser's exclusion format (ConfigMaps with `{"excluded": [...]}`), accepted so its lists carry over. */
const EraserExclusions = z.object({ excluded: z.array(z.string()) });

/**
 * An exclusion file: one glob per line, `#` starts a comment, blank lines are ignored; or a JSON
 * object `{"excluded": ["glob", …]}` (Eraser's format).
 */
export function parseExclusionFile(text: string, path: string): ExclusionRule[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new UsageError(`Exclusion file "${path}" (--exclude-file) starts with "{" but is not valid JSON: ${errorMessage(error)}.`, {
        hint: 'Use {"excluded": ["glob", …]} (Eraser format) or plain text with one glob per line.',
      });
    }
    const parsed = EraserExclusions.safeParse(value);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new UsageError(`Exclusion file "${path}" (--exclude-file) is JSON but not {"excluded": [string, …]}: ${first === undefined ? 'invalid' : `${first.path.join('.') || '(root)'}: ${first.message}`}.`, {
        hint: 'Use {"excluded": ["glob", …]} (Eraser format) or plain text with one glob per line.',
      });
    }
    return parsed.data.excluded.map((glob, i) => ({ glob: checkGlob(glob, `file ${path}: excluded[${i}]`), origin: `file ${path}` }));
  }
  const rules: ExclusionRule[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (line === '') return;
    const origin = `file ${path}:${i + 1}`;
    rules.push({ glob: checkGlob(line, origin), origin });
  });
  return rules;
}

/** `--max-removals`, `--stop-after-failures`: a whole number ≥ 1. */
export function parsePositiveInt(text: string, origin: string): number {
  const value = text.trim();
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new UsageError(`Invalid ${origin} "${text}": expected a whole number of at least 1, e.g. ${origin} 50.`);
  return Number(value);
}

/** `--only`: remove only unused images that are vulnerable or past end of life (each candidate is scanned: cleanup/only.ts). */
export const ONLY_FILTERS = ['vulnerable', 'eol'] as const;
