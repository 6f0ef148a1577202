/**
 * Vulnerabilities of an image: its packages (catalogued from its layers, or from an SBOM about it)
 * matched against the local advisory database (vulndb/match). Each finding also says which layer
 * introduced the package and the build step that made that layer (config history), so a person
 * knows whether to rebuild on a new base image or bump an application dependency.
 */
import type { Finding } from '../../../../core/finding.js';
import type { PackageLocation } from '../../../../core/package.js';
import type { ImageHandle } from '../../../../image/types.js';
import { VULNERABILITY_RULE, matchPackages } from '../../../../vulndb/match/index.js';
import type { ContributorResult, ImageContext, ImageContributor } from '../../contributor.js';

export const vulnerabilities: ImageContributor = {
  id: 'vulnerabilities',
  description: 'packages matched against the vulnerability database, with the layer that introduced each',
  rules: [VULNERABILITY_RULE],
  needsImage: false,
  contribute(ctx: ImageContext): ContributorResult {
    if (ctx.db === undefined) return { findings: [], issues: [] };
    const result = matchPackages(ctx.db, ctx.packages.packages, { subject: ctx.subject });
    const layers = ctx.image === undefined ? undefined : layerSteps(ctx.image);
    return {
      findings: result.findings.map((f) => ({ finding: layers === undefined ? f : withLayer(f, layers), key: vulnerabilityKey(f) })),
      issues: result.issues,
    };
  },
};

/**
 * The fingerprint key vulndb/match gives a vulnerability finding (primary id, ecosystem, name,
 * version): the same advisory on the same package keeps its id when the finding moves to a container.
 */
export function vulnerabilityKey(f: Finding): string {
  const pkg = (f.evidence.package ?? {}) as { ecosystem?: unknown; name?: unknown; version?: unknown };
  return [f.evidence.vulnerability, pkg.ecosystem, pkg.name, pkg.version].map((v) => (typeof v === 'string' ? v : '')).join('\0');
}

interface LayerStep {
  index: number;
  digest: string;
  createdBy: string | undefined;
}

/**
 * Layer digest → its position and build step. Config history has one entry per build step; those
 * with `empty_layer` made no layer (image-spec config.md), so the others pair with the layers in order.
 * When the counts disagree (a hand-edited config), the step is left out rather than guessed.
 */
export function layerSteps(image: ImageHandle): Map<string, LayerStep> {
  const producing = (image.config.history ?? []).filter((h) => h.empty_layer !== true);
  const aligned = producing.length === image.layers.length;
  return new Map(image.layers.map((l) => [l.digest, { index: l.index, digest: l.digest, createdBy: aligned ? producing[l.index]?.created_by : undefined }]));
}

/** `evidence.layer` and a location (path in the image, layer) for the package's first location in a layer. */
function withLayer(f: Finding, layers: ReadonlyMap<string, LayerStep>): Finding {
  const locations = ((f.evidence.package as { locations?: PackageLocation[] } | undefined)?.locations ?? []).filter((l) => l.layer !== undefined);
  const first = locations[0];
  const step = first?.layer === undefined ? undefined : layers.get(first.layer);
  if (first === undefined || step === undefined) return f;
  const layer: Record<string, unknown> = { index: step.index, digest: step.digest };
  if (step.createdBy !== undefined) layer.createdBy = step.createdBy;
  return {
    ...f,
    evidence: { ...f.evidence, layer },
    location: { file: first.path, field: `layer ${step.index + 1}/${layers.size} ${step.digest.slice(0, 19)}` },
  };
}
