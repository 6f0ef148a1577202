/**
 * Who puts a workload's spec back after `fix` patches it: a Helm release, an Argo CD application or a Flux
 * Kustomization / HelmRelease, read from the marks each tool leaves on the objects it applies. A patch of such a
 * workload is a hotfix that lasts until the next `helm upgrade` or sync; the plan says so, and where the change has
 * to be made for it to stay.
 *
 * The marks (each tool's documented metadata):
 * - Argo CD: the `argocd.argoproj.io/tracking-id` annotation (`<app>:<group>/<kind>:<namespace>/<name>`, annotation
 *   tracking) or the `argocd.argoproj.io/instance` label (label tracking under that key). Argo CD's default tracking
 *   label before 3.0, `app.kubernetes.io/instance`, is not read: Helm charts set it to the release name too.
 * - Flux: the `kustomize.toolkit.fluxcd.io/{name,namespace}` labels (kustomize-controller) and
 *   `helm.toolkit.fluxcd.io/{name,namespace}` (helm-controller).
 * - Helm 3: the `meta.helm.sh/release-{name,namespace}` annotations it sets on every object of a release, else the
 *   `app.kubernetes.io/managed-by: Helm` label charts set (the release then from `app.kubernetes.io/instance`);
 *   the chart from the `helm.sh/chart` label.
 * A GitOps controller comes first: it reverts a patch at its next sync, also when it deploys a Helm chart.
 */

export interface ManagedBy {
  tool: 'argo-cd' | 'flux' | 'helm';
  /** `Argo CD application shop`, `Flux HelmRelease infra/ingress`, `Helm release monitoring/prometheus (chart prometheus-25.27.0)`. */
  owner: string;
  /** What happens to a patch of the live object, and where to make the change instead. */
  note: string;
}

type Strings = Record<string, unknown>;

function strings(value: unknown): Strings {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Strings) : {};
}

function text(map: Strings, key: string): string | undefined {
  const value = map[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The tool that manages the object `raw` (a workload as the API returned it), or undefined when none is marked. */
export function managedBy(raw: unknown): ManagedBy | undefined {
  const metadata = strings(strings(raw).metadata);
  const labels = strings(metadata.labels);
  const annotations = strings(metadata.annotations);
  const namespace = text(metadata, 'namespace');

  const tracking = text(annotations, 'argocd.argoproj.io/tracking-id');
  // `<app>:<group>/<kind>:<namespace>/<name>`; an application outside Argo CD's own namespace is `<namespace>_<app>`
  const app = tracking !== undefined && tracking.includes(':') ? tracking.slice(0, tracking.indexOf(':')).replace('_', '/') : text(labels, 'argocd.argoproj.io/instance');
  if (app !== undefined && app !== '') {
    const owner = `Argo CD application ${app}`;
    return { tool: 'argo-cd', owner, note: `managed by ${owner}: a sync (at once with automated self-heal) puts back the image its source gives; change the image in the application's source for the fix to stay (fix --manifests edits a checkout of it)` };
  }

  const release = flux(labels, 'helm.toolkit.fluxcd.io', namespace);
  if (release !== undefined) {
    const owner = `Flux HelmRelease ${release}`;
    return { tool: 'flux', owner, note: `managed by ${owner}: its next reconciliation puts the chart's image back; set the new image in the HelmRelease's values for the fix to stay (fix --manifests edits them)` };
  }
  const kustomization = flux(labels, 'kustomize.toolkit.fluxcd.io', namespace);
  if (kustomization !== undefined) {
    const owner = `Flux Kustomization ${kustomization}`;
    return { tool: 'flux', owner, note: `managed by ${owner}: its next reconciliation puts back the image its source gives; change the image in the source for the fix to stay (fix --manifests edits a checkout of it)` };
  }

  const helmManaged = text(labels, 'app.kubernetes.io/managed-by')?.toLowerCase() === 'helm';
  const name = text(annotations, 'meta.helm.sh/release-name') ?? (helmManaged ? text(labels, 'app.kubernetes.io/instance') : undefined);
  if (name === undefined && !helmManaged) return undefined;
  const releaseNamespace = text(annotations, 'meta.helm.sh/release-namespace') ?? namespace;
  const chart = text(labels, 'helm.sh/chart');
  const qualified = name === undefined ? undefined : releaseNamespace === undefined ? name : `${releaseNamespace}/${name}`;
  const owner = `Helm release${qualified === undefined ? '' : ` ${qualified}`}${chart === undefined ? '' : ` (chart ${chart})`}`;
  const values = name === undefined ? '' : ` (helm get values ${name}${releaseNamespace === undefined ? '' : ` -n ${releaseNamespace}`})`;
  return { tool: 'helm', owner, note: `managed by ${owner}: the next helm upgrade puts the chart's image back; set the new image in the release's values${values} for the fix to stay (fix --manifests edits a values file)` };
}

/** `namespace/name` of a Flux object from its labels under `group`, or undefined. */
function flux(labels: Strings, group: string, objectNamespace: string | undefined): string | undefined {
  const name = text(labels, `${group}/name`);
  if (name === undefined) return undefined;
  const namespace = text(labels, `${group}/namespace`) ?? objectNamespace;
  return namespace === undefined ? name : `${namespace}/${name}`;
}
