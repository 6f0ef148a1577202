import { repositoryName } from '../../../core/image-ref.js';
import type { Finding } from '../../../core/finding.js';
import type { Inventory } from '../../../core/inventory.js';
import { issue, type Issue } from '../../../core/issue.js';
import { NSA, type Check, type CheckContext, type CheckResult } from '../../check.js';
import { compileAllowList, imageParser, registryEntryProblem, type AllowList } from '../../images.js';
import { containerField, workloadFinding, workloadLabel, workloadSpecs } from '../../workload-specs.js';

const ID = 'registry-allow-list';

/** Namespace annotation with a comma-separated allow-list that replaces the configured one for that namespace. */
export const NAMESPACE_ANNOTATION = 'runwarden.io/allowed-registries';

export const registryAllowList: Check = {
  id: ID,
  kind: 'misconfiguration',
  title: 'Image from a registry outside the allow-list',
  severity: 'high',
  description:
    'A container image whose registry (or repository prefix) is not in the configured allow-list (setting allowedRegistries). Images from unvetted registries bypass the organisation\'s build, signing and scanning pipeline; a typo-squatted or compromised public repository reaches the cluster directly. Entries are registry hosts (ghcr.io), repository prefixes (ghcr.io/acme, docker.io/library) or globs within a path segment (*.dkr.ecr.*.amazonaws.com); Docker Hub short names count as docker.io/library/…. The namespace annotation runwarden.io/allowed-registries (comma-separated) replaces the configured list for that namespace, e.g. a tighter list for a PCI namespace. Reports nothing where no allow-list applies.',
  remediation: 'Mirror the image into an approved registry (or add the registry to allowedRegistries after review) and reference it from there.',
  mappings: { cis: ['5.5.1'], nsa: [NSA.images], pss: [] },
  run,
};

function run(inventory: Inventory, context: CheckContext): CheckResult {
  const configured = context.policy?.allowedRegistries ?? [];
  const issues: Issue[] = [];
  const perNamespace = new Map<string, { list: AllowList; source: string }>();
  for (const ns of inventory.namespaces) {
    const value = ns.annotations[NAMESPACE_ANNOTATION];
    if (value === undefined) continue;
    const entries: string[] = [];
    for (const entry of value.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
      const problem = registryEntryProblem(entry);
      if (problem === undefined) entries.push(entry);
      else issues.push(issue('registry-allow-list-invalid', `Namespace ${ns.name}: annotation ${NAMESPACE_ANNOTATION} entry "${entry}" ${problem}; entry ignored`, `namespace/${ns.name}`, 'List registry hosts or repository prefixes, comma-separated, e.g. "ghcr.io/acme, registry.example.com".'));
    }
    if (entries.length === 0) {
      issues.push(issue('registry-allow-list-invalid', `Namespace ${ns.name}: annotation ${NAMESPACE_ANNOTATION} has no valid entry; the configured allow-list applies`, `namespace/${ns.name}`, 'List registry hosts or repository prefixes, comma-separated, e.g. "ghcr.io/acme, registry.example.com".'));
      continue;
    }
    perNamespace.set(ns.name, { list: compileAllowList(entries), source: `namespace annotation ${NAMESPACE_ANNOTATION}` });
  }
  if (configured.length === 0 && perNamespace.size === 0) return { findings: [], issues };
  const findings: Finding[] = [];
  const cluster = { list: compileAllowList(configured), source: 'setting allowedRegistries' };
  const parse = imageParser();
  for (const ws of workloadSpecs(inventory)) {
    const list = perNamespace.get(ws.namespace) ?? cluster;
    const allowed = list.list.entries;
    if (allowed.length === 0) continue;
    for (const c of ws.pod.containers) {
      const ref = parse(c.spec.image ?? '');
      // An invalid or missing image is reported by the inventory and the pod checks, not as a registry question.
      if (ref === undefined || list.list.admits(ref) !== undefined) continue;
      findings.push(
        workloadFinding(ws, {
          rule: ID,
          kind: 'misconfiguration',
          severity: 'high',
          title: `Container ${c.name} of ${workloadLabel(ws)} pulls ${repositoryName(ref)} from ${ref.registry}, which is not an allowed registry`,
          remediation: `Push the image to an allowed registry (${allowed.join(', ')}) and reference it from there, or add "${ref.registry}" to the allow-list (${list.source}) once the source is approved.`,
          container: c,
          fields: [containerField(ws, c, 'image')],
          evidence: { registry: ref.registry, repository: repositoryName(ref), allowedRegistries: [...allowed], allowListFrom: list.source },
        }),
      );
    }
  }
  return { findings, issues };
}
