/**
 * Which Services send traffic to a pod (their selector is a subset of the pod's labels, same
 * namespace), and which of those reach it from outside the cluster (NodePort, LoadBalancer,
 * externalIPs). Used to rate how far "accepts ingress from anywhere" really carries.
 */
import type { Inventory, PodView } from '../../core/inventory.js';

export interface Exposure {
  /** `shop/web (LoadBalancer)` */
  services: string[];
  /** Some Service publishes the pod outside the cluster. */
  external: boolean;
  /** The Services that do. */
  externalServices: string[];
}

interface ServiceEntry {
  name: string;
  selector: Array<[string, string]>;
  type: string;
  external: boolean;
}

export type ExposureIndex = (view: PodView) => Exposure;

export function exposureIndex(inventory: Inventory): ExposureIndex {
  const byNamespace = new Map<string, ServiceEntry[]>();
  for (const s of inventory.services) {
    const selector = Object.entries(s.selector ?? {});
    if (selector.length === 0) continue; // no selector: endpoints are managed by hand, not pods by label
    const externalIPs = (s.raw as { spec?: { externalIPs?: unknown } } | undefined)?.spec?.externalIPs;
    const external = s.type === 'NodePort' || s.type === 'LoadBalancer' || (Array.isArray(externalIPs) && externalIPs.length > 0);
    const list = byNamespace.get(s.namespace) ?? [];
    list.push({ name: s.name, selector, type: s.type, external });
    byNamespace.set(s.namespace, list);
  }
  return (view) => {
    const services: string[] = [];
    const externalServices: string[] = [];
    for (const s of byNamespace.get(view.namespace) ?? []) {
      if (!s.selector.every(([k, v]) => view.labels[k] === v)) continue;
      const name = `${view.namespace}/${s.name} (${s.type})`;
      services.push(name);
      if (s.external) externalServices.push(name);
    }
    return { services, external: externalServices.length > 0, externalServices };
  };
}
