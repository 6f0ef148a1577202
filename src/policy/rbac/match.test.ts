import { describe, expect, it } from 'vitest';
import type { PolicyRule } from '../../core/inventory.js';
import { formatRule, ruleAllows, type ResourceRequest } from './match.js';

const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames: string[] = []): PolicyRule => ({ verbs, apiGroups, resources, resourceNames, nonResourceURLs: [] });

// The RBAC authorizer's matching (pkg/apis/rbac/v1/evaluation_helpers.go: VerbMatches, APIGroupMatches,
// ResourceMatches, ResourceNameMatches) as a table.
const TABLE: Array<[string, PolicyRule, ResourceRequest, boolean]> = [
  ['exact verb, group and resource', rule(['get'], [''], ['secrets']), { verb: 'get', group: '', resource: 'secrets' }, true],
  ['other verb', rule(['get'], [''], ['secrets']), { verb: 'list', group: '', resource: 'secrets' }, false],
  ['verb wildcard', rule(['*'], [''], ['secrets']), { verb: 'watch', group: '', resource: 'secrets' }, true],
  ['other group', rule(['get'], ['apps'], ['secrets']), { verb: 'get', group: '', resource: 'secrets' }, false],
  ['group wildcard covers the core group', rule(['get'], ['*'], ['secrets']), { verb: 'get', group: '', resource: 'secrets' }, true],
  ['resource wildcard covers subresources', rule(['create'], [''], ['*']), { verb: 'create', group: '', resource: 'pods', subresource: 'exec' }, true],
  ['resource does not cover its subresources', rule(['create'], [''], ['pods']), { verb: 'create', group: '', resource: 'pods', subresource: 'exec' }, false],
  ['exact subresource', rule(['create'], [''], ['pods/exec']), { verb: 'create', group: '', resource: 'pods', subresource: 'exec' }, true],
  ['subresource does not cover the resource', rule(['get'], [''], ['pods/exec']), { verb: 'get', group: '', resource: 'pods' }, false],
  ['star-slash-subresource covers that subresource of any resource', rule(['create'], [''], ['*/exec']), { verb: 'create', group: '', resource: 'pods', subresource: 'exec' }, true],
  ['star-slash-subresource is not another subresource', rule(['create'], [''], ['*/exec']), { verb: 'create', group: '', resource: 'pods', subresource: 'attach' }, false],
  ['resource-slash-star is literal (no subresource wildcard)', rule(['create'], [''], ['pods/*']), { verb: 'create', group: '', resource: 'pods', subresource: 'exec' }, false],
  ['resourceNames match the named object', rule(['get'], [''], ['secrets'], ['db']), { verb: 'get', group: '', resource: 'secrets', name: 'db' }, true],
  ['resourceNames exclude other names', rule(['get'], [''], ['secrets'], ['db']), { verb: 'get', group: '', resource: 'secrets', name: 'tls' }, false],
  ['resourceNames exclude unnamed requests (list)', rule(['list'], [''], ['secrets'], ['db']), { verb: 'list', group: '', resource: 'secrets' }, false],
  ['matching is case-sensitive', rule(['GET'], [''], ['Secrets']), { verb: 'get', group: '', resource: 'secrets' }, false],
];

describe('RBAC rule matching', () => {
  it.each(TABLE)('%s', (_name, r, request, expected) => {
    expect(ruleAllows(r, request)).toBe(expected);
  });

  it('formats a rule for people', () => {
    expect(formatRule(rule(['get', 'list'], ['', 'apps'], ['secrets', 'deployments'], ['a']))).toBe('get,list secrets,deployments (core,apps) [names: a]');
    expect(formatRule({ verbs: ['get'], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ['/healthz'] })).toBe('get /healthz');
  });
});
