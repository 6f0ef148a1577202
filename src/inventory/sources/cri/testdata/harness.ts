/**
 * Test-only helpers on top of test/containerd.ts for CRI tests (node agent, cleanup, bench):
 * - `podRunner`: runs real pods and containers on the test containerd through CRI (host network,
 *   no hostname: runc refuses one without a private UTS namespace; the sandbox image must be imported);
 * - `startCriProxy`: a byte-for-byte gRPC pass-through in front of the real containerd that can fail
 *   chosen calls or expose only some services. containerd 1.6 offers no way to make RemoveImage of a
 *   valid image fail, and no runtime here speaks only CRI v1alpha2; the proxy gives both while every
 *   other call is answered by the real runtime.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { NodeContainerState } from '../../../../core/node-runtime.js';
import type { CriClient } from '../client.js';

type Callback = (error: grpc.ServiceError | null, reply: Record<string, unknown>) => void;
type Unary = (request: unknown, callback: Callback) => void;

export interface PodRunner {
  /** Runs a pod sandbox and one container in it; `command` defaults to `sleep inf`. Returns the ids. */
  run(options: { pod: string; namespace?: string; container?: string; image: string; command?: string[] }): Promise<{ podId: string; containerId: string }>;
  /** Adds a container to an existing pod. */
  addContainer(podId: string, options: { pod: string; namespace?: string; container: string; image: string; command?: string[] }): Promise<string>;
  stopContainer(containerId: string): Promise<void>;
  /** Stops and removes every pod this runner started (and their containers). */
  cleanup(): Promise<void>;
  close(): void;
}

export async function podRunner(address: string): Promise<PodRunner> {
  const definition = protoLoader.loadSync(join(import.meta.dirname, 'cri-pods.proto'), { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } } };
  const client = new pkg.runtime.v1.RuntimeService(address, grpc.credentials.createInsecure()) as unknown as Record<string, Unary> & grpc.Client;
  const call = (method: string, request: unknown): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const fn = client[method];
      if (fn === undefined) throw new Error(`no ${method}`);
      fn.call(client, request, (error, reply) => (error === null ? resolve(reply) : reject(new Error(`${method}: ${error.details}`))));
    });
  const logs = await mkdtemp(join(tmpdir(), 'rw-pods-'));
  const pods: string[] = [];
  const sandboxConfig = (pod: string, namespace: string): Record<string, unknown> => ({
    metadata: { name: pod, uid: `uid-${pod}`, namespace, attempt: 0 },
    log_directory: logs,
    labels: { app: pod },
    linux: { cgroup_parent: '', security_context: { namespace_options: { network: 'NODE', pid: 'POD', ipc: 'POD' } } },
  });
  const addContainer = async (podId: string, o: { pod: string; namespace?: string; container: string; image: string; command?: string[] }): Promise<string> => {
    const created = await call('CreateContainer', {
      pod_sandbox_id: podId,
      config: { metadata: { name: o.container, attempt: 0 }, image: { image: o.image }, command: o.command ?? ['/bin/sleep', 'inf'], log_path: `${o.container}.log` },
      sandbox_config: sandboxConfig(o.pod, o.namespace ?? 'default'),
    });
    const containerId = String(created.container_id);
    await call('StartContainer', { container_id: containerId });
    return containerId;
  };
  return {
    async run(o) {
      const namespace = o.namespace ?? 'default';
      const sandbox = await call('RunPodSandbox', { config: sandboxConfig(o.pod, namespace) });
      const podId = String(sandbox.pod_sandbox_id);
      pods.push(podId);
      const containerId = await addContainer(podId, { pod: o.pod, namespace, container: o.container ?? 'app', image: o.image, command: o.command });
      return { podId, containerId };
    },
    addContainer,
    async stopContainer(containerId) {
      await call('StopContainer', { container_id: containerId, timeout: 0 });
    },
    async cleanup() {
      for (const podId of pods.splice(0)) {
        await call('StopPodSandbox', { pod_sandbox_id: podId }).catch(() => undefined);
        await call('RemovePodSandbox', { pod_sandbox_id: podId }).catch(() => undefined);
      }
    },
    close() {
      client.close();
      void rm(logs, { recursive: true, force: true });
    },
  };
}

export interface Fault {
  code: grpc.status;
  details: string;
}

export interface CriProxy {
  address: string;
  /** Calls seen per method path, in order (request bytes as latin1 for matching). */
  calls: Array<{ path: string; request: Buffer }>;
  stop(): Promise<void>;
}

/** Every unary CRI/containerd method runwarden calls, by full path. */
export const PROXIED_METHODS = [
  '/runtime.v1.RuntimeService/Version',
  '/runtime.v1.RuntimeService/Status',
  '/runtime.v1.RuntimeService/ListContainers',
  '/runtime.v1.RuntimeService/ListPodSandbox',
  '/runtime.v1.ImageService/ListImages',
  '/runtime.v1.ImageService/ImageStatus',
  '/runtime.v1.ImageService/RemoveImage',
  '/runtime.v1.ImageService/ImageFsInfo',
  '/runtime.v1alpha2.RuntimeService/Version',
  '/containerd.services.images.v1.Images/List',
  '/containerd.services.containers.v1.Containers/List',
] as const;

/**
 * A pass-through gRPC server on its own unix socket, forwarding raw bytes and metadata to `upstream`.
 * `methods` limits what it serves (others answer UNIMPLEMENTED, as gRPC does for unknown services);
 * `fault(path, request)` may fail a call instead of forwarding it.
 */
export async function startCriProxy(upstream: string, options: { methods?: readonly string[]; fault?: (path: string, request: Buffer) => Fault | undefined } = {}): Promise<CriProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'rw-proxy-'));
  const address = `unix://${join(dir, 'proxy.sock')}`;
  const identity = (b: Buffer): Buffer => b;
  const upstreamClient = new grpc.Client(upstream, grpc.credentials.createInsecure());
  const server = new grpc.Server();
  const calls: CriProxy['calls'] = [];
  const methods = options.methods ?? PROXIED_METHODS;
  const service: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const path of methods) {
    service[path] = { path, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
    implementation[path] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      calls.push({ path, request: call.request });
      const fault = options.fault?.(path, call.request);
      if (fault !== undefined) {
        callback({ code: fault.code, details: fault.details, name: 'Fault', message: fault.details });
        return;
      }
      upstreamClient.makeUnaryRequest(path, identity, identity, call.request, call.metadata, (error, reply) => callback(error, reply));
    };
  }
  server.addService(service, implementation);
  await new Promise<void>((resolve, reject) => server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error) => (error === null ? resolve() : reject(error))));
  return {
    address,
    calls,
    async stop() {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      upstreamClient.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}


/** Waits (up to 5 s) until CRI reports the container in `state`, e.g. a one-shot container has exited. */
export async function waitForState(client: CriClient, containerId: string, state: NodeContainerState): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const { containers } = await client.listContainers();
    if (containers.find((c) => c.id === containerId)?.state === state) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`container ${containerId} did not reach state ${state} in 5 s`);
}
