import { describe, expect, it } from 'vitest';
import { barePod, container, cronJob, deployment, inv } from '../../test/workloads.js';
import { objectField, workloadSpecIssues, workloadSpecs } from './workload-specs.js';

describe('workload specs (one pod spec per workload)', () => {
  it('reads pod templates of controllers and the spec of bare pods, with their field prefixes', () => {
    const specs = workloadSpecs(inv([deployment('web', {}), cronJob('backup', {}), barePod('debug', {})]));
    expect(specs.map((s) => [s.workload.kind, s.from, s.specPrefix, s.metadataPrefix])).toEqual([
      ['Deployment', 'template', 'spec.template.spec', 'spec.template.metadata'],
      ['CronJob', 'template', 'spec.jobTemplate.spec.template.spec', 'spec.jobTemplate.spec.template.metadata'],
      ['Pod', 'pod', 'spec', 'metadata'],
    ]);
    expect(objectField(specs[1]!, 'spec.containers[0].image')).toBe('spec.jobTemplate.spec.template.spec.containers[0].image');
    expect(objectField(specs[0]!, 'metadata.annotations[a/b]')).toBe('spec.template.metadata.annotations[a/b]');
  });

  it('uses a pod when the owner was not read (its ReplicaSet/Deployment missing from a snapshot), once per workload', () => {
    const owned = (name: string): Record<string, unknown> => {
      const p = barePod(name, { hostPID: true }, { ns: 'shop' });
      return { ...p, metadata: { ...(p.metadata as object), ownerReferences: [{ kind: 'ReplicaSet', name: 'web-1', controller: true }] } };
    };
    const specs = workloadSpecs(inv([owned('web-1-a'), owned('web-1-b')]));
    expect(specs.map((s) => [s.workload.kind, s.workload.name, s.from, s.pods, s.pod.spec.hostPID])).toEqual([['ReplicaSet', 'web-1', 'pod', 2, true]]);
  });

  it('reads each inventory once (memoised) and reports invalid fields once, in object terms', () => {
    const inventory = inv([deployment('web', { containers: [container({ securityContext: { runAsUser: 'root' } })] })]);
    expect(workloadSpecs(inventory)).toBe(workloadSpecs(inventory));
    expect(workloadSpecIssues(inventory).map((i) => i.message)).toEqual(['shop/Deployment/web: spec.template.spec.containers[0].securityContext.runAsUser: expected number, found string "root"; checked without it']);
  });

  it('reads a workload without a template (empty input) as a pod with no containers', () => {
    const specs = workloadSpecs(inv([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'empty', namespace: 'shop' }, spec: {} }]));
    expect(specs.map((s) => [s.pod.containers.length, s.pod.issues])).toEqual([[0, []]]);
  });
});
