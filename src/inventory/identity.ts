/**
 * A fast path for zod at the inventory's boundary (and the vulnerability database's: vulndb/validate.ts
 * admits OSV records through it). zod's `parse` returns a copy of every object it validates; for a
 * 30,000-pod snapshot that copy (and the garbage it leaves) costs more than the rest of the inventory,
 * and for 200,000 OSV records it was ~20 % of an in-thread import's CPU. `identityCheck(schema)` compiles a zod schema, from its own definition, into
 * a predicate that answers `true` only when `schema.safeParse(value)` would succeed AND return a
 * value equal to `value` (same keys, same values, nothing transformed), so the caller can keep the
 * parsed JSON as it is. `false` means "not sure": the caller runs zod as before, which gives the
 * result and the error message. zod stays the only definition of what is valid; this only skips
 * the copy when the copy would change nothing.
 *
 * Checks and refinements (`.regex`, `.min`, `.refine`, `.superRefine`, `z.custom`) are decided by
 * running the check itself, as zod's parse runs it, on a value whose type already passed: zod's rule
 * that a refinement never changes the value (a transform does) is what makes that sound. A check that
 * may rewrite the value (`overwrite`: trim, case) or an async one answers `false`.
 *
 * Conservative by construction: anything it does not model (defaults, lazies, transforms not declared
 * below, checks that rewrite values, strict or stripping objects with keys they do not know) answers
 * `false`.
 */
import type { z } from 'zod';

type Guard = (value: unknown) => boolean;

/**
 * Transforms that return their input unchanged when `when` holds (e.g. `null → ''` is the identity
 * on strings). Declared next to the transform, in schema.ts.
 */
const IDENTITY_WHEN = new WeakMap<z.ZodType, Guard>();

export function identityWhen<T extends z.ZodType>(schema: T, when: Guard): T {
  IDENTITY_WHEN.set(schema, when);
  return schema;
}

const compiled = new WeakMap<z.ZodType, Guard>();

/** The closure predicate for `schema` (compiled once per schema): the leaves of `identityCheck`'s generated code. */
function closureCheck(schema: z.ZodType): Guard {
  let guard = compiled.get(schema);
  if (guard === undefined) {
    guard = compile(schema);
    compiled.set(schema, guard);
  }
  return guard;
}

const generated = new WeakMap<z.ZodType, Guard>();

/**
 * The predicate for `schema`, generated once per schema as one function (nested objects, arrays,
 * records and optionals inlined) rather than a tree of closures: it runs once per object of a snapshot
 * (42,055 in bench/inventory), where the closures' megamorphic calls cost several times the generated
 * code. A string, array or object with checks is inlined too, its checks called after its type
 * (`checksGuard`). What it does not inline (other types with checks, literals, enums, custom types,
 * declared transforms) calls the closure predicate of that leaf (`closureCheck`), the same rules either way.
 */
export function identityCheck(schema: z.ZodType): Guard {
  let guard = generated.get(schema);
  if (guard === undefined) {
    guard = generate(schema);
    generated.set(schema, guard);
  }
  return guard;
}

function generate(schema: z.ZodType): Guard {
  const refs: unknown[] = [];
  const ref = (value: unknown): string => {
    refs.push(value);
    return `r[${refs.length - 1}]`;
  };
  let n = 0;
  const fresh = (prefix: string): string => `${prefix}${n++}`;
  const isPlainRef = ref(isPlain);
  /** Statements that `return false` unless `v` passes `s`. */
  const emit = (s: z.ZodType, v: string): string => {
    const def = internals(s).def;
    // Declared transforms: the closure predicate of that schema (same answer by construction).
    if (IDENTITY_WHEN.has(s)) return `if (!${ref(closureCheck(s))}(${v})) return false;`;
    const checks = def.checks ?? [];
    if (checks.length > 0) {
      if (!checks.every(readOnly)) return 'return false;';
      // the type inline, then the checks (zod runs them only on a value of the right type)
      if (def.type === 'string' || def.type === 'array' || def.type === 'object') return `${emitType(s, v)} if (!${ref(checksGuard(checks))}(${v})) return false;`;
      return `if (!${ref(closureCheck(s))}(${v})) return false;`;
    }
    return emitType(s, v);
  };
  const emitType = (s: z.ZodType, v: string): string => {
    const def = internals(s).def;
    switch (def.type) {
      case 'string':
        return `if (typeof ${v} !== 'string') return false;`;
      case 'number':
        return `if (typeof ${v} !== 'number' || !Number.isFinite(${v})) return false;`;
      case 'boolean':
        return `if (typeof ${v} !== 'boolean') return false;`;
      case 'null':
        return `if (${v} !== null) return false;`;
      case 'unknown':
      case 'any':
        return '';
      case 'optional': {
        const inner = internals(def.innerType as z.ZodType);
        if (inner.optin === 'defaulted') return 'return false;';
        const innerDef = inner.def;
        if (innerDef.type === 'nullable' && !IDENTITY_WHEN.has(def.innerType as z.ZodType) && (innerDef.checks?.length ?? 0) === 0) {
          return `if (${v} !== undefined && ${v} !== null) { ${emit(innerDef.innerType as z.ZodType, v)} }`;
        }
        return `if (${v} !== undefined) { ${emit(def.innerType as z.ZodType, v)} }`;
      }
      case 'nullable':
        return `if (${v} !== null) { ${emit(def.innerType as z.ZodType, v)} }`;
      case 'union': {
        const first = (def.options as z.ZodType[])[0];
        return first === undefined ? 'return false;' : emit(first, v);
      }
      case 'array': {
        const i = fresh('i');
        const e = fresh('e');
        return `if (!Array.isArray(${v})) return false; for (let ${i} = 0; ${i} < ${v}.length; ${i}++) { const ${e} = ${v}[${i}]; ${emit(def.element as z.ZodType, e)} }`;
      }
      case 'record': {
        const keyDef = internals(def.keyType as z.ZodType).def;
        if (keyDef.type !== 'string' || (keyDef.checks?.length ?? 0) > 0) return 'return false;';
        const k = fresh('k');
        const e = fresh('e');
        return `if (!${isPlainRef}(${v})) return false; for (const ${k} of Object.keys(${v})) { if (${k} === '__proto__') return false; const ${e} = ${v}[${k}]; ${emit(def.valueType as z.ZodType, e)} }`;
      }
      case 'object': {
        const shape = def.shape as Record<string, z.ZodType>;
        const catchall = def.catchall === undefined ? undefined : internals(def.catchall as z.ZodType).def.type;
        const loose = catchall === 'unknown' || catchall === 'any';
        let out = `if (!${isPlainRef}(${v})) return false;`;
        for (const [key, field] of Object.entries(shape)) {
          const f = fresh('f');
          const zf = internals(field);
          const absentOk = zf.optin === 'optional' && zf.optout === 'optional';
          const k = JSON.stringify(key);
          // A plain `.optional()` field accepts undefined, so absent and present-but-undefined need not be told
          // apart: its own code (emitType's 'optional') skips undefined, with no `in` lookup up the prototype
          // chain for each absent field (an OSV record leaves most of its optional fields out).
          if (absentOk && zf.def.type === 'optional' && (zf.def.checks?.length ?? 0) === 0 && !IDENTITY_WHEN.has(field)) out += ` { const ${f} = ${v}[${k}]; ${emit(field, f)} }`;
          else out += ` { const ${f} = ${v}[${k}]; if (${f} === undefined && !(${k} in ${v})) { ${absentOk ? '' : 'return false;'} } else { ${emit(field, f)} } }`;
        }
        out += ` if (Object.hasOwn(${v}, '__proto__')) return false;`;
        if (!loose) {
          const keys = ref(new Set(Object.keys(shape)));
          const k = fresh('k');
          out += ` for (const ${k} in ${v}) if (!${keys}.has(${k})) return false;`;
        }
        return out;
      }
      default:
        // Literals, enums, pipes and the rest: the closure predicate.
        return `if (!${ref(closureCheck(s))}(${v})) return false;`;
    }
  };
  const body = `return function identity(v) { ${emit(schema, 'v')} return true; };`;
  let factory: (r: unknown[]) => Guard;
  try {
    // Generated from our own schema definitions only (keys are JSON-quoted; values reach the code as `r[i]`), never from input.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    factory = new Function('r', body) as (r: unknown[]) => Guard;
  } catch {
    // node --disallow-code-generation-from-strings: the closures answer alike, only slower.
    return closureCheck(schema);
  }
  return factory(refs);
}

const never: Guard = () => false;
const always: Guard = () => true;

/**
 * Checks that only accept or reject (never rewrite the value), run as zod runs them (ownCheck). `custom`
 * is `.refine`, `.superRefine` and `z.custom`: zod requires refinements not to change the value.
 */
const READ_ONLY_CHECKS = new Set(['min_length', 'max_length', 'length_equals', 'greater_than', 'less_than', 'number_format', 'string_format', 'multiple_of', 'custom']);

/** A zod check as its own code sees it: `when` decides whether it applies, `check` adds issues to the payload. */
interface Check {
  _zod: { def: { check: string; when?: ((payload: Payload) => boolean) | undefined }; check: (payload: Payload) => unknown };
}
interface Payload {
  value: unknown;
  issues: unknown[];
}

function readOnly(check: Check): boolean {
  return READ_ONLY_CHECKS.has(check._zod.def.check);
}

/**
 * Whether `check` passes on `value` (whose type already passed): the check's own code on a payload, as zod's
 * parse runs it. An async check (a Promise) is "not sure".
 */
function ownCheck(check: Check, value: unknown): boolean {
  const payload: Payload = { value, issues: [] };
  const when = check._zod.def.when;
  if (when !== undefined && !when(payload)) return true;
  const result = check._zod.check(payload);
  if (result instanceof Promise) {
    // not awaited: keep a rejection from surfacing as unhandled
    result.catch(() => undefined);
    return false;
  }
  return payload.issues.length === 0;
}

/** All of `checks` on a value of the right type: cheap sufficient conditions first, else the check's own code. */
function checksGuard(checks: readonly Check[]): Guard {
  const guards = checks.map((c): Guard => {
    const quick = quickCheck(c._zod.def);
    return quick === undefined ? (v) => ownCheck(c, v) : (v) => quick(v) || ownCheck(c, v);
  });
  if (guards.length === 1) return guards[0] as Guard;
  return (v) => {
    for (const g of guards) if (!g(v)) return false;
    return true;
  };
}

interface Internals {
  def: { type: string; checks?: Check[] } & Record<string, unknown>;
  optin?: 'optional' | 'defaulted' | undefined;
  optout?: 'optional' | undefined;
}
function internals(schema: z.ZodType): Internals {
  return (schema as unknown as { _zod: Internals })._zod;
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function compile(schema: z.ZodType): Guard {
  const when = IDENTITY_WHEN.get(schema);
  const zod = internals(schema);
  const def = zod.def;
  const checks = def.checks ?? [];
  if (!checks.every(readOnly)) return never;
  const base = compileType(schema, def);
  let checked = base;
  if (checks.length > 0) {
    const all = checksGuard(checks);
    checked = (value) => base(value) && all(value);
  }
  return when === undefined ? checked : (value) => when(value) && checked(value);
}

interface CheckDef {
  check: string;
  when?: unknown;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
  format?: string;
  pattern?: unknown;
}

/** A predicate that implies the check passes (never the other way round), or undefined. */
function quickCheck(def: CheckDef): Guard | undefined {
  if (def.when !== undefined && def.check !== 'min_length') return undefined;
  switch (def.check) {
    case 'min_length': {
      // A code point is one or two UTF-16 units: twice the floor in units always clears it.
      const min = def.minimum;
      return typeof min === 'number' ? (v) => typeof v === 'string' && v.length >= 2 * min : undefined;
    }
    case 'greater_than': {
      const bound = def.value;
      if (typeof bound !== 'number') return undefined;
      return def.inclusive === true ? (v) => typeof v === 'number' && v >= bound : (v) => typeof v === 'number' && v > bound;
    }
    case 'less_than': {
      const bound = def.value;
      if (typeof bound !== 'number') return undefined;
      return def.inclusive === true ? (v) => typeof v === 'number' && v <= bound : (v) => typeof v === 'number' && v < bound;
    }
    case 'number_format':
      return def.format === 'safeint' ? (v) => Number.isSafeInteger(v) : undefined;
    case 'string_format': {
      // `.regex(pattern)`: zod's check is this test (the other formats, e.g. url, may check more than a pattern)
      const pattern = def.pattern;
      if (def.format !== 'regex' || !(pattern instanceof RegExp)) return undefined;
      return (v) => {
        pattern.lastIndex = 0;
        return typeof v === 'string' && pattern.test(v);
      };
    }
    default:
      return undefined;
  }
}

function compileType(schema: z.ZodType, def: Internals['def']): Guard {
  switch (def.type) {
    case 'string':
      return (v) => typeof v === 'string';
    case 'number':
      return (v) => typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'null':
      return (v) => v === null;
    case 'unknown':
    case 'any':
      return always;
    case 'literal': {
      const values = def.values as unknown[];
      return (v) => values.includes(v);
    }
    case 'enum': {
      const values = new Set(Object.values(def.entries as Record<string, unknown>));
      return (v) => values.has(v);
    }
    case 'optional': {
      const inner = internals(def.innerType as z.ZodType);
      if (inner.optin === 'defaulted') return never;
      const innerDef = inner.def;
      if (innerDef.type === 'nullable' && IDENTITY_WHEN.get(def.innerType as z.ZodType) === undefined && (innerDef.checks?.length ?? 0) === 0) {
        // `.nullish()`: one test instead of two nested guards.
        const guard = closureCheck(innerDef.innerType as z.ZodType);
        return (v) => v === undefined || v === null || guard(v);
      }
      const guard = closureCheck(def.innerType as z.ZodType);
      return (v) => v === undefined || guard(v);
    }
    case 'nullable': {
      const guard = closureCheck(def.innerType as z.ZodType);
      return (v) => v === null || guard(v);
    }
    case 'union': {
      // zod returns the first option that succeeds: the value is kept only when that is the first option.
      const options = def.options as z.ZodType[];
      const first = options[0];
      return first === undefined ? never : closureCheck(first);
    }
    case 'custom':
      // z.custom: the schema is its own check (zod runs its function on the value)
      return (v) => ownCheck(schema as unknown as Check, v);
    case 'pipe':
      // A pipe whose transform is declared the identity (identityWhen) on the values it lets through.
      return IDENTITY_WHEN.has(schema) ? closureCheck(def.in as z.ZodType) : never;
    case 'array':
      return compileArray(def);
    case 'record':
      return compileRecord(def);
    case 'object':
      return compileObject(def);
    default:
      return never;
  }
}

function compileArray(def: Internals['def']): Guard {
  // Length checks are on the array, not the element: evaluated by `compile` through zod.
  const element = closureCheck(def.element as z.ZodType);
  return (v) => {
    if (!Array.isArray(v)) return false;
    for (let i = 0; i < v.length; i++) if (!element(v[i])) return false;
    return true;
  };
}

function compileRecord(def: Internals['def']): Guard {
  const key = def.keyType as z.ZodType;
  const keyDef = internals(key).def;
  // Only records keyed by any string: enumerated keys and key checks change which keys survive.
  if (keyDef.type !== 'string' || (keyDef.checks?.length ?? 0) > 0) return never;
  const value = closureCheck(def.valueType as z.ZodType);
  return (v) => {
    if (!isPlain(v)) return false;
    // Own enumerable string keys, as zod's record reads them.
    for (const k of Object.keys(v)) {
      if (k === '__proto__' || !value(v[k])) return false;
    }
    return true;
  };
}

function compileObject(def: Internals['def']): Guard {
  const shape = def.shape as Record<string, z.ZodType>;
  const keys = Object.keys(shape);
  const keySet = new Set(keys);
  const fields = Object.entries(shape).map(([key, schema]) => {
    const field = internals(schema);
    return { key, guard: closureCheck(schema), absentOk: field.optin === 'optional' && field.optout === 'optional' };
  });
  const catchall = def.catchall === undefined ? undefined : internals(def.catchall as z.ZodType).def.type;
  // looseObject (catchall unknown) keeps every other key as it is; z.object strips them and strictObject rejects them.
  const loose = catchall === 'unknown' || catchall === 'any';
  return (v) => {
    if (!isPlain(v)) return false;
    for (const field of fields) {
      const value = v[field.key];
      if (value === undefined && !(field.key in v)) {
        if (!field.absentOk) return false;
      } else if (!field.guard(value)) return false;
    }
    if (Object.prototype.hasOwnProperty.call(v, '__proto__')) return false;
    if (!loose) {
      for (const k in v) if (!keySet.has(k)) return false;
    }
    return true;
  };
}
