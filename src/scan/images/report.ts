/**
 * The report of `runwarden image scan`: the same ScanReport every format renders (table, JSON,
 * SARIF), with the image as its source, plus a short description of the image (OS, packages per
 * ecosystem, layers) for the table's heading.
 */
import type { ScanReport } from '../../core/report.js';
import { formatBytes } from '../../core/format.js';
import { vulnerabilityReport } from '../../vulndb/report.js';
import type { ImageScan } from './index.js';

export function imageScanReport(scan: ImageScan, options: { location: string; now: Date }): ScanReport {
  const report = vulnerabilityReport(scan.findings.map((f) => f.finding), scan.issues, { type: 'image', location: options.location }, options.now, { images: 1, packages: scan.packages.packages.length });
  return report;
}

/** Lines describing the image: name, digest, platform, OS, packages per ecosystem, where they came from. */
export function describeImageScan(scan: ImageScan): string[] {
  const lines: string[] = [];
  const image = scan.image;
  if (image !== undefined) {
    lines.push(`Image     ${image.name ?? image.input}  (${image.source})`);
    lines.push(`Digest    ${image.digest ?? '(none: a docker-archive stores no manifest)'}`);
    lines.push(`Platform  ${image.platform}, ${image.layers.length} layers, ${formatBytes(image.layers.reduce((n, l) => n + l.size, 0))}`);
  }
  const os = scan.os;
  lines.push(`OS        ${os === undefined ? 'unknown (no os-release)' : `${os.id} ${os.release}${os.codename === undefined ? '' : ` (${os.codename})`}`}`);
  const byEcosystem = new Map<string, number>();
  for (const p of scan.packages.packages) byEcosystem.set(p.ecosystem, (byEcosystem.get(p.ecosystem) ?? 0) + 1);
  const counts = [...byEcosystem.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([e, n]) => `${e} ${n}`);
  lines.push(`Packages  ${scan.packages.packages.length}${counts.length === 0 ? '' : ` (${counts.join(', ')})`}${scan.packages.kind === 'sbom' ? `, from ${scan.packages.origin}` : ''}`);
  if (!scan.complete) lines.push('Partial   a layer was rejected or not read to its end: see the issues');
  return lines;
}
