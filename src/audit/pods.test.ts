import { describe, expect, it } from 'vitest';
import { imageTrusted } from './pods.js';

describe('imageTrusted', () => {
  it.each([
    ['nginx:1.27', 'nginx', true],
    ['docker.io/library/nginx@sha256:' + 'a'.repeat(64), 'nginx', true],
    ['nginx', 'docker.io/library/*', true],
    ['calico/node:v3.28', 'calico/*', true],
    ['docker.io/calico/node:v3.28', 'calico/*', true],
    ['docker.io/calico/node:v3.28', 'docker.io/calico/*', true],
    ['registry.k8s.io/kube-proxy:v1.30.4', 'registry.k8s.io/*', true],
    ['registry.k8s.io.evil.example/kube-proxy', 'registry.k8s.io/*', false],
    ['nginx-unprivileged:1', 'nginx', false],
    ['ghcr.io/acme/web:2', 'ghcr.io/acme/*', true],
    ['ghcr.io/acme-evil/web:2', 'ghcr.io/acme/*', false],
    ['localhost:5000/tools/x', 'localhost:5000/*', true],
  ])('%s against %s: %s', (image, pattern, trusted) => {
    expect(imageTrusted(image, [pattern])).toBe(trusted);
  });

  it('trusts nothing with no patterns', () => {
    expect(imageTrusted('nginx', [])).toBe(false);
  });
});
