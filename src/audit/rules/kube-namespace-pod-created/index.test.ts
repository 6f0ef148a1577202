import { describe, expect, it } from 'vitest';
import { podCreate, traceEvents } from '../../../../test/audit.js';
import { Detector } from '../../detect.js';
import type { AuditSettings } from '../../rule.js';
import { kubeNamespacePodCreated } from './index.js';

const detector = (settings: Partial<AuditSettings> = {}): Detector => new Detector(settings, [kubeNamespacePodCreated]);

const traceFindings = (file: string, settings: Partial<AuditSettings> = {}) => {
  const d = detector(settings);
  return traceEvents(file).flatMap((e) => d.push(e));
};

describe('kube-namespace-pod-created', () => {
  it('detects the upstream kube-system and kube-public traces', () => {
    const [system, ...rest] = traceFindings('create_pod_kube_system_namespace.json');
    expect(rest).toEqual([]);
    expect(system?.rule).toBe('kube-namespace-pod-created');
    expect(system?.severity).toBe('medium');
    expect(system?.title).toBe('Pod created in kube-system from an image not trusted there (nginx1 (nginx)) by system:serviceaccount:kube-system:replicaset-controller');
    expect(system?.evidence['untrustedContainers']).toEqual([{ name: 'nginx1', image: 'nginx', list: 'containers' }]);
    const pub = traceFindings('create_pod_kube_public_namespace.json');
    expect(pub.map((f) => f.title)).toEqual(['Pod created in kube-public from an image not trusted there (nginx1 (nginx)) by system:serviceaccount:kube-system:replicaset-controller']);
  });

  it('trusts registry.k8s.io by default, and images from trustedImages or kubeNamespaceImages', () => {
    const d = detector();
    expect(d.push(podCreate({ containers: [{ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.11.3' }] }, { namespace: 'kube-system' }))).toEqual([]);
    expect(traceFindings('create_pod_kube_system_namespace.json', { trustedImages: ['nginx'] })).toEqual([]);
    expect(traceFindings('create_pod_kube_system_namespace.json', { kubeNamespaceImages: ['nginx'] })).toEqual([]);
    // replacing kubeNamespaceImages drops the default
    const [finding] = detector({ kubeNamespaceImages: ['gke.gcr.io/*'] }).push(podCreate({ containers: [{ name: 'proxy', image: 'registry.k8s.io/kube-proxy:v1.31.0' }] }, { namespace: 'kube-system' }));
    expect(finding?.evidence['untrustedContainers']).toEqual([{ name: 'proxy', image: 'registry.k8s.io/kube-proxy:v1.31.0', list: 'containers' }]);
  });

  it('reports a trusted pod with one untrusted init container, naming only that one', () => {
    const [finding] = detector().push(podCreate({ containers: [{ name: 'dns', image: 'registry.k8s.io/coredns/coredns:v1.11.3' }], initContainers: [{ name: 'fetch', image: 'curlimages/curl' }] }, { namespace: 'kube-system' }));
    expect(finding?.evidence['untrustedContainers']).toEqual([{ name: 'fetch', image: 'curlimages/curl', list: 'initContainers' }]);
  });

  it('ignores other namespaces, a refused create and a pod update', () => {
    const d = detector();
    expect(d.push(podCreate({}, { namespace: 'default' }))).toEqual([]);
    expect(d.push(podCreate({}, { namespace: 'kube-node-lease' }))).toEqual([]);
    expect(d.push(podCreate({}, { namespace: 'kube-system', responseStatus: { code: 403 } }))).toEqual([]);
    expect(d.push(podCreate({}, { namespace: 'kube-system', verb: 'patch', responseStatus: { code: 200 } }))).toEqual([]);
    expect(d.push(podCreate({}, { namespace: 'kube-system' }))).toHaveLength(1);
  });
});
