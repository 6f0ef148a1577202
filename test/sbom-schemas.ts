/**
 * Validate SBOMs against the OFFICIAL JSON schemas copied into testdata/upstream (CycloneDX 1.6 with
 * its spdx and jsf references; SPDX 2.3) with a real JSON-schema validator (ajv 8 + ajv-formats).
 * ajv-formats has no `iri-reference`/`idn-email` (CycloneDX uses both): they are checked here with
 * the WHATWG URL parser and a plain address shape, never skipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';

const UPSTREAM = fileURLToPath(new URL('../testdata/upstream/', import.meta.url));
const load = (path: string): Record<string, unknown> => JSON.parse(readFileSync(join(UPSTREAM, path), 'utf8')) as Record<string, unknown>;

function iriReference(value: string): boolean {
  if (/\s/.test(value)) return false;
  try {
    new URL(value, 'http://relative.invalid/');
    return true;
  } catch {
    return false;
  }
}

let cyclonedx: ValidateFunction | undefined;
let spdx: ValidateFunction | undefined;

function cdxValidator(): ValidateFunction {
  if (cyclonedx !== undefined) return cyclonedx;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addFormat('iri-reference', iriReference);
  ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/);
  // bom-1.6 refers to its neighbours by the file names the library gave them ("…SNAPSHOT.schema.json").
  ajv.addSchema({ ...load('cyclonedx-schema/spdx.SNAPSHOT.schema.json'), $id: 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json' });
  ajv.addSchema({ ...load('cyclonedx-schema/jsf-0.82.SNAPSHOT.schema.json'), $id: 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json' });
  cyclonedx = ajv.compile(load('cyclonedx-schema/bom-1.6.SNAPSHOT.schema.json'));
  return cyclonedx;
}

function spdxValidator(): ValidateFunction {
  if (spdx !== undefined) return spdx;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  addFormats.default(ajv);
  spdx = ajv.compile(load('spdx-schema/spdx-schema.json'));
  return spdx;
}

function explain(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** [] when the document is valid CycloneDX 1.6, else ajv's errors as lines. */
export function cycloneDxErrors(doc: unknown): string[] {
  const v = cdxValidator();
  return v(doc) ? [] : explain(v.errors);
}

/** [] when the document is valid SPDX 2.3, else ajv's errors as lines. */
export function spdxErrors(doc: unknown): string[] {
  const v = spdxValidator();
  return v(doc) ? [] : explain(v.errors);
}
