import { describe, expect, it } from 'vitest';
import { managedBy } from './owner.js';

/** A Deployment's object with these labels and annotations (as the API returns it). */
const deployment = (labels: Record<string, unknown> = {}, annotations: Record<string, unknown> = {}, namespace = 'shop'): unknown => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace, labels, annotations }, spec: {} });

describe('managedBy: who puts a patched workload back', () => {
  it('Helm 3: the release from its annotations, the chart from its label', () => {
    const m = managedBy(deployment({ 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': 'web-1.4.0', 'app.kubernetes.io/instance': 'web' }, { 'meta.helm.sh/release-name': 'shop-web', 'meta.helm.sh/release-namespace': 'apps' }));
    expect(m).toEqual({
      tool: 'helm',
      owner: 'Helm release apps/shop-web (chart web-1.4.0)',
      note: "managed by Helm release apps/shop-web (chart web-1.4.0): the next helm upgrade puts the chart's image back; set the new image in the release's values (helm get values shop-web -n apps) for the fix to stay (fix --manifests edits a values file)",
    });
  });

  it('Helm by the managed-by label alone: the release from app.kubernetes.io/instance, the namespace the object\'s', () => {
    expect(managedBy(deployment({ 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': 'web' }))?.owner).toBe('Helm release shop/web');
    expect(managedBy(deployment({ 'app.kubernetes.io/managed-by': 'helm' }))).toMatchObject({ tool: 'helm', owner: 'Helm release' });
  });

  it('Argo CD: the application from the tracking-id annotation (another namespace\'s as namespace/name) or its instance label', () => {
    expect(managedBy(deployment({}, { 'argocd.argoproj.io/tracking-id': 'storefront:apps/Deployment:shop/web' }))).toMatchObject({ tool: 'argo-cd', owner: 'Argo CD application storefront' });
    expect(managedBy(deployment({}, { 'argocd.argoproj.io/tracking-id': 'team-a_storefront:apps/Deployment:shop/web' }))?.owner).toBe('Argo CD application team-a/storefront');
    expect(managedBy(deployment({ 'argocd.argoproj.io/instance': 'storefront' }))?.owner).toBe('Argo CD application storefront');
    // a chart deployed by Argo CD: the sync reverts the patch before any helm upgrade
    expect(managedBy(deployment({ 'app.kubernetes.io/managed-by': 'Helm' }, { 'argocd.argoproj.io/tracking-id': 'ingress:apps/Deployment:shop/web' }))?.tool).toBe('argo-cd');
  });

  it('Flux: a HelmRelease before a Kustomization (the Kustomization that applied the HelmRelease labels it too)', () => {
    const helmRelease = managedBy(
      deployment({ 'helm.toolkit.fluxcd.io/name': 'ingress', 'helm.toolkit.fluxcd.io/namespace': 'flux-system', 'kustomize.toolkit.fluxcd.io/name': 'infra', 'app.kubernetes.io/managed-by': 'Helm' }, { 'meta.helm.sh/release-name': 'ingress' }),
    );
    expect(helmRelease).toEqual({ tool: 'flux', owner: 'Flux HelmRelease flux-system/ingress', note: "managed by Flux HelmRelease flux-system/ingress: its next reconciliation puts the chart's image back; set the new image in the HelmRelease's values for the fix to stay (fix --manifests edits them)" });
    expect(managedBy(deployment({ 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' }))?.owner).toBe('Flux Kustomization flux-system/apps');
  });

  it('nothing marked, or marks that are not strings: undefined; app.kubernetes.io/instance alone is no owner (charts set it too)', () => {
    expect(managedBy(deployment())).toBeUndefined();
    expect(managedBy(deployment({ 'app.kubernetes.io/instance': 'web', 'app.kubernetes.io/managed-by': 'kustomize' }))).toBeUndefined();
    expect(managedBy(deployment({ 'argocd.argoproj.io/instance': 7, 'kustomize.toolkit.fluxcd.io/name': '' }, { 'meta.helm.sh/release-name': ['x'] }))).toBeUndefined();
    expect(managedBy(undefined)).toBeUndefined();
    expect(managedBy({ metadata: { labels: 'app=web' } })).toBeUndefined();
  });
});
