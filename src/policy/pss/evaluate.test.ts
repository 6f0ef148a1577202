import { describe, expect, it } from 'vitest';
import { applicableControls, evaluatePod, formatViolations, LATEST, namespacePolicy, parsePolicyVersion, readPod, type PolicyVersion } from './index.js';

const v = (s: string): PolicyVersion => {
  const parsed = parsePolicyVersion(s);
  if (parsed === undefined) throw new Error(s);
  return parsed;
};
const restrictedBase = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name: 'app', image: 'x', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
};
const controls = (spec: unknown, level: 'baseline' | 'restricted', version: PolicyVersion, metadata: unknown = {}): string[] => evaluatePod(readPod(metadata, spec), level, version).map((x) => x.control);

describe('Pod Security evaluation', () => {
  it('allows the minimal restricted pod at every version and denies nothing at privileged', () => {
    for (let minor = 0; minor <= 40; minor++) expect(controls(restrictedBase, 'restricted', { latest: false, minor })).toEqual([]);
    expect(evaluatePod(readPod({}, { hostPID: true }), 'privileged', LATEST)).toEqual([]);
  });

  it('checks AppArmor fields (Unconfined) at every version, not only the annotation', () => {
    const spec = { securityContext: { appArmorProfile: { type: 'Unconfined' } }, containers: [{ name: 'a', securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'p' } } }] };
    const [violation] = evaluatePod(readPod({}, spec), 'baseline', v('v1.0'));
    expect(violation).toMatchObject({ control: 'appArmorProfile', reason: 'forbidden AppArmor profile', detail: 'pod must not set AppArmor profile type to "Unconfined"', fields: ['spec.securityContext.appArmorProfile.type'] });
  });

  it('allows image volumes at restricted (every version) and treats a volume with no source as emptyDir', () => {
    const spec = { ...restrictedBase, volumes: [{ name: 'img', image: { reference: 'ghcr.io/acme/data:1' } }, { name: 'empty' }] };
    expect(controls(spec, 'restricted', v('v1.25'))).toEqual([]);
  });

  it('relaxes runAsNonRoot, runAsUser and baseline procMount for user-namespace pods from v1.35 only', () => {
    const spec = { hostUsers: false, securityContext: { seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 0 }, containers: [{ name: 'a', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, procMount: 'Unmasked' } }] };
    expect(controls(spec, 'restricted', v('v1.34'))).toEqual(['procMount', 'runAsNonRoot', 'runAsUser']);
    expect(controls(spec, 'restricted', v('v1.35'))).toEqual(['procMount_restricted']);
    expect(controls(spec, 'baseline', v('v1.35'))).toEqual([]);
  });

  it('allows SELinux container_engine_t from v1.31 and probe hosts until v1.34', () => {
    const selinux = { securityContext: { seLinuxOptions: { type: 'container_engine_t' } }, containers: [{ name: 'a' }] };
    expect(controls(selinux, 'baseline', v('v1.30'))).toEqual(['seLinuxOptions']);
    expect(controls(selinux, 'baseline', v('v1.31'))).toEqual([]);
    const probe = { containers: [{ name: 'a', livenessProbe: { httpGet: { host: '10.0.0.1', port: 80 } } }] };
    expect(controls(probe, 'baseline', v('v1.33'))).toEqual([]);
    expect(controls(probe, 'baseline', v('v1.34'))).toEqual(['hostProbesAndHostLifecycle']);
  });

  it('clamps versions past the newest revision to it, and latest is the newest', () => {
    expect(applicableControls('restricted', v('v1.99'))).toBe(applicableControls('restricted', LATEST));
    expect(applicableControls('restricted', v('v1.37')).map((a) => a.control.id)).not.toContain('hostPathVolumes');
    expect(applicableControls('restricted', v('v1.21')).map((a) => a.control.id)).toContain('capabilities_baseline');
  });

  it('formats violations as the admission denial does', () => {
    const violations = evaluatePod(readPod({}, { hostNetwork: true, hostPID: true, containers: [{ name: 'a', securityContext: { privileged: true } }] }), 'baseline', LATEST);
    expect(formatViolations(violations)).toBe('host namespaces (hostNetwork, hostPID), privileged (container "a" must not set securityContext.privileged=true)');
  });
});

describe('reading pod specs', () => {
  it('drops an invalid field, reports its path and still evaluates the rest (corrupt input)', () => {
    const pod = readPod({}, { hostPID: 'yes', containers: [{ name: 'a', securityContext: { privileged: 'true', runAsUser: 0 } }, 'not-a-container'], volumes: [{ name: 'v', hostPath: { path: '/etc' }, bogus: {} }] });
    expect(pod.issues).toEqual([
      { path: 'spec.hostPID', message: 'expected boolean, found string "yes"' },
      { path: 'spec.containers[0].securityContext.privileged', message: 'expected boolean, found string "true"' },
      { path: 'spec.containers[1]', message: 'expected object, found string "not-a-container"' },
      { path: 'spec.volumes[0].bogus', message: 'unknown volume source "bogus" (ignored)' },
    ]);
    // hostPID and privileged were dropped as unreadable: only what could be read is judged
    expect(evaluatePod(pod, 'restricted', LATEST).map((x) => x.control)).toEqual(['restrictedVolumes', 'allowPrivilegeEscalation', 'runAsNonRoot', 'runAsUser', 'seccompProfile_restricted', 'capabilities_restricted']);
  });

  it('reads an empty spec as a pod with no containers (empty input)', () => {
    const pod = readPod(undefined, undefined);
    expect(pod).toMatchObject({ containers: [], volumes: [], issues: [], windows: false });
    expect(evaluatePod(pod, 'restricted', LATEST)).toEqual([]);
  });
});

describe('namespace policy from labels', () => {
  it('reads enforce/audit/warn with their versions, defaulting to privileged:latest', () => {
    const policy = namespacePolicy({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.30', 'pod-security.kubernetes.io/warn': 'restricted' });
    expect(policy).toEqual({ enforce: { level: 'baseline', version: { latest: false, minor: 30 } }, audit: { level: 'privileged', version: LATEST }, warn: { level: 'restricted', version: LATEST }, labelled: true, errors: [] });
    expect(namespacePolicy({}).labelled).toBe(false);
  });

  it('fails closed for an invalid enforce level, open for audit/warn, and latest for a bad version', () => {
    const policy = namespacePolicy({ 'pod-security.kubernetes.io/enforce': 'Baseline', 'pod-security.kubernetes.io/warn': 'x', 'pod-security.kubernetes.io/audit-version': 'v2.0' });
    expect([policy.enforce.level, policy.warn.level, policy.audit.version]).toEqual(['restricted', 'privileged', LATEST]);
    expect(policy.errors).toEqual([
      'pod-security.kubernetes.io/enforce="Baseline": must be one of privileged, baseline, restricted (evaluated as restricted)',
      'pod-security.kubernetes.io/audit-version="v2.0": must be "latest" or "v1.x" (evaluated as latest)',
      'pod-security.kubernetes.io/warn="x": must be one of privileged, baseline, restricted (evaluated as privileged)',
    ]);
  });

  it('applies an override version to every mode', () => {
    expect(namespacePolicy({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.30' }, v('v1.21')).enforce.version).toEqual({ latest: false, minor: 21 });
  });
});
