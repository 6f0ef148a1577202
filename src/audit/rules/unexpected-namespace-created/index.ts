import { target, type AuditEvent } from '../../event.js';
import { matchesAny, type AuditRule, type AuditSettings, type RuleMatch } from '../../rule.js';

/** Namespaces the API server creates itself on a new cluster: always allowed. */
export const BUILT_IN_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function evaluate(event: AuditEvent, settings: AuditSettings): RuleMatch | undefined {
  const t = target(event);
  if (event.verb !== 'create' || t.resource !== 'namespaces' || t.subresource !== '' || t.name === '') return undefined;
  if (BUILT_IN_NAMESPACES.includes(t.name) || matchesAny(t.name, settings.allowedNamespaces ?? [])) return undefined;
  return {
    title: `Namespace ${t.name} created outside the allowed namespaces`,
    evidence: { namespace: t.name },
  };
}

export const unexpectedNamespaceCreated: AuditRule = {
  id: 'unexpected-namespace-created',
  title: 'A namespace outside the allowed namespaces was created',
  severity: 'low',
  description:
    'The creation of a namespace whose name is not in `allowedNamespaces` (names, `*` globs), when that list is set. Where namespaces are provisioned through a controlled process, an unexpected one is a workload placed outside it, or room to hide from policies written per namespace. The namespaces the API server creates itself (default, kube-system, kube-public, kube-node-lease) are always allowed; deletes and relabelling are not reported.',
  remediation: 'Find out who created the namespace and why; delete it if it is not wanted, or add its name (or a prefix ending in *) to allowedNamespaces.',
  falco: ['Create Disallowed Namespace'],
  enabled: (settings) => settings.allowedNamespaces !== undefined,
  evaluate,
};
