/** Small helpers every scheme uses. Schemes never import each other, only this and ./types. */
import type { Ordering } from './types.js';

/** Largest number of parsed versions a scheme keeps; a scan sees far fewer distinct versions. */
export const PARSE_CACHE_LIMIT = 50_000;

/**
 * Parse each distinct string once. The cache is bounded: past `limit` entries the oldest is dropped
 * (insertion order, which is cheap and close enough to LRU for version strings). Failures are not cached.
 */
export function memoize<T>(parse: (input: string) => T, limit: number = PARSE_CACHE_LIMIT): (input: string) => T {
  const cache = new Map<string, T>();
  return function cached(input: string): T {
    const hit = cache.get(input);
    if (hit !== undefined) return hit;
    const parsed = parse(input);
    if (cache.size >= limit) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    cache.set(input, parsed);
    return parsed;
  };
}

export function sign(n: number): Ordering {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Compare two strings of ASCII digits without leading zeros as numbers of any size. */
export function compareDigits(a: string, b: string): Ordering {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Add one to a digit string of any length ("99" → "100"). */
export function incrementDigits(digits: string): string {
  let out = '';
  let i = digits.length - 1;
  while (i >= 0 && digits.charCodeAt(i) === 57) {
    out = `0${out}`;
    i--;
  }
  if (i < 0) return `1${out}`;
  return `${digits.slice(0, i)}${String.fromCharCode(digits.charCodeAt(i) + 1)}${out}`;
}

/** Drop leading zeros of a digit string ("007" → "7", "000" → "0"). */
export function stripZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return i === 0 ? digits : digits.slice(i);
}

/** C's isspace: space, \t, \n, \v, \f, \r. */
export function isCSpaceCode(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** Trim characters matching `isSpace` from both ends (linear, no regex). */
export function trimWith(text: string, isSpace: (code: number) => boolean): string {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

export function isDigitCode(code: number): boolean {
  return code >= 48 && code <= 57;
}

export function isAsciiLetterCode(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/**
 * The text an error message shows for an input: whole up to 120 characters, else its first 100 and its
 * length, so hostile input cannot turn one error line into kilobytes.
 */
export function shown(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 100)}… (${text.length} characters)`;
}
