/**
 * Every inventory source, one folder each under `sources/`. The CLI picks one from the flags
 * (`--demo`/`--snapshot` → snapshot, otherwise kubernetes); later sources (the node agent's CRI
 * source) are added here.
 */
export const SOURCES = [
  { id: 'snapshot', description: 'files of "kubectl get … -o json|yaml" output (--snapshot, --demo)' },
  { id: 'kubernetes', description: 'a live cluster through the Kubernetes API (--kubeconfig, --context, --in-cluster)' },
  { id: 'cri', description: "one node's container runtime over its CRI socket: cached images, containers, sandboxes (runwarden node, runwarden clean)" },
] as const;
export type SourceId = (typeof SOURCES)[number]['id'];
