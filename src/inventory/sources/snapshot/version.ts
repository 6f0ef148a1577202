/**
 * The control plane's version in a snapshot: `version.json` at the snapshot directory's root, the
 * output of `kubectl version -o json` (`serverVersion.gitVersion`) or of `kubectl get --raw /version`
 * (`gitVersion`). It is not a Kubernetes object, so the snapshot reader leaves it out of the objects
 * (`SNAPSHOT_VERSION_FILE`) and hands it on as `SourceResult.controlPlane`. A file that cannot be
 * read or holds no server version is an issue there (lifecycle: control plane unknown), never a guess.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../../../core/errors.js';
import { issue } from '../../../core/issue.js';
import type { ControlPlaneVersion } from '../../source.js';

export const SNAPSHOT_VERSION_FILE = 'version.json';

const Info = z.looseObject({ gitVersion: z.string().regex(/^v?\d+\.\d+/) });
const KubectlVersion = z.looseObject({ clientVersion: z.unknown().optional(), serverVersion: Info.optional() });

/** The control plane's version from `<dir>/version.json`; undefined when the snapshot is a file or has none. */
export async function readSnapshotVersion(dir: string, displayRoot: string): Promise<ControlPlaneVersion | undefined> {
  const file = join(dir, SNAPSHOT_VERSION_FILE);
  const info = await stat(file).catch(() => undefined);
  if (info?.isFile() !== true) return undefined;
  const location = `${displayRoot}/${SNAPSHOT_VERSION_FILE}`;
  const unknown = (why: string): ControlPlaneVersion => ({
    location,
    issue: issue('snapshot-version-invalid', `${location}: ${why}; control-plane end of life and kubelet skew are unknown`, location, 'Save it with "kubectl version -o json > version.json" while connected to the cluster, or pass --control-plane-version v1.x.y.'),
  });
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    return unknown(`not readable JSON (${errorMessage(error)})`);
  }
  const direct = Info.safeParse(value);
  if (direct.success) return { gitVersion: direct.data.gitVersion, location };
  const kubectl = KubectlVersion.safeParse(value);
  if (kubectl.success && kubectl.data.serverVersion !== undefined) return { gitVersion: kubectl.data.serverVersion.gitVersion, location };
  if (kubectl.success && kubectl.data.clientVersion !== undefined) return unknown('has a clientVersion but no serverVersion (kubectl could not reach the cluster when it was saved)');
  return unknown('holds neither "gitVersion" (GET /version) nor "serverVersion.gitVersion" (kubectl version -o json)');
}
