import { describe, expect, it } from 'vitest';
import { newerTags, parseTagVersion } from './tags.js';

const NGINX = ['latest', 'mainline', 'alpine', '1.25', '1.25-alpine', '1.25.3', '1.25.3-alpine', '1.25.3-alpine3.18', '1.25.4-alpine3.19', '1.25.5-alpine3.19', '1.25.5-alpine3.20', '1.26.2-alpine3.20', '1.27.3-alpine3.20', '1.27.3-alpine3.21', '1.27', '1.27-alpine', '2.0.0-alpine3.21', '1.25.3-perl', '1.25.9-perl', '1.28.0-rc1-alpine3.21', 'sha-abc123'];
const PYTHON = ['3.11-slim-bookworm', '3.12-slim-bookworm', '3.13-slim-bookworm', '3.13-slim-trixie', '3.12-bookworm', '3.14-slim-bookworm', '4.0-slim', '3.12.7-slim-bookworm'];

describe('parseTagVersion', () => {
  it.each([
    ['1.25.3-alpine3.19', [1, 25, 3], 'alpine#', 'alpine3.19'],
    ['3.12-slim-bookworm', [3, 12], 'slim-bookworm', 'slim-bookworm'],
    ['v2.1.0', [2, 1, 0], '', ''],
    ['16', [16], '', ''],
    ['1.28.0-rc1-alpine3.21', [1, 28, 0], 'rc#-alpine#', 'rc1-alpine3.21'],
  ])('%s → %j family %s', (tag, numbers, family, suffix) => {
    expect(parseTagVersion(tag)).toEqual({ tag, numbers, family, suffix });
  });

  it.each(['latest', 'alpine', 'sha-abc123', '20240101', 'bookworm-slim', '1.2.3.4.5'])('ignores %s', (tag) => {
    expect(parseTagVersion(tag)).toBeUndefined();
  });
});

describe('newerTags', () => {
  it('finds the newest patch, minor and major of the same suffix family and precision', () => {
    const r = newerTags('1.25.3-alpine3.19', NGINX);
    expect([r?.patch, r?.minor, r?.major, r?.newest]).toEqual(['1.25.5-alpine3.19', '1.27.3-alpine3.20', '2.0.0-alpine3.21', '2.0.0-alpine3.21']);
  });

  it('prefers the running suffix among tags of one version', () => {
    expect(newerTags('1.27.3-alpine3.20', ['1.27.3-alpine3.20', '1.27.3-alpine3.21'])?.patch).toBeUndefined();
    expect(newerTags('1.26.0-alpine3.20', ['1.27.3-alpine3.21', '1.27.3-alpine3.20'])?.minor).toBe('1.27.3-alpine3.20');
  });

  it('keeps other families apart (perl, release candidates, no suffix)', () => {
    expect(newerTags('1.25.3-perl', NGINX)).toMatchObject({ patch: '1.25.9-perl', minor: undefined, major: undefined });
    expect(newerTags('1.25.3', NGINX)).toMatchObject({ patch: undefined, minor: undefined, major: undefined });
  });

  it('compares floating tags with floating tags only', () => {
    expect(newerTags('1.25-alpine', NGINX)).toMatchObject({ patch: undefined, minor: '1.27-alpine', major: undefined });
  });

  it('reads two-part versions with multi-word suffixes', () => {
    expect(newerTags('3.12-slim-bookworm', PYTHON)).toMatchObject({ patch: undefined, minor: '3.14-slim-bookworm', major: undefined });
  });

  it('returns undefined for a tag that is not a version', () => {
    expect(newerTags('latest', NGINX)).toBeUndefined();
  });
});
