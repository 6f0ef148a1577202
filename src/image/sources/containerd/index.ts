/**
 * `containerd:<name|sha256:…>` — an image a node already has, read-only from containerd: the image
 * record (name → target descriptor) through containerd's images gRPC API
 * (`containerd.services.images.v1.Images/Get|List`, namespace `k8s.io` by default, the CRI plugin's),
 * and the content straight from the content store's blobs folder
 * (`<root>/io.containerd.content.v1.content/blobs/sha256/<hex>`) when the root is given, else
 * through the content API (`containerd.services.content.v1.Content/Read`). No registry credentials
 * are needed (PRODUCT.md C2). Every blob is verified against its digest.
 */
import type { ImageSource } from '../../types.js';

export const DEFAULT_CONTAINERD_ADDRESS = '/run/containerd/containerd.sock';
export const DEFAULT_CONTAINERD_NAMESPACE = 'k8s.io';

/** `/run/containerd/containerd.sock` or `unix:///…` → the gRPC target. */
export function grpcTarget(address: string): string {
  if (address.startsWith('unix://') || address.startsWith('unix:')) return address.startsWith('unix://') ? address : `unix://${address.slice('unix:'.length)}`;
  if (address.startsWith('/')) return `unix://${address}`;
  return address;
}

export const containerdSource: ImageSource = {
  id: 'containerd',
  prefixes: ['containerd:'],
  syntax: 'containerd:<name|sha256:<digest>>',
  description: "a node's containerd image store (images API + content store), read-only",
  async open(target, options) {
    const { openContainerdImage } = await import('./client.js');
    return openContainerdImage(target, options);
  },
};
