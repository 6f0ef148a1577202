import { describe, expect, it } from 'vitest';
import { InvalidReferenceError } from './errors.js';
import { effectiveTag, formatImageReference, parseImageId, parseImageReference } from './image-ref.js';

const D = 'sha256:6db391d1c0cfb30588ba0bf72ea999404f2764febf0f1f196acd5867ac7efa7e';

// [input, registry, repository, tag, digest]
const VALID: Array<[string, string, string, string | undefined, string | undefined]> = [
  ['nginx', 'docker.io', 'library/nginx', undefined, undefined],
  ['nginx:1.27.2', 'docker.io', 'library/nginx', '1.27.2', undefined],
  ['library/nginx:latest', 'docker.io', 'library/nginx', 'latest', undefined],
  ['docker.io/nginx', 'docker.io', 'library/nginx', undefined, undefined],
  ['docker.io/library/nginx:1.14.2', 'docker.io', 'library/nginx', '1.14.2', undefined],
  ['index.docker.io/library/redis:7', 'docker.io', 'library/redis', '7', undefined],
  ['registry-1.docker.io/bitnami/redis:7.2', 'docker.io', 'bitnami/redis', '7.2', undefined],
  ['grafana/grafana:latest', 'docker.io', 'grafana/grafana', 'latest', undefined],
  ['kubernetesui/dashboard:v2.1.0', 'docker.io', 'kubernetesui/dashboard', 'v2.1.0', undefined],
  ['k8s.gcr.io/kube-apiserver:v1.20.7', 'k8s.gcr.io', 'kube-apiserver', 'v1.20.7', undefined],
  ['registry.k8s.io/ingress-nginx/controller:v1.11.2@' + D, 'registry.k8s.io', 'ingress-nginx/controller', 'v1.11.2', D],
  ['docker.io/library/redis@' + D, 'docker.io', 'library/redis', undefined, D],
  ['mcr.microsoft.com/oss/kubernetes/pause:3.6', 'mcr.microsoft.com', 'oss/kubernetes/pause', '3.6', undefined],
  ['602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.1-eksbuild.1', '602401143452.dkr.ecr.us-west-2.amazonaws.com', 'eks/pause', '3.1-eksbuild.1', undefined],
  ['ghcr.io/acme/cart:latest', 'ghcr.io', 'acme/cart', 'latest', undefined],
  ['quay.io/prometheus/node-exporter:v1.8.2', 'quay.io', 'prometheus/node-exporter', 'v1.8.2', undefined],
  ['localhost/feas/pause:1', 'localhost', 'feas/pause', '1', undefined],
  ['localhost:5000/app', 'localhost:5000', 'app', undefined, undefined],
  ['localhost:5000/team/app:v2@' + D, 'localhost:5000', 'team/app', 'v2', D],
  ['127.0.0.1:5055/feas/debian-app:1', '127.0.0.1:5055', 'feas/debian-app', '1', undefined],
  ['[::1]:5000/app:tag', '[::1]:5000', 'app', 'tag', undefined],
  ['[2001:db8::1]/team/app', '[2001:db8::1]', 'team/app', undefined, undefined],
  ['[fe80::1%eth0]:443/app:1', '[fe80::1%eth0]:443', 'app', '1', undefined],
  ['myregistry:5000/ns/app:1.0', 'myregistry:5000', 'ns/app', '1.0', undefined],
  ['Registry.Example.COM/team/app', 'registry.example.com', 'team/app', undefined, undefined],
  ['gcr.io/distroless/static-debian12:nonroot', 'gcr.io', 'distroless/static-debian12', 'nonroot', undefined],
  ['a/b_c__d-e--f.g/h', 'docker.io', 'a/b_c__d-e--f.g/h', undefined, undefined],
  ['ubuntu:22.04_ARM-v8.x', 'docker.io', 'library/ubuntu', '22.04_ARM-v8.x', undefined],
];

describe('parseImageReference', () => {
  it.each(VALID)('parses %s', (input, registry, repository, tag, digest) => {
    const ref = parseImageReference(input);
    expect({ registry: ref.registry, repository: ref.repository, tag: ref.tag, digest: ref.digest }).toEqual({ registry, repository, tag, digest });
  });

  it('formats the normalised reference', () => {
    expect(formatImageReference(parseImageReference('nginx'))).toBe('docker.io/library/nginx');
    expect(formatImageReference(parseImageReference('redis:7@' + D))).toBe(`docker.io/library/redis:7@${D}`);
  });

  it('returns the implicit latest tag only when there is neither tag nor digest', () => {
    expect(effectiveTag(parseImageReference('nginx'))).toBe('latest');
    expect(effectiveTag(parseImageReference('nginx@' + D))).toBeUndefined();
    expect(effectiveTag(parseImageReference('nginx:1'))).toBe('1');
  });

  // [input, message fragment]
  const INVALID: Array<[string, string]> = [
    ['', 'empty reference'],
    ['   ', 'empty reference'],
    ['nginx latest', 'contains whitespace'],
    ['Nginx', 'must be lowercase'],
    ['team/App:1', 'must be lowercase'],
    ['nginx:', 'invalid tag ""'],
    ['nginx:-bad', 'invalid tag "-bad"'],
    [`nginx:${'a'.repeat(129)}`, 'invalid tag'],
    ['nginx@sha256:abc', 'expected 64 lowercase hex'],
    ['nginx@', 'invalid digest ""'],
    ['nginx@:abc', 'invalid digest'],
    ['registry.io//app', 'empty path component'],
    ['registry.io/app/', 'empty path component'],
    [':tag', 'missing repository name'],
    ['a--/b', 'invalid path component "a--"'],
    ['my_registry.io:5000/app', 'invalid registry host "my_registry.io"'],
    ['localhost:99999/app', 'invalid registry port "99999"'],
    ['[::1/app', 'unclosed IPv6 bracket'],
    ['6db391d1c0cfb30588ba0bf72ea999404f2764febf0f1f196acd5867ac7efa7e', 'image ID, not a reference'],
    [`registry.io/${'a'.repeat(260)}`, 'longer than 255'],
  ];
  it.each(INVALID)('throws InvalidReferenceError for %j naming the reason', (input, fragment) => {
    expect(() => parseImageReference(input)).toThrow(InvalidReferenceError);
    expect(() => parseImageReference(input)).toThrow(fragment);
  });

  it('quotes the input in the message', () => {
    expect(() => parseImageReference('Nginx')).toThrow('Invalid image reference "Nginx": repository name "Nginx" must be lowercase');
  });

  it('parses a long hostile input in linear time', () => {
    const hostile = `${'a-'.repeat(50_000)}!`;
    const start = process.hrtime.bigint();
    expect(() => parseImageReference(hostile)).toThrow(InvalidReferenceError);
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(1000);
  });
});

describe('parseImageId', () => {
  const H = '5ab3d676c426bfb272fb7605e6978b90d5676913636a6105688862849961386f';
  it.each([
    [`docker-pullable://k8s.gcr.io/kube-apiserver@sha256:${H}`, { digest: `sha256:${H}`, kind: 'repo-digest', repository: 'k8s.gcr.io/kube-apiserver' }],
    [`docker://sha256:${H}`, { digest: `sha256:${H}`, kind: 'image-id', repository: undefined }],
    [`sha256:${H}`, { digest: `sha256:${H}`, kind: 'image-id', repository: undefined }],
    [`docker.io/library/nginx@sha256:${H}`, { digest: `sha256:${H}`, kind: 'repo-digest', repository: 'docker.io/library/nginx' }],
    [`nginx@sha256:${H}`, { digest: `sha256:${H}`, kind: 'repo-digest', repository: 'docker.io/library/nginx' }],
    [`localhost:5000/app@sha256:${H}`, { digest: `sha256:${H}`, kind: 'repo-digest', repository: 'localhost:5000/app' }],
  ])('reads the running digest from %s', (input, expected) => {
    expect(parseImageId(input)).toEqual(expected);
  });

  it.each([[undefined], [''], ['   '], ['docker://'], ['nginx:latest'], ['sha256:short'], ['repo@sha256:XYZ']])('returns undefined for %j', (input) => {
    expect(parseImageId(input)).toBeUndefined();
  });
});
