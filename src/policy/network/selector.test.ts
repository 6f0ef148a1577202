import { describe, expect, it } from 'vitest';
import type { LabelSelector } from '../../core/inventory.js';
import { compileSelector, labelsKey } from './selector.js';

const sel = (matchLabels: Record<string, string>, matchExpressions: LabelSelector['matchExpressions'] = []): LabelSelector => ({ matchLabels, matchExpressions });

// Truth table from apimachinery's labels.Requirement semantics (pkg/labels/selector.go) and the
// metav1.LabelSelector documentation: requirements are ANDed; NotIn and DoesNotExist hold when the key is absent.
const TABLE: Array<[string, LabelSelector, Record<string, string>, boolean]> = [
  ['empty selector matches no labels', sel({}), {}, true],
  ['empty selector matches any labels', sel({}), { app: 'web' }, true],
  ['matchLabels equal', sel({ app: 'web' }), { app: 'web', tier: 'fe' }, true],
  ['matchLabels other value', sel({ app: 'web' }), { app: 'api' }, false],
  ['matchLabels key absent', sel({ app: 'web' }), { tier: 'fe' }, false],
  ['matchLabels needs every pair', sel({ app: 'web', tier: 'fe' }), { app: 'web' }, false],
  ['matchLabels value is case-sensitive', sel({ app: 'Web' }), { app: 'web' }, false],
  ['In: value in set', sel({}, [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }]), { env: 'staging' }, true],
  ['In: value not in set', sel({}, [{ key: 'env', operator: 'In', values: ['prod'] }]), { env: 'dev' }, false],
  ['In: key absent', sel({}, [{ key: 'env', operator: 'In', values: ['prod'] }]), {}, false],
  ['In: empty value is a value', sel({}, [{ key: 'env', operator: 'In', values: [''] }]), { env: '' }, true],
  ['NotIn: value not in set', sel({}, [{ key: 'env', operator: 'NotIn', values: ['prod'] }]), { env: 'dev' }, true],
  ['NotIn: value in set', sel({}, [{ key: 'env', operator: 'NotIn', values: ['prod'] }]), { env: 'prod' }, false],
  ['NotIn: key absent matches', sel({}, [{ key: 'env', operator: 'NotIn', values: ['prod'] }]), {}, true],
  ['Exists: present (empty value)', sel({}, [{ key: 'canary', operator: 'Exists', values: [] }]), { canary: '' }, true],
  ['Exists: absent', sel({}, [{ key: 'canary', operator: 'Exists', values: [] }]), { app: 'web' }, false],
  ['DoesNotExist: absent', sel({}, [{ key: 'canary', operator: 'DoesNotExist', values: [] }]), { app: 'web' }, true],
  ['DoesNotExist: present', sel({}, [{ key: 'canary', operator: 'DoesNotExist', values: [] }]), { canary: 'x' }, false],
  ['matchLabels AND matchExpressions', sel({ app: 'web' }, [{ key: 'env', operator: 'NotIn', values: ['dev'] }]), { app: 'web', env: 'dev' }, false],
  ['matchLabels AND matchExpressions (both hold)', sel({ app: 'web' }, [{ key: 'env', operator: 'NotIn', values: ['dev'] }]), { app: 'web', env: 'prod' }, true],
  ['two expressions on one key are ANDed', sel({}, [{ key: 'env', operator: 'In', values: ['a', 'b'] }, { key: 'env', operator: 'NotIn', values: ['b'] }]), { env: 'b' }, false],
  ['a label named like a prototype member is not "present"', sel({}, [{ key: 'constructor', operator: 'Exists', values: [] }]), {}, false],
];

describe('label selectors', () => {
  it.each(TABLE)('%s', (_name, selector, labels, expected) => {
    expect(compileSelector(selector).matches(labels)).toBe(expected);
  });

  it('exposes an index anchor from matchLabels or a single-value In, and none for NotIn/Exists', () => {
    expect(compileSelector(sel({ app: 'web' })).anchor).toBe('app=web');
    expect(compileSelector(sel({}, [{ key: 'tier', operator: 'In', values: ['db'] }])).anchor).toBe('tier=db');
    expect(compileSelector(sel({}, [{ key: 'tier', operator: 'In', values: ['db', 'cache'] }])).anchor).toBeUndefined();
    expect(compileSelector(sel({}, [{ key: 'tier', operator: 'NotIn', values: ['db'] }])).anchor).toBeUndefined();
    expect(compileSelector(sel({})).empty).toBe(true);
  });

  it('spells selectors as kubectl does', () => {
    expect(compileSelector(sel({ app: 'web' }, [{ key: 'env', operator: 'NotIn', values: ['dev', 'qa'] }, { key: 'canary', operator: 'DoesNotExist', values: [] }, { key: 'team', operator: 'Exists', values: [] }])).text).toBe(
      'app=web, env notin (dev,qa), !canary, team',
    );
    expect(compileSelector(sel({})).text).toBe('{}');
  });

  it('gives equal label sets the same key regardless of order', () => {
    expect(labelsKey({ a: '1', b: '2' })).toBe(labelsKey({ b: '2', a: '1' }));
    expect(labelsKey({ a: '1' })).not.toBe(labelsKey({ a: '1', b: '' }));
  });
});
