/**
 * Conformance with Kubernetes' own Pod Security fixtures (k8s.io/pod-security-admission
 * test/testdata, copied into testdata/upstream/pod-security-admission): every `pass` fixture is
 * allowed and every `fail` fixture is denied, attributed to the check named by the fixture at its
 * level and version, with upstream's expected error substring in the message. Bar: 100 %.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONTROL_IDS, evaluatePod, formatViolations, parsePolicyVersion, readPod, type PssLevel, type Violation } from './index.js';

const ROOT = join(process.cwd(), 'testdata', 'upstream', 'pod-security-admission');

interface Fixture {
  path: string;
  level: PssLevel;
  version: string;
  expected: 'allow' | 'deny';
  checkId: string;
  substring: string;
}

const fixtures: Fixture[] = readFileSync(join(ROOT, 'index.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const [path, level, version, expected, checkId, , , substring] = line.split('\t');
    return { path: path ?? '', level: level as PssLevel, version: version ?? '', expected: expected as 'allow' | 'deny', checkId: checkId ?? '', substring: substring ?? '' };
  });

// 4,537 files but only ~380 distinct contents: parse each distinct text once.
const parsedByText = new Map<string, { metadata: unknown; spec: unknown }>();
function load(path: string): { metadata: unknown; spec: unknown } {
  const text = readFileSync(join(ROOT, path), 'utf8');
  let pod = parsedByText.get(text);
  if (pod === undefined) {
    pod = parse(text) as { metadata: unknown; spec: unknown };
    parsedByText.set(text, pod);
  }
  return pod;
}

/** The named check, or the restricted check that overrides it at this level (upstream OverrideCheckIDs). */
function attributed(violations: Violation[], checkId: string): boolean {
  return violations.some((v) => v.control === checkId || v.overrides.includes(checkId));
}

interface Outcome {
  fixture: Fixture;
  violations: Violation[];
  issues: number;
}

const outcomes: Outcome[] = fixtures.map((fixture) => {
  const raw = load(fixture.path);
  const pod = readPod(raw.metadata, raw.spec);
  const version = parsePolicyVersion(fixture.version);
  if (version === undefined) throw new Error(`bad version ${fixture.version} in index.tsv`);
  return { fixture, violations: evaluatePod(pod, fixture.level, version), issues: pod.issues.length };
});

describe('Pod Security Standards conformance (upstream fixtures)', () => {
  it('covers every fixture in the index: 4,537 pods, 1,051 allowed and 3,486 denied, v1.0 … v1.37', () => {
    expect(fixtures).toHaveLength(4537);
    expect(fixtures.filter((f) => f.expected === 'allow')).toHaveLength(1051);
    expect(new Set(fixtures.map((f) => f.version)).size).toBe(38);
  });

  it('reads every fixture without a field issue', () => {
    expect(outcomes.filter((o) => o.issues > 0).map((o) => o.fixture.path)).toEqual([]);
  });

  it('allows 100 % of the pass fixtures', () => {
    const wrong = outcomes.filter((o) => o.fixture.expected === 'allow' && o.violations.length > 0).map((o) => `${o.fixture.path}: ${formatViolations(o.violations)}`);
    expect(wrong).toEqual([]);
  });

  it('denies 100 % of the fail fixtures', () => {
    const wrong = outcomes.filter((o) => o.fixture.expected === 'deny' && o.violations.length === 0).map((o) => o.fixture.path);
    expect(wrong).toEqual([]);
  });

  it('attributes 100 % of the denials to the named check (or the restricted check overriding it) with upstream\'s error substring', () => {
    const wrong: string[] = [];
    for (const o of outcomes) {
      if (o.fixture.expected !== 'deny') continue;
      if (!attributed(o.violations, o.fixture.checkId)) wrong.push(`${o.fixture.path}: expected ${o.fixture.checkId}, got ${o.violations.map((v) => v.control).join(', ')}`);
      else if (o.fixture.substring !== '' && !formatViolations(o.violations).includes(o.fixture.substring)) wrong.push(`${o.fixture.path}: message lacks "${o.fixture.substring}": ${formatViolations(o.violations)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('names only known upstream check ids, with a field path for every violation', () => {
    const all = outcomes.flatMap((o) => o.violations);
    expect(all.every((v) => CONTROL_IDS.includes(v.control))).toBe(true);
    expect(all.filter((v) => v.fields.length === 0).map((v) => v.control)).toEqual([]);
    expect(all.flatMap((v) => v.fields).every((f) => /^(spec|metadata)[.[]/.test(f))).toBe(true);
  });

  it('denies baseline fail fixtures for the named check alone (each changes one thing in the minimal pod)', () => {
    // HostProcess pods must also set hostNetwork (API validation), so those fixtures trip hostNamespaces too, as upstream.
    const expectedExtra = (o: Outcome): string[] => (o.fixture.checkId === 'windowsHostProcess' ? ['hostNamespaces', 'windowsHostProcess'] : [o.fixture.checkId]);
    const extra = outcomes
      .filter((o) => o.fixture.level === 'baseline' && o.fixture.expected === 'deny')
      .filter((o) => o.violations.map((v) => v.control).join(',') !== expectedExtra(o).join(','))
      .map((o) => `${o.fixture.path}: ${o.violations.map((v) => v.control).join(', ')}`);
    expect(extra).toEqual([]);
  });
});
