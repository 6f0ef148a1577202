/**
 * Platforms (OCI image-index.md `platform`): parse `os/arch[/variant]`, the default of the machine
 * runwarden runs on, and choose a manifest from an index the way containerd's platform matcher does
 * (normalised architecture names; arm64 without variant = v8; arm without variant = v7).
 */
import { RegistryError, UsageError } from '../core/errors.js';
import type { Descriptor, Platform } from './schema.js';

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', x86: '386', i386: '386', i686: '386', aarch64: 'arm64', armhf: 'arm', armel: 'arm' };

/** Normalised copy: lower-case os, canonical architecture, default variants made explicit. */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (p.architecture === 'armhf') variant ??= 'v7';
  if (p.architecture === 'armel') variant ??= 'v6';
  architecture = ARCH_ALIASES[architecture] ?? architecture;
  if (architecture === 'arm64' && (variant === undefined || variant === '8')) variant = 'v8';
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (architecture === 'arm' && variant !== undefined && /^[5-8]$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  const out: Platform = { os, architecture };
  if (variant !== undefined) out.variant = variant;
  if (p['os.version'] !== undefined) out['os.version'] = p['os.version'];
  return out;
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((s) => s !== undefined && s !== '').join('/');
}

/** Parse `--platform os/arch[/variant]`, e.g. `linux/amd64`, `linux/arm64/v8`. */
export function parsePlatform(text: string, where = '--platform'): Platform {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-zA-Z0-9_.-]+$/.test(p))) {
    throw new UsageError(`Invalid ${where} "${text}": expected os/architecture[/variant], e.g. "linux/amd64" or "linux/arm64/v8".`);
  }
  const [os = '', architecture = '', variant] = parts;
  return normalizePlatform(variant === undefined ? { os, architecture } : { os, architecture, variant });
}

/** The platform of the machine runwarden runs on (`linux/amd64` on x64 Linux). */
export function defaultPlatform(): Platform {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips64el: 'mips64le' };
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return normalizePlatform({ os, architecture: arch[process.arch] ?? process.arch });
}

/** Does `have` run `want`? Same os and architecture; the variant must match when either names one. */
export function platformMatches(want: Platform, have: Platform): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  return w.os === h.os && w.architecture === h.architecture && (w.variant ?? '') === (h.variant ?? '');
}

/**
 * The manifest of an index for `want`. Entries without a platform, and attestation manifests
 * (`unknown/unknown`), are never chosen. Throws a RegistryError listing what the index offers.
 */
export function selectPlatform(manifests: readonly Descriptor[], want: Platform, where: string): Descriptor {
  const candidates = manifests.filter((m) => m.platform !== undefined && m.platform.os !== 'unknown');
  const match = candidates.find((m) => m.platform !== undefined && platformMatches(want, m.platform));
  if (match !== undefined) return match;
  const offered = candidates.map((m) => (m.platform === undefined ? '' : formatPlatform(normalizePlatform(m.platform)))).filter((s) => s !== '');
  throw new RegistryError('platform-not-found', `${where} has no image for platform ${formatPlatform(want)}; it offers ${offered.length === 0 ? 'no platform-specific images' : offered.join(', ')}`, {
    hint: offered.length === 0 ? 'The index lists no platforms: pick a manifest by digest instead.' : `Pass --platform ${offered[0]} (or another listed platform).`,
  });
}

/** For a single-platform image when the user asked for a platform: it must be that one. */
export function assertPlatform(want: Platform, have: Platform, what: string): void {
  if (platformMatches(want, have)) return;
  throw new RegistryError('platform-mismatch', `${what} is a ${formatPlatform(normalizePlatform(have))} image, not ${formatPlatform(want)}, and has no index of other platforms`, {
    hint: `Drop --platform, or pass --platform ${formatPlatform(normalizePlatform(have))}.`,
  });
}
