import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { identityCheck, identityWhen } from './identity.js';
import { ContainerPort, OBJECT_SCHEMAS, PodTemplate } from './schema.js';

/** The contract: true only when zod accepts the value and returns an equal value. */
function expectSound(schema: z.ZodType, value: unknown): boolean {
  const fast = identityCheck(schema)(value);
  if (fast) {
    const parsed = schema.safeParse(value);
    expect(parsed.success).toBe(true);
    expect(isDeepStrictEqual(parsed.data, value)).toBe(true);
  }
  return fast;
}

/** Every object of the real dumps in testdata/upstream/cluster-state and of the demo snapshot. */
function realObjects(): Array<{ kind: keyof typeof OBJECT_SCHEMAS; object: Record<string, unknown> }> {
  const out: Array<{ kind: keyof typeof OBJECT_SCHEMAS; object: Record<string, unknown> }> = [];
  const visit = (value: unknown, inherited: string | undefined): void => {
    if (Array.isArray(value)) return value.forEach((v) => visit(v, inherited));
    if (typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    const kind = typeof record.kind === 'string' ? record.kind : inherited;
    if (Array.isArray(record.items)) return visit(record.items, kind?.endsWith('List') === true ? kind.slice(0, -4) : undefined);
    if (kind !== undefined && kind in OBJECT_SCHEMAS) out.push({ kind: kind as keyof typeof OBJECT_SCHEMAS, object: record });
  };
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.json')) visit(JSON.parse(readFileSync(path, 'utf8')), undefined);
      else if (/\.ya?ml$/.test(entry.name)) for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) visit(doc.toJS(), undefined);
    }
  };
  walk(join(import.meta.dirname, '../../testdata/upstream/cluster-state'));
  walk(join(import.meta.dirname, '../../demo/cluster'));
  return out;
}

/** Deterministic mutations that zod rejects or rewrites: each must make the fast path answer false. */
const MUTATIONS: Array<[string, (o: Record<string, unknown>) => void]> = [
  ['null label value (zod reads it as "")', (o) => (meta(o).labels = { ...(meta(o).labels as object), broken: null })],
  ['number label value', (o) => (meta(o).labels = { app: 3 })],
  ['empty name', (o) => (meta(o).name = '')],
  ['missing metadata', (o) => delete o.metadata],
  ['metadata an array', (o) => (o.metadata = [])],
  ['name a number', (o) => (meta(o).name = 7)],
  ['ownerReferences without kind', (o) => (meta(o).ownerReferences = [{ name: 'x' }])],
  ['own __proto__ key', (o) => Object.defineProperty(meta(o), '__proto__', { value: { polluted: true }, enumerable: true, configurable: true, writable: true })],
  ['creationTimestamp a Date (zod converts it)', (o) => (meta(o).creationTimestamp = new Date(0))],
];
function meta(o: Record<string, unknown>): Record<string, unknown> {
  return o.metadata as Record<string, unknown>;
}

describe('identityCheck', () => {
  it('keeps the real objects as read: every kubectl object of the dumps and the demo passes the fast path, and zod agrees', () => {
    const objects = realObjects();
    expect(objects.length).toBeGreaterThan(100);
    const kept = objects.filter(({ kind, object }) => expectSound(OBJECT_SCHEMAS[kind], object));
    expect(kept.length).toBe(objects.length);
  });

  it('answers false (so zod runs) for values zod rejects or rewrites', () => {
    const objects = realObjects().filter((o) => o.kind === 'Pod' || o.kind === 'Deployment' || o.kind === 'Node');
    for (const [, mutate] of MUTATIONS) {
      for (const { kind, object } of objects.slice(0, 20)) {
        const copy = structuredClone(object);
        mutate(copy);
        expect(expectSound(OBJECT_SCHEMAS[kind], copy)).toBe(false);
      }
    }
  });

  it('models zod: loose, strict and stripping objects, optional vs nullish, unions in order, records, checks', () => {
    const loose = z.looseObject({ a: z.string(), b: z.number().nullish() });
    expect(expectSound(loose, { a: 'x', extra: { deep: 1 } })).toBe(true);
    expect(expectSound(loose, { a: 'x', b: null })).toBe(true);
    expect(expectSound(loose, { a: 'x', b: Number.NaN })).toBe(false);
    expect(expectSound(loose, { b: 1 })).toBe(false);
    expect(expectSound(loose, { a: 'x', b: undefined })).toBe(true);
    expect(expectSound(z.strictObject({ a: z.string() }), { a: 'x' })).toBe(true);
    expect(expectSound(z.strictObject({ a: z.string() }), { a: 'x', b: 1 })).toBe(false);
    expect(expectSound(z.object({ a: z.string() }), { a: 'x', b: 1 })).toBe(false);
    expect(expectSound(z.object({ a: z.string() }), { a: 'x' })).toBe(true);
    expect(expectSound(z.object({ a: z.string().optional() }), {})).toBe(true);
    expect(expectSound(z.object({ a: z.string().nullable() }), {})).toBe(false);
    expect(expectSound(z.object({ a: z.string().default('d') }), {})).toBe(false);
    expect(expectSound(z.object({ a: z.string().optional().default('d') }), {})).toBe(false);
    // zod returns the first option that succeeds: only the first option keeps the value.
    expect(expectSound(z.union([z.string(), z.date().transform((d) => d.toISOString())]), 'x')).toBe(true);
    expect(expectSound(z.union([z.string().transform((s) => s.trim()), z.string()]), ' x ')).toBe(false);
    expect(expectSound(z.string().transform((s) => s.trim()), 'x')).toBe(false);
    expect(expectSound(z.string().trim(), 'x')).toBe(false);
    expect(expectSound(z.record(z.string(), z.number()), { a: 1, b: 2 })).toBe(true);
    expect(expectSound(z.record(z.string(), z.number()), { a: 1, b: '2' })).toBe(false);
    expect(expectSound(z.record(z.enum(['a', 'b']), z.number()), { a: 1, b: 2 })).toBe(false);
    expect(expectSound(z.record(z.string(), z.number()), new Map())).toBe(false);
    expect(expectSound(z.array(z.string()).max(1), ['a', 'b'])).toBe(false);
    expect(expectSound(z.array(z.string()).max(2), ['a', 'b'])).toBe(true);
    expect(expectSound(z.literal('Pod'), 'Pod')).toBe(true);
    expect(expectSound(z.enum(['TCP', 'UDP']), 'SCTP')).toBe(false);
    expect(expectSound(z.lazy(() => z.string()), 'x')).toBe(false);
  });

  it('decides refinements by running them, as zod does: refine, superRefine, z.custom; an async one is "not sure"', () => {
    const notNo = z.string().refine((s) => s !== 'no');
    expect([expectSound(notNo, 'x'), expectSound(notNo, 'no'), expectSound(notNo, 3)]).toEqual([true, false, false]);
    const pair = z.looseObject({ a: z.number(), b: z.number() }).superRefine((v, ctx) => {
      if (v.a > v.b) ctx.addIssue({ code: 'custom', message: 'a > b' });
    });
    expect([expectSound(pair, { a: 1, b: 2 }), expectSound(pair, { a: 3, b: 2 }), expectSound(pair, { a: 3 })]).toEqual([true, false, false]);
    const strings = z.custom<string[]>((v) => Array.isArray(v) && v.every((x) => typeof x === 'string'));
    expect([expectSound(strings, ['a']), expectSound(strings, ['a', 1]), expectSound(z.array(strings).min(1), [['a']]), expectSound(z.array(strings).min(1), [])]).toEqual([true, false, true, false]);
    const regex = z.string().regex(/^v\d/);
    expect([expectSound(regex, 'v1'), expectSound(regex, '1')]).toEqual([true, false]);
    // a global pattern keeps lastIndex between tests: each value is tested from its start, as zod does
    const global = z.string().regex(/^v\d/g);
    expect([expectSound(global, 'v1'), expectSound(global, 'v2'), expectSound(global, 'x')]).toEqual([true, true, false]);
    // zod's parse would have to await it: the fast path does not decide (and leaves no unhandled rejection)
    expect(identityCheck(z.string().refine(async () => Promise.reject(new Error('no')))) ('x')).toBe(false);
    // a check that rewrites the value is never taken
    expect(expectSound(z.string().trim().refine((s) => s.length > 0), ' x ')).toBe(false);
  });

  it('takes an optional field that is absent, or present as undefined, alike (as zod does); a field named like an Object member is read as given', () => {
    const shape = z.looseObject({ a: z.string().optional(), n: z.number().nullish() });
    expect([expectSound(shape, {}), expectSound(shape, { a: undefined }), expectSound(shape, { a: 'x', n: null }), expectSound(shape, { a: 1 })]).toEqual([true, true, true, false]);
    // absent, `constructor` reads Object's function through the prototype: not a string, so "not sure" (zod decides)
    const member = z.looseObject({ constructor: z.string().optional() });
    expect([expectSound(member, {}), expectSound(member, JSON.parse('{"constructor":"x"}')), expectSound(member, JSON.parse('{"constructor":1}'))]).toEqual([false, true, false]);
  });

  it('generates sound code for keys that are not identifiers and for nested arrays of objects', () => {
    const odd = z.looseObject({ 'a-b': z.string(), 'it"s\\': z.number().optional(), nested: z.array(z.looseObject({ 'x.y': z.boolean(), deeper: z.array(z.array(z.string())).nullish() })).nullish() });
    expect(expectSound(odd, { 'a-b': 'x', 'it"s\\': 1, nested: [{ 'x.y': true, deeper: [['a'], []] }] })).toBe(true);
    expect(expectSound(odd, { 'a-b': 'x', nested: [{ 'x.y': 'no' }] })).toBe(false);
    expect(expectSound(odd, { 'a-b': 'x', nested: [{ 'x.y': true, deeper: [['a', 1]] }] })).toBe(false);
    expect(expectSound(odd, { 'it"s\\': 1 })).toBe(false);
    expect(expectSound(odd, { 'a-b': 'x', 'it"s\\': '1' })).toBe(false);
  });

  it('decides checks as zod does: quick sufficient conditions, zod itself otherwise', () => {
    const name = z.string().min(2);
    expect(expectSound(name, 'ab')).toBe(true);
    expect(expectSound(name, 'a')).toBe(false);
    expect(expectSound(name, '😀')).toBe(false); // two UTF-16 units, one code point
    expect(expectSound(name, 'abcd')).toBe(true);
    for (const port of [{ containerPort: 80 }, { containerPort: 0 }, { containerPort: 65535, protocol: 'UDP' }, { containerPort: 65536 }, { containerPort: 80.5 }, { containerPort: '80' }, { name: 'http', containerPort: 8080, protocol: 'HTTP' }]) {
      expectSound(ContainerPort, port);
    }
    expect(identityCheck(ContainerPort)({ containerPort: 80 })).toBe(true);
    expect(identityCheck(ContainerPort)({ containerPort: 0 })).toBe(false);
    expect(identityCheck(ContainerPort)({ containerPort: 80.5 })).toBe(false);
  });

  it('takes transforms declared the identity on the values they keep (identityWhen)', () => {
    const nullToEmpty = identityWhen(
      z.string().nullable().transform((v) => v ?? ''),
      (v) => typeof v === 'string',
    );
    const map = z.record(z.string(), nullToEmpty);
    expect(expectSound(map, { a: 'x' })).toBe(true);
    expect(expectSound(map, { a: null })).toBe(false);
    expect(expectSound(PodTemplate, { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } })).toBe(true);
    expect(expectSound(PodTemplate, { metadata: { labels: { app: null } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } })).toBe(false);
  });
});
