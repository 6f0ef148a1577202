import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { checkGlob, durationOption, parseExclusionFile, parsePositiveInt } from './options.js';

describe('durationOption', () => {
  it.each([
    ['7d', 7 * 86_400_000],
    ['36h', 36 * 3_600_000],
    ['90m', 90 * 60_000],
    ['30s', 30_000],
    ['2w', 14 * 86_400_000],
    ['1w2d', 9 * 86_400_000],
    ['1d12h', 36 * 3_600_000],
    ['500ms', 500],
  ])('reads %s, as every command reads a duration (core/duration.ts)', (text, ms) => {
    expect(durationOption(` ${text}`, '--older-than')).toEqual({ ms, text });
  });

  it.each(['', '7', 'd', '7 days', '-1d', '1.5d', '7d ago', '7D'])('throws UsageError naming the flag and the accepted forms for "%s"', (text) => {
    expect(() => durationOption(text, '--older-than')).toThrow(UsageError);
    expect(() => durationOption(text, '--older-than')).toThrow(`Invalid --older-than "${text}": expected a duration such as 90d, 12h, 30m, 45s or 1h30m`);
  });

  it('refuses a zero duration', () => {
    expect(() => durationOption('0d', '--interval')).toThrow('Invalid --interval "0d": the duration must be longer than zero, e.g. 7d');
  });
});

describe('parseExclusionFile', () => {
  it('reads one glob per line, with comments and blank lines', () => {
    const rules = parseExclusionFile('# system images\nregistry.k8s.io/*\n\n  docker.io/library/nginx:1.*   # web\r\nquay.io/{a,b}/x:*\n', '/etc/rw/exclude');
    expect(rules).toEqual([
      { glob: 'registry.k8s.io/*', origin: 'file /etc/rw/exclude:2' },
      { glob: 'docker.io/library/nginx:1.*', origin: 'file /etc/rw/exclude:4' },
      { glob: 'quay.io/{a,b}/x:*', origin: 'file /etc/rw/exclude:5' },
    ]);
  });

  it("reads Eraser's JSON format", () => {
    expect(parseExclusionFile('{"excluded": ["docker.io/library/*", "ghcr.io/x/*"]}', 'eraser.json')).toEqual([
      { glob: 'docker.io/library/*', origin: 'file eraser.json' },
      { glob: 'ghcr.io/x/*', origin: 'file eraser.json' },
    ]);
  });

  it('returns no rules for an empty file or one with only comments', () => {
    expect(parseExclusionFile('', 'empty')).toEqual([]);
    expect(parseExclusionFile('# nothing yet\n\n', 'empty')).toEqual([]);
  });

  it('throws UsageError naming the file and line of a pattern with whitespace', () => {
    expect(() => parseExclusionFile('ok/*\nnginx latest\n', '/etc/rw/exclude')).toThrow('Invalid exclusion "nginx latest" (file /etc/rw/exclude:2): contains whitespace, which no image name has.');
  });

  it('throws UsageError naming the file and line of an unclosed bracket', () => {
    expect(() => parseExclusionFile('repo[1:*\n', 'x')).toThrow(/^Invalid exclusion "repo\[1:\*" \(file x:1\): Missing closing: "\]"/);
  });

  it('throws UsageError for corrupt JSON and for JSON of the wrong shape', () => {
    expect(() => parseExclusionFile('{"excluded": [', 'e.json')).toThrow(/^Exclusion file "e\.json" \(--exclude-file\) starts with "\{" but is not valid JSON: /);
    expect(() => parseExclusionFile('{"exclude": ["a"]}', 'e.json')).toThrow('Exclusion file "e.json" (--exclude-file) is JSON but not {"excluded": [string, …]}: excluded: Invalid input: expected array, received undefined.');
    expect(() => parseExclusionFile('{"excluded": ["a b"]}', 'e.json')).toThrow('Invalid exclusion "a b" (file e.json: excluded[0]): contains whitespace');
  });
});

describe('checkGlob and parsePositiveInt', () => {
  it('refuses an empty --exclude', () => {
    expect(() => checkGlob('  ', '--exclude')).toThrow('Invalid exclusion "" (--exclude): empty pattern.');
  });

  it('reads whole numbers from 1 and names the flag otherwise', () => {
    expect(parsePositiveInt('50', '--max-removals')).toBe(50);
    for (const bad of ['0', '-1', '1.5', 'ten', '']) expect(() => parsePositiveInt(bad, '--max-removals')).toThrow(`Invalid --max-removals "${bad}": expected a whole number of at least 1, e.g. --max-removals 50.`);
  });
});
