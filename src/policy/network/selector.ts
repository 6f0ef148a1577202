/**
 * Label selectors exactly as apimachinery evaluates them (`metav1.LabelSelectorAsSelector`):
 * `matchLabels` and every `matchExpressions` requirement are ANDed; `In` needs the label with one
 * of the values, `NotIn` is true when the label is absent or has none of the values, `Exists` and
 * `DoesNotExist` test the key only. The empty selector selects everything.
 */
import type { LabelSelector } from '../../core/inventory.js';

export interface CompiledSelector {
  /** True for `{}`: every object (and every future one) matches. */
  readonly empty: boolean;
  /**
   * `key=value` that every match must carry (from matchLabels, or an `In` with one value), for
   * an inverted index; undefined when the selector has no such requirement.
   */
  readonly anchor: string | undefined;
  matches(labels: Readonly<Record<string, string>>): boolean;
  /** Every label key the selector tests. */
  readonly keys: readonly string[];
  /** `app=web, tier in (a,b), !legacy` — kubectl's spelling. */
  readonly text: string;
}

type Test = (labels: Readonly<Record<string, string>>) => boolean;

export function compileSelector(selector: LabelSelector): CompiledSelector {
  const tests: Test[] = [];
  const parts: string[] = [];
  let anchor: string | undefined;
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    tests.push((labels) => labels[key] === value);
    parts.push(`${key}=${value}`);
    anchor ??= `${key}=${value}`;
  }
  for (const { key, operator, values } of selector.matchExpressions) {
    const set = new Set(values);
    const has = (labels: Readonly<Record<string, string>>): boolean => Object.prototype.hasOwnProperty.call(labels, key);
    switch (operator) {
      case 'In':
        tests.push((labels) => has(labels) && set.has(labels[key] ?? ''));
        parts.push(`${key} in (${values.join(',')})`);
        if (values.length === 1) anchor ??= `${key}=${values[0] ?? ''}`;
        break;
      case 'NotIn':
        tests.push((labels) => !has(labels) || !set.has(labels[key] ?? ''));
        parts.push(`${key} notin (${values.join(',')})`);
        break;
      case 'Exists':
        tests.push(has);
        parts.push(key);
        break;
      case 'DoesNotExist':
        tests.push((labels) => !has(labels));
        parts.push(`!${key}`);
        break;
    }
  }
  return {
    empty: tests.length === 0,
    anchor,
    keys: [...new Set([...Object.keys(selector.matchLabels), ...selector.matchExpressions.map((e) => e.key)])],
    matches: (labels) => tests.every((t) => t(labels)),
    text: parts.length === 0 ? '{}' : parts.join(', '),
  };
}

/** A stable key for a label set (the cache key of selection results). */
export function labelsKey(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  let out = '';
  for (const k of keys) out += `${k}\u0000${labels[k] ?? ''}\u0001`;
  return out;
}
