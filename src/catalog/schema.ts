/**
 * The per-file values catalogers keep (JSON, cached per layer and re-validated with these schemas when
 * read back). A record is a package as the file describes it, before the image-wide facts are known:
 * the OS (which decides Debian vs Ubuntu, the purl namespace and `distro` qualifier) and the layer.
 */
import { z } from 'zod';

/** purl types the catalogers produce (https://github.com/package-url/purl-spec/blob/main/PURL-TYPES.rst). */
export const PURL_TYPES = ['deb', 'apk', 'rpm', 'npm', 'pypi', 'golang', 'maven', 'gem', 'cargo', 'nuget', 'composer'] as const;
export type PurlType = (typeof PURL_TYPES)[number];

export const PackageRecord = z.object({
  name: z.string().min(1),
  version: z.string(),
  type: z.enum(PURL_TYPES),
  /** purl namespace when the type has one of its own (npm scope, maven group, golang module path prefix). */
  namespace: z.string().optional(),
  /** Language packages: their OSV ecosystem. OS packages: unset, decided by the OS of the image. */
  ecosystem: z.string().optional(),
  source: z.object({ name: z.string(), version: z.string().optional() }).optional(),
  arch: z.string().optional(),
  epoch: z.number().int().nonnegative().optional(),
  licenses: z.array(z.string()).optional(),
  vendor: z.string().optional(),
  /** Package or file checksum as `algo:hex` (apk `C:`), when the database records one. */
  checksum: z.string().optional(),
  /** Virtual names the package provides (apk `p:`, dpkg `Provides:`). */
  provides: z.array(z.string()).optional(),
  /** Extra purl qualifiers (rpm `upstream`, apk none, …). */
  qualifiers: z.record(z.string(), z.string()).optional(),
  /** Inside the file: a nested archive path (`app.war!/WEB-INF/lib/x.jar`) or a lock-file entry. */
  inner: z.string().optional(),
  /**
   * What the package depends on, as its database says, in the cataloger's own reference syntax (its
   * `link` resolves them within the image: links.ts). Absent: the source does not say (unknown); `[]`:
   * it says there are none. A reference starting with `?` is optional (an edge only when the target is
   * installed, never reported unresolved).
   */
  dependsOn: z.array(z.string()).optional(),
});
export type PackageRecord = z.infer<typeof PackageRecord>;

export const FileValue = z.object({ packages: z.array(PackageRecord) });
export type FileValue = z.infer<typeof FileValue>;
