/**
 * The product from the image reference itself: endoflife.date lists `pkg:docker/<namespace>/<name>`
 * (Docker Hub) and `pkg:oci/<name>?repository_url=<registry/path>` identifiers per product, so
 * `node:16-alpine` (`docker.io/library/node`) is Node.js and its tag's leading version `16` the cycle.
 * A few official images the data does not list yet are added below, each a well-known upstream image.
 * Tags without a leading version (`latest`, `lts`, `alpine`) name no cycle: nothing is detected.
 */
import { formatImageReference } from '../../core/image-ref.js';
import type { Issue } from '../../core/issue.js';
import type { LifecycleData } from '../data/schema.js';
import { detection } from './common.js';
import type { Detection, Detector } from './types.js';

/** Official images that endoflife.date has no `pkg:docker` identifier for (registry/repository → product). */
export const EXTRA_IMAGES: Readonly<Record<string, string>> = {
  'docker.io/library/nginx': 'nginx',
  'docker.io/library/alpine': 'alpine-linux',
  'docker.io/library/debian': 'debian',
  'docker.io/library/ubuntu': 'ubuntu',
  'docker.io/library/eclipse-temurin': 'eclipse-temurin',
  'docker.io/library/php': 'php',
  'docker.io/library/mongo': 'mongodb',
  'docker.io/library/rabbitmq': 'rabbitmq',
  'docker.io/library/elasticsearch': 'elasticsearch',
  'docker.io/library/fedora': 'fedora',
  'docker.io/library/rockylinux': 'rocky-linux',
  'docker.io/library/almalinux': 'almalinux',
  'mcr.microsoft.com/dotnet/runtime': 'dotnet',
  'mcr.microsoft.com/dotnet/aspnet': 'dotnet',
  'mcr.microsoft.com/dotnet/sdk': 'dotnet',
  'mcr.microsoft.com/dotnet/runtime-deps': 'dotnet',
  'registry.access.redhat.com/ubi8/ubi': 'rhel',
  'registry.access.redhat.com/ubi9/ubi': 'rhel',
  'registry.k8s.io/kube-apiserver': 'kubernetes',
  'registry.k8s.io/kube-proxy': 'kubernetes',
  'registry.k8s.io/kube-controller-manager': 'kubernetes',
  'registry.k8s.io/kube-scheduler': 'kubernetes',
};

/** `pkg:docker/library/node` → `docker.io/library/node`; `pkg:oci/x?repository_url=ghcr.io/o` → `ghcr.io/o/x`. */
export function purlImageName(purl: string): string | undefined {
  const docker = /^pkg:docker\/([^@?#]+)$/.exec(purl);
  if (docker?.[1] !== undefined) return `docker.io/${docker[1].includes('/') ? docker[1] : `library/${docker[1]}`}`.toLowerCase();
  const oci = /^pkg:oci\/([^@?#/]+)\?(?:.*&)?repository_url=([^&#]+)/.exec(purl);
  if (oci?.[1] !== undefined && oci[2] !== undefined) {
    const repo = decodeURIComponent(oci[2]).replace(/^https?:\/\//, '').replace(/\/+$/, '');
    return repo.endsWith(`/${oci[1]}`) ? repo : `${repo}/${oci[1]}`;
  }
  return undefined;
}

const INDEX = new WeakMap<LifecycleData, Map<string, string>>();

/** `registry/repository` → product, from every product's purls plus EXTRA_IMAGES (built once per data). */
export function imageIndex(data: LifecycleData): Map<string, string> {
  let index = INDEX.get(data);
  if (index === undefined) {
    index = new Map(Object.entries(EXTRA_IMAGES));
    for (const p of data.products.values()) {
      for (const purl of p.purls) {
        const name = purlImageName(purl);
        if (name !== undefined && !index.has(name)) index.set(name, p.name);
      }
    }
    INDEX.set(data, index);
  }
  return index;
}

/** The version a tag starts with: `16-alpine` → `16`, `v1.31.2` → `1.31.2`, `bookworm-slim` → `bookworm`. */
export function tagVersion(tag: string): string | undefined {
  const m = /^v?(\d+(?:\.\d+)*)(?:$|[-_+])/.exec(tag);
  if (m?.[1] !== undefined) return m[1];
  const word = /^([a-z]+)(?:$|-)/.exec(tag)?.[1];
  return word === undefined || ['latest', 'lts', 'stable', 'current', 'alpine', 'slim', 'edge', 'mainline', 'nightly', 'main', 'master', 'dev'].includes(word) ? undefined : word;
}

export const referenceDetector: Detector = {
  id: 'image-reference',
  detect(facts, data) {
    const ref = facts.reference;
    const detections: Detection[] = [];
    const issues: Issue[] = [];
    if (ref?.tag === undefined) return { detections, issues };
    const name = `${ref.registry}/${ref.repository}`;
    const product = imageIndex(data).get(name);
    if (product === undefined) return { detections, issues };
    const version = tagVersion(ref.tag);
    if (version === undefined) return { detections, issues };
    const p = data.products.get(product);
    // A word tag that is no codename of the product (`node:hydrogen` is fine, `nginx:perl` is not) says nothing.
    if (!/^\d/.test(version) && p?.releases.some((r) => r.codename?.toLowerCase().split(/\s+/)[0] === version) !== true) return { detections, issues };
    const r = detection(data, product, version, 'image-reference', `image ${formatImageReference(ref)}`);
    if (r.detection !== undefined) detections.push(r.detection);
    if (r.issue !== undefined) issues.push(r.issue);
    return { detections, issues };
  },
};
