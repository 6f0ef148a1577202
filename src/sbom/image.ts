/**
 * An image → the SBOM document: one pass over its layers with every cataloger (src/catalog), then
 * the image's identity (name, digest, config digest, platform, layers) as the subject. Layer and
 * cataloger issues travel with the document; a layer that could not be read whole marks it incomplete.
 */
import { catalogers, catalogImage, type CatalogResult } from '../catalog/index.js';
import type { ImageAnalysis } from '../image/analysis/run.js';
import { analyzeImage, type AnalyzeOptions } from '../image/analysis/run.js';
import type { ImageHandle } from '../image/types.js';
import { formatPlatform } from '../registry/platform.js';
import { VERSION } from '../version.js';
import type { SbomDocument, SbomSubject } from './model.js';

export function subjectOf(handle: ImageHandle): SbomSubject {
  return {
    input: handle.input,
    source: handle.source,
    name: handle.name,
    digest: handle.digest,
    configDigest: handle.configDigest,
    platform: formatPlatform(handle.platform),
    layers: handle.layers.map((l) => l.digest),
  };
}

/** The document for an analysis that ran `catalogers()` (the caller may have run other analysers in the same pass). */
export function sbomOfAnalysis(analysis: ImageAnalysis, catalog: CatalogResult = catalogImage(analysis), created = new Date()): SbomDocument {
  const seen = new Set<string>();
  const issues = [...analysis.issues, ...catalog.issues].filter((i) => {
    const k = `${i.code}\u0000${i.message}\u0000${i.location ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return {
    subject: subjectOf(analysis.image),
    os: catalog.os,
    packages: catalog.packages,
    dependencies: catalog.dependencies,
    issues,
    complete: analysis.complete,
    created,
    tool: { name: 'runwarden', version: VERSION },
  };
}

/** Catalog an opened image and describe it. */
export async function imageSbom(handle: ImageHandle, options: AnalyzeOptions & { created?: Date | undefined } = {}): Promise<SbomDocument> {
  const analysis = await analyzeImage(handle, catalogers(), options);
  return sbomOfAnalysis(analysis, catalogImage(analysis), options.created ?? new Date());
}
