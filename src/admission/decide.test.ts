import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Finding } from '../core/finding.js';
import type { ScanReport } from '../core/report.js';
import { reportOf } from '../../test/report.js';
import { parsePolicyVersion, type PssLevel } from '../policy/pss/version.js';
import { CHECKS } from '../policy/registry.js';
import { ADMISSION_CHECKS, ADMISSION_RULES, CLUSTER_ONLY_CHECKS, decide, DEFAULT_ACTIONS, UnevaluableObjectError, type Action, type DecideOptions } from './decide.js';
import { respond, type AdmissionRequest } from './review.js';
import { emptyVerdicts, verdictsFromReport } from './verdicts.js';

const NOW = new Date('2026-11-30T08:00:00Z');
const OPTIONS: DecideOptions = { actions: DEFAULT_ACTIONS, vulnerabilitySeverity: 'critical', now: NOW };
const ONLY = (rule: string, action: Action = 'deny'): Record<string, Action> => ({ ...Object.fromEntries(ADMISSION_RULES.map((r) => [r, 'ignore'])), [rule]: action });

let uid = 0;
function review(object: Record<string, unknown>, more: Partial<AdmissionRequest> = {}): AdmissionRequest {
  const kind = String(object.kind);
  return {
    uid: `uid-${++uid}`,
    kind: { group: kind === 'Pod' ? '' : kind.endsWith('Job') ? 'batch' : 'apps', version: 'v1', kind },
    resource: { group: '', version: 'v1', resource: `${kind.toLowerCase()}s` },
    namespace: 'shop',
    operation: 'CREATE',
    object,
    ...more,
  };
}

const hardened = { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' }, readOnlyRootFilesystem: true };
function pod(image: string, securityContext: Record<string, unknown> = hardened, name = 'web'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop' },
    spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image, imagePullPolicy: 'Always', securityContext, resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } } }] },
  };
}
function deployment(image: string, securityContext: Record<string, unknown> = hardened): Record<string, unknown> {
  const p = pod(image, securityContext);
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: p.spec } } };
}

const DIGEST = `sha256:${'a'.repeat(64)}`;
const CLEAN = `sha256:${'c'.repeat(64)}`;
function finding(rule: string, kind: Finding['kind'], severity: Finding['severity'], title: string, evidence: Record<string, unknown>, suppressed = false): Finding {
  return {
    id: `${rule}-${title}`,
    rule,
    kind,
    severity,
    title,
    subject: { type: 'container', namespace: 'other', workload: { kind: 'Deployment', name: 'old' }, container: 'app', image: 'ghcr.io/acme/app:1.0' },
    evidence: { imageDigest: DIGEST, ...evidence },
    remediation: '',
    ...(suppressed ? { suppression: { kind: 'vex' as const, reason: 'not reachable', source: 'vex.json' } } : {}),
  };
}
function report(findings: Finding[], images: ScanReport['images']): ScanReport {
  return reportOf({ findings, images });
}
const ALL = ['vulnerabilities', 'lifecycle', 'malware'];
const CACHE = verdictsFromReport(
  report(
    [
      finding('vulnerable-package', 'vulnerability', 'critical', 'CVE-2021-44906: Prototype Pollution in minimist (minimist 1.2.5)', { fixStatus: 'fixed' }),
      finding('vulnerable-package', 'vulnerability', 'critical', 'CVE-2099-0001: no fix yet (zlib 1.2)', { fixStatus: 'not-fixed' }),
      finding('vulnerable-package', 'vulnerability', 'high', 'CVE-2099-0002: high with a fix (openssl 3.0)', { fixStatus: 'fixed' }),
      finding('vulnerable-package', 'vulnerability', 'critical', 'CVE-2099-0003: accepted by VEX (libx 1)', { fixStatus: 'fixed' }, true),
      finding('end-of-life', 'end-of-life', 'high', 'Alpine Linux 3.11 reached end of life on 2021-11-01', {}),
    ],
    [
      { digest: DIGEST, references: ['ghcr.io/acme/app:1.0'], status: 'scanned', from: 'registry', contributors: ALL },
      { digest: CLEAN, references: ['ghcr.io/acme/clean:2.0'], status: 'scanned', from: 'registry', contributors: ALL },
      { digest: `sha256:${'d'.repeat(64)}`, references: ['ghcr.io/acme/unread:1'], status: 'unread', contributors: [] },
      { digest: `sha256:${'e'.repeat(64)}`, references: ['ghcr.io/acme/sbom-only:1'], status: 'scanned', from: 'sbom', contributors: ['vulnerabilities', 'lifecycle'] },
    ],
  ),
  'test report',
);

const rules = (fs: readonly Finding[]): string[] => fs.map((f) => f.rule).sort();

describe('decide: the checks on the object under review', () => {
  it('classifies every check: run at admission, or cluster-only with a reason', () => {
    for (const c of CHECKS) expect(ADMISSION_CHECKS.includes(c) !== CLUSTER_ONLY_CHECKS.has(c.id), c.id).toBe(true);
    for (const id of CLUSTER_ONLY_CHECKS.keys()) expect(CHECKS.some((c) => c.id === id), id).toBe(true);
  });

  it('allows a hardened pod of a clean, scanned image with no finding at all', () => {
    const d = decide(review(pod(`ghcr.io/acme/clean:2.0@${CLEAN}`)), CACHE, OPTIONS);
    expect(d).toMatchObject({ allowed: true, object: 'Pod shop/web', denied: [], warned: [] });
  });

  it('denies a privileged pod (Pod Security baseline, deny by default) and warns for the hardening checks', () => {
    const d = decide(review(pod(`ghcr.io/acme/clean:2.0@${CLEAN}`, { privileged: true })), CACHE, OPTIONS);
    expect(d.allowed).toBe(false);
    expect(rules(d.denied)).toEqual(['pod-security']);
    expect(rules(d.warned)).toEqual(expect.arrayContaining(['privileged-container', 'run-as-root']));
    expect(d.denied[0]?.title).toMatch(/privileged/);
  });

  it('reviews the pod template of a Deployment and of a CronJob', () => {
    const dep = decide(review(deployment(`ghcr.io/acme/clean:2.0@${CLEAN}`, { privileged: true })), CACHE, OPTIONS);
    expect(dep.object).toBe('Deployment shop/web');
    expect(rules(dep.denied)).toEqual(['pod-security']);
    expect(dep.denied[0]?.evidence.fields).toEqual(expect.arrayContaining([expect.stringMatching(/^spec\.template\.spec\.containers\[0\]\.securityContext\.privileged$/)]));
    const p = pod(`ghcr.io/acme/clean:2.0@${CLEAN}`, { privileged: true });
    const cron = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly', namespace: 'shop' }, spec: { schedule: '0 0 * * *', jobTemplate: { spec: { template: { spec: { ...(p.spec as object), restartPolicy: 'Never' } } } } } };
    expect(rules(decide(review(cron), CACHE, OPTIONS).denied)).toEqual(['pod-security']);
  });

  it('runs no cluster-only check, and runs none whose action is ignore', () => {
    const d = decide(review(pod('nginx', {})), CACHE, { ...OPTIONS, actions: { ...DEFAULT_ACTIONS, 'unpinned-image': 'ignore' } });
    const all = [...d.denied, ...d.warned].map((f) => f.rule);
    for (const id of CLUSTER_ONLY_CHECKS.keys()) expect(all).not.toContain(id);
    expect(all).not.toContain('unpinned-image');
    expect(decide(review(pod('nginx', {})), CACHE, OPTIONS).warned.map((f) => f.rule)).toContain('unpinned-image');
  });

  it('keeps a pod of a controller, reviewed before the API server names it (generateName)', () => {
    const p = pod(`ghcr.io/acme/clean:2.0@${CLEAN}`, { privileged: true }) as { metadata: Record<string, unknown> };
    p.metadata = { generateName: 'web-7d9f-', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: 'u1', controller: true }] };
    const d = decide(review(p), CACHE, OPTIONS);
    expect(d.object).toBe('Pod shop/web-7d9f-…');
    expect(rules(d.denied)).toEqual(['pod-security']);
  });

  it('honours the exemption annotation on the object: suppressed, neither denied nor warned', () => {
    const p = pod(`ghcr.io/acme/clean:2.0@${CLEAN}`, { privileged: true }) as { metadata: Record<string, unknown> };
    p.metadata.annotations = { 'runwarden.io/exempt': 'pod-security,privileged-container', 'runwarden.io/exempt-reason': 'CNI agent needs it' };
    const d = decide(review(p), CACHE, OPTIONS);
    expect(d.allowed).toBe(true);
    expect(rules(d.suppressed)).toEqual(['pod-security', 'privileged-container']);
    expect(d.suppressed[0]?.suppression?.reason).toBe('CNI agent needs it');
  });

  it("evaluates Pod Security at the namespace's own levels when known: enforce denies, audit and warn only warn", () => {
    const labelled = (labels: Record<string, string>) => ({ ...OPTIONS, namespace: (name: string) => (name === 'shop' ? { labels, annotations: {} } : undefined) });
    const privileged = review(pod(`ghcr.io/acme/clean:2.0@${CLEAN}`, { privileged: true }));
    // enforce privileged, warn restricted: the API server admits it, so do we, with the warning
    const warnOnly = decide(privileged, CACHE, labelled({ 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'restricted' }));
    expect(warnOnly.allowed).toBe(true);
    expect(warnOnly.warned.filter((f) => f.rule === 'pod-security').length).toBeGreaterThan(0);
    // enforce restricted: a pod that is only baseline-clean is denied for the restricted controls
    const baselineOnly = review(pod(`ghcr.io/acme/clean:2.0@${CLEAN}`, {}));
    expect(decide(baselineOnly, CACHE, OPTIONS).denied).toEqual([]);
    const restricted = decide(baselineOnly, CACHE, labelled({ 'pod-security.kubernetes.io/enforce': 'restricted' }));
    expect(rules(restricted.denied)).toEqual(expect.arrayContaining(['pod-security']));
    expect(restricted.denied.every((f) => f.title.includes('the namespace enforces restricted'))).toBe(true);
    // a namespace the lookup does not know is evaluated at --pss-level, as before
    expect(rules(decide(review(pod(`ghcr.io/acme/clean:2.0@${CLEAN}`, { privileged: true }), { namespace: 'other' }), CACHE, labelled({})).denied)).toEqual(['pod-security']);
  });

  it("honours an exemption on a Deployment's pod template in the Deployment's review and in its pods' (reviewed before their owner is known)", () => {
    const exempt = { 'runwarden.io/exempt': 'pod-security,privileged-container', 'runwarden.io/exempt-reason': 'CNI agent' };
    const dep = deployment(`ghcr.io/acme/clean:2.0@${CLEAN}`, { privileged: true }) as { spec: { template: { metadata: Record<string, unknown> } } };
    dep.spec.template.metadata.annotations = exempt;
    expect(decide(review(dep), CACHE, OPTIONS).allowed).toBe(true);
    // the pod the ReplicaSet makes: the template's annotations, an owner reference, no name yet
    const ownedPod = (annotations: Record<string, string>) => {
      const p = pod(`ghcr.io/acme/clean:2.0@${CLEAN}`, { privileged: true }) as { metadata: Record<string, unknown> };
      p.metadata = { generateName: 'web-7d9f-', namespace: 'shop', annotations, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: 'u1', controller: true }] };
      return review(p);
    };
    const d = decide(ownedPod(exempt), CACHE, OPTIONS);
    expect(d).toMatchObject({ allowed: true, denied: [] });
    expect(rules(d.suppressed)).toEqual(['pod-security', 'privileged-container']);
    // an exemption only on the Deployment's own metadata does not reach its pods: the denial says where to put it
    const denied = ownedPod({});
    const message = respond(denied, decide(denied, CACHE, OPTIONS)).response.status?.message ?? '';
    expect(message).toMatch(/annotate the pod template of the workload that made it \(ReplicaSet web-7d9f or its owner\): runwarden\.io\/exempt=pod-security/);
    const depMessage = respond(review(deployment('nginx', { privileged: true })), decide(review(deployment('nginx', { privileged: true })), CACHE, OPTIONS)).response.status?.message ?? '';
    expect(depMessage).toMatch(/annotate the pod template \(spec\.template\.metadata\.annotations\), so the pods made from it carry it too: /);
  });

  it('throws UnevaluableObjectError for an object that does not match its kind (the failure mode decides)', () => {
    expect(() => decide(review({ kind: 'Pod', metadata: { name: 'x' }, spec: { containers: 'not-a-list' } }), CACHE, OPTIONS)).toThrow(UnevaluableObjectError);
    expect(() => decide(review({ kind: 'Pod' }, { object: null }), CACHE, OPTIONS)).toThrow(/carries no Pod object/);
  });
});

describe('decide: what it does not review', () => {
  it.each([
    ['a DELETE', review(pod('nginx', {}), { operation: 'DELETE', object: null, oldObject: pod('nginx', {}) }), 'DELETE is not reviewed'],
    ['a ConfigMap', review({ kind: 'ConfigMap', metadata: { name: 'c' } }), 'ConfigMap is not a kind runwarden reviews'],
    ['the status subresource', review(pod('nginx', {}), { operation: 'UPDATE', subResource: 'status', oldObject: pod('nginx', {}) }), 'the status subresource is not reviewed'],
  ])('allows %s untouched', (_what, request, skipped) => {
    expect(decide(request, CACHE, OPTIONS)).toMatchObject({ allowed: true, skipped, denied: [], warned: [] });
  });

  it("allows what a built-in controller makes from a workload (reviewed itself), unless asked to review it; a user's owned pod is reviewed", () => {
    const owned = pod(`ghcr.io/acme/clean:2.0@${CLEAN}`, { privileged: true }) as { metadata: Record<string, unknown> };
    owned.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: 'u1', controller: true }];
    const by = (username: string) => review(owned, { userInfo: { username } });
    expect(decide(by('system:serviceaccount:kube-system:replicaset-controller'), CACHE, OPTIONS)).toMatchObject({
      allowed: true,
      skipped: 'made by system:serviceaccount:kube-system:replicaset-controller from ReplicaSet web-7d9f, which is reviewed itself',
    });
    expect(decide(by('system:kube-controller-manager'), CACHE, OPTIONS).skipped).toMatch(/^made by system:kube-controller-manager/);
    // an owner reference alone proves nothing: anyone can write one
    expect(decide(by('alice'), CACHE, OPTIONS).allowed).toBe(false);
    expect(decide(by('system:serviceaccount:kube-system:replicaset-controller'), CACHE, { ...OPTIONS, reviewControllerObjects: true }).allowed).toBe(false);
  });

  it('allows an update that leaves the pod spec as it was (a scale, a label): running workloads are not broken by a new policy', () => {
    const old = deployment('nginx', { privileged: true });
    const scaled = structuredClone(old) as { spec: { replicas: number }; metadata: Record<string, unknown> };
    scaled.spec.replicas = 5;
    scaled.metadata.labels = { team: 'web' };
    expect(decide(review(scaled, { operation: 'UPDATE', oldObject: old }), CACHE, OPTIONS)).toMatchObject({ allowed: true, skipped: 'the update leaves the pod spec as it was' });
  });

  it('on an update, denies only what the update brings: a violation the running object had already warns', () => {
    const old = deployment('ghcr.io/acme/app:1.0', { privileged: true });
    // fixing the image (app:1.0 has a critical fixable CVE) must not be blocked by the old privileged flag
    const fix = deployment(`ghcr.io/acme/clean:2.0@${CLEAN}`, { privileged: true });
    const d = decide(review(fix, { operation: 'UPDATE', oldObject: old }), CACHE, OPTIONS);
    expect(d.allowed).toBe(true);
    expect(rules(d.warned)).toContain('pod-security');
    // while an update that adds the violation is denied
    const worse = decide(review(deployment(`ghcr.io/acme/clean:2.0@${CLEAN}`, { privileged: true }), { operation: 'UPDATE', oldObject: deployment(`ghcr.io/acme/clean:2.0@${CLEAN}`) }), CACHE, OPTIONS);
    expect(rules(worse.denied)).toEqual(['pod-security']);
  });
});

describe('decide: cached image verdicts', () => {
  const only = (image: string, rule: string, action: Action = 'deny') => decide(review(pod(image)), CACHE, { ...OPTIONS, actions: ONLY(rule, action) });

  it('denies an image with a critical vulnerability that has a fix, quoting it; not the unfixed, the high or the VEX-accepted one', () => {
    const d = only('ghcr.io/acme/app:1.0', 'vulnerable-package');
    expect(d.allowed).toBe(false);
    expect(d.denied).toHaveLength(1);
    const f = d.denied[0] as Finding;
    expect(f.title).toBe('1 critical vulnerability with a fix in image ghcr.io/acme/app:1.0: CVE-2021-44906: Prototype Pollution in minimist (minimist 1.2.5)');
    expect(f.evidence).toMatchObject({ imageDigest: DIGEST, fields: ['spec.containers[0].image'] });
    expect(String(f.evidence.verdictOf)).toMatch(/tag ran as sha256:a{64} at the last scan 2026-11-30T07:00:00.000Z; the tag may have moved/);
    expect(f.subject).toMatchObject({ namespace: 'shop', workload: { kind: 'Pod', name: 'web' }, container: 'app' });
  });

  it('lowers the vulnerability threshold on request (high or worse)', () => {
    const d = decide(review(pod('ghcr.io/acme/app:1.0')), CACHE, { ...OPTIONS, actions: ONLY('vulnerable-package'), vulnerabilitySeverity: 'high' });
    expect(d.denied[0]?.title).toMatch(/^2 high or worse vulnerabilities with a fix in image/);
  });

  it('finds the image by digest, with or without a tag; and the implicit :latest tag', () => {
    expect(only(`ghcr.io/acme/other@${DIGEST}`, 'vulnerable-package').allowed).toBe(false);
    expect(only(`ghcr.io/acme/app:9.9@${DIGEST}`, 'vulnerable-package').denied[0]?.evidence.verdictOf).toMatch(/^sha256:a{64}, last scan/);
    expect(only('ghcr.io/acme/app:1.1', 'vulnerable-package').allowed).toBe(true);
  });

  it('warns for end of life by default', () => {
    const d = decide(review(pod('ghcr.io/acme/app:1.0')), CACHE, OPTIONS);
    expect(rules(d.warned)).toContain('end-of-life');
    expect(d.warned.find((f) => f.rule === 'end-of-life')?.title).toBe('end of life in image ghcr.io/acme/app:1.0: Alpine Linux 3.11 reached end of life on 2021-11-01');
  });

  it('says why an image has no verdict: never seen, unreadable, or not looked at for malware', () => {
    const never = only('ghcr.io/acme/new:1', 'unscanned-image', 'warn').warned[0];
    expect(never?.title).toBe('image ghcr.io/acme/new:1 has no complete verdict: no scan has seen this tag run (last scan 2026-11-30T07:00:00.000Z)');
    expect(only('ghcr.io/acme/unread:1', 'unscanned-image', 'warn').warned[0]?.title).toMatch(/the last scan could not read it/);
    // malware not looked for matters only where malware acts
    expect(only('ghcr.io/acme/sbom-only:1', 'unscanned-image', 'warn').warned).toEqual([]);
    const sbomOnly = decide(review(pod('ghcr.io/acme/sbom-only:1')), CACHE, { ...OPTIONS, actions: { ...ONLY('unscanned-image', 'warn'), malware: 'deny' } });
    expect(sbomOnly.warned[0]?.title).toMatch(/the scan did not look for malware in it/);
    expect(decide(review(pod('ghcr.io/acme/new:1')), emptyVerdicts('none'), { ...OPTIONS, actions: ONLY('unscanned-image', 'deny') }).denied[0]?.title).toMatch(/no scan has finished yet/);
    // a report of a scan that did not read images at all says so, rather than "never seen"
    const noImages = verdictsFromReport(report([], undefined), 'r');
    expect(only('ghcr.io/acme/app:1.0', 'unscanned-image', 'warn').warned).toEqual([]);
    expect(decide(review(pod('ghcr.io/acme/app:1.0')), noImages, { ...OPTIONS, actions: ONLY('unscanned-image', 'warn') }).warned[0]?.title).toMatch(/the scan behind these verdicts does not read the running images/);
  });

  it('denies known malware, and lets the exemption annotation name it', () => {
    const withMalware = verdictsFromReport(
      report([finding('malware', 'malware', 'critical', 'Eicar-Test-Signature in /tmp/install.com (layer 3)', {})], [{ digest: DIGEST, references: ['ghcr.io/acme/app:1.0'], status: 'scanned', contributors: ALL }]),
      'r',
    );
    const d = decide(review(pod('ghcr.io/acme/app:1.0')), withMalware, OPTIONS);
    expect(rules(d.denied)).toEqual(['malware']);
    const p = pod('ghcr.io/acme/app:1.0') as { metadata: Record<string, unknown> };
    p.metadata.annotations = { 'runwarden.io/exempt': 'malware', 'runwarden.io/exempt-reason': 'EICAR test file on purpose' };
    expect(decide(review(p), withMalware, OPTIONS)).toMatchObject({ allowed: true, denied: [] });
  });
});

describe('decide: Kubernetes Pod Security fixtures as admission reviews (upstream k8s.io/pod-security-admission test data)', () => {
  const ROOT = join(process.cwd(), 'testdata', 'upstream', 'pod-security-admission');
  const rows = readFileSync(join(ROOT, 'index.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .filter((c) => c[2] === 'v1.37');
  it(`denies every fail fixture and allows every pass fixture of v1.37 (${rows.length} fixtures)`, () => {
    expect(rows.length).toBeGreaterThan(100);
    const wrong: string[] = [];
    for (const [path, level, version, expected] of rows) {
      const raw = parse(readFileSync(join(ROOT, path as string), 'utf8')) as Record<string, unknown>;
      const object = { apiVersion: 'v1', kind: 'Pod', ...raw, metadata: { name: 'fixture', ...(raw.metadata as object | undefined) } };
      const d = decide(review(object), CACHE, { ...OPTIONS, actions: ONLY('pod-security'), policy: { pssLevel: level as PssLevel, pssVersion: parsePolicyVersion(version as string) } });
      if (d.allowed !== (expected === 'allow')) wrong.push(`${path}: expected ${expected}, got ${d.allowed ? 'allow' : 'deny'}`);
    }
    expect(wrong).toEqual([]);
  });
});
