import { beforeAll, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../core/image-ref.js';
import type { LifecycleData } from '../data/schema.js';
import { loadLifecycle } from '../data/store.js';
import type { Freshness } from '../freshness/index.js';
import { newerTags } from '../freshness/tags.js';
import { lifecycleFindings, verdictOf } from './findings.js';
import { imageLifecycle, retag, type LifecycleSettings } from './image.js';

let data: LifecycleData;
beforeAll(async () => {
  data = (await loadLifecycle(undefined)).data;
});
const settings = (now: string): LifecycleSettings => ({ data, now: new Date(now), eolLookaheadDays: 90 });
const fresh: Freshness = { state: 'fresh', drift: undefined, newer: undefined, ageDays: 3, created: undefined, unknown: [], reasons: [] };
const subject = { type: 'container' as const, namespace: 'ns', workload: { kind: 'Deployment', name: 'w' }, container: 'c', image: 'x' };

describe('imageLifecycle and verdictOf', () => {
  it('calls an image outdated when a product reaches end of life within the look-ahead, with a low finding', () => {
    const image = imageLifecycle({ reference: parseImageReference('python:3.10-slim') }, settings('2026-08-15T00:00:00Z'), 'python:3.10-slim');
    expect(image.products.map((p) => [p.detection.cycle?.cycle, p.status.state, p.status.eolDate, p.next?.cycle, p.fix])).toEqual([['3.10', 'eol-soon', '2026-10-31', '3.11', 'python:3.10-slim → python:3.11-slim']]);
    expect(verdictOf(image, fresh)).toEqual({ verdict: 'outdated', reasons: ['Python 3.10 reaches end of life on 2026-10-31 (in 77 days)'], fix: 'python:3.10-slim → python:3.11-slim' });
    expect(lifecycleFindings(subject, image, fresh, undefined).map((f) => [f.rule, f.severity])).toEqual([['end-of-life', 'low']]);
  });

  it('rates a release past end of life but still in extended support medium, and one past both high', () => {
    const debian = imageLifecycle({ reference: parseImageReference('debian:12-slim') }, settings('2026-11-28T00:00:00Z'), 'debian:12-slim');
    expect(lifecycleFindings(subject, debian, fresh, undefined).map((f) => [f.severity, f.title, f.evidence.extendedSupportUntil])).toEqual([['medium', 'Debian 12 reached end of life on 2026-07-11 (extended support until 2028-06-30) in x', '2028-06-30']]);
    const buster = imageLifecycle({ reference: parseImageReference('debian:buster') }, settings('2026-11-28T00:00:00Z'), 'debian:buster');
    expect(lifecycleFindings(subject, buster, fresh, undefined).map((f) => f.severity)).toEqual(['high']);
  });

  it('tells an image known by its os-release to rebuild on the next release of that distribution', () => {
    const image = imageLifecycle({ reference: parseImageReference('ghcr.io/acme/tool:1.0'), os: { id: 'alpine', release: '3.20.3' } }, settings('2026-11-28T00:00:00Z'), 'ghcr.io/acme/tool:1.0');
    expect(image.products.map((p) => [p.detection.title, p.next?.cycle, p.fix])).toEqual([['Alpine Linux', '3.22', 'rebuild on the Alpine Linux 3.22 base image']]);
  });

  it('keeps a fresh verdict when only a newer major exists', () => {
    const f: Freshness = { ...fresh, newer: newerTags('1.2.3', ['1.2.3', '2.0.0']) };
    const image = imageLifecycle({ reference: parseImageReference('ghcr.io/acme/app:1.2.3') }, settings('2026-11-28T00:00:00Z'));
    expect(verdictOf(image, f).verdict).toBe('fresh');
    expect(lifecycleFindings(subject, image, f, undefined)).toEqual([]);
  });

  it('never calls an image fresh when the registry could not be asked', () => {
    const image = imageLifecycle({ reference: parseImageReference('ghcr.io/acme/app:1.2.3') }, settings('2026-11-28T00:00:00Z'));
    expect(verdictOf(image, { ...fresh, state: 'unknown', unknown: ['cannot resolve ghcr.io/acme/app:1.2.3: HTTP 503'] })).toEqual({ verdict: 'unknown', reasons: ['cannot resolve ghcr.io/acme/app:1.2.3: HTTP 503'], fix: undefined });
  });
});

describe('retag', () => {
  it.each([
    ['node:16-alpine', '22', 'node:22-alpine'],
    ['docker.io/library/node:16.20.2-bookworm', '22', 'docker.io/library/node:22-bookworm'],
    ['registry.example.com:5000/base/python:v3.8', '3.12', 'registry.example.com:5000/base/python:v3.12'],
    ['node:16@sha256:' + 'a'.repeat(64), '22', 'node:22'],
  ])('%s → cycle %s is %s', (image, cycle, expected) => {
    expect(retag(image, parseImageReference(image), cycle)).toBe(expected);
  });

  it('cannot retag a tag without a leading version', () => {
    expect(retag('node:lts', parseImageReference('node:lts'), '22')).toBeUndefined();
  });
});
